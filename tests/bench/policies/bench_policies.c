/* Speed of the inspection engine, a program run by hand:
 *
 *   build/tests/bench/policies/bench-policies [CORPORA]
 *
 * Prints µs per event (p50, p99) for a typical event of each source (the
 * AWS sample events), MB/s on 64 KB and 1 MB events, and the cost of
 * adversarial inputs at growing sizes (deep nesting, runs of quotes, huge
 * key counts, escape-heavy strings) as ns per byte: flat columns mean the
 * cost is linear. Use a release-like build (the default debugoptimized).
 *
 *   build/tests/bench/policies/bench-policies --once DETECTOR
 *
 * inspects the varied 1 MB event once with only DETECTOR on (or none, with
 * "none"), for exact instruction counts under callgrind:
 *   valgrind --tool=callgrind --toggle-collect=pol_detect_DETECTOR \
 *     build/tests/bench/policies/bench-policies --once DETECTOR
 *
 * and, with a count after DETECTOR, inspects it that many times (for perf
 * record, whose samples need a longer run) and prints the fastest.
 *
 *   build/tests/bench/policies/bench-policies --once-xml DETECTOR [N [BYTES]]
 *
 * does the same with the 1 MB XML body of SOAP order records (or one of
 * about BYTES: 600 is the SOAP event of the typical rows).
 *
 *   build/tests/bench/policies/bench-policies --adversarial DETECTOR
 *
 * prints the adversarial rows at 16 KB and 256 KB with only DETECTOR on
 * (or none, or all), the time budget lifted.
 *
 *   build/tests/bench/policies/bench-policies --xml-detectors
 *
 * prints what each detector adds to the engine alone on the XML rows.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <dirent.h>

#include "json.h"
#include "pol.h"
#include "vg_buf.h"
#include "vg_time.h"

static struct pol_engine *eng;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* ns per inspection, median and 99th percentile over iters runs */
static void time_event(const char *s, size_t n, unsigned iters, double *p50, double *p99)
{
	uint64_t *t = malloc(iters * sizeof(*t));
	for (unsigned i = 0; i < iters; i++) {
		struct pol_result *r;
		uint64_t a = vg_mono_ns();
		if (pol_inspect(eng, s, n, &r) == 0)
			pol_result_free(r);
		t[i] = vg_mono_ns() - a;
	}
	qsort(t, iters, sizeof(*t), cmp_u64);
	*p50 = (double)t[iters / 2];
	*p99 = (double)t[iters * 99 / 100];
	free(t);
}

/* time_event through engine e */
static void time_on(struct pol_engine *e, const char *s, size_t n, unsigned iters, double *p50,
                    double *p99)
{
	struct pol_engine *with = eng;
	eng = e;
	time_event(s, n, iters, p50, p99);
	eng = with;
}

/* the fastest of iters runs, in ns: differences of minimums stay readable
 * on a shared machine where medians wander */
static double time_min(const char *s, size_t n, unsigned iters)
{
	uint64_t best = UINT64_MAX;
	for (unsigned i = 0; i < iters; i++) {
		struct pol_result *r;
		uint64_t a = vg_mono_ns();
		if (pol_inspect(eng, s, n, &r) == 0)
			pol_result_free(r);
		uint64_t t = vg_mono_ns() - a;
		best = t < best ? t : best;
	}
	return (double)best;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct vg_buf b = VG_BUF_INIT(1 << 24);
	char chunk[65536];
	size_t k;
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		vg_buf_append(&b, chunk, k);
	fclose(f);
	return vg_buf_steal(&b, n);
}

/* An API Gateway v2 POST /orders event in o whose JSON body is body. */
static void orders_event(struct vg_buf *o, const struct vg_buf *body)
{
	vg_buf_reset(o);
	vg_buf_puts(
	    o, "{\"version\":\"2.0\",\"routeKey\":\"POST /orders\",\"rawPath\":\"/orders\","
	       "\"headers\":{\"content-type\":\"application/json\"},\"requestContext\":{\"http\":"
	       "{\"method\":\"POST\"}},\"isBase64Encoded\":false,\"body\":");
	vg_buf_json_str(o, body->data, body->len);
	vg_buf_putc(o, '}');
}

/* An API Gateway v2 event whose JSON body holds records of realistic user
 * data, about size bytes in all. */
