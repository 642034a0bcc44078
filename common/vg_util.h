/* Small helpers shared by every component: bounded number parsing,
 * random ids, case-insensitive prefix tests. */
#ifndef VG_UTIL_H
#define VG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VG_MIN(a, b)     ((a) < (b) ? (a) : (b))
#define VG_MAX(a, b)     ((a) > (b) ? (a) : (b))

/* Parses a whole decimal string into [min, max]. 0, -EINVAL (not a number,
 * trailing bytes, empty) or -ERANGE. */
int vg_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Same, for a length-counted string that need not be NUL-terminated. */
int vg_parse_i64n(const char *s, size_t n, int64_t min, int64_t max, int64_t *out);
/* "host:port" with a port in 1..65535; host is copied into host (hostn bytes). */
int vg_parse_hostport(const char *s, char *host, size_t hostn, uint16_t *port);

/* Fills buf with n random bytes from the kernel; 0 or -errno. */
int vg_random(void *buf, size_t n);
/* Writes all n bytes to fd, resuming after EINTR and short writes.
 * 0 or -errno. */
int vg_write_all(int fd, const void *buf, size_t n);
/* A version-4 UUID, lower case, 36 characters plus NUL. */
void vg_uuid4(char out[37]);

bool vg_strcase_prefix(const char *s, const char *prefix);

#endif
