/* The XML reader (policies/xml.c) against its golden cases
 * (tests/data/policies/xml-reader.txt), its bounds, and its place in
 * extraction: XML bodies and XML inside event strings judged whole and by
 * their decoded values, at their element paths. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pol.h"
#include "pol_test.h"
#include "vg_buf.h"
#include "xml.h"

/* ---- the reader ---- */

struct got {
	struct vg_buf b; /* "PATH\tVALUE\n" per item */
	size_t calls;
	size_t stop_at; /* 0: never stop */
};

static int collect(void *arg, const struct pol_xml_item *it)
{
	struct got *g = arg;
	ck_assert_uint_eq(strlen(it->path), it->path_len);
	vg_buf_append(&g->b, it->path, it->path_len);
	vg_buf_putc(&g->b, '\t');
	vg_buf_append(&g->b, it->val, it->len);
	vg_buf_putc(&g->b, '\n');
	g->calls++;
	return g->stop_at && g->calls == g->stop_at ? 7 : 0;
}

/* The golden file's escapes: \n \r \t \\ \xHH. */
static size_t unescape(const char *s, char *o)
{
	size_t k = 0;
	for (; *s && *s != '\n'; s++) {
		if (*s != '\\' || !s[1]) {
			o[k++] = *s;
			continue;
		}
		s++;
		if (*s == 'n') {
			o[k++] = '\n';
		} else if (*s == 'r') {
			o[k++] = '\r';
		} else if (*s == 't') {
			o[k++] = '\t';
		} else if (*s == 'x' && s[1] && s[2]) {
			char h[3] = {s[1], s[2], 0};
			o[k++] = (char)strtol(h, NULL, 16);
			s += 2;
		} else {
			o[k++] = *s;
		}
	}
	return k;
}

START_TEST(golden_cases)
{
	char path[1024];
	const char *root = getenv("VIGIL_SOURCE_ROOT");
	snprintf(path, sizeof(path), "%s/tests/data/policies/xml-reader.txt", root ? root : ".");
	FILE *f = fopen(path, "r");
	ck_assert_msg(f, "%s", path);
	char line[4096], doc[4096], tmp[4096];
	size_t docn = 0, cases = 0, lineno = 0;
	unsigned depth = 64;
	bool want_err = false;
	struct vg_buf want = VG_BUF_INIT(1 << 20);
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (strncmp(line, "depth: ", 7) == 0) {
			depth = (unsigned)atoi(line + 7);
		} else if (strncmp(line, "doc: ", 5) == 0) {
			docn = unescape(line + 5, doc);
			vg_buf_reset(&want);
			want_err = false;
		} else if (strncmp(line, "item: ", 6) == 0) {
			char *tab = strchr(line, '\t');
			ck_assert_msg(tab, "line %zu: no tab", lineno);
			vg_buf_append(&want, line + 6, (size_t)(tab - line - 6));
			vg_buf_putc(&want, '\t');
			vg_buf_append(&want, tmp, unescape(tab + 1, tmp));
			vg_buf_putc(&want, '\n');
		} else if (strncmp(line, "err", 3) == 0) {
			want_err = true;
		} else if (strncmp(line, "end", 3) == 0) {
			/* exactly docn bytes, so that a read past them is caught */
			char *d = malloc(docn ? docn : 1);
			memcpy(d, doc, docn);
			struct got g = {VG_BUF_INIT(1 << 20), 0, 0};
			bool deep = false;
			int r = pol_xml_each(d, docn, depth, 0, collect, &g, &deep);
			if (want_err) {
				ck_assert_msg(r == -EINVAL, "line %zu: got %d, not -EINVAL", lineno,
				              r);
				ck_assert_msg(g.calls == 0, "line %zu: items of a refused document",
				              lineno);
			} else {
				ck_assert_msg(r == 0, "line %zu: got %d", lineno, r);
				ck_assert_msg(g.b.len == want.len &&
				                  (want.len == 0 ||
				                   memcmp(g.b.data, want.data, want.len) == 0),
				              "line %zu:\ngot:\n%.*s\nwant:\n%.*s", lineno,
				              (int)g.b.len, g.b.data ? g.b.data : "", (int)want.len,
				              want.data ? want.data : "");
				ck_assert_msg(deep == (depth != 64), "line %zu: too_deep %d",
				              lineno, deep);
			}
			vg_buf_fini(&g.b);
			free(d);
			depth = 64;
			cases++;
		}
	}
	fclose(f);
	vg_buf_fini(&want);
	ck_assert_uint_ge(cases, 30);
}
END_TEST

