/* The Telemetry API listener: an HTTP server (the proxy's px_server, so
 * the static binary needs no libmicrohttpd) on VIGIL_TELEMETRY_PORT that
 * takes the batches Lambda POSTs, answers 200 as soon as the body is read,
 * then hands the batch to the pipeline on the same connection thread
 * (Lambda keeps one batch in flight per subscriber, so the next one waits
 * for the answer, never for the detectors).
 *
 * Bounds: a body larger than the pipeline's body_max (default 4 MiB; Lambda
 * sends at most 2 * 1 MiB plus metadata) is answered 413 and the
 * connection closed (the rest of the body is first read and dropped, up
 * to 4 * body_max); counted as oversize. Other
 * methods get 405.
 *
 * It never logs: Vigil subscribes to its own extension logs, and a line
 * written here would come back as a new batch (a feedback loop).
 */
#ifndef TEL_LISTENER_H
#define TEL_LISTENER_H

#include <stdint.h>

#include "tel_pipeline.h"

struct tel_listener;

/* Binds host:port (NULL host: 0.0.0.0, as sandbox.localdomain may not be
 * 127.0.0.1; port 0: the kernel picks) and serves before returning.
 * p is borrowed and must outlive the listener. *out is the caller's
 * (tel_listener_free). 0 or -errno. */
int tel_listener_new(const char *host, uint16_t port, struct tel_pipeline *p,
                     struct tel_listener **out);
uint16_t tel_listener_port(const struct tel_listener *l);
/* Stops serving and waits for the connection threads. NULL is accepted. */
void tel_listener_free(struct tel_listener *l);

#endif
