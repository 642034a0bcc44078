/* The extension's configuration: one declarative table of environment
 * variables (name, type, default, bounds, help), parsed and validated once at
 * start. The README's table is generated from it (`vigil config --markdown`)
 * and a test compares the two. */
#ifndef EXT_CONFIG_H
#define EXT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vg_log.h"

enum ext_mode { EXT_MODE_MONITOR = 0, EXT_MODE_BLOCK };
enum ext_fail { EXT_FAIL_OPEN = 0, EXT_FAIL_CLOSED };

struct ext_config {
	enum ext_mode mode;
	const char *policy; /* NULL: the built-in policy only */
	int64_t paranoia;   /* 1..4, under the policy files */
	uint16_t proxy_port;
	uint16_t telemetry_port;
	const char *collector_url;          /* NULL: alerts go to stdout only */
	const char *collector_token;        /* secret: never logged */
	const char *collector_token_secret; /* Secrets Manager id (tel_secret_store reads it) */
	const char *collector_token_param;  /* SSM parameter (same) */
	const char *aws_endpoint_url;       /* stand-in for the AWS endpoints (same) */
	enum ext_fail fail;
	enum vg_log_level log_level;
	int64_t telemetry_max_items;
	int64_t telemetry_max_bytes;
	int64_t telemetry_timeout_ms;
	int64_t flush_invoke_ms; /* sending an invocation's alerts, after the answer */
	/* alert export (tel_export_opts) */
	int64_t export_queue_records;
	int64_t export_queue_bytes;
	int64_t export_batch_records;
	int64_t export_batch_bytes;
	int export_gzip; /* 0 off, 1 on */
	int64_t export_timeout_ms;
	/* telemetry detectors (tel_config) */
	double tel_memory_share;
	int64_t tel_duration_warmup;
	int64_t tel_duration_window;
	double tel_duration_k;
	double tel_duration_min_ms;
	int64_t tel_surge_bucket_s;
	int64_t tel_surge_window;
	int64_t tel_surge_warmup;
	double tel_surge_ratio;
	int64_t tel_surge_min;
	int64_t tel_requests_max;
	int64_t tel_alert_window_s;
	int tel_secrets; /* 0 off, 1 on */
	int64_t tel_body_max;
};

/* Reads the environment into c. 0, or -EINVAL with a one-line message in
 * err naming the variable, the value and what is allowed. The strings in c
 * point into the environment. */
int ext_config_load(struct ext_config *c, char *err, size_t errn);
/* The table as Markdown (the README's configuration table). */
void ext_config_markdown(FILE *out);

#endif
