/* A small test harness for integration tests and the C test programs:
 * starting processes (stdout and stderr into files), waiting for a line
 * with a bound, HTTP calls through libcurl, and teardown.
 *
 * Typical integration test:
 *
 *	struct th_sandbox sb;
 *	const char *rt[] = {th_bin("tests/runtimes/test-runtime"), NULL};
 *	th_sandbox_start(&sb, opt_dir, (const char *[]){"--timeout", "2", NULL}, rt);
 *	th_http_post(sb.invoke_url, "{}", &resp);       // invoke
 *	th_sandbox_stop(&sb);                           // SIGTERM, bounded wait
 *	th_file_contains(sb.err_path, "...");           // what it printed
 *
 * Every wait is bounded; teardown SIGKILLs what does not exit in time.
 * Ownership: th_resp and th_sandbox own their memory; free with
 * th_resp_fini / th_sandbox_fini.
 */
#ifndef TH_HARNESS_H
#define TH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cJSON;

struct th_proc {
	pid_t pid;
	int status; /* wait status once exited */
	bool exited;
};

/* Starts argv[0] (a path) with argv; stdout and stderr go to the files
 * (NULL: inherit). env: NULL to inherit, else the whole environment.
 * The child gets its own process group and SIGTERM when the caller's
 * thread exits (so a failed test leaves nothing running). 0 or -errno. */
int th_spawn(struct th_proc *p, char *const argv[], char *const env[], const char *out_path,
             const char *err_path);
/* Waits up to timeout_ms for the process to exit. 0 when it did. */
int th_wait(struct th_proc *p, int timeout_ms);
/* SIGTERM, up to timeout_ms, then SIGKILL of its process group. Returns the
 * wait status. */
int th_stop(struct th_proc *p, int timeout_ms);

/* Polls path until a line contains needle, up to timeout_ms. On success
 * copies that line (without newline) into line (n bytes, may be NULL) and
 * returns 0; -ETIMEDOUT otherwise. */
int th_wait_line(const char *path, const char *needle, int timeout_ms, char *line, size_t n);
/* Whether the file contains needle; count of occurrences. */
int th_file_count(const char *path, const char *needle);
bool th_file_contains(const char *path, const char *needle);
/* The whole file, NUL-terminated, malloc'd (free it); NULL on error. */
char *th_file_read(const char *path, size_t *len);

/* A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice),
 * for programs that cannot be told to bind port 0; 0 if none could be had. */
uint16_t th_free_port(void);

/* A temporary folder (mkdtemp under TMPDIR or /tmp) into out (n bytes). */
int th_tempdir(char *out, size_t n, const char *tag);
/* rm -rf of a folder made by th_tempdir. */
void th_rmtree(const char *path);

/* $VIGIL_BUILD_ROOT/rel in a static buffer (one of 8 rotating). */
const char *th_bin(const char *rel);

struct th_resp {
	long status;
	char *body; /* NUL-terminated */
	size_t len;
	char *headers; /* raw response headers, NUL-terminated */
};

/* One HTTP request. headers: NULL-terminated "Name: value" strings, may be
 * NULL. timeout_ms 0 means none. 0, or -EIO when no HTTP response came. */
int th_http(const char *method, const char *url, const char *const headers[], const char *body,
            size_t len, int timeout_ms, struct th_resp *r);
/* The value of a response header (case-insensitive) into out; false when
 * absent. */
bool th_resp_header(const struct th_resp *r, const char *name, char *out, size_t n);
void th_resp_fini(struct th_resp *r);

/* A running vigil-sandbox on free ports. */
struct th_sandbox {
	struct th_proc proc;
	char dir[512];      /* temp folder for its files */
	char err_path[600]; /* its stderr */
	char out_path[600]; /* its stdout */
	char report[600];   /* --report file */
	char invoke[64];    /* host:port */
	char api[64];
	char invoke_url[160];
};

/* Starts build/sandbox/vigil-sandbox with --listen/--api on port 0,
 * --opt opt_dir (may be NULL), --report, the extra options (NULL-terminated,
 * may be NULL) and -- runtime argv; waits (up to 30 s) for its ready line.
 * 0 or -errno (the sandbox is stopped on failure). */
int th_sandbox_start(struct th_sandbox *sb, const char *opt_dir, const char *const extra[],
                     const char *const runtime[]);
/* Invokes with body; 0 or -EIO. */
int th_sandbox_invoke(struct th_sandbox *sb, const char *body, struct th_resp *r);
/* SIGTERM and a bounded wait (10 s); returns the wait status. */
int th_sandbox_stop(struct th_sandbox *sb);
/* Removes its files. */
void th_sandbox_fini(struct th_sandbox *sb);

/* A running vigil-collector on a free port with its own database. */
struct th_collector {
	struct th_proc proc;
	char dir[512];      /* temp folder: database, stderr */
	char err_path[600]; /* its stderr */
	char url[128];      /* http://127.0.0.1:PORT/ */
	char logs_url[160]; /* url + v1/logs, for VIGIL_COLLECTOR_URL */
};

/* Starts build/collector/vigil-collector on 127.0.0.1:0 with a fresh
 * database, --max-age 0 and the extra options (NULL-terminated, may be
 * NULL); waits (up to 30 s) for its listening line. 0 or -errno. */
int th_collector_start(struct th_collector *c, const char *const extra[]);
/* GET url + "api/alerts?" + query (e.g. "limit=1000&kind=telemetry"): the
 * answer's alerts array (the caller owns it: cJSON_Delete), or NULL when the
 * query failed. */
struct cJSON *th_collector_alerts(struct th_collector *c, const char *query);
/* Polls th_collector_alerts(query) until it holds at least n alerts or
 * timeout_ms passed; returns the last answer (NULL on failure). */
struct cJSON *th_collector_wait(struct th_collector *c, const char *query, int n, int timeout_ms);
int th_collector_stop(struct th_collector *c);
void th_collector_fini(struct th_collector *c);

/* Makes opt_dir/extensions/NAME a symlink to target (a test extension
 * chooses its behaviour from its name). */
int th_opt_add_extension(const char *opt_dir, const char *name, const char *target);

#endif
