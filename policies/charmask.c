#include "detect.h"
#include "detect_chars.h"

int8_t pol_b64_digits[256];

/* One table lookup per byte: the bit each byte contributes to the mask. */
static uint32_t char_bit[256];

static void __attribute__((constructor)) charmask_init(void)
{
	for (unsigned c = 0; c < 256; c++) {
		uint32_t b = 0;
		if (c >= 0x80)
			b = POL_CH_HIGH;
		else if (c >= 'a' && c <= 'z')
			b = POL_CH_ALPHA;
		else if (c >= 'A' && c <= 'Z')
			b = POL_CH_ALPHA;
		else if (c >= '0' && c <= '9')
			b = POL_CH_DIGIT;
		else if (c == ' ' || c == '\t')
			b = POL_CH_SPACE;
		else if (c == '\n' || c == '\r')
			b = POL_CH_NEWLINE;
		else if (c < 0x20 || c == 0x7f)
			b = POL_CH_CTRL;
		else {
			switch (c) {
			case '\'': b = POL_CH_SQUOTE; break;
			case '"': b = POL_CH_DQUOTE; break;
			case '`': b = POL_CH_BACKTICK; break;
			case '<': b = POL_CH_LT; break;
			case '>': b = POL_CH_GT; break;
			case ';': b = POL_CH_SEMI; break;
			case '|': b = POL_CH_PIPE; break;
			case '&': b = POL_CH_AMP; break;
			case '$': b = POL_CH_DOLLAR; break;
			case '{': b = POL_CH_LBRACE; break;
			case '}': b = POL_CH_RBRACE; break;
			case '(': case ')': b = POL_CH_PAREN; break;
			case '/': b = POL_CH_SLASH; break;
			case '\\': b = POL_CH_BSLASH; break;
			case '.': b = POL_CH_DOT; break;
			case '%': b = POL_CH_PERCENT; break;
			case ':': b = POL_CH_COLON; break;
			case '=': b = POL_CH_EQUALS; break;
			case '#': b = POL_CH_HASH; break;
			case '-': b = POL_CH_DASH; break;
			case '*': b = POL_CH_STAR; break;
			case '@': b = POL_CH_AT; break;
			case '[': case ']': b = POL_CH_BRACKET; break;
			case '+': b = POL_CH_PLUS; break;
			case ',': b = POL_CH_COMMA; break;
			case '?': b = POL_CH_QMARK; break;
			default: b = 0;
			}
		}
		char_bit[c] = b;
		int v = -1;
		if (c >= 'A' && c <= 'Z')
			v = (int)c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = (int)c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = (int)c - '0' + 52;
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		pol_b64_digits[c] = (int8_t)v;
	}
}

uint32_t pol_charmask(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t m = 0, m1 = 0, m2 = 0, m3 = 0;
	size_t i = 0;
	/* four bytes a turn into four masks: the lookups do not wait on one
	 * another */
	for (; i + 4 <= n; i += 4) {
		m |= char_bit[p[i]];
		m1 |= char_bit[p[i + 1]];
		m2 |= char_bit[p[i + 2]];
		m3 |= char_bit[p[i + 3]];
	}
	for (; i < n; i++)
		m |= char_bit[p[i]];
	return m | m1 | m2 | m3;
}