START_TEST(callback_stops_the_reading)
{
	static const char doc[] = "<r><a x=\"1\" y=\"2\">t</a><b>u</b></r>";
	struct got g = {VG_BUF_INIT(1 << 20), 0, 2};
	bool deep;
	ck_assert_int_eq(pol_xml_each(doc, sizeof(doc) - 1, 64, 0, collect, &g, &deep), 7);
	ck_assert_uint_eq(g.calls, 2);
	vg_buf_fini(&g.b);
}
END_TEST

/* Long names and long paths are cut, never overflowed. */
START_TEST(long_names_and_paths_are_cut)
{
	struct vg_buf d = VG_BUF_INIT(1 << 20);
	char name[200];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	for (int i = 0; i < 5; i++)
		vg_buf_printf(&d, "<%s%d>", name, i);
	vg_buf_printf(&d, "<e %s=\"v\">t</e>", name);
	for (int i = 4; i >= 0; i--)
		vg_buf_printf(&d, "</%s%d>", name, i);
	struct got g = {VG_BUF_INIT(1 << 20), 0, 0};
	bool deep;
	ck_assert_int_eq(pol_xml_each(d.data, d.len, 64, 0, collect, &g, &deep), 0);
	ck_assert_uint_eq(g.calls, 2);
	vg_buf_putc(&g.b, '\0');
	const char *tab = strchr(g.b.data, '\t');
	ck_assert_ptr_nonnull(tab);
	size_t plen = (size_t)(tab - g.b.data);
	ck_assert_uint_le(plen, POL_XML_PATH_MAX + 4 + 2 + POL_XML_NAME_MAX);
	ck_assert_msg(strstr(g.b.data, "0/.../e/@nnn") && strstr(g.b.data, "n...\tv\n"), "%s",
	              g.b.data);
	ck_assert_msg(strstr(g.b.data, "0/.../e/text()\tt\n"), "%s", g.b.data);
	vg_buf_fini(&g.b);
	vg_buf_fini(&d);
}
END_TEST

/* Nesting far past the limit: read flat, without recursion, every value
 * seen, the depth reported. */
START_TEST(deep_nesting_is_bounded)
{
	enum { LEVELS = 200000 };
	struct vg_buf d = VG_BUF_INIT(1 << 24);
	for (int i = 0; i < LEVELS; i++)
		vg_buf_puts(&d, "<a>");
	vg_buf_puts(&d, "<b k=\"deep\">x</b>");
	for (int i = 0; i < LEVELS; i++)
		vg_buf_puts(&d, "</a>");
	struct got g = {VG_BUF_INIT(1 << 20), 0, 0};
	bool deep = false;
	ck_assert_int_eq(pol_xml_each(d.data, d.len, 64, 0, collect, &g, &deep), 0);
	ck_assert(deep);
	ck_assert_uint_eq(g.calls, 2);
	/* one unclosed element at the very end: refused */
	d.len -= 4;
	ck_assert_int_eq(pol_xml_each(d.data, d.len, 64, 0, collect, &g, &deep), -EINVAL);
	ck_assert_uint_eq(g.calls, 2);
	vg_buf_fini(&g.b);
	vg_buf_fini(&d);
}
END_TEST

