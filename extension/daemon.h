/* vigil in extension mode: the lifecycle Lambda expects of an external
 * extension (lambda-apis.md §1, §2, §9). */
#ifndef EXT_DAEMON_H
#define EXT_DAEMON_H

/* Runs until SHUTDOWN; returns the process exit status (0 after SHUTDOWN,
 * 1 on a configuration or registration failure). argv0 names the file
 * Lambda started: its basename is the extension's name. */
int ext_daemon_run(const char *argv0);

#endif
