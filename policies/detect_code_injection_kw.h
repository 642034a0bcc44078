/* Case-insensitive keyword tables for the detectors that judge identifiers
 * (code_injection, ssti): word -> role bits in one hash probe, so that a
 * detector pays the same small cost for every identifier of a long benign
 * text instead of comparing it against every list.
 *
 * A table is built once, before main(), from a list of (word, roles)
 * entries; a word listed twice gets the union of its roles. Lookups only
 * read the table, so they are safe from any number of threads.
 */
#ifndef POL_DETECT_KW_H
#define POL_DETECT_KW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "detect_chars.h"

#define KW_SLOTS    1024 /* power of two, at least twice the entries */
#define KW_MAX_WORD 40   /* longer identifiers are never keywords */

struct kw_entry {
	const char *word; /* lowercase */
	uint32_t roles;
};

struct kw_table {
	uint16_t slot[KW_SLOTS]; /* 1 + index of the entry, 0 when empty */
	uint32_t roles[KW_SLOTS];
};

static inline uint32_t kw_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint32_t)ch_lower((unsigned char)s[i])) * 16777619u;
	return h;
}

static inline int kw_same(const char *word, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (word[i] != ch_lower((unsigned char)s[i]))
			return 0;
	return word[n] == '\0';
}

static inline void kw_build(struct kw_table *t, const struct kw_entry *e, size_t count)
{
	memset(t, 0, sizeof(*t));
	for (size_t k = 0; k < count; k++) {
		size_t n = strlen(e[k].word);
		uint32_t h = kw_hash(e[k].word, n) & (KW_SLOTS - 1);
		while (t->slot[h] && !kw_same(e[t->slot[h] - 1].word, e[k].word, n))
			h = (h + 1) & (KW_SLOTS - 1);
		if (!t->slot[h])
			t->slot[h] = (uint16_t)(k + 1);
		t->roles[h] |= e[k].roles;
	}
}

/* Roles of the identifier s[0..n), or 0. */
static inline uint32_t kw_roles(const struct kw_table *t, const struct kw_entry *e, const char *s,
                                size_t n)
{
	if (n == 0 || n > KW_MAX_WORD)
		return 0;
	uint32_t h = kw_hash(s, n) & (KW_SLOTS - 1);
	while (t->slot[h]) {
		if (kw_same(e[t->slot[h] - 1].word, s, n))
			return t->roles[h];
		h = (h + 1) & (KW_SLOTS - 1);
	}
	return 0;
}

#endif
