/* Detector: sqli.
 *
 * The input is tokenized as SQL three times: as if the application pasted
 * it outside any literal, inside '...', and inside "..." (an injection
 * breaks out of the literal it was put in, so the text before the first
 * quote is the end of that literal; when a backslash stands before a
 * quote, the quoted readings run once more with backslashes escaping
 * nothing, as SQLite and standard SQL read them). Each token stream is then
 * read by a handful of grammar rules over token classes, not over words:
 *
 *  - a break-out (the end of the literal, or a leading number) followed by
 *    SQL: a boolean with a comparison or a call, a comment that truncates
 *    the query, a stacked statement, union, order/group by, having, into;
 *  - anywhere: union select with a select list, complete statements
 *    (drop table x, insert into x values, ...), calls of functions that
 *    only attacks use (sleep, benchmark, extractvalue, ...), waitfor delay.
 *
 * Two narrower readings stand beside them: an input that is one name alone
 * is looked up among system catalogues and attack-only procedures
 * (information_schema, xp_cmdshell), and an input opening with a backquote
 * is read once more as the end of a backquoted name, with one rule.
 *
 * All of these are level-1 findings. When none fires, a short input that is
 * nothing but a fragment of SQL (substr(, <>, order by, /3 or, ':35) is a
 * weak signal of paranoia level 2 or 3 ("Weak signals" below).
 *
 * English stays clean because the rules want shapes English does not make:
 * SQL never puts two plain words side by side in an expression, and a
 * select list is followed by from, a comma or the end, not by more words.
 *
 * Cost: each pass reads every byte a bounded number of times and evaluates
 * the rules over a sliding window of tokens held in a fixed ring; the rules
 * look at most SQ_LOOK tokens ahead. No heap, no recursion.
 */
#include <strings.h>

#include "detect.h"
#include "detect_chars.h"

#include "detect_sqli_lex.h"

#define SQ_LOOK 20 /* tokens a rule may look ahead */
#define SQ_RING 32 /* tokens kept: the window plus one behind */

struct sq_scan {
	struct sq_lex lx;
	struct sq_tok ring[SQ_RING];
	size_t count; /* tokens read so far */
	int done;     /* the lexer reached the end */
	struct sq_tok end;
	size_t lit_end; /* quoted passes: where the starting literal closes */
};

/* Token j of the stream; past the end it is an SQ_END token. */
static const struct sq_tok *T(const struct sq_scan *sc, size_t j)
{
	if (j >= sc->count)
		return &sc->end;
	return &sc->ring[j % SQ_RING];
}

static int is_type(const struct sq_scan *sc, size_t j, enum sq_type ty)
{
	return T(sc, j)->type == ty;
}

static int is_kw(const struct sq_scan *sc, size_t j, enum sqw_role role)
{
	const struct sq_tok *t = T(sc, j);
	return t->type == SQ_KW && t->role == role;
}

/* Tokens that can end an injected fragment: the query's own rest is cut
 * off or continues harmlessly after them. */
static int is_stop(const struct sq_scan *sc, size_t j)
{
	const struct sq_tok *t = T(sc, j);
	return t->type == SQ_END || t->type == SQ_COMMENT || t->type == SQ_SEMI ||
	       t->type == SQ_RP || t->type == SQ_LOGIC;
}

/* What an operand contained. */
enum {
	OI_LIT = 1u << 0,
	OI_BARE = 1u << 1,
	OI_CALL = 1u << 2,   /* call of a known function */
	OI_STRONG = 1u << 3, /* call of a function attacks use */
	OI_SELECT = 1u << 4, /* a subquery */
	OI_CATALOG = 1u << 5,
	OI_VAR = 1u << 6, /* @@system variable */
	OI_CMP = 1u << 7, /* a parenthesized comparison */
};

static size_t group_end(const struct sq_scan *sc, size_t j, size_t lim, unsigned *info)
{
	int depth = 0;
	for (; j < lim; j++) {
		const struct sq_tok *t = T(sc, j);
		if (t->type == SQ_END)
			return j;
		if (t->type == SQ_LP)
			depth++;
		else if (t->type == SQ_RP && --depth <= 0)
			return j + 1;
		else if (t->type == SQ_KW && t->role == SQW_SELECT)
			*info |= OI_SELECT;
		else if (t->type == SQ_FUNC && t->fn != SQF_NONE)
			*info |= t->fn == SQF_STRONG ? OI_CALL | OI_STRONG : OI_CALL;
		else if (t->type == SQ_VAR)
			*info |= (t->flags & SQ_F_DBLAT) ? OI_VAR | OI_LIT : OI_LIT;
		else if (t->type == SQ_NUM || t->type == SQ_STR)
			*info |= OI_LIT;
		else if (t->type == SQ_CMP)
			*info |= OI_CMP;
		else if (t->type == SQ_BARE)
			*info |= OI_BARE;
		if (t->flags & SQ_F_CATALOG)
			*info |= OI_CATALOG;
	}
	return lim; /* the window ends inside: take it as closed */
}

#define SQ_FAIL ((size_t)-1)

/* match col[, col] against ('words' in boolean mode) at j: MySQL's
 * full-text search, a call in all but its spelling. Sets *end past it. */
static int match_against(const struct sq_scan *sc, size_t j, size_t lim, unsigned *info,
                         size_t *end)
{
	const struct sq_tok *t = T(sc, j);
	if (t->len != 5 || strncasecmp((const char *)sc->lx.s + t->off, "match", 5) != 0)
		return 0;
	for (size_t k = j + 1; k < j + 10 && k + 1 < lim; k++) {
		const struct sq_tok *u = T(sc, k);
		if (u->len == 7 && (u->type == SQ_BARE || u->type == SQ_FUNC) &&
		    is_type(sc, k + 1, SQ_LP) &&
		    strncasecmp((const char *)sc->lx.s + u->off, "against", 7) == 0) {
			*info |= OI_CALL;
			*end = group_end(sc, k + 1, lim, info);
			return 1;
		}
		if (u->type != SQ_BARE && u->type != SQ_COMMA && u->type != SQ_LP &&
		    u->type != SQ_RP)
			return 0;
	}
	return 0;
}

/* One primary: literal, variable, name, call or parenthesized group. */
static size_t primary(const struct sq_scan *sc, size_t j, size_t lim, unsigned *info)
{
	for (int k = 0; k < 16 && j < lim; k++) {
		const struct sq_tok *t = T(sc, j);
		if (t->type == SQ_NOT || (t->type == SQ_OP && !(t->flags & SQ_F_STAR)))
			j++; /* unary - + ~ ! not, as many as the window holds */
		else
			break;
	}
	if (j >= lim)
		return SQ_FAIL;
	const struct sq_tok *t = T(sc, j);
	switch (t->type) {
	case SQ_NUM:
	case SQ_STR:
		*info |= OI_LIT;
		return j + 1;
	case SQ_VAR:
		*info |= (t->flags & SQ_F_DBLAT) ? OI_VAR | OI_LIT : OI_LIT;
		return j + 1;
	case SQ_KW:
		/* words that also name columns: user, time, table */
		if (t->role != SQW_OBJECT && t->role != SQW_DELAY)
			return SQ_FAIL;
		*info |= OI_BARE;
		return j + 1;
	case SQ_BARE:
		if (match_against(sc, j, lim, info, &j))
			return j;
		*info |= OI_BARE;
		if (t->flags & SQ_F_CATALOG)
			*info |= OI_CATALOG;
		return j + 1;
	case SQ_FUNC:
		if (match_against(sc, j, lim, info, &j))
			return j;
		if (t->fn != SQF_NONE)
			*info |= t->fn == SQF_STRONG ? OI_CALL | OI_STRONG : OI_CALL;
		else
			*info |= OI_BARE;
		return is_type(sc, j + 1, SQ_LP) ? group_end(sc, j + 1, lim, info) : j + 1;
	case SQ_LP:
		return group_end(sc, j, lim, info);
	default:
		return SQ_FAIL;
	}
}

/* An operand: primaries joined by arithmetic (1+1, 'a'||'b', x->>'k'). */
static size_t operand(const struct sq_scan *sc, size_t j, size_t lim, unsigned *info)
{
	j = primary(sc, j, lim, info);
	for (int k = 0; k < 8 && j != SQ_FAIL && j < lim && is_type(sc, j, SQ_OP); k++) {
		unsigned more = 0;
		size_t e = primary(sc, j + 1, lim, &more);
		if (e == SQ_FAIL)
			break;
		*info |= more;
		j = e;
	}
	return j;
}

static int one_word_literal(const struct sq_scan *sc);
static int word_is(const struct sq_scan *sc, size_t j, const char *w);

/* Two values side by side, a that ends one and b that starts the next
 * ("see above", "1 2"): prose, or SQL that does not parse. */
static int side_by_side(const struct sq_tok *a, const struct sq_tok *b)
{
	int av = a->type == SQ_BARE || a->type == SQ_NUM || a->type == SQ_STR ||
	         a->type == SQ_VAR || a->type == SQ_RP;
	int bv = b->type == SQ_BARE || b->type == SQ_NUM || b->type == SQ_STR ||
	         b->type == SQ_VAR || b->type == SQ_FUNC;
	return av && bv;
}

/* Does the group opening at j hold arguments, not prose: no two values
 * side by side ("(see above)"), nothing SQL has no use for? */
static int call_args(const struct sq_scan *sc, size_t j, size_t lim)
{
	int depth = 0;
	for (size_t k = j; k < lim; k++) {
		const struct sq_tok *a = T(sc, k), *b = T(sc, k + 1);
		if (a->type == SQ_END || a->type == SQ_OTHER)
			return 0;
		if (a->type == SQ_LP)
			depth++;
		else if (a->type == SQ_RP && --depth <= 0)
			return k > j + 1; /* not () */
		if (side_by_side(a, b))
			return 0;
	}
	return 0;
}

/* Is what follows a logical operator at j an SQL condition? Strict: no
 * literal on its own unless a comment or ';' ends it (English says
 * "1950 or 1960" and "where's"). */
static size_t null_test(const struct sq_scan *sc, size_t k);

static int condition(const struct sq_scan *sc, size_t j, size_t lim, int strict)
{
	unsigned a = 0, b = 0;
	/* {if ...}, {fn ...}: an ODBC escape around the condition; its '}'
	 * ends it as ')' would */
	int odbc = 0;
	if (is_type(sc, j, SQ_OTHER) && sc->lx.s[T(sc, j)->off] == '{' &&
	    T(sc, j + 1)->off == T(sc, j)->off + 1 &&
	    (is_kw(sc, j + 1, SQW_IF) || word_is(sc, j + 1, "fn")))
		j += 2, odbc = 1;
	/* 1#x\nAND#y\n9227=9227: a line comment the line ends is white
	 * space to the server */
	for (int k = 0; k < 4 && is_type(sc, j, SQ_COMMENT) && !is_type(sc, j + 1, SQ_END) &&
	                T(sc, j)->off + T(sc, j)->len < sc->lx.n;
	     k++)
		j++;
	/* admin'and unlikely (id)--, ' or soundex (1) != '0: after a one-word
	 * value, a call of any name (the parenthesis set apart or not) that
	 * SQL goes on from: a comment, ';', a comparison or more logic */
	if (!strict && sc->lx.quote && one_word_literal(sc) &&
	    (is_type(sc, j, SQ_BARE) || (is_type(sc, j, SQ_FUNC) && T(sc, j)->fn == SQF_NONE)) &&
	    is_type(sc, j + 1, SQ_LP) && call_args(sc, j + 1, lim)) {
		unsigned gi = 0;
		size_t g = group_end(sc, j + 1, lim, &gi);
		/* more logic only after a parenthesis glued on, which prose
		 * does not do: "Smiths' and Joneses (both) and more" */
		if (g < lim && (is_type(sc, g, SQ_COMMENT) || is_type(sc, g, SQ_SEMI) ||
		                is_type(sc, g, SQ_CMP) ||
		                (is_type(sc, g, SQ_LOGIC) && is_type(sc, j, SQ_FUNC))))
			return 1;
	}
	size_t e = operand(sc, j, lim, &a);
	if (e == SQ_FAIL)
		return 0;
	/* '{"a":1}' ? 'a': PostgreSQL's JSON key test between two literals
	 * (a '?' elsewhere is a placeholder or prose), ended as SQL ends */
	if (a == OI_LIT && is_type(sc, e - 1, SQ_STR) && is_type(sc, e, SQ_OTHER) &&
	    sc->lx.s[T(sc, e)->off] == '?') {
		/* ?| and ?& take an array of keys: array['a','b'] */
		size_t c = e + 1;
		const struct sq_tok *o = T(sc, c);
		if (o->len == 1 && o->off == T(sc, e)->off + 1 &&
		    (sc->lx.s[o->off] == '|' || sc->lx.s[o->off] == '&'))
			c++;
		int arr = c > e + 1 && word_is(sc, c, "array") && is_type(sc, c, SQ_FUNC);
		if (!arr && !is_type(sc, c, SQ_STR))
			return 0;
		size_t g = operand(sc, c, lim, &b);
		return g != SQ_FAIL && (arr ? (b & OI_LIT) != 0 : b == OI_LIT) &&
		       !(T(sc, g - 1)->flags & SQ_F_UNCLOSED) && is_stop(sc, g);
	}
	if (is_type(sc, e, SQ_NOT))
		e++; /* not like, not in */
	if (is_type(sc, e, SQ_CMP)) {
		/* email notnull--: a comparison that takes no right operand */
		if (T(sc, e)->flags & SQ_F_POSTFIX)
			return is_type(sc, e + 1, SQ_COMMENT) || is_type(sc, e + 1, SQ_SEMI) ||
			       (!strict && is_type(sc, e + 1, SQ_END));
		size_t c = e + 1;
		if (is_type(sc, c, SQ_NOT) || is_type(sc, c, SQ_CMP))
			c++; /* is not null, sounds like */
		if (T(sc, e)->len == 7 && T(sc, c)->len == 2 &&
		    strncasecmp((const char *)sc->lx.s + T(sc, e)->off, "similar", 7) == 0 &&
		    strncasecmp((const char *)sc->lx.s + T(sc, c)->off, "to", 2) == 0)
			c++; /* similar to */
		if (is_kw(sc, c, SQW_ALL))
			c++; /* = all (select ...) */
		/* "and 9 is slowest": IS then a plain word is English; SQL's
		 * takes null, true, false, unknown, distinct from or (SQLite)
		 * a value */
		if (word_is(sc, e, "is") && c == e + 1 && is_type(sc, c, SQ_BARE) &&
		    !null_test(sc, e) && !word_is(sc, c, "distinct"))
			return 0;
		size_t f = operand(sc, c, lim, &b);
		if (f == SQ_FAIL)
			return 0;
		/* like x escape 'y' */
		if (T(sc, f)->len == 6 && is_type(sc, f, SQ_BARE) && is_type(sc, f + 1, SQ_STR) &&
		    strncasecmp((const char *)sc->lx.s + T(sc, f)->off, "escape", 6) == 0)
			f += 2;
		/* "where 'x' is your ...": a plain word after the comparison is
		 * prose going on, never SQL */
		if (is_type(sc, f, SQ_BARE) && sc->lx.s[T(sc, f)->off] < 0x80)
			return 0;
		/* strict: what follows is SQL too ("and err > prec + 1 (was") */
		if (strict && !is_stop(sc, f) && !is_type(sc, f, SQ_KW) &&
		    !is_type(sc, f, SQ_SEMI) &&
		    !(odbc && is_type(sc, f, SQ_OTHER) && sc->lx.s[T(sc, f)->off] == '}'))
			return 0;
		/* word = word reads as English unless something SQL ends it;
		 * "where seldom is heard" never does, a comment always does */
		if (!((a | b) & ~(unsigned)OI_BARE))
			return (!(T(sc, e)->flags & SQ_F_WORD) && is_stop(sc, f)) ||
			       is_type(sc, f, SQ_COMMENT) ||
			       (!strict && is_type(sc, f, SQ_SEMI) && is_type(sc, f + 1, SQ_END));
		return 1;
	}
	if (a & (OI_CALL | OI_SELECT | OI_CATALOG | OI_VAR))
		return 1;
	if ((a & OI_CMP) && (a & OI_LIT))
		return 1; /* or ('1'='1' */
	if ((a & OI_LIT) && !(a & OI_BARE)) {
		const struct sq_tok *t = T(sc, e);
		const struct sq_tok *l = T(sc, e - 1);
		if (t->type == SQ_COMMENT || t->type == SQ_SEMI)
			return 1;
		/* ' or 1, ' or @x: not ' or 'anything', which quotes do in prose */
		if (!strict && l->type != SQ_STR && is_stop(sc, e))
			return 1;
		/* 9999 or true: a literal spelt as a word, then nothing */
		if (e == j + 1 && l->type == SQ_NUM && sc->lx.s[l->off] >= 'A' &&
		    (is_type(sc, e, SQ_END) || is_type(sc, e, SQ_COMMENT) ||
		     is_type(sc, e, SQ_SEMI)))
			return 1;
		if (t->type == SQ_KW &&
		    (t->role == SQW_UNION || t->role == SQW_ORDER || t->role == SQW_LIMIT ||
		     t->role == SQW_HAVING || t->role == SQW_INTO))
			return 1;
	}
	return 0;
}

/* Does a list of values, grouped however its parentheses fall (select
 * sin(((1)),2 from bar where, which leaves one open), reach from and a
 * table ended as SQL ends, with a literal in it and no two values side by
 * side? */
static int list_from(const struct sq_scan *sc, size_t j, size_t lim)
{
	int lit = 0;
	for (size_t k = j; k < lim; k++) {
		const struct sq_tok *a = T(sc, k);
		switch (a->type) {
		case SQ_NUM:
		case SQ_STR:
		case SQ_VAR:
			lit = 1;
			break;
		case SQ_BARE:
		case SQ_FUNC:
		case SQ_LP:
		case SQ_RP:
		case SQ_COMMA:
		case SQ_OP:
			break;
		case SQ_KW: {
			if (a->role != SQW_FROM || !lit || k == j || !is_type(sc, k + 1, SQ_BARE))
				return 0;
			const struct sq_tok *f = T(sc, k + 2);
			return f->type == SQ_END || f->type == SQ_COMMENT || f->type == SQ_SEMI ||
			       (f->type == SQ_KW && (f->role == SQW_WHERE || f->role == SQW_ORDER ||
			                             f->role == SQW_LIMIT));
		}
		default:
			return 0;
		}
		if (side_by_side(a, T(sc, k + 1)))
			return 0;
	}
	return 0;
}

/* Does the select list starting at j read as SQL (select 1,2 / select a
 * from t / select @@version), rather than English (select one from the
 * list)? Strict, for a select that is the whole input: it has to name a
 * table or a column list, not just a literal ("select 'and'"). */
