/* Batch mode: invoke every event of an NDJSON file in order. */
#ifndef SBX_BATCH_H
#define SBX_BATCH_H

#include "sandbox.h"

/* 0 once every line was invoked (or the sandbox was told to stop), -errno
 * when the file cannot be read. */
int sbx_batch_run(struct sbx *s, const char *path);
/* Appends the output line of event n (with its newline) to out. */
void sbx_batch_line(struct vg_buf *out, unsigned n, const struct sbx_result *res);

#endif
