/* The Extensions API and Telemetry API calls the extension makes, over the
 * proxy's minimal HTTP client (so vigil starts without libcurl's
 * initialisation on its path). */
#ifndef EXT_API_H
#define EXT_API_H

#include <stdint.h>

#include "px_client.h"

struct ext_api {
	struct px_pool pool;
	char id[128]; /* Lambda-Extension-Identifier */
};

enum ext_event_type { EXT_EVENT_INVOKE, EXT_EVENT_SHUTDOWN, EXT_EVENT_OTHER };

struct ext_event {
	enum ext_event_type type;
	int64_t deadline_ms; /* epoch ms; 0 when absent */
	char request_id[128];
	char reason[64]; /* shutdownReason, as sent */
};

/* 0, -EINVAL when runtime_api is not host:port. */
int ext_api_init(struct ext_api *a, const char *runtime_api);
void ext_api_fini(struct ext_api *a);
/* Registers for INVOKE and SHUTDOWN under name. 0, -EPROTO when refused
 * (status in *status), -errno. */
int ext_api_register(struct ext_api *a, const char *name, int *status);
/* Subscribes to platform, function and extension records delivered to
 * http://sandbox.localdomain:PORT/telemetry. Returns the HTTP status
 * (200 subscribed, 202 not supported here, 4xx refused) or -errno. */
int ext_api_subscribe(struct ext_api *a, uint16_t port, int64_t max_items, int64_t max_bytes,
                      int64_t timeout_ms);
/* Blocks (no timeout) for the next event. 0, -EPROTO (status in *status),
 * -errno. */
int ext_api_next(struct ext_api *a, struct ext_event *ev, int *status);
/* POST /extension/init/error with the error type header and a JSON body. */
int ext_api_init_error(struct ext_api *a, const char *type, const char *message);

#endif
