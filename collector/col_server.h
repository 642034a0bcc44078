/* vigil-collector's HTTP server: OTLP/HTTP ingest, the query API, the
 * live stream and the embedded web UI, on libmicrohttpd with one thread per
 * connection (server-sent-event clients wait in their own thread). */
#ifndef COL_SERVER_H
#define COL_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "col_store.h"

struct col_server;

struct col_server_opts {
	const char *host;        /* numeric address or name to bind */
	uint16_t port;           /* 0: the kernel chooses */
	const char *token;       /* bearer token for ingest; NULL: none */
	size_t max_body;         /* request body cap, as sent */
	size_t max_inflated;     /* cap after gzip inflation */
	double rate, burst;      /* ingest requests per second per client; 0: off */
	const char *forward_url; /* NULL: no forwarding */
	const char *forward_token;
	size_t forward_queue;
	unsigned max_connections;
};

/* Starts serving; the store is borrowed and must outlive the server. */
int col_server_new(const struct col_server_opts *o, struct col_store *store,
                   struct col_server **out);
/* The port actually bound. */
uint16_t col_server_port(const struct col_server *srv);
/* Stops serving (live streams end, forwarding drains up to 2 s). */
void col_server_free(struct col_server *srv);

#endif
