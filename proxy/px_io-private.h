/* Reading helpers shared by the proxy's HTTP client and server. */
#ifndef PX_IO_PRIVATE_H
#define PX_IO_PRIVATE_H

#include <stdint.h>

#include "px_client.h"

/* Makes at least one unread byte available in c->rbuf: 1, 0 on EOF, -errno.
 * deadline_ns 0: wait for ever. */
int px_conn_fill(struct px_conn *c, uint64_t deadline_ns);
/* One CRLF-terminated line (without it) into line; -EPROTO when longer. */
int px_conn_read_line(struct px_conn *c, char *line, size_t cap, uint64_t deadline_ns);
/* Reads up to and including the blank line into head (capped). 0,
 * -ECONNRESET on EOF before any byte, -EPROTO, -errno. */
int px_conn_read_head(struct px_conn *c, struct vg_buf *head, uint64_t deadline_ns);
/* Splits "Name: value\r\n" lines (s is just past the first line; the
 * strings are cut in place) into h. 0 or -EPROTO. */
int px_parse_headers(char *s, struct px_header *h, unsigned max, unsigned *n);

#endif
