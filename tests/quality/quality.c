/* Measured detection quality: attack corpora embedded into realistic events
 * of every source, benign AWS sample events, English text. Prints detection
 * rate per class and per source and false-positive rate per corpus, then
 * asserts the floors below (set at what was measured, minus a margin; raise
 * them as detectors improve). An event counts as detected when its verdict
 * is not pass, whichever detector fired; the rate of the class's own
 * detector is printed beside it.
 *
 *   quality [-v]   (-v: print misses and false positives)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "events.h"
#include "pol.h"

#define PER_FILE_MAX 600 /* payloads sampled per list file, evenly */

static int verbose;
static struct pol_engine *eng;
static struct vg_buf ev = VG_BUF_INIT(1 << 26);

/* ---- floors ---- */

static const struct {
	enum pol_category cat;
	double min_pct; /* detection, any detector */
} det_floor[] = {
    /* measured with the detectors on main, minus about one or two
     * points; raise them as detectors improve */
    {POL_CAT_SQLI, 79},
    {POL_CAT_XSS, 77},
    {POL_CAT_CMDI, 84},
    {POL_CAT_PATH_TRAVERSAL, 96},
    {POL_CAT_SSRF, 51},
    {POL_CAT_NOSQLI, 95},
    {POL_CAT_XXE, 86},
    {POL_CAT_DESERIALIZATION, 95},
    {POL_CAT_CODE_INJECTION, 73},
};

static const struct {
	const char *corpus;
	double max_pct; /* false positives */
} fp_ceiling[] = {
    {"aws-samples", 0.0},
    {"fortunes", 1.0},
    {"wamerican", 1.0},
};

/* ---- counting ---- */

struct tally {
	unsigned long n, hit, own;
};

static struct tally by_class[POL_CAT__COUNT], by_source[POL_SRC__COUNT];
static struct tally by_class_source[POL_CAT__COUNT][POL_SRC__COUNT];

static int inspect(const char *s, size_t n, enum pol_category want, struct pol_result **out)
{
	if (pol_inspect(eng, s, n, out))
		return -1;
	int own = 0;
	for (size_t i = 0; i < pol_result_count(*out); i++)
		own |= pol_result_finding(*out, i)->category == want;
	return own;
}

static void attack(enum pol_category cat, const struct q_fields *f, unsigned idx, const char *label)
{
	enum pol_source src = (enum pol_source)(idx % POL_SRC__COUNT);
	q_event(&ev, src, f, idx / POL_SRC__COUNT);
	struct pol_result *r;
	int own = inspect(ev.data, ev.len, cat, &r);
	if (own < 0)
		return;
	int hit = pol_result_verdict(r) == POL_ALERT || pol_result_verdict(r) == POL_BLOCK;
	struct tally *t[] = {&by_class[cat], &by_source[src], &by_class_source[cat][src]};
	for (int i = 0; i < 3; i++) {
		t[i]->n++;
		t[i]->hit += hit;
		t[i]->own += own;
	}
	if (verbose && !hit)
		printf("  miss %s %s [%s]: %.*s\n", pol_category_name(cat), pol_source_name(src),
		       label, (int)(f->vn[f->n - 1] > 160 ? 160 : f->vn[f->n - 1]), f->v[f->n - 1]);
	pol_result_free(r);
}

/* ---- payload lists ---- */

static size_t url_decode(char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n) {
			char hex[3] = {s[i + 1], s[i + 2], 0};
			char *end;
			long v = strtol(hex, &end, 16);
			if (end == hex + 2) {
				s[o++] = (char)v;
				i += 2;
				continue;
			}
		}
		s[o++] = s[i] == '+' ? ' ' : s[i];
	}
	return o;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct vg_buf b = VG_BUF_INIT(1 << 26);
	char chunk[65536];
	size_t k;
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		vg_buf_append(&b, chunk, k);
	fclose(f);
	return vg_buf_steal(&b, n);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Calls fn on every regular file under dir whose name starts with prefix and
 * ends with suffix, in name order, recursing into folders. */
