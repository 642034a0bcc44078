/* Measured detection quality: attack corpora embedded into realistic events
 * of every source, benign AWS sample events, English text. Prints detection
 * rate per class and per source and false-positive rate per corpus, then
 * asserts the floors below (set at what was measured, minus a margin; raise
 * them as detectors improve). An event counts as detected when its verdict
 * is not pass, whichever detector fired; the rate of the class's own
 * detector is printed beside it.
 *
 * What a corpus file means is not always one payload a line. The rules
 * below (struct rule) turn files into cases the way their authors meant
 * them; each is applied by shape, never by case, and the run prints how
 * many cases each one changed:
 *   - comment, header and blank lines of payload lists are not cases;
 *   - a list made only of bare names (event-handler wordlists) is measured
 *     in the template it is made for, <x NAME=alert(1)>;
 *   - a line that decodes to a lone '<' (lists of the ways to write one)
 *     is measured as the bracket it stands for, NAMEsvg onload=alert(1)>;
 *   - a {FILE} placeholder of a traversal list is filled with etc/passwd;
 *   - a list whose vectors are wrapped in <div id="N">...</div> markers
 *     (MarioXSSVectors) is cut at the markers, not at line ends, so that a
 *     vector spanning lines is measured whole;
 *   - a CRS regression test becomes the request it sends: for the HTTP
 *     sources the whole request (method, path, query, headers, cookies,
 *     body with its content type) in that source's event; for the others
 *     the parts of the request the test's rule reads (its variables, from
 *     tests/data/quality/crs-rules.tsv: args, cookies, headers, path,
 *     query, body), a form body as its parameters and any other body whole;
 *   - YAML escapes in CRS tests (\xNN, \uNNNN, '') are decoded;
 *   - a CRS test that expects a match but whose desc calls it a false
 *     positive ("Expected (rare) false positive: ...") is a benign input
 *     and counts with the CRS negatives.
 * CRS detection is also printed per paranoia level of the test's rule.
 *
 * Everything above is measured at the built-in policy (paranoia 1). CRS
 * runs each of its regression tests at the paranoia level of the test's
 * rule, and a rule of level 2-4 is one CRS itself leaves off by default;
 * so detection is measured a second time with each CRS test judged at its
 * rule's level ("at level"; other lists stay at level 1), and false
 * positives at every level (reported, not asserted above level 1).
 *
 *   quality [-v|-vv]   (-v: print misses and false positives; -vv: and the
 *                      events of the misses)
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
static struct pol_engine *eng, *eng_at[5]; /* eng_at[N]: paranoia N; eng_at[1] is eng */
static struct vg_buf ev = VG_BUF_INIT(1 << 26);

/* ---- floors ---- */

static const struct {
	enum pol_category cat;
	double min_pct;          /* detection, any detector */
	double min_pct_at_level; /* the same, each CRS test at its rule's level */
} det_floor[] = {
    /* measured on main (2026-12-06, session 5), at paranoia 1 / at level:
     * sqli 91.3 / 96.3, xss 95.6, cmdi 95.4, path_traversal 98.0, ssrf
     * 74.5 / 96.4 of 55 cases, nosqli 97.8, xxe 90.4 of 115,
     * deserialization 99.1, code_injection 99.8; minus about one point (a
     * case or two for ssrf and xxe, whose lists are short); raise them as
     * detectors improve */
    {POL_CAT_SQLI, 90.3, 95.3},
    {POL_CAT_XSS, 94.6, 94.6},
    {POL_CAT_CMDI, 94.4, 94.4},
    {POL_CAT_PATH_TRAVERSAL, 97, 97},
    {POL_CAT_SSRF, 72, 94},
    {POL_CAT_NOSQLI, 95, 95},
    {POL_CAT_XXE, 89.5, 89.5},
    {POL_CAT_DESERIALIZATION, 98, 98},
    {POL_CAT_CODE_INJECTION, 98.8, 98.8},
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
	unsigned long at_level; /* detected with CRS tests at their rule's level */
};

static struct tally by_class[POL_CAT__COUNT], by_source[POL_SRC__COUNT];
static struct tally by_class_source[POL_CAT__COUNT][POL_SRC__COUNT];

/* ---- measurement rules: what a corpus file means ---- */

enum rule {
	R_COMMENT,
	R_HEADER,
	R_BLANK,
	R_HANDLER,
	R_BRACKET,
	R_FILE,
	R_MARKERS,
	R_CRS_HTTP,
	R_CRS_TARGETS,
	R_CRS_BODY,
	R_CRS_ESCAPES,
	R_CRS_FP,
	R_S3_RECORDS,
	R_S3_LONG,
	R__COUNT
};

