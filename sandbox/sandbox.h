/* vigil-sandbox's shared state: the execution environment the lifecycle code
 * drives and the API handlers observe.
 *
 * One mutex (lock) guards everything in struct sbx. Long-poll handlers
 * (runtime and extension `next`) block on rt_cond and ext_cond in their
 * libmicrohttpd connection thread; the invoker (the invoke endpoint or batch
 * mode, one at a time under `busy`) waits on cond for the outcome it needs
 * (a process exited, an extension registered or called next...).
 *
 * `gen` counts resets: a handler that started waiting in an older generation
 * gives up, since the process it served has been killed.
 */
#ifndef SBX_SANDBOX_H
#define SBX_SANDBOX_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ext_state.h"
#include "opts.h"
#include "telemetry.h"
#include "vg_buf.h"

/* RIE's MaxPayloadSize: 6 MiB + 100 bytes, for requests and responses. */
#define SBX_PAYLOAD_MAX 6291556u
/* Bodies of the extension and telemetry routes. */
#define SBX_SMALL_BODY_MAX (1u << 20)
/* X-Ray error cause header (RIE's MaxErrorCauseSizeBytes). */
#define SBX_XRAY_CAUSE_MAX (64u * 1024u)
#define SBX_MAX_EXTENSIONS 10
#define SBX_NAME_MAX       256
#define SBX_TYPE_MAX       128
/* Report history is bounded; later entries are counted, not kept. */
#define SBX_HISTORY_MAX 10000

struct sbx_proc;

struct sbx_ext {
	char name[SBX_NAME_MAX];
	char id[37];
	bool external;         /* launched from --opt/extensions */
	struct sbx_proc *proc; /* external only */
	enum sbx_ext_state state;
	unsigned events; /* SBX_EV_* */
	bool waiting;    /* a `next` is blocked on this extension */
	char *event;     /* queued event (JSON), owned; NULL when none */
	size_t event_len;
	bool event_invoke;             /* the queued event is an INVOKE */
	char error_type[SBX_TYPE_MAX]; /* init/error or exit/error type */
};

enum sbx_rt_state {
	SBX_RT_NONE,       /* not launched */
	SBX_RT_STARTED,    /* launched, has not called next */
	SBX_RT_READY,      /* called next, waits for an invocation */
	SBX_RT_INVOKING,   /* took an invocation, has not answered */
	SBX_RT_RESPONDED,  /* answered, has not called next again */
	SBX_RT_INIT_ERROR, /* reported /runtime/init/error */
};

struct sbx_runtime {
	enum sbx_rt_state state;
	bool waiting;
	struct sbx_proc *proc;
	char error_type[SBX_TYPE_MAX]; /* init/error */
	char *error_body;              /* init/error body, owned */
	size_t error_len;
};

/* The invocation under way. */
struct sbx_inv {
	bool active;
	char request_id[37];
	int64_t deadline_ms;
	uint64_t start_ns;
	const char *event; /* the invoker's bytes, valid while active */
	size_t event_len;
	char content_type[SBX_TYPE_MAX];
	char *trace_id;       /* owned, may be NULL */
	char *client_context; /* owned, decoded JSON, may be NULL */
	char *cognito;        /* owned, may be NULL */
	bool delivered;       /* the runtime took it */
	bool answered;        /* the runtime posted a response or an error */
	bool is_error;        /* the answer is a function error */
	char *body;           /* the answer, owned */
	size_t body_len;
	char body_type[SBX_TYPE_MAX];
	char error_type[SBX_TYPE_MAX];
	uint64_t answered_ns;
};

/* What the last init attempt left behind. */
struct sbx_init_result {
	bool done; /* init succeeded and has not been reset since */
	bool failed;
	char error_type[SBX_TYPE_MAX];
	char *body; /* error document, owned */
	size_t body_len;
	double duration_ms;
	bool report_pending; /* initDurationMs goes into the next report */
};

struct sbx {
	struct sbx_opts *opts;
	struct sbx_tel *tel;
	char api_addr[64]; /* host:port as given to AWS_LAMBDA_RUNTIME_API */
	char invoke_addr[64];
	char function_arn[256];

