#include "listener.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "px_server.h"

struct ext_listener {
	struct px_srv *srv;
};

static int on_request(void *ctx, struct px_srv_req *r)
{
	static const struct px_header text = {"Content-Type", "text/plain"};
	char sink[16384];
	ssize_t n;

	/* Never log here: this process subscribes to its own extension logs
	 * and every line would come back as a new batch. The batch is read
	 * and dropped until the telemetry pipeline lands. */
	if (strcmp(r->method, "POST"))
		return px_srv_respond(r, 405, &text, 1, "POST only\n", 10);
	while ((n = px_srv_body_read(r, sink, sizeof(sink))) > 0)
		;
	if (n < 0)
		return (int)n;
	return px_srv_respond(r, 200, &text, 1, "OK", 2);
}

int ext_listener_start(uint16_t port, struct ext_listener **out)
{
	struct ext_listener *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	/* 0.0.0.0: sandbox.localdomain may not resolve to 127.0.0.1. */
	int r = px_srv_new("0.0.0.0", port, on_request, l, &l->srv);
	if (r < 0) {
		free(l);
		return r;
	}
	*out = l;
	return 0;
}

void ext_listener_stop(struct ext_listener *l)
{
	if (!l)
		return;
	px_srv_free(l->srv);
	free(l);
}