static const char *const rule_text[R__COUNT] = {
    [R_COMMENT] = "comment lines of payload lists skipped (\"# from wapiti\")",
    [R_HEADER] = "section header lines of payload lists skipped (\"#Google.com:\")",
    [R_BLANK] = "blank lines of payload lists skipped",
    [R_HANDLER] = "bare event-handler names measured as <x NAME=alert(1)>",
    [R_BRACKET] = "encodings of a lone '<' measured as NAMEsvg onload=alert(1)>",
    [R_FILE] = "{FILE} placeholders of traversal lists filled with etc/passwd",
    [R_MARKERS] = "lines joined into whole <div id=N> vectors (count: vectors)",
    [R_CRS_HTTP] = "CRS tests sent whole as the request of an HTTP source",
    [R_CRS_TARGETS] = "CRS tests carrying the parts their rule reads (other sources)",
    [R_CRS_BODY] = "CRS bodies not form-encoded carried whole, not split at '&'",
    [R_CRS_ESCAPES] = "CRS tests whose YAML escapes were decoded",
    [R_CRS_FP] = "CRS tests expecting a match their desc calls a false positive: benign",
    [R_S3_RECORDS] = "S3 events: each field's name and value the key of a record of its own",
    [R_S3_LONG] = "  of which a name or value is over S3's 1,024-byte key limit (kept whole)",
};

static unsigned long rule_n[R__COUNT];

static int inspect(const char *s, size_t n, enum pol_category want, struct pol_result **out)
{
	if (pol_inspect(eng, s, n, out))
		return -1;
	int own = 0;
	for (size_t i = 0; i < pol_result_count(*out); i++)
		own |= pol_result_finding(*out, i)->category == want;
	return own;
}

/* Prints at most 160 bytes of s on one line: line ends as \n. */
static void print_excerpt(const char *s, size_t n)
{
	for (size_t i = 0; i < n && i < 160; i++)
		if (s[i] == '\n' || s[i] == '\r')
			fputs(s[i] == '\n' ? "\\n" : "\\r", stdout);
		else
			putchar(s[i]);
	putchar('\n');
}

/* Judges the event in ev, built for source src; shown is what a miss
 * prints. */
static bool flagged(const struct pol_result *r)
{
	return pol_result_verdict(r) == POL_ALERT || pol_result_verdict(r) == POL_BLOCK;
}

/* Whether the event in ev alerts at paranoia level (2..4). */
static int flagged_at(unsigned level)
{
	struct pol_result *r;
	if (pol_inspect(eng_at[level], ev.data, ev.len, &r))
		return 0;
	int hit = flagged(r);
	pol_result_free(r);
	return hit;
}

/* Judges the event in ev, built for source src, at the built-in policy
 * and, missed there, at paranoia level (1..4; 1 for cases not tied to a
 * level); shown is what a miss prints. Returns detection at level 1 and
 * sets *at_level. */
static int judge_attack(enum pol_category cat, enum pol_source src, const char *label,
                        unsigned level, const char *shown, size_t shown_n, int *at_level)
{
	struct pol_result *r;
	int own = inspect(ev.data, ev.len, cat, &r);
	if (own < 0)
		return -1;
	int hit = flagged(r);
	int lv = hit || (level > 1 && level <= 4 && flagged_at(level));
	struct tally *t[] = {&by_class[cat], &by_source[src], &by_class_source[cat][src]};
	for (int i = 0; i < 3; i++) {
		t[i]->n++;
		t[i]->hit += hit;
		t[i]->own += own;
		t[i]->at_level += lv;
	}
	if (at_level)
		*at_level = lv;
	if (verbose && !hit) {
		printf("  miss %s %s [%s", pol_category_name(cat), pol_source_name(src), label);
		if (level > 1)
			printf(", PL%u: %s", level, lv ? "caught" : "missed");
		printf("]: ");
		print_excerpt(shown, shown_n);
		if (verbose > 1)
			printf("    event: %.*s\n", (int)(ev.len > 2000 ? 2000 : ev.len), ev.data);
	}
	pol_result_free(r);
	return hit;
}

/* An S3 key holds one string, so an S3 event carries each name and each
 * value of the fields as the key of a record of its own (events.c): counts
 * the attack cases so placed, and those with a string longer than a key
 * may be. */
static void s3_rule(enum pol_source src, const struct q_fields *f)
{
	if (src != POL_SRC_S3)
		return;
	rule_n[R_S3_RECORDS]++;
	for (size_t i = 0; i < f->n; i++)
		if (strlen(f->k[i]) > 1024 || f->vn[i] > 1024) {
			rule_n[R_S3_LONG]++;
			break;
		}
}

static void attack(enum pol_category cat, const struct q_fields *f, unsigned idx, const char *label)
{
	enum pol_source src = (enum pol_source)(idx % POL_SRC__COUNT);
	s3_rule(src, f);
	q_event(&ev, src, f, idx / POL_SRC__COUNT);
	judge_attack(cat, src, label, 1, f->v[f->n - 1], f->vn[f->n - 1], NULL);
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

/* "#Google.com:", "#Yandex": a list's section title, not a payload. */
static bool is_section_header(const char *p, size_t len)
{
	if (len < 2 || p[0] != '#')
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = p[i];
		bool word = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
		if (!word && !(c >= '0' && c <= '9') && c != '.' && c != ' ' &&
		    !(c == ':' && i == len - 1))
			return false;
	}
	return true;
}

