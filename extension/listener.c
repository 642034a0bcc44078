#include "listener.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "vg_http.h"

/* The largest batch the subscription allows is 1 MiB (maxBytes). */
#define BATCH_MAX (1024 * 1024 + 65536)

struct ext_listener {
	struct MHD_Daemon *mhd;
};

static vg_mhd_result on_request(void *cls, struct MHD_Connection *c, const char *url,
				const char *method, const char *version, const char *upload,
				size_t *upload_size, void **con_cls)
{
	struct vg_http_req *req;
	if (!vg_http_collect(con_cls, upload, upload_size, BATCH_MAX, &req))
		return MHD_YES;
	/* Never log here: this process subscribes to its own extension logs
	 * and every line would come back as a new batch. */
	if (strcmp(method, "POST"))
		return vg_http_reply(c, 405, "text/plain", "POST only\n", 10);
	return vg_http_reply(c, 200, "text/plain", "OK", 2);
}

int ext_listener_start(uint16_t port, struct ext_listener **out)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct ext_listener *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	l->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, port, NULL, NULL,
				  on_request, l, MHD_OPTION_SOCK_ADDR, &a,
				  MHD_OPTION_NOTIFY_COMPLETED, vg_http_completed, NULL,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				  MHD_OPTION_END);
	if (!l->mhd) {
		free(l);
		return -EADDRINUSE;
	}
	*out = l;
	return 0;
}

void ext_listener_stop(struct ext_listener *l)
{
	if (!l)
		return;
	MHD_stop_daemon(l->mhd);
	free(l);
}