static void big_event(struct vg_buf *o, size_t size)
{
	struct vg_buf body = VG_BUF_INIT(size * 2);
	vg_buf_puts(&body, "{\"orders\":[");
	for (unsigned i = 0; body.len < size - 400; i++)
		vg_buf_printf(
		    &body,
		    "%s{\"id\":%u,\"customer\":{\"name\":\"Mary O'Brien\",\"email\":"
		    "\"mary.obrien%u@example.com\"},\"note\":\"Please select the blue one "
		    "and drop it at the union office, near the door.\",\"items\":[{\"sku\":"
		    "\"AB-%u\",\"qty\":2,\"price\":19.99}],\"url\":\"https://shop.example.com/p/"
		    "%u\"}",
		    i ? "," : "", i, i, i, i);
	vg_buf_puts(&body, "]}");
	orders_event(o, &body);
	vg_buf_fini(&body);
}

/* The same event with every record different (names, notes and words
 * drawn from small lists by a fixed pseudo-random sequence): the engine
 * replays verdicts on repeated strings, so big_event alone would flatter
 * it on data that repeats less. */
static void big_event_varied(struct vg_buf *o, size_t size)
{
	static const char *const first[] = {"Mary",  "John",  "Aoife", "Chen", "Fatima", "Lars",
	                                    "Priya", "Diego", "Yuki",  "Omar", "Ines",   "Tom"};
	static const char *const last[] = {"O'Brien", "Smith",    "Nguyen", "Garcia", "Muller",
	                                   "Rossi",   "Kowalski", "Dubois", "Silva",  "Okafor"};
	static const char *const words[] = {
	    "please", "select",    "the",    "blue",   "one",      "and",    "drop",    "it",
	    "at",     "post",      "office", "near",   "door",     "leave",  "parcel",  "with",
	    "my",     "neighbour", "call",   "before", "delivery", "gift",   "wrap",    "thanks",
	    "order",  "soon",      "lamp",   "update", "by",       "friday", "morning", "if"};
	uint32_t x = 12345;
#define NEXT(n) ((x = x * 1103515245u + 12345u) >> 16) % (n)
	struct vg_buf body = VG_BUF_INIT(size * 2);
	vg_buf_puts(&body, "{\"orders\":[");
	for (unsigned i = 0; body.len < size - 600; i++) {
		char note[256];
		size_t nl = 0;
		for (int w = 0; w < 12; w++)
			nl += (size_t)snprintf(note + nl, sizeof(note) - nl, "%s%s", w ? " " : "",
			                       words[NEXT(sizeof(words) / sizeof(words[0]))]);
		const char *fn = first[NEXT(12)], *ln = last[NEXT(10)];
		unsigned qty = NEXT(9) + 1, price = NEXT(90) + 9;
		vg_buf_printf(&body,
		              "%s{\"id\":%u,\"customer\":{\"name\":\"%s %s\",\"email\":"
		              "\"user%u@example.com\"},\"note\":\"%s, %u.\",\"items\":[{\"sku\":"
		              "\"AB-%u\",\"qty\":%u,\"price\":%u.99}],\"url\":\"https://"
		              "shop.example.com/p/%u\"}",
		              i ? "," : "", i, fn, ln, i, note, i, i, qty, price, i);
	}
#undef NEXT
	vg_buf_puts(&body, "]}");
	orders_event(o, &body);
	vg_buf_fini(&body);
}

/* An engine whose policy turns every detector off but keep (-1: none, -2:
 * all on), with a time budget long enough that big events are measured,
 * not cut short. */
static struct pol_engine *engine_with_only(int keep)
{
	struct pol_engine *e = NULL;
	char tmpl[] = "/tmp/vigil-bench-XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0)
		return NULL;
	struct vg_buf b = VG_BUF_INIT(4096);
	vg_buf_puts(&b, "{\"limits\":{\"budget_us\":10000000},\"detectors\":{");
	for (int k = 0, first = 1; k <= POL_CAT_CODE_INJECTION; k++) {
		if (k == keep || keep == -2)
			continue;
		vg_buf_printf(&b, "%s\"%s\":\"off\"", first ? "" : ",",
		              pol_category_name((enum pol_category)k));
		first = 0;
	}
	vg_buf_puts(&b, "}}");
	const char *paths[] = {tmpl};
	if (write(fd, b.data, b.len) == (ssize_t)b.len)
		pol_engine_new(&e, paths, 1, POL_MODE_BLOCK, NULL, 0);
	close(fd);
	unlink(tmpl);
	vg_buf_fini(&b);
	return e;
}