static bool is_bare_name(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z'))
			return false;
	return len > 0;
}

/* The length of the line at p (without its "\r\n" or "\n"); *span is
 * set to the bytes up to its newline, or up to end. */
static size_t line_len(const char *p, const char *end, size_t *span)
{
	const char *e = memchr(p, '\n', (size_t)(end - p));
	*span = (size_t)((e ? e : end) - p);
	return *span && p[*span - 1] == '\r' ? *span - 1 : *span;
}

/* A list all of whose lines are bare names (letters only) is a wordlist of
 * event-handler names, not of payloads. */
static bool is_name_list(const char *s, size_t n)
{
	size_t names = 0;
	size_t span;
	for (const char *p = s; p < s + n; p += span + 1) {
		size_t len = line_len(p, s + n, &span);
		if (len && !is_bare_name(p, len))
			return false;
		names += len > 0;
	}
	return names > 0;
}

/* 1 when the line, decoded once (%XX, &lt, &#N, &#xN with or without ';',
 * \xNN, \uNNNN), is a lone '<': one of the ways to write the bracket. */
static bool is_lone_bracket(const char *p, size_t len)
{
	char buf[32];
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (len && buf[len - 1] == ';')
		buf[--len] = '\0';
	if (strcmp(buf, "<") == 0 || strcasecmp(buf, "%3c") == 0 || strcasecmp(buf, "&lt") == 0)
		return true;
	char *end;
	unsigned long v;
	if (strncasecmp(buf, "&#x", 3) == 0)
		v = strtoul(buf + 3, &end, 16);
	else if (strncmp(buf, "&#", 2) == 0)
		v = strtoul(buf + 2, &end, 10);
	else if (strncasecmp(buf, "\\x", 2) == 0 || strncasecmp(buf, "\\u", 2) == 0)
		v = strtoul(buf + 2, &end, 16);
	else
		return false;
	return v == '<' && *end == '\0' && end > buf + 2;
}

/* One case of a list, after the rules that give it the shape it is made
 * for. */
static void list_case(struct list_job *j, const char *path, char *p, size_t len, bool names)
{
	char *made = NULL;
	if (names) {
		rule_n[R_HANDLER]++;
		made = malloc(len + 32);
		len = (size_t)sprintf(made, "<x %.*s=alert(1)>", (int)len, p);
		p = made;
	} else if (j->cat == POL_CAT_XSS && is_lone_bracket(p, len)) {
		rule_n[R_BRACKET]++;
		made = malloc(len + 32);
		len = (size_t)sprintf(made, "%.*ssvg onload=alert(1)>", (int)len, p);
		p = made;
	} else if (j->cat == POL_CAT_PATH_TRAVERSAL && memmem(p, len, "{FILE}", 6)) {
		rule_n[R_FILE]++;
		made = malloc(len * 2 + 16);
		size_t o = 0;
		for (size_t i = 0; i < len;) {
			if (i + 6 <= len && memcmp(p + i, "{FILE}", 6) == 0) {
				memcpy(made + o, "etc/passwd", 10);
				o += 10;
				i += 6;
			} else {
				made[o++] = p[i++];
			}
		}
		p = made;
		len = o;
	}
	struct q_fields f = {{"id", "q"}, {"1042", p}, {4, len}, 2};
	attack(j->cat, &f, (unsigned)(*j->idx)++, path);
	free(made);
}

/* MarioXSSVectors wraps each vector in <div id="N">...</div> (N a number),
 * and a vector may span lines: the cases are the pieces between markers. */
static const char vector_marker[] = "<div id=\"";

static char *next_marker(char *p, const char *end)
{
	size_t m = strlen(vector_marker);
	while (p < end && (p = memmem(p, (size_t)(end - p), vector_marker, m))) {
		char *d = p + m;
		while (d < end && *d >= '0' && *d <= '9')
			d++;
		if (d > p + m && d + 1 < end && d[0] == '"' && d[1] == '>')
			return p;
		p += m;
	}
	return NULL;
}

static void run_marked(struct list_job *j, const char *path, char *s, size_t n)
{
	size_t vectors = 0;
	for (char *p = next_marker(s, s + n); p; p = next_marker(p + 1, s + n))
		vectors++;
	size_t stride = vectors > PER_FILE_MAX ? (vectors + PER_FILE_MAX - 1) / PER_FILE_MAX : 1;
	size_t k = 0;
	for (char *p = next_marker(s, s + n), *e; p; p = e, k++) {
		e = next_marker(p + 1, s + n);
		size_t len = (size_t)((e ? e : s + n) - p);
		while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
			len--;
		if (k % stride)
			continue;
		rule_n[R_MARKERS]++;
		list_case(j, path, p, len, false);
	}
}

