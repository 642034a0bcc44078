#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vg_buf.h"
#include "vg_time.h"
#include "vg_util.h"

START_TEST(buf_respects_cap)
{
	struct vg_buf b = VG_BUF_INIT(8);
	ck_assert_int_eq(vg_buf_append(&b, "12345", 5), 0);
	ck_assert_int_eq(vg_buf_append(&b, "678", 3), 0);
	ck_assert_int_eq(vg_buf_append(&b, "9", 1), -ENOBUFS);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_str_eq(b.data, "12345678");
	ck_assert_int_eq(vg_buf_printf(&b, "%d", 1), -ENOBUFS);
	ck_assert_str_eq(b.data, "12345678");
	vg_buf_reset(&b);
	ck_assert_int_eq(vg_buf_printf(&b, "%s-%d", "ab", 42), 0);
	ck_assert_str_eq(b.data, "ab-42");
	vg_buf_fini(&b);
}
END_TEST

START_TEST(buf_printf_long)
{
	struct vg_buf b = VG_BUF_INIT(4096);
	char big[1000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(vg_buf_printf(&b, "<%s>", big), 0);
	ck_assert_uint_eq(b.len, 1001);
	ck_assert_int_eq(b.data[0], '<');
	ck_assert_int_eq(b.data[1000], '>');
	size_t n;
	char *s = vg_buf_steal(&b, &n);
	ck_assert_uint_eq(n, 1001);
	ck_assert_ptr_null(b.data);
	free(s);
}
END_TEST

START_TEST(buf_json_escapes)
{
	struct vg_buf b = VG_BUF_INIT(256);
	const char in[] = "a\"b\\c\n\x01\xc3\xa9\xff<";
	ck_assert_int_eq(vg_buf_json_str(&b, in, sizeof(in) - 1), 0);
	ck_assert_str_eq(b.data, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\\ufffd<\"");
	vg_buf_fini(&b);

	/* A string that does not fit leaves the buffer as it was. */
	struct vg_buf small = VG_BUF_INIT(6);
	ck_assert_int_eq(vg_buf_puts(&small, "ab"), 0);
	ck_assert_int_eq(vg_buf_json_str(&small, "abcdef", 6), -ENOBUFS);
	ck_assert_str_eq(small.data, "ab");
	vg_buf_fini(&small);
}
END_TEST

START_TEST(buf_truncate_cuts_back)
{
	struct vg_buf b = VG_BUF_INIT(64);
	ck_assert_int_eq(vg_buf_puts(&b, "keep"), 0);
	size_t mark = b.len;
	ck_assert_int_eq(vg_buf_puts(&b, ",undo"), 0);
	vg_buf_truncate(&b, mark);
	ck_assert_uint_eq(b.len, 4);
	ck_assert_str_eq(b.data, "keep");
	vg_buf_truncate(&b, 10); /* past the end: nothing to cut */
	ck_assert_str_eq(b.data, "keep");
	vg_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	vg_buf_fini(&b);
}
END_TEST

START_TEST(write_all_writes_everything)
{
	int fds[2];
	char big[100000], back[100000];
	ck_assert_int_eq(pipe(fds), 0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	/* more than a pipe holds: the writer must resume after short writes */
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		_exit(vg_write_all(fds[1], big, sizeof(big)) == 0 ? 0 : 1);
	}
	close(fds[1]);
	size_t got = 0;
	ssize_t r;
	while ((r = read(fds[0], back + got, sizeof(back) - got)) > 0)
		got += (size_t)r;
	close(fds[0]);
	ck_assert_uint_eq(got, sizeof(big));
	ck_assert_int_eq(memcmp(big, back, sizeof(big)), 0);
	ck_assert_int_eq(vg_write_all(-1, "x", 1), -EBADF);
}
END_TEST

START_TEST(parse_numbers)
{
	int64_t v;
	ck_assert_int_eq(vg_parse_i64("42", 0, 100, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(vg_parse_i64("-7", -10, 10, &v), 0);
	ck_assert_int_eq(v, -7);
	ck_assert_int_eq(vg_parse_i64("101", 0, 100, &v), -ERANGE);
	ck_assert_int_eq(vg_parse_i64("12a", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(vg_parse_i64("", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(vg_parse_i64("-", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(vg_parse_i64("99999999999999999999999", 0, INT64_MAX, &v), -ERANGE);
	ck_assert_int_eq(vg_parse_i64n("123xyz", 3, 0, 1000, &v), 0);
	ck_assert_int_eq(v, 123);
}
END_TEST

START_TEST(parse_hostport)
{
	char host[64];
	uint16_t port;
	ck_assert_int_eq(vg_parse_hostport("127.0.0.1:9001", host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_uint_eq(port, 9001);
	ck_assert_int_eq(vg_parse_hostport("[::1]:80", host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_int_eq(vg_parse_hostport("localhost", host, sizeof(host), &port), -EINVAL);
	ck_assert_int_eq(vg_parse_hostport("h:0", host, sizeof(host), &port), -EINVAL);
	ck_assert_int_eq(vg_parse_hostport("h:70000", host, sizeof(host), &port), -EINVAL);
	ck_assert_int_eq(vg_parse_hostport(":80", host, sizeof(host), &port), -EINVAL);
}
END_TEST

START_TEST(uuid_shape)
{
	char a[37], b[37];
	vg_uuid4(a);
	vg_uuid4(b);
	ck_assert_uint_eq(strlen(a), 36);
	ck_assert_int_eq(a[8], '-');
	ck_assert_int_eq(a[14], '4');
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(iso8601)
{
	char out[32];
	ck_assert_str_eq(vg_iso8601_ms(1666361103165LL, out, sizeof(out)),
	                 "2022-10-21T14:05:03.165Z");
	ck_assert(vg_mono_ns() > 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, buf_respects_cap);
	tcase_add_test(tc, buf_printf_long);
	tcase_add_test(tc, buf_json_escapes);
	tcase_add_test(tc, buf_truncate_cuts_back);
	tcase_add_test(tc, write_all_writes_everything);
	tcase_add_test(tc, parse_numbers);
	tcase_add_test(tc, parse_hostport);
	tcase_add_test(tc, uuid_shape);
	tcase_add_test(tc, iso8601);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
