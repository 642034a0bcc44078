/* One input at a time: detectors, user rules, exclusions, findings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "detect_chars.h"
#include "pol-private.h"
#include "vg_time.h"

static const pol_detector_fn detectors[POL_CAT_CODE_INJECTION + 1] = {
    [POL_CAT_SQLI] = pol_detect_sqli,
    [POL_CAT_XSS] = pol_detect_xss,
    [POL_CAT_CMDI] = pol_detect_cmdi,
    [POL_CAT_PATH_TRAVERSAL] = pol_detect_path_traversal,
    [POL_CAT_SSRF] = pol_detect_ssrf,
    [POL_CAT_NOSQLI] = pol_detect_nosqli,
    [POL_CAT_PROTO_POLLUTION] = pol_detect_proto_pollution,
    [POL_CAT_JNDI] = pol_detect_jndi,
    [POL_CAT_SSTI] = pol_detect_ssti,
    [POL_CAT_XXE] = pol_detect_xxe,
    [POL_CAT_DESERIALIZATION] = pol_detect_deserialization,
    [POL_CAT_CODE_INJECTION] = pol_detect_code_injection,
};

unsigned pol_score(enum pol_severity sev, unsigned confidence)
{
	static const unsigned weight[] = {0, 3, 5, 8, 10};
	unsigned w = weight[sev <= POL_SEV_CRITICAL ? sev : POL_SEV_CRITICAL];
	return (w * (confidence > 100 ? 100 : confidence) + 50) / 100;
}

bool pol_paranoia_admits(unsigned paranoia, unsigned confidence)
{
	return pol_signal_level(confidence) <= (paranoia < 1 ? 1 : paranoia > 4 ? 4 : paranoia);
}

/* A level counts the signals it lets through fully, as a rule set counts
 * the rules of the levels it runs: below 50, a hit scores as a level-1
 * signal would. At paranoia 1 nothing below 50 is admitted, so this only
 * changes the higher levels. */
unsigned pol_hit_score(enum pol_severity sev, unsigned confidence)
{
	return pol_score(sev, confidence < 50 ? 50 : confidence);
}