static void each_file(const char *dir, const char *prefix, const char *suffix,
                      void (*fn)(const char *path, void *arg), void *arg)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, by_name);
	if (n < 0) {
		fprintf(stderr, "quality: cannot read %s\n", dir);
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		struct stat st;
		if (name[0] != '.' && stat(path, &st) == 0) {
			size_t nl = strlen(name), sl = strlen(suffix);
			if (S_ISDIR(st.st_mode))
				each_file(path, prefix, suffix, fn, arg);
			else if (strncmp(name, prefix, strlen(prefix)) == 0 && nl >= sl &&
			         strcmp(name + nl - sl, suffix) == 0)
				fn(path, arg);
		}
		free(list[i]);
	}
	free(list);
}

struct list_job {
	enum pol_category cat;
	bool urlencoded; /* libinjection stores its lines URL-encoded */
	unsigned long *idx;
};

/* The fuzzing lists annotate themselves with lines such as "# from wapiti"
 * or "# replace regex with your fuzzer": prose, not payloads. */
static int is_comment(const char *p, size_t len)
{
	size_t i = 1;
	if (len < 3 || p[0] != '#' || (p[1] != ' ' && p[1] != '\t'))
		return 0;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < len && ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z');
}

static void run_list(const char *path, void *arg)
{
	struct list_job *j = arg;
	size_t n;
	char *s = slurp(path, &n);
	if (!s)
		return;
	size_t lines = 0;
	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	size_t stride = lines > PER_FILE_MAX ? (lines + PER_FILE_MAX - 1) / PER_FILE_MAX : 1;
	size_t line = 0;
	for (char *p = s, *e; p < s + n; p = e + 1, line++) {
		e = memchr(p, '\n', (size_t)(s + n - p));
		if (!e)
			e = s + n;
		size_t len = (size_t)(e - p);
		if (len && p[len - 1] == '\r')
			len--;
		if (len == 0 || line % stride || (j->urlencoded && p[0] == '#') ||
		    is_comment(p, len))
			continue;
		if (j->urlencoded)
			len = url_decode(p, len);
		struct q_fields f = {{"id", "q"}, {"1042", p}, {4, len}, 2};
		attack(j->cat, &f, (unsigned)(*j->idx)++, path);
	}
	free(s);
}

/* ---- CRS regression tests (YAML): one test, one request, one event ---- */

static size_t unquote(const char *v, size_t n, char *out)
{
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		size_t o = 0;
		for (size_t i = 1; i + 1 < n; i++) {
			if (v[0] == '"' && v[i] == '\\' && i + 2 < n) {
				char c = v[++i];
				out[o++] = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
			} else {
				out[o++] = v[i];
			}
		}
		return o;
	}
	memcpy(out, v, n);
	return n;
}

struct crs_job {
	enum pol_category cat;
	unsigned long *idx;
	unsigned long negatives, neg_fp;
};

/* Headers a test sets that carry its input (not the transport's own). */
static bool crs_header_is_input(const char *name)
{
	static const char *const transport[] = {
	    "Host",       "Accept",           "Content-Length", "Content-Type",
	    "Connection", "Proxy-Connection", "Keep-Alive",     "Transfer-Encoding",
	    "Expect"};
	if (strncasecmp(name, "Accept-", 7) == 0)
		return false;
	for (size_t i = 0; i < sizeof(transport) / sizeof(transport[0]); i++)
		if (strcasecmp(name, transport[i]) == 0)
			return false;
	return true;
}

/* One CRS test becomes one event: the URI's path and query, the body, the
 * headers and cookies the test sets, each a field of the event (an event
 * of a non-HTTP source has no headers; its fields carry the same inputs). */