static int select_list(const struct sq_scan *sc, size_t j, size_t lim, int strict)
{
	if (is_kw(sc, j, SQW_ALL))
		j++;
	/* select top 1 ...: SQL Server's row limit */
	const struct sq_tok *top = T(sc, j);
	if (top->type == SQ_BARE && top->len == 3 &&
	    strncasecmp((const char *)sc->lx.s + top->off, "top", 3) == 0 &&
	    is_type(sc, j + 1, SQ_NUM))
		j += 2;
	const struct sq_tok *t = T(sc, j);
	const struct sq_tok *nx = T(sc, j + 1);
	if ((t->flags & SQ_F_CATALOG) || t->type == SQ_VAR ||
	    (t->type == SQ_FUNC && t->fn != SQF_NONE))
		return 1;
	if (t->type == SQ_OP && (t->flags & SQ_F_STAR))
		return nx->type == SQ_COMMA || nx->type == SQ_END || nx->type == SQ_COMMENT ||
		       nx->type == SQ_SEMI || (nx->type == SQ_KW && nx->role == SQW_FROM);
	/* select pg_sleep: a function only attacks call, named with '_' (no
	 * English word), its arguments cut off */
	if (t->type == SQ_BARE && is_stop(sc, j + 1) && memchr(sc->lx.s + t->off, '_', t->len)) {
		const struct sqw_word *kw = sq_word_find(sc->lx.s + t->off, t->len);
		if (kw && kw->fn == SQF_STRONG)
			return 1;
	}
	/* select 0x616263: a string spelt in hex, which only evasion does */
	if (t->type == SQ_NUM && t->len >= 6 && sc->lx.s[t->off] == '0' &&
	    (sc->lx.s[t->off + 1] | 0x20) == 'x' && is_stop(sc, j + 1))
		return 1;
	if (t->type != SQ_BARE && t->type != SQ_KW) {
		/* a literal or an expression: judged by what it holds and
		 * what follows it */
		unsigned info = 0;
		size_t e = operand(sc, j, lim, &info);
		if ((t->type == SQ_LP || t->type == SQ_FUNC || t->type == SQ_OP) &&
		    list_from(sc, j, lim))
			return 1;
		if (e == SQ_FAIL)
			return 0;
		if (info & (OI_CALL | OI_SELECT | OI_CATALOG | OI_VAR | OI_CMP))
			return 1;
		const struct sq_tok *f = T(sc, e);
		if (f->type == SQ_COMMA || f->type == SQ_SEMI)
			return 1;
		/* select 'a'||(select ...: joined to a subquery by || */
		if (f->type == SQ_LOGIC && f->len == 2 && sc->lx.s[f->off] == '|' &&
		    is_type(sc, e + 1, SQ_LP) && is_kw(sc, e + 2, SQW_SELECT))
			return 1;
		if (f->type == SQ_KW &&
		    (f->role == SQW_FROM || f->role == SQW_UNION || f->role == SQW_INTO))
			return 1;
		if (strict || !(info & ~(unsigned)OI_BARE))
			return 0; /* q=select+shoes&page=2 */
		if (f->type == SQ_END || f->type == SQ_COMMENT || f->type == SQ_RP ||
		    f->type == SQ_CMP || f->type == SQ_LOGIC)
			return 1;
		return f->type == SQ_KW && (f->role == SQW_WHERE || f->role == SQW_LIMIT ||
		                            f->role == SQW_ORDER || f->role == SQW_AS);
	}
	/* names: a, b, c from t [where|order|;|end] */
	for (int k = 0; k < 6 && j + 1 < lim; k++) {
		unsigned info = 0;
		size_t e = operand(sc, j, lim, &info);
		if (e == SQ_FAIL && k == 0 && is_type(sc, j, SQ_KW))
			e = j + 1, info = OI_BARE;
		if (e == SQ_FAIL)
			return 0;
		if (k > 0 && (info & ~(unsigned)OI_BARE))
			return 1; /* select a, 2 */
		if (info & (OI_CALL | OI_SELECT | OI_CATALOG | OI_VAR))
			return 1;
		j = e;
		/* select table_name x from ..., a as b: an alias, the AS left
		 * out only where the select list is not the whole input
		 * ("select any color from below" is English) */
		if (is_kw(sc, j, SQW_AS) && is_type(sc, j + 1, SQ_BARE))
			j += 2;
		else if (!strict && is_type(sc, j, SQ_BARE) &&
		         (is_type(sc, j + 1, SQ_COMMA) || is_kw(sc, j + 1, SQW_FROM)))
			j++;
		if (is_type(sc, j, SQ_COMMA)) {
			j++;
			continue;
		}
		/* select x group by y having count(id) >= 9: no from, a group
		 * and a condition on it */
		if (is_kw(sc, j, SQW_ORDER) && is_kw(sc, j + 1, SQW_BY) &&
		    is_type(sc, j + 2, SQ_BARE) && is_kw(sc, j + 3, SQW_HAVING))
			return condition(sc, j + 4, lim, 1);
		/* select x where 9896=9896;: no from, a comparison of literals
		 * alone, ended as SQL ends */
		if (is_kw(sc, j, SQW_WHERE)) {
			unsigned a = 0, b = 0;
			size_t c = operand(sc, j + 1, lim, &a);
			if (c == SQ_FAIL || !is_type(sc, c, SQ_CMP) || a != OI_LIT)
				return 0;
			size_t g = operand(sc, c + 1, lim, &b);
			return g != SQ_FAIL && b == OI_LIT && is_stop(sc, g);
		}
		if (!is_kw(sc, j, SQW_FROM))
			return 0;
		const struct sq_tok *tb = T(sc, j + 1);
		if (tb->type != SQ_BARE)
			return 0;
		if (tb->flags & SQ_F_CATALOG)
			return 1;
		const struct sq_tok *f = T(sc, j + 2);
		if (f->type == SQ_END || f->type == SQ_COMMENT || f->type == SQ_SEMI ||
		    f->type == SQ_RP)
			return 1;
		if (strict && f->type == SQ_KW && f->role == SQW_WHERE)
			return condition(sc, j + 3, lim, 1);
		return f->type == SQ_KW &&
		       (f->role == SQW_WHERE || f->role == SQW_ORDER || f->role == SQW_LIMIT ||
		        f->role == SQW_JOIN || f->role == SQW_UNION || f->role == SQW_HAVING);
	}
	return 0;
}

/* Past the line comments from j on that a line end closes: white space to
 * the server (union#x\nselect#y\n1,2). At most max of them. */
static size_t skip_lc(const struct sq_scan *sc, size_t j, int max)
{
	for (int k = 0; k < max && is_type(sc, j, SQ_COMMENT) && !is_type(sc, j + 1, SQ_END) &&
	                T(sc, j)->off + T(sc, j)->len < sc->lx.n;
	     k++)
		j++;
	return j;
}

/* union [all|distinct] [(] select <list> */
static int union_select(const struct sq_scan *sc, size_t i, size_t lim)
{
	size_t j = skip_lc(sc, i + 1, 4);
	while (j < i + 3 && is_kw(sc, j, SQW_ALL))
		j++; /* union distinct all select */
	while (j < i + 5 && is_type(sc, j, SQ_LP))
		j++;
	if (!is_kw(sc, j, SQW_SELECT))
		return 0;
	j = skip_lc(sc, j + 1, 4) - 1;
	if (select_list(sc, j + 1, lim, 0))
		return 1;
	/* union select col from: a column and from, the table cut off */
	if ((is_type(sc, j + 1, SQ_BARE) || is_kw(sc, j + 1, SQW_OBJECT)) &&
	    is_kw(sc, j + 2, SQW_FROM) && is_type(sc, j + 3, SQ_END))
		return 1;
	/* after a literal or a closing parenthesis any column will do */
	const struct sq_tok *p = i ? T(sc, i - 1) : NULL;
	return p && (p->type == SQ_STR || p->type == SQ_NUM || p->type == SQ_RP) &&
	       (is_type(sc, j + 1, SQ_BARE) || is_kw(sc, j + 1, SQW_OBJECT));
}

/* A complete statement starting at j, shaped as only SQL shapes it.
 * Strict, when the statement is the whole input: a bare "shutdown" or
 * "exec's" is a word, not a command. */
static int statement(const struct sq_scan *sc, size_t j, size_t lim, int strict)
{
	const struct sq_tok *t = T(sc, j);
	if (t->type != SQ_KW)
		return 0;
	switch (t->role) {
	case SQW_SELECT:
		return select_list(sc, j + 1, lim, strict);
	case SQW_DROP: {
		/* drop/ *x* /name: a comment glued on where a blank would do,
		 * which only filter evasion writes; the object word left out */
		size_t z = t->off + t->len;
		if (z + 1 < sc->lx.n && sc->lx.s[z] == '/' && sc->lx.s[z + 1] == '*' &&
		    is_type(sc, j + 1, SQ_BARE) &&
		    (is_type(sc, j + 2, SQ_END) || is_type(sc, j + 2, SQ_SEMI) ||
		     is_type(sc, j + 2, SQ_COMMENT)))
			return 1;
	}
		/* drop name;-- : the object word left out, the rest cut off */
		if (is_type(sc, j + 1, SQ_BARE) &&
		    (is_type(sc, j + 2, SQ_COMMENT) ||
		     (is_type(sc, j + 2, SQ_SEMI) &&
		      (is_type(sc, j + 3, SQ_COMMENT) || is_type(sc, j + 3, SQ_END)))))
			return 1;
		/* fall through */
	case SQW_CREATE:
		return (is_kw(sc, j + 1, SQW_OBJECT) || is_kw(sc, j + 1, SQW_PROC)) &&
		       (is_type(sc, j + 2, SQ_BARE) || is_type(sc, j + 2, SQ_FUNC) ||
		        is_kw(sc, j + 2, SQW_IF));
	case SQW_DELETE:
		return is_kw(sc, j + 1, SQW_FROM) && is_type(sc, j + 2, SQ_BARE) &&
		       (is_kw(sc, j + 3, SQW_WHERE) || is_type(sc, j + 3, SQ_END) ||
		        is_type(sc, j + 3, SQ_SEMI) || is_type(sc, j + 3, SQ_COMMENT));
	case SQW_INSERT:
		return is_kw(sc, j + 1, SQW_INTO) &&
		       ((is_type(sc, j + 2, SQ_BARE) &&
		         (is_type(sc, j + 3, SQ_LP) || is_kw(sc, j + 3, SQW_VALUES) ||
		          is_kw(sc, j + 3, SQW_SELECT) || is_kw(sc, j + 3, SQW_SET))) ||
		        is_type(sc, j + 2, SQ_FUNC));
	case SQW_UPDATE:
		return is_type(sc, j + 1, SQ_BARE) && is_kw(sc, j + 2, SQW_SET) &&
		       is_type(sc, j + 3, SQ_BARE) && is_type(sc, j + 4, SQ_CMP);
	case SQW_EXEC: {
		const struct sq_tok *a = T(sc, j + 1);
		if (a->type == SQ_STR && !(a->flags & SQ_F_UNCLOSED))
			return 1;
		if (a->type == SQ_VAR || a->type == SQ_LP ||
		    (a->type == SQ_FUNC && a->fn == SQF_STRONG))
			return 1;
		/* execute immediate 'sql': Oracle's dynamic SQL */
		if (a->type == SQ_BARE && word_is(sc, j + 1, "immediate") &&
		    is_type(sc, j + 2, SQ_STR))
			return 1;
		if (a->type != SQ_BARE)
			return 0;
		/* procedure names: xp_cmdshell, sp_x, master..xp_x, dbo.p */
		const unsigned char *w = sc->lx.s + a->off;
		for (uint32_t k = 0; k < a->len; k++)
			if (w[k] == '_' || w[k] == '.')
				return 1;
		return 0;
	}
	case SQW_DECLARE:
		return is_type(sc, j + 1, SQ_VAR);
	case SQW_SET:
		return is_type(sc, j + 1, SQ_VAR) && is_type(sc, j + 2, SQ_CMP);
	case SQW_SHUTDOWN:
		return !strict && (is_type(sc, j + 1, SQ_END) || is_type(sc, j + 1, SQ_COMMENT) ||
		                   is_type(sc, j + 1, SQ_SEMI));
	case SQW_WAITFOR:
		return is_kw(sc, j + 1, SQW_DELAY);
	default:
		return 0;
	}
}

struct sq_found {
	const char *rule;
	enum pol_severity sev;
	uint8_t conf;
	size_t from, to; /* token indexes */
};

static int found(struct sq_found *f, const char *rule, uint8_t conf, size_t from, size_t to)
{
	f->rule = rule;
	f->sev = conf >= 90 ? POL_SEV_CRITICAL : POL_SEV_HIGH;
	f->conf = conf;
	f->from = from;
	f->to = to;
	return 1;
}

/* if((1=1),...) or another known call over a comparison or subquery, as
 * a statement of its own after ';'. */
static int guarded_call(const struct sq_scan *sc, size_t j, size_t lim)
{
	unsigned info = 0;
	if (!is_type(sc, j, SQ_FUNC) || T(sc, j)->fn == SQF_NONE)
		return 0;
	operand(sc, j, lim, &info);
	return (info & (OI_CMP | OI_SELECT)) != 0;
}

/* char(65)||char(66), chr(65)+chr(66): text spelt in character codes */
static int is_char_call(const struct sq_scan *sc, size_t j)
{
	const struct sq_tok *t = T(sc, j);
	if (t->type != SQ_FUNC || (t->len != 3 && t->len != 4))
		return 0;
	const unsigned char *w = sc->lx.s + t->off;
	return (w[0] | 0x20) == 'c' && (w[1] | 0x20) == 'h' &&
	       (t->len == 3 ? (w[2] | 0x20) == 'r' : (w[2] | 0x20) == 'a' && (w[3] | 0x20) == 'r');
}

/* The literal the query's own closing quote completes: an unclosed
 * string of at most one character in the starting quote, at the end. */
