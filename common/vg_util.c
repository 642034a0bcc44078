#include "vg_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/random.h>
#include <time.h>

int vg_parse_i64n(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	uint64_t v = 0;

	if (n > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return -EINVAL;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return -ERANGE;
		int64_t r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
		if (r < min || r > max)
			return -ERANGE;
		*out = r;
		return 0;
	}
	if (v > (uint64_t)INT64_MAX || (int64_t)v < min || (int64_t)v > max)
		return -ERANGE;
	*out = (int64_t)v;
	return 0;
}

int vg_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	return vg_parse_i64n(s, strlen(s), min, max, out);
}

int vg_parse_hostport(const char *s, char *host, size_t hostn, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	int64_t p;

	if (!colon || colon == s)
		return -EINVAL;
	size_t hl = (size_t)(colon - s);
	/* Bracketed IPv6 literal: [::1]:9001 */
	if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl == 0 || hl >= hostn)
		return -EINVAL;
	if (vg_parse_i64(colon + 1, 1, 65535, &p) < 0)
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 0;
}

int vg_random(void *buf, size_t n)
{
	unsigned char *p = buf;
	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int vg_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

void vg_uuid4(char out[37])
{
	unsigned char b[16];
	if (vg_random(b, sizeof(b)) < 0) {
		/* No kernel randomness: still unique enough for request ids. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		static unsigned long counter;
		unsigned long c = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
		memcpy(b, &ts, sizeof(b) < sizeof(ts) ? sizeof(b) : sizeof(ts));
		memcpy(b + 8, &c, sizeof(c) < 8 ? sizeof(c) : 8);
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}

bool vg_strcase_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}
