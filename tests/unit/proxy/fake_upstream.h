/* A fake Runtime API for the proxy's tests and benchmark: a libmicrohttpd
 * server on a kernel-chosen port that serves GET .../invocation/next with a
 * configurable event and the Lambda headers, answers every POST with a
 * configurable status, and records what it received. */
#ifndef FAKE_UPSTREAM_H
#define FAKE_UPSTREAM_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vg_buf.h"

struct fake_up {
	struct MHD_Daemon *d;
	uint16_t port;
	char hostport[32];
	pthread_mutex_t m;
	pthread_cond_t cv;
	/* configuration (set before requests arrive, or under m) */
	const char *event; /* body of /next; NULL: {"hello":"world"} */
	size_t event_len;
	unsigned post_status;  /* answer to POSTs; 0: 202 */
	const char *post_body; /* NULL: {"status":"OK"} */
	unsigned next_hold;    /* answer /next only once this many wait */
	bool next_hang;        /* never answer /next (until stopped) */
	unsigned next_limit;   /* hang from /next number next_limit+1 on; 0: never */
	bool stopping;
	bool released; /* next_hold was reached once */
	/* records (read under m) */
	unsigned n_conn, n_next, n_waiting, n_requests;
	size_t bytes_seen; /* upload bytes of the request in progress */
	char method[16];
	char url[1024];         /* path plus the raw query string */
	struct vg_buf headers;  /* "name: value\n" lines of the last request */
	struct vg_buf trailers; /* same for its trailers */
	struct vg_buf body;     /* its body */
	char error_urls[4096];  /* every .../error path seen, space-separated */
	/* the last POST: path, Lambda-Runtime-Function-Error-Type, body */
	char post_url[1024];
	char post_error_type[128];
	char post_data[2048];

	/* The Extensions and Telemetry APIs, for the extension's tests. */
	uint16_t probe_proxy_port;     /* at register: is the proxy ready here? */
	uint16_t probe_telemetry_port; /* at register: is this port bound? */
	unsigned telemetry_status;     /* answer to the subscription; 0: 200 */
	bool proxy_ready_at_register, telemetry_bound_at_register;
	unsigned n_register, n_subscribe, n_ext_next;
	char ext_name[256];
	char ext_events[256];      /* the register body */
	char subscription[1024];   /* the subscription body */
	char init_error_type[128]; /* Lambda-Extension-Function-Error-Type */
	char init_error_body[1024];
	bool shutdown_now; /* answer the pending event/next with SHUTDOWN */
	unsigned shutdown_budget_ms;
	uint64_t t_register_ns, t_first_ext_next_ns; /* CLOCK_MONOTONIC */
};

/* Releases the extension's pending event/next with a SHUTDOWN event. */
void fake_up_shutdown(struct fake_up *f, unsigned budget_ms);
/* Waits, bounded, until the extension called event/next n times. */
bool fake_up_wait_ext_next(struct fake_up *f, unsigned n, unsigned timeout_ms);

int fake_up_start(struct fake_up *f);
void fake_up_stop(struct fake_up *f);
/* Wait, bounded by timeout_ms, until the request in progress has delivered
 * n body bytes / until n requests wait in /next. true when reached. */
bool fake_up_wait_bytes(struct fake_up *f, size_t n, unsigned timeout_ms);
bool fake_up_wait_waiting(struct fake_up *f, unsigned n, unsigned timeout_ms);

#endif