static int is_rejoin(const struct sq_scan *sc, size_t k)
{
	const struct sq_tok *u = T(sc, k);
	uint32_t len = u->len;
	/* blanks ending the input are the query's too: aa'|!'aa<blank> */
	while (len > 1 && u->type == SQ_STR && sq_blank[sc->lx.s[u->off + len - 1]])
		len--;
	if (u->type != SQ_STR || !(u->flags & SQ_F_UNCLOSED) || len > 2 || !sc->lx.quote ||
	    sc->lx.s[u->off] != (unsigned char)sc->lx.quote || !is_type(sc, k + 1, SQ_END))
		return 0;
	/* '  or '0 ; not the ', that ends a quoted list item */
	unsigned char c = len == 2 ? sc->lx.s[u->off + 1] : '0';
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* The literal the input started in is one word (admin'...), not prose
 * ("BROWNING "LIKE"). */
static int one_word_literal(const struct sq_scan *sc)
{
	size_t a = 0, b = sc->lit_end;
	while (a < b && sc->lx.s[a] == ' ')
		a++; /* blanks before the word are no second word; a blank
		      * before the quote is ("BROWNING "LIKE") */
	return b - a <= 32 && !memchr(sc->lx.s + a, ' ', b - a);
}

/* Is token j the word w (lower case)? */
static int word_is(const struct sq_scan *sc, size_t j, const char *w)
{
	const struct sq_tok *t = T(sc, j);
	size_t l = strlen(w);
	return t->len == l && t->type != SQ_STR && t->type != SQ_END &&
	       strncasecmp((const char *)sc->lx.s + t->off, w, l) == 0;
}

/* Comparisons spelt as words English never uses: regexp, rlike... */
static int sql_only_cmp(const struct sq_scan *sc, size_t j)
{
	return word_is(sc, j, "regexp") || word_is(sc, j, "rlike") || word_is(sc, j, "ilike") ||
	       word_is(sc, j, "sounds") || word_is(sc, j, "glob");
}

/* An unclosed one-word literal in the starting quote ending the input:
 * foo'or'oof, 'or'1=1 hand the query's own closing quote a whole word. */
static int is_rejoin_word(const struct sq_scan *sc, size_t k)
{
	const struct sq_tok *u = T(sc, k);
	if (u->type != SQ_STR || !(u->flags & SQ_F_UNCLOSED) || u->len > 33 || !sc->lx.quote ||
	    sc->lx.s[u->off] != (unsigned char)sc->lx.quote || !is_type(sc, k + 1, SQ_END))
		return 0;
	for (uint32_t q = 1; q < u->len; q++)
		if (sc->lx.s[u->off + q] <= 0x20)
			return 0;
	return 1;
}

/* The literal the input started in reads as a login or a value
 * (admin, bob@example.org, 42), not a path or a sentence. */
static int value_literal(const struct sq_scan *sc)
{
	if (sc->lit_end == 0 || sc->lit_end > 32)
		return 0;
	for (size_t k = 0; k < sc->lit_end; k++) {
		unsigned char c = sc->lx.s[k];
		if (!sq_is_word(c) && c != '@' && c != '.' && c != '-')
			return 0;
	}
	return 1;
}

/* A short comment (-- or #, or an open block comment) ends the input at
 * token j: the rest of the query cut off. */
static int cut_off(const struct sq_scan *sc, size_t j)
{
	return is_type(sc, j, SQ_COMMENT) && (T(sc, j)->flags & SQ_F_SHORT) &&
	       is_type(sc, j + 1, SQ_END);
}

/* The unclosed literal at k, in the starting quote, that the query's own
 * quote would close reads as prose: it holds words apart, or the literal
 * the input started in does ('=' characters, Handle '<'.). */
static int prose_rejoin(const struct sq_scan *sc, size_t k)
{
	const struct sq_tok *u = T(sc, k);
	if (u->type != SQ_STR || !sc->lx.quote || sc->lx.s[u->off] != (unsigned char)sc->lx.quote)
		return 0;
	if (!one_word_literal(sc))
		return 1;
	uint32_t end = u->len;
	while (end > 1 && sc->lx.s[u->off + end - 1] <= 0x20)
		end--; /* trailing blanks */
	for (uint32_t q = 1; q < end; q++)
		if (sc->lx.s[u->off + q] <= 0x20)
			return 1;
	return 0;
}

/* A short word in the starting quote ending the input ('aa, 'abc): the
 * query's own quote completes it, as aa'...'aa mirrors the value. */
static int is_rejoin_short(const struct sq_scan *sc, size_t k)
{
	if (is_rejoin(sc, k))
		return 1;
	uint32_t len = T(sc, k)->len;
	while (len > 1 && sq_blank[sc->lx.s[T(sc, k)->off + len - 1]])
		len--;
	if (T(sc, k)->type != SQ_STR || !(T(sc, k)->flags & SQ_F_UNCLOSED) || len > 5 ||
	    !sc->lx.quote || sc->lx.s[T(sc, k)->off] != (unsigned char)sc->lx.quote ||
	    !is_type(sc, k + 1, SQ_END))
		return 0;
	for (uint32_t q = 1; q < len; q++)
		if (!sq_alnum[sc->lx.s[T(sc, k)->off + q]])
			return 0;
	return 1;
}

/* is [not] null|true|false|unknown|\N at k: the index past it, or 0. */
static size_t null_test(const struct sq_scan *sc, size_t k)
{
	if (!word_is(sc, k, "is"))
		return 0;
	k += 1 + is_type(sc, k + 1, SQ_NOT);
	const struct sq_tok *t = T(sc, k);
	if (word_is(sc, k, "null") || word_is(sc, k, "true") || word_is(sc, k, "false") ||
	    word_is(sc, k, "unknown"))
		return k + 1;
	/* \N, MySQL's null: a backslash glued to N */
	if (t->type == SQ_OTHER && t->len == 1 && sc->lx.s[t->off] == '\\' &&
	    word_is(sc, k + 1, "n") && T(sc, k + 1)->off == t->off + 1)
		return k + 2;
	return 0;
}

/* ' or ''-', '||'x'||', ' xor '0: operators and operands that lead back
 * into the literal the query closes. */
static int rejoins(const struct sq_scan *sc, size_t k, size_t lim)
{
	/* '' ': the empty literal, then the query's own quote */
	if (k == 1 && sc->lit_end == 0 && is_rejoin(sc, k))
		return 1;
	/* "escaping '+'", "removed stray '%'": prose quotes operators; a
	 * rejoin follows a value of one word */
	if (!one_word_literal(sc))
		return 0;
	/* 'is\N-!', aa'is\N|!': the literal tested for null, then worked on */
	size_t lead = null_test(sc, k);
	if (lead && (is_type(sc, lead, SQ_OP) || is_type(sc, lead, SQ_LOGIC)))
		k = lead;
	for (int steps = 0; steps < 8 && k < lim; steps++) {
		if (is_type(sc, k, SQ_NOT) && is_type(sc, k + 1, SQ_CMP))
			k++; /* not like, not regexp */
		const struct sq_tok *t = T(sc, k);
		int sql_only = sql_only_cmp(sc, k);
		if (is_type(sc, k, SQ_CMP) && is_type(sc, k + 1, SQ_CMP))
			k++; /* sounds like */
		if (t->type != SQ_LOGIC && t->type != SQ_OP && t->type != SQ_CMP)
			return 0;
		k++;
		/* foo'or'oof: the operator glued to both quotes */
		if (steps == 0 && t->type == SQ_LOGIC && one_word_literal(sc) &&
		    t->off == sc->lit_end + 1 && T(sc, k)->off == t->off + t->len &&
		    is_rejoin_word(sc, k))
			return 1;
		/* aa' like+'0: a sign before the literal */
		if ((t->flags & SQ_F_WORD) && is_type(sc, k, SQ_OP) && T(sc, k)->len == 1 &&
		    (sc->lx.s[T(sc, k)->off] == '+' || sc->lx.s[T(sc, k)->off] == '-') &&
		    is_rejoin_short(sc, k + 1))
			return 1;
		/* aa'LIKE'0: a comparison word glued to both quotes and a
		 * digit after ("Ch'in's" puts a letter there) */
		if (t->type == SQ_CMP && (t->flags & SQ_F_WORD) && t->off == sc->lit_end + 1 &&
		    T(sc, k)->off == t->off + t->len && is_rejoin(sc, k) && T(sc, k)->len == 2 &&
		    sq_is_digit(sc->lx.s[T(sc, k)->off + 1]))
			return 1;
		/* A' regexp 'B, x' LIKE 'y: a word SQL alone uses, or a word
		 * operator set apart by blanks, unlike "Ch'in's" */
		if ((t->flags & SQ_F_WORD) && is_rejoin(sc, k) &&
		    (sql_only || (t->off > 0 && sc->lx.s[t->off - 1] == ' ' &&
		                  sc->lx.s[T(sc, k)->off - 1] == ' ' && one_word_literal(sc))))
			return 1;
		/* ' regexp ': a word operator needs the empty literal right
		 * after it; "Ch'in's" must not read as ' in 's; and "escaping
		 * '+'" quotes an operator in prose */
		if (is_rejoin(sc, k) &&
		    (!(t->flags & SQ_F_WORD) ? steps > 0 || one_word_literal(sc)
		                             : T(sc, k)->len == 1 && one_word_literal(sc)))
			return 1;
		/* 4' mod 2 like '0, aa' div@1 = 0: an arithmetic word with a
		 * number or a variable after it */
		if ((t->flags & SQ_F_WORD) &&
		    !(t->type == SQ_OP && (is_type(sc, k, SQ_NUM) || is_type(sc, k, SQ_VAR))))
			return 0;
		unsigned info = 0;
		size_t e = operand(sc, k, lim, &info);
		if (e == SQ_FAIL)
			return 0;
		/* 1'*column is \N or '1: a null test on the operand */
		size_t nt = null_test(sc, e);
		if (nt)
			e = nt;
		/* aa'|!'aa, aa'&(1)='aa: a short word the query's quote ends,
		 * after a sign or a comparison */
		if ((e > k + 1 || steps > 0) && is_rejoin_short(sc, e - 1) &&
		    (is_type(sc, e - 2, SQ_NOT) ||
		     (is_type(sc, e - 2, SQ_CMP) && !(T(sc, e - 2)->flags & SQ_F_WORD)) ||
		     (is_type(sc, e - 2, SQ_OP) && e - 2 > k &&
		      (is_type(sc, e - 3, SQ_OP) || is_type(sc, e - 3, SQ_CMP) ||
		       is_type(sc, e - 3, SQ_NOT)))))
			return 1;
		/* a name (1'*column-0-'0, asd' or column&&'1) only with an
		 * operator after it: "Chris' / Pat 's" is prose */
		if ((info & OI_BARE) && !(e > k + 1 && is_rejoin(sc, e - 1)) &&
		    !is_type(sc, e, SQ_OP) && !is_type(sc, e, SQ_LOGIC) && !is_type(sc, e, SQ_CMP))
			return 0;
		if (is_rejoin(sc, e - 1))
			return 1;
		/* ' or '' ': adjacent literals concatenate */
		if (T(sc, e - 1)->type == SQ_STR && is_rejoin(sc, e))
			return 1;
		k = e;
	}
	return 0;
}

/* A keyword that opens a statement an attacker stacks: select, drop,
 * insert, update, delete, create, exec, declare, shutdown, waitfor. */
static int starts_statement(const struct sq_scan *sc, size_t j)
{
	const struct sq_tok *t = T(sc, j);
	if (t->type != SQ_KW)
		return 0;
	switch (t->role) {
	case SQW_SELECT:
	case SQW_DROP:
	case SQW_INSERT:
	case SQW_UPDATE:
	case SQW_DELETE:
	case SQW_CREATE:
	case SQW_EXEC:
	case SQW_DECLARE:
	case SQW_SHUTDOWN:
	case SQW_WAITFOR:
		return 1;
	default:
		return 0;
	}
}

/* grant <privileges> [on <object>] to <grantee>: the end of the
 * statement, or 0. A privilege is an SQL keyword (select, all, delete...)
 * or a word SQL grants alone (connect, resource, dba, usage...): "grant
 * them leave to go" names none. */
static size_t grant_stmt(const struct sq_scan *sc, size_t j, size_t lim)
{
	static const char *const privs[] = {
	    "connect",    "dba",    "file",     "index", "privileges", "process", "proxy",
	    "references", "reload", "resource", "super", "trigger",    "usage"};
	if (!word_is(sc, j, "grant") && !word_is(sc, j, "revoke"))
		return 0;
	size_t k = j + 1;
	int n = 0;
	while (k < lim && n < 6) {
		int ok = is_type(sc, k, SQ_KW);
		for (size_t q = 0; !ok && q < sizeof privs / sizeof *privs; q++)
			ok = word_is(sc, k, privs[q]);
		if (!ok)
			break;
		n++;
		k++;
		if (word_is(sc, k, "privileges"))
			k++;
		if (!is_type(sc, k, SQ_COMMA))
			break;
		k++;
	}
	if (n == 0)
		return 0;
	if (word_is(sc, k, "on")) {
		size_t e = k + 1;
		while (e < k + 6 && !word_is(sc, e, "to") && !word_is(sc, e, "from") &&
		       (is_type(sc, e, SQ_BARE) || is_type(sc, e, SQ_OP) ||
		        is_type(sc, e, SQ_OTHER) || is_kw(sc, e, SQW_OBJECT) ||
		        is_kw(sc, e, SQW_PROC)))
			e++;
		if (e == k + 1)
			return 0;
		k = e;
	}
	if (!word_is(sc, k, "to") && !word_is(sc, k, "from"))
		return 0;
	const struct sq_tok *g = T(sc, k + 1);
	if (g->type != SQ_BARE && !(g->type == SQ_STR && !(g->flags & SQ_F_UNCLOSED)))
		return 0;
	k += 2;
	if (is_type(sc, k, SQ_VAR)) /* 'user'@'host' */
		k++;
	return k;
}

/* Statements stacked after a break-out that statement() leaves to this
 * context alone: delete quick from t, execute as login, load data infile,
 * call p(...), do (...), begin declare ... */
static int stacked_extra(const struct sq_scan *sc, size_t j, size_t lim)
{
	if (is_kw(sc, j, SQW_DELETE)) {
		size_t k = j + 1;
		while (k < j + 4 && (word_is(sc, k, "quick") || word_is(sc, k, "low_priority") ||
		                     word_is(sc, k, "ignore")))
			k++;
		return is_kw(sc, k, SQW_FROM) && is_type(sc, k + 1, SQ_BARE);
	}
	if (is_kw(sc, j, SQW_EXEC) && is_kw(sc, j + 1, SQW_AS))
		return 1;
	if (word_is(sc, j, "load") && (word_is(sc, j + 1, "data") || word_is(sc, j + 1, "xml"))) {
		for (size_t k = j + 2; k < j + 5; k++)
			if (word_is(sc, k, "infile"))
				return 1;
		return 0;
	}
	if (word_is(sc, j, "call") && is_type(sc, j + 1, SQ_FUNC))
		return 1;
	if (word_is(sc, j, "do") && is_type(sc, j + 1, SQ_LP))
		return 1;
	if (word_is(sc, j, "begin"))
		return statement(sc, j + 1, lim, 0) ||
		       (is_kw(sc, j + 1, SQW_SHUTDOWN) && word_is(sc, j + 2, "end"));
	size_t e = grant_stmt(sc, j, lim);
	if (e)
		return is_stop(sc, e) || word_is(sc, e, "identified") || word_is(sc, e, "with");
	return 0;
}

/* Known calls inside s[j..e): ascii(substring(...)) nests two. */
static int known_calls(const struct sq_scan *sc, size_t j, size_t e)
{
	int c = 0;
	for (; j < e; j++)
		c += is_type(sc, j, SQ_FUNC) && T(sc, j)->fn != SQF_NONE;
	return c;
}

/* Is s[0..n), made of letters, digits, '_' and '.' alone, one of the names
 * sqw_lone lists: the whole name, its first dotted part (a catalogue's
 * table: information_schema.tables) or its last (a procedure's owner:
 * master..xp_cmdshell)? */
static int sq_lone_lookup(const char *s, size_t n)
{
	char w[SQ_WORD_MAX];
	size_t first = n, last = 0;
	if (n < 4 || n >= SQ_WORD_MAX)
		return 0;
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)s[k];
		if (c == '.') {
			if (first == n)
				first = k;
			last = k + 1;
		} else if (!sq_alnum[c] && c != '_') {
			return 0;
		}
		w[k] = (char)ch_lower(c);
	}
	w[n] = '\0';
	size_t nl = sizeof(sqw_lone) / sizeof(sqw_lone[0]);
	int is = bsearch(w, sqw_lone, nl, sizeof(sqw_lone[0]), sq_cat_cmp) != NULL;
	if (!is && first < n) {
		w[first] = '\0';
		is = bsearch(w, sqw_lone, nl, sizeof(sqw_lone[0]), sq_cat_cmp) ||
		     bsearch(w + last, sqw_lone, nl, sizeof(sqw_lone[0]), sq_cat_cmp);
	}
	return is;
}

/* Is token j a name sq_lone_lookup knows (exec xp_cmdshell), or a line
 * comment whose text is one (1'--sp_password, which SQL Server's trace
 * then leaves out)? */
static int lone_at(const struct sq_scan *sc, size_t j)
{
	const struct sq_tok *t = T(sc, j);
	const char *w = (const char *)sc->lx.s + t->off;
	size_t len = t->len;
	if (t->type == SQ_COMMENT && w[0] != '/') {
		size_t k = w[0] == '#' ? 1 : 2;
		while (k < len && sq_blank[(unsigned char)w[k]])
			k++;
		w += k, len -= k;
		while (len && sq_blank[(unsigned char)w[len - 1]])
			len--;
	} else if (t->type != SQ_BARE && t->type != SQ_FUNC) {
		return 0;
	}
	return sq_lone_lookup(w, len);
}

/* Tokens from j: "<", a name, ">" with no blank between, as in '<Super>'
 * and "<input>": a key's or a placeholder's name in angle brackets, not
 * two comparisons. */
static int angle_name(const struct sq_scan *sc, size_t j)
{
	const struct sq_tok *a = T(sc, j), *b = T(sc, j + 1), *c = T(sc, j + 2);
	const unsigned char *s = sc->lx.s;
	return a->type == SQ_CMP && a->len == 1 && s[a->off] == '<' && b->type == SQ_BARE &&
	       b->off == a->off + 1 && c->type == SQ_CMP && c->len == 1 && s[c->off] == '>' &&
	       c->off == b->off + b->len;
}

/* Keyword j quoted as a word in prose: "Call 'select' in order to",
 * "Undef 'select' on Windows": the quote before it glued to it, the same
 * quote right after it, then a blank and a word. */
static int quoted_word(const struct sq_scan *sc, size_t j)
{
	const struct sq_tok *t = T(sc, j);
	const unsigned char *s = sc->lx.s;
	size_t n = sc->lx.n, o = t->off, e = o + t->len;
	if (o == 0 || (s[o - 1] != '\'' && s[o - 1] != '"') || e + 2 >= n || s[e] != s[o - 1])
		return 0;
	return s[e + 1] == ' ' && ch_is_alpha(s[e + 2]);
}

/* Token j, a '>' glued to the quote before it and to a word after it,
 * then nothing but words and "and"/"or" to the end (or to the "<" of a
 * closing tag): the end of an HTML
 * tag's attribute and the tag's text (href="...">Regions and Endpoints),
 * not a comparison, which needs a literal, a call or a keyword. */
static int markup_text(const struct sq_scan *sc, size_t j)
{
	const struct sq_tok *t = T(sc, j);
	const unsigned char *s = sc->lx.s;
	size_t n = sc->lx.n, o = t->off;
	if (t->len != 1 || s[o] != '>' || o == 0 || (s[o - 1] != '"' && s[o - 1] != '\'') ||
	    o + 1 >= n || !ch_is_alpha(s[o + 1]))
		return 0;
	size_t k = j + 1;
	for (; k < j + SQ_LOOK && !is_type(sc, k, SQ_END); k++) {
		const struct sq_tok *w = T(sc, k);
		if (w->type == SQ_CMP && w->len == 1 && s[w->off] == '<' && w->off + 1 == n &&
		    k > j + 1)
			continue; /* the "<" of the closing tag the text ends at */
		if (w->type != SQ_BARE && w->type != SQ_LOGIC)
			return 0;
	}
	return k > j + 1 && is_type(sc, k, SQ_END);
}

/* Rules right after a break-out at token i: the end of the literal the
 * input started in (quoted), or a leading number (numeric context). */
static int after_breakout(const struct sq_scan *sc, size_t i, int quoted, struct sq_found *f)
{
	size_t lim = i + SQ_LOOK - 1, j = i;
	int closers = 0;
	while (closers < 6 && is_type(sc, j, SQ_RP)) {
		j++;
		closers++;
	}
	/* -1#x\n union select: a line comment the line ends is white space
	 * to the server; the break-out goes on after it */
	j = skip_lc(sc, j, 6);
	const struct sq_tok *t = T(sc, j);
	if (quoted && rejoins(sc, j, lim) && !angle_name(sc, j))
		return found(f, "sqli.rejoin", 80, i, j + 3);
	if (t->type == SQ_NOT && is_type(sc, j + 1, SQ_CMP))
		t = T(sc, ++j); /* x'not like ... */
	switch (t->type) {
	case SQ_LOGIC:
		if (condition(sc, j + 1, lim, !quoted))
			return found(f, "sqli.boolean", 90, i, j + 4);
		/* test' or 1=, abc'xor 7<, ' or xyz-: a value of one word
		 * broken out of, a logical operator, an operand and then a
		 * comparison or an operator the input ends on (the query's own
		 * text is its right side); xor 2 <, or 'a' >: the same opening
		 * the input, appended to a value, with a literal operand */
		if ((quoted && (sc->lit_end == 0 || value_literal(sc))) || (!quoted && j == 0)) {
			const struct sq_tok *o = T(sc, j + 1), *c = T(sc, j + 2);
			if ((o->type == SQ_NUM || (o->type == SQ_BARE && quoted) ||
			     (o->type == SQ_STR && !(o->flags & SQ_F_UNCLOSED))) &&
			    is_type(sc, j + 3, SQ_END) && !(c->flags & SQ_F_WORD) &&
			    ((c->type == SQ_CMP && !(c->flags & SQ_F_POSTFIX)) ||
			     ((c->type == SQ_OP || c->type == SQ_NOT) &&
			      c->off == o->off + o->len &&
			      (o->type != SQ_BARE || sc->lit_end == 0))))
				return found(f, "sqli.boolean", 75, i, j + 3);
		}
		return 0;
	case SQ_CMP: {
		if (!quoted && !closers)
			return 0;
		/* 'sounds like x--: MySQL's two-word comparison */
		if (word_is(sc, j, "sounds") && word_is(sc, j + 1, "like"))
			t = T(sc, ++j);
		/* ' notnull -- */
		if (t->flags & SQ_F_POSTFIX)
			return (is_type(sc, j + 1, SQ_COMMENT) || is_type(sc, j + 1, SQ_SEMI)) &&
			       found(f, "sqli.tautology", 80, i, j + 2);
		unsigned info = 0;
		size_t e = operand(sc, j + 1, lim, &info);
		if (e == SQ_FAIL)
			return 0;
		/* href="...">Regions and Endpoints</a>: a tag's end, then its text */
		if (markup_text(sc, j))
			return 0;
		if (info & (OI_CALL | OI_SELECT | OI_VAR))
			return found(f, "sqli.tautology", 85, i, e);
		/* x' like 0 --, but not "Ch'in's" or "\"IS\" STAMP" */
		const struct sq_tok *l = T(sc, e - 1);
		if ((t->flags & SQ_F_WORD) && (l->type == SQ_STR || (info & OI_BARE)))
			return quoted && one_word_literal(sc) && cut_off(sc, e) &&
			       found(f, "sqli.tautology", 80, i, e + 1); /* id'not like id-- */
		/* '=' characters, Handle '<'.: an operator quoted in prose; the
		 * literal the query's own quote would close holds words */
		if (l->type == SQ_STR && (l->flags & SQ_F_UNCLOSED) && prose_rejoin(sc, e - 1))
			return 0;
		/* x) != y): a name compared with a name is code, not a break-out */
		if (!quoted && info == OI_BARE)
			return 0;
		if (is_stop(sc, e))
			return found(f, "sqli.tautology", 85, i, e);
		/* ' is 99999 = ': a literal tested, then compared with the
		 * literal the query's own quote completes */
		if (quoted && info == OI_LIT && is_type(sc, e, SQ_CMP) &&
		    !(T(sc, e)->flags & SQ_F_WORD) && is_rejoin(sc, e + 1))
			return found(f, "sqli.tautology", 80, i, e + 2);
		return 0;
	}
	case SQ_OP: {
		unsigned info = 0;
		size_t e = operand(sc, j + 1, lim, &info);
		if (e == SQ_FAIL)
			return 0;
		if (info & (OI_STRONG | OI_SELECT))
			return found(f, "sqli.expression", 90, i, e);
		/* 456 + ascii(substring(passwd,1,1)): blind extraction */
		if (known_calls(sc, j + 1, e) >= 2)
			return found(f, "sqli.expression", 85, i, e);
		/* x'|email--, user'collate nocase--: one word, an operator and an
		 * operand, the rest of the query cut off */
		if (quoted && one_word_literal(sc) && cut_off(sc, e))
			return found(f, "sqli.expression", 75, i, e + 1);
		/* aa'^0+1-1=(0)-- , asd' |1 != (1)#: the expression compared
		 * with an operand, then the rest of the query cut off */
		if (quoted && one_word_literal(sc) && !(info & OI_BARE) && is_type(sc, e, SQ_CMP) &&
		    !(T(sc, e)->flags & SQ_F_POSTFIX)) {
			unsigned info2 = 0;
			size_t e2 = operand(sc, e + 1, lim, &info2);
			if (e2 != SQ_FAIL && !(info2 & OI_BARE) && cut_off(sc, e2))
				return found(f, "sqli.expression", 80, i, e2 + 1);
		}
		/* 1*1--, 0 - 2 followed by an open block comment: a number worked on with literals,
		 * then the rest of the query cut off, as 1-- alone is; or
		 * then a union the query ends at (1/1/ and an inline comment before union#--) */
		int numeric = !quoted && i > 0 && T(sc, i - 1)->type == SQ_NUM &&
		              (i == 1 || (i == 2 && T(sc, 0)->type == SQ_OP));
		if (numeric && !(t->flags & SQ_F_WORD) && info == OI_LIT && cut_off(sc, e))
			return found(f, "sqli.comment", 75, i, e + 1);
		if (numeric && !(t->flags & SQ_F_WORD) && info == OI_LIT &&
		    is_kw(sc, e, SQW_UNION) && (is_type(sc, e + 1, SQ_END) || cut_off(sc, e + 1)))
			return found(f, "sqli.union", 80, i, e + 1);
		/* test'-1/1 union select: a one-word value worked on with
		 * literals, then union select, the list cut off or read */
		if ((numeric || (quoted && one_word_literal(sc))) && !(t->flags & SQ_F_WORD) &&
		    info == OI_LIT && is_kw(sc, e, SQW_UNION)) {
			size_t k = skip_lc(sc, e + 1, 4);
			k += is_kw(sc, k, SQW_ALL);
			if (union_select(sc, e, lim) ||
			    (is_kw(sc, k, SQW_SELECT) &&
			     (is_type(sc, k + 1, SQ_END) || is_type(sc, k + 1, SQ_COMMENT))))
				return found(f, "sqli.union", 85, i, k + 1);
		}
		/* -1' /id having 1<1 and ...: a one-word value worked on, then
		 * having or where and a condition judged strictly */
		if (quoted && one_word_literal(sc) && !(t->flags & SQ_F_WORD) &&
		    (is_kw(sc, e, SQW_HAVING) || is_kw(sc, e, SQW_WHERE)) &&
		    condition(sc, e + 1, lim, 1))
			return found(f, "sqli.boolean", 85, i, e + 2);
		/* 1'+'12' and (3=pi())--: a one-word value worked on with
		 * literals, then logic and a condition */
		if (quoted && one_word_literal(sc) && info == OI_LIT && is_type(sc, e, SQ_LOGIC) &&
		    condition(sc, e + 1, lim, 1))
			return found(f, "sqli.boolean", 85, i, e + 2);
		/* '-' '+1+' : only a number, or the empty literal the query's own
		 * closing quote completes; "boys' - 'girls" is prose */
		const struct sq_tok *l = T(sc, e - 1);
		if (l->type == SQ_STR && !is_rejoin(sc, e - 1))
			return 0;
		/* "removed stray '%'": an operator quoted in prose */
		if (l->type == SQ_STR && !one_word_literal(sc))
			return 0;
		if (quoted && (info & (OI_CALL | OI_LIT)) && !(info & OI_BARE) &&
		    (is_type(sc, e, SQ_END) || is_type(sc, e, SQ_COMMENT) ||
		     is_type(sc, e, SQ_LOGIC) || is_type(sc, e, SQ_OP)))
			return found(f, "sqli.expression", 70, i, e);
		return 0;
	}
	case SQ_SEMI:
		if (quoted && is_type(sc, j + 1, SQ_COMMENT))
			return found(f, "sqli.comment", 75, i, j + 2);
		/* admin'; : a one-word literal closed, the statement ended */
		if (quoted && is_type(sc, j + 1, SQ_END) && (sc->lit_end == 0 || value_literal(sc)))
			return found(f, "sqli.comment", 70, i, j + 1);
		/* ';select ..., ;drop ...: a statement keyword opens a new
		 * statement right after a break-out, or opens the input */
		if ((quoted || i == 0) && starts_statement(sc, j + 1))
			return found(f, "sqli.stacked", 85, i, j + 3);
		/* 1; if exists (: SQL Server's guarded statement after ';' */
		if (is_kw(sc, j + 1, SQW_IF) && word_is(sc, j + 2, "exists") &&
		    is_type(sc, j + 3, SQ_LP))
			return found(f, "sqli.stacked", 85, i, j + 4);
		/* ;set @x = ...: a variable assigned in a statement of its own */
		if ((quoted || i == 0) && is_kw(sc, j + 1, SQW_SET) && is_type(sc, j + 2, SQ_VAR))
			return found(f, "sqli.stacked", 85, i, j + 3);
		if (statement(sc, j + 1, lim, 0) || guarded_call(sc, j + 1, lim) ||
		    stacked_extra(sc, j + 1, lim))
			return found(f, "sqli.stacked", 95, i, j + 4);
		return 0;
	case SQ_COMMENT:
		/* admin'-- : a one-word literal cut short; "SOAP 1 '#" is not;
		 * 1-- : a number ending the input with a bare comment */
		if (closers || (quoted && (t->flags & SQ_F_SHORT) && one_word_literal(sc)) ||
		    (!quoted && i > 0 && (t->flags & SQ_F_SHORT) && is_type(sc, j + 1, SQ_END) &&
		     (T(sc, 0)->type != SQ_VAR || (T(sc, 0)->flags & SQ_F_DBLAT))))
			return found(f, "sqli.comment", 80, i, j + 1);
		/* 1'--sp_password: the comment names what hides the query from
		 * SQL Server's trace */
		if (quoted && one_word_literal(sc) && lone_at(sc, j))
			return found(f, "sqli.comment", 80, i, j + 1);
		return 0;
	case SQ_KW:
		break;
	case SQ_BARE: {
		/* ' grant dba to name; --: a privilege granted, and the
		 * query cut off by a comment, or ';' and SQL or the end */
		size_t e = quoted && one_word_literal(sc) ? grant_stmt(sc, j, lim) : 0;
		if (e && (is_type(sc, e, SQ_COMMENT) ||
		          (is_type(sc, e, SQ_SEMI) &&
		           (is_type(sc, e + 1, SQ_END) || is_type(sc, e + 1, SQ_COMMENT) ||
		            statement(sc, e + 1, lim, 1) || grant_stmt(sc, e + 1, lim)))))
			return found(f, "sqli.stacked", 85, i, e);
		return 0;
	}
	default:
		return 0;
	}
	if (quoted && statement(sc, j, lim, 0) && !quoted_word(sc, j))
		return found(f, "sqli.stacked", 90, i, j + 3);
	switch (t->role) {
	case SQW_UNION: {
		if (union_select(sc, j, lim) ||
		    (is_kw(sc, j + 1, SQW_ALL) && is_kw(sc, j + 2, SQW_SELECT)))
			return found(f, "sqli.union", 95, i, j + 4);
		/* -1 union, -1#\n union #\n#: after a number, a union the
		 * query ends at (the select list comes later, or in a later
		 * line), or a comment ends */
		size_t u = skip_lc(sc, j + 1, 6);
		if (!quoted && i > 0 &&
		    (is_type(sc, u, SQ_END) ||
		     (is_type(sc, u, SQ_COMMENT) && is_type(sc, u + 1, SQ_END))))
			return found(f, "sqli.union", 80, i, u);
		/* 1 union select: the select list cut off */
		size_t k = u + is_kw(sc, u, SQW_ALL);
		if (is_kw(sc, k, SQW_SELECT) &&
		    (is_type(sc, k + 1, SQ_END) || is_type(sc, k + 1, SQ_COMMENT)))
			return found(f, "sqli.union", 90, i, k + 1);
		/* -97 union select null version()--: after a number, union
		 * select and a value or a call, however the list goes on */
		if (!quoted && i > 0 && is_kw(sc, k, SQW_SELECT)) {
			const struct sq_tok *v = T(sc, skip_lc(sc, k + 1, 4));
			if (v->type == SQ_NUM || v->type == SQ_VAR || v->type == SQ_FUNC ||
			    (v->type == SQ_STR && !(v->flags & SQ_F_UNCLOSED)) ||
			    (v->type == SQ_OP && (v->flags & SQ_F_STAR)))
				return found(f, "sqli.union", 85, i, k + 1);
		}
		return 0;
	}
	case SQW_ORDER: {
		if (!is_kw(sc, j + 1, SQW_BY))
			return 0;
		unsigned info = 0;
		size_t e = operand(sc, j + 2, lim, &info);
		/* "group by curve, rather than...": a name opening the input
		 * needs SQL to end it */
		if (e != SQ_FAIL && !quoted && i == 0 && (info & OI_BARE) &&
		    !is_type(sc, e, SQ_COMMENT) && !is_type(sc, e, SQ_SEMI))
			return 0;
		if (e != SQ_FAIL && (is_stop(sc, e) || is_type(sc, e, SQ_COMMA) ||
		                     is_kw(sc, e, SQW_LIMIT) || is_kw(sc, e, SQW_HAVING)))
			return found(f, "sqli.order_by", 85, i, e);
		return 0;
	}
	case SQW_HAVING:
	case SQW_WHERE:
		if (condition(sc, j + 1, lim, 1))
			return found(f, "sqli.boolean", 85, i, j + 4);
		return 0;
	case SQW_LIMIT:
		if (is_type(sc, j + 1, SQ_NUM) &&
		    (is_stop(sc, j + 2) || is_type(sc, j + 2, SQ_COMMA)))
			return found(f, "sqli.limit", 75, i, j + 2);
		/* limit 1 offset 0-- */
		if (is_type(sc, j + 1, SQ_NUM) && word_is(sc, j + 2, "offset") &&
		    is_type(sc, j + 3, SQ_NUM) && is_stop(sc, j + 4))
			return found(f, "sqli.limit", 75, i, j + 4);
		return 0;
	case SQW_INTO:
		if (is_kw(sc, j + 1, SQW_OUTFILE))
			return found(f, "sqli.outfile", 95, i, j + 3);
		return 0;
	case SQW_AS:
		/* x AS alias WHERE 1=1 */
		if (is_type(sc, j + 1, SQ_BARE) && is_kw(sc, j + 2, SQW_WHERE) &&
		    condition(sc, j + 3, lim, 1))
			return found(f, "sqli.boolean", 85, i, j + 6);
		/* 1) AS t FROM users: a parenthesis closed, an alias, and a
		 * from clause (a select list's end) following on */
		if (closers &&
		    (is_type(sc, j + 1, SQ_BARE) || is_kw(sc, j + 1, SQW_OBJECT) ||
		     (is_type(sc, j + 1, SQ_STR) && !(T(sc, j + 1)->flags & SQ_F_UNCLOSED))) &&
		    is_kw(sc, j + 2, SQW_FROM) &&
		    (is_type(sc, j + 3, SQ_END) || is_type(sc, j + 3, SQ_BARE) ||
		     is_type(sc, j + 3, SQ_COMMENT) || is_type(sc, j + 3, SQ_SEMI)) &&
		    (is_type(sc, j + 3, SQ_END) || is_type(sc, j + 4, SQ_END) ||
		     is_type(sc, j + 4, SQ_COMMENT) || is_type(sc, j + 4, SQ_SEMI) ||
		     is_type(sc, j + 4, SQ_KW)))
			return found(f, "sqli.select", 80, i, j + 3);
		return 0;
	case SQW_PROC:
		if (is_type(sc, j + 1, SQ_FUNC) && T(sc, j + 1)->fn == SQF_STRONG)
			return found(f, "sqli.function", 90, i, j + 2);
		return 0;
	case SQW_FROM: {
		/* from information_schema.tables [where ...|limit|--]: the tail
		 * of a select over a system catalogue, ended as SQL ends */
		const struct sq_tok *c = T(sc, j + 1);
		/* 1) from users where name='x'), from t where id="a";: a
		 * parenthesis closed or the input's start, then a from clause
		 * with a condition, ended as SQL ends */
		if ((closers || (!quoted && j == 0)) && c->type == SQ_BARE &&
		    is_kw(sc, j + 2, SQW_WHERE) && condition(sc, j + 3, lim, 1))
			return found(f, "sqli.select", 85, i, j + 4);
		if ((c->type != SQ_BARE && c->type != SQ_FUNC) || !(c->flags & SQ_F_CATALOG))
			return 0;
		size_t e = j + 2;
		if (is_type(sc, e, SQ_OTHER) && sc->lx.s[T(sc, e)->off] == '.' &&
		    is_type(sc, e + 1, SQ_END))
			e++; /* information_schema. cut short */
		else if (is_type(sc, e, SQ_OTHER) && sc->lx.s[T(sc, e)->off] == '.' &&
		         T(sc, e + 1)->off == T(sc, e)->off + 1 &&
		         (is_type(sc, e + 1, SQ_BARE) || is_kw(sc, e + 1, SQW_OBJECT)))
			e += 2; /* `information_schema`.tables */
		if (is_stop(sc, e) || is_kw(sc, e, SQW_LIMIT) || is_kw(sc, e, SQW_ORDER) ||
		    is_kw(sc, e, SQW_UNION) || is_kw(sc, e, SQW_JOIN) ||
		    (is_kw(sc, e, SQW_WHERE) && condition(sc, e + 1, lim, 1)))
			return found(f, "sqli.select", 85, i, e);
		return 0;
	}
	default:
		return 0;
	}
}

/* Calls that read the server's identity: version(), database(), user()... */
static int is_info_call(const struct sq_scan *sc, size_t j)
{
	static const char *const names[] = {
	    "version",      "database", "user",    "current_user", "system_user",
	    "session_user", "schema",   "db_name", "user_name",    "@@version",
	};
	const struct sq_tok *t = T(sc, j);
	char w[16];
	if ((t->type != SQ_FUNC && t->type != SQ_VAR) || t->len >= sizeof(w))
		return 0;
	for (uint32_t k = 0; k < t->len; k++) {
		unsigned char c = sc->lx.s[t->off + k];
		w[k] = (char)ch_lower(c);
	}
	w[t->len] = '\0';
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (strcmp(w, names[k]) == 0)
			return 1;
	return 0;
}

/* ascii(substring(version(),1,1)): a known call wrapped around a call that
 * reads the server's identity, the shape of blind extraction. */
static int wraps_info_call(const struct sq_scan *sc, size_t i, size_t lim)
{
	if (!is_type(sc, i + 1, SQ_LP))
		return 0;
	int depth = 0;
	for (size_t j = i + 1; j < lim; j++) {
		const struct sq_tok *t = T(sc, j);
		if (t->type == SQ_END)
			return 0;
		if (t->type == SQ_LP)
			depth++;
		else if (t->type == SQ_RP && --depth <= 0)
			return 0;
		else if (is_info_call(sc, j))
			return 1;
	}
	return 0;
}

/* :: followed by the name of an SQL type */
static int is_cast(const struct sq_scan *sc, size_t i)
{
	static const char *const types[] = {
	    "bigint",   "bool",  "boolean",   "bytea",   "char",    "date", "decimal",
	    "double",   "float", "float8",    "inet",    "int",     "int4", "int8",
	    "integer",  "json",  "jsonb",     "numeric", "oid",     "real", "regclass",
	    "smallint", "text",  "timestamp", "uuid",    "varchar", "xml",
	};
	const struct sq_tok *t = T(sc, i), *u = T(sc, i + 1);
	char w[16];
	if (t->len != 2 || sc->lx.s[t->off] != ':' || sc->lx.s[t->off + 1] != ':' ||
	    u->type != SQ_BARE || u->len >= sizeof(w) || !sq_lower(sc->lx.s + u->off, u->len, w))
		return 0;
	for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++)
		if (strcmp(w, types[k]) == 0)
			return 1;
	return 0;
}

