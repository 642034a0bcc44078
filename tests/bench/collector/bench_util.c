#include "bench_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int bench_collector_start(struct bench_collector *c, const char *db, const char *const *extra)
{
	const char *build = getenv("VIGIL_BUILD_ROOT");
	char bin[1024], line[1024];
	const char *argv[32];
	int fds[2], n = 0;

	snprintf(bin, sizeof(bin), "%s/collector/vigil-collector", build ? build : "build");
	argv[n++] = bin;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--db";
	argv[n++] = db;
	for (; extra && *extra && n < 30; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	if (pipe(fds) < 0)
		return -1;
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "listening on http://127.0.0.1:");
		if (p) {
			c->port = (unsigned)atoi(p + strlen("listening on http://127.0.0.1:"));
			/* Leave stderr to a child that drains it. */
			if (fork() == 0) {
				while (fgets(line, sizeof(line), f))
					;
				_exit(0);
			}
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	fprintf(stderr, "bench: %s did not start\n", bin);
	return -1;
}

double bench_collector_stop(struct bench_collector *c)
{
	struct rusage ru = {0};
	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		wait4(c->pid, NULL, 0, &ru);
		c->pid = 0;
	}
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static size_t discard(char *p, size_t s, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return s * n;
}

CURL *bench_curl(void)
{
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	return h;
}

long bench_get(CURL *h, const char *url)
{
	long status = 0;
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (curl_easy_perform(h) != CURLE_OK)
		return 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double bench_percentile(double *v, size_t n, double p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}
