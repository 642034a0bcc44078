#include "harness.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int th_spawn(struct th_proc *p, char *const argv[], char *const env[], const char *out_path,
             const char *err_path)
{
	pid_t pid;

	memset(p, 0, sizeof(*p));
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setpgid(0, 0);
		/* A test that dies (a failed assertion exits its process) takes
		 * what it started with it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (out_path) {
			int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (fd >= 0)
				dup2(fd, STDOUT_FILENO);
		}
		if (err_path) {
			int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (fd >= 0)
				dup2(fd, STDERR_FILENO);
		}
		if (env)
			execve(argv[0], argv, env);
		else
			execv(argv[0], argv);
		_exit(127);
	}
	p->pid = pid;
	return 0;
}

int th_wait(struct th_proc *p, int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	while (!p->exited) {
		pid_t r = waitpid(p->pid, &p->status, WNOHANG);
		if (r == p->pid) {
			p->exited = true;
			break;
		}
		if (r < 0 && errno != EINTR)
			return -errno;
		if (now_ms() >= end)
			return -ETIMEDOUT;
		sleep_ms(10);
	}
	return 0;
}

int th_stop(struct th_proc *p, int timeout_ms)
{
	if (!p->pid)
		return 0;
	if (!p->exited) {
		kill(p->pid, SIGTERM);
		if (th_wait(p, timeout_ms) < 0) {
			kill(-p->pid, SIGKILL);
			kill(p->pid, SIGKILL);
			th_wait(p, 5000);
		}
	}
	return p->status;
}

char *th_file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (cap ? cap * 2 : 8192);
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, 4096, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int th_file_count(const char *path, const char *needle)
{
	char *text = th_file_read(path, NULL);
	int count = 0;
	if (!text)
		return 0;
	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		count++;
	free(text);
	return count;
}

bool th_file_contains(const char *path, const char *needle)
{
	return th_file_count(path, needle) > 0;
}

int th_wait_line(const char *path, const char *needle, int timeout_ms, char *line, size_t n)
{
	long end = now_ms() + timeout_ms;

	for (;;) {
		char *text = th_file_read(path, NULL);
		const char *hit = text ? strstr(text, needle) : NULL;
		if (hit) {
			if (line) {
				const char *start = hit, *stop = strchr(hit, '\n');
				while (start > text && start[-1] != '\n')
					start--;
				size_t l = stop ? (size_t)(stop - start) : strlen(start);
				/* a line still being written has no newline yet */
				if (!stop) {
					free(text);
					goto again;
				}
				snprintf(line, n, "%.*s", (int)l, start);
			}
			free(text);
			return 0;
		}
		free(text);
	again:
		if (now_ms() >= end)
			return -ETIMEDOUT;
		sleep_ms(20);
	}
}

uint16_t th_free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint16_t port = 0;

	if (s < 0)
		return 0;
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(s, (struct sockaddr *)&a, &al) == 0)
		port = ntohs(a.sin_port);
	close(s);
	return port;
}

int th_tempdir(char *out, size_t n, const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(out, n, "%s/vigil-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
	return mkdtemp(out) ? 0 : -errno;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void th_rmtree(const char *path)
{
	if (path && *path)
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *th_bin(const char *rel)
{
	static char bufs[8][1024];
	static unsigned next;
	const char *root = getenv("VIGIL_BUILD_ROOT");
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof(bufs[0]), "%s/%s", root ? root : ".", rel);
	return b;
}

/* ---- HTTP ---- */

struct sink {
	char *data;
	size_t len, cap;
};

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n + 1)
			cap *= 2;
		char *d = realloc(s->data, cap);
		if (!d)
			return 0;
		s->data = d;
		s->cap = cap;
	}
	memcpy(s->data + s->len, ptr, n);
	s->len += n;
	s->data[s->len] = '\0';
	return n;
}

int th_http(const char *method, const char *url, const char *const headers[], const char *body,
            size_t len, int timeout_ms, struct th_resp *r)
{
	struct sink b = {0}, h = {0};
	struct curl_slist *hl = NULL;
	CURL *c = curl_easy_init();
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	if (!c)
		return -ENOMEM;
	for (size_t i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (timeout_ms)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hl);
	r->body = b.data ? b.data : strdup("");
	r->len = b.len;
	r->headers = h.data ? h.data : strdup("");
	return rc == CURLE_OK ? 0 : -EIO;
}

bool th_resp_header(const struct th_resp *r, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);
	const char *p = r->headers;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			size_t l = eol ? (size_t)(eol - v) : strlen(v);
			while (l && (v[l - 1] == '\r' || v[l - 1] == ' '))
				l--;
			snprintf(out, n, "%.*s", (int)l, v);
			return true;
		}
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

void th_resp_fini(struct th_resp *r)
{
	free(r->body);
	free(r->headers);
	memset(r, 0, sizeof(*r));
}

/* ---- sandbox ---- */