/* Past its deadline the reader stops, whatever the document. */
START_TEST(deadline_stops_the_reading)
{
	static const char doc[] = "<r><a x=\"1\">t</a></r>";
	struct got g = {VG_BUF_INIT(1 << 20), 0, 0};
	bool deep;
	ck_assert_int_eq(pol_xml_each(doc, sizeof(doc) - 1, 64, 1, collect, &g, &deep), -ETIME);
	ck_assert_uint_eq(g.calls, 0);
	ck_assert_int_eq(pol_xml_each(doc, sizeof(doc) - 1, 64, UINT64_MAX, collect, &g, &deep), 0);
	ck_assert_uint_eq(g.calls, 2);
	vg_buf_fini(&g.b);
}
END_TEST

START_TEST(sniffing)
{
	static const char *const yes[] = {
	    "<?xml version=\"1.0\"?><r/>",
	    "<r>x</r>",
	    "  \n<r a='1'/>\n",
	    "\xef\xbb\xbf<r/>",
	    "<!DOCTYPE r><r/>",
	    "<!-- c --><r/>",
	    "<soap:Envelope></soap:Envelope>",
	    "<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\"/>",
	    "<paragraph>x</paragraph>",
	    "<bodyText/>",
	};
	static const char *const no[] = {
	    "",
	    "<",
	    "<r>",
	    "hello <b>x</b>",
	    "<b>x</b> and more",
	    "<?php x ?>",
	    "< r/>",
	    "<1/>",
	    "{\"a\":\"<r/>\"}",
	    "a<r/>",
	    "<?x",
	    "\xef\xbb<r/>",
	    /* HTML without an XML declaration: rendered, not parsed */
	    "<p>Use &lt;script&gt; tags</p>",
	    "<DIV id=\"x\">y</DIV>",
	    "<!doctype html><html></html>",
	    "<svg onload=\"x\"/>",
	};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(pol_xml_sniff(yes[i], strlen(yes[i])), "yes[%zu]", i);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(!pol_xml_sniff(no[i], strlen(no[i])), "no[%zu]", i);
}
END_TEST

/* ---- extraction ---- */

static struct pol_engine *engine(const char *policy)
{
	struct pol_engine *e;
	char err[256];
	const char *p = policy ? ptest_write_tmp("policy.json", policy) : NULL;
	ck_assert_msg(pol_engine_new(&e, policy ? &p : NULL, policy ? 1 : 0, POL_MODE_MONITOR, err,
	                             sizeof(err)) == 0,
	              "%s", err);
	return e;
}

static struct pol_result *inspect(const struct pol_engine *e, const char *ev)
{
	struct pol_result *r;
	ck_assert_int_eq(pol_inspect(e, ev, strlen(ev), &r), 0);
	return r;
}

/* Whether a finding of rule is at path. */
static bool found_at(const struct pol_result *r, const char *rule, const char *path)
{
	for (size_t i = 0; i < pol_result_count(r); i++) {
		const struct pol_finding *f = pol_result_finding(r, i);
		if (strcmp(f->rule, rule) == 0 && strcmp(f->path, path) == 0)
			return true;
	}
	return false;
}

/* The path of the first finding of rule (or category when rule is NULL);
 * NULL when there is none. */
static const char *path_of(const struct pol_result *r, const char *rule, enum pol_category c)
{
	for (size_t i = 0; i < pol_result_count(r); i++) {
		const struct pol_finding *f = pol_result_finding(r, i);
		if (rule ? strcmp(f->rule, rule) == 0 : f->category == c)
			return f->path;
	}
	return NULL;
}

/* An HTTP API v2 event with this body (a JSON string's content) and
 * Content-Type (NULL: none). */