bool pol_glob(const char *p, const char *s)
{
	/* Iterative with one backtrack point: linear for patterns with one
	 * star, at most |p|*|s| otherwise (both are short). */
	const char *star = NULL, *retry = NULL;
	while (*s) {
		if (*p == '*') {
			star = p++;
			retry = s;
		} else if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++retry;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

bool pol_globs_match(const struct pol_globs *g, const char *s)
{
	if (g->n == 0)
		return true;
	for (size_t i = 0; i < g->n; i++)
		if (pol_glob(g->v[i], s))
			return true;
	return false;
}

static size_t path_put(struct pol_scan *sc, const char *s, size_t n)
{
	size_t old = sc->plen;
	if (sc->plen >= POL_PATH_MAX)
		return old;
	if (sc->plen + n > POL_PATH_MAX) {
		n = POL_PATH_MAX - sc->plen;
		memcpy(sc->path + sc->plen, s, n);
		memcpy(sc->path + POL_PATH_MAX, "...", 4);
		sc->plen = POL_PATH_MAX + 3;
		return old;
	}
	memcpy(sc->path + sc->plen, s, n);
	sc->plen += n;
	sc->path[sc->plen] = '\0';
	return old;
}

size_t pol_path_key(struct pol_scan *sc, const char *k, size_t n)
{
	size_t old = sc->plen;
	size_t dot = old && sc->path[old - 1] != '>';
	if (n <= 64 && old + dot + n <= POL_PATH_MAX) {
		/* most keys: short, and the path has room */
		char *p = sc->path + old;
		p[0] = '.';
		memcpy(p + dot, k, n);
		p[dot + n] = '\0';
		sc->plen = old + dot + n;
		return old;
	}
	if (sc->plen && sc->path[sc->plen - 1] != '>')
		path_put(sc, ".", 1);
	/* a key longer than 64 bytes is itself an attack on readability */
	if (n > 64) {
		path_put(sc, k, 61);
		path_put(sc, "...", 3);
	} else {
		path_put(sc, k, n);
	}
	return old;
}

size_t pol_path_idx(struct pol_scan *sc, size_t i)
{
	/* by hand: snprintf showed in profiles of big arrays */
	char b[24];
	size_t k = sizeof(b);
	b[--k] = ']';
	do {
		b[--k] = (char)('0' + i % 10);
		i /= 10;
	} while (i && k > 1);
	b[--k] = '[';
	size_t old = sc->plen;
	path_put(sc, b + k, sizeof(b) - k);
	return old;
}

size_t pol_path_raw(struct pol_scan *sc, const char *s)
{
	size_t old = sc->plen;
	path_put(sc, s, strlen(s));
	return old;
}

static bool excluded(const struct pol_scan *sc, const char *rule, enum pol_category cat)
{
	const struct pol_policy *p = sc->pol;
	for (size_t i = 0; i < p->nexcl; i++) {
		const struct pol_exclusion *x = &p->excl[i];
		if (!(x->sources & (1u << sc->res->source)))
			continue;
		if (!pol_globs_match(&x->paths, sc->path))
			continue;
		if (x->rules.n && !pol_globs_match(&x->rules, rule) &&
		    !pol_globs_match(&x->rules, pol_category_name(cat)))
			continue;
		return true;
	}
	return false;
}

static bool tokenish(unsigned char c)
{
	/* not '/' or '.': URLs, IPs and paths are the attack, not a secret */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '=' || c == '_' || c == '-';
}

/* Excerpts travel in alerts and logs: mask what looks like a secret riding
 * along with the attack. A run of 24 or more token characters (keys,
 * session tokens, JWTs, base64 blobs) keeps its first 4; a run of 12 or
 * more digits (card and account numbers) keeps its last 4. The length and
 * the attack's punctuation stay, so the excerpt still shows its shape. */
static void redact(char *e, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (!tokenish((unsigned char)e[i])) {
			i++;
			continue;
		}
		size_t j = i, digits = 0;
		while (j < n && tokenish((unsigned char)e[j])) {
			digits += e[j] >= '0' && e[j] <= '9';
			j++;
		}
		size_t len = j - i;
		if (digits == len && len >= 12) {
			memset(e + i, '*', len - 4);
		} else if (len >= 24 && digits && digits < len) {
			/* letters and digits mixed: a token, not a word or a path */
			memset(e + i + 4, '*', len - 4);
		}
		i = j;
	}
}

static char *excerpt(const char *s, size_t n, uint32_t off, uint32_t len)
{
	if (off > n)
		off = (uint32_t)n;
	if (len > n - off)
		len = (uint32_t)(n - off);
	size_t start = off, end = (size_t)off + len;
	if (end - start > POL_EXCERPT_MAX) {
		end = start + POL_EXCERPT_MAX;
	} else {
		/* widen around the match to show its context */
		size_t room = POL_EXCERPT_MAX - (end - start);
		size_t before = room / 2 < start ? room / 2 : start;
		start -= before;
		room -= before;
		end = end + room < n ? end + room : n;
		if (end - start < POL_EXCERPT_MAX)
			start = end > POL_EXCERPT_MAX ? end - POL_EXCERPT_MAX : 0;
	}
	char *e = malloc(end - start + 1);
	if (!e)
		return NULL;
	/* control bytes would only make the alert unreadable */
	for (size_t i = start; i < end; i++) {
		unsigned char c = (unsigned char)s[i];
		e[i - start] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	e[end - start] = '\0';
	redact(e, end - start);
	return e;
}

static void add_finding(struct pol_scan *sc, const char *rule, enum pol_category cat,
                        enum pol_severity sev, uint8_t conf, enum pol_action act, unsigned score,
                        const char *s, size_t n, uint32_t off, uint32_t len)
{
	struct pol_result *r = sc->res;
	/* the same rule at the same path counts once */
	for (size_t i = 0; i < r->nf; i++)
		if (r->f[i].category == cat && strcmp(r->f[i].rule, rule) == 0 &&
		    strcmp(r->f[i].path, sc->path) == 0)
			return;
	if (act == POL_ACT_OFF)
		return;
	r->score += score;
	if (r->nf >= sc->pol->limits.findings) {
		r->dropped++;
		return;
	}
	if (r->nf == r->capf) {
		size_t cap = r->capf ? r->capf * 2 : 8;
		struct pol_finding *nf = realloc(r->f, cap * sizeof(*nf));
		if (!nf)
			return;
		r->f = nf;
		r->capf = cap;
	}
	struct pol_finding *f = &r->f[r->nf];
	f->rule = rule;
	f->category = cat;
	f->severity = sev;
	f->confidence = conf;
	f->action = act;
	f->score = (uint16_t)(score > 65535 ? 65535 : score);
	f->path = strdup(sc->path);
	f->excerpt = excerpt(s, n, off, len);
	if (!f->path || !f->excerpt) {
		free((char *)f->path);
		free((char *)f->excerpt);
		return;
	}
	r->nf++;
}

void pol_scan_limit(struct pol_scan *sc, enum pol_category cat, const char *rule)
{
	const struct pol_policy *p = sc->pol;
	if (excluded(sc, rule, cat))
		return;
	/* A limit finding alone flags the event (score at the threshold) but
	 * never blocks it: the budget is ours, not the attacker's verdict. A
	 * field that does not decode as its service says (a base64 body that
	 * is not base64) is reported without weight: the raw bytes are still
	 * inspected, and sample events of real services do this. */
	bool weightless = cat == POL_CAT_MALFORMED && strcmp(rule, "malformed.json") != 0;
	add_finding(sc, rule, cat, weightless ? POL_SEV_INFO : POL_SEV_MEDIUM, 100, POL_ACT_ALERT,
	            weightless ? 0 : p->threshold, "", 0, 0, 0);
}

/* The clock says the budget is spent: stop, flag the event, keep what was
 * found so far. */
bool pol_scan_clock(struct pol_scan *sc)
{
	if (sc->stop)
		return true;
	sc->unclocked = 0;
	if (vg_mono_ns() > sc->deadline_ns) {
		sc->stop = true;
		sc->res->exhausted = 1;
		pol_scan_limit(sc, POL_CAT_OVERSIZE, "limit.time_budget");
	}
	return sc->stop;
}

/* Checks the clock every few inputs, and before any input once enough
 * bytes went by unclocked: reading it costs about as much as running the
 * detectors on a short string, and a few long strings must not add up
 * past the budget between two readings (a long one reads it between its
 * windows). */
static bool over_budget(struct pol_scan *sc, size_t n)
{
	if (sc->stop)
		return true;
	if (((++sc->tick & 15) == 0 || sc->unclocked > POL_CLOCK_BYTES) && pol_scan_clock(sc))
		return true;
	sc->unclocked += n;
	return false;
}

static void run_rules(struct pol_scan *sc, const char *s, size_t n)
{
	const struct pol_policy *p = sc->pol;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pol_rule *r = &p->rules[i];
		if (r->action == POL_ACT_OFF || r->paranoia > p->paranoia ||
		    !(r->sources & (1u << sc->res->source)) ||
		    !pol_globs_match(&r->paths, sc->path))
			continue;
		uint32_t off = 0, len = 0;
		if (pol_rule_match(sc->eng, r, s, n, &off, &len) != 1)
			continue;
		if (excluded(sc, r->id, r->category))
			continue;
		unsigned score = r->score ? r->score : pol_score(r->severity, r->confidence);
		add_finding(sc, r->id, r->category, r->severity, r->confidence, r->action, score, s,
		            n, off, len);
	}
}

/* Short tokens of letters, digits and dashes are most of an event's keys
 * and header values (header names, "gzip", "US", UUIDs) and cannot hold an
 * attack there: no quote, separator, bracket or operator, and too short for
 * a serialized object. Keys and headers made of them skip the detectors
 * (user rules still see them). Data values do not: a bare "whoami" or a
 * short base64 prefix in a query is still judged.
 *
 * One exception: a plain token in mixed case, lower case letters and
 * capitals other than at the start of a word ("rO0AB", "cnVudGltZQ"; not
 * "Content-Type"), may be a base64 fragment of a serialized object, which
 * only that detector reads.
 *
 * 0: not a plain token; TOKEN_PLAIN; TOKEN_PLAIN | TOKEN_MIXED. */
enum { TOKEN_PLAIN = 1, TOKEN_MIXED = 2 };

static unsigned plain_token(const char *s, size_t n)
{
	enum { OK = 1, UP = 2, LO = 4 };
	static const uint8_t cls[256] = {
	    ['-'] = OK,      ['0'] = OK,      ['1'] = OK,      ['2'] = OK,      ['3'] = OK,
	    ['4'] = OK,      ['5'] = OK,      ['6'] = OK,      ['7'] = OK,      ['8'] = OK,
	    ['9'] = OK,      ['A'] = OK | UP, ['B'] = OK | UP, ['C'] = OK | UP, ['D'] = OK | UP,
	    ['E'] = OK | UP, ['F'] = OK | UP, ['G'] = OK | UP, ['H'] = OK | UP, ['I'] = OK | UP,
	    ['J'] = OK | UP, ['K'] = OK | UP, ['L'] = OK | UP, ['M'] = OK | UP, ['N'] = OK | UP,
	    ['O'] = OK | UP, ['P'] = OK | UP, ['Q'] = OK | UP, ['R'] = OK | UP, ['S'] = OK | UP,
	    ['T'] = OK | UP, ['U'] = OK | UP, ['V'] = OK | UP, ['W'] = OK | UP, ['X'] = OK | UP,
	    ['Y'] = OK | UP, ['Z'] = OK | UP, ['a'] = OK | LO, ['b'] = OK | LO, ['c'] = OK | LO,
	    ['d'] = OK | LO, ['e'] = OK | LO, ['f'] = OK | LO, ['g'] = OK | LO, ['h'] = OK | LO,
	    ['i'] = OK | LO, ['j'] = OK | LO, ['k'] = OK | LO, ['l'] = OK | LO, ['m'] = OK | LO,
	    ['n'] = OK | LO, ['o'] = OK | LO, ['p'] = OK | LO, ['q'] = OK | LO, ['r'] = OK | LO,
	    ['s'] = OK | LO, ['t'] = OK | LO, ['u'] = OK | LO, ['v'] = OK | LO, ['w'] = OK | LO,
	    ['x'] = OK | LO, ['y'] = OK | LO, ['z'] = OK | LO,
	};
	unsigned seen = 0;
	bool upper = false;
	if (n > 40)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned t = cls[(unsigned char)s[i]];
		if (!(t & OK))
			return 0;
		seen |= t;
		upper |= (t & UP) && i && s[i - 1] != '-';
	}
	return TOKEN_PLAIN | (n >= 5 && upper && (seen & LO) ? TOKEN_MIXED : 0);
}