/* Rules that hold wherever the token sits. */
static int anywhere(const struct sq_scan *sc, size_t i, int unquoted, struct sq_found *f)
{
	size_t lim = i + SQ_LOOK - 1;
	const struct sq_tok *t = T(sc, i);
	const struct sq_tok *p = i ? T(sc, i - 1) : NULL;

	switch (t->type) {
	case SQ_FUNC: {
		if (is_char_call(sc, i) && is_type(sc, i + 1, SQ_LP) &&
		    is_type(sc, i + 2, SQ_NUM)) {
			unsigned info = 0;
			size_t e = group_end(sc, i + 1, lim, &info);
			if ((is_type(sc, e, SQ_OP) || is_type(sc, e, SQ_LOGIC)) &&
			    is_char_call(sc, e + 1))
				return found(f, "sqli.encoding", 85, i, e + 2);
		}
		if (wraps_info_call(sc, i, lim))
			return found(f, "sqli.function", 85, i, i + 4);
		if (t->fn != SQF_NONE && is_type(sc, i + 1, SQ_LP)) {
			unsigned info = 0;
			size_t e = group_end(sc, i + 1, lim, &info);
			/* mid(@@hostname,1,1): a known call over a system variable */
			if (info & OI_VAR)
				return found(f, "sqli.function", 85, i, e);
			/* if(1=1) select ...: a guarded statement */
			if (word_is(sc, i, "if") && (info & OI_CMP) && starts_statement(sc, e))
				return found(f, "sqli.statement", 85, i, e + 1);
		}
		if (t->fn != SQF_STRONG || !is_type(sc, i + 1, SQ_LP))
			return 0;
		const struct sq_tok *a = T(sc, i + 2);
		if (a->type == SQ_BARE &&
		    (T(sc, i + 3)->type == SQ_BARE ||
		     (T(sc, i + 3)->type == SQ_RP && !sq_is_digit(sc->lx.s[a->off]))))
			return 0; /* sleep(well enough), the benchmark(s) */
		/* await sleep(500): SQL puts no name before a call */
		if (p && p->type == SQ_BARE)
			return 0;
		/* benchmark (1.5.0-1) unstable: a package and its version; no
		 * number of SQL has two dots */
		if (a->type == SQ_NUM) {
			size_t dots = 0;
			for (size_t k = a->off; k < sc->lx.n && k < a->off + 24 &&
			                        (sq_is_digit(sc->lx.s[k]) || sc->lx.s[k] == '.');
			     k++)
				dots += sc->lx.s[k] == '.';
			if (dots >= 2)
				return 0;
		}
		if (a->type == SQ_NUM || a->type == SQ_STR || a->type == SQ_VAR ||
		    a->type == SQ_LP || a->type == SQ_FUNC || a->type == SQ_BARE ||
		    a->type == SQ_OP || a->type == SQ_NOT ||
		    (a->type == SQ_KW && a->role == SQW_SELECT))
			return found(f, "sqli.function", 90, i, i + 3);
		return 0;
	}
	case SQ_SEMI:
		if (statement(sc, i + 1, lim, 0))
			return found(f, "sqli.stacked", 95, i, i + 4);
		/* ;replace [into] t (a, b) values: MySQL's insert that
		 * overwrites */
		if (word_is(sc, i + 1, "replace")) {
			size_t k = i + 2 + is_kw(sc, i + 2, SQW_INTO);
			if ((is_type(sc, k, SQ_BARE) || is_type(sc, k, SQ_FUNC)) &&
			    is_type(sc, k + 1, SQ_LP)) {
				unsigned info = 0;
				size_t e = group_end(sc, k + 1, lim, &info);
				if (is_kw(sc, e, SQW_VALUES) || is_kw(sc, e, SQW_SELECT))
					return found(f, "sqli.stacked", 90, i, e + 1);
			}
		}
		return 0;
	case SQ_OP:
		/* password::int, f(x)::text: PostgreSQL's cast, which error-based
		 * extraction uses to print a value in the error message */
		if (p && is_cast(sc, i) &&
		    (p->type == SQ_RP || p->type == SQ_STR || p->type == SQ_NUM ||
		     (p->type == SQ_BARE && i == 1) || (p->type == SQ_KW && p->role == SQW_OBJECT)))
			return found(f, "sqli.cast", 80, i - 1, i + 2);
		return 0;
	case SQ_LOGIC: {
		/* x or 1=1, x or 'a'='a' (a literal compared with itself), and
		 * x and ascii(...)=5, x or 1=@@version */
		if (!unquoted)
			return 0;
		const struct sq_tok *a = T(sc, i + 1), *c = T(sc, i + 2), *b = T(sc, i + 3);
		if (c->type == SQ_CMP && a->type == b->type &&
		    (a->type == SQ_NUM || (a->type == SQ_STR && !(b->flags & SQ_F_UNCLOSED))) &&
		    a->len == b->len && memcmp(sc->lx.s + a->off, sc->lx.s + b->off, a->len) == 0)
			return found(f, "sqli.tautology", 90, i, i + 4);
		unsigned ia = 0, ib = 0;
		size_t e = operand(sc, i + 1, lim, &ia);
		if (e == SQ_FAIL || !is_type(sc, e, SQ_CMP))
			return 0;
		size_t g = operand(sc, e + 1, lim, &ib);
		/* ...and what follows ends it as SQL ends: "and EXP(b) <
		 * EXP(c)." is a changelog */
		if (g != SQ_FAIL && ((ia | ib) & (OI_CALL | OI_SELECT | OI_VAR | OI_CATALOG)) &&
		    (is_stop(sc, g) || is_type(sc, g, SQ_KW) || is_type(sc, g, SQ_SEMI)))
			return found(f, "sqli.boolean", 85, i, e + 2);
		return 0;
	}
	case SQ_KW:
		break;
	default:
		return 0;
	}
	switch (t->role) {
	case SQW_UNION:
		if (union_select(sc, i, lim))
			return found(f, "sqli.union", 95, i, i + 4);
		return 0;
	case SQW_WAITFOR:
		if (is_kw(sc, i + 1, SQW_DELAY) && is_type(sc, i + 2, SQ_STR))
			return found(f, "sqli.time", 95, i, i + 3);
		return 0;
	case SQW_OUTFILE:
		if (p && p->type == SQ_KW && p->role == SQW_INTO &&
		    (is_type(sc, i + 1, SQ_STR) || is_type(sc, i + 1, SQ_LP) ||
		     is_type(sc, i + 1, SQ_FUNC)))
			return found(f, "sqli.outfile", 95, i - 1, i + 2);
		return 0;
	case SQW_SELECT:
		/* a select where an expression may start, or a whole query */
		if (p && p->type != SQ_LP && p->type != SQ_OP && p->type != SQ_CMP &&
		    p->type != SQ_LOGIC && p->type != SQ_COMMENT && p->type != SQ_STR &&
		    p->type != SQ_NUM && p->type != SQ_RP)
			return 0;
		/* a literal before select only as the break-out ('select...);
		 * data-aliases="select" is markup */
		if (p && p->type == SQ_STR && !(i == 1 && !unquoted))
			return 0;
		/* auto-select: a hyphenated word */
		if (p && p->type == SQ_OP && p->len == 1 && sc->lx.s[p->off] == '-' &&
		    p->off + 1 == t->off && p->off > 0 && sq_is_word(sc->lx.s[p->off - 1]))
			return 0;
		if (select_list(sc, i + 1, lim, !p) && !quoted_word(sc, i))
			return found(f, "sqli.select", 85, i, i + 4);
		return 0;
	case SQW_CASE: {
		/* case when 1=1 then */
		if (word_is(sc, i + 1, "when")) {
			/* case when 1=2 then */
			unsigned ia = 0, ib = 0;
			size_t e = operand(sc, i + 2, lim, &ia);
			if (e != SQ_FAIL && is_type(sc, e, SQ_CMP)) {
				e = operand(sc, e + 1, lim, &ib);
				if (e != SQ_FAIL && word_is(sc, e, "then") && ((ia | ib) & OI_LIT))
					return found(f, "sqli.case", 80, i, e + 1);
			}
		}
		if (word_is(sc, i + 1, "when") && condition(sc, i + 2, lim, 1)) {
			/* ...then: "case when n = 0." is a changelog */
			for (size_t k = i + 3; k < i + 14; k++)
				if (word_is(sc, k, "then"))
					return found(f, "sqli.case", 80, i, i + 5);
			return 0;
		}
		/* case [x] when v then r ... end: operands, not prose, around
		 * the words ("in case when in doubt then ...") */
		size_t k = i + 1;
		unsigned info = 0;
		if (!word_is(sc, k, "when")) {
			k = operand(sc, k, lim, &info);
			if (k == SQ_FAIL || !word_is(sc, k, "when"))
				return 0;
		}
		/* when f(1): a call glued to its arguments is no plain word */
		const struct sq_tok *w = T(sc, k + 1);
		int glued = w->type == SQ_FUNC && is_type(sc, k + 2, SQ_LP) &&
		            T(sc, k + 2)->off == w->off + w->len && call_args(sc, k + 2, lim);
		unsigned wi = 0, gi = 0;
		size_t e = operand(sc, k + 1, lim, &wi);
		if (e == SQ_FAIL || !word_is(sc, e, "then"))
			return 0;
		if (glued && e == group_end(sc, k + 2, lim, &gi))
			wi = (wi & ~(unsigned)OI_BARE) | OI_CALL;
		info |= wi;
		e = operand(sc, e + 1, lim, &info);
		if (e != SQ_FAIL && !(info & OI_BARE) &&
		    (word_is(sc, e, "end") || word_is(sc, e, "else") || word_is(sc, e, "when")))
			return found(f, "sqli.case", 80, i, e + 1);
		return 0;
	}
	default:
		/* exec xp_cmdshell 'dir': a procedure only attacks call,
		 * whatever stands before (its '_' keeps sq_prose_inert out) */
		if (t->role == SQW_EXEC && is_type(sc, i + 1, SQ_BARE) &&
		    memchr(sc->lx.s + T(sc, i + 1)->off, '_', T(sc, i + 1)->len) &&
		    lone_at(sc, i + 1))
			return found(f, "sqli.stacked", 85, i, i + 2);
		/* a statement opening the input, or after something that ends
		 * an SQL clause; "please drop table 5" follows a plain word */
		if (!p ? statement(sc, i, lim, 1)
		       : (p->type == SQ_SEMI || p->type == SQ_LP || p->type == SQ_RP ||
		          p->type == SQ_KW || p->type == SQ_COMMENT || p->type == SQ_STR ||
		          p->type == SQ_NUM) &&
		             statement(sc, i, lim, 0))
			return found(f, "sqli.statement", 85, i, i + 4);
		return 0;
	}
}

