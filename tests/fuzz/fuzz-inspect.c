/* Fuzz target: the whole extraction and decoding path. The input is an
 * event; it is inspected in block mode, its block response built, and its
 * findings serialised. The bytes are also fed to each decoder directly.
 * Must never crash, leak or read out of bounds, whatever the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "pol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pol_engine *eng;

static int visit_pair(void *arg, const char *k, size_t kn, const char *v, size_t vn)
{
	(void)arg;
	return (kn + vn) == (size_t)-1; /* touch nothing; the bounds are the test */
}

static int visit_part(void *arg, const struct pol_part *p)
{
	size_t *total = arg;
	*total += p->data_len + p->name_len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!eng && pol_engine_new(&eng, NULL, 0, POL_MODE_BLOCK, NULL, 0))
		abort();
	/* a copy of exactly size bytes, so that reading past it is caught */
	char *s = malloc(size ? size : 1);
	memcpy(s, data, size);

	struct pol_result *r;
	if (pol_inspect(eng, s, size, &r) == 0) {
		struct vg_buf b = VG_BUF_INIT(1 << 20);
		const char *type;
		pol_result_findings_json(r, &b);
		vg_buf_reset(&b);
		pol_block_response(r, &b, &type);
		vg_buf_fini(&b);
		pol_result_free(r);
	}

	char *out = malloc(size + 8);
	pol_url_decode(s, size, out, true);
	pol_base64_decode(s, size, out);
	free(out);
	struct vg_buf z = VG_BUF_INIT(1 << 20);
	pol_gunzip(s, size, &z);
	vg_buf_fini(&z);
	pol_pairs_each(s, size, '&', false, visit_pair, NULL);
	pol_pairs_each(s, size, ';', true, visit_pair, NULL);
	size_t total = 0;
	/* first line as a Content-Type, the rest as a multipart body */
	const char *nl = memchr(s, '\n', size);
	const char *b;
	size_t bn;
	if (nl && pol_multipart_boundary(s, (size_t)(nl - s), &b, &bn) == 0)
		pol_multipart_each(nl + 1, size - (size_t)(nl + 1 - s), b, bn, 64, visit_part, &total);
	free(s);
	return 0;
}