/* ---- memo: the detectors' verdicts on strings seen before ----------
 *
 * Detectors are pure functions of the bytes, the where-flags and the
 * character mask (itself a function of the bytes), and within one event
 * the policy and the source do not change: a string met again with the
 * same flags gets the same hits. Big events repeat many of their strings
 * (records of one shape, the same status, country or note in each), so
 * from the MEMO_AFTER-th string on, short strings and their hits are kept
 * in a fixed table and replayed. Findings are still judged and added per
 * path, so results are the same with and without the memo. */

#define MEMO_AFTER 256        /* small events never pay for the table */
#define MEMO_SLOTS 8192       /* power of two; filled to half at most */
#define MEMO_KEY   512        /* longer strings are rarely repeated */
#define MEMO_BYTES (1u << 18) /* copies of the keys */
#define MEMO_HITS  1024

/* 16 bytes, so that the table (probed once per string, at random) stays
 * small in the cache: the hash's high half, the key's place in keys and
 * its length (at most MEMO_KEY; 0: a free slot), the where-flags (strings
 * with flags above 16 bits are not kept), the hits' place in hits. */
struct pol_memo_slot {
	uint32_t h;
	uint32_t koff;
	uint16_t klen, where, hit0, nhit;
};

struct pol_memo_hit {
	int cat;
	struct pol_hit hit;
};

