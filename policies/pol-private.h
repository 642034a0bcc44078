/* Internals shared by the engine's files (not for other components). */
#ifndef POL_PRIVATE_H
#define POL_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "pol.h"

#define POL_PATH_MAX     512 /* a field path longer than this is cut with "..." */
#define POL_EXCERPT_MAX  128
#define POL_DEPTH_MAX    256 /* the highest depth limit a policy may set */
#define POL_FINDINGS_MAX 256 /* the highest findings limit a policy may set */
#define POL_PARTS_MAX    256 /* multipart parts inspected per body */
/* Detectors judge a longer input in windows of POL_WIN_BYTES that overlap
 * by POL_WIN_OVERLAP, more than any attack they must see whole; the clock
 * is read between windows, and before an input once POL_CLOCK_BYTES went
 * by since the last reading. */
#define POL_WIN_BYTES   16384
#define POL_WIN_OVERLAP 1024
#define POL_CLOCK_BYTES 16384
/* A percent-encoded input up to this long is also judged decoded (scan.c);
 * longer ones are left to the detectors' own decoding. */
#define POL_DECODED_MAX 16384

struct pol_limits {
	uint64_t event_bytes;  /* larger events: "oversize", still inspected */
	uint64_t string_bytes; /* longer inputs: "oversize", still inspected */
	uint64_t strings;      /* inputs inspected per event; the rest: "oversize" */
	uint32_t depth;        /* deeper JSON: "too_deep", strings below still seen */
	uint32_t layers;       /* nested decodings (JSON in a string, base64, gzip) */
	uint32_t budget_us;    /* time budget per event; then the event passes, flagged */
	uint32_t findings;     /* findings kept per event */
	uint32_t nodes;        /* JSON values per document; more: "oversize", raw scan */
};

struct pol_detector_cfg {
	enum pol_action action;
	uint32_t sources; /* bit per pol_source the detector runs on */
};

enum {
	POL_TF_LOWERCASE = 1u << 0,
	POL_TF_URL_DECODE = 1u << 1,
	POL_TF_HTML_DECODE = 1u << 2,
	POL_TF_COMPRESS_WS = 1u << 3,
	POL_TF_REMOVE_NULLS = 1u << 4,
	POL_TF_BASE64_DECODE = 1u << 5,
};

struct pol_globs {
	char **v;
	size_t n;
};

struct pol_rule {
	char *id;
	enum pol_category category;
	enum pol_severity severity;
	enum pol_action action;
	uint8_t confidence;
	uint8_t paranoia;
	uint16_t score;         /* 0: from severity and confidence */
	uint32_t sources;       /* bit per pol_source; all when no target names one */
	struct pol_globs paths; /* field-path globs; empty: every path */
	uint32_t transforms;    /* POL_TF_* applied in a fixed order */
	void *re;               /* pcre2_code, or NULL */
	char **phrases;         /* lower-case phrases, matched case-insensitively */
	size_t *phrase_len;
	size_t nphrases;
};

struct pol_exclusion {
	struct pol_globs rules; /* rule id or category globs; empty: all */
	struct pol_globs paths; /* field-path globs; empty: all */
	uint32_t sources;       /* bit per pol_source */
};

struct pol_policy {
	struct pol_limits limits;
	uint32_t threshold; /* anomaly score at which an event alerts or blocks */
	uint8_t paranoia;   /* 1..4 */
	struct pol_detector_cfg det[POL_CAT__COUNT];
	struct pol_rule *rules;
	size_t nrules;
	struct pol_exclusion *excl;
	size_t nexcl;
};

struct pol_engine {
	struct pol_policy pol;
	enum pol_mode mode;
	void *match_ctx; /* pcre2 match context with the match limits */
};

struct pol_result {
	enum pol_verdict verdict;
	enum pol_source source;
	unsigned score;
	int exhausted;
	struct pol_finding *f;
	size_t nf, capf;
	size_t dropped;     /* findings past the limit */
	char *arn;          /* authorizers: the methodArn or routeArn, for the Deny */
	bool multi_headers; /* ALB with multi-value headers: answer in kind */
};

/* The built-in policy: a static table, nothing parsed at start-up. */
extern const struct pol_policy pol_default_policy;

