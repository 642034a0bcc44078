/* The Telemetry API listener's socket. For now it accepts every POST with
 * 200 and discards the batch (the telemetry pipeline plugs in here later);
 * what matters today is that the port is bound before register. */
#ifndef EXT_LISTENER_H
#define EXT_LISTENER_H

#include <stdint.h>

struct ext_listener;

/* Binds 0.0.0.0:port and serves. *out is owned by the caller. 0 or -errno. */
int ext_listener_start(uint16_t port, struct ext_listener **out);
void ext_listener_stop(struct ext_listener *l);

#endif
