/* Batch mode (--events FILE): one invoke per NDJSON line, one JSON line per
 * event on stdout: {"n":1,"requestId":"…","status":"success","response":…,
 * "durationMs":1.9}. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "vg_log.h"

/* Reads one line (without its newline) into b, which caps it. 1 for a line,
 * 0 at end of file; a line over the cap is skipped to its end and reported
 * by *too_long. */
static int read_line(FILE *f, struct vg_buf *b, bool *too_long)
{
	int ch, got = 0;

	vg_buf_reset(b);
	*too_long = false;
	while ((ch = getc_unlocked(f)) != EOF) {
		got = 1;
		if (ch == '\n')
			break;
		if (!*too_long && vg_buf_putc(b, (char)ch) < 0)
			*too_long = true;
	}
	return got;
}

static bool blank(const struct vg_buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (!strchr(" \t\r", b->data[i]))
			return false;
	return true;
}

void sbx_batch_line(struct vg_buf *out, unsigned n, const struct sbx_result *res)
{
	cJSON *parsed = res->body ? cJSON_ParseWithLength(res->body, res->body_len) : NULL;

	vg_buf_printf(out, "{\"n\":%u,\"requestId\":\"%s\",\"status\":\"%s\"", n, res->request_id,
	              res->status);
	if (res->error_type[0]) {
		vg_buf_puts(out, ",\"errorType\":");
		vg_buf_json_str(out, res->error_type, strlen(res->error_type));
	}
	vg_buf_puts(out, ",\"response\":");
	if (parsed) {
		/* A JSON response is embedded as JSON, anything else as a string. */
		char *text = cJSON_PrintUnformatted(parsed);
		if (text)
			vg_buf_puts(out, text);
		else
			vg_buf_puts(out, "null");
		cJSON_free(text);
	} else {
		vg_buf_json_str(out, res->body ? res->body : "", res->body ? res->body_len : 0);
	}
	cJSON_Delete(parsed);
	vg_buf_printf(out, ",\"durationMs\":%.3f}\n", round(res->duration_ms * 1000.0) / 1000.0);
}

int sbx_batch_run(struct sbx *s, const char *path)
{
	struct vg_buf line = VG_BUF_INIT(SBX_PAYLOAD_MAX),
	              out = VG_BUF_INIT(7 * (size_t)SBX_PAYLOAD_MAX);
	FILE *f = fopen(path, "r");
	unsigned n = 0;
	bool too_long;

	if (!f) {
		int e = errno;
		vg_log_error("cannot read %s: %s", path, strerror(e));
		return -e;
	}
	while (read_line(f, &line, &too_long)) {
		struct sbx_result res;
		if (!too_long && blank(&line))
			continue;
		n++;
		if (too_long) {
			printf(
			    "{\"n\":%u,\"requestId\":null,\"status\":\"error\",\"errorType\":"
			    "\"RequestEntityTooLarge\",\"response\":{\"errorMessage\":\"Exceeded "
			    "maximum allowed payload size (%u bytes).\",\"errorType\":"
			    "\"RequestEntityTooLarge\"},\"durationMs\":0}\n",
			    n, SBX_PAYLOAD_MAX);
			fflush(stdout);
			continue;
		}
		struct sbx_invoke_req req = {.event = line.data, .event_len = line.len};
		if (sbx_invoke(s, &req, &res) < 0)
			break; /* stopping */
		vg_buf_reset(&out);
		sbx_batch_line(&out, n, &res);
		fwrite(out.data, 1, out.len, stdout);
		fflush(stdout);
		sbx_result_fini(&res);
	}
	fclose(f);
	vg_buf_fini(&line);
	vg_buf_fini(&out);
	return 0;
}
