/* vigil-collector: receives Vigil's alerts over OTLP/HTTP, stores them in
 * SQLite and shows them in a web UI. See README.md. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "col_server.h"
#include "col_store.h"
#include "vg_log.h"
#include "vg_time.h"
#include "vg_util.h"

struct config {
	char host[256];
	uint16_t port;
	const char *db;
	struct col_server_opts srv;
	struct col_store_opts store;
	int64_t retention_interval_s;
};

static void usage(FILE *f)
{
	fputs(
	    "usage: vigil-collector [OPTIONS]\n"
	    "  --listen HOST:PORT      listen address; port 0 picks a free one (127.0.0.1:4318)\n"
	    "  --db FILE               SQLite database (./vigil-alerts.db)\n"
	    "  --token TOKEN           bearer token required for ingest (or "
	    "VIGIL_COLLECTOR_TOKEN)\n"
	    "  --max-body BYTES        request body cap (4194304)\n"
	    "  --max-inflated BYTES    cap on a gzip body once inflated (16777216)\n"
	    "  --rate N                ingest requests per second per client; 0: no limit (1000)\n"
	    "  --burst N               bucket size of the rate limit (2 x rate)\n"
	    "  --max-alerts N          keep at most N alerts; 0: no limit (5000000)\n"
	    "  --max-age DURATION      drop alerts older than this, e.g. 30d, 12h; 0: never (30d)\n"
	    "  --retention-interval S  seconds between age-retention passes (60)\n"
	    "  --sync full|normal      SQLite synchronous setting (full)\n"
	    "  --forward URL           relay accepted records to this OTLP/HTTP logs endpoint\n"
	    "  --forward-token TOKEN   bearer token for the forward endpoint\n"
	    "  --forward-queue N       batches held for forwarding before dropping (1024)\n"
	    "  --log-level LEVEL       error, warn, info, debug (info)\n"
	    "  --help\n",
	    f);
}

/* HOST:PORT with a port in 0..65535 (0: the kernel chooses). */
static int parse_listen(const char *s, char *host, size_t hostn, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	int64_t p;
	size_t n;

	if (!colon || vg_parse_i64(colon + 1, 0, 65535, &p) < 0)
		return -EINVAL;
	n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (!n || n >= hostn)
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	*port = (uint16_t)p;
	return 0;
}