/* operand <symbol> operand with a literal on a side, ended as SQL ends */
static int literal_comparison(const struct sq_scan *sc, size_t j, size_t lim, int pure)
{
	unsigned a = 0, b = 0;
	size_t e = operand(sc, j, lim, &a);
	if (e == SQ_FAIL || !is_type(sc, e, SQ_CMP) || (T(sc, e)->flags & SQ_F_WORD))
		return 0;
	size_t g = operand(sc, e + 1, lim, &b);
	if (g == SQ_FAIL || !((a | b) & OI_LIT) || is_type(sc, g, SQ_BARE))
		return 0;
	/* pure: one side only literals (8=3, f(x)=-1), not err - 2 >= prec */
	return !pure || !(a & OI_BARE) || !(b & OI_BARE);
}

/* Is the group opening at j (a '(') SQL, closed and then followed by a
 * comment that ends the input? Prose in parentheses puts words side by
 * side, which SQL never does ("(see above) --"). */
static int sql_group(const struct sq_scan *sc, size_t j, size_t lim)
{
	unsigned info = 0;
	size_t e = group_end(sc, j, lim, &info);
	/* ( 1 ) in ( binary ( 'b' ) ) --: compared with a second operand */
	if (e < lim && is_type(sc, e, SQ_CMP) && !(T(sc, e)->flags & SQ_F_POSTFIX)) {
		size_t g = operand(sc, e + 1, lim, &info);
		if (g == SQ_FAIL || g >= lim)
			return 0;
		for (size_t k = e + 1; k + 1 < g; k++)
			if (side_by_side(T(sc, k), T(sc, k + 1)) || is_type(sc, k + 1, SQ_OTHER))
				return 0;
		e = g;
	}
	if (e >= lim || !is_type(sc, e, SQ_COMMENT) || !is_type(sc, e + 1, SQ_END) ||
	    !(info & (OI_LIT | OI_SELECT | OI_CALL | OI_VAR | OI_CMP)))
		return 0;
	for (size_t k = j; k + 1 < e; k++) {
		const struct sq_tok *a = T(sc, k), *b = T(sc, k + 1);
		if (side_by_side(a, b))
			return 0;
		if (b->type == SQ_OTHER)
			return 0;
	}
	return 1;
}

/* Token types anywhere() acts on; it returns 0 at once on the others. */
static int sq_anchor(uint8_t type)
{
	return type == SQ_FUNC || type == SQ_SEMI || type == SQ_OP || type == SQ_LOGIC ||
	       type == SQ_KW;
}

/* Is the input a short value, an operator quoted on its own and another
 * short value: A '&&' B, 1 "like" 2? MySQL joins literals written side by
 * side, so put between the query's quotes it reads 'A '&&' B': the end of
 * the application's literal, the operator, and a literal the query's own
 * quote closes. Each value is one or two letters or digits with one blank
 * between it and the quote ("the 'OR' key" has longer words); a short
 * comparison word alone is prose's ("it 'is' ok"). */
static int quoted_operator(const struct sq_scan *sc)
{
	const unsigned char *s = sc->lx.s;
	size_t q = sc->lit_end, j = 1;
	if (q < 2 || q > 3 || !sq_blank[s[q - 1]] || !sq_alnum[s[0]] || !sq_alnum[s[q - 2]])
		return 0;
	if (T(sc, 1)->off != q + 1)
		return 0; /* the operator glued to the closing quote */
	while (j < 4 && (is_type(sc, j, SQ_LOGIC) || is_type(sc, j, SQ_CMP) ||
	                 is_type(sc, j, SQ_OP) || is_type(sc, j, SQ_NOT)))
		j++;
	const struct sq_tok *o = T(sc, j - 1), *r = T(sc, j);
	/* 'is', 'in', 'not' alone: words prose quotes ("it 'is' ok") */
	if (j == 2 && o->len <= 3 && sq_alnum[s[o->off]] && !is_type(sc, 1, SQ_LOGIC) &&
	    ((o->type == SQ_CMP && (o->flags & SQ_F_WORD)) || o->type == SQ_NOT))
		return 0;
	if (j == 1 || r->type != SQ_STR || !(r->flags & SQ_F_UNCLOSED) ||
	    !is_type(sc, j + 1, SQ_END) || o->off + o->len != r->off)
		return 0;
	size_t a = r->off + 1, e = sc->lx.n;
	return e >= a + 2 && e <= a + 3 && sq_blank[s[a]] && sq_alnum[s[a + 1]] &&
	       sq_alnum[s[e - 1]];
}

/* Is the input number, comparison, number, and the comparison true: the
 * same digits under = == <=> >= <= like is, different ones under != <>
 * or a negated word (1 is not 2)? Numbers spelt as digits only ("true",
 * "null" read as numbers too, and prose compares those). */
static int num_tautology(const struct sq_scan *sc)
{
	const struct sq_tok *a = T(sc, 0), *c = T(sc, 1);
	size_t k = 2;
	int neg = 0;
	if (c->type != SQ_CMP || (c->flags & SQ_F_POSTFIX))
		return 0;
	if (is_type(sc, 2, SQ_NOT))
		k = 3, neg = 1;
	const struct sq_tok *b = T(sc, k);
	/* 1!=0-- ...: a comment may cut the query off after it; 1=1 and
	 * ~~((1)): logic and an operand of literals may go on from it */
	unsigned oi = 0;
	size_t e = is_type(sc, k + 1, SQ_LOGIC) ? operand(sc, k + 2, SQ_LOOK, &oi) : SQ_FAIL;
	if (e != SQ_FAIL && oi == OI_LIT && (is_type(sc, e, SQ_END) || cut_off(sc, e)))
		k = e - 1;
	else if (is_type(sc, k + 1, SQ_COMMENT) && is_type(sc, k + 2, SQ_END))
		k++;
	if (b->type != SQ_NUM || !is_type(sc, k + 1, SQ_END) || !sq_is_digit(sc->lx.s[a->off]) ||
	    !sq_is_digit(sc->lx.s[b->off]))
		return 0;
	const char *o = (const char *)sc->lx.s + c->off;
	int same = a->len == b->len && memcmp(sc->lx.s + a->off, sc->lx.s + b->off, a->len) == 0;
	int ne = (c->len == 2 && (memcmp(o, "!=", 2) == 0 || memcmp(o, "<>", 2) == 0));
	int eq = !ne && ((c->len == 1 && o[0] == '=') ||
	                 (c->len == 2 && (memcmp(o, "==", 2) == 0 || memcmp(o, ">=", 2) == 0 ||
	                                  memcmp(o, "<=", 2) == 0)) ||
	                 (c->len == 3 && memcmp(o, "<=>", 3) == 0) || (c->flags & SQ_F_WORD));
	if (neg)
		eq = 0, ne = (c->flags & SQ_F_WORD) != 0;
	return (eq && same) || (ne && !same);
}

/* Is the input a number and then one inline comment (slash-star to
 * star-slash, the input's end) that holds a quote, or MySQL's executable
 * one with a version and a quote: a probe of whether the server reads
 * comments and which versions it runs, breaking the query only if it
 * does. */
static int comment_probe(const struct sq_scan *sc)
{
	const unsigned char *s = sc->lx.s;
	size_t n = sc->lx.n, k = 0;
	while (k < n && sq_is_digit(s[k]))
		k++;
	if (k == 0 || k + 5 > n || s[k] != '/' || s[k + 1] != '*' || s[n - 2] != '*' ||
	    s[n - 1] != '/')
		return 0;
	int quote = 0;
	for (size_t p = k + 2; p < n - 2; p++) {
		if (s[p] == '*' && s[p + 1] == '/')
			return 0;
		quote |= s[p] == '\'' || s[p] == '"' || s[p] == '`';
	}
	return quote;
}

/* ` AS `alias` FROM t: after a backquoted name broken out of, an alias
 * and a from clause, the select list's end, ended as SQL ends. */
static int backquote_alias(const struct sq_scan *sc)
{
	const struct sq_tok *a = T(sc, 2);
	if (!is_kw(sc, 1, SQW_AS) || !is_kw(sc, 3, SQW_FROM) ||
	    !((a->type == SQ_BARE || a->type == SQ_STR) && !(a->flags & SQ_F_UNCLOSED)))
		return 0;
	return is_type(sc, 4, SQ_END) ||
	       (is_type(sc, 4, SQ_BARE) && (is_stop(sc, 5) || is_type(sc, 5, SQ_KW)));
}

/* Is token k a closed literal of LIKE's wildcards alone ('%', '%_%')? */
static int wildcard_only(const struct sq_scan *sc, size_t k)
{
	const struct sq_tok *t = T(sc, k);
	if (t->type != SQ_STR || (t->flags & SQ_F_UNCLOSED) || t->len < 3)
		return 0;
	for (uint32_t p = 1; p + 1 < t->len; p++)
		if (sc->lx.s[t->off + p] != '%' && sc->lx.s[t->off + p] != '_')
			return 0;
	return 1;
}