/* Kept between inspections (pol_spare_take): pol_scan_fini leaves it
 * empty, clearing only the slots it filled. */
struct pol_memo {
	struct pol_memo_slot slot[MEMO_SLOTS];
	size_t cap; /* of the block */
	size_t used, kused, nhits;
	uint16_t filled[MEMO_SLOTS / 2]; /* the slots in use */
	struct pol_memo_hit hits[MEMO_HITS];
	char keys[MEMO_BYTES];
};

/* A detector's hit, judged against the policy and added as a finding;
 * false when its confidence is below the paranoia level's floor. */
static bool report_hit(struct pol_scan *sc, int c, const struct pol_hit *hit, const char *s,
                       size_t n)
{
	const struct pol_policy *p = sc->pol;
	if (!pol_paranoia_admits(p->paranoia, hit->confidence))
		return false;
	if (excluded(sc, hit->rule, hit->category))
		return true;
	add_finding(sc, hit->rule, hit->category, hit->severity, hit->confidence, p->det[c].action,
	            pol_hit_score(hit->severity, hit->confidence), s, n, hit->off, hit->len);
	return true;
}

/* Runs the detectors the policy enables (less those in the skip bits) on
 * the window w[0..wn) of s[0..n); their hits, placed back in s, are
 * reported, and kept in m when it is given. Returns the bits of the
 * detectors whose hit was reported. */
