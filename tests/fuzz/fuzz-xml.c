/* Fuzz target: the XML reader, alone and inside extraction. The input is a
 * document: it is sniffed, read at two depth limits (every value's bounds
 * touched), then sent as the XML body of an HTTP event and, as a string,
 * inside an SQS message, and inspected. Must never crash, leak, recurse
 * without bound or read out of bounds, whatever the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pol.h"
#include "vg_buf.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pol_engine *eng;

static int touch(void *arg, const struct pol_xml_item *it)
{
	size_t *sum = arg;
	/* read every byte handed out, so that a bad bound is caught */
	for (size_t i = 0; i < it->len; i++)
		*sum += (unsigned char)it->val[i];
	for (size_t i = 0; i < it->name_len; i++)
		*sum += (unsigned char)it->name[i];
	*sum += strlen(it->path) == it->path_len;
	return 0;
}

/* s as the content of a JSON string */
static void json_str(struct vg_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			vg_buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			vg_buf_printf(b, "\\u%04x", c);
		else
			vg_buf_putc(b, (char)c);
	}
}

static void inspect(const struct vg_buf *ev)
{
	struct pol_result *r;
	if (pol_inspect(eng, ev->data, ev->len, &r) == 0) {
		struct vg_buf b = VG_BUF_INIT(1 << 20);
		pol_result_findings_json(r, &b);
		vg_buf_fini(&b);
		pol_result_free(r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!eng && pol_engine_new(&eng, NULL, 0, POL_MODE_MONITOR, NULL, 0))
		abort();
	/* a copy of exactly size bytes, so that reading past it is caught */
	char *s = malloc(size ? size : 1);
	memcpy(s, data, size);

	size_t sum = 0;
	bool deep;
	(void)pol_xml_sniff(s, size);
	pol_xml_each(s, size, 64, 0, touch, &sum, &deep);
	pol_xml_each(s, size, 2, 0, touch, &sum, &deep);
	pol_xml_each(s, size, 0, 0, NULL, NULL, &deep);

	struct vg_buf ev = VG_BUF_INIT(1 << 24);
	vg_buf_puts(&ev, "{\"version\":\"2.0\",\"routeKey\":\"POST /\",\"rawPath\":\"/\","
	                 "\"requestContext\":{\"http\":{\"method\":\"POST\"}},"
	                 "\"headers\":{\"content-type\":\"text/xml\"},\"body\":\"");
	json_str(&ev, s, size);
	vg_buf_puts(&ev, "\",\"isBase64Encoded\":false}");
	inspect(&ev);
	vg_buf_reset(&ev);
	vg_buf_puts(&ev, "{\"Records\":[{\"messageId\":\"1\",\"eventSource\":\"aws:sqs\","
	                 "\"body\":\"");
	json_str(&ev, s, size);
	vg_buf_puts(&ev, "\"}]}");
	inspect(&ev);
	vg_buf_fini(&ev);
	free(s);
	return 0;
}
