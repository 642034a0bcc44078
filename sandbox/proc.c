#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vg_log.h"
#include "vg_time.h"

/* ---- log pipes ---- */

struct sbx_line {
	char buf[SBX_LOG_LINE_MAX];
	size_t n;
};

static void line_emit(struct sbx_proc *p, struct sbx_line *l)
{
	size_t n = l->n;
	char head[SBX_NAME_MAX + 16];
	int hn;

	if (n && l->buf[n - 1] == '\r')
		n--;
	if (p->tel)
		sbx_tel_log(p->tel, p->runtime ? SBX_TEL_FUNCTION : SBX_TEL_EXTENSION, l->buf, n);
	/* One writev-like write per line keeps concurrent echoes whole. */
	hn = p->runtime ? snprintf(head, sizeof(head), "[function] ")
	                : snprintf(head, sizeof(head), "[extension:%s] ", p->name);
	char *out = malloc((size_t)hn + n + 1);
	if (out) {
		memcpy(out, head, (size_t)hn);
		memcpy(out + hn, l->buf, n);
		out[(size_t)hn + n] = '\n';
		ssize_t w = write(STDERR_FILENO, out, (size_t)hn + n + 1);
		(void)w;
		free(out);
	}
	l->n = 0;
}

static void line_feed(struct sbx_proc *p, struct sbx_line *l, const char *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (d[i] == '\n') {
			line_emit(p, l);
			continue;
		}
		l->buf[l->n++] = d[i];
		if (l->n == sizeof(l->buf))
			line_emit(p, l);
	}
}

/* Reads what is there now; returns false at end of file or on an error. */
static bool pipe_read(struct sbx_proc *p, int fd, struct sbx_line *l)
{
	char chunk[4096];
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r > 0) {
			line_feed(p, l, chunk, (size_t)r);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return true;
		if (l->n)
			line_emit(p, l);
		return false;
	}
}

/* The wake pipe carries 's' (sbx_proc_sync) and 'x' (stop). */
static void *reader_main(void *arg)
{
	struct sbx_proc *p = arg;
	struct sbx_line *lines = calloc(2, sizeof(*lines));
	struct pollfd pfd[3] = {
	    {.fd = p->out_fd, .events = POLLIN},
	    {.fd = p->err_fd, .events = POLLIN},
	    {.fd = p->wake[0], .events = POLLIN},
	};
	int open = 2;

	if (!lines) {
		atomic_store(&p->drained, true);
		return NULL;
	}
	while (open > 0) {
		bool stop = false, sync = false;
		unsigned ticket = 0;
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[2].revents) {
			char cmd[64];
			ssize_t n;
			/* Read the ticket first: what was written before it
			 * was asked for is in the pipes now. */
			ticket = atomic_load(&p->sync_req);
			while ((n = read(p->wake[0], cmd, sizeof(cmd))) > 0)
				for (ssize_t i = 0; i < n; i++) {
					stop |= cmd[i] == 'x';
					sync |= cmd[i] == 's';
				}
			if (n == 0 || (pfd[2].revents & (POLLHUP | POLLERR)))
				stop = true;
		}
		for (int i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || (!pfd[i].revents && !stop && !sync))
				continue;
			if (!pipe_read(p, pfd[i].fd, &lines[i]) || stop) {
				if (stop && lines[i].n)
					line_emit(p, &lines[i]);
				pfd[i].fd = -1;
				open--;
			}
		}
		if (sync)
			atomic_store(&p->sync_done, ticket);
	}
	free(lines);
	atomic_store(&p->drained, true);
	return NULL;
}

