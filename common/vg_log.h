/* One-line, levelled logging to stderr.
 *
 * Each line is "<component>: <level>: <message>". The level is checked before
 * anything is formatted. Payload bytes and secrets are never logged above
 * debug. The sink is stderr unless vg_log_set_fd() says otherwise.
 */
#ifndef VG_LOG_H
#define VG_LOG_H

enum vg_log_level {
	VG_LOG_ERROR = 0,
	VG_LOG_WARN,
	VG_LOG_INFO,
	VG_LOG_DEBUG,
};

extern enum vg_log_level vg_log_threshold;

/* component is kept by pointer: pass a string literal. */
void vg_log_init(const char *component, enum vg_log_level level);
/* Parses error|warn|info|debug (any case); -EINVAL otherwise. */
int vg_log_level_parse(const char *s, enum vg_log_level *out);
void vg_log_set_fd(int fd);
void vg_log_write(enum vg_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define vg_log_at(lvl, ...)                                                                        \
	do {                                                                                       \
		if ((lvl) <= vg_log_threshold)                                                     \
			vg_log_write((lvl), __VA_ARGS__);                                          \
	} while (0)
#define vg_log_error(...) vg_log_at(VG_LOG_ERROR, __VA_ARGS__)
#define vg_log_warn(...)  vg_log_at(VG_LOG_WARN, __VA_ARGS__)
#define vg_log_info(...)  vg_log_at(VG_LOG_INFO, __VA_ARGS__)
#define vg_log_debug(...) vg_log_at(VG_LOG_DEBUG, __VA_ARGS__)

#endif