/* Evaluates the rules at token i of one pass. */
static int rules_at(const struct sq_scan *sc, size_t i, char quote, struct sq_found *f)
{
	if (quote == '`')
		return i == 1 && backquote_alias(sc) && found(f, "sqli.select", 80, 1, 4);
	if (i == 1 && quote)
		return after_breakout(sc, 1, 1, f) ||
		       (quoted_operator(sc) && found(f, "sqli.rejoin", 75, 1, 2)) ||
		       anywhere(sc, i, 0, f);
	/* input appended after a value: " or 1=1", " union select ..." */
	if (i == 0 && !quote && after_breakout(sc, 0, 0, f))
		return 1;
	/* numeric context: 1 or..., -1 union..., 5) and ..., foo) or ... */
	if (!quote && i == 1 && (T(sc, 0)->type == SQ_NUM || T(sc, 0)->type == SQ_VAR) &&
	    after_breakout(sc, 1, 0, f))
		return 1;
	if (!quote && i == 1 && T(sc, 0)->type == SQ_BARE && T(sc, 1)->type == SQ_RP &&
	    after_breakout(sc, 1, 0, f))
		return 1;
	/* id having (1 or 1): appended to a group by's column, a having
	 * whose condition is a parenthesized logic of literals alone */
	if (!quote && i == 1 && T(sc, 0)->type == SQ_BARE && is_kw(sc, 1, SQW_HAVING) &&
	    is_type(sc, 2, SQ_LP) && is_type(sc, 3, SQ_NUM) && is_type(sc, 4, SQ_LOGIC) &&
	    is_type(sc, 5, SQ_NUM) && is_type(sc, 6, SQ_RP) &&
	    (is_type(sc, 7, SQ_END) || is_type(sc, 7, SQ_COMMENT)))
		return found(f, "sqli.boolean", 80, 1, 7);
	/* a value then a comparison: HOPE AND 8=3, x or 2>1, (HOPE)*1 AND 8=3,
	 * PI() AND COS(PI())=-1 */
	if (!quote && i == 0 && T(sc, 0)->type != SQ_LOGIC) {
		unsigned info = 0;
		size_t e = operand(sc, 0, SQ_LOOK, &info);
		if (e != SQ_FAIL && is_type(sc, e, SQ_LOGIC) &&
		    literal_comparison(sc, e + 1, SQ_LOOK, 1))
			return found(f, "sqli.boolean", 80, e, e + 4);
		/* 1+pi() and (3=pi())--: a value of literals and calls, then a
		 * parenthesized comparison that ends the input or the query */
		if (e != SQ_FAIL && !(info & OI_BARE) && is_type(sc, e, SQ_LOGIC) &&
		    is_type(sc, e + 1, SQ_LP)) {
			unsigned gi = 0;
			size_t g = group_end(sc, e + 1, SQ_LOOK, &gi);
			if ((gi & OI_CMP) && (gi & (OI_LIT | OI_CALL)) && g < SQ_LOOK &&
			    (is_type(sc, g, SQ_END) || is_type(sc, g, SQ_COMMENT) ||
			     is_type(sc, g, SQ_SEMI)))
				return found(f, "sqli.boolean", 80, e, g);
		}
	}
	if (!quote && i == 0 && T(sc, 0)->type == SQ_NUM && T(sc, 0)->off == 0 && comment_probe(sc))
		return found(f, "sqli.comment", 75, 0, 1);
	/* like '%': appended to a column, a pattern that matches every value */
	if (!quote && i == 0 && word_is(sc, 0, "like") && wildcard_only(sc, 1) &&
	    (is_type(sc, 2, SQ_END) || is_type(sc, 2, SQ_COMMENT)))
		return found(f, "sqli.tautology", 75, 0, 2);
	/* 1=1, 42<=>42, 11!=1: the whole input a comparison of two numbers
	 * that always holds, a tautology put where a number goes */
	if (!quote && i == 0 && T(sc, 0)->type == SQ_NUM && num_tautology(sc))
		return found(f, "sqli.tautology", 75, 0, 3);
	/* ( 1 or @a ) --: a parenthesized expression, the query cut off */
	if (!quote && i == 0 && T(sc, 0)->type == SQ_LP && sql_group(sc, 0, SQ_LOOK))
		return found(f, "sqli.comment", 75, 0, SQ_LOOK);
	if (!quote && i == 2 && T(sc, 0)->type == SQ_OP && T(sc, 1)->type == SQ_NUM &&
	    after_breakout(sc, 2, 0, f))
		return 1;
	return anywhere(sc, i, !quote, f);
}

static int pass(const char *s, size_t n, char quote, int no_bs, struct sq_found *f,
                struct sq_scan *sc)
{
	sq_lex_init(&sc->lx, s, n, quote);
	sc->lx.no_bs = no_bs;
	sc->count = 0;
	sc->done = 0;
	memset(&sc->end, 0, sizeof(sc->end));
	sc->end.off = (uint32_t)n;

	if (quote) {
		/* The literal the input started in must end inside it. */
		sq_lex_next(&sc->lx, &sc->ring[0]);
		sc->count = 1;
		if (sc->ring[0].flags & SQ_F_UNCLOSED)
			return 0;
		sc->lit_end = sc->ring[0].len ? sc->ring[0].len - 1 : 0;
	}
	for (size_t i = quote ? 1 : 0;; i++) {
		while (!sc->done && sc->count < i + SQ_LOOK) {
			if (sq_lex_next(&sc->lx, &sc->ring[sc->count % SQ_RING]))
				sc->count++;
			else
				sc->done = 1;
		}
		if (i >= sc->count)
			return 0;
		/* past the first tokens only anywhere() runs, and it acts on
		 * calls, ';', operators, logic and keywords alone */
		if (i > 2 && !sq_anchor(sc->ring[i % SQ_RING].type))
			continue;
		if (rules_at(sc, i, quote, f))
			return 1;
	}
}

/* Can no pass find anything in s[0..n), which holds no quote? Every rule
 * needs one token of these kinds: a keyword, a logical or comparison
 * operator, not, a call, ';', a comment, a string, or the cast '::'
 * (literals, names, variables, commas and arithmetic only ever join
 * them). This reads the bytes once, without the lexer's contexts, and
 * answers "inert" only when none of those can be made from them: no byte
 * that starts one, no "--", "slash-star" or "::", no word with an SQL role
 * (each part of a dotted name is looked up, as is a word after the digits
 * a number would take). A cheap, exact way past most data. */
static int sq_inert(const unsigned char *s, size_t n)
{
	if (!sq_dotted_ok)
		return 0;
	for (size_t p = 0; p < n;) {
		unsigned char c = s[p];
		switch (sq_quick[c]) {
		case SQ_Q_INERT:
			p++;
			continue;
		case SQ_Q_SIG:
			return 0;
		case SQ_Q_PAIR:
			if (p + 1 < n && s[p + 1] == sq_pair_next(c))
				return 0;
			p++;
			continue;
		default:
			break;
		}
		/* a no-break space where a token starts is white space to
		 * the lexer, though its bytes are word bytes */
		if (c == 0xc2 && p + 1 < n && s[p + 1] == 0xa0) {
			p += 2;
			continue;
		}
		/* a word: letters, digits, '_', '$', UTF-8 */
		size_t a = p;
		if (sq_is_digit(c)) {
			while (p < n && sq_is_digit(s[p]))
				p++;
			if (p < n && sq_word_byte[s[p]])
				return 0; /* 1union, 0x7e, 1e5: the number's tail may be a word */
			continue;
		}
		p = sq_run_end(sq_word_byte, s, p + 1, n); /* s[p] is a word byte */
		if (sq_word_maybe(s + a, p - a)) {
			const struct sqw_word *kw = sq_word_lookup(s + a, p - a);
			if (kw && kw->role != SQW_NONE)
				return 0;
		}
		/* the byte ending a word, when it only joins tokens (a blank,
		 * '.', '@'), is passed over here rather than by the switch */
		if (p < n && sq_quick[s[p]] == SQ_Q_INERT)
			p++;
	}
	return 1;
}

/* What a keyword needs, in prose of words, numbers, commas and dots (no
 * comparison, variable, string, call or comment), for a rule to fire on it:
 * nothing more than itself (bad), a keyword right after it (next), or it
 * cannot (ok). */
enum { SQ_OPEN_OK, SQ_OPEN_NEXT, SQ_OPEN_LIST, SQ_OPEN_BAD };

/* What sq_prose_inert wants of the next token. */
enum { SQ_N_ANY, SQ_N_NOT_KW, SQ_N_PLAIN, SQ_N_NOT_LIST, SQ_N_NOT_JOIN };

/* ... as a statement after a keyword or a number (statement()): drop,
 * create, delete, insert and waitfor take a keyword next (table, from,
 * into, delay); update's set needs a comparison, declare and set a
 * variable; exec takes a dotted name, shutdown the end of the input. */
static int sq_stmt_after(int role)
{
	switch (role) {
	case SQW_DROP:
	case SQW_CREATE:
	case SQW_DELETE:
	case SQW_INSERT:
	case SQW_WAITFOR:
		return SQ_OPEN_NEXT;
	case SQW_EXEC:
	case SQW_SHUTDOWN:
	case SQW_SELECT:
	case SQW_UNION:
	case SQW_CASE:
		return SQ_OPEN_BAD;
	default:
		return SQ_OPEN_OK;
	}
}

/* ... opening the input (the break-out rules, and statement() strict):
 * order and into take a keyword next (by, outfile); where, having, limit
 * and as read what follows as a condition or a row count; shutdown is a
 * word when it stands alone. */
static int sq_opening(int role)
{
	switch (role) {
	case SQW_ORDER:
	case SQW_INTO:
		return SQ_OPEN_NEXT;
	case SQW_WHERE:
	case SQW_HAVING:
	case SQW_LIMIT:
	case SQW_AS:
	case SQW_FROM: /* from information_schema... */
		return SQ_OPEN_BAD;
	case SQW_SHUTDOWN:
		return SQ_OPEN_OK;
	default:
		return sq_stmt_after(role);
	}
}

/* Token kinds of sq_prose_inert's reading. */
enum { SQ_P_NONE, SQ_P_WORD, SQ_P_NUM, SQ_P_PUNCT, SQ_P_LOGIC, SQ_P_NOT, SQ_P_ARITH, SQ_P_KW };

/* Can no rule fire on s[0..n), made of letters, digits, blanks, ',' and
 * '.' alone, which holds SQL words? In that alphabet the lexer makes only
 * words, numbers, commas, dots and keywords, and the rules that start from
 * a keyword (anywhere(), the only ones past the first two tokens) need it
 * after something other than a plain word: a statement or clause after a
 * keyword or a number, select after a number, logic or arithmetic, union
 * before a keyword (all, select). Comparisons (which logic needs), case,
 * and an SQL word or a number-then-SQL-word opening the input (the
 * break-out rules) make it answer "maybe". Prose full of SQL words ("order
 * one by the door, and select blue") is read here once, without the
 * lexer's ring and the rules; test-sqli-inert checks the answer against
 * the full grammar. */
static int sq_prose_inert(const unsigned char *s, size_t n)
{
	int prev = SQ_P_NONE, first = SQ_P_NONE, count = 0;
	int need = SQ_N_ANY, then = SQ_N_ANY; /* what the next token must be */
	if (!sq_dotted_ok)
		return 0; /* dotted names are read as plain words below */
	for (size_t p = 0;;) {
		while (p < n && sq_blank[s[p]])
			p++;
		if (p >= n)
			return 1;
		unsigned char c = s[p];
		int kind, role = SQW_NONE, plain = 0, comma = c == ',';
		if (((unsigned)(c | 0x20) - 'a') <= 25) {
			size_t a = p;
			int dots = 0;
			for (p++;;) { /* s[a] is a letter */
				p = sq_run_end(sq_alnum, s, p, n);
				if (p < n && s[p] == '.' && p + 1 < n &&
				    (sq_word_byte[s[p + 1]] || s[p + 1] == '.'))
					p++, dots = 1;
				else
					break;
			}
			const struct sqw_word *kw = dots || !sq_word_maybe(s + a, p - a)
			                                ? NULL
			                                : sq_word_lookup(s + a, p - a);
			role = kw ? kw->role : SQW_NONE;
			/* a plain word: no catalogue (dotted, sys..., msys...) and
			 * not select's "top"; asked only after logic or select */
			size_t l = p - a;
			plain =
			    need == SQ_N_PLAIN && !dots &&
			    !(l > 5 && (((s[a] | 0x20) == 's' && (s[a + 1] | 0x20) == 'y' &&
			                 (s[a + 2] | 0x20) == 's') ||
			                ((s[a] | 0x20) == 'm' && (s[a + 1] | 0x20) == 's' &&
			                 (s[a + 2] | 0x20) == 'y' && (s[a + 3] | 0x20) == 's'))) &&
			    !(l == 3 && (s[a] | 0x20) == 't' && (s[a + 1] | 0x20) == 'o' &&
			      (s[a + 2] | 0x20) == 'p');
			/* "in" compares only before its '(' */
			if (role == SQW_CMP && p - a == 2 && (s[a + 1] | 0x20) == 'n')
				role = SQW_NONE;
			switch (role) {
			case SQW_NONE:
				kind = SQ_P_WORD;
				break;
			case SQW_CMP:
			case SQW_POSTFIX:
			case SQW_CASE:
				return 0;
			case SQW_LIT:
				kind = SQ_P_NUM;
				break;
			case SQW_LOGIC:
				kind = SQ_P_LOGIC;
				break;
			case SQW_NOT:
				kind = SQ_P_NOT;
				break;
			case SQW_ARITH:
				kind = SQ_P_ARITH;
				break;
			default:
				kind = SQ_P_KW;
				break;
			}
		} else if (sq_is_digit(c) || (c == '.' && p + 1 < n && sq_is_digit(s[p + 1]))) {
			while (p < n && sq_is_digit(s[p]))
				p++;
			if (p < n && s[p] == '.')
				for (p++; p < n && sq_is_digit(s[p]); p++)
					;
			if (p < n && sq_word_byte[s[p]])
				return 0; /* 1e5, 0x1f, 1union: let the lexer decide */
			kind = SQ_P_NUM;
		} else if (c == ',' || c == '.') {
			p++;
			kind = SQ_P_PUNCT;
		} else {
			return 0; /* a byte outside the alphabet */
		}
		/* a plain word in the middle, wanted by nothing: no rule */
		if (kind == SQ_P_WORD && need == SQ_N_ANY && count > 1) {
			prev = kind;
			continue;
		}
		/* what the token before wanted after it: union select, order
		 * by, drop table want a keyword; a select list, a plain name
		 * and then a comma, a keyword (from) or arithmetic; logic
		 * opening the input, a plain name not worked on */
		int pw = kind == SQ_P_WORD && plain;
		if ((need == SQ_N_NOT_KW && kind == SQ_P_KW) || (need == SQ_N_PLAIN && !pw) ||
		    (need == SQ_N_NOT_LIST && (kind == SQ_P_KW || kind == SQ_P_ARITH || comma)) ||
		    (need == SQ_N_NOT_JOIN && kind == SQ_P_ARITH))
			return 0;
		need = need == SQ_N_PLAIN ? then : SQ_N_ANY;
		int open = SQ_OPEN_OK;
		if (count == 0) {
			/* the break-out rules and a whole statement read the
			 * opening token */
			first = kind;
			if (kind == SQ_P_ARITH)
				return 0;
			if (kind == SQ_P_LOGIC)
				need = SQ_N_PLAIN, then = SQ_N_NOT_JOIN;
			else if (kind == SQ_P_KW)
				open = role == SQW_SELECT ? SQ_OPEN_LIST : sq_opening(role);
		} else if (kind == SQ_P_KW) {
			if (role == SQW_UNION)
				open = SQ_OPEN_NEXT;
			else if (role == SQW_SELECT)
				/* select after what an expression may hold */
				open = prev == SQ_P_NUM || prev == SQ_P_LOGIC || prev == SQ_P_ARITH
				           ? SQ_OPEN_LIST
				           : SQ_OPEN_OK;
			else if (prev == SQ_P_KW || prev == SQ_P_NUM)
				/* a statement after a keyword or a literal */
				open = sq_stmt_after(role);
		}
		if (open == SQ_OPEN_BAD)
			return 0;
		if (open == SQ_OPEN_NEXT)
			need = SQ_N_NOT_KW;
		else if (open == SQ_OPEN_LIST)
			need = SQ_N_PLAIN, then = SQ_N_NOT_LIST;
		/* a number opening the input must be followed by no SQL word */
		if (count == 1 && first == SQ_P_NUM && kind != SQ_P_WORD && kind != SQ_P_NUM &&
		    kind != SQ_P_PUNCT)
			return 0;
		prev = kind;
		count++;
	}
}

/* Is s[0..n), blanks around it and a quoted identifier's delimiters aside,
 * a name sqw_lone lists? Fills *hit when it is. */
static __attribute__((noinline)) int sq_lone_name(const char *s, size_t n, struct pol_hit *hit)
{
	size_t a = 0, b = n;
	while (a < b && sq_blank[(unsigned char)s[a]])
		a++;
	while (b > a && sq_blank[(unsigned char)s[b - 1]])
		b--;
	/* 'msdasql', `information_schema`, [xp_cmdshell]: the name as a
	 * literal (as OPENROWSET takes it) or a quoted identifier */
	unsigned char c = b - a > 2 ? (unsigned char)s[a] : 0;
	if ((c == '\'' || c == '"' || c == '`') ? (unsigned char)s[b - 1] == c
	    : c == '['                          ? s[b - 1] == ']'
	                                        : 0)
		a++, b--;
	if (!sq_lone_lookup(s + a, b - a))
		return 0;
	hit->rule = "sqli.catalog";
	hit->category = POL_CAT_SQLI;
	hit->severity = POL_SEV_HIGH;
	hit->confidence = 80;
	hit->off = 0;
	hit->len = (uint32_t)n;
	return 1;
}

/* What the quick tests said of an input they turned away (scan_input's
 * *quick): no token a rule starts from (which no weak signal lacks
 * either), or prose of words, digits, commas and dots. */
enum { SQ_QUICK_NONE, SQ_QUICK_INERT, SQ_QUICK_PROSE };

/* The passes over one input; fills *hit on a finding. */
static int scan_passes(const char *s, size_t n, uint32_t chars, struct pol_hit *hit);

/* The passes over one input, past the quick tests; fills *hit on a
 * finding. Small, so that the inputs the quick tests turn away pay no
 * more than them. */
