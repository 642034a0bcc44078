/* Capped, growable byte buffers.
 *
 * Every buffer whose size comes from outside (an event, a header, a telemetry
 * batch, an OTLP body) is a vg_buf with a cap: it refuses to grow past the cap
 * with -ENOBUFS and never aborts. The contents are always NUL-terminated (the
 * terminator is not counted in len), so text can be handed to C string APIs,
 * but callers that handle untrusted bytes must use len, not strlen().
 */
#ifndef VG_BUF_H
#define VG_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct vg_buf {
	char *data; /* NULL until the first append */
	size_t len; /* bytes held, excluding the terminator */
	size_t cap; /* bytes allocated */
	size_t max; /* the cap: len never exceeds it */
};

#define VG_BUF_INIT(max_)                                                                          \
	{                                                                                          \
		NULL, 0, 0, (max_)                                                                 \
	}

void vg_buf_init(struct vg_buf *b, size_t max);
void vg_buf_fini(struct vg_buf *b);
/* Forget the contents, keep the memory. */
void vg_buf_reset(struct vg_buf *b);
/* Cut the contents back to their first len bytes (len <= b->len): how a
 * writer undoes a partly appended piece. */
void vg_buf_truncate(struct vg_buf *b, size_t len);

/* 0, -ENOBUFS when the result would exceed the cap, -ENOMEM. On error the
 * buffer is unchanged. */
int vg_buf_append(struct vg_buf *b, const void *p, size_t n);
int vg_buf_puts(struct vg_buf *b, const char *s);
int vg_buf_putc(struct vg_buf *b, char c);
int vg_buf_printf(struct vg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vg_buf_vprintf(struct vg_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Make room for n more bytes without changing len. */
int vg_buf_reserve(struct vg_buf *b, size_t n);

/* Append s[0..n) as a JSON string literal, quotes included. Invalid UTF-8
 * bytes become U+FFFD so the output is always valid JSON. */
int vg_buf_json_str(struct vg_buf *b, const char *s, size_t n);

/* Hand the contents to the caller (free() them); the buffer is left empty.
 * Returns an empty allocated string for an empty buffer, NULL on -ENOMEM. */
char *vg_buf_steal(struct vg_buf *b, size_t *len);

#endif
