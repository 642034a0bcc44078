/* Fuzz target for the OTLP/HTTP JSON parser and the gzip path in front of
 * it. Build with clang -fsanitize=fuzzer,address against the collector
 * library for a real fuzzing run; meson replays the seed corpus in
 * fuzz-otlp-corpus/ through fuzz-replay.c in every test run. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "col_gzip.h"
#include "col_otlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct col_batch *b = NULL;
	struct vg_buf inflated = VG_BUF_INIT(1 << 20);

	/* A gzip magic number sends the input through inflation first. */
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		if (col_gunzip(data, size, &inflated) == 0 && inflated.data) {
			data = (const uint8_t *)inflated.data;
			size = inflated.len;
		}
	}
	if (col_otlp_parse((const char *)data, size, &b, NULL, 0) == 0) {
		/* Everything accepted must serialise and parse again whole. */
		char *json = col_batch_json(b, NULL);
		struct col_batch *again = NULL;
		if (json && col_otlp_parse(json, strlen(json), &again, NULL, 0) == 0) {
			if (again->n != b->n || again->rejected)
				abort();
			col_batch_free(again);
		}
		free(json);
		col_batch_free(b);
	}
	vg_buf_fini(&inflated);
	return 0;
}
