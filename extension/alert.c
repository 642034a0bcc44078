#include "alert.h"

#include <errno.h>
#include <pthread.h>

#include "vg_buf.h"

int ext_alert_print(FILE *out, const struct tel_alert *a)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct vg_buf b = VG_BUF_INIT(64 * 1024);
	int r = tel_alert_json(&b, a);
	if (r == 0)
		r = vg_buf_putc(&b, '\n');
	if (r == 0) {
		pthread_mutex_lock(&lock);
		if (fwrite(b.data, 1, b.len, out) != b.len || fflush(out) != 0)
			r = -EIO;
		pthread_mutex_unlock(&lock);
	}
	vg_buf_fini(&b);
	return r;
}
