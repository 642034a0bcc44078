/* User rules: PCRE2 regular expressions (JIT-compiled, under match and
 * depth limits so that no rule can take super-linear time on an event) and
 * phrase lists, after the rule's transforms. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decode.h"
#include "pol-private.h"

/* Backtracking steps per match: generous for sane patterns, and a hard
 * ceiling on catastrophic ones. */
#define MATCH_LIMIT 200000
#define DEPTH_LIMIT 2000

int pol_rule_compile(struct pol_rule *r, const char *re, size_t n, char *why, size_t whyn)
{
	int code;
	PCRE2_SIZE at;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, n, 0, &code, &at, NULL);
	if (!c) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(why, whyn, "regex: %s at offset %zu", (char *)msg, (size_t)at);
		return -EINVAL;
	}
	/* Without JIT (some CPUs) the interpreter runs under the same limits. */
	pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
	r->re = c;
	return 0;
}

void *pol_match_ctx_new(void)
{
	pcre2_match_context *m = pcre2_match_context_create(NULL);
	if (m) {
		pcre2_set_match_limit(m, MATCH_LIMIT);
		pcre2_set_depth_limit(m, DEPTH_LIMIT);
	}
	return m;
}

void pol_match_ctx_free(void *ctx)
{
	pcre2_match_context_free(ctx);
}

void pol_rule_fini(struct pol_rule *r)
{
	free(r->id);
	pcre2_code_free(r->re);
	for (size_t i = 0; i < r->paths.n; i++)
		free(r->paths.v[i]);
	free(r->paths.v);
	for (size_t i = 0; i < r->nphrases; i++)
		free(r->phrases[i]);
	free(r->phrases);
	free(r->phrase_len);
	memset(r, 0, sizeof(*r));
}

static size_t html_decode(const char *s, size_t n, char *o)
{
	static const struct {
		const char *name;
		char c;
	} ents[] = {{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}};
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '&') {
			o[k++] = s[i];
			continue;
		}
		size_t j = i + 1;
		if (j < n && s[j] == '#') {
			unsigned long v = 0;
			bool hex = j + 1 < n && (s[j + 1] == 'x' || s[j + 1] == 'X');
			size_t d = j + 1 + hex, start = d;
			while (d < n && d - start < 8) {
				int h = s[d] >= '0' && s[d] <= '9' ? s[d] - '0'
					: hex && ((s[d] | 0x20) >= 'a' && (s[d] | 0x20) <= 'f')
						? (s[d] | 0x20) - 'a' + 10
						: -1;
				if (h < 0)
					break;
				v = v * (hex ? 16 : 10) + (unsigned long)h;
				d++;
			}
			if (d > start && v > 0 && v < 0x80) {
				o[k++] = (char)v;
				i = d < n && s[d] == ';' ? d : d - 1;
				continue;
			}
		}
		for (size_t e = 0; e < sizeof(ents) / sizeof(ents[0]); e++) {
			size_t l = strlen(ents[e].name);
			if (n - j >= l && strncasecmp(s + j, ents[e].name, l) == 0) {
				o[k++] = ents[e].c;
				i = j + l - 1;
				goto next;
			}
		}
		o[k++] = '&';
next:;
	}
	return k;
}

/* Applies the transforms in a fixed order; returns the length in buf (which
 * holds at least n + 1 bytes). */
static size_t transform(uint32_t tf, const char *s, size_t n, char *buf, char *tmp)
{
	memcpy(buf, s, n);
	if (tf & POL_TF_BASE64_DECODE) {
		long dn = pol_base64_decode(buf, n, tmp);
		if (dn >= 0) {
			memcpy(buf, tmp, (size_t)dn);
			n = (size_t)dn;
		}
	}
	if (tf & POL_TF_URL_DECODE)
		n = pol_url_decode(buf, n, buf, true);
	if (tf & POL_TF_HTML_DECODE) {
		n = html_decode(buf, n, tmp);
		memcpy(buf, tmp, n);
	}
	if (tf & POL_TF_REMOVE_NULLS) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (buf[i])
				buf[k++] = buf[i];
		n = k;
	}
	if (tf & POL_TF_COMPRESS_WS) {
		size_t k = 0;
		bool sp = false;
		for (size_t i = 0; i < n; i++) {
			char c = buf[i];
			bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
			if (ws && sp)
				continue;
			buf[k++] = ws ? ' ' : c;
			sp = ws;
		}
		n = k;
	}
	if (tf & POL_TF_LOWERCASE)
		for (size_t i = 0; i < n; i++)
			if (buf[i] >= 'A' && buf[i] <= 'Z')
				buf[i] = (char)(buf[i] | 0x20);
	return n;
}

int pol_rule_match(const struct pol_engine *e, const struct pol_rule *r, const char *s, size_t n,
		   uint32_t *off, uint32_t *len)
{
	char *buf = NULL;
	int hit = 0;
	if (r->transforms) {
		buf = malloc(2 * n + 8);
		if (!buf)
			return -ENOMEM;
		n = transform(r->transforms, s, n, buf, buf + n + 4);
		s = buf;
	}
	if (r->re) {
		pcre2_match_data *md = pcre2_match_data_create(1, NULL);
		if (md) {
			int rc = pcre2_match(r->re, (PCRE2_SPTR)s, n, 0, 0, md, e->match_ctx);
			if (rc > 0) {
				PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
				*off = (uint32_t)ov[0];
				*len = (uint32_t)(ov[1] > ov[0] ? ov[1] - ov[0] : 0);
				hit = 1;
			}
			pcre2_match_data_free(md);
		}
	}
	for (size_t i = 0; !hit && i < r->nphrases; i++) {
		long at = pol_memcasemem(s, n, r->phrases[i], r->phrase_len[i]);
		if (at >= 0) {
			*off = (uint32_t)at;
			*len = (uint32_t)r->phrase_len[i];
			hit = 1;
		}
	}
	/* offsets into a transformed copy still point near the match */
	if (hit && *off > n)
		*off = 0;
	free(buf);
	return hit;
}
