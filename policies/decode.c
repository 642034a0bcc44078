/* Decoders for encoded event fields: see decode.h. */
#include "decode.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "detect_chars.h"
#include "vg_time.h"

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

size_t pol_url_decode(const char *s, size_t n, char *out, bool plus)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%' && n - i > 2) {
			int h = hexval((unsigned char)s[i + 1]),
			    l = hexval((unsigned char)s[i + 2]);
			if (h >= 0 && l >= 0) {
				out[o++] = (char)(h << 4 | l);
				i += 2;
				continue;
			}
		}
		out[o++] = plus && c == '+' ? ' ' : c;
	}
	return o;
}

long pol_base64_decode(const char *s, size_t n, char *out)
{
	unsigned acc = 0, bits = 0;
	size_t o = 0, pad = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		int v = ch_b64val(c);
		if (v < 0 || pad)
			return -1;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	if (pad > 2 || bits >= 6)
		return -1;
	return (long)o;
}

int pol_gunzip(const char *s, size_t n, struct vg_buf *out)
{
	return pol_gunzip_until(s, n, out, 0);
}

int pol_gunzip_until(const char *s, size_t n, struct vg_buf *out, uint64_t deadline_ns)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)(uintptr_t)s;
	z.avail_in = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
	int r = 0;
	for (;;) {
		size_t room = out->max - out->len;
		if (room == 0) {
			r = -ENOBUFS;
			break;
		}
		/* one reading per 64 KB of output: a few microseconds of inflate */
		if (deadline_ns && out->len && vg_mono_ns() > deadline_ns) {
			r = -ETIME;
			break;
		}
		size_t want = room < 65536 ? room : 65536;
		if ((r = vg_buf_reserve(out, want)))
			break;
		z.next_out = (Bytef *)out->data + out->len;
		z.avail_out = (uInt)want;
		int zr = inflate(&z, Z_NO_FLUSH);
		out->len += want - z.avail_out;
		out->data[out->len] = '\0';
		if (zr == Z_STREAM_END) {
			r = 0;
			break;
		}
		if (zr == Z_BUF_ERROR && z.avail_in == 0) {
			r = -EINVAL; /* truncated stream */
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			r = zr == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
			break;
		}
	}
	inflateEnd(&z);
	return r;
}

int pol_pairs_each(const char *s, size_t n, char sep, bool trim, pol_pair_fn fn, void *arg)
{
	size_t i = 0;
	while (i < n) {
		const char *e = memchr(s + i, sep, n - i);
		size_t end = e ? (size_t)(e - s) : n;
		size_t a = i, b = end;
		if (trim) {
			while (a < b && (s[a] == ' ' || s[a] == '\t'))
				a++;
			while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
				b--;
		}
		if (b > a) {
			const char *eq = memchr(s + a, '=', b - a);
			int r = eq ? fn(arg, s + a, (size_t)(eq - (s + a)), eq + 1,
			                (size_t)(s + b - eq - 1))
			           : fn(arg, s + a, b - a, s + b, 0);
			if (r)
				return r;
		}
		i = end + 1;
	}
	return 0;
}

long pol_memcasemem(const char *s, size_t n, const char *needle, size_t nn)
{
	if (nn == 0)
		return 0;
	if (nn > n)
		return -1;
	unsigned char f = (unsigned char)needle[0] | 0x20;
	for (size_t i = 0; i + nn <= n; i++) {
		if (((unsigned char)s[i] | 0x20) != f)
			continue;
		size_t k = 1;
		while (k < nn &&
		       ((unsigned char)s[i + k] | 0x20) == ((unsigned char)needle[k] | 0x20))
			k++;
		if (k == nn)
			return (long)i;
	}
	return -1;
}

/* A parameter value in a header such as Content-Type or Content-Disposition:
 * name=value or name="value". */
