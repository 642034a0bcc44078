/* A small XML reader: the values a handler's XML parser hands its code.
 *
 * Non-validating and bounded: one pass, linear in the document's length,
 * that checks its structure and keeps its values, handed out once it has
 * read whole; no recursion (a fixed stack of open elements, deeper ones
 * read without their names).
 * Attribute values and text nodes come out decoded as a parser delivers
 * them: the five predefined entities and numeric character references
 * replaced, CDATA sections unwrapped, line ends normalised (and, in
 * attribute values, literal tabs and line breaks read as spaces). Entities
 * a DTD declares are never expanded, that is the attack (XXE, billion
 * laughs): a reference to one stays in the value as written, "&name;". */
#ifndef POL_XML_H
#define POL_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An element path longer than this is cut with "..."; an attribute name
 * longer than POL_XML_NAME_MAX is cut the same way in its item's path. */
#define POL_XML_PATH_MAX 256
#define POL_XML_NAME_MAX 48
/* The deepest element whose name the reader keeps (and checks against its
 * end tag); a caller's depth limit above this is lowered to it. */
#define POL_XML_DEPTH_MAX 256
/* The clock is read every this many bytes of a document's content. */
#define POL_XML_CLOCK_BYTES 65536

struct pol_xml_item {
	/* "/root/a/@probe" for an attribute, "/root/a/text()" for a text
	 * node; NUL-terminated. Element names are the qualified names as
	 * written ("soap:Body"). */
	const char *path;
	size_t path_len;
	const char *name; /* the attribute's name, or the text's element's name */
	size_t name_len;
	const char *val; /* decoded; not NUL-terminated */
	size_t len;
	bool attr;
};

/* Called once per attribute value and per text node that is not blank
 * (text split by comments or processing instructions is one node; child
 * elements split it). Every pointer in it is the reader's, valid during
 * the call only. A non-zero return stops the reading. */
typedef int (*pol_xml_fn)(void *arg, const struct pol_xml_item *it);

/* Whether s[0..n) may be an XML document: after an optional UTF-8 byte
 * order mark and blanks it begins with "<?xml", "<!" or '<' and a name,
 * and its last byte that is not blank is '>'. Without an XML declaration,
 * HTML is not XML data ("<!DOCTYPE html", a root named as an HTML element:
 * "<p>", "<div>"): a browser renders it, no parser hands its values to the
 * code. The first byte decides for most strings. */
bool pol_xml_sniff(const char *s, size_t n);

/* Reads the document s[0..n) and calls fn on each of its values in
 * document order (xmlns declarations are not values). A document that is
 * not well-formed in its markup (unclosed or mismatched tags, text or a
 * second element outside the root, a bad attribute) gives -EINVAL before
 * any call; a reference that does not decode stays as written. Elements
 * below depth_max are read, their values at the path of their ancestor at
 * depth_max, and *too_deep is set. Past deadline_ns (monotonic; 0: none),
 * read every POL_XML_CLOCK_BYTES, the reading stops with -ETIME. Returns 0,
 * -EINVAL, -ETIME, -ENOMEM, or fn's non-zero return. */
int pol_xml_each(const char *s, size_t n, unsigned depth_max, uint64_t deadline_ns, pol_xml_fn fn,
                 void *arg, bool *too_deep);

#endif
