/* A strict, bounded JSON parser for untrusted events (private to policies/).
 *
 * Why our own and not cJSON: events are walked once, in document order, with
 * paths; a flat array of nodes in preorder (each container knows where its
 * subtree ends) makes that walk iterative, lets a subtree deeper than the
 * policy's depth limit still be scanned without recursion, and costs one
 * allocation for the nodes plus one for decoded strings. The parser itself
 * is iterative too: nesting costs heap, not stack, so depth is bounded only
 * by the input size (the walker applies the policy's depth limit and reports
 * it). It never reads past the length it was given and accepts exactly
 * RFC 8259 (checked against JSONTestSuite in tests/unit/policies).
 */
#ifndef POL_JSON_H
#define POL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pol_jtype {
	POL_J_NULL,
	POL_J_FALSE,
	POL_J_TRUE,
	POL_J_NUM,
	POL_J_STR,
	POL_J_ARR,
	POL_J_OBJ,
};

struct pol_jnode {
	const char *key; /* decoded member name, or NULL outside objects */
	const char *str; /* decoded string; raw text of numbers and literals */
	uint32_t key_len;
	uint32_t len;
	uint32_t end;     /* index one past the last node of this subtree */
	uint32_t count;   /* children of a container */
	uint32_t src_off; /* raw span of the value in the input */
	uint32_t src_end;
	uint8_t type; /* enum pol_jtype */
};

struct pol_json {
	struct pol_jnode *nodes; /* nodes[0] is the root */
	uint32_t n;
	uint32_t cap;
	char *text; /* arena for decoded strings, sized by the input */
	size_t text_len;
	size_t text_cap; /* bytes allocated for text (at least the input's) */
	size_t err_off;  /* on failure: where */
	const char *err; /* on failure: why (static string) */
};

/* Parses s[0..n) (n at most 4 GiB - 1). 0, -EINVAL (not JSON: err and
 * err_off say why and where), -ENOMEM. The document keeps pointers into s:
 * s must outlive it. Call pol_json_fini in every case. */
int pol_json_parse(struct pol_json *d, const char *s, size_t n);
/* Same, refusing documents of more than max_nodes values with -EFBIG: a
 * node costs about 48 bytes, so "[[[[..." would otherwise cost the sandbox
 * 24 bytes of memory per byte of event. */
int pol_json_parse_max(struct pol_json *d, const char *s, size_t n, uint32_t max_nodes);
/* Same, giving up with -ETIME once the monotonic clock (vg_mono_ns) passes
 * deadline_ns (0: never), read every 64 KB of input. */
int pol_json_parse_until(struct pol_json *d, const char *s, size_t n, uint32_t max_nodes,
                         uint64_t deadline_ns);
void pol_json_fini(struct pol_json *d);

/* The member of object node obj named key, or -1. */
int64_t pol_json_get(const struct pol_json *d, uint32_t obj, const char *key);
/* Same, for a length-counted name. */
int64_t pol_json_getn(const struct pol_json *d, uint32_t obj, const char *key, size_t kl);
/* Same, comparing the name without regard to ASCII case (HTTP headers). */
int64_t pol_json_get_ci(const struct pol_json *d, uint32_t obj, const char *key);
/* The string value of member key of obj, or NULL (then *len is untouched). */
const char *pol_json_get_str(const struct pol_json *d, uint32_t obj, const char *key, size_t *len);
/* 1-based line of byte offset off in s. */
unsigned pol_json_line(const char *s, size_t n, size_t off);

/* Spare blocks. A 1 MB event fills megabytes of nodes and decoded text,
 * and the allocator gives blocks that big back to the system when they are
 * freed: each parse then paid again to fault in and zero fresh pages, a
 * third of the engine's time on such an event. So each thread keeps a few
 * big blocks (128 KB to 4 MB, six and 8 MB at most; none under
 * AddressSanitizer) that its inspections gave back, for the next ones; a bigger event's blocks go
 * back to the system, and the spares are freed when the thread ends. Only pages once touched are
 * resident. kind keeps blocks of different uses apart: a block comes back
 * in the state its kind's owner left it in.
 *
 * pol_spare_take: a block of at least want bytes (*cap: its size), the
 * smallest spare of that kind that fits, else a new one (zeroed when zero
 * is set); NULL when out of memory. pol_spare_give takes the block back
 * (from pol_spare_take, cap as it said) and keeps or frees it. */
enum { POL_SPARE_JSON, POL_SPARE_MEMO };
void *pol_spare_take(unsigned kind, size_t want, size_t *cap, bool zero);
void pol_spare_give(unsigned kind, void *p, size_t cap);

static inline int pol_json_streq(const struct pol_jnode *nd, const char *lit)
{
	size_t i = 0;
	if (nd->type != POL_J_STR)
		return 0;
	for (; lit[i]; i++)
		if (i >= nd->len || nd->str[i] != lit[i])
			return 0;
	return i == nd->len;
}

#endif
