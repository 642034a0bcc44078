/* Clocks. Monotonic time measures durations; epoch time is for the wire. */
#ifndef VG_TIME_H
#define VG_TIME_H

#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t vg_mono_ns(void);
/* Wall clock, Unix epoch. */
int64_t vg_epoch_ms(void);
uint64_t vg_epoch_ns(void);
/* "2022-10-21T14:05:03.165Z" into out (at least 25 bytes); returns out. */
char *vg_iso8601_ms(int64_t epoch_ms, char *out, size_t n);
/* Sleep for ms milliseconds, resuming after signals. */
void vg_sleep_ms(unsigned ms);

#endif