typedef void (*gen_fn)(struct vg_buf *o, size_t n);

static void gen_deep(struct vg_buf *o, size_t n)
{
	for (size_t i = 0; i < n / 2; i++)
		vg_buf_putc(o, '[');
	for (size_t i = 0; i < n / 2; i++)
		vg_buf_putc(o, ']');
}

static void gen_quotes(struct vg_buf *o, size_t n)
{
	vg_buf_puts(o, "{\"q\":\"");
	for (size_t i = 0; i < n; i++)
		vg_buf_putc(o, i % 3 ? '\'' : '"' == 0 ? 'x' : '\'');
	vg_buf_puts(o, "\"}");
}

static void gen_keys(struct vg_buf *o, size_t n)
{
	vg_buf_putc(o, '{');
	for (size_t i = 0; o->len < n; i++)
		vg_buf_printf(o, "%s\"k%zu\":\"v\"", i ? "," : "", i);
	vg_buf_putc(o, '}');
}

static void gen_escapes(struct vg_buf *o, size_t n)
{
	vg_buf_puts(o, "{\"e\":\"");
	for (size_t i = 0; o->len < n; i++)
		vg_buf_puts(o, i % 2 ? "\\u0027\\\"" : "\\\\'--");
	vg_buf_puts(o, "\"}");
}

/* An API Gateway v2 POST event in o whose body is the XML document doc. */
static void xml_event(struct vg_buf *o, const char *doc, size_t n)
{
	vg_buf_reset(o);
	vg_buf_puts(o, "{\"version\":\"2.0\",\"routeKey\":\"POST /soap\",\"rawPath\":\"/soap\","
	               "\"headers\":{\"content-type\":\"application/soap+xml; charset=utf-8\"},"
	               "\"requestContext\":{\"http\":{\"method\":\"POST\"}},"
	               "\"isBase64Encoded\":false,\"body\":");
	vg_buf_json_str(o, doc, n);
	vg_buf_putc(o, '}');
}

/* A SOAP order of records (about n bytes) as an XML body. */
static void xml_orders(struct vg_buf *o, size_t n)
{
	struct vg_buf d = VG_BUF_INIT(1 << 28);
	vg_buf_puts(&d, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap="
	                "\"http://www.w3.org/2003/05/soap-envelope\" xmlns:o=\"urn:shop\">"
	                "<soap:Header><o:Auth token=\"c2Vzc2lvbi0xMjM0\"/></soap:Header><soap:Body>"
	                "<o:PlaceOrder>");
	for (unsigned i = 0; d.len < n; i++)
		vg_buf_printf(
		    &d,
		    "<o:Item id=\"%u\" sku=\"SKU-%05u\" qty=\"%u\"><o:Name>Mary O&apos;Brien"
		    "&apos;s &amp; Sons</o:Name><o:Note><![CDATA[Leave at the back door, "
		    "ring twice]]></o:Note><o:Price currency=\"EUR\">%u.95</o:Price>"
		    "</o:Item>\n",
		    i, i * 7 % 100000, i % 5 + 1, i % 90 + 9);
	vg_buf_puts(&d, "</o:PlaceOrder></soap:Body></soap:Envelope>\n");
	xml_event(o, d.data, d.len);
	vg_buf_fini(&d);
}

static void gen_xml_deep(struct vg_buf *o, size_t n)
{
	struct vg_buf d = VG_BUF_INIT(1 << 28);
	for (size_t i = 0; i < n / 7; i++)
		vg_buf_puts(&d, "<a>");
	vg_buf_puts(&d, "x");
	for (size_t i = 0; i < n / 7; i++)
		vg_buf_puts(&d, "</a>");
	xml_event(o, d.data, d.len);
	vg_buf_fini(&d);
}

