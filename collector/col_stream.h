/* Fan-out of newly stored alerts to server-sent-event clients.
 *
 * A fixed ring of the most recent alerts (already serialised) with a
 * sequence number. Ingest pushes without ever waiting for readers; each
 * reader keeps its own position and, when it falls more than a ring behind,
 * is told it lagged (and resumes at the newest) instead of holding memory.
 */
#ifndef COL_STREAM_H
#define COL_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "vg_buf.h"

struct col_stream;

/* An alert's JSON larger than this is not held (the ring's memory is
 * bounded by slots x this); readers are told to reload instead. */
#define COL_STREAM_MAX_ALERT (64u << 10)

int col_stream_new(size_t slots, struct col_stream **out);
/* Wakes every reader with end of stream; call before freeing. */
void col_stream_close(struct col_stream *st);
void col_stream_free(struct col_stream *st);

/* Copies json[0..n) into the ring. Never blocks for long. */
void col_stream_push(struct col_stream *st, const char *json, size_t n);

/* The sequence a new reader starts from (only alerts after now). */
uint64_t col_stream_head(struct col_stream *st);

/* Waits up to timeout_ms for alerts after *seq and appends them as SSE
 * events ("event: alert", "data: JSON") to out, at most up to its cap.
 * Returns the number of events written, 0 on timeout, -EPIPE once closed.
 * A reader that lagged gets one "event: lagged" and skips ahead. */
int col_stream_wait(struct col_stream *st, uint64_t *seq, int timeout_ms, struct vg_buf *out);

#endif
