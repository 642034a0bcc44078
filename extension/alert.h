/* Alerts on stdout: a struct tel_sink that prints each alert as one JSON
 * line (Lambda sends stdout to CloudWatch Logs). The line is the contract's
 * alert record: the OTLP log record's fields plus the resource attributes,
 * attribute keys by name.
 *
 * Interim: this printer stands in until the telemetry library's
 * tel_alert_json and tel_alert_id (telemetry/tel_alert.c) land; the daemon
 * then switches to them and the exporter, and this file goes. */
#ifndef EXT_ALERT_H
#define EXT_ALERT_H

#include <stdio.h>

#include "tel_alert.h"
#include "vg_buf.h"

/* The stable vigil.alert.id of a (see tel_alert_id). */
void ext_alert_id(const struct tel_alert *a, char out[33]);
/* Appends the record (without newline) to out. 0 or -ENOBUFS. */
int ext_alert_format(struct vg_buf *out, const struct tel_alert *a);
/* Formats and writes one line to out with a single write, so lines from
 * several threads never interleave. 0 or -errno. */
int ext_alert_print(FILE *out, const struct tel_alert *a);
/* A sink printing to out (borrowed; stdout in the daemon). */
void ext_alert_stdout_sink(struct tel_sink *s, FILE *out);

#endif