static void gen_xml_refs(struct vg_buf *o, size_t n)
{
	struct vg_buf d = VG_BUF_INIT(1 << 28);
	vg_buf_puts(&d, "<r>");
	for (unsigned i = 0; d.len < n; i++)
		vg_buf_printf(
		    &d, "<i a=\"&#x27;&lt;%u&quot;\" b='&#39;&amp;&#x7B;'>&#x22;&gt;%u&#0;&x;</i>",
		    i, i);
	vg_buf_puts(&d, "</r>");
	xml_event(o, d.data, d.len);
	vg_buf_fini(&d);
}

/* Why the engine has its own parser: speed on a 1 MB event, and strictness
 * on JSONTestSuite, against cJSON (the project's other JSON library). */
static void compare_parsers(const char *corpora, const struct vg_buf *event)
{
	const int iters = 20;
	/* the event's body: a document of many small values, the hard case */
	struct pol_json outer;
	struct vg_buf body = VG_BUF_INIT(1 << 26), *big = &body;
	if (pol_json_parse(&outer, event->data, event->len) == 0) {
		size_t bn;
		const char *b = pol_json_get_str(&outer, 0, "body", &bn);
		if (b)
			vg_buf_append(&body, b, bn);
	}
	pol_json_fini(&outer);
	uint64_t t0 = vg_mono_ns();
	for (int i = 0; i < iters; i++) {
		struct pol_json d;
		pol_json_parse(&d, big->data, big->len);
		pol_json_fini(&d);
	}
	uint64_t t1 = vg_mono_ns();
	for (int i = 0; i < iters; i++)
		cJSON_Delete(cJSON_ParseWithLength(big->data, big->len));
	uint64_t t2 = vg_mono_ns();
	printf("JSON parsers on a %zu-byte document: ours %.0f MB/s, cJSON %.0f MB/s\n", big->len,
	       (double)big->len * iters / ((double)(t1 - t0) / 1e9) / 1e6,
	       (double)big->len * iters / ((double)(t2 - t1) / 1e9) / 1e6);
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/JSONTestSuite/test_parsing", corpora);
	DIR *dp = opendir(dir);
	struct dirent *e;
	unsigned wrong_ours = 0, wrong_cjson = 0, files = 0;
	while (dp && (e = readdir(dp))) {
		char kind = e->d_name[0];
		if ((kind != 'y' && kind != 'n') || e->d_name[1] != '_')
			continue;
		char path[2048];
		size_t n;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		char *s = slurp(path, &n);
		if (!s)
			continue;
		struct pol_json d;
		int ours = pol_json_parse(&d, s, n) == 0;
		pol_json_fini(&d);
		cJSON *c = cJSON_ParseWithLength(s, n);
		int theirs = c != NULL;
		cJSON_Delete(c);
		wrong_ours += ours != (kind == 'y');
		wrong_cjson += theirs != (kind == 'y');
		files++;
		free(s);
	}
	if (dp)
		closedir(dp);
	printf("JSONTestSuite y_/n_ files judged wrongly (of %u): ours %u, cJSON %u\n", files,
	       wrong_ours, wrong_cjson);
	vg_buf_fini(&body);
}

static void gen_nested_json(struct vg_buf *o, size_t n)
{
	/* a JSON string holding JSON, holding JSON...: each layer escapes */
	struct vg_buf in = VG_BUF_INIT(1 << 28), tmp = VG_BUF_INIT(1 << 28);
	gen_keys(&in, n / 8);
	for (int l = 0; l < 3; l++) {
		vg_buf_reset(&tmp);
		vg_buf_puts(&tmp, "{\"m\":");
		vg_buf_json_str(&tmp, in.data, in.len);
		vg_buf_putc(&tmp, '}');
		vg_buf_reset(&in);
		vg_buf_append(&in, tmp.data, tmp.len);
	}
	vg_buf_append(o, in.data, in.len);
	vg_buf_fini(&in);
	vg_buf_fini(&tmp);
}

/* The adversarial inputs at growing sizes through engine e, as ns per
 * byte; sizes: how many of the sizes (16 KB, 256 KB, 4 MB). */
