/* The sandbox's Telemetry API: subscriptions, per-subscriber batching and
 * delivery, platform.logsDropped, and the stub mode of AWS's emulator.
 *
 * The lifecycle code (sandbox.c and friends) owns processes and the HTTP
 * server; it tells this module what happens through the verbs below and
 * never blocks on delivery: records are queued into bounded per-subscriber
 * buffers and a delivery thread POSTs them.
 *
 * Thread-safety: every verb may be called from any thread.
 */
#ifndef SBX_TELEMETRY_H
#define SBX_TELEMETRY_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "vg_buf.h"

struct sbx_tel;

struct sbx_tel_config {
	/* Answer every subscribe with 202 Telemetry.NotSupported and deliver
	 * nothing, as AWS's Runtime Interface Emulator does. */
	int stub;
	/* Destination hosts sandbox.localdomain and sandbox deliver here. */
	const char *loopback_host; /* "127.0.0.1" */
};

enum sbx_tel_stream {
	SBX_TEL_FUNCTION,  /* a line the runtime wrote to stdout or stderr */
	SBX_TEL_EXTENSION, /* a line an extension wrote */
};

/* NULL on allocation failure. Starts the delivery thread. */
struct sbx_tel *sbx_tel_new(const struct sbx_tel_config *cfg);
/* Stops delivery (pending records are dropped) and frees; NULL is fine. */
void sbx_tel_free(struct sbx_tel *t);

/* PUT /2022-07-01/telemetry from the extension ext_name (already
 * authenticated by the caller). Validates the body and fills reply with the
 * response body; returns the HTTP status (200, 202 in stub mode, 400, 403
 * after subscriptions closed). */
unsigned sbx_tel_subscribe(struct sbx_tel *t, const char *ext_name, const char *body, size_t len,
                           struct vg_buf *reply);
/* Init is over: later subscribes get 403 Telemetry.SubscriptionClosed. */
void sbx_tel_close_subscriptions(struct sbx_tel *t);
/* A reset re-opens subscription for the re-launched extensions. */
void sbx_tel_reopen_subscriptions(struct sbx_tel *t);

/* A platform.* record; the module takes ownership of record (an object).
 * The envelope time is now. */
void sbx_tel_platform(struct sbx_tel *t, const char *type, cJSON *record);
/* One log line (without its newline) from the runtime or an extension. */
void sbx_tel_log(struct sbx_tel *t, enum sbx_tel_stream stream, const char *line, size_t n);

/* Whether any extension subscribed (so the order of log lines and
 * platform records matters to someone). */
bool sbx_tel_has_subscribers(struct sbx_tel *t);

/* Deliver everything queued now, waiting at most until deadline_ns
 * (CLOCK_MONOTONIC). Used at the end of an invoke and at shutdown. */
void sbx_tel_flush(struct sbx_tel *t, uint64_t deadline_ns);

/* Adds "subscribers", "recordsDelivered", "recordsDropped" to the report's
 * "telemetry" object. */
void sbx_tel_report(struct sbx_tel *t, cJSON *telemetry);

#endif
