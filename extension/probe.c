#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "px_client.h"
#include "px_proxy.h"
#include "tel_alert.h"
#include "vg_util.h"

int ext_probe_main(int argc, char **argv)
{
	int64_t port = 9009, timeout = 100;
	const char *p = getenv("VIGIL_PROXY_PORT");
	char hp[32], why[160];
	struct px_pool pool;
	struct px_resp r;

	if (argc >= 3 && !strcmp(argv[1], "--timeout-ms") &&
	    vg_parse_i64(argv[2], 1, 60000, &timeout) < 0) {
		fprintf(stderr, "usage: vigil probe [--timeout-ms 1..60000]\n");
		return 2;
	}
	if (p && *p && vg_parse_i64(p, 1, 65535, &port) < 0) {
		snprintf(why, sizeof(why), "VIGIL_PROXY_PORT=\"%.32s\" is not a port", p);
		goto bypassed;
	}
	snprintf(hp, sizeof(hp), "127.0.0.1:%lld", (long long)port);
	px_pool_init(&pool, hp);
	px_resp_init(&r);
	int ret = px_request(&pool, "GET", PX_READY_PATH, NULL, NULL, 0, &r, 4096, (int)timeout);
	int status = r.status;
	px_resp_fini(&r);
	px_pool_fini(&pool);
	if (ret == 0 && status == 200)
		return 0;
	if (ret < 0)
		snprintf(why, sizeof(why), "proxy on %s did not answer within %lld ms (%s)", hp,
		         (long long)timeout, strerror(-ret));
	else
		snprintf(why, sizeof(why), "proxy on %s answered %d to the readiness probe", hp,
		         status);
bypassed:
	fprintf(stderr, "vigil: %s; the runtime talks to Lambda directly\n", why);
	struct tel_alert a = {.kind = "health",
	                      .category = "proxy_bypassed",
	                      .rule = "vigil.wrapper",
	                      .severity = "ERROR",
	                      .summary = why};
	tel_alert_print(STDOUT_FILENO, &a);
	return 1;
}