static void crs_case(struct crs_job *j, char *uri, char *data, char *headers, bool positive)
{
	struct q_fields f = {0};
	char *query = uri ? strchr(uri, '?') : NULL;
	char *parts[3] = {query ? query + 1 : NULL, data, NULL};
	char *cookies = NULL;
	if (query)
		*query = '\0';
	if (uri && strcmp(uri, "/") != 0 && f.n < Q_FIELDS_MAX) {
		f.k[f.n] = "path";
		f.v[f.n] = uri;
		f.vn[f.n] = url_decode(uri, strlen(uri));
		f.n++;
	}
	/* headers: "Name\tvalue\n" lines */
	for (char *save, *h = headers ? strtok_r(headers, "\n", &save) : NULL;
	     h && f.n < Q_FIELDS_MAX; h = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(h, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		if (strcasecmp(h, "Cookie") == 0) {
			cookies = tab + 1;
			continue;
		}
		if (!crs_header_is_input(h))
			continue;
		f.k[f.n] = h;
		f.v[f.n] = tab + 1;
		f.vn[f.n++] = strlen(tab + 1);
	}
	parts[2] = cookies;
	for (int p = 0; p < 3; p++) {
		if (!parts[p])
			continue;
		const char *sep = p == 2 ? ";" : "&";
		for (char *save, *kv = strtok_r(parts[p], sep, &save); kv && f.n < Q_FIELDS_MAX;
		     kv = strtok_r(NULL, sep, &save)) {
			while (p == 2 && *kv == ' ')
				kv++;
			char *eq = strchr(kv, '=');
			char *val = eq ? eq + 1 : kv;
			if (eq)
				*eq = '\0';
			kv[url_decode(kv, strlen(kv))] = '\0';
			size_t vn = url_decode(val, strlen(val));
			f.k[f.n] = eq ? kv : "q";
			f.v[f.n] = val;
			f.vn[f.n++] = vn;
		}
	}
	if (f.n == 0)
		return;
	if (positive) {
		attack(j->cat, &f, (unsigned)(*j->idx)++, "crs");
		return;
	}
	q_event(&ev, (enum pol_source)(j->negatives % POL_SRC__COUNT), &f, 0);
	struct pol_result *r;
	if (pol_inspect(eng, ev.data, ev.len, &r) == 0) {
		j->negatives++;
		j->neg_fp += pol_result_verdict(r) != POL_PASS;
		if (verbose && pol_result_verdict(r) != POL_PASS)
			for (size_t i = 0; i < pol_result_count(r); i++) {
				const struct pol_finding *fd = pol_result_finding(r, i);
				printf("  flagged crs-negative %s at %s: %s\n", fd->rule, fd->path,
				       fd->excerpt);
			}
		pol_result_free(r);
	}
}

static void run_crs(const char *path, void *arg)
{
	struct crs_job *j = arg;
	size_t n;
	char *s = slurp(path, &n);
	if (!s)
		return;
	char *uri = NULL, *data = NULL;
	/* the headers map's "Name: value" lines, as "Name\tvalue\n" */
	struct vg_buf hdrs = VG_BUF_INIT(1 << 20);
	long hdrs_indent = -1;
	/* a block scalar ("data: |") runs while lines are indented deeper
	 * than its key */
	struct vg_buf block = VG_BUF_INIT(1 << 20);
	long block_indent = -1;
	char block_style = 0;
	for (char *p = s, *e; p < s + n; p = e + 1) {
		e = memchr(p, '\n', (size_t)(s + n - p));
		if (!e)
			e = s + n;
		*e = '\0';
		char *t = p;
		while (*t == ' ')
			t++;
		long indent = (long)(t - p);
		if (block_indent >= 0) {
			if (*t == '\0' || indent > block_indent) {
				if (block.len)
					vg_buf_putc(&block, block_style == '>' ? ' ' : '\n');
				vg_buf_puts(&block, t);
				continue;
			}
			free(data);
			data = vg_buf_steal(&block, NULL);
			block_indent = -1;
		}
		if (hdrs_indent >= 0) {
			char *colon = strstr(t, ": ");
			if (indent > hdrs_indent && colon) {
				char *v = colon + 2;
				while (*v == ' ')
					v++;
				char *val = malloc(strlen(v) + 1);
				val[unquote(v, strlen(v), val)] = '\0';
				vg_buf_append(&hdrs, t, (size_t)(colon - t));
				vg_buf_printf(&hdrs, "\t%s\n", val);
				free(val);
				continue;
			}
			if (indent > hdrs_indent)
				continue;
			hdrs_indent = -1;
		}
		while (*t == '-' || *t == ' ')
			t++;
		if (strncmp(t, "headers:", 8) == 0 && t[8] == '\0') {
			hdrs_indent = indent;
			continue;
		}
		if (strncmp(t, "test_id:", 8) == 0 || strncmp(t, "test_title:", 11) == 0) {
			free(uri);
			free(data);
			uri = data = NULL;
			vg_buf_reset(&hdrs);
		} else if (strncmp(t, "uri:", 4) == 0 || strncmp(t, "data:", 5) == 0) {
			bool is_uri = t[0] == 'u';
			char *v = t + (is_uri ? 4 : 5);
			while (*v == ' ')
				v++;
			if (!is_uri && (*v == '|' || *v == '>')) {
				block_style = *v;
				block_indent = indent;
				vg_buf_reset(&block);
				continue;
			}
			char *out = malloc(strlen(v) + 1);
			out[unquote(v, strlen(v), out)] = '\0';
			free(is_uri ? uri : data);
			*(is_uri ? &uri : &data) = out;
		} else if (strncmp(t, "expect_ids:", 11) == 0 ||
		           strncmp(t, "log_contains:", 13) == 0 ||
		           strncmp(t, "no_expect_ids:", 14) == 0 ||
		           strncmp(t, "no_log_contains:", 16) == 0) {
			if (uri || data || hdrs.len) {
				vg_buf_putc(&hdrs, '\0');
				crs_case(j, uri, data, hdrs.data, t[0] != 'n');
			}
			free(uri);
			free(data);
			uri = data = NULL;
			vg_buf_reset(&hdrs);
		}
	}
	vg_buf_fini(&hdrs);
	vg_buf_fini(&block);
	free(uri);
	free(data);
	free(s);
}

/* ---- benign ---- */

struct benign {
	const char *name;
	unsigned long n, fp, errors;
};

static void judge_benign(struct benign *b, const char *s, size_t n, const char *label)
{
	struct pol_result *r;
	if (pol_inspect(eng, s, n, &r))
		return;
	if (pol_result_verdict(r) == POL_ERROR) {
		b->errors++;
	} else {
		b->n++;
		if (pol_result_verdict(r) != POL_PASS) {
			b->fp++;
			if (verbose)
				for (size_t i = 0; i < pol_result_count(r); i++) {
					const struct pol_finding *f = pol_result_finding(r, i);
					printf("  false positive %s [%s] %s at %s: %s\n", b->name,
					       label, f->rule, f->path, f->excerpt);
				}
		}
	}
	pol_result_free(r);
}

/* sam-cli's samples are mustache templates: fill {{{x}}} and {{x}} with
 * plain words, as `sam local generate-event` does with its defaults. */
static size_t fill_template(char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if (i + 1 < n && s[i] == '{' && s[i + 1] == '{') {
			char *close = strstr(s + i, "}}");
			if (close) {
				i = (size_t)(close - s) + 2;
				if (i < n && s[i] == '}')
					i++;
				memcpy(s + o, "sample", 6);
				o += 6;
				continue;
			}
		}
		s[o++] = s[i++];
	}
	return o;
}

