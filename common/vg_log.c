#include "vg_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <unistd.h>

enum vg_log_level vg_log_threshold = VG_LOG_INFO;

static const char *log_component = "vigil";
static int log_fd = STDERR_FILENO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void vg_log_init(const char *component, enum vg_log_level level)
{
	log_component = component;
	vg_log_threshold = level;
}

int vg_log_level_parse(const char *s, enum vg_log_level *out)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum vg_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void vg_log_set_fd(int fd)
{
	log_fd = fd;
}

void vg_log_write(enum vg_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n = snprintf(line, sizeof(line), "%s: %s: ", log_component, level_names[level]);

	if (n < 0)
		return;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	/* One line per event: fold embedded newlines. */
	for (size_t i = (size_t)n; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[len++] = '\n';
	/* A single write keeps lines from concurrent threads whole. */
	ssize_t w = write(log_fd, line, len);
	(void)w;
}