/* Per-inspection state: where the walk is, what it has cost. */
struct pol_scan {
	const struct pol_engine *eng;
	const struct pol_policy *pol;
	struct pol_result *res;
	char path[POL_PATH_MAX + 8];
	size_t plen;
	uint32_t layers;
	uint64_t deadline_ns;
	uint64_t strings;
	unsigned tick;
	size_t unclocked; /* input bytes since the clock was last read */
	bool stop;
	bool over_strings;
	uint32_t det_on;       /* bit per detector the policy runs on det_src - 1 */
	unsigned det_src;      /* 0: det_on not yet worked out */
	struct pol_memo *memo; /* detector verdicts of repeated strings; owned, see pol_scan_fini */
};

/* Frees what a scan allocated for itself (its memo). */
void pol_scan_fini(struct pol_scan *sc);

/* Paths: each push returns the length to restore with pol_path_pop. */
size_t pol_path_key(struct pol_scan *sc, const char *k, size_t n);
size_t pol_path_idx(struct pol_scan *sc, size_t i);
size_t pol_path_raw(struct pol_scan *sc, const char *s);
static inline void pol_path_pop(struct pol_scan *sc, size_t len)
{
	sc->plen = len;
	sc->path[len] = '\0';
}

/* Runs detectors and rules on one input at the current path (scan.c). */
void pol_scan_input(struct pol_scan *sc, const char *s, size_t n, uint32_t where);
/* Same, less the detectors in the skip bits (bit 1 << category): those
 * already reported on an input this one was read from. Returns the bits of
 * the detectors whose hit on s was reported, skip included. */
uint32_t pol_scan_input_skip(struct pol_scan *sc, const char *s, size_t n, uint32_t where,
                             uint32_t skip);
/* A string value: a JSON document inside it is parsed and walked, else it is
 * one input (extract.c). */
void pol_scan_string(struct pol_scan *sc, const char *s, size_t n, uint32_t where);
/* Reads the clock: past the deadline, the scan stops and the event is
 * flagged (limit.time_budget). True when the scan is stopped. */
bool pol_scan_clock(struct pol_scan *sc);
/* Adds a finding of a limit (oversize, too_deep, malformed) at the path. */
void pol_scan_limit(struct pol_scan *sc, enum pol_category cat, const char *rule);
/* Walks every key and string of the subtree at root (extract.c). */
void pol_walk(struct pol_scan *sc, const struct pol_json *d, uint32_t root, uint32_t where);
/* Classifies and extracts one parsed event (extract.c, source.c). */
enum pol_source pol_source_classify(const struct pol_json *d);
void pol_extract(struct pol_scan *sc, const struct pol_json *d, enum pol_source src);

/* Shell-style globs: '*' any run, '?' one byte, everything else literal. */
bool pol_glob(const char *pat, const char *s);
bool pol_globs_match(const struct pol_globs *g, const char *s);

/* Score of a finding from its severity and confidence. */
unsigned pol_score(enum pol_severity sev, unsigned confidence);
/* Whether paranoia level 1..4 lets a detector's hit of this confidence
 * through (50, 30, 15 and 1 at least), and the score of a hit it lets
 * through: a level's signals count at least as a level-1 signal does. */
bool pol_paranoia_admits(unsigned paranoia, unsigned confidence);
unsigned pol_hit_score(enum pol_severity sev, unsigned confidence);

/* Policy files (policy.c). Loads the file at path over pol. */
int pol_policy_load(struct pol_policy *pol, const char *path, char *err, size_t errn);
/* Same, from memory; name stands for the file in messages. */
int pol_policy_load_text(struct pol_policy *pol, const char *name, const char *text, size_t n,
                         char *err, size_t errn);
void pol_policy_fini(struct pol_policy *pol);
/* User rules (rules.c). */
int pol_rule_compile(struct pol_rule *r, const char *re, size_t n, char *why, size_t whyn);
int pol_rule_match(const struct pol_engine *e, const struct pol_rule *r, const char *s, size_t n,
                   uint32_t *off, uint32_t *len);
void pol_rule_fini(struct pol_rule *r);
void *pol_match_ctx_new(void);
void pol_match_ctx_free(void *ctx);

int pol_source_parse(const char *s, size_t n);
int pol_category_parse(const char *s, size_t n);

#endif