static int parse_duration_s(const char *s, int64_t *out)
{
	size_t n = strlen(s);
	int64_t v, unit = 1;

	if (n && strchr("smhd", s[n - 1])) {
		unit = s[n - 1] == 's' ? 1 : s[n - 1] == 'm' ? 60 : s[n - 1] == 'h' ? 3600 : 86400;
		n--;
	}
	if (vg_parse_i64n(s, n, 0, 100LL * 365 * 86400, &v) < 0 || v > 100LL * 365 * 86400 / unit)
		return -EINVAL;
	*out = v * unit;
	return 0;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	enum {
		O_LISTEN = 256,
		O_DB,
		O_TOKEN,
		O_MAX_BODY,
		O_MAX_INFL,
		O_RATE,
		O_BURST,
		O_MAX_ALERTS,
		O_MAX_AGE,
		O_RET_INT,
		O_SYNC,
		O_FORWARD,
		O_FWD_TOKEN,
		O_FWD_QUEUE,
		O_LOG,
		O_HELP
	};
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, O_LISTEN},
	    {"db", required_argument, NULL, O_DB},
	    {"token", required_argument, NULL, O_TOKEN},
	    {"max-body", required_argument, NULL, O_MAX_BODY},
	    {"max-inflated", required_argument, NULL, O_MAX_INFL},
	    {"rate", required_argument, NULL, O_RATE},
	    {"burst", required_argument, NULL, O_BURST},
	    {"max-alerts", required_argument, NULL, O_MAX_ALERTS},
	    {"max-age", required_argument, NULL, O_MAX_AGE},
	    {"retention-interval", required_argument, NULL, O_RET_INT},
	    {"sync", required_argument, NULL, O_SYNC},
	    {"forward", required_argument, NULL, O_FORWARD},
	    {"forward-token", required_argument, NULL, O_FWD_TOKEN},
	    {"forward-queue", required_argument, NULL, O_FWD_QUEUE},
	    {"log-level", required_argument, NULL, O_LOG},
	    {"help", no_argument, NULL, O_HELP},
	    {0, 0, 0, 0},
	};
	int64_t v, burst = -1;
	enum vg_log_level level;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *a = optarg;
		switch (o) {
		case O_LISTEN:
			if (parse_listen(a, cfg->host, sizeof(cfg->host), &cfg->port) < 0)
				goto bad;
			break;
		case O_DB:
			cfg->db = a;
			break;
		case O_TOKEN:
			cfg->srv.token = a;
			break;
		case O_MAX_BODY:
			if (vg_parse_i64(a, 1024, 1LL << 30, &v) < 0)
				goto bad;
			cfg->srv.max_body = (size_t)v;
			break;
		case O_MAX_INFL:
			if (vg_parse_i64(a, 1024, 1LL << 30, &v) < 0)
				goto bad;
			cfg->srv.max_inflated = (size_t)v;
			break;
		case O_RATE:
			if (vg_parse_i64(a, 0, 1000000, &v) < 0)
				goto bad;
			cfg->srv.rate = (double)v;
			break;
		case O_BURST:
			if (vg_parse_i64(a, 1, 10000000, &burst) < 0)
				goto bad;
			break;
		case O_MAX_ALERTS:
			if (vg_parse_i64(a, 0, INT64_MAX / 2, &cfg->store.max_alerts) < 0)
				goto bad;
			break;
		case O_MAX_AGE:
			if (parse_duration_s(a, &cfg->store.max_age_s) < 0)
				goto bad;
			break;
		case O_RET_INT:
			if (vg_parse_i64(a, 1, 86400, &cfg->retention_interval_s) < 0)
				goto bad;
			break;
		case O_SYNC:
			if (!strcmp(a, "full"))
				cfg->store.sync_full = true;
			else if (!strcmp(a, "normal"))
				cfg->store.sync_full = false;
			else
				goto bad;
			break;
		case O_FORWARD:
			if (strncmp(a, "http://", 7) != 0 && strncmp(a, "https://", 8) != 0)
				goto bad;
			cfg->srv.forward_url = a;
			break;
		case O_FWD_TOKEN:
			cfg->srv.forward_token = a;
			break;
		case O_FWD_QUEUE:
			if (vg_parse_i64(a, 1, 1000000, &v) < 0)
				goto bad;
			cfg->srv.forward_queue = (size_t)v;
			break;
		case O_LOG:
			if (vg_log_level_parse(a, &level) < 0)
				goto bad;
			vg_log_threshold = level;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		continue;
	bad:
		fprintf(stderr, "vigil-collector: bad value for --%s: %s\n",
		        opts[o - O_LISTEN].name, a);
		return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "vigil-collector: unexpected argument: %s\n", argv[optind]);
		return -EINVAL;
	}
	cfg->srv.burst = burst > 0 ? (double)burst : 2 * cfg->srv.rate;
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg = {
	    .host = "127.0.0.1",
	    .port = 4318,
	    .db = "./vigil-alerts.db",
	    .srv = {.max_body = 4u << 20,
	            .max_inflated = 16u << 20,
	            .rate = 1000,
	            .forward_queue = 1024,
	            .max_connections = 256},
	    .store = {.sync_full = true, .max_alerts = 5000000, .max_age_s = 30 * 86400},
	    .retention_interval_s = 60,
	};
	struct col_store *store = NULL;
	struct col_server *srv = NULL;
	sigset_t sigs;
	int rc = 1;

	vg_log_init("collector", VG_LOG_INFO);
	if (parse_args(argc, argv, &cfg) < 0)
		return 2;
	if (!cfg.srv.token && getenv("VIGIL_COLLECTOR_TOKEN") && *getenv("VIGIL_COLLECTOR_TOKEN"))
		cfg.srv.token = getenv("VIGIL_COLLECTOR_TOKEN");
	cfg.srv.host = cfg.host;
	cfg.srv.port = cfg.port;
	cfg.store.path = cfg.db;

	/* Signals are taken synchronously by this thread; every thread started
	 * from here on inherits the blocked mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	if (col_store_open(&cfg.store, &store) < 0)
		goto out;
	col_store_retain(store, (int64_t)vg_epoch_ns(), NULL);
	if (col_server_new(&cfg.srv, store, &srv) < 0)
		goto out;
	/* The readiness line: tests and scripts read the bound port from it. */
	fprintf(stderr, "vigil-collector: listening on http://%s%s%s:%u/ (db %s%s)\n",
	        strchr(cfg.host, ':') ? "[" : "", cfg.host, strchr(cfg.host, ':') ? "]" : "",
	        col_server_port(srv), cfg.db, cfg.srv.token ? ", token required" : "");
	fflush(stderr);

	for (;;) {
		struct timespec ts = {.tv_sec = cfg.retention_interval_s};
		int sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (sig < 0 && errno == EAGAIN) {
			int64_t deleted = 0;
			if (col_store_retain(store, (int64_t)vg_epoch_ns(), &deleted) == 0 &&
			    deleted)
				vg_log_info("retention removed %lld alerts", (long long)deleted);
		}
	}
	vg_log_info("stopping");
	rc = 0;
out:
	col_server_free(srv);
	col_store_free(store);
	curl_global_cleanup();
	return rc;
}