	pthread_mutex_t lock;
	/* Three conditions, so that a change wakes only who waits for it:
	 * cond for the lifecycle (the invoker, init, shutdown, busy), rt_cond
	 * for the runtime's next, ext_cond for extensions' next. */
	pthread_cond_t cond;
	pthread_cond_t rt_cond;
	pthread_cond_t ext_cond;
	unsigned gen;
	bool quit; /* SIGTERM/SIGINT: stop serving */
	bool busy; /* an invoke or init holds the environment */

	struct sbx_ext ext[SBX_MAX_EXTENSIONS];
	unsigned n_ext;
	bool registration_closed;
	struct sbx_runtime rt;
	struct sbx_inv inv;
	struct sbx_init_result init;
	uint64_t peak_rss; /* bytes, runtime's process tree, since its init */
	uint64_t last_sample_ns;
	bool oom;
	bool tel_subscribed; /* a subscribe ever succeeded: flushes have work */
	void *api_daemon;    /* struct MHD_Daemon */
	void *invoke_daemon;

	/* Every process launched and not yet cleaned up. */
	struct sbx_proc *procs;

	/* Report. */
	cJSON *rep_extensions;
	cJSON *rep_invocations;
	cJSON *rep_resets;
	cJSON *rep_shutdown;
	unsigned rep_n_extensions, rep_n_invocations, rep_n_resets; /* list sizes */
	unsigned rep_omitted;
	unsigned invokes;
};

/* lifecycle.c: caller holds no lock. */
int sbx_setup(struct sbx *s, struct sbx_opts *o);
void sbx_teardown(struct sbx *s);

/* The outcome of one invoke, for the invoke endpoint and batch mode. */
struct sbx_result {
	char request_id[37];
	const char *status; /* "success", "error", "timeout" */
	char error_type[SBX_TYPE_MAX];
	char *body; /* owned */
	size_t body_len;
	char content_type[SBX_TYPE_MAX];
	double duration_ms; /* the whole invoke: extensions' post-processing too */
	double runtime_ms;  /* until the runtime answered (runtimeDone's), or duration_ms */
};

struct sbx_invoke_req {
	const char *event;
	size_t event_len;
	const char *content_type;   /* may be NULL */
	const char *trace_id;       /* may be NULL */
	const char *client_context; /* base64 as sent in X-Amz-Client-Context, may be NULL */
	const char *cognito;        /* JSON, may be NULL */
};

/* Init (phase "init") at start; failures are remembered for the first invoke. */
int sbx_init_env(struct sbx *s);
/* Runs one invoke (initialising first after a reset). 0, or -ESHUTDOWN when
 * the sandbox is stopping. res is filled on 0; free with sbx_result_fini. */
int sbx_invoke(struct sbx *s, const struct sbx_invoke_req *req, struct sbx_result *res);
void sbx_result_fini(struct sbx_result *res);
/* Final shutdown phase ("spindown"). */
void sbx_shutdown_final(struct sbx *s);
/* SIGTERM/SIGINT. */
void sbx_request_quit(struct sbx *s);

/* report.c */
int sbx_report_write(struct sbx *s, const char *path);
/* Appends item (taken) to list, whose size *n tracks, unless the list
 * holds SBX_HISTORY_MAX entries already (then it is counted as omitted). */
void sbx_report_add(struct sbx *s, cJSON *list, unsigned *n, cJSON *item);

/* The extension with that identifier (any case), or NULL. Lock held. */
struct sbx_ext *sbx_ext_by_id(struct sbx *s, const char *id);

/* api.c: the API listener (s->api_addr is set from the bound port) and the
 * invoke endpoint (s->invoke_addr). 0 or -errno. */
int sbx_api_start(struct sbx *s);
int sbx_invoke_http_start(struct sbx *s);
void sbx_http_stop(struct sbx *s);

/* records.c: platform.* telemetry records. */
void sbx_rec_init_start(struct sbx *s, const char *phase);
void sbx_rec_init_done(struct sbx *s, const char *phase, const char *error_type,
                       double duration_ms);
void sbx_rec_start(struct sbx *s, const char *request_id, const char *trace);
void sbx_rec_runtime_done(struct sbx *s, const char *request_id, const char *error_type,
                          double duration_ms, size_t produced);
void sbx_rec_report(struct sbx *s, const struct sbx_result *res, uint64_t peak_rss, double init_ms);
/* "success", or the status Lambda gives error_type ("timeout" for
 * Sandbox.Timeout, "failure" for other Sandbox.*, else "error"). */
const char *sbx_status_of(const char *error_type);
cJSON *sbx_events_json(unsigned events);

#endif