static uint32_t run_window(struct pol_scan *sc, const char *s, size_t n, size_t w, size_t wn,
                           uint32_t where, bool plain, uint32_t skip, struct pol_memo *m)
{
	const struct pol_policy *p = sc->pol;
	unsigned src = (unsigned)sc->res->source;
	if (sc->det_src != src + 1) {
		/* the detectors this event's source runs, once per source */
		sc->det_on = 0;
		for (int c = 0; c <= POL_CAT_CODE_INJECTION; c++)
			if (p->det[c].action != POL_ACT_OFF && (p->det[c].sources & (1u << src)))
				sc->det_on |= 1u << c;
		sc->det_src = src + 1;
	}
	uint32_t todo = sc->det_on & ~skip, done = 0;
	if (plain)
		todo &= 1u << POL_CAT_DESERIALIZATION;
	struct pol_ctx ctx = {pol_charmask(s + w, wn), where};
	for (; ctx.chars && todo; todo &= todo - 1) {
		int c = __builtin_ctz(todo);
		struct pol_hit hit = {0};
		if (!detectors[c](s + w, wn, &ctx, &hit) || !hit.rule)
			continue;
		hit.off += (uint32_t)w;
		if (m)
			m->hits[m->nhits++] = (struct pol_memo_hit){c, hit};
		if (report_hit(sc, c, &hit, s, n))
			done |= 1u << c;
	}
	return done;
}

/* Where the window after one ending at end starts: POL_WIN_OVERLAP bytes
 * back, so that an attack cut by the boundary is whole in the next one,
 * and moved up to just after a space or line break when one is near, so
 * that the window starts where a token does. */