static void run_list(const char *path, void *arg)
{
	struct list_job *j = arg;
	size_t n;
	char *s = slurp(path, &n);
	if (!s)
		return;
	if (next_marker(s, s + n) == s) {
		run_marked(j, path, s, n);
		free(s);
		return;
	}
	bool names = !j->urlencoded && is_name_list(s, n);
	size_t lines = 0;
	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	size_t stride = lines > PER_FILE_MAX ? (lines + PER_FILE_MAX - 1) / PER_FILE_MAX : 1;
	size_t line = 0;
	size_t span;
	for (char *p = s; p < s + n; p += span + 1, line++) {
		size_t len = line_len(p, s + n, &span);
		if (line % stride)
			continue;
		if (len == 0) {
			rule_n[R_BLANK]++;
			continue;
		}
		if ((j->urlencoded && p[0] == '#') || is_comment(p, len)) {
			rule_n[R_COMMENT]++;
			continue;
		}
		if (!j->urlencoded && is_section_header(p, len)) {
			rule_n[R_HEADER]++;
			continue;
		}
		if (j->urlencoded)
			len = url_decode(p, len);
		list_case(j, path, p, len, names);
	}
	free(s);
}

/* ---- CRS regression tests (YAML): one test, one request, one event ---- */

/* The rules' paranoia levels and variables (tests/data/quality/crs-rules.tsv). */
enum { T_ARGS = 1, T_COOKIES = 2, T_HEADERS = 4, T_PATH = 8, T_QUERY = 16, T_BODY = 32 };
#define T_ALL (T_ARGS | T_COOKIES | T_HEADERS | T_PATH | T_BODY)

struct crs_rule {
	unsigned id;
	int pl;
	unsigned targets;
	char named[160]; /* ",header:User-Agent,header:Referer," */
};

static struct crs_rule crs_rules[512];
static size_t crs_nrules;

static void load_crs_rules(void)
{
	const char *root = getenv("VIGIL_SOURCE_ROOT");
	char path[4096], line[1024];
	snprintf(path, sizeof(path), "%s/tests/data/quality/crs-rules.tsv", root ? root : ".");
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "quality: cannot open %s\n", path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f) && crs_nrules < 512) {
		struct crs_rule *r = &crs_rules[crs_nrules];
		char targets[800];
		if (line[0] == '#' || sscanf(line, "%u\t%d\t%799s", &r->id, &r->pl, targets) != 3)
			continue;
		memset(r->named, 0, sizeof(r->named));
		r->targets = 0;
		for (char *save, *t = strtok_r(targets, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			static const struct {
				const char *w;
				unsigned bit;
			} words[] = {{"args", T_ARGS},       {"cookies", T_COOKIES},
			             {"headers", T_HEADERS}, {"path", T_PATH},
			             {"query", T_QUERY},     {"body", T_BODY}};
			for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
				if (strcmp(t, words[i].w) == 0)
					r->targets |= words[i].bit;
			if (strncmp(t, "header:", 7) == 0 &&
			    strlen(r->named) + strlen(t) + 2 < sizeof(r->named)) {
				if (!r->named[0])
					strcat(r->named, ",");
				strcat(r->named, t);
				strcat(r->named, ",");
			}
		}
		crs_nrules++;
	}
	fclose(f);
}

static const struct crs_rule *crs_rule_find(unsigned id)
{
	for (size_t i = 0; i < crs_nrules; i++)
		if (crs_rules[i].id == id)
			return &crs_rules[i];
	return NULL;
}