bool sbx_proc_sync(struct sbx_proc *p, uint64_t deadline_ns)
{
	if (!p || !p->reader_started || atomic_load(&p->drained))
		return true;
	unsigned ticket = atomic_fetch_add(&p->sync_req, 1) + 1;
	if (write(p->wake[1], "s", 1) != 1)
		return false;
	/* Usually a few microseconds: the reader wakes, reads what is in
	 * the pipes (non-blocking) and answers. */
	while ((int)(atomic_load(&p->sync_done) - ticket) < 0 && !atomic_load(&p->drained)) {
		if (vg_mono_ns() >= deadline_ns)
			return false;
		struct timespec ts = {0, 50000};
		nanosleep(&ts, NULL);
	}
	return true;
}

bool sbx_proc_drain(struct sbx_proc *p, uint64_t deadline_ns)
{
	if (!p || !p->reader_started)
		return true;
	/* The reader runs until end of file on both pipes: a short sleep
	 * loop is enough, this runs once per shutdown phase. */
	while (!atomic_load(&p->drained)) {
		if (vg_mono_ns() >= deadline_ns)
			return false;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	return true;
}

/* ---- spawning ---- */

static void reaper_kick(void);

static void close_pair(int fd[2])
{
	for (int i = 0; i < 2; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

int sbx_proc_spawn(struct sbx *s, bool runtime, const char *name, char *const argv[],
                   char *const envp[], struct sbx_proc **out)
{
	int outp[2] = {-1, -1}, errp[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, def;
	struct sbx_proc *p;
	pid_t pid;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->runtime = runtime;
	p->tel = s->tel;
	p->wake[0] = p->wake[1] = -1;
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    pipe2(p->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		goto fail_pipes;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_adddup2(&fa, outp[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	/* Own process group, clean signal mask, default SIGPIPE: what Lambda's
	 * supervisor gives each process. */
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	                                    POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(&pid, argv[0], &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	if (r) {
		r = -r;
		goto fail_pipes;
	}
	p->pid = pid;
	p->pidfd = pidfd_open(pid, 0); /* -1 on old kernels: the reaper polls */
	p->out_fd = outp[0];
	p->err_fd = errp[0];
	fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(p->err_fd, F_SETFL, O_NONBLOCK);
	if (pthread_create(&p->reader, NULL, reader_main, p) == 0)
		p->reader_started = true;
	else
		vg_log_warn("%s: no log reader thread; its output is lost", name);
	p->next = s->procs;
	s->procs = p;
	*out = p;
	reaper_kick();
	return 0;

fail_pipes:
	close_pair(outp);
	close_pair(errp);
	close_pair(p->wake);
	free(p);
	return r;
}

void sbx_proc_release(struct sbx *s, struct sbx_proc *p)
{
	struct sbx_proc **pp;

	if (!p)
		return;
	for (pp = &s->procs; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	if (p->reader_started) {
		ssize_t w = write(p->wake[1], "x", 1);
		(void)w;
		pthread_mutex_unlock(&s->lock);
		pthread_join(p->reader, NULL);
		pthread_mutex_lock(&s->lock);
	}
	close(p->out_fd);
	close(p->err_fd);
	close_pair(p->wake);
	if (p->pidfd >= 0)
		close(p->pidfd);
	free(p);
	reaper_kick();
}

void sbx_proc_signal(struct sbx_proc *p, int sig)
{
	if (!p || p->exited)
		return;
	if (sig == SIGKILL)
		p->killed = true;
	if (kill(-p->pid, sig) < 0)
		kill(p->pid, sig);
}

void sbx_proc_freeze_all(struct sbx *s, bool freeze)
{
	for (struct sbx_proc *p = s->procs; p; p = p->next) {
		if (p->exited || p->stopped == freeze)
			continue;
		sbx_proc_signal(p, freeze ? SIGSTOP : SIGCONT);
		p->stopped = freeze;
	}
}

/* ---- reaping ----
 *
 * The reaper sleeps in poll() on one pidfd per live process (readable once
 * it exits) and reaps with wait4(-1, WNOHANG). A thread blocked in wait4
 * would also be woken each time a child is stopped or continued, which the
 * freeze between invokes does twice per process per invoke. */

#define REAPER_POLL_MAX 64

static bool reaper_stop;
static pthread_t reaper;
static int reaper_wake[2] = {-1, -1};

static void reaper_kick(void)
{
	ssize_t w = write(reaper_wake[1], "x", 1);
	(void)w;
}

/* Reaps every child that has exited. Lock held. */
static void reap_all(struct sbx *s)
{
	struct rusage ru;
	int st;
	pid_t pid;

	while ((pid = wait4(-1, &st, WNOHANG, &ru)) > 0) {
		for (struct sbx_proc *p = s->procs; p; p = p->next)
			if (p->pid == pid) {
				p->exited = true;
				p->status = st;
				p->maxrss_kb = ru.ru_maxrss;
				break;
			}
		pthread_cond_broadcast(&s->cond);
	}
}

static void *reaper_main(void *arg)
{
	struct sbx *s = arg;

	for (;;) {
		struct pollfd pfd[REAPER_POLL_MAX];
		nfds_t n = 0;
		bool blind = false; /* a process without a pidfd: poll with a timeout */
		char drain[64];

		pthread_mutex_lock(&s->lock);
		reap_all(s);
		if (reaper_stop) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		pfd[n++] = (struct pollfd){.fd = reaper_wake[0], .events = POLLIN};
		for (struct sbx_proc *p = s->procs; p; p = p->next) {
			if (p->exited)
				continue;
			if (p->pidfd >= 0 && n < REAPER_POLL_MAX)
				pfd[n++] = (struct pollfd){.fd = p->pidfd, .events = POLLIN};
			else
				blind = true;
		}
		pthread_mutex_unlock(&s->lock);
		/* The set is rebuilt on every wake: a spawn or a release kicks
		 * the wake pipe, so no fd here outlives its process for long. */
		if (poll(pfd, n, blind ? 5 : -1) > 0 && pfd[0].revents)
			while (read(reaper_wake[0], drain, sizeof(drain)) > 0)
				;
	}
	return NULL;
}

int sbx_reaper_start(struct sbx *s)
{
	(void)s;
	reaper_stop = false;
	if (pipe2(reaper_wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	return -pthread_create(&reaper, NULL, reaper_main, s);
}

void sbx_reaper_stop(struct sbx *s)
{
	pthread_mutex_lock(&s->lock);
	reaper_stop = true;
	pthread_mutex_unlock(&s->lock);
	reaper_kick();
	pthread_join(reaper, NULL);
	close(reaper_wake[0]);
	close(reaper_wake[1]);
	reaper_wake[0] = reaper_wake[1] = -1;
}

/* ---- memory ---- */

static uint64_t statm_rss(pid_t pid)
{
	char path[64];
	unsigned long size, res = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Appends pid's children (all threads) to list. */
static void add_children(pid_t pid, pid_t *list, size_t *n, size_t cap)
{
	char path[64];
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)) && *n < cap) {
		char cpath[300];
		FILE *f;
		int child;
		if (e->d_name[0] == '.')
			continue;
		snprintf(cpath, sizeof(cpath), "/proc/%d/task/%s/children", (int)pid, e->d_name);
		f = fopen(cpath, "re");
		if (!f)
			continue;
		while (*n < cap && fscanf(f, "%d", &child) == 1)
			list[(*n)++] = child;
		fclose(f);
	}
	closedir(d);
}

uint64_t sbx_proc_tree_rss(pid_t pid)
{
	pid_t list[256];
	size_t n = 1, i;
	uint64_t sum = 0;

	list[0] = pid;
	for (i = 0; i < n; i++) {
		sum += statm_rss(list[i]);
		add_children(list[i], list, &n, sizeof(list) / sizeof(list[0]));
	}
	return sum;
}

uint64_t sbx_proc_hwm(pid_t pid)
{
	/* One read and a search: this runs at the end of every invoke. */
	char path[64], buf[4096];
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "VmHWM:");
	if (!p)
		return 0;
	return (uint64_t)strtoull(p + 6, NULL, 10) * 1024u;
}