static int header_param(const char *h, size_t n, const char *name, const char **v, size_t *vn)
{
	size_t nl = strlen(name);
	size_t i = 0;
	while (i < n) {
		long at = pol_memcasemem(h + i, n - i, name, nl);
		if (at < 0)
			return -EINVAL;
		size_t p = i + (size_t)at;
		size_t q = p + nl;
		/* the name must start a parameter: after ';' or a space */
		bool starts = p == 0 || h[p - 1] == ';' || h[p - 1] == ' ' || h[p - 1] == '\t';
		if (starts && q < n && h[q] == '=') {
			q++;
			if (q < n && h[q] == '"') {
				const char *e = memchr(h + q + 1, '"', n - q - 1);
				if (!e)
					return -EINVAL;
				*v = h + q + 1;
				*vn = (size_t)(e - (h + q + 1));
			} else {
				size_t e = q;
				while (e < n && h[e] != ';' && h[e] != ' ' && h[e] != '\t' &&
				       h[e] != '\r')
					e++;
				*v = h + q;
				*vn = e - q;
			}
			return 0;
		}
		i = p + 1;
	}
	return -EINVAL;
}

int pol_multipart_boundary(const char *ct, size_t n, const char **b, size_t *bn)
{
	if (header_param(ct, n, "boundary", b, bn) || *bn == 0 || *bn > 200)
		return -EINVAL;
	return 0;
}

static const char *find(const char *s, size_t n, const char *nd, size_t nn)
{
	return s && nn <= n ? memmem(s, n, nd, nn) : NULL;
}

int pol_multipart_each(const char *s, size_t n, const char *b, size_t bn, size_t max_parts,
                       pol_part_fn fn, void *arg)
{
	/* Delimiters are "--boundary"; each part is headers, a blank line, data,
	 * then "\r\n--boundary". Tolerate bare \n line ends, as servers do. */
	char delim[208];
	delim[0] = '-';
	delim[1] = '-';
	memcpy(delim + 2, b, bn);
	size_t dn = bn + 2;
	const char *end = s + n;
	const char *p = find(s, n, delim, dn);
	size_t parts = 0;
	while (p && parts < max_parts) {
		p += dn;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break; /* closing delimiter */
		const char *next = find(p, (size_t)(end - p), delim, dn);
		const char *stop = next ? next : end;
		/* headers end at the first empty line */
		const char *hdr = p;
		const char *body = find(hdr, (size_t)(stop - hdr), "\r\n\r\n", 4);
		size_t skip = 4;
		if (!body) {
			body = find(hdr, (size_t)(stop - hdr), "\n\n", 2);
			skip = 2;
		}
		if (!body)
			break;
		struct pol_part part = {0};
		const char *hl = hdr;
		while (hl < body) {
			const char *le = memchr(hl, '\n', (size_t)(body - hl));
			const char *lend = le ? le : body;
			size_t ln = (size_t)(lend - hl);
			if (ln >= 20 && strncasecmp(hl, "content-disposition:", 20) == 0) {
				header_param(hl, ln, "name", &part.name, &part.name_len);
				if (header_param(hl, ln, "filename", &part.filename,
				                 &part.filename_len))
					part.filename = NULL;
			} else if (ln >= 13 && strncasecmp(hl, "content-type:", 13) == 0) {
				part.type = hl + 13;
				part.type_len = ln - 13;
				while (part.type_len && (*part.type == ' ' || *part.type == '\t')) {
					part.type++;
					part.type_len--;
				}
				while (part.type_len && part.type[part.type_len - 1] == '\r')
					part.type_len--;
			}
			hl = lend + 1;
		}
		part.data = body + skip;
		const char *dend = stop;
		/* the line break before the next delimiter belongs to it */
		if (dend > part.data && dend[-1] == '\n')
			dend--;
		if (dend > part.data && dend[-1] == '\r')
			dend--;
		part.data_len = dend >= part.data ? (size_t)(dend - part.data) : 0;
		if (!part.name) {
			part.name = "";
			part.name_len = 0;
		}
		int r = fn(arg, &part);
		if (r)
			return r;
		parts++;
		p = next;
	}
	return 0;
}