static void adversarial(struct pol_engine *e, size_t sizes)
{
	struct vg_buf ev = VG_BUF_INIT(1 << 28);
	printf("adversarial inputs: ns per byte at growing sizes (flat = linear)\n");
	static const struct {
		const char *name;
		gen_fn fn;
	} adv[] = {
	    {"deep nesting", gen_deep},           {"runs of quotes", gen_quotes},
	    {"huge key count", gen_keys},         {"escapes", gen_escapes},
	    {"JSON in JSON x3", gen_nested_json}, {"XML deep", gen_xml_deep},
	    {"XML references", gen_xml_refs},
	};
	static const size_t advsz[] = {16 << 10, 256 << 10, 4 << 20};
	static const char *const sznames[] = {"16 KB", "256 KB", "4 MB"};
	printf("  %-16s", "input");
	for (size_t k = 0; k < sizes; k++)
		printf(" %12s", sznames[k]);
	printf("\n");
	for (size_t a = 0; a < sizeof(adv) / sizeof(adv[0]); a++) {
		printf("  %-16s", adv[a].name);
		for (size_t k = 0; k < sizes; k++) {
			vg_buf_reset(&ev);
			adv[a].fn(&ev, advsz[k]);
			double p50, p99;
			time_on(e, ev.data, ev.len, k == 2 ? 5 : 30, &p50, &p99);
			struct pol_result *r;
			int cut = 0;
			if (pol_inspect(e, ev.data, ev.len, &r) == 0) {
				cut = pol_result_budget_exhausted(r);
				pol_result_free(r);
			}
			printf(" %11.2f%c", p50 / (double)ev.len, cut ? '*' : ' ');
		}
		printf("\n");
	}
	printf("  (* the time budget ran out: the event passed, flagged limit.time_budget)\n");
	vg_buf_fini(&ev);
}

/* --once DETECTOR [N]: one inspection of the varied event (or N of them,
 * for perf record), for callgrind; --once-xml: of the 1 MB XML event. */
/* A detector named on the command line, as engine_with_only takes it: its
 * category, -1 for "none", -2 for "all" (when all_ok); -3, said on stderr,
 * for anything else. */
static int detector_arg(const char *name, bool all_ok)
{
	for (int k = 0; k <= POL_CAT_CODE_INJECTION; k++)
		if (strcmp(name, pol_category_name((enum pol_category)k)) == 0)
			return k;
	if (strcmp(name, "none") == 0)
		return -1;
	if (all_ok && strcmp(name, "all") == 0)
		return -2;
	fprintf(stderr, "bench: no detector %s\n", name);
	return -3;
}

static int run_once(const char *name, unsigned times, int xml, size_t xml_size)
{
	int keep = detector_arg(name, false);
	if (keep == -3)
		return 2;
	struct pol_engine *one = engine_with_only(keep);
	if (!one)
		return 1;
	struct vg_buf varied = VG_BUF_INIT(1 << 28);
	if (xml)
		xml_orders(&varied, xml_size);
	else
		big_event_varied(&varied, 1 << 20);
	uint64_t best = UINT64_MAX;
	for (unsigned i = 0; i < times; i++) {
		struct pol_result *r = NULL;
		uint64_t a = vg_mono_ns();
		pol_inspect(one, varied.data, varied.len, &r);
		uint64_t t = vg_mono_ns() - a;
		best = t < best ? t : best;
		pol_result_free(r);
	}
	if (times > 1)
		printf("%s: %zu bytes, fastest of %u runs %.0f us, %.1f MB/s\n", name, varied.len,
		       times, (double)best / 1000, (double)varied.len / ((double)best / 1e9) / 1e6);
	vg_buf_fini(&varied);
	pol_engine_free(one);
	return 0;
}

/* --adversarial DETECTOR: the adversarial rows with only DETECTOR on (or
 * none, or all), the time budget lifted, at 16 KB and 256 KB. */
static int run_adversarial(const char *name)
{
	int keep = detector_arg(name, true);
	if (keep == -3)
		return 2;
	struct pol_engine *one = engine_with_only(keep);
	if (!one)
		return 1;
	printf("%s\n", name);
	adversarial(one, 2);
	pol_engine_free(one);
	return 0;
}

/* --xml-detectors: what each detector adds to the engine alone on the XML
 * rows: the SOAP event of three items (p50 of 5000 runs) and the 1 MB XML
 * body (fastest of 5), time budget lifted. */
