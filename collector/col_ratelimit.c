#include "col_ratelimit.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4096 /* a power of two */
#define PROBE 8

struct bucket {
	uint8_t key[16]; /* the address, IPv4 as IPv4-mapped IPv6 */
	bool used;
	double tokens;
	int64_t last_ns;
};

struct col_ratelimit {
	double rate, burst;
	pthread_mutex_t lock;
	struct bucket slots[SLOTS];
};

int col_ratelimit_new(double rate, double burst, struct col_ratelimit **out)
{
	struct col_ratelimit *rl = calloc(1, sizeof(*rl));
	if (!rl)
		return -ENOMEM;
	rl->rate = rate;
	rl->burst = burst < 1 ? 1 : burst;
	pthread_mutex_init(&rl->lock, NULL);
	*out = rl;
	return 0;
}

void col_ratelimit_free(struct col_ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

static void addr_key(const struct sockaddr *sa, uint8_t key[16])
{
	memset(key, 0, 16);
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &in->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
}

static uint32_t hash_key(const uint8_t key[16])
{
	uint32_t h = 2166136261u; /* FNV-1a: the key is an address, not text */
	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

bool col_ratelimit_take(struct col_ratelimit *rl, const struct sockaddr *addr, int64_t now_ns,
                        unsigned *retry_after_s)
{
	uint8_t key[16];
	struct bucket *b = NULL, *victim = NULL;
	bool ok;

	addr_key(addr, key);
	uint32_t h = hash_key(key);
	pthread_mutex_lock(&rl->lock);
	for (int i = 0; i < PROBE; i++) {
		struct bucket *s = &rl->slots[(h + (uint32_t)i) & (SLOTS - 1)];
		if (s->used && !memcmp(s->key, key, 16)) {
			b = s;
			break;
		}
		if (!victim || !s->used || (victim->used && s->last_ns < victim->last_ns))
			victim = s;
	}
	if (!b) {
		b = victim;
		memcpy(b->key, key, 16);
		b->used = true;
		b->tokens = rl->burst;
		b->last_ns = now_ns;
	}
	if (now_ns > b->last_ns) {
		b->tokens += (double)(now_ns - b->last_ns) / 1e9 * rl->rate;
		if (b->tokens > rl->burst)
			b->tokens = rl->burst;
	}
	b->last_ns = now_ns;
	ok = b->tokens >= 1.0;
	if (ok) {
		b->tokens -= 1.0;
	} else if (retry_after_s) {
		double wait = rl->rate > 0 ? (1.0 - b->tokens) / rl->rate : 60;
		*retry_after_s = wait < 1 ? 1 : (unsigned)ceil(wait);
	}
	pthread_mutex_unlock(&rl->lock);
	return ok;
}
