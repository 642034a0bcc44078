/* Fuzz target: a Telemetry API batch through the whole pipeline (record
 * parsing, every detector, the secret scanner and redaction), plus the
 * scanner and the (name, value) check on the raw bytes. Must never crash,
 * leak or read out of bounds, whatever the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tel_pipeline.h"
#include "tel_secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tel_pipeline *pipeline;

static void sink_emit(void *ctx, const struct tel_alert *a)
{
	size_t *total = ctx;
	*total += strlen(a->category) + (a->excerpt ? strlen(a->excerpt) : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static size_t total;
	static struct tel_sink sink = {sink_emit, &total};
	if (!pipeline && tel_pipeline_new(NULL, &sink, &pipeline) < 0)
		abort();
	/* An exact-size copy: nothing may lean on a terminator. */
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	tel_pipeline_feed(pipeline, copy, size);

	struct tel_secret_hit hits[8];
	unsigned n = tel_secrets_scan(copy, size, hits, 8);
	struct vg_buf red = VG_BUF_INIT(size * 2 + 64);
	if (tel_secrets_redact(&red, copy, size, hits, n) == 0 && n && red.len > size + 16 * n)
		abort(); /* redaction never grows a text by more than its markers */
	vg_buf_fini(&red);
	/* Redacting all of them finds what the scan found, first at the same
	 * place. */
	struct vg_buf all = VG_BUF_INIT(size * 3 + 64);
	uint32_t kinds;
	size_t first;
	int found = tel_secrets_redact_all(&all, copy, size, &kinds, &first);
	if (found >= 0 && (found > 0) != (n > 0))
		abort();
	if (found > 0 && (first != hits[0].off || !(kinds & (1u << hits[0].kind))))
		abort();
	vg_buf_fini(&all);
	size_t cut = size / 3;
	tel_secrets_scan_pair(copy, cut, copy + cut, size - cut, hits);
	free(copy);
	return 0;
}