static inline int scan_input(const char *s, size_t n, uint32_t chars, struct pol_hit *hit,
                             int *quick)
{
	/* SQL needs at least two tokens, and a word, a digit or a quote. */
	if (!s || n < 2 || !(chars & (POL_CH_ALPHA | POL_CH_DIGIT | POL_CH_SQUOTE | POL_CH_DQUOTE)))
		return 0;
	/* information_schema, xp_cmdshell: a name alone that only SQL aimed at
	 * the database's internals uses (sq_lone_name reads the bytes; the
	 * quote bits let test-sqli-inert's full reading take this path too) */
	if (!(chars &
	      ~(uint32_t)(POL_CH_ALPHA | POL_CH_DIGIT | POL_CH_DOT | POL_CH_SQUOTE | POL_CH_DQUOTE |
	                  POL_CH_BACKTICK | POL_CH_BRACKET | POL_CH_SPACE)) &&
	    n >= 4 && n < SQ_WORD_MAX + 8 && sq_lone_name(s, n, hit))
		return 1;
	/* Quote-free inputs no rule can fire on: prose of words, digits,
	 * commas and dots gets the reading that knows keywords' neighbours
	 * (it also passes inputs with no SQL word at all), the rest the one
	 * that looks for any token the rules start from. */
	if (!(chars & (POL_CH_SQUOTE | POL_CH_DQUOTE))) {
		int prose = !(chars & ~(uint32_t)(POL_CH_ALPHA | POL_CH_DIGIT | POL_CH_SPACE |
		                                  POL_CH_COMMA | POL_CH_DOT));
		if (prose ? sq_prose_inert((const unsigned char *)s, n)
		          : sq_inert((const unsigned char *)s, n)) {
			if (quick)
				*quick = prose ? SQ_QUICK_PROSE : SQ_QUICK_INERT;
			return 0;
		}
	}
	return scan_passes(s, n, chars, hit);
}

static int scan_passes(const char *s, size_t n, uint32_t chars, struct pol_hit *hit)
{
	static const char quotes[3] = {0, '\'', '"'};
	struct sq_scan sc;
	struct sq_found f;

	/* Quoted passes once more without backslash escapes when a backslash
	 * stands before a quote: admin\' or 1=1-- breaks out where the
	 * database (SQLite, standard SQL) escapes nothing with it. */
	int bs =
	    s && (chars & POL_CH_BSLASH) && (memmem(s, n, "\\'", 2) || memmem(s, n, "\\\"", 2));
	/* An input opening with a backquote is read once more as the end of
	 * a backquoted name (order by `<input>`); that pass runs one rule. */
	int bq = s && n > 1 && s[0] == '`';
	for (int q = 0; q < 6; q++) {
		char quote = q < 3 ? quotes[q] : q < 5 ? quotes[q - 2] : '`';
		if (q == 5 ? !bq : q >= 3 && !bs)
			continue;
		if (quote == '\'' && !(chars & POL_CH_SQUOTE))
			continue;
		if (quote == '"' && !(chars & POL_CH_DQUOTE))
			continue;
		if (!pass(s, n, quote, q >= 3 && q < 5, &f, &sc))
			continue;
		const struct sq_tok *a = T(&sc, f.from);
		size_t to = f.to > f.from ? f.to - 1 : f.from;
		while (to > f.from && T(&sc, to)->type == SQ_END)
			to--;
		const struct sq_tok *b = T(&sc, to);
		size_t off = a->off, end = (size_t)b->off + b->len;
		if (quote && f.from == 1 && off > sc.lit_end)
			off = sc.lit_end; /* show the closing quote */
		if (off > n)
			off = n;
		if (end > n || end < off)
			end = n;
		hit->rule = f.rule;
		hit->category = POL_CAT_SQLI;
		hit->severity = f.sev;
		hit->confidence = f.conf;
		hit->off = (uint32_t)off;
		hit->len = (uint32_t)(end - off);
		return 1;
	}
	return 0;
}

#define SQ_NORM_MAX 1024 /* longest input read once more with typographic quotes */

/* Typographic quotes and primes (U+2018 U+2019 U+2032 U+00B4, U+201C
 * U+201D) and the en dash: a database or driver that maps characters to a
 * narrower code page (best-fit mapping, ASCII folding before the query is
 * built) turns them into ' " and -, and attackers write them so that a
 * filter looking for ASCII quotes sees none. Returns the ASCII character
 * and sets *len to the bytes it replaces; 0 when s[0..n) starts none. */
static char sq_typographic(const unsigned char *s, size_t n, size_t *len)
{
	if (n >= 2 && s[0] == 0xc2 && s[1] == 0xb4) {
		*len = 2;
		return '\'';
	}
	if (n < 3 || s[0] != 0xe2 || s[1] != 0x80)
		return 0;
	*len = 3;
	switch (s[2]) {
	case 0x98:
	case 0x99:
	case 0xb2:
		return '\'';
	case 0x9c:
	case 0x9d:
		return '"';
	case 0x93:
		return '-';
	default:
		return 0;
	}
}

/* scan_input, and when s holds typographic quotes, once more over a copy
 * with ASCII in their place (inputs up to SQ_NORM_MAX bytes; the copy and
 * its offset map live on the stack). An en dash becomes "--", the line
 * comment it stands for. */
static int scan_typed(const char *s, size_t n, uint32_t chars, struct pol_hit *hit, int *quick)
{
	if (scan_input(s, n, chars, hit, quick))
		return 1;
	if (!(chars & POL_CH_HIGH) || n > SQ_NORM_MAX)
		return 0;
	char t[SQ_NORM_MAX];
	uint16_t from[SQ_NORM_MAX + 1];
	size_t m = 0;
	int changed = 0;
	for (size_t i = 0; i < n;) {
		size_t len = 1;
		char c = sq_typographic((const unsigned char *)s + i, n - i, &len);
		from[m] = (uint16_t)i;
		if (!c) {
			t[m++] = s[i];
		} else {
			t[m++] = c;
			if (c == '-') {
				from[m] = (uint16_t)i;
				t[m++] = '-';
			}
			changed = 1;
		}
		i += len;
	}
	from[m] = (uint16_t)n;
	if (!changed || !scan_input(t, m, pol_charmask(t, m), hit, NULL))
		return 0;
	size_t a = hit->off < m ? hit->off : m, b = (size_t)hit->off + hit->len;
	if (b > m)
		b = m;
	hit->off = from[a];
	hit->len = (uint32_t)(from[b] - from[a]);
	return 1;
}

/* Weak signals: the readings paranoia levels 2 and 3 add.
 *
 * The rules above want a whole injection. A probe of a filter, or the piece
 * of one a scanner sends to learn how a value is parsed, is a fragment: a
 * call opened and left open (substr(), operators alone (<>, rlike, is
 * null), a condition left dangling (/3 or, && x !=), a clause with no query
 * (order by, execute name), a quote and then punctuation and a number
 * (":35, '0:0:6). Each is what a careful reviewer calls suspicious but
 * possibly innocent, so each scores below level 1's floor: the level-2
 * shapes with confidence 40-45, the level-3 probes with 25 (detect.h's
 * pol_signal_level). They are read only when no rule above found
 * anything, and only over short inputs that are nothing but the fragment
 * (a sentence that holds one is prose, not a probe), so that they never
 * stand in for a stronger finding and cost little: one look at the first
 * and last bytes turns most inputs away before the lexer runs.
 */
#define SQ_WEAK_MAX   256 /* longest input read for a fragment */
#define SQ_WEAK_TOKS  48  /* tokens a fragment may hold */
#define SQ_WEAK_SHORT 48  /* longest fragment but a list or a subquery */

/* Built-in SQL functions (MySQL, SQL Server, PostgreSQL, Oracle, SQLite)
 * a probe opens with a '(' and nothing after it; sorted, lower case. */
static const char *const sq_weak_fns[] = {
    "abs",
    "acos",
    "ascii",
    "asin",
    "atan",
    "atan2",
    "avg",
    "benchmark",
    "bin",
    "bit_length",
    "cast",
    "ceil",
    "ceiling",
    "char",
    "char_length",
    "charindex",
    "chr",
    "coalesce",
    "compress",
    "concat",
    "concat_ws",
    "conv",
    "convert",
    "cos",
    "cot",
    "count",
    "crc32",
    "curdate",
    "curtime",
    "database",
    "date",
    "date_add",
    "date_format",
    "date_sub",
    "datediff",
    "day",
    "dayname",
    "dayofmonth",
    "dayofweek",
    "dayofyear",
    "db_name",
    "decode",
    "degrees",
    "elt",
    "encode",
    "encrypt",
    "exists",
    "exp",
    "extract",
    "extractvalue",
    "field",
    "find_in_set",
    "floor",
    "format",
    "from_base64",
    "from_unixtime",
    "greatest",
    "group_concat",
    "hex",
    "hour",
    "if",
    "ifnull",
    "iif",
    "in",
    "insert",
    "instr",
    "isnull",
    "last_insert_id",
    "lcase",
    "least",
    "left",
    "len",
    "length",
    "ln",
    "load_file",
    "locate",
    "log",
    "log10",
    "log2",
    "lower",
    "lpad",
    "ltrim",
    "make_set",
    "max",
    "md5",
    "mid",
    "min",
    "minute",
    "mod",
    "month",
    "monthname",
    "now",
    "nullif",
    "nvl",
    "oct",
    "octet_length",
    "ord",
    "password",
    "pg_sleep",
    "pi",
    "position",
    "pow",
    "power",
    "quarter",
    "radians",
    "rand",
    "repeat",
    "replace",
    "reverse",
    "right",
    "round",
    "rpad",
    "rtrim",
    "schema",
    "sec_to_time",
    "second",
    "sha1",
    "sha2",
    "sign",
    "sin",
    "sleep",
    "soundex",
    "sqrt",
    "std",
    "stddev",
    "str_to_date",
    "strcmp",
    "substr",
    "substring",
    "substring_index",
    "sum",
    "sysdate",
    "tan",
    "time",
    "timestamp",
    "to_base64",
    "to_char",
    "to_days",
    "trim",
    "ucase",
    "uncompress",
    "unhex",
    "unix_timestamp",
    "updatexml",
    "upper",
    "user",
    "utc_date",
    "uuid",
    "values",
    "version",
    "week",
    "weekday",
    "year",
    "yearweek",
};

static int sq_weak_fn_cmp(const void *k, const void *e)
{
	return strcmp(k, *(const char *const *)e);
}

/* Is s[0..n) (any case) one of sq_weak_fns? */
static int sq_weak_fn(const unsigned char *s, size_t n)
{
	char w[24];
	if (n == 0 || n >= sizeof(w))
		return 0;
	for (size_t k = 0; k < n; k++)
		w[k] = (char)ch_lower(s[k]);
	w[n] = '\0';
	return bsearch(w, sq_weak_fns, sizeof(sq_weak_fns) / sizeof(sq_weak_fns[0]),
	               sizeof(sq_weak_fns[0]), sq_weak_fn_cmp) != NULL;
}

static int sq_is_alnum_(unsigned char c)
{
	return sq_alnum[c] || c == '_';
}

/* substr(, concat (, length||!!$(, date]=(: a function's name and then,
 * past punctuation alone, a '(' that ends the input; before the name only
 * punctuation. s[0..n) is trimmed of blanks and ends with '('. */
static int sq_weak_open_call(const unsigned char *s, size_t n)
{
	size_t b = n - 1;
	while (b > 0 && !sq_is_alnum_(s[b - 1]))
		b--;
	size_t a = b;
	while (a > 0 && sq_is_alnum_(s[a - 1]))
		a--;
	if (a == b || !sq_weak_fn(s + a, b - a))
		return 0;
	for (size_t k = 0; k < a; k++)
		if (sq_is_alnum_(s[k]))
			return 0;
	return 1;
}

/* Is s[0..n) one quoted literal with none of SQL's marks in it ("10:35",
 * "And are you?"): a quotation, not a probe. */
static int sq_weak_quoted(const unsigned char *s, size_t n)
{
	if (n < 2 || s[n - 1] != s[0] || memchr(s + 1, s[0], n - 2))
		return 0;
	for (size_t k = 1; k + 1 < n; k++)
		if (s[k] == '(' || s[k] == ')' || s[k] == '<' || s[k] == '>' || s[k] == '=' ||
		    s[k] == ';')
			return 0;
	return 1;
}

/* "'0:0:6, `>65, ":35, '1001'='10, ' ', 10: a quote opening the input,
 * then digits or blanks, one mark that is neither, and past non-word
 * bytes a number, with a quote or a digit somewhere after it: how a
 * scanner probes the literal it tries to leave. A value that is one quoted
 * literal ("10:35") is a quotation, not a probe. s[0..n) is trimmed and
 * opens with a quote. */
static int sq_weak_quote_probe(const unsigned char *s, size_t n)
{
	size_t p = 1;
	while (p < n && (sq_is_digit(s[p]) || sq_blank[s[p]]))
		p++;
	if (p >= n || sq_is_alnum_(s[p]) || s[p] == '$')
		return 0; /* "$7: a price */
	for (p++; p < n && !sq_is_alnum_(s[p]) && !sq_is_digit(s[p]); p++)
		;
	if (p >= n || !sq_is_digit(s[p]))
		return 0;
	if (sq_weak_quoted(s, n))
		return 0;
	/* prose: two words of letters */
	int words = 0;
	for (size_t k = 0; k + 1 < n; k++)
		if (ch_lower(s[k]) >= 'a' && ch_lower(s[k]) <= 'z' && ch_lower(s[k + 1]) >= 'a' &&
		    ch_lower(s[k + 1]) <= 'z' && (k == 0 || !sq_is_alnum_(s[k - 1])) && ++words > 1)
			return 0;
	/* a quote or a digit after the number, and no prose: a word after a
	 * blank ("8 TRACK") that is no logical operator */
	int tail = 0;
	for (p++; p < n; p++) {
		if (sq_is_digit(s[p]) || s[p] == '\'' || s[p] == '"' || s[p] == '`')
			tail = 1;
		if (sq_blank[s[p - 1]] && ch_lower(s[p]) >= 'a' && ch_lower(s[p]) <= 'z') {
			size_t e = p;
			while (e < n && sq_alnum[s[e]])
				e++;
			const struct sqw_word *kw =
			    e - p < SQ_WORD_MAX ? sq_word_find(s + p, e - p) : NULL;
			if (!kw || kw->role != SQW_LOGIC)
				return 0;
		}
	}
	return tail;
}

/* The tokens of a short input, outside any literal, into t[0..max);
 * -1 when there are max or more. */
static int sq_weak_lex(const unsigned char *s, size_t n, struct sq_tok *t, int max)
{
	struct sq_lex lx;
	int m = 0;
	sq_lex_init(&lx, (const char *)s, n, 0);
	while (sq_lex_next(&lx, &t[m]))
		if (++m == max)
			return -1;
	return m;
}

static int sq_weak_word(const unsigned char *s, const struct sq_tok *t, const char *w)
{
	size_t l = strlen(w);
	return t->len == l && t->type != SQ_STR && strncasecmp((const char *)s + t->off, w, l) == 0;
}

/* A token that stands for a value: a literal, a name or a variable. */
static int sq_weak_operand(const struct sq_tok *t)
{
	return t->type == SQ_NUM || t->type == SQ_BARE || t->type == SQ_VAR;
}

/* A name shaped as an identifier, not a word: a '_', a capital after a
 * small letter or a digit after a letter (UpdateUserTypeTracking,
 * old_sql_notes, tag1). */
static int sq_weak_ident(const unsigned char *s, const struct sq_tok *t)
{
	for (uint32_t k = 1; k < t->len; k++) {
		unsigned char c = s[t->off + k], p = s[t->off + k - 1];
		int lower = p >= 'a' && p <= 'z', letter = lower || (p >= 'A' && p <= 'Z');
		if (c == '_' || (c >= 'A' && c <= 'Z' && lower) || (sq_is_digit(c) && letter))
			return 1;
	}
	return 0;
}

/* <>, >=, ->, xor, rlike: an operator SQL alone spells so (no '=' or '-'
 * alone, no word English uses as one). */
static int sq_weak_op_only(const unsigned char *s, const struct sq_tok *t)
{
	if (t->type != SQ_CMP && t->type != SQ_LOGIC && t->type != SQ_OP)
		return 0;
	if (!sq_alnum[s[t->off]])
		return t->len >= 2 && !(t->len == 2 && s[t->off] == '-' && s[t->off + 1] == '-');
	return sq_weak_word(s, t, "xor") || sq_weak_word(s, t, "rlike") ||
	       sq_weak_word(s, t, "regexp");
}

/* in (0,1), in ( a, b ): in and then a parenthesized list of values with a
 * comma, ending the input. */
static int sq_weak_in_list(const unsigned char *s, const struct sq_tok *t, int m)
{
	if (m < 5 || !sq_weak_word(s, &t[0], "in") || t[1].type != SQ_LP || t[m - 1].type != SQ_RP)
		return 0;
	int commas = 0;
	for (int k = 2; k < m - 1; k++) {
		if (t[k].type == SQ_COMMA)
			commas++;
		else if (!sq_weak_operand(&t[k]) && t[k].type != SQ_STR && t[k].type != SQ_OP &&
		         t[k].type != SQ_LOGIC)
			return 0;
	}
	return commas > 0;
}

/* Is t a closed literal in single quotes (SQL's strings; "..." names)? */
static int sq_weak_squoted(const unsigned char *s, const struct sq_tok *t)
{
	return t->type == SQ_STR && !(t->flags & SQ_F_UNCLOSED) && s[t->off] == '\'';
}

/* Are t[a..b) numbers, single-quoted literals and commas alone? */
static int sq_weak_literals(const unsigned char *s, const struct sq_tok *t, int a, int b)
{
	for (int k = a; k < b; k++)
		if (t[k].type != SQ_NUM && t[k].type != SQ_COMMA && !sq_weak_squoted(s, &t[k]))
			return 0;
	return a < b;
}

struct sq_weak {
	const char *rule;
	uint8_t conf;
};

