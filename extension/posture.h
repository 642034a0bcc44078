/* Posture checks at init: the function's environment, as vigil sees it
 * (extensions get the function's variables), scanned for plaintext
 * secrets with the telemetry library's secret scanner. One `posture` alert
 * `secret_in_env` per variable that holds one, naming the variable and the
 * kind of secret, never its value. */
#ifndef EXT_POSTURE_H
#define EXT_POSTURE_H

#include "tel_alert.h"

/* Scans envp ("NAME=VALUE" strings, NULL-terminated; environ in the
 * daemon) and emits the alerts on sink. Returns how many were raised. */
unsigned ext_posture_scan_env(char *const *envp, const struct tel_sink *sink);

#endif