static void run_sample(const char *path, void *arg)
{
	size_t n;
	char *s = slurp(path, &n);
	if (!s)
		return;
	if (strstr(path, "aws-sam-cli"))
		n = fill_template(s, n);
	judge_benign(arg, s, n, strrchr(path, '/') + 1);
	free(s);
}

static unsigned long benign_idx;

static void benign_text(struct benign *b, const char *s, size_t n)
{
	struct q_fields f = {{"id", "comment"}, {"1042", s}, {4, n}, 2};
	unsigned long i = benign_idx++;
	q_event(&ev, (enum pol_source)(i % POL_SRC__COUNT), &f, (unsigned)(i / POL_SRC__COUNT));
	judge_benign(b, ev.data, ev.len, "text");
	if (verbose && b->fp && b->fp == b->n)
		printf("    text: %.*s\n", (int)(n > 200 ? 200 : n), s);
}

static void run_fortunes(const char *path, void *arg)
{
	if (strstr(path, ".dat") || strstr(path, ".u8"))
		return;
	size_t n;
	char *s = slurp(path, &n);
	if (!s)
		return;
	char *p = s, *end = s + n;
	while (p < end) {
		char *sep = strstr(p, "\n%\n");
		char *e = sep ? sep : end;
		if (e > p)
			benign_text(arg, p, (size_t)(e - p));
		p = sep ? sep + 3 : end;
	}
	free(s);
}

