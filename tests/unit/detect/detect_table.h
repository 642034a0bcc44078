/* Name to detector, for the golden tests and the corpus tool. */
#ifndef TEST_DETECT_TABLE_H
#define TEST_DETECT_TABLE_H

#include <string.h>

#include "detect.h"

static const struct {
	const char *name;
	pol_detector_fn fn;
} detect_table[] = {
	{"sqli", pol_detect_sqli},
	{"xss", pol_detect_xss},
	{"cmdi", pol_detect_cmdi},
	{"path_traversal", pol_detect_path_traversal},
	{"ssrf", pol_detect_ssrf},
	{"nosqli", pol_detect_nosqli},
	{"proto_pollution", pol_detect_proto_pollution},
	{"jndi", pol_detect_jndi},
	{"ssti", pol_detect_ssti},
	{"xxe", pol_detect_xxe},
	{"deserialization", pol_detect_deserialization},
	{"code_injection", pol_detect_code_injection},
};

static inline pol_detector_fn detect_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(detect_table) / sizeof(detect_table[0]); i++)
		if (strcmp(detect_table[i].name, name) == 0)
			return detect_table[i].fn;
	return NULL;
}

/* Decodes \n \r \t \\ \xHH in place; returns the new length. */
static inline size_t detect_unescape(char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\' || i + 1 == n) {
			s[o++] = s[i];
			continue;
		}
		char c = s[++i];
		switch (c) {
		case 'n': s[o++] = '\n'; break;
		case 'r': s[o++] = '\r'; break;
		case 't': s[o++] = '\t'; break;
		case '\\': s[o++] = '\\'; break;
		case 'x':
			if (i + 2 < n) {
				char hex[3] = {s[i + 1], s[i + 2], 0};
				s[o++] = (char)strtol(hex, NULL, 16);
				i += 2;
				break;
			}
			/* fall through */
		default:
			s[o++] = '\\';
			s[o++] = c;
		}
	}
	return o;
}

#endif
