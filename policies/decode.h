/* Decoders that turn an event's encoded fields into what the function's code
 * will see (private to policies/). Every one is linear in its input, writes
 * into a caller-sized or capped output and never reads past n. */
#ifndef POL_DECODE_H
#define POL_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vg_buf.h"

/* Percent-decodes s[0..n) into out (at least n bytes); '+' becomes a space
 * when plus is set (query strings, form bodies, S3 keys). Returns the length.
 * Malformed escapes stay as they are, as lenient servers leave them. */
size_t pol_url_decode(const char *s, size_t n, char *out, bool plus);

/* Standard or URL-safe base64, padding optional, whitespace skipped; out
 * needs n / 4 * 3 + 3 bytes. Returns the length, or -1 when s is not base64. */
long pol_base64_decode(const char *s, size_t n, char *out);

/* Inflates gzip or zlib data into out, refusing to grow it past its cap
 * (a zip bomb costs at most the cap). 0, -EINVAL (not compressed data),
 * -ENOBUFS (output over the cap; out holds the first part), -ENOMEM. */
int pol_gunzip(const char *s, size_t n, struct vg_buf *out);
/* Same, giving up with -ETIME (out holds what was inflated) once the
 * monotonic clock (vg_mono_ns) passes deadline_ns (0: never). */
int pol_gunzip_until(const char *s, size_t n, struct vg_buf *out, uint64_t deadline_ns);

/* 1 when s starts with the gzip magic. */
static inline bool pol_is_gzip(const char *s, size_t n)
{
	return n >= 2 && (unsigned char)s[0] == 0x1f && (unsigned char)s[1] == 0x8b;
}

/* Splits s[0..n) at sep (form bodies: '&'; cookies: ';'), then each piece at
 * '=', trimming spaces around cookie pieces when trim is set. Calls fn for
 * every piece with its name and value (not decoded). Stops when fn returns
 * nonzero and returns that. */
typedef int (*pol_pair_fn)(void *arg, const char *name, size_t nn, const char *val, size_t vn);
int pol_pairs_each(const char *s, size_t n, char sep, bool trim, pol_pair_fn fn, void *arg);

/* The boundary parameter of a multipart Content-Type; 0 or -EINVAL. */
int pol_multipart_boundary(const char *ct, size_t n, const char **b, size_t *bn);

/* Calls fn for each part of a multipart body: its field name (from
 * Content-Disposition), its file name (or NULL), its Content-Type (or NULL)
 * and its data. At most max_parts parts. Stops when fn returns nonzero. */
struct pol_part {
	const char *name, *filename, *type, *data;
	size_t name_len, filename_len, type_len, data_len;
};
typedef int (*pol_part_fn)(void *arg, const struct pol_part *part);
int pol_multipart_each(const char *s, size_t n, const char *b, size_t bn, size_t max_parts,
                       pol_part_fn fn, void *arg);

/* Case-insensitive search for needle in s[0..n); the offset or -1. */
long pol_memcasemem(const char *s, size_t n, const char *needle, size_t nn);

#endif