static void run_words(struct benign *b, const char *path)
{
	size_t n;
	char *s = slurp(path, &n);
	if (!s) {
		fprintf(stderr, "quality: no %s\n", path);
		exit(1);
	}
	/* eight words a sentence, every word once */
	char *p = s, *start = s;
	int words = 0;
	for (; p < s + n; p++) {
		if (*p != '\n')
			continue;
		*p = ' ';
		if (++words == 8) {
			benign_text(b, start, (size_t)(p - start));
			start = p + 1;
			words = 0;
		}
	}
	free(s);
}

static double pct(unsigned long a, unsigned long b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

int main(int argc, char **argv)
{
	verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
	const char *c = getenv("VIGIL_CORPORA");
	if (!c)
		c = "../shared/corpora";
	if (pol_engine_new(&eng, NULL, 0, POL_MODE_MONITOR, NULL, 0)) {
		fprintf(stderr, "quality: no engine\n");
		return 1;
	}
	char dir[1024];
	unsigned long idx = 0;
	static const struct {
		enum pol_category cat;
		const char *dir, *prefix;
		bool urlencoded;
	} lists[] = {
	    {POL_CAT_SQLI, "PayloadsAllTheThings/SQL Injection/Intruder", "", false},
	    {POL_CAT_SQLI, "libinjection/data", "sqli-", true},
	    {POL_CAT_SQLI, "SecLists/Fuzzing/Databases/SQLi", "", false},
	    {POL_CAT_XSS, "PayloadsAllTheThings/XSS Injection/Intruders", "", false},
	    {POL_CAT_XSS, "libinjection/data", "xss-", true},
	    {POL_CAT_CMDI, "PayloadsAllTheThings/Command Injection/Intruder", "", false},
	    {POL_CAT_PATH_TRAVERSAL, "PayloadsAllTheThings/Directory Traversal/Intruder", "",
	     false},
	    {POL_CAT_PATH_TRAVERSAL, "PayloadsAllTheThings/File Inclusion/Intruders", "", false},
	    {POL_CAT_NOSQLI, "PayloadsAllTheThings/NoSQL Injection/Intruder", "", false},
	    {POL_CAT_XXE, "PayloadsAllTheThings/XXE Injection/Intruders", "", false},
	};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", c, lists[i].dir);
		struct list_job j = {lists[i].cat, lists[i].urlencoded, &idx};
		each_file(dir, lists[i].prefix, ".txt", run_list, &j);
	}
	static const struct {
		const char *family;
		enum pol_category cat;
	} crs[] = {
	    {"REQUEST-930", POL_CAT_PATH_TRAVERSAL},
	    {"REQUEST-931", POL_CAT_SSRF},
	    {"REQUEST-932", POL_CAT_CMDI},
	    {"REQUEST-933", POL_CAT_CODE_INJECTION},
	    {"REQUEST-941", POL_CAT_XSS},
	    {"REQUEST-942", POL_CAT_SQLI},
	    {"REQUEST-944", POL_CAT_DESERIALIZATION},
	};
	unsigned long crs_neg = 0, crs_neg_fp = 0;
	for (int v = 0; v < 2; v++) {
		snprintf(dir, sizeof(dir), "%s/%s/tests/regression/tests", c,
		         v ? "coreruleset-v3.3.4" : "coreruleset");
		struct dirent **fams;
		int nf = scandir(dir, &fams, NULL, by_name);
		for (int i = 0; i < nf; i++) {
			for (size_t k = 0; k < sizeof(crs) / sizeof(crs[0]); k++) {
				if (strncmp(fams[i]->d_name, crs[k].family, 11) != 0)
					continue;
				char fam[1300];
				snprintf(fam, sizeof(fam), "%s/%s", dir, fams[i]->d_name);
				struct crs_job j = {crs[k].cat, &idx, 0, 0};
				each_file(fam, "", ".yaml", run_crs, &j);
				crs_neg += j.negatives;
				crs_neg_fp += j.neg_fp;
			}
			free(fams[i]);
		}
		if (nf >= 0)
			free(fams);
	}

	struct benign samples = {.name = "aws-samples"}, fortunes = {.name = "fortunes"},
	              words = {.name = "wamerican"};
	static const char *const sample_dirs[] = {
	    "aws-lambda-go/events/testdata",
	    "powertools-lambda-python/tests/events",
	    "powertools-lambda-typescript",
	    "aws-lambda-java-libs",
	    "aws-sam-cli",
	};
	for (size_t i = 0; i < sizeof(sample_dirs) / sizeof(sample_dirs[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", c, sample_dirs[i]);
		each_file(dir, "", ".json", run_sample, &samples);
	}
	each_file("/usr/share/games/fortunes", "", "", run_fortunes, &fortunes);
	run_words(&words, "/usr/share/dict/american-english");

	printf("detection by class (verdict alert or block; own: the class's detector fired)\n");
	for (int k = 0; k < POL_CAT__COUNT; k++)
		if (by_class[k].n)
			printf("  %-16s %6lu payloads  detected %5.1f%%  own %5.1f%%\n",
			       pol_category_name((enum pol_category)k), by_class[k].n,
			       pct(by_class[k].hit, by_class[k].n),
			       pct(by_class[k].own, by_class[k].n));
	printf("detection by source\n");
	for (int s = 0; s < POL_SRC__COUNT; s++)
		printf("  %-16s %6lu payloads  detected %5.1f%%\n",
		       pol_source_name((enum pol_source)s), by_source[s].n,
		       pct(by_source[s].hit, by_source[s].n));
	printf("false positives (verdict alert or block)\n");
	struct benign *bs[] = {&samples, &fortunes, &words};
	for (int i = 0; i < 3; i++)
		printf(
		    "  %-16s %6lu events    flagged %lu (%.2f%%)  (%lu files not JSON, skipped)\n",
		    bs[i]->name, bs[i]->n, bs[i]->fp, pct(bs[i]->fp, bs[i]->n), bs[i]->errors);
	printf("  %-16s %6lu events    flagged %lu (%.2f%%)  (reported, not asserted: CRS's own "
	       "negatives)\n",
	       "crs-negatives", crs_neg, crs_neg_fp, pct(crs_neg_fp, crs_neg));

	int fail = 0;
	for (size_t i = 0; i < sizeof(det_floor) / sizeof(det_floor[0]); i++) {
		const struct tally *t = &by_class[det_floor[i].cat];
		double got = pct(t->hit, t->n);
		if (t->n == 0 || got < det_floor[i].min_pct) {
			printf("FLOOR: %s detection %.1f%% below %.1f%%\n",
			       pol_category_name(det_floor[i].cat), got, det_floor[i].min_pct);
			fail = 1;
		}
	}
	for (size_t i = 0; i < sizeof(fp_ceiling) / sizeof(fp_ceiling[0]); i++) {
		for (int k = 0; k < 3; k++) {
			if (strcmp(bs[k]->name, fp_ceiling[i].corpus) != 0)
				continue;
			double got = pct(bs[k]->fp, bs[k]->n);
			if (bs[k]->n == 0 || got > fp_ceiling[i].max_pct) {
				printf("CEILING: %s false positives %.2f%% above %.2f%%\n",
				       bs[k]->name, got, fp_ceiling[i].max_pct);
				fail = 1;
			}
		}
	}
	printf(fail ? "quality: floors not met\n" : "quality: all floors met\n");
	vg_buf_fini(&ev);
	pol_engine_free(eng);
	return fail;
}