static size_t window_next(const char *s, size_t end)
{
	size_t w = end - POL_WIN_OVERLAP;
	for (size_t i = w; i < w + POL_WIN_OVERLAP / 4; i++)
		if (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')
			return i + 1;
	return w;
}

/* Runs the detectors on s, less those in the skip bits. An input longer
 * than a window is judged in overlapping windows with the clock read
 * between them, so that no input, however long, holds the event past its
 * budget; a detector whose hit was reported in one window does not run on
 * the next ones (one hit per detector and input, as for short inputs).
 * Returns the bits of the detectors whose hit was reported, skip included. */
static uint32_t run_detectors(struct pol_scan *sc, const char *s, size_t n, uint32_t where,
                              bool plain, struct pol_memo *m, uint32_t skip)
{
	if (n <= POL_WIN_BYTES)
		return skip | run_window(sc, s, n, 0, n, where, plain, skip, m);
	uint32_t done = skip;
	for (size_t w = 0;;) {
		size_t wn = n - w < POL_WIN_BYTES ? n - w : POL_WIN_BYTES;
		done |= run_window(sc, s, n, w, wn, where, plain, done, NULL);
		if (w + wn >= n || pol_scan_clock(sc))
			break;
		w = window_next(s, w + wn);
	}
	return done;
}

void pol_scan_fini(struct pol_scan *sc)
{
	struct pol_memo *m = sc->memo;
	if (!m)
		return;
	for (size_t i = 0; i < m->used; i++)
		m->slot[m->filled[i]].klen = 0;
	m->used = m->kused = m->nhits = 0;
	pol_spare_give(POL_SPARE_MEMO, m, m->cap);
	sc->memo = NULL;
}

static uint64_t memo_hash(const char *s, size_t n, uint32_t where)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)n << 32) ^ where;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	uint64_t t = 0;
	memcpy(&t, s + i, n - i);
	h = (h ^ t) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

/* The slot holding s, or the free slot where it would go (the table is
 * never full: it stops taking strings at half). */
static struct pol_memo_slot *memo_find(struct pol_memo *m, const char *s, size_t n, uint32_t where,
                                       uint64_t h)
{
	for (size_t i = h & (MEMO_SLOTS - 1);; i = (i + 1) & (MEMO_SLOTS - 1)) {
		struct pol_memo_slot *sl = &m->slot[i];
		if (sl->klen == 0 || (sl->h == (uint32_t)(h >> 32) && sl->klen == n &&
		                      sl->where == where && memcmp(m->keys + sl->koff, s, n) == 0))
			return sl;
	}
}

/* Whether s[0..n) reads as percent-encoded text: at least two escapes of
 * punctuation, blanks or controls (%27, %20, %3D...), which no ordinary
 * value holds by chance ("50% off" holds none). */
static bool percent_encoded(const char *s, size_t n)
{
	unsigned esc = 0;
	const char *p = s, *end = s + n;
	while ((p = memchr(p, '%', (size_t)(end - p))) && end - p >= 3) {
		int hi = ch_hexval((unsigned char)p[1]), lo = ch_hexval((unsigned char)p[2]);
		if (hi >= 0 && lo >= 0) {
			int c = hi * 16 + lo;
			if (c < 0x80 && !ch_is_alnum(c) && ++esc >= 2)
				return true;
			p += 3;
		} else {
			p++;
		}
	}
	return false;
}

void pol_scan_input(struct pol_scan *sc, const char *s, size_t n, uint32_t where)
{
	pol_scan_input_skip(sc, s, n, where, 0);
}

