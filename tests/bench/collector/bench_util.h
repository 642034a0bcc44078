/* Helpers for the collector benchmarks: run vigil-collector on a free port,
 * time HTTP requests over one keep-alive connection, summarise latencies. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bench_collector {
	pid_t pid;
	unsigned port;
};

/* Starts BUILD/collector/vigil-collector --listen 127.0.0.1:0 --db db plus
 * extra (NULL-terminated) and waits for its readiness line. 0 or -1. */
int bench_collector_start(struct bench_collector *c, const char *db, const char *const *extra);
/* Stops it; returns the CPU seconds (user + system) it used. */
double bench_collector_stop(struct bench_collector *c);

/* A curl handle for 127.0.0.1 that keeps its connection and discards or
 * collects the body. */
CURL *bench_curl(void);
/* GET url; returns the status (0 on a transport error). */
long bench_get(CURL *h, const char *url);

int bench_cmp_double(const void *a, const void *b);
/* Sorts v and returns the p-th percentile (0..100). */
double bench_percentile(double *v, size_t n, double p);

#endif
