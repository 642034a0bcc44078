/* GET /api/stream: server-sent events, one "alert" event per stored alert.
 *
 * Each client runs in its own connection thread (the server uses a thread
 * per connection), so the content callback may wait for new alerts. A
 * comment line every 15 s keeps proxies from closing an idle stream and
 * lets a vanished client be noticed. Clients are capped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "col_server_private.h"
#include "vg_util.h"

#define MAX_CLIENTS  64
#define KEEPALIVE_MS 15000

struct sse {
	struct col_server *srv;
	uint64_t seq;
	struct vg_buf pending;
	size_t off;
};

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse *s = cls;
	(void)pos;

	if (s->off == s->pending.len) {
		vg_buf_reset(&s->pending);
		s->off = 0;
		int n = col_stream_wait(s->srv->stream, &s->seq, KEEPALIVE_MS, &s->pending);
		if (n < 0)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (n == 0)
			vg_buf_puts(&s->pending, ": keep-alive\n\n");
	}
	size_t n = VG_MIN(max, s->pending.len - s->off);
	memcpy(buf, s->pending.data + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void sse_free(void *cls)
{
	struct sse *s = cls;
	__atomic_sub_fetch(&s->srv->sse_clients, 1, __ATOMIC_RELAXED);
	vg_buf_fini(&s->pending);
	free(s);
}

vg_mhd_result col_route_stream(struct col_server *srv, struct MHD_Connection *c)
{
	struct MHD_Response *r;
	struct sse *s;
	vg_mhd_result ret;

	if (__atomic_add_fetch(&srv->sse_clients, 1, __ATOMIC_RELAXED) > MAX_CLIENTS) {
		__atomic_sub_fetch(&srv->sse_clients, 1, __ATOMIC_RELAXED);
		return col_reply_status(c, 503, 14, "too many live clients");
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		__atomic_sub_fetch(&srv->sse_clients, 1, __ATOMIC_RELAXED);
		return MHD_NO;
	}
	s->srv = srv;
	s->seq = col_stream_head(srv->stream);
	vg_buf_init(&s->pending, 8u << 20);
	/* Tell the client at once that the stream is open. */
	vg_buf_puts(&s->pending, "retry: 2000\n: open\n\n");
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, sse_read, s, sse_free);
	if (!r) {
		sse_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	col_security_headers(r);
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}
