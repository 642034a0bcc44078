#include "col_gzip.h"

#include <errno.h>
#include <string.h>
#include <zlib.h>

int col_gunzip(const void *in, size_t n, struct vg_buf *out)
{
	z_stream zs;
	int rc = 0, zrc;

	memset(&zs, 0, sizeof(zs));
	/* 16 + MAX_WBITS: expect a gzip wrapper, not raw zlib. */
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n; /* the body cap keeps n far below 4 GiB */
	for (;;) {
		size_t room;
		if (out->len >= out->max) {
			rc = -ENOBUFS;
			break;
		}
		/* Fill what is allocated, growing by at least 16 KiB. */
		room = out->cap > out->len + 1 ? out->cap - out->len - 1 : 0;
		if (room < 16384)
			room = 16384;
		if (room > out->max - out->len)
			room = out->max - out->len;
		if ((rc = vg_buf_reserve(out, room)) < 0)
			break;
		zs.next_out = (Bytef *)out->data + out->len;
		zs.avail_out = (uInt)room;
		zrc = inflate(&zs, Z_NO_FLUSH);
		out->len += room - zs.avail_out;
		out->data[out->len] = '\0';
		if (zrc == Z_STREAM_END) {
			if (!zs.avail_in)
				break;
			/* Concatenated members are one stream by RFC 1952. */
			if (inflateReset(&zs) != Z_OK) {
				rc = -EINVAL;
				break;
			}
			continue;
		}
		if (zrc == Z_BUF_ERROR && !zs.avail_in) {
			rc = -EINVAL; /* truncated */
			break;
		}
		if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			rc = zrc == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
			break;
		}
	}
	inflateEnd(&zs);
	return rc;
}