static void put_utf8(char *out, size_t *o, unsigned long cp)
{
	if (cp < 0x80) {
		out[(*o)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*o)++] = (char)(0xc0 | cp >> 6);
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*o)++] = (char)(0xe0 | cp >> 12);
		out[(*o)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*o)++] = (char)(0xf0 | cp >> 18);
		out[(*o)++] = (char)(0x80 | (cp >> 12 & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/* A YAML scalar's bytes: double-quoted escapes (\xNN, \uNNNN, \UNNNNNNNN and
 * the one-letter ones) and single-quoted '' decoded. *escaped is set when an
 * escape other than \" \\ \n \t \r was met. The output is never longer than
 * the input. */
static size_t unquote(const char *v, size_t n, char *out, bool *escaped)
{
	if (n < 2 || (v[0] != '"' && v[0] != '\'') || v[n - 1] != v[0]) {
		memcpy(out, v, n);
		return n;
	}
	size_t o = 0;
	for (size_t i = 1; i + 1 < n; i++) {
		if (v[0] == '\'') {
			out[o++] = v[i];
			if (v[i] == '\'' && v[i + 1] == '\'' && i + 2 < n) {
				i++;
				*escaped = true;
			}
			continue;
		}
		if (v[i] != '\\' || i + 2 >= n) {
			out[o++] = v[i];
			continue;
		}
		char c = v[++i];
		int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
		if (digits && i + (size_t)digits < n - 1) {
			char hex[9] = {0}, *end;
			memcpy(hex, v + i + 1, (size_t)digits);
			unsigned long cp = strtoul(hex, &end, 16);
			if (end == hex + digits && cp <= 0x10ffff) {
				if (c == 'x')
					out[o++] = (char)cp;
				else
					put_utf8(out, &o, cp);
				i += (size_t)digits;
				*escaped = true;
				continue;
			}
		}
		static const char from[] = "ntr0abefv/ ", to[] = "\n\t\r\0\a\b\033\f\v/ ";
		const char *k = strchr(from, c);
		if (k && c) {
			out[o++] = to[k - from];
			*escaped |= k - from > 2;
		} else {
			out[o++] = c; /* \" \\ and the unknown */
		}
	}
	return o;
}

struct crs_job {
	enum pol_category cat;
	unsigned long *idx;
	unsigned long negatives, neg_fp, neg_fp_at_level;
	unsigned rule;
};

/* Detection by the paranoia level of the test's rule (0: rule not in
 * crs-rules.tsv). */
static struct tally by_pl[5];

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

/* Decoded copies made for one case's fields, freed together. */
struct crs_strings {
	char *s[64];
	size_t n;
};

static char *keep(struct crs_strings *k, const char *s, size_t n, size_t *out_n)
{
	char *c = malloc(n + 1);
	memcpy(c, s, n);
	c[n] = '\0';
	*out_n = url_decode(c, n);
	c[*out_n] = '\0';
	if (k->n < sizeof(k->s) / sizeof(k->s[0]))
		k->s[k->n++] = c;
	return c;
}

static void add_field(struct q_fields *f, const char *k, const char *v, size_t vn)
{
	if (f->n >= Q_FIELDS_MAX)
		return;
	f->k[f->n] = k;
	f->v[f->n] = v;
	f->vn[f->n++] = vn;
}

/* name=value pairs separated by sep, decoded, as fields. */
static void add_pairs(struct q_fields *f, struct crs_strings *k, const char *s, char sep)
{
	while (s && *s && f->n < Q_FIELDS_MAX) {
		while (sep == ';' && *s == ' ')
			s++;
		const char *end = strchr(s, sep);
		size_t len = end ? (size_t)(end - s) : strlen(s);
		const char *eq = memchr(s, '=', len);
		if (len) {
			size_t kn, vn;
			const char *name = eq ? keep(k, s, (size_t)(eq - s), &kn) : "q";
			const char *val = eq ? keep(k, eq + 1, len - (size_t)(eq - s) - 1, &vn)
			                     : keep(k, s, len, &vn);
			add_field(f, name, val, vn);
		}
		s = end ? end + 1 : NULL;
	}
}

static const char *header_of(const struct q_request *rq, const char *name)
{
	for (size_t i = 0; i < rq->nh; i++)
		if (strcasecmp(rq->hk[i], name) == 0)
			return rq->hv[i];
	return NULL;
}

/* The fields of a non-HTTP event: the parts of the request that the
 * targets name, a form body as its parameters, any other body whole. */
static void crs_fields(struct q_fields *f, struct crs_strings *k, const struct q_request *rq,
                       unsigned targets, const char *named, bool form)
{
	size_t n;
	const char *v;
	if ((targets & T_PATH) && rq->path && strcmp(rq->path, "/") != 0) {
		v = keep(k, rq->path, strlen(rq->path), &n);
		add_field(f, "path", v, n);
	}
	if ((targets & T_ARGS) && rq->query) {
		add_pairs(f, k, rq->query, '&');
	} else if ((targets & T_QUERY) && rq->query) {
		v = keep(k, rq->query, strlen(rq->query), &n);
		add_field(f, "query", v, n);
	}
	for (size_t i = 0; i < rq->nh; i++) {
		char want[300];
		snprintf(want, sizeof(want), ",header:%s,", rq->hk[i]);
		if (strcasecmp(rq->hk[i], "Cookie") == 0) {
			if (targets & T_COOKIES)
				add_pairs(f, k, rq->hv[i], ';');
		} else if (((targets & T_HEADERS) && crs_header_is_input(rq->hk[i])) ||
		           (named && strcasestr(named, want))) {
			add_field(f, rq->hk[i], rq->hv[i], strlen(rq->hv[i]));
		}
	}
	if (rq->body && form && (targets & T_ARGS))
		add_pairs(f, k, rq->body, '&');
	else if (rq->body && form && (targets & (T_BODY | T_QUERY)))
		add_field(f, "body", (v = keep(k, rq->body, rq->body_n, &n)), n);
	else if (rq->body && (targets & (T_ARGS | T_BODY)))
		add_field(f, "body", rq->body, rq->body_n);
}

/* One CRS test becomes one event: for an HTTP source the request itself,
 * for the others the parts of it that the test's rule reads. */
static void crs_case(struct crs_job *j, const char *method, char *uri, char *data, char *headers,
                     bool positive, bool escaped)
{
	struct q_request rq = {.method = method, .path = uri, .body = data};
	if (data)
		rq.body_n = strlen(data);
	char *query = uri ? strchr(uri, '?') : NULL;
	if (query) {
		*query = '\0';
		rq.query = query + 1;
	}
	/* headers: "Name\tvalue\n" lines */
	for (char *save, *h = headers ? strtok_r(headers, "\n", &save) : NULL;
	     h && rq.nh < Q_HEADERS_MAX; h = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(h, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		rq.hk[rq.nh] = h;
		rq.hv[rq.nh++] = tab + 1;
	}
	/* a body without a content type goes out form-encoded, as the test
	 * runners send it */
	const char *ct = header_of(&rq, "Content-Type");
	if (data && !ct && rq.nh < Q_HEADERS_MAX) {
		rq.hk[rq.nh] = "Content-Type";
		rq.hv[rq.nh++] = ct = "application/x-www-form-urlencoded";
	}
	bool form = !ct || strcasestr(ct, "x-www-form-urlencoded");

	const struct crs_rule *rule = crs_rule_find(j->rule);
	unsigned level = rule && rule->pl >= 1 && rule->pl <= 4 ? (unsigned)rule->pl : 1;
	unsigned long i = positive ? (*j->idx)++ : j->negatives;
	enum pol_source src = (enum pol_source)(i % POL_SRC__COUNT);
	struct q_fields f = {0};
	struct crs_strings k = {0};
	if (q_source_is_http(src)) {
		q_http_event(&ev, src, &rq);
	} else {
		crs_fields(&f, &k, &rq, rule ? rule->targets : T_ALL, rule ? rule->named : NULL,
		           form);
		if (f.n == 0)
			crs_fields(&f, &k, &rq, T_ALL, NULL, form);
		if (f.n == 0) {
			if (positive)
				(*j->idx)--;
			goto out;
		}
		q_event(&ev, src, &f, (unsigned)(i / POL_SRC__COUNT));
		if (positive)
			s3_rule(src, &f);
	}
	if (positive) {
		rule_n[q_source_is_http(src) ? R_CRS_HTTP : R_CRS_TARGETS]++;
		rule_n[R_CRS_BODY] += data && !form;
		rule_n[R_CRS_ESCAPES] += escaped;
		struct vg_buf shown = VG_BUF_INIT(1 << 20);
		vg_buf_printf(&shown, "%s %s%s%s", method ? method : "GET", uri ? uri : "/",
		              rq.query ? "?" : "", rq.query ? rq.query : "");
		for (size_t h = 0; h < rq.nh; h++)
			if (crs_header_is_input(rq.hk[h]))
				vg_buf_printf(&shown, " | %s: %s", rq.hk[h], rq.hv[h]);
		if (data)
			vg_buf_printf(&shown, " | body %s", data);
		char label[32];
		snprintf(label, sizeof(label), "crs %u", j->rule);
		int lv = 0,
		    hit = judge_attack(j->cat, src, label, level, shown.data, shown.len, &lv);
		vg_buf_fini(&shown);
		if (hit >= 0) {
			struct tally *t = &by_pl[rule ? level : 0];
			t->n++;
			t->hit += (unsigned long)hit;
			t->at_level += (unsigned long)lv;
		}
		goto out;
	}
	struct pol_result *r;
	if (pol_inspect(eng, ev.data, ev.len, &r) == 0) {
		j->negatives++;
		j->neg_fp += pol_result_verdict(r) != POL_PASS;
		j->neg_fp_at_level +=
		    pol_result_verdict(r) != POL_PASS || (level > 1 && flagged_at(level));
		if (verbose && pol_result_verdict(r) != POL_PASS)
			for (size_t x = 0; x < pol_result_count(r); x++) {
				const struct pol_finding *fd = pol_result_finding(r, x);
				printf("  flagged crs-negative %s at %s: %s\n", fd->rule, fd->path,
				       fd->excerpt);
			}
		pol_result_free(r);
	}
out:
	for (size_t x = 0; x < k.n; x++)
		free(k.s[x]);
}

static void run_crs(const char *path, void *arg)
{
	struct crs_job *j = arg;
	size_t n;
	char *s = slurp(path, &n);
	if (!s)
		return;
	const char *base = strrchr(path, '/');
	j->rule = (unsigned)strtoul(base ? base + 1 : path, NULL, 10);
	char *uri = NULL, *data = NULL, *method = NULL;
	bool escaped = false, fp_desc = false;
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
				val[unquote(v, strlen(v), val, &escaped)] = '\0';
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
			free(method);
			uri = data = method = NULL;
			escaped = fp_desc = false;
			vg_buf_reset(&hdrs);
		} else if (strncmp(t, "desc:", 5) == 0) {
			fp_desc =
			    strcasestr(t, "false positive") || strcasestr(t, "false-positive");
		} else if (strncmp(t, "uri:", 4) == 0 || strncmp(t, "data:", 5) == 0 ||
		           strncmp(t, "method:", 7) == 0) {
			char **dst = t[0] == 'u' ? &uri : t[0] == 'd' ? &data : &method;
			char *v = strchr(t, ':') + 1;
			while (*v == ' ')
				v++;
			if (dst == &data && (*v == '|' || *v == '>')) {
				block_style = *v;
				block_indent = indent;
				vg_buf_reset(&block);
				continue;
			}
			char *out = malloc(strlen(v) + 1);
			out[unquote(v, strlen(v), out, &escaped)] = '\0';
			free(*dst);
			*dst = out;
		} else if (strncmp(t, "expect_ids:", 11) == 0 ||
		           strncmp(t, "log_contains:", 13) == 0 ||
		           strncmp(t, "no_expect_ids:", 14) == 0 ||
		           strncmp(t, "no_log_contains:", 16) == 0) {
			if (uri || data || hdrs.len) {
				vg_buf_putc(&hdrs, '\0');
				bool positive = t[0] != 'n' && !fp_desc;
				rule_n[R_CRS_FP] += t[0] != 'n' && fp_desc;
				crs_case(j, method, uri, data, hdrs.data, positive, escaped);
			}
			free(uri);
			free(data);
			free(method);
			uri = data = method = NULL;
			escaped = false;
			vg_buf_reset(&hdrs);
		}
	}
	vg_buf_fini(&hdrs);
	vg_buf_fini(&block);
	free(uri);
	free(data);
	free(method);
	free(s);
}

/* ---- benign ---- */

struct benign {
	const char *name;
	unsigned long n, fp, errors;
	unsigned long fp_at[5]; /* flagged at paranoia N (fp_at[1] == fp) */
};

/* Judges a benign event at every paranoia level (a level flags all that
 * the one below does, and more); -v prints the findings of an event first
 * flagged at level 1 or 2, -vv at any level. */
static void judge_benign(struct benign *b, const char *s, size_t n, const char *label)
{
	bool below = false;
	for (unsigned lv = 1; lv <= 4; lv++) {
		struct pol_result *r;
		if (pol_inspect(eng_at[lv], s, n, &r))
			return;
		if (pol_result_verdict(r) == POL_ERROR) {
			b->errors += lv == 1;
			pol_result_free(r);
			return;
		}
		b->n += lv == 1;
		bool fp = pol_result_verdict(r) != POL_PASS;
		b->fp_at[lv] += fp;
		if (fp && !below && verbose > (lv > 2))
			for (size_t i = 0; i < pol_result_count(r); i++) {
				const struct pol_finding *f = pol_result_finding(r, i);
				if (lv == 1)
					printf("  false positive %s [%s] %s at %s: %s\n", b->name,
					       label, f->rule, f->path, f->excerpt);
				else
					printf("  false positive at PL%u %s [%s] %s at %s: %s\n",
					       lv, b->name, label, f->rule, f->path, f->excerpt);
			}
		below |= fp;
		pol_result_free(r);
	}
	b->fp = b->fp_at[1];
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
	verbose = argc > 1 && strcmp(argv[1], "-v") == 0    ? 1
	          : argc > 1 && strcmp(argv[1], "-vv") == 0 ? 2
	                                                    : 0;
	const char *c = getenv("VIGIL_CORPORA");
	if (!c)
		c = "../shared/corpora";
	/* The built-in policy with the time budget lifted: this measures what
	 * the detectors find, the same on a loaded machine or a sanitized
	 * build; the budget is the benchmarks' and unit tests' business. */
	const char *root = getenv("VIGIL_SOURCE_ROOT");
	char lifted[1024];
	snprintf(lifted, sizeof(lifted), "%s/tests/data/quality/lifted-budget.json",
	         root ? root : ".");
	const char *const layers[] = {lifted};
	char err[1200];
	if (pol_engine_new(&eng, layers, 1, POL_MODE_MONITOR, err, sizeof(err))) {
		fprintf(stderr, "quality: no engine: %s\n", err);
		return 1;
	}
	eng_at[1] = eng;
	for (unsigned lv = 2; lv <= 4; lv++) {
		if (pol_engine_new_at(&eng_at[lv], lv, layers, 1, POL_MODE_MONITOR, err,
		                      sizeof(err))) {
			fprintf(stderr, "quality: no engine at paranoia %u: %s\n", lv, err);
			return 1;
		}
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
	unsigned long crs_neg = 0, crs_neg_fp = 0, crs_neg_fp_at_level = 0;
	load_crs_rules();
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
				struct crs_job j = {.cat = crs[k].cat, .idx = &idx};
				each_file(fam, "", ".yaml", run_crs, &j);
				crs_neg += j.negatives;
				crs_neg_fp += j.neg_fp;
				crs_neg_fp_at_level += j.neg_fp_at_level;
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

	printf("measurement rules (what a corpus file means; cases each rule changed)\n");
	for (int i = 0; i < R__COUNT; i++)
		printf("  %6lu  %s\n", rule_n[i], rule_text[i]);
	printf("crs detection by paranoia level (the rule's paranoia-level/N tag, "
	       "tests/data/quality/crs-rules.tsv; all levels count in the class figures; "
	       "at level: judged at the rule's paranoia level)\n");
	for (int i = 1; i <= 4; i++)
		printf("  PL%d              %6lu tests     detected %5.1f%%  at level %5.1f%%\n", i,
		       by_pl[i].n, pct(by_pl[i].hit, by_pl[i].n),
		       pct(by_pl[i].at_level, by_pl[i].n));
	printf("  %-16s %6lu tests     detected %5.1f%%\n", "rule not listed", by_pl[0].n,
	       pct(by_pl[0].hit, by_pl[0].n));
	printf("detection by class (verdict alert or block at the built-in policy, paranoia 1; "
	       "own: the class's detector fired; at level: each CRS test judged at its rule's "
	       "paranoia level, as CRS runs its own tests, the other lists at 1)\n");
	for (int k = 0; k < POL_CAT__COUNT; k++)
		if (by_class[k].n)
			printf("  %-16s %6lu payloads  detected %5.1f%%  own %5.1f%%  at level "
			       "%5.1f%%\n",
			       pol_category_name((enum pol_category)k), by_class[k].n,
			       pct(by_class[k].hit, by_class[k].n),
			       pct(by_class[k].own, by_class[k].n),
			       pct(by_class[k].at_level, by_class[k].n));
	printf("detection by source\n");
	for (int s = 0; s < POL_SRC__COUNT; s++)
		printf("  %-16s %6lu payloads  detected %5.1f%%  at level %5.1f%%\n",
		       pol_source_name((enum pol_source)s), by_source[s].n,
		       pct(by_source[s].hit, by_source[s].n),
		       pct(by_source[s].at_level, by_source[s].n));
	printf("false positives (verdict alert or block at the built-in policy, paranoia 1)\n");
	struct benign *bs[] = {&samples, &fortunes, &words};
	for (int i = 0; i < 3; i++)
		printf(
		    "  %-16s %6lu events    flagged %lu (%.2f%%)  (%lu files not JSON, skipped)\n",
		    bs[i]->name, bs[i]->n, bs[i]->fp, pct(bs[i]->fp, bs[i]->n), bs[i]->errors);
	printf("  %-16s %6lu events    flagged %lu (%.2f%%)  (reported, not asserted: CRS's own "
	       "negatives)\n",
	       "crs-negatives", crs_neg, crs_neg_fp, pct(crs_neg_fp, crs_neg));
	printf("false positives at paranoia 2, 3, 4 (reported, not asserted)\n");
	for (int i = 0; i < 3; i++)
		printf("  %-16s %6lu events    flagged %lu (%.2f%%), %lu (%.2f%%), %lu (%.2f%%)\n",
		       bs[i]->name, bs[i]->n, bs[i]->fp_at[2], pct(bs[i]->fp_at[2], bs[i]->n),
		       bs[i]->fp_at[3], pct(bs[i]->fp_at[3], bs[i]->n), bs[i]->fp_at[4],
		       pct(bs[i]->fp_at[4], bs[i]->n));
	printf("  %-16s %6lu events    flagged %lu (%.2f%%) each at its rule's level\n",
	       "crs-negatives", crs_neg, crs_neg_fp_at_level, pct(crs_neg_fp_at_level, crs_neg));

	int fail = 0;
	for (size_t i = 0; i < sizeof(det_floor) / sizeof(det_floor[0]); i++) {
		const struct tally *t = &by_class[det_floor[i].cat];
		double got = pct(t->hit, t->n), at = pct(t->at_level, t->n);
		if (t->n == 0 || got < det_floor[i].min_pct) {
			printf("FLOOR: %s detection %.1f%% below %.1f%%\n",
			       pol_category_name(det_floor[i].cat), got, det_floor[i].min_pct);
			fail = 1;
		}
		if (at < det_floor[i].min_pct_at_level) {
			printf("FLOOR: %s detection at level %.1f%% below %.1f%%\n",
			       pol_category_name(det_floor[i].cat), at,
			       det_floor[i].min_pct_at_level);
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
	for (unsigned lv = 1; lv <= 4; lv++)
		pol_engine_free(eng_at[lv]);
	return fail;
}
