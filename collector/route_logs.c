/* POST /v1/logs: OTLP/HTTP JSON ingest.
 *
 * Cheap refusals come first, before any body byte is read: token, rate,
 * media type, declared length. Then the body is collected under its cap,
 * inflated under a second cap, parsed, and committed before the 200 goes
 * out, so an acknowledged record is on disk. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "col_gzip.h"
#include "col_otlp.h"
#include "col_server_private.h"
#include "vg_log.h"
#include "vg_time.h"
#include "vg_util.h"

/* gRPC status codes used in the OTLP Status body. */
enum {
	GRPC_INVALID_ARGUMENT = 3,
	GRPC_RESOURCE_EXHAUSTED = 8,
	GRPC_UNAVAILABLE = 14,
	GRPC_UNAUTHENTICATED = 16
};

/* Compares in time that depends on the configured token's length only, not
 * on where a guess first differs. */
static bool token_ok(const struct col_server *srv, const char *auth)
{
	const char *given;
	size_t glen;
	unsigned diff;

	if (!srv->opts.token)
		return true;
	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
		return false;
	given = auth + 7;
	glen = strlen(given);
	diff = glen != srv->token_len;
	for (size_t i = 0; i < srv->token_len; i++) {
		unsigned char g = (unsigned char)given[i < glen ? i : 0];
		diff |= (unsigned char)srv->opts.token[i] ^ g;
	}
	return diff == 0;
}

static bool media_type_is(const char *v, const char *type)
{
	size_t n = strlen(type);
	return !strncasecmp(v, type, n) && (v[n] == '\0' || v[n] == ';' || v[n] == ' ');
}

/* The checks made before reading the body; MHD_YES when a reply was queued
 * (*replied set), else the request may proceed. */
