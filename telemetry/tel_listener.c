#include "tel_listener.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "px_server.h"
#include "vg_buf.h"

struct tel_listener {
	struct px_srv *srv;
	struct tel_pipeline *pipeline;
	size_t body_max;
};

static const struct px_header text = {"Content-Type", "text/plain"};

/* Never log from here: see the header. */
static int on_request(void *ctx, struct px_srv_req *r)
{
	struct tel_listener *l = ctx;
	struct vg_buf body = VG_BUF_INIT(l->body_max);
	char chunk[16384];
	ssize_t n;
	int ret;

	if (strcmp(r->method, "POST"))
		return px_srv_respond(r, 405, &text, 1, "POST only\n", 10);
	if (r->has_length && r->length > l->body_max)
		goto too_big;
	while ((n = px_srv_body_read(r, chunk, sizeof(chunk))) > 0) {
		ret = vg_buf_append(&body, chunk, (size_t)n);
		if (ret == -ENOBUFS)
			goto too_big;
		if (ret < 0) {
			vg_buf_fini(&body);
			return px_srv_respond(r, 503, &text, 1, "no memory\n", 10);
		}
	}
	if (n < 0) {
		vg_buf_fini(&body);
		return (int)n;
	}
	ret = px_srv_respond(r, 200, &text, 1, "OK", 2);
	/* Answered: now the detectors, off Lambda's clock. */
	if (body.len)
		tel_pipeline_feed(l->pipeline, body.data, body.len);
	vg_buf_fini(&body);
	return ret;

too_big:
	vg_buf_fini(&body);
	tel_pipeline_note_oversize(l->pipeline);
	/* Drain what is left (bounded) so the client reads the answer rather
	 * than a reset; past the bound, answer and close mid-body. */
	for (uint64_t drained = 0; drained < 4 * (uint64_t)l->body_max;) {
		n = px_srv_body_read(r, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		drained += (uint64_t)n;
	}
	r->keep_alive = false; /* "Connection: close" */
	px_srv_respond(r, 413, &text, 1, "batch too large\n", 16);
	return -EMSGSIZE;
}

int tel_listener_new(const char *host, uint16_t port, struct tel_pipeline *p,
                     struct tel_listener **out)
{
	if (!p || !out)
		return -EINVAL;
	struct tel_listener *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->pipeline = p;
	l->body_max = tel_pipeline_config(p)->body_max;
	int r = px_srv_new(host ? host : "0.0.0.0", port, on_request, l, &l->srv);
	if (r < 0) {
		free(l);
		return r;
	}
	*out = l;
	return 0;
}

uint16_t tel_listener_port(const struct tel_listener *l)
{
	return px_srv_port(l->srv);
}

void tel_listener_free(struct tel_listener *l)
{
	if (!l)
		return;
	px_srv_free(l->srv);
	free(l);
}