static int run_xml_detectors(void)
{
	struct vg_buf small = VG_BUF_INIT(1 << 20), big = VG_BUF_INIT(1 << 28);
	xml_orders(&small, 600);
	xml_orders(&big, 1 << 20);
	struct pol_engine *with = eng;
	double s0 = 0, b0 = 0;
	printf("XML rows: us each detector adds to the engine alone (%zu-byte event p50, "
	       "%zu-byte event fastest of 5)\n",
	       small.len, big.len);
	for (int k = -1; k <= POL_CAT_CODE_INJECTION; k++) {
		struct pol_engine *one = engine_with_only(k);
		if (!one)
			continue;
		eng = one;
		double p50, p99;
		time_event(small.data, small.len, 5000, &p50, &p99);
		double b = time_min(big.data, big.len, 5);
		if (k < 0) {
			s0 = p50;
			b0 = b;
			printf("  %-16s %8.1f %10.0f  (engine alone)\n", "none", p50 / 1000,
			       b / 1000);
		} else {
			printf("  %-16s %8.1f %10.0f\n", pol_category_name((enum pol_category)k),
			       (p50 - s0) / 1000, (b - b0) / 1000);
		}
		pol_engine_free(one);
	}
	eng = with;
	vg_buf_fini(&small);
	vg_buf_fini(&big);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--xml-detectors") == 0)
		return run_xml_detectors();
	if (argc > 2 && strcmp(argv[1], "--adversarial") == 0)
		return run_adversarial(argv[2]);
	if (argc > 2 && (strcmp(argv[1], "--once") == 0 || strcmp(argv[1], "--once-xml") == 0))
		return run_once(argv[2], argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 1,
		                argv[1][6] == '-',
		                argc > 4 ? (size_t)strtoul(argv[4], NULL, 10) : 1 << 20);
	const char *c = argc > 1 ? argv[1] : getenv("VIGIL_CORPORA");
	if (!c)
		c = "../shared/corpora";
	if (pol_engine_new(&eng, NULL, 0, POL_MODE_BLOCK, NULL, 0))
		return 1;
	/* the engine's own share: the same events with every detector off */
	struct pol_engine *bare = engine_with_only(-1);
	static const char *const samples[] = {
	    "aws-lambda-go/events/testdata/apigw-request.json",
	    "aws-lambda-go/events/testdata/apigw-v2-request-no-authorizer.json",
	    "aws-lambda-go/events/testdata/lambda-urls-request.json",
	    "aws-lambda-go/events/testdata/alb-lambda-target-request-multivalue-headers.json",
	    "aws-lambda-go/events/testdata/apigw-custom-auth-request-type-request.json",
	    "aws-lambda-go/events/testdata/apigw-websocket-request.json",
	    "powertools-lambda-python/tests/events/snsSqsEvent.json",
	    "aws-lambda-go/events/testdata/sns-event.json",
	    "aws-lambda-go/events/testdata/s3-event.json",
	    "aws-lambda-go/events/testdata/dynamodb-event.json",
	    "aws-lambda-go/events/testdata/kinesis-event.json",
	    "powertools-lambda-python/tests/events/eventBridgeEvent.json",
	    "aws-lambda-go/events/testdata/cognito-event-userpools-presignup.json",
	    "powertools-lambda-python/tests/events/appSyncResolverEvent.json",
	    "aws-lambda-go/events/testdata/kafka-event.json",
	    "aws-lambda-go/events/testdata/cloudwatch-logs-event.json",
	    "aws-lambda-go/events/testdata/config-event.json",
	};
	printf("typical events (AWS samples), 5000 runs each\n");
	printf("  %-16s %8s %9s %9s %14s\n", "source", "bytes", "p50 us", "p99 us",
	       "engine p50 us");
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		char path[1024];
		size_t n;
		snprintf(path, sizeof(path), "%s/%s", c, samples[i]);
		char *s = slurp(path, &n);
		if (!s) {
			fprintf(stderr, "bench: missing %s\n", path);
			continue;
		}
		struct pol_result *r;
		pol_inspect(eng, s, n, &r);
		const char *src = pol_source_name(pol_result_source(r));
		pol_result_free(r);
		double p50, p99, b50 = 0, b99;
		time_event(s, n, 5000, &p50, &p99);
		if (bare) {
			struct pol_engine *with = eng;
			eng = bare;
			time_event(s, n, 5000, &b50, &b99);
			eng = with;
		}
		printf("  %-16s %8zu %9.1f %9.1f %14.1f\n", src, n, p50 / 1000, p99 / 1000,
		       b50 / 1000);
		free(s);
	}

	{
		/* a typical XML body: a SOAP order of three items */
		struct vg_buf x = VG_BUF_INIT(1 << 20);
		xml_orders(&x, 600);
		double p50, p99, b50 = 0, b99;
		time_event(x.data, x.len, 5000, &p50, &p99);
		if (bare) {
			struct pol_engine *with = eng;
			eng = bare;
			time_event(x.data, x.len, 5000, &b50, &b99);
			eng = with;
		}
		printf("  %-16s %8zu %9.1f %9.1f %14.1f\n", "apigw-v2 (XML)", x.len, p50 / 1000,
		       p99 / 1000, b50 / 1000);
		vg_buf_fini(&x);
	}

	/* big events with the time budget lifted: a cut-short inspection
	 * would measure the budget */
	struct pol_engine *dflt = eng, *wide = engine_with_only(-2);
	if (wide)
		eng = wide;
	printf("throughput (API Gateway v2, JSON body of order records; time budget lifted)\n");
	struct vg_buf ev = VG_BUF_INIT(1 << 28);
	static const size_t sizes[] = {64 << 10, 1 << 20};
	for (size_t i = 0; i < 2; i++) {
		big_event(&ev, sizes[i]);
		double p50, p99;
		unsigned iters = sizes[i] > 100000 ? 50 : 500;
		time_event(ev.data, ev.len, iters, &p50, &p99);
		printf("  %7zu bytes  p50 %8.1f us  %7.1f MB/s\n", ev.len, p50 / 1000,
		       (double)ev.len / (p50 / 1e9) / 1e6);
	}

	struct vg_buf varied = VG_BUF_INIT(1 << 28);
	big_event_varied(&varied, 1 << 20);
	{
		double p50, p99;
		time_event(varied.data, varied.len, 50, &p50, &p99);
		printf("  %7zu bytes  p50 %8.1f us  %7.1f MB/s  (every record different)\n",
		       varied.len, p50 / 1000, (double)varied.len / (p50 / 1e9) / 1e6);
	}

	{
		/* its own buffer: ev still holds the JSON 1 MB event for
		 * compare_parsers below */
		struct vg_buf x = VG_BUF_INIT(1 << 28);
		xml_orders(&x, 1 << 20);
		double p50, p99;
		time_event(x.data, x.len, 20, &p50, &p99);
		printf("  %7zu bytes  p50 %8.1f us  %7.1f MB/s  (XML body, SOAP order records)\n",
		       x.len, p50 / 1000, (double)x.len / (p50 / 1e9) / 1e6);
		vg_buf_fini(&x);
	}

	compare_parsers(c, &ev);
	if (bare) {
		printf(
		    "throughput, engine alone (parse, classify, extract, decode; detectors off)\n");
		struct pol_engine *with = eng;
		eng = bare;
		for (size_t i = 0; i < 2; i++) {
			big_event(&ev, sizes[i]);
			double p50, p99;
			time_event(ev.data, ev.len, sizes[i] > 100000 ? 50 : 500, &p50, &p99);
			printf("  %7zu bytes  p50 %8.1f us  %7.1f MB/s\n", ev.len, p50 / 1000,
			       (double)ev.len / (p50 / 1e9) / 1e6);
		}
		eng = with;
		/* each detector's share: the engine with that one on, less the
		 * engine alone, on the varied 1 MB event */
		eng = bare;
		double b50 = time_min(varied.data, varied.len, 20);
		printf("detectors on the varied %zu-byte event: us each adds to the engine alone "
		       "(%.0f us; fastest of 20 runs)\n ",
		       varied.len, b50 / 1000);
		for (int k = 0; k <= POL_CAT_CODE_INJECTION; k++) {
			struct pol_engine *one = engine_with_only(k);
			if (!one)
				continue;
			eng = one;
			double p50 = time_min(varied.data, varied.len, 20);
			printf(" %s %.0f%s", pol_category_name((enum pol_category)k),
			       (p50 - b50) / 1000, k == 5 ? "\n " : "");
			pol_engine_free(one);
		}
		printf("\n");
		eng = with;
	}
	vg_buf_fini(&varied);

	eng = dflt;
	adversarial(eng, 3);
	vg_buf_fini(&ev);
	pol_engine_free(bare);
	pol_engine_free(wide);
	pol_engine_free(eng);
	return 0;
}
