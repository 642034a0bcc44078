#include "vg_buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vg_buf_init(struct vg_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void vg_buf_fini(struct vg_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void vg_buf_reset(struct vg_buf *b)
{
	vg_buf_truncate(b, 0);
}

void vg_buf_truncate(struct vg_buf *b, size_t len)
{
	if (len > b->len)
		return;
	b->len = len;
	if (b->data)
		b->data[len] = '\0';
}

int vg_buf_reserve(struct vg_buf *b, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return -ENOBUFS;
	size_t need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	/* Never allocate far beyond what the cap allows. */
	if (cap > b->max + 1)
		cap = b->max + 1;
	char *p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int vg_buf_append(struct vg_buf *b, const void *p, size_t n)
{
	int r = vg_buf_reserve(b, n);
	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int vg_buf_puts(struct vg_buf *b, const char *s)
{
	return vg_buf_append(b, s, strlen(s));
}

int vg_buf_putc(struct vg_buf *b, char c)
{
	return vg_buf_append(b, &c, 1);
}

int vg_buf_vprintf(struct vg_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	char small[256];

	va_copy(aq, ap);
	int n = vsnprintf(small, sizeof(small), fmt, aq);
	va_end(aq);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return vg_buf_append(b, small, (size_t)n);

	int r = vg_buf_reserve(b, (size_t)n);
	if (r < 0)
		return r;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int vg_buf_printf(struct vg_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vg_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int vg_buf_json_str(struct vg_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t start_len = b->len;
	int r = vg_buf_putc(b, '"');

	for (size_t i = 0; r == 0 && i < n;) {
		unsigned char c = p[i];
		size_t run = i;

		/* Copy the longest run of bytes that need no escaping at once. */
		while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' &&
		       p[run] != '\\')
			run++;
		if (run > i) {
			r = vg_buf_append(b, p + i, run - i);
			i = run;
			continue;
		}
		c = p[i];
		if (c >= 0x80) {
			size_t len = utf8_seq(p + i, n - i);
			if (len) {
				r = vg_buf_append(b, p + i, len);
				i += len;
			} else {
				r = vg_buf_append(b, "\\ufffd", 6);
				i++;
			}
			continue;
		}
		switch (c) {
		case '"':
			r = vg_buf_append(b, "\\\"", 2);
			break;
		case '\\':
			r = vg_buf_append(b, "\\\\", 2);
			break;
		case '\n':
			r = vg_buf_append(b, "\\n", 2);
			break;
		case '\r':
			r = vg_buf_append(b, "\\r", 2);
			break;
		case '\t':
			r = vg_buf_append(b, "\\t", 2);
			break;
		default: {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			r = vg_buf_append(b, esc, 6);
		}
		}
		i++;
	}
	if (r == 0)
		r = vg_buf_putc(b, '"');
	if (r < 0)
		vg_buf_truncate(b, start_len);
	return r;
}

char *vg_buf_steal(struct vg_buf *b, size_t *len)
{
	char *p = b->data;
	if (len)
		*len = b->len;
	if (!p)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