static vg_mhd_result precheck(struct col_server *srv, struct MHD_Connection *c, bool *replied)
{
	const char *ctype = vg_http_header(c, "Content-Type");
	const char *cenc = vg_http_header(c, "Content-Encoding");
	const char *clen = vg_http_header(c, "Content-Length");
	int64_t declared;

	*replied = true;
	COL_COUNT(srv, requests);
	/* The rate limit comes first: requests with a wrong token cost the
	 * sender's bucket too. */
	if (srv->rl) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		unsigned retry = 1;
		if (!col_ratelimit_take(srv->rl, ci ? ci->client_addr : NULL, (int64_t)vg_mono_ns(),
		                        &retry)) {
			char body[128], secs[16];
			COL_COUNT(srv, rate_limited);
			int n =
			    snprintf(body, sizeof(body),
			             "{\"code\":%d,\"message\":\"rate limit: retry after %u s\"}\n",
			             GRPC_RESOURCE_EXHAUSTED, retry);
			snprintf(secs, sizeof(secs), "%u", retry);
			struct MHD_Response *r =
			    MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
			if (!r)
				return MHD_NO;
			MHD_add_response_header(r, "Content-Type", "application/json");
			MHD_add_response_header(r, "Retry-After", secs);
			col_security_headers(r);
			vg_mhd_result ret = MHD_queue_response(c, 429, r);
			MHD_destroy_response(r);
			return ret;
		}
	}
	if (!token_ok(srv, vg_http_header(c, "Authorization"))) {
		COL_COUNT(srv, unauthorized);
		struct MHD_Response *r = MHD_create_response_from_buffer(
		    sizeof("{\"code\":16,\"message\":\"missing or wrong bearer token\"}\n") - 1,
		    (void *)"{\"code\":16,\"message\":\"missing or wrong bearer token\"}\n",
		    MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, "Content-Type", "application/json");
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
		col_security_headers(r);
		vg_mhd_result ret = MHD_queue_response(c, 401, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (ctype && !media_type_is(ctype, "application/json")) {
		COL_COUNT(srv, unsupported);
		return col_reply_status(c, 415, GRPC_INVALID_ARGUMENT,
		                        "unsupported Content-Type; this collector accepts "
		                        "application/json (OTLP/HTTP JSON), not protobuf");
	}
	if (cenc && strcasecmp(cenc, "gzip") != 0 && strcasecmp(cenc, "identity") != 0) {
		COL_COUNT(srv, unsupported);
		return col_reply_status(c, 415, GRPC_INVALID_ARGUMENT,
		                        "unsupported Content-Encoding; use gzip or none");
	}
	if (clen && vg_parse_i64(clen, 0, INT64_MAX, &declared) == 0 &&
	    (uint64_t)declared > srv->opts.max_body) {
		COL_COUNT(srv, too_large);
		return col_reply_status(c, 413, GRPC_RESOURCE_EXHAUSTED,
		                        "body of %lld bytes is over the %zu-byte cap",
		                        (long long)declared, srv->opts.max_body);
	}
	*replied = false;
	return MHD_YES;
}

static vg_mhd_result reply_success(struct MHD_Connection *c, const struct col_batch *b)
{
	struct vg_buf out = VG_BUF_INIT(1024);
	vg_mhd_result r;

	if (!b->rejected)
		return col_reply(c, 200, "application/json", "{}", 2);
	/* proto3 JSON: int64 as a string. */
	vg_buf_printf(&out, "{\"partialSuccess\":{\"rejectedLogRecords\":\"%zu\",\"errorMessage\":",
	              b->rejected);
	vg_buf_json_str(&out, b->error, strlen(b->error));
	vg_buf_puts(&out, "}}");
	r = col_reply(c, 200, "application/json", out.data, out.len);
	vg_buf_fini(&out);
	return r;
}

static void on_new_alert(void *ctx, const char *json, size_t n)
{
	col_stream_push(ctx, json, n);
}

static vg_mhd_result ingest(struct col_server *srv, struct MHD_Connection *c,
                            struct vg_http_req *req)
{
	struct vg_buf inflated = VG_BUF_INIT(srv->opts.max_inflated);
	const char *cenc = vg_http_header(c, "Content-Encoding");
	const char *body = req->body.data ? req->body.data : "";
	size_t len = req->body.len;
	struct col_batch *b = NULL;
	struct col_insert_result res;
	char msg[160];
	vg_mhd_result ret;
	int rc;

	if (cenc && !strcasecmp(cenc, "gzip")) {
		rc = col_gunzip(body, len, &inflated);
		if (rc == -ENOBUFS) {
			COL_COUNT(srv, too_large);
			ret = col_reply_status(c, 413, GRPC_RESOURCE_EXHAUSTED,
			                       "inflated body is over the %zu-byte cap",
			                       srv->opts.max_inflated);
			goto out;
		}
		if (rc < 0) {
			COL_COUNT(srv, bad_request);
			ret = col_reply_status(c, 400, GRPC_INVALID_ARGUMENT,
			                       "body is not a valid gzip stream");
			goto out;
		}
		body = inflated.data ? inflated.data : "";
		len = inflated.len;
	}
	rc = col_otlp_parse(body, len, &b, msg, sizeof(msg));
	if (rc == -EINVAL) {
		COL_COUNT(srv, bad_request);
		ret = col_reply_status(c, 400, GRPC_INVALID_ARGUMENT, "%s", msg);
		goto out;
	}
	if (rc < 0) {
		COL_COUNT(srv, failed);
		ret = col_reply_status(c, 503, GRPC_UNAVAILABLE, "out of memory; retry later");
		goto out;
	}
	/* Serialising each alert for the live view is skipped when nobody
	 * watches; a client that connects later loads the stored ones. */
	bool live = __atomic_load_n(&srv->sse_clients, __ATOMIC_RELAXED) > 0;
	if (col_store_insert(srv->store, b, (int64_t)vg_epoch_ns(), &res,
	                     live ? on_new_alert : NULL, srv->stream) < 0) {
		COL_COUNT(srv, failed);
		/* 503 is retryable in OTLP: the sender keeps the batch. */
		ret = col_reply_status(c, 503, GRPC_UNAVAILABLE, "storage failed; retry later");
		goto out;
	}
	COL_ADD(srv, records, b->n + b->rejected);
	COL_ADD(srv, stored, res.stored);
	COL_ADD(srv, duplicates, res.duplicates);
	COL_ADD(srv, rejected, b->rejected);
	if (srv->forward && b->n) {
		size_t n = 0;
		char *json = col_batch_json(b, &n);
		if (json)
			col_forward_push(srv->forward, json, n);
	}
	ret = reply_success(c, b);
out:
	col_batch_free(b);
	vg_buf_fini(&inflated);
	return ret;
}

vg_mhd_result col_route_logs(struct col_server *srv, struct MHD_Connection *c, void **con_cls,
                             const char *upload, size_t *upload_size)
{
	struct vg_http_req *req;

	if (!*con_cls) {
		bool replied;
		vg_mhd_result r = precheck(srv, c, &replied);
		if (replied)
			return r;
	}
	if (!vg_http_collect(con_cls, upload, upload_size, srv->opts.max_body, &req))
		return MHD_YES;
	if (req->too_large) {
		COL_COUNT(srv, too_large);
		return col_reply_status(c, 413, GRPC_RESOURCE_EXHAUSTED,
		                        "body is over the %zu-byte cap", srv->opts.max_body);
	}
	/* Wait a while for a slot (this is the connection's own thread); a
	 * collector that stays saturated answers 503, which senders retry. */
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	while (sem_timedwait(&srv->ingest_slots, &until) < 0) {
		if (errno != EINTR) {
			COL_COUNT(srv, failed);
			return col_reply_status(c, 503, GRPC_UNAVAILABLE, "busy; retry later");
		}
	}
	vg_mhd_result ret = ingest(srv, c, req);
	sem_post(&srv->ingest_slots);
	return ret;
}
