/* See fake-collector.h. */
#include "fake-collector.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define HEAD_MAX (32 * 1024)
#define BODY_MAX (16 * 1024 * 1024)

struct fake_collector {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	pthread_t thread;
	int lfd;     /* listening socket; -1 while down */
	int held;    /* while down: the port, bound but not listening; or -1 */
	int wake[2]; /* a pipe that interrupts the server's poll */
	uint16_t port;
	char url[64];
	bool stop;
	char *script; /* the remaining steps, comma-separated */
	char dflt[32];
	fc_handler handler;
	void *handler_ctx;
	struct fc_request *reqs;
	size_t n, cap;
};

/* The port bound without listen(): connections are refused, and no other
 * socket on the machine can take the port while the collector is down. */
static int hold_port(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static int listen_on(uint16_t port, uint16_t *bound)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	socklen_t len = sizeof(a);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	*bound = ntohs(a.sin_port);
	return fd;
}

/* Waits for fd to be readable or the wake pipe; false to stop. */
static bool wait_readable(struct fake_collector *fc, int fd, int timeout_ms)
{
	struct pollfd p[2] = {{fd, POLLIN, 0}, {fc->wake[0], POLLIN, 0}};
	int r = poll(p, 2, timeout_ms);
	return r > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !(p[1].revents & POLLIN);
}

static void drain_wake(struct fake_collector *fc)
{
	char c[16];
	while (read(fc->wake[0], c, sizeof(c)) > 0)
		;
}

static char *inflate_gzip(const char *in, size_t n, size_t *out_len)
{
	z_stream z = {0};
	size_t cap = n * 4 + 1024, len = 0;
	char *out = malloc(cap + 1);
	int rc = Z_OK;

	if (!out || inflateInit2(&z, 15 + 16) != Z_OK) {
		free(out);
		return NULL;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	while (rc != Z_STREAM_END) {
		if (len == cap) {
			char *nb;
			if (cap >= BODY_MAX * 4 || !(nb = realloc(out, cap * 2 + 1)))
				break;
			out = nb;
			cap *= 2;
		}
		z.next_out = (Bytef *)out + len;
		z.avail_out = (uInt)(cap - len);
		rc = inflate(&z, Z_NO_FLUSH);
		len = cap - z.avail_out;
		if (rc != Z_OK && rc != Z_STREAM_END)
			break;
	}
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	out[len] = '\0';
	*out_len = len;
	return out;
}

bool fc_header(const struct fc_request *r, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);
	const char *p = r->headers;

	while (p && *p) {
		const char *eol = strstr(p, "\r\n");
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		if (ll > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			size_t vl = (size_t)(p + ll - v);
			if (vl >= n)
				vl = n - 1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return true;
		}
		p = eol ? eol + 2 : NULL;
	}
	return false;
}

/* The next step of the script, or the default. */
static void next_step(struct fake_collector *fc, char *step, size_t n)
{
	pthread_mutex_lock(&fc->lock);
	if (fc->script && *fc->script) {
		char *comma = strchr(fc->script, ',');
		size_t l = comma ? (size_t)(comma - fc->script) : strlen(fc->script);
		snprintf(step, n, "%.*s", (int)l, fc->script);
		memmove(fc->script, comma ? comma + 1 : fc->script + l,
		        strlen(comma ? comma + 1 : fc->script + l) + 1);
	} else {
		snprintf(step, n, "%s", fc->dflt);
	}
	pthread_mutex_unlock(&fc->lock);
}