int th_sandbox_start(struct th_sandbox *sb, const char *opt_dir, const char *const extra[],
                     const char *const runtime[])
{
	const char *argv[96];
	char line[512];
	int a = 0, r;

	memset(sb, 0, sizeof(*sb));
	if ((r = th_tempdir(sb->dir, sizeof(sb->dir), "sbx")) < 0)
		return r;
	snprintf(sb->err_path, sizeof(sb->err_path), "%s/stderr", sb->dir);
	snprintf(sb->out_path, sizeof(sb->out_path), "%s/stdout", sb->dir);
	snprintf(sb->report, sizeof(sb->report), "%s/report.json", sb->dir);
	argv[a++] = th_bin("sandbox/vigil-sandbox");
	argv[a++] = "--listen";
	argv[a++] = "127.0.0.1:0";
	argv[a++] = "--api";
	argv[a++] = "127.0.0.1:0";
	argv[a++] = "--report";
	argv[a++] = sb->report;
	if (opt_dir) {
		argv[a++] = "--opt";
		argv[a++] = opt_dir;
	}
	for (size_t i = 0; extra && extra[i] && a < 80; i++)
		argv[a++] = extra[i];
	argv[a++] = "--";
	for (size_t i = 0; runtime[i] && a < 94; i++)
		argv[a++] = runtime[i];
	argv[a] = NULL;
	if ((r = th_spawn(&sb->proc, (char *const *)argv, NULL, sb->out_path, sb->err_path)) < 0)
		return r;
	if (th_wait_line(sb->err_path, "vigil-sandbox: ready ", 30000, line, sizeof(line)) < 0) {
		th_stop(&sb->proc, 5000);
		return -ETIMEDOUT;
	}
	const char *inv = strstr(line, "invoke="), *api = strstr(line, "api=");
	if (inv)
		sscanf(inv, "invoke=%63s", sb->invoke);
	if (api)
		sscanf(api, "api=%63s", sb->api);
	snprintf(sb->invoke_url, sizeof(sb->invoke_url),
	         "http://%s/2015-03-31/functions/function/invocations", sb->invoke);
	return 0;
}

int th_sandbox_invoke(struct th_sandbox *sb, const char *body, struct th_resp *r)
{
	const char *h[] = {"Content-Type: application/json", NULL};
	return th_http("POST", sb->invoke_url, h, body, strlen(body), 60000, r);
}

int th_sandbox_stop(struct th_sandbox *sb)
{
	return th_stop(&sb->proc, 10000);
}

void th_sandbox_fini(struct th_sandbox *sb)
{
	if (!getenv("TH_KEEP"))
		th_rmtree(sb->dir);
}

int th_opt_add_extension(const char *opt_dir, const char *name, const char *target)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/extensions", opt_dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/extensions/%s", opt_dir, name);
	return symlink(target, path) < 0 ? -errno : 0;
}

/* ---- collector ---- */

int th_collector_start(struct th_collector *c, const char *const extra[])
{
	const char *argv[48];
	char db[600], line[512];
	int a = 0, r;

	memset(c, 0, sizeof(*c));
	if ((r = th_tempdir(c->dir, sizeof(c->dir), "col")) < 0)
		return r;
	snprintf(c->err_path, sizeof(c->err_path), "%s/stderr", c->dir);
	snprintf(db, sizeof(db), "%s/alerts.db", c->dir);
	argv[a++] = th_bin("collector/vigil-collector");
	argv[a++] = "--listen";
	argv[a++] = "127.0.0.1:0";
	argv[a++] = "--db";
	argv[a++] = db;
	argv[a++] = "--max-age";
	argv[a++] = "0";
	for (size_t i = 0; extra && extra[i] && a < 46; i++)
		argv[a++] = extra[i];
	argv[a] = NULL;
	if ((r = th_spawn(&c->proc, (char *const *)argv, NULL, NULL, c->err_path)) < 0)
		return r;
	if (th_wait_line(c->err_path, "listening on http://", 30000, line, sizeof(line)) < 0) {
		th_stop(&c->proc, 5000);
		return -ETIMEDOUT;
	}
	const char *u = strstr(line, "http://");
	if (sscanf(u, "%127s", c->url) != 1) {
		th_stop(&c->proc, 5000);
		return -EPROTO;
	}
	snprintf(c->logs_url, sizeof(c->logs_url), "%sv1/logs", c->url);
	return 0;
}

cJSON *th_collector_alerts(struct th_collector *c, const char *query)
{
	char url[1024];
	struct th_resp r;
	cJSON *all = NULL, *alerts;

	snprintf(url, sizeof(url), "%sapi/alerts?%s", c->url, query ? query : "");
	if (th_http("GET", url, NULL, NULL, 0, 10000, &r) == 0 && r.status == 200)
		all = cJSON_Parse(r.body);
	th_resp_fini(&r);
	alerts = cJSON_DetachItemFromObjectCaseSensitive(all, "alerts");
	cJSON_Delete(all);
	if (alerts && !cJSON_IsArray(alerts)) {
		cJSON_Delete(alerts);
		alerts = NULL;
	}
	return alerts;
}

cJSON *th_collector_wait(struct th_collector *c, const char *query, int n, int timeout_ms)
{
	cJSON *a = NULL;
	for (int waited = 0;; waited += 50) {
		cJSON_Delete(a);
		a = th_collector_alerts(c, query);
		if ((a && cJSON_GetArraySize(a) >= n) || waited >= timeout_ms)
			return a;
		usleep(50000);
	}
}

int th_collector_stop(struct th_collector *c)
{
	return th_stop(&c->proc, 10000);
}

void th_collector_fini(struct th_collector *c)
{
	if (!getenv("TH_KEEP"))
		th_rmtree(c->dir);
}
