/* Inflating gzip request bodies into a capped buffer. */
#ifndef COL_GZIP_H
#define COL_GZIP_H

#include <stddef.h>

#include "vg_buf.h"

/* Appends the inflation of in[0..n) (one or more gzip members) to out, whose
 * cap bounds the inflated size: a small body cannot expand without limit.
 * 0, -ENOBUFS over the cap, -EINVAL for a corrupt or truncated stream,
 * -ENOMEM. */
int col_gunzip(const void *in, size_t n, struct vg_buf *out);

#endif
