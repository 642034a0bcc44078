/* Per-client token buckets, keyed by remote address.
 *
 * The table has a fixed number of slots: a client that cannot find its
 * bucket takes the least recently used slot of its probe window, so memory
 * stays bounded however many addresses an attacker uses. Thread-safe.
 */
#ifndef COL_RATELIMIT_H
#define COL_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct col_ratelimit;

/* rate tokens per second, up to burst; -ENOMEM. */
int col_ratelimit_new(double rate, double burst, struct col_ratelimit **out);
void col_ratelimit_free(struct col_ratelimit *rl);

/* Takes one token for addr. false when the bucket is empty; *retry_after_s
 * then says in how many whole seconds a token will be there (at least 1). */
bool col_ratelimit_take(struct col_ratelimit *rl, const struct sockaddr *addr, int64_t now_ns,
                        unsigned *retry_after_s);

#endif