static void record(struct fake_collector *fc, struct fc_request *r)
{
	pthread_mutex_lock(&fc->lock);
	if (fc->n == fc->cap) {
		size_t nc = fc->cap ? fc->cap * 2 : 16;
		struct fc_request *nr = realloc(fc->reqs, nc * sizeof(*nr));
		if (!nr) {
			pthread_mutex_unlock(&fc->lock);
			free(r->headers);
			free(r->body);
			return;
		}
		fc->reqs = nr;
		fc->cap = nc;
	}
	fc->reqs[fc->n++] = *r;
	pthread_cond_broadcast(&fc->changed);
	pthread_mutex_unlock(&fc->lock);
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Serves one request on fd; false when the connection is done. */
static bool serve_one(struct fake_collector *fc, int fd)
{
	char *buf = malloc(HEAD_MAX + 1), *hend, step[64], *reply = NULL;
	size_t have = 0, clen = 0, blen;
	struct fc_request r = {0};
	bool keep = false;
	int status = 200, retry_after = -1;

	if (!buf)
		return false;
	for (;;) {
		ssize_t got;
		buf[have] = '\0';
		if ((hend = strstr(buf, "\r\n\r\n")))
			break;
		if (have == HEAD_MAX || !wait_readable(fc, fd, 10000))
			goto out;
		got = recv(fd, buf + have, HEAD_MAX - have, 0);
		if (got <= 0)
			goto out;
		have += (size_t)got;
	}
	sscanf(buf, "%15s %511s", r.method, r.target);
	r.headers = strndup(buf, (size_t)(hend - buf) + 2);
	{
		char v[32];
		if (fc_header(&r, "Content-Length", v, sizeof(v)))
			clen = strtoul(v, NULL, 10);
		if (clen > BODY_MAX)
			goto out;
	}
	blen = have - (size_t)(hend + 4 - buf);
	r.body = malloc(clen + 1);
	if (!r.headers || !r.body)
		goto out;
	memcpy(r.body, hend + 4, blen < clen ? blen : clen);
	while (blen < clen) {
		ssize_t got;
		if (!wait_readable(fc, fd, 10000))
			goto out;
		got = recv(fd, r.body + blen, clen - blen, 0);
		if (got <= 0)
			goto out;
		blen += (size_t)got;
	}
	r.body[clen] = '\0';
	r.body_len = clen;
	{
		char v[32];
		if (fc_header(&r, "Content-Encoding", v, sizeof(v)) && !strcasecmp(v, "gzip")) {
			size_t il = 0;
			char *in = inflate_gzip(r.body, clen, &il);
			r.gzipped = true;
			if (in) {
				free(r.body);
				r.body = in;
				r.body_len = il;
			}
		}
	}

	{
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		r.at_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	}
	next_step(fc, step, sizeof(step));
	if (!strcmp(step, "close")) {
		r.status = 0;
		record(fc, &r);
		memset(&r, 0, sizeof(r));
		goto out;
	}
	if (!strncmp(step, "slow:", 5)) {
		struct pollfd p = {fc->wake[0], POLLIN, 0};
		poll(&p, 1, atoi(step + 5));
		status = 200;
	} else if (!strncmp(step, "partial:", 8)) {
		if (asprintf(&reply,
		             "{\"partialSuccess\":{\"rejectedLogRecords\":\"%d\","
		             "\"errorMessage\":\"some records were refused\"}}",
		             atoi(step + 8)) < 0)
			reply = NULL;
	} else {
		status = atoi(step);
		char *colon = strrchr(step, ':');
		if (colon)
			retry_after = atoi(colon + 1);
		if (status < 100)
			status = 200;
	}
	if (fc->handler)
		fc->handler(fc->handler_ctx, &r, &status, &reply);
	r.status = status;
	/* Recorded before the reply goes out, so a client that has its reply
	 * finds the request counted. */
	record(fc, &r);
	memset(&r, 0, sizeof(r));
	{
		/* One write for the whole reply: split writes meet the client's
		 * delayed ACK and cost 40 ms each. */
		char *resp = NULL;
		char ra[48] = "";
		const char *rb = reply ? reply : "{}";
		int rn;
		if (retry_after >= 0 && strstr(step, ":date:")) {
			/* Retry-After as an HTTP date, retry_after seconds ahead. */
			time_t when = time(NULL) + retry_after;
			struct tm tm;
			gmtime_r(&when, &tm);
			strftime(ra, sizeof(ra), "Retry-After: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
		} else if (retry_after >= 0) {
			snprintf(ra, sizeof(ra), "Retry-After: %d\r\n", retry_after);
		}
		rn = asprintf(&resp,
		              "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
		              "Content-Length: %zu\r\n%s\r\n%s",
		              status, strlen(rb), ra, rb);
		keep = rn > 0 && write_all(fd, resp, (size_t)rn);
		free(resp);
	}
	/* Bytes past this request belong to the next one: keep-alive here is
	 * strictly one request at a time, which is what clients do. */
out:
	free(reply);
	free(r.headers);
	free(r.body);
	free(buf);
	return keep;
}

static void *serve(void *arg)
{
	struct fake_collector *fc = arg;

	for (;;) {
		int lfd, cfd;
		pthread_mutex_lock(&fc->lock);
		lfd = fc->lfd;
		if (fc->stop) {
			pthread_mutex_unlock(&fc->lock);
			break;
		}
		pthread_mutex_unlock(&fc->lock);
		if (lfd < 0) {
			struct pollfd p = {fc->wake[0], POLLIN, 0};
			poll(&p, 1, 50);
			drain_wake(fc);
			continue;
		}
		if (!wait_readable(fc, lfd, 50)) {
			drain_wake(fc);
			continue;
		}
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		while (serve_one(fc, cfd)) {
			bool down;
			pthread_mutex_lock(&fc->lock);
			down = fc->stop || fc->lfd < 0;
			pthread_mutex_unlock(&fc->lock);
			if (down)
				break;
		}
		close(cfd);
	}
	return NULL;
}

int fc_start(struct fake_collector **out)
{
	struct fake_collector *fc = calloc(1, sizeof(*fc));
	int fd;

	if (!fc)
		return -ENOMEM;
	if (pipe2(fc->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		free(fc);
		return -errno;
	}
	fd = listen_on(0, &fc->port);
	if (fd < 0) {
		close(fc->wake[0]);
		close(fc->wake[1]);
		free(fc);
		return fd;
	}
	fc->lfd = fd;
	fc->held = -1;
	snprintf(fc->url, sizeof(fc->url), "http://127.0.0.1:%u/v1/logs", fc->port);
	snprintf(fc->dflt, sizeof(fc->dflt), "200");
	pthread_mutex_init(&fc->lock, NULL);
	pthread_cond_init(&fc->changed, NULL);
	pthread_create(&fc->thread, NULL, serve, fc);
	*out = fc;
	return 0;
}

static void poke(struct fake_collector *fc)
{
	if (write(fc->wake[1], "x", 1) < 0) {
		/* full pipe: the server wakes anyway */
	}
}

void fc_free(struct fake_collector *fc)
{
	if (!fc)
		return;
	pthread_mutex_lock(&fc->lock);
	fc->stop = true;
	pthread_mutex_unlock(&fc->lock);
	poke(fc);
	pthread_join(fc->thread, NULL);
	if (fc->lfd >= 0)
		close(fc->lfd);
	if (fc->held >= 0)
		close(fc->held);
	close(fc->wake[0]);
	close(fc->wake[1]);
	for (size_t i = 0; i < fc->n; i++) {
		free(fc->reqs[i].headers);
		free(fc->reqs[i].body);
	}
	free(fc->reqs);
	free(fc->script);
	pthread_cond_destroy(&fc->changed);
	pthread_mutex_destroy(&fc->lock);
	free(fc);
}

const char *fc_url(const struct fake_collector *fc)
{
	return fc->url;
}

uint16_t fc_port(const struct fake_collector *fc)
{
	return fc->port;
}

void fc_script(struct fake_collector *fc, const char *steps)
{
	pthread_mutex_lock(&fc->lock);
	free(fc->script);
	fc->script = steps ? strdup(steps) : NULL;
	pthread_mutex_unlock(&fc->lock);
}

void fc_default(struct fake_collector *fc, const char *step)
{
	pthread_mutex_lock(&fc->lock);
	snprintf(fc->dflt, sizeof(fc->dflt), "%s", step);
	pthread_mutex_unlock(&fc->lock);
}

void fc_set_handler(struct fake_collector *fc, fc_handler h, void *ctx)
{
	pthread_mutex_lock(&fc->lock);
	fc->handler = h;
	fc->handler_ctx = ctx;
	pthread_mutex_unlock(&fc->lock);
}

void fc_down(struct fake_collector *fc)
{
	pthread_mutex_lock(&fc->lock);
	if (fc->lfd >= 0) {
		close(fc->lfd);
		fc->lfd = -1;
		/* Keep the port: another program's socket (a test running in
		 * parallel) could take it while we are down. */
		if (fc->held < 0)
			fc->held = hold_port(fc->port);
	}
	pthread_mutex_unlock(&fc->lock);
	poke(fc);
}

int fc_up(struct fake_collector *fc)
{
	uint16_t port;
	int fd;

	pthread_mutex_lock(&fc->lock);
	if (fc->lfd >= 0) {
		pthread_mutex_unlock(&fc->lock);
		return 0;
	}
	if (fc->held >= 0 && listen(fc->held, 16) == 0) {
		fd = fc->held;
	} else {
		if (fc->held >= 0)
			close(fc->held);
		fd = listen_on(fc->port, &port);
	}
	fc->held = -1;
	if (fd >= 0)
		fc->lfd = fd;
	pthread_mutex_unlock(&fc->lock);
	if (fd < 0)
		return fd;
	poke(fc);
	return 0;
}

size_t fc_count(struct fake_collector *fc)
{
	size_t n;
	pthread_mutex_lock(&fc->lock);
	n = fc->n;
	pthread_mutex_unlock(&fc->lock);
	return n;
}

struct fc_request *fc_get(struct fake_collector *fc, size_t i)
{
	struct fc_request *r = NULL;
	pthread_mutex_lock(&fc->lock);
	if (i < fc->n && (r = malloc(sizeof(*r)))) {
		*r = fc->reqs[i];
		r->headers = strdup(fc->reqs[i].headers ? fc->reqs[i].headers : "");
		r->body = malloc(fc->reqs[i].body_len + 1);
		if (r->body) {
			memcpy(r->body, fc->reqs[i].body, fc->reqs[i].body_len);
			r->body[fc->reqs[i].body_len] = '\0';
		}
	}
	pthread_mutex_unlock(&fc->lock);
	return r;
}

void fc_request_free(struct fc_request *r)
{
	if (!r)
		return;
	free(r->headers);
	free(r->body);
	free(r);
}

bool fc_wait(struct fake_collector *fc, size_t n, int timeout_ms)
{
	struct timespec ts;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&fc->lock);
	while (fc->n < n && pthread_cond_timedwait(&fc->changed, &fc->lock, &ts) == 0)
		;
	ok = fc->n >= n;
	pthread_mutex_unlock(&fc->lock);
	return ok;
}