/* The level-2 readings of a token stream t[0..m) of s. */
static int sq_weak_tokens(const unsigned char *s, const struct sq_tok *t, int m, struct sq_weak *w)
{
	int k;
	if (m == 0)
		return 0;
	/* an operator alone: <>, ||, <=>, xor, regexp */
	if (m == 1 && sq_weak_op_only(s, &t[0])) {
		w->rule = "sqli.operator", w->conf = 40;
		return 1;
	}
	/* is null, like null, is not null */
	if (m <= 3 && t[0].type == SQ_CMP && (t[0].flags & SQ_F_WORD) &&
	    sq_weak_word(s, &t[m - 1], "null") && (m == 2 || t[1].type == SQ_NOT)) {
		w->rule = "sqli.operator", w->conf = 40;
		return 1;
	}
	if (sq_weak_in_list(s, t, m)) {
		w->rule = "sqli.operator", w->conf = 40;
		return 1;
	}
	/* /3 or, /Cm7 OR, /x and(: after a mark, a value and a logical
	 * operator left dangling at the end */
	k = 0;
	if (t[0].type == SQ_OP || t[0].type == SQ_OTHER || t[0].type == SQ_CMP)
		k = 1;
	if (k == 1 && m - k >= 2 && m - k <= 3 && sq_weak_operand(&t[k]) &&
	    t[k + 1].type == SQ_LOGIC && (m - k == 2 || t[k + 2].type == SQ_LP)) {
		w->rule = "sqli.fragment", w->conf = 40;
		return 1;
	}
	/* or x ==, && (d !==, AND backend_layout!=: a condition opened by a
	 * logical operator and left without its right side, or with it */
	if (t[0].type == SQ_LOGIC && m <= 8) {
		for (k = 1; k < m && k < 3 && t[k].type == SQ_LP; k++)
			;
		if (k + 1 < m && sq_weak_operand(&t[k]) && t[k + 1].type == SQ_CMP &&
		    !(t[k + 1].flags & SQ_F_WORD) && t[m - 1].type != SQ_BARE &&
		    (t[k + 1].len > 1 ||
		     (k + 2 < m && (sq_weak_operand(&t[k + 2]) || t[k + 2].type == SQ_LP)))) {
			w->rule = "sqli.fragment", w->conf = 40;
			return 1;
		}
	}
	/* ; UpdateUserTypeTracking: a procedure's name stacked alone */
	if (m == 2 && t[0].type == SQ_SEMI && t[1].type == SQ_BARE && sq_weak_ident(s, &t[1])) {
		w->rule = "sqli.stacked", w->conf = 40;
		return 1;
	}
	for (k = 0; k + 1 < m; k++) {
		/* set @old_sql_notes: a user variable assigned */
		if (t[k].type == SQ_KW && t[k].role == SQW_SET && t[k + 1].type == SQ_VAR &&
		    (k + 2 == m || t[k + 2].type == SQ_CMP || t[k + 2].type == SQ_OP)) {
			w->rule = "sqli.fragment", w->conf = 45;
			return 1;
		}
		/* =(select, = ( SELECT: a subquery opened as a value */
		if (k + 2 < m && t[k].type == SQ_CMP && t[k + 1].type == SQ_LP &&
		    t[k + 2].type == SQ_KW && t[k + 2].role == SQW_SELECT) {
			w->rule = "sqli.fragment", w->conf = 45;
			return 1;
		}
	}
	/* order by, group by 2, order by id_x desc: the clause alone, its
	 * column a number or an identifier ("order by date" is English) */
	if (t[0].type == SQ_KW && t[0].role == SQW_ORDER && m >= 2 && m <= 4 &&
	    t[1].type == SQ_KW && t[1].role == SQW_BY &&
	    (m == 2 || (t[2].type == SQ_NUM && m == 3) ||
	     (sq_weak_operand(&t[2]) &&
	      (sq_weak_ident(s, &t[2]) ||
	       (m == 4 && (sq_weak_word(s, &t[3], "asc") || sq_weak_word(s, &t[3], "desc"))))))) {
		w->rule = "sqli.clause", w->conf = 40;
		return 1;
	}
	/* from t group by c, from t where: clauses in SQL's order */
	if (t[0].type == SQ_KW && t[0].role == SQW_FROM && m >= 5 && t[1].type == SQ_BARE &&
	    (t[4].type == SQ_NUM || (t[4].type == SQ_BARE && sq_weak_ident(s, &t[4]))) &&
	    t[2].type == SQ_KW && t[2].role == SQW_ORDER && t[3].type == SQ_KW &&
	    t[3].role == SQW_BY) {
		w->rule = "sqli.clause", w->conf = 40;
		return 1;
	}
	/* select (case, select (select, select (1: a select list opened */
	if (m >= 3 && t[0].type == SQ_KW && t[0].role == SQW_SELECT && t[1].type == SQ_LP &&
	    ((t[2].type == SQ_KW && (t[2].role == SQW_CASE || t[2].role == SQW_SELECT)) ||
	     t[2].type == SQ_FUNC)) {
		w->rule = "sqli.clause", w->conf = 40;
		return 1;
	}
	/* having 1=, having count(*)>: a having with its condition begun */
	if (m >= 3 && t[0].type == SQ_KW && t[0].role == SQW_HAVING &&
	    (sq_weak_operand(&t[1]) || t[1].type == SQ_FUNC)) {
		for (k = 2; k < m && k < 8; k++)
			if (t[k].type == SQ_CMP && !(t[k].flags & SQ_F_WORD)) {
				w->rule = "sqli.clause", w->conf = 40;
				return 1;
			}
	}
	/* execute name: a prepared statement or a procedure run by name */
	if (m == 2 && t[0].type == SQ_KW && t[0].role == SQW_EXEC && t[1].type == SQ_BARE) {
		w->rule = "sqli.clause", w->conf = 40;
		return 1;
	}
	/* or 88, and '5'x: a logical operator opening the input, then a
	 * literal that ends it or has a token glued on */
	if (m >= 2 && t[0].type == SQ_LOGIC &&
	    (t[1].type == SQ_NUM || (t[1].type == SQ_STR && !(t[1].flags & SQ_F_UNCLOSED))) &&
	    (m == 2 || t[2].off == t[1].off + t[1].len)) {
		w->rule = "sqli.fragment", w->conf = 40;
		return 1;
	}
	/* values ('a', 1): the values clause alone */
	if (m >= 5 && t[0].type == SQ_KW && t[0].role == SQW_VALUES && t[1].type == SQ_LP &&
	    t[m - 1].type == SQ_RP && sq_weak_literals(s, t, 2, m - 1)) {
		w->rule = "sqli.clause", w->conf = 40;
		return 1;
	}
	/* hash = 'abc', 0x1a: a column set to a literal, and a list goes on */
	if (m >= 5 && t[0].type == SQ_BARE && t[1].type == SQ_CMP && (t[1].flags & SQ_F_EQ) &&
	    sq_weak_squoted(s, &t[2]) && t[3].type == SQ_COMMA &&
	    (t[4].type == SQ_NUM || t[4].type == SQ_STR || t[4].type == SQ_LP ||
	     t[4].type == SQ_VAR)) {
		w->rule = "sqli.fragment", w->conf = 40;
		return 1;
	}
	/* 'a', '1'='1': a list of literals ended by a comparison of two */
	if (m >= 5 && t[m - 2].type == SQ_CMP && !(t[m - 2].flags & SQ_F_WORD) &&
	    sq_weak_literals(s, t, 0, m - 2) && sq_weak_literals(s, t, m - 1, m)) {
		for (k = 0; k < m - 2 && t[k].type != SQ_COMMA; k++)
			;
		if (k < m - 2) {
			w->rule = "sqli.tautology", w->conf = 40;
			return 1;
		}
	}
	/* ) when 2 then: an arm of a case, after a mark */
	if (m >= 4 && (t[0].type == SQ_RP || t[0].type == SQ_OP || t[0].type == SQ_OTHER) &&
	    sq_weak_word(s, &t[1], "when") && (sq_weak_operand(&t[2]) || t[2].type == SQ_STR) &&
	    sq_weak_word(s, &t[3], "then")) {
		w->rule = "sqli.fragment", w->conf = 40;
		return 1;
	}
	/* name like ': a pattern's literal opened and left to the query */
	if (m == 3 && sq_weak_operand(&t[0]) && t[1].type == SQ_CMP && (t[1].flags & SQ_F_WORD) &&
	    t[2].type == SQ_STR && t[2].len == 1) {
		w->rule = "sqli.rejoin", w->conf = 40;
		return 1;
	}
	/* except values(1, except select.1: a compound query's second half */
	if (m >= 3 && t[0].type == SQ_KW && t[0].role == SQW_UNION &&
	    (sq_weak_word(s, &t[1], "select") || sq_weak_word(s, &t[1], "values")) &&
	    (t[2].type == SQ_NUM || t[2].type == SQ_LP || t[2].type == SQ_OP ||
	     t[2].type == SQ_OTHER)) {
		w->rule = "sqli.union", w->conf = 45;
		return 1;
	}
	return 0;
}

/* 'union a, " alter a, 'select h: a quote and then, right after it, a
 * statement's first keyword and at most one short token more. s[0..n)
 * is trimmed and opens with a quote. */
static int sq_weak_quote_keyword(const unsigned char *s, size_t n, struct sq_tok *t)
{
	size_t p = 1;
	while (p < n && sq_blank[s[p]])
		p++;
	int m = sq_weak_lex(s + p, n - p, t, 3);
	if (m < 1 || m > 2 || t[0].type != SQ_KW)
		return 0;
	switch (t[0].role) {
	case SQW_UNION:
	case SQW_SELECT:
	case SQW_CREATE:
	case SQW_DROP:
	case SQW_DELETE:
	case SQW_INSERT:
	case SQW_UPDATE:
		break;
	default:
		return 0;
	}
	return m == 1 ? t[0].off + t[0].len < n - p /* a mark glued on: 'union/ */
	              : t[1].len == 1 && t[1].type != SQ_STR;
}

/* Is s[k..e) a letter word SQL gives a role (and, from, union...)? */
static int sq_weak_role_word(const unsigned char *s, size_t k, size_t e)
{
	const struct sqw_word *kw = e - k < SQ_WORD_MAX ? sq_word_find(s + k, e - k) : NULL;
	return kw && kw->role != SQW_NONE;
}

/* ' or homer 9, ' * from = 1 or '9, ' ? # = #, "' and = bar: quotes
 * opening the input, then a logical operator and after it a number, a
 * comparison or a variable, or an operator mark and after it another:
 * the literal left and the query probed. After a mark every word must be
 * SQL's. s[0..n) is trimmed and opens with a quote; at most 32 bytes. */
static int sq_weak_quote_operator(const unsigned char *s, size_t n)
{
	static const char marks[] = "=<>!^?#~|&*";
	size_t p = 1;
	if (n > 32 || sq_weak_quoted(s, n))
		return 0;
	while (p < n && (sq_blank[s[p]] || s[p] == '\'' || s[p] == '"' || s[p] == '`'))
		p++;
	if (p >= n)
		return 0;
	int logic = 0;
	size_t e = p;
	while (e < n && sq_alnum[s[e]])
		e++;
	if (e > p) {
		const struct sqw_word *kw = e - p < SQ_WORD_MAX ? sq_word_find(s + p, e - p) : NULL;
		if (!kw || kw->role != SQW_LOGIC)
			return 0;
		logic = 1;
	} else if (!memchr(marks, s[p], sizeof(marks) - 1)) {
		return 0;
	} else {
		e = p + 1;
	}
	int more = 0;
	for (size_t k = e; k < n; k++) {
		if (logic ? sq_is_digit(s[k]) || s[k] == '=' || s[k] == '<' || s[k] == '>' ||
		                s[k] == '@'
		          : s[k] && memchr(marks, s[k], sizeof(marks) - 1))
			more = 1;
		if (!logic && sq_alnum[s[k]] && !sq_is_digit(s[k]) && !sq_alnum[s[k - 1]]) {
			size_t b = k;
			while (b < n && sq_alnum[s[b]])
				b++;
			if (!sq_weak_role_word(s, k, b))
				return 0;
			k = b - 1;
		}
	}
	return more;
}

/* "', `': quotes alone, of two kinds (a probe of how the value is quoted;
 * "" is an empty string written out). s[0..n) is trimmed and opens with a
 * quote. */
static int sq_weak_quotes_only(const unsigned char *s, size_t n)
{
	int kinds = 0;
	for (size_t k = 0; k < n; k++) {
		if (s[k] != '\'' && s[k] != '"' && s[k] != '`')
			return 0;
		kinds |= s[k] == '\'' ? 1 : s[k] == '"' ? 2 : 4;
	}
	return n <= 4 && (kinds & (kinds - 1));
}

/* Does the word opening s[0..n) open a fragment sq_weak_tokens reads:
 * a logical or comparison word, or a clause's first keyword? */
static int sq_weak_first_word(const unsigned char *s, size_t n)
{
	size_t e = 0;
	while (e < n && e < SQ_WORD_MAX && sq_alnum[s[e]])
		e++;
	const struct sqw_word *kw = e < SQ_WORD_MAX ? sq_word_find(s, e) : NULL;
	if (!kw)
		return 0;
	switch (kw->role) {
	case SQW_LOGIC:
	case SQW_CMP:
	case SQW_ORDER:
	case SQW_SELECT:
	case SQW_FROM:
	case SQW_HAVING:
	case SQW_EXEC:
	case SQW_SET:
	case SQW_VALUES:
	case SQW_UNION:
		return 1;
	default:
		return 0;
	}
}

/* Fills *hit with the weak signal s[0..n) is, when it is one. */
static int sq_weak_scan(const char *str, size_t n, uint32_t chars, int quick, struct pol_hit *hit)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t a = 0, b = n;
	/* what the quick tests turned away holds no weak signal's token,
	 * but for a backquote opening a probe (`.5) */
	if (quick == SQ_QUICK_INERT && (n < 1 || s[0] != '`'))
		return 0;
	while (a < b && (sq_blank[s[a]] || s[a] == '\n' || s[a] == '\r'))
		a++;
	while (b > a && (sq_blank[s[b - 1]] || s[b - 1] == '\n' || s[b - 1] == '\r'))
		b--;
	if (b - a < 2 || b - a > SQ_WEAK_MAX)
		return 0;
	const unsigned char *v = s + a;
	size_t vn = b - a;
	struct sq_weak w = {NULL, 0};
	struct sq_tok t[SQ_WEAK_TOKS];
	unsigned char c = v[0];
	int quote = c == '\'' || c == '"' || c == '`';
	/* Which inputs the token rules may fire on: a short one opening with
	 * a mark or a word they start from, one opening with in (its list may
	 * be long), and any with a comparison and a '(' (=(select). */
	int sub = (chars & POL_CH_PAREN) && (chars & (POL_CH_EQUALS | POL_CH_LT | POL_CH_GT));
	/* a list of literals and a comparison (h = 'a', 1; 'a', '1'='1'), or a
	 * quote ending a short input (x like ') */
	if (vn <= SQ_WEAK_SHORT && (chars & (POL_CH_SQUOTE | POL_CH_DQUOTE)) &&
	    (((chars & POL_CH_COMMA) && (chars & (POL_CH_EQUALS | POL_CH_LT | POL_CH_GT))) ||
	     v[vn - 1] == '\'' || v[vn - 1] == '"'))
		sub = 1;
	if (quick == SQ_QUICK_PROSE &&
	    (vn > SQ_WEAK_SHORT || (sq_alnum[c] && !sq_weak_first_word(v, vn))))
		return 0; /* prose: only a short one is a fragment */
	if (v[vn - 1] == '(' && sq_weak_open_call(v, vn))
		w.rule = "sqli.fragment", w.conf = 40;
	else if (quote && sq_weak_quote_keyword(v, vn, t))
		w.rule = "sqli.fragment", w.conf = 45;
	else if (quote && (sq_weak_quotes_only(v, vn) || sq_weak_quote_operator(v, vn)))
		w.rule = "sqli.probe", w.conf = 40;
	else if (sub ||
	         (!quote && vn <= SQ_WEAK_SHORT && (!sq_alnum[c] || sq_weak_first_word(v, vn))) ||
	         ((c | 0x20) == 'i' && sq_weak_first_word(v, vn))) {
		int m = sq_weak_lex(v, vn, t, SQ_WEAK_TOKS);
		if (m > 0)
			sq_weak_tokens(v, t, m, &w);
	}
	if (!w.rule && quote && sq_weak_quote_probe(v, vn))
		w.rule = "sqli.probe", w.conf = 25;
	if (!w.rule)
		return 0;
	hit->rule = w.rule;
	hit->category = POL_CAT_SQLI;
	hit->severity = POL_SEV_CRITICAL;
	hit->confidence = w.conf;
	hit->off = (uint32_t)a;
	hit->len = (uint32_t)vn;
	return 1;
}

/* The level-1 readings: the whole input, a form field's value, a path's
 * segments. */
static int sq_detect_strong(const char *s, size_t n, uint32_t chars, const struct pol_ctx *ctx,
                            struct pol_hit *hit, int *quick)
{
	if (!(chars & POL_CH_HIGH) ? scan_input(s, n, chars, hit, quick)
	                           : scan_typed(s, n, chars, hit, quick))
		return 1;
	/* pay=AND 1=2), q=' or 1=1--: a string that is one form field, key
	 * and value, the way an application that parses it sees the value;
	 * the value is read as an input of its own (it opens the input
	 * there). The key is a plain name glued to '='. */
	if (chars & POL_CH_EQUALS) {
		size_t k = 0;
		while (k < n && k < 64 &&
		       (sq_alnum[(unsigned char)s[k]] || s[k] == '_' || s[k] == '-' || s[k] == '.'))
			k++;
		if (k > 0 && k < n && s[k] == '=' && n - k > 2 && s[k + 1] != '=') {
			const char *v = s + k + 1;
			size_t vn = n - k - 1;
			if (scan_typed(v, vn, pol_charmask(v, vn), hit, NULL)) {
				hit->off += (uint32_t)(k + 1);
				return 1;
			}
		}
	}
	/* A path or an S3 key puts each value in a segment of its own
	 * (/items/10 ORDER BY 17--): each segment is read as an input too.
	 * Every byte belongs to one segment, so the cost at most doubles. */
	if (!ctx || !(ctx->where & POL_IN_PATH) || !(chars & POL_CH_SLASH))
		return 0;
	for (size_t a = 0; a < n;) {
		const char *e = memchr(s + a, '/', n - a);
		size_t b = e ? (size_t)(e - s) : n;
		if (b - a >= 2 && b - a < n &&
		    scan_typed(s + a, b - a, pol_charmask(s + a, b - a), hit, NULL)) {
			hit->off += (uint32_t)a;
			return 1;
		}
		a = b + 1;
	}
	return 0;
}

int pol_detect_sqli(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit)
{
	uint32_t chars = ctx ? ctx->chars : pol_charmask(s, n);

	/* Token offsets are 32-bit; the engine's event limit is far below. */
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	int quick = SQ_QUICK_NONE;
	if (sq_detect_strong(s, n, chars, ctx, hit, &quick))
		return 1;
	/* Only when no rule found anything: the weak signals, of the whole
	 * input and of a form field's value (pay=/3 or). */
	if (!s || sq_weak_scan(s, n, chars, quick, hit))
		return s != NULL;
	if (chars & POL_CH_EQUALS) {
		size_t k = 0;
		while (k < n && k < 64 &&
		       (sq_alnum[(unsigned char)s[k]] || s[k] == '_' || s[k] == '-' || s[k] == '.'))
			k++;
		if (k > 0 && k < n && s[k] == '=' && n - k > 2 && s[k + 1] != '=' &&
		    n - k - 1 <= 2 * SQ_WEAK_MAX &&
		    sq_weak_scan(s + k + 1, n - k - 1, pol_charmask(s + k + 1, n - k - 1),
		                 SQ_QUICK_NONE, hit)) {
			hit->off += (uint32_t)(k + 1);
			return 1;
		}
	}
	return 0;
}