static char *http_event(const char *body, const char *ct)
{
	struct vg_buf b = VG_BUF_INIT(1 << 20);
	vg_buf_puts(&b, "{\"version\":\"2.0\",\"routeKey\":\"POST /\",\"rawPath\":\"/\","
	                "\"requestContext\":{\"http\":{\"method\":\"POST\"}},\"headers\":{");
	if (ct)
		vg_buf_printf(&b, "\"content-type\":\"%s\"", ct);
	vg_buf_printf(&b, "},\"body\":\"%s\",\"isBase64Encoded\":false}", body);
	vg_buf_putc(&b, '\0');
	return b.data;
}

static const char marker_policy[] =
    "{\"rules\": [{\"id\": \"test.marker\", \"category\": \"sqli\", \"severity\": "
    "\"critical\", \"confidence\": 100, \"phrases\": [\"vigilmarker\"]}]}";

START_TEST(values_at_element_paths)
{
	struct pol_engine *e = engine(marker_policy);
	static const struct {
		const char *body, *ct, *path;
	} cases[] = {
	    /* declared, sniffed, SOAP */
	    {"<root><a probe=\\\"x vigilmarker\\\"></a></root>", "application/xml",
	     "body>/root/a/@probe"},
	    {"<?xml version=\\\"1.0\\\"?><root><a>vigilmarker</a></root>", NULL,
	     "body>/root/a/text()"},
	    {"<s:Envelope xmlns:s=\\\"urn:s\\\"><s:Body><q>vigilmarker</q></s:Body></s:Envelope>",
	     "application/soap+xml; charset=utf-8", "body>/s:Envelope/s:Body/q/text()"},
	    /* the marker only appears decoded */
	    {"<r v=\\\"vigil&#x6D;arker\\\"/>", "text/xml", "body>/r/@v"},
	    {"<r><![CDATA[vigil]]>marker</r>", "text/xml", "body>/r/text()"},
	    /* a multipart part declared XML */
	    {"--B\\r\\nContent-Disposition: form-data; name=\\\"doc\\\"\\r\\nContent-Type: "
	     "application/xml\\r\\n\\r\\n<r><q>vigil&#109;arker</q></r>\\r\\n--B--\\r\\n",
	     "multipart/form-data; boundary=B", "body>doc>/r/q/text()"},
	    /* not XML: the body whole, as before */
	    {"<b>vigilmarker</b> and prose", "text/html", "body"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *ev = http_event(cases[i].body, cases[i].ct);
		struct pol_result *r = inspect(e, ev);
		ck_assert_msg(found_at(r, "test.marker", cases[i].path), "case %zu: first at %s", i,
		              path_of(r, "test.marker", 0));
		pol_result_free(r);
		free(ev);
	}
	/* XML in the strings of other sources, as JSON in them is read */
	static const struct {
		const char *ev, *path;
	} nested[] = {
	    {"{\"Records\":[{\"messageId\":\"1\",\"eventSource\":\"aws:sqs\",\"body\":"
	     "\"<order><note>vigil&#109;arker</note></order>\"}]}",
	     "Records[0].body>/order/note/text()"},
	    {"{\"Records\":[{\"messageId\":\"1\",\"eventSource\":\"aws:sqs\",\"body\":"
	     "\"{\\\"doc\\\":\\\" <r a='vigil&#109;arker'/>\\\"}\"}]}",
	     "Records[0].body>$.doc>/r/@a"},
	};
	for (size_t i = 0; i < sizeof(nested) / sizeof(nested[0]); i++) {
		struct pol_result *r = inspect(e, nested[i].ev);
		ck_assert_msg(found_at(r, "test.marker", nested[i].path), "nested %zu: first at %s",
		              i, path_of(r, "test.marker", 0));
		pol_result_free(r);
	}
	/* HTML in a message is rendered, not parsed: its text stays as written */
	struct pol_result *r =
	    inspect(e, "{\"Records\":[{\"messageId\":\"1\",\"eventSource\":\"aws:sqs\","
	               "\"body\":\"<p>vigil&#109;arker</p>\"}]}");
	ck_assert_ptr_null(path_of(r, "test.marker", 0));
	pol_result_free(r);
	pol_engine_free(e);
}
END_TEST

/* What the handler's parser delivers is judged: attacks that only appear
 * once references are decoded are found at their value's path. */
START_TEST(decoded_attacks_found)
{
	struct pol_engine *e = engine(NULL);
	static const struct {
		const char *body;
		enum pol_category cat;
		const char *path;
	} cases[] = {
	    {"<?xml version=\\\"1.0\\\"?><root><a probe=\\\"$&#x7B;'ff'&#x7D;\\\"></a></root>",
	     POL_CAT_CODE_INJECTION, "body>/root/a/@probe"},
	    {"<root><a probe=\\\"O:8:&quot;stdClass&quot;:0:&#x7B;&#x7D;\\\"/></root>",
	     POL_CAT_DESERIALIZATION, "body>/root/a/@probe"},
	    {"<root><a probe=\\\"1234 OR 1=1\\\"/></root>", POL_CAT_SQLI, "body>/root/a/@probe"},
	    /* split by a comment the parser drops */
	    {"<root><q>1234 O<!-- -->R<![CDATA[ 1=1]]></q></root>", POL_CAT_SQLI,
	     "body>/root/q/text()"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *ev = http_event(cases[i].body, "application/xml");
		struct pol_result *r = inspect(e, ev);
		const char *p = path_of(r, NULL, cases[i].cat);
		ck_assert_msg(p && strcmp(p, cases[i].path) == 0, "case %zu: %s at %s", i,
		              pol_category_name(cases[i].cat), p ? p : "(none)");
		ck_assert_int_ne(pol_result_verdict(r), POL_PASS);
		pol_result_free(r);
		free(ev);
	}
	/* benign XML stays clean, decoded or not */
	static const char *const benign[] = {
	    "<order id=\\\"17\\\"><item sku=\\\"A-1\\\">O&apos;Brien&#x27;s &amp; Sons, "
	    "select one</item><note>Drop it at the door &lt;3</note></order>",
	    "<feed><entry><title>Hello</title><content type=\\\"html\\\">&lt;p&gt;Nice &lt;b&gt;"
	    "day&lt;/b&gt;&lt;/p&gt;</content></entry></feed>",
	};
	for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++) {
		char *ev = http_event(benign[i], "application/xml");
		struct pol_result *r = inspect(e, ev);
		ck_assert_msg(pol_result_verdict(r) == POL_PASS, "benign %zu flagged: %s at %s", i,
		              pol_result_count(r) ? pol_result_finding(r, 0)->rule : "",
		              pol_result_count(r) ? pol_result_finding(r, 0)->path : "");
		pol_result_free(r);
		free(ev);
	}
	pol_engine_free(e);
}
END_TEST

/* The whole document is still judged (XXE needs its DOCTYPE), after its
 * values, and a detector that reported on a value does not report again on
 * the whole; a well-formed document is judged whole only by the detectors
 * that read markup. */
START_TEST(values_first_once_per_detector)
{
	struct pol_engine *e = engine(NULL);
	char *ev = http_event("<?xml version=\\\"1.0\\\"?><!DOCTYPE r [<!ENTITY x SYSTEM "
	                      "\\\"file:///etc/passwd\\\">]><r><a>&x;</a></r>",
	                      "application/xml");
	struct pol_result *r = inspect(e, ev);
	const char *p = path_of(r, NULL, POL_CAT_XXE);
	ck_assert_msg(p && strcmp(p, "body") == 0, "xxe at %s", p ? p : "(none)");
	pol_result_free(r);
	free(ev);
	ev = http_event("<r><a v=\\\"<script>alert(1)</script>\\\"/></r>", "application/xml");
	r = inspect(e, ev);
	ck_assert_uint_eq(ptest_count_cat(r, POL_CAT_XSS), 1);
	p = path_of(r, NULL, POL_CAT_XSS);
	ck_assert_str_eq(p, "body>/r/a/@v");
	pol_result_free(r);
	free(ev);
	/* a statement cut across elements is no statement; in one value it is */
	ev = http_event("<q><a>1' union</a><b>select null</b></q>", "application/xml");
	r = inspect(e, ev);
	ck_assert_uint_eq(ptest_count_cat(r, POL_CAT_SQLI), 0);
	pol_result_free(r);
	free(ev);
	ev = http_event("<q><a>1' UNION SELECT password FROM users--</a></q>", "application/xml");
	r = inspect(e, ev);
	ck_assert_uint_eq(ptest_count_cat(r, POL_CAT_SQLI), 1);
	ck_assert_str_eq(path_of(r, NULL, POL_CAT_SQLI), "body>/q/a/text()");
	pol_result_free(r);
	free(ev);
	pol_engine_free(e);
}
END_TEST

/* Limits: values count as strings; depth is capped and reported; a
 * declared XML body that does not parse is judged whole, with one note of
 * no weight. */
START_TEST(limits_and_malformed)
{
	struct pol_engine *e = engine("{\"limits\": {\"strings\": 40, \"depth\": 8}}");
	struct vg_buf b = VG_BUF_INIT(1 << 20);
	vg_buf_puts(&b, "<r>");
	for (int i = 0; i < 100; i++)
		vg_buf_printf(&b, "<i n=\\\"%d\\\">v%d</i>", i, i);
	vg_buf_puts(&b, "</r>");
	vg_buf_putc(&b, '\0');
	char *ev = http_event(b.data, "application/xml");
	struct pol_result *r = inspect(e, ev);
	ck_assert_ptr_nonnull(path_of(r, "limit.strings", 0));
	pol_result_free(r);
	free(ev);

	vg_buf_reset(&b);
	for (int i = 0; i < 20; i++)
		vg_buf_puts(&b, "<a>");
	vg_buf_puts(&b, "vigil");
	for (int i = 0; i < 20; i++)
		vg_buf_puts(&b, "</a>");
	vg_buf_putc(&b, '\0');
	ev = http_event(b.data, "application/xml");
	r = inspect(e, ev);
	ck_assert_ptr_nonnull(path_of(r, "limit.depth", 0));
	pol_result_free(r);
	free(ev);
	vg_buf_fini(&b);
	pol_engine_free(e);

	e = engine(NULL);
	ev = http_event("<r><a>unclosed</r>", "application/xml");
	r = inspect(e, ev);
	ck_assert_uint_eq(pol_result_count(r), 1);
	ck_assert_str_eq(pol_result_finding(r, 0)->rule, "malformed.xml");
	ck_assert_str_eq(pol_result_finding(r, 0)->path, "body");
	ck_assert_int_eq(pol_result_verdict(r), POL_PASS);
	pol_result_free(r);
	free(ev);
	/* not declared: no note at all */
	ev = http_event("<r><a>unclosed</r>", NULL);
	r = inspect(e, ev);
	ck_assert_uint_eq(pol_result_count(r), 0);
	pol_result_free(r);
	free(ev);
	pol_engine_free(e);
}
END_TEST

int main(void)
{
	ptest_setup();
	Suite *s = suite_create("xml");
	TCase *t = tcase_create("xml");
	tcase_add_test(t, golden_cases);
	tcase_add_test(t, callback_stops_the_reading);
	tcase_add_test(t, long_names_and_paths_are_cut);
	tcase_add_test(t, deep_nesting_is_bounded);
	tcase_add_test(t, deadline_stops_the_reading);
	tcase_add_test(t, sniffing);
	tcase_add_test(t, values_at_element_paths);
	tcase_add_test(t, decoded_attacks_found);
	tcase_add_test(t, values_first_once_per_detector);
	tcase_add_test(t, limits_and_malformed);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	ptest_cleanup();
	return failed ? 1 : 0;
}
