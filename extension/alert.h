/* Printing one alert on a stream, synchronously: for `vigil probe` (a
 * short-lived command with no exporter) and for the daemon when its
 * exporter could not start. The line is tel_alert_json's: the contract's
 * alert record with the resource attributes, attribute keys by name. */
#ifndef EXT_ALERT_H
#define EXT_ALERT_H

#include <stdio.h>

#include "tel_alert.h"

/* Formats and writes one line to out with a single write, so lines from
 * several threads never interleave. 0 or -errno. */
int ext_alert_print(FILE *out, const struct tel_alert *a);

#endif