uint32_t pol_scan_input_skip(struct pol_scan *sc, const char *s, size_t n, uint32_t where,
                             uint32_t skip)
{
	const struct pol_policy *p = sc->pol;
	if (over_budget(sc, n))
		return skip;
	if (++sc->strings > p->limits.strings) {
		if (!sc->over_strings) {
			sc->over_strings = true;
			pol_scan_limit(sc, POL_CAT_OVERSIZE, "limit.strings");
		}
		sc->stop = true;
		return skip;
	}
	if (n > p->limits.string_bytes)
		pol_scan_limit(sc, POL_CAT_OVERSIZE, "limit.string_bytes");
	if (n == 0)
		return skip;
	unsigned tok = where & (POL_IN_KEY | POL_IN_HEADER) ? plain_token(s, n) : 0;
	bool plain = tok & TOKEN_PLAIN;
	bool detect = !plain || (tok & TOKEN_MIXED);
	/* a string seen before in this event: replay its hits */
	struct pol_memo_slot *slot = NULL;
	uint64_t h = 0;
	if (detect && sc->strings > MEMO_AFTER && n <= MEMO_KEY && where <= UINT16_MAX) {
		size_t cap;
		if (!sc->memo &&
		    (sc->memo = pol_spare_take(POL_SPARE_MEMO, sizeof(*sc->memo), &cap, true)))
			sc->memo->cap = cap;
		if (sc->memo) {
			h = memo_hash(s, n, where);
			slot = memo_find(sc->memo, s, n, where, h);
		}
	}
	uint32_t done = skip; /* detectors skipped, or whose hit on s was reported */
	if (slot && slot->klen) {
		for (size_t i = 0; i < slot->nhit; i++) {
			const struct pol_memo_hit *mh = &sc->memo->hits[slot->hit0 + i];
			if (!(skip & (1u << mh->cat)) && report_hit(sc, mh->cat, &mh->hit, s, n))
				done |= 1u << mh->cat;
		}
	} else if (detect) {
		/* keep this one if the table has room for it and its hits (all
		 * of them: none skipped) */
		struct pol_memo *m = sc->memo;
		bool keep = slot && !skip && m->used < MEMO_SLOTS / 2 &&
		            n <= MEMO_BYTES - m->kused &&
		            m->nhits + POL_CAT_CODE_INJECTION + 1 <= MEMO_HITS;
		size_t hit0 = keep ? m->nhits : 0;
		done = run_detectors(sc, s, n, where, plain, keep ? m : NULL, skip);
		if (keep) {
			memcpy(m->keys + m->kused, s, n);
			*slot = (struct pol_memo_slot){
			    (uint32_t)(h >> 32), (uint32_t)m->kused, (uint16_t)n,
			    (uint16_t)where,     (uint16_t)hit0,     (uint16_t)(m->nhits - hit0)};
			m->kused += n;
			m->filled[m->used++] = (uint16_t)(slot - m->slot);
		}
	}
	/* A value that arrives percent-encoded (a form or a URL copied into a
	 * JSON body, a query encoded twice): the code may well decode it, so
	 * its decoded text is judged too, one layer, under the same path, by
	 * the detectors that found nothing in it encoded (one hit per detector
	 * and input). */
	if (detect && n <= POL_DECODED_MAX && memchr(s, '%', n) && percent_encoded(s, n)) {
		char *d = malloc(n + 1);
		if (d) {
			size_t dn = pol_url_decode(s, n, d, false);
			done = run_detectors(sc, d, dn, where, false, NULL, done);
			free(d);
		}
	}
	/* {"constructor": {"prototype": ...}}: the key "prototype" is harmless
	 * alone; judged with its parents' names, it is the polluting path. */
	if ((where & POL_IN_KEY) && n == 9 && memcmp(s, "prototype", 9) == 0 &&
	    p->det[POL_CAT_PROTO_POLLUTION].action != POL_ACT_OFF) {
		size_t from = sc->plen > 64 ? sc->plen - 64 : 0;
		const char *tail = sc->path + from;
		size_t tn = sc->plen - from;
		struct pol_ctx pctx = {pol_charmask(tail, tn), POL_IN_PATH};
		struct pol_hit hit = {0};
		if (pol_detect_proto_pollution(tail, tn, &pctx, &hit) &&
		    pol_paranoia_admits(p->paranoia, hit.confidence) &&
		    !excluded(sc, hit.rule, hit.category))
			add_finding(sc, hit.rule, hit.category, hit.severity, hit.confidence,
			            p->det[POL_CAT_PROTO_POLLUTION].action,
			            pol_hit_score(hit.severity, hit.confidence), tail, tn, hit.off,
			            hit.len);
	}
	if (p->nrules)
		run_rules(sc, s, n);
	return done;
}
