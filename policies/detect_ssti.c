/* Detector: ssti (server-side template injection).
 *
 * Every template language marks code with delimiters: {{ }} and {% %}
 * (Jinja2, Twig, Nunjucks, Handlebars, Liquid), ${ } #{ } *{ } (Freemarker,
 * SpEL/Thymeleaf, JSP EL, Mako, Pug, Ruby), <% %> (ERB, EJS, JSP), <#...>
 * (Freemarker directives), #set( (Velocity), {php} (Smarty), @( ) (Razor).
 * A delimiter alone is not an attack: messages are full of {{name}}
 * placeholders. What makes one is what sits inside, so each expression is
 * tokenised and judged by its grammar:
 *   - walks of the Python object model (__class__, __globals__, ...);
 *   - reaching for code execution (getRuntime, popen, system(...), T(...),
 *     ?new(), constructor, require, backticks);
 *   - the template engine's own globals used as a door (config, self,
 *     request, cycler, lipsum, |attr);
 *   - arithmetic probes (7*7, 7*'7'): what scanners send first;
 *   - template statements ({% if %}, <#assign>, #set) in data;
 *   - server-side and edge-side include directives (<!--#exec -->, <esi:).
 *
 * Each kind of delimiter is one linear pass; an expression that has been
 * judged is skipped as a whole, and the closing delimiter is searched for
 * with a cached "next closer" position, so every byte is examined a bounded
 * number of times. Expressions longer than SSTI_MAX_EXPR are not judged.
 */
#include <string.h>

#include "detect.h"
#include "detect_chars.h"
#include "detect_code_injection_kw.h"

#define SSTI_MAX_EXPR 2048 /* longer "expressions" are prose between braces */

enum ssti_level {
	SSTI_NONE = 0,
	SSTI_GLOBAL_READ, /* {{ config.site_name }}: an engine global read */
	SSTI_STATEMENT,   /* a template statement in data */
	SSTI_GLOBALS,     /* engine globals probed or called */
	SSTI_PROBE,       /* arithmetic probe */
	SSTI_FILTER,      /* |attr() and friends: filter-based evasion */
	SSTI_EXEC,        /* code execution primitives */
	SSTI_DUNDER,      /* Python object-model walk */
};

static const struct {
	const char *rule;
	enum pol_severity sev;
	uint8_t conf;
} ssti_rules[] = {
    [SSTI_NONE] = {NULL, POL_SEV_INFO, 0},
    [SSTI_GLOBAL_READ] = {"ssti.template_global_read", POL_SEV_MEDIUM, 60},
    [SSTI_STATEMENT] = {"ssti.statement", POL_SEV_MEDIUM, 65},
    [SSTI_GLOBALS] = {"ssti.template_globals", POL_SEV_HIGH, 75},
    [SSTI_PROBE] = {"ssti.arithmetic_probe", POL_SEV_HIGH, 85},
    [SSTI_FILTER] = {"ssti.filter_evasion", POL_SEV_HIGH, 90},
    [SSTI_EXEC] = {"ssti.code_execution", POL_SEV_CRITICAL, 93},
    [SSTI_DUNDER] = {"ssti.object_walk", POL_SEV_CRITICAL, 95},
};

/* Which grammar an expression was found in; it decides which signals count. */
enum ssti_ctx {
	CTX_CURLY2,  /* {{ }} */
	CTX_STMT,    /* {% %}, <% %> without '=' : statements */
	CTX_DOLLAR,  /* ${ } #{ } *{ } @( ) and the like */
	CTX_ERB_OUT, /* <%= %> */
	CTX_CHAIN,   /* a bare $var.method() chain (Velocity) */
	CTX_SINGLE,  /* { } (Smarty) */
};

struct ssti_best {
	enum ssti_level level;
	size_t off, end;
};

static void note(struct ssti_best *b, enum ssti_level l, size_t off, size_t end)
{
	if (l > b->level) {
		b->level = l;
		b->off = off;
		b->end = end;
	}
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Does the identifier s[0..n) equal the lowercase word w, ignoring case? */
static int ident_is(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);
	if (k != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (ch_lower((unsigned char)s[i]) != w[i])
			return 0;
	return 1;
}

static int ident_in(const char *s, size_t n, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (ident_is(s, n, list[i]))
			return 1;
	return 0;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Names that mean code execution or reflection wherever they appear inside a
 * template expression (or one of its string literals). */
static const char *const exec_names[] = {
    "getruntime",
    "processbuilder",
    "forname",
    "mainmodule",
    "child_process",
    "execsync",
    "spawnsync",
    "subprocess",
    "check_output",
    "popen",
    "objectconstructor",
    "jythonruntime",
    "scriptenginemanager",
    "registerundefinedfiltercallback",
    "shell_exec",
    "passthru",
    "getclass",
    "getclassloader",
    "newinstance",
    "getdeclaredmethod",
    "getmethod",
    "constructor",
    "freemarker",
    "classloader",
    "runtime",
    "diagnostics",
    "proc_open",
    "getattribute",
    "execute",
    "_self",
    "__proto__",
    "sub_process",
    "os_system",
};

/* Names that execute something when called: name( or name 'arg'. */
static const char *const call_names[] = {
    "system",
    "exec",
    "eval",
    "spawn",
    "open",
    "import",
    "__import__",
    "require",
    "include",
    "readfile",
    "file_get_contents",
    "phpinfo",
    "assert",
    "load",
    "loads",
    "getattr",
    "inspect",
    "invoke",
    "read",
    "popen",
    "syscall",
    "instance_eval",
    "class_eval",
    "send",
    "public_send",
    "start",
    "fork",
};

/* The template engine's own objects: a door to the runtime when used as
 * objects ({{config.items()}}, {{self._TemplateReference__context}}). */
static const char *const global_names[] = {
    "config",    "self",     "request",
    "lipsum",    "cycler",   "joiner",
    "namespace", "url_for",  "get_flashed_messages",
    "_context",  "settings",
};

/* First words of template statements. */
static const char *const stmt_names[] = {
    "if",         "for",      "set",       "import",   "from",   "include",  "extends",  "macro",
    "block",      "call",     "filter",    "with",     "raw",    "print",    "do",       "debug",
    "autoescape", "assign",   "list",      "elif",     "else",   "endif",    "endfor",   "unless",
    "case",       "capture",  "cycle",     "tablerow", "liquid", "render",   "function", "local",
    "global",     "attempt",  "each",      "while",    "until",  "begin",    "def",      "require",
    "load",       "verbatim", "spaceless", "sandbox",  "embed",  "use",      "apply",    "foreach",
    "page",       "taglib",   "setting",   "switch",   "visit",  "compress", "escape",   "noparse",
    "nested",     "return",   "ftl",
};

/* Ruby classes that reach the system from ERB: File.read, IO.popen... */
static const char *const ruby_names[] = {
    "file", "io", "dir", "kernel", "open3", "process", "object", "class", "module",
};

/* Role bits: which of the lists above a word is on, in one lookup. */
enum {
	R_EXEC = 1u << 0,
	R_CALL = 1u << 1,
	R_GLOBAL = 1u << 2,
	R_STMT = 1u << 3,
	R_RUBY = 1u << 4,
};

static struct kw_table ssti_kw;
static struct kw_entry ssti_entries[KW_SLOTS / 2];
static size_t ssti_nentries;

static void ssti_add(const char *const *list, size_t count, uint32_t roles)
{
	for (size_t k = 0; k < count && ssti_nentries < COUNT(ssti_entries); k++)
		ssti_entries[ssti_nentries++] = (struct kw_entry){list[k], roles};
}

/* Built once before main(), as charmask.c builds its table. */
static void __attribute__((constructor)) ssti_kw_init(void)
{
	ssti_add(exec_names, COUNT(exec_names), R_EXEC);
	ssti_add(call_names, COUNT(call_names), R_CALL);
	ssti_add(global_names, COUNT(global_names), R_GLOBAL);
	ssti_add(stmt_names, COUNT(stmt_names), R_STMT);
	ssti_add(ruby_names, COUNT(ruby_names), R_RUBY);
	kw_build(&ssti_kw, ssti_entries, ssti_nentries);
}

struct expr_scan {
	int dunder, exec, call, global, filter, backtick, stmt, dotted_class, nested;
	int private_attr, calls_or_index;
	int numbers, ops, others, idents;
	int minus; /* operators that are '-' */
};

/* Only whitespace and whitespace-control markers ({{- x -}}, {%~ %}) left? */
static int trim_only(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_space((unsigned char)s[i]) && s[i] != '-' && s[i] != '~' && s[i] != '+')
			return 0;
	return 1;
}

/* Dunder names that walk from an object to the interpreter's internals. */
static const char *const walk_names[] = {
    "__class__",        "__mro__",      "__base__",    "__bases__",  "__subclasses__",
    "__globals__",      "__builtins__", "__init__",    "__import__", "__dict__",
    "__getattribute__", "__reduce__",   "__self__",    "__func__",   "__code__",
    "__loader__",       "__spec__",     "__getitem__", "__call__",   "__module__",
};

/* Judges one expression s[0..n) found in grammar ctx. */
static enum ssti_level judge(const char *s, size_t n, enum ssti_ctx ctx)
{
	struct expr_scan x = {0};
	size_t i = 0;
	int first_ident = 1;
	while (i < n) {
		int c = (unsigned char)s[i];
		if (ch_ident_start(c)) {
			size_t b = i;
			while (i < n && ch_ident_char((unsigned char)s[i]))
				i++;
			const char *w = s + b;
			size_t wl = i - b;
			size_t j = i;
			while (j < n && (s[j] == ' ' || s[j] == '\t'))
				j++;
			int next = j < n ? (unsigned char)s[j] : 0;
			if (n - j <= 3 && trim_only(s + j, n - j)) /* {{- config -}} */
				next = 0;
			x.idents++;
			if (wl >= 5 && w[0] == '_' && w[1] == '_' && w[wl - 1] == '_' &&
			    w[wl - 2] == '_' &&
			    (ctx != CTX_SINGLE || ident_in(w, wl, walk_names, COUNT(walk_names))))
				x.dunder =
				    1; /* in single braces only a walk: C{__all__} is markup */
			else if (wl >= 5 && w[0] == '_' && w[1] == '_' &&
			         ident_is(w, wl, "__import__"))
				x.exec = 1;
			uint32_t roles = kw_roles(&ssti_kw, ssti_entries, w, wl);
			if (roles & R_EXEC)
				x.exec = 1;
			/* a string that names a primitive: filter('system'),
			 * registerUndefinedFilterCallback("exec") */
			if (b > 0 && i < n && (s[b - 1] == '\'' || s[b - 1] == '"') &&
			    s[i] == s[b - 1] && (roles & R_CALL))
				x.exec = 1;
			if ((roles & R_CALL) &&
			    (next == '(' ||
			     (j > i && (next == '\'' || next == '"' || next == '`'))))
				x.call = 1;
			if (wl == 1 && w[0] == 'T' && next == '(') /* SpEL type reference */
				x.exec = 1;
			/* config.items(), self|attr, request['x']; bare only for the
			 * two classic probes {{config}} and {{self}} */
			if (first_ident && (roles & R_GLOBAL) &&
			    (next == '.' || next == '|' || next == '[' || next == '(' ||
			     (next == 0 && (ident_is(w, wl, "config") || ident_is(w, wl, "self")))))
				x.global = 1;
			if (b > 0 && s[b - 1] == '.' && w[0] == '_')
				x.private_attr = 1; /* self._TemplateReference__context */
			if (first_ident && (roles & R_STMT) &&
			    (next == 0 || j > i || next == '(' || next == '$'))
				x.stmt = 1;
			if ((roles & R_RUBY) && w[0] >= 'A' && w[0] <= 'Z' && next == '.')
				x.dotted_class = 1;
			if (ident_is(w, wl, "class") && next == '.' && b > 0 && s[b - 1] == '.')
				x.exec = 1; /* ''.class.forName, $x.class.inspect */
			first_ident = 0;
			continue;
		}
		if (ch_is_digit(c)) {
			while (i < n && (ch_is_digit((unsigned char)s[i]) || s[i] == '.'))
				i++;
			x.numbers++;
			first_ident = 0;
			continue;
		}
		if (c == '(' || c == '[' || c == '|')
			x.calls_or_index = 1;
		if (c == '|') {
			size_t j = i + 1;
			while (j < n && is_space((unsigned char)s[j]))
				j++;
			size_t k = j;
			while (k < n && ch_ident_char((unsigned char)s[k]))
				k++;
			static const char *const filters[] = {"attr", "map", "filter", "reduce",
			                                      "sort"};
			if (k < n && s[k] == '(' && ident_in(s + j, k - j, filters, COUNT(filters)))
				x.filter = 1;
		} else if (c == '?' && i + 4 <= n &&
		           (ident_is(s + i + 1, 3, "new") || ident_is(s + i + 1, 3, "api"))) {
			x.exec = 1; /* Freemarker ?new() / ?api */
		} else if (c == '`' || (c == '%' && i + 2 < n && s[i + 1] == 'x' &&
		                        (s[i + 2] == '(' || s[i + 2] == '{' || s[i + 2] == '['))) {
			x.backtick = 1; /* Ruby `cmd` and %x(cmd) */
		} else if ((c == '<' || c == '{' || c == '$' || c == '#') && i + 1 < n &&
		           (s[i + 1] == '%' || (c != '<' && s[i + 1] == '{'))) {
			x.nested = 1; /* another engine's delimiter inside: a polyglot probe */
		} else if (c == '\\' && i + 3 < n && s[i + 1] == 'x' && s[i + 2] == '5' &&
		           (s[i + 3] == 'f' || s[i + 3] == 'F')) {
			x.dunder = 1; /* '\x5f\x5fclass\x5f\x5f' */
		} else if (c == '*' || c == '/' || c == '+' || c == '-' || c == '%') {
			x.ops++;
			x.minus += c == '-';
		} else if (!is_space(c) && c != '\'' && c != '"' && c != '(' && c != ')' &&
		           c != '{' && c != '}' && c != '=' && c != ':') {
			x.others++;
		}
		/* leading punctuation ({{- x}}, <%= x %>, {{#with}}) keeps the next
		 * word first */
		first_ident = first_ident && (is_space(c) || strchr("{(-=#~", c));
		i++;
	}
	if (x.dunder)
		return SSTI_DUNDER;
	if (ctx == CTX_CHAIN) /* bare $a.b(): only unmistakable primitives */
		return x.exec ? SSTI_EXEC : SSTI_NONE;
	if (x.exec || x.call)
		return SSTI_EXEC;
	if (x.backtick && (ctx == CTX_ERB_OUT || ctx == CTX_STMT || ctx == CTX_DOLLAR))
		return SSTI_EXEC;
	if (x.dotted_class && (ctx == CTX_ERB_OUT || ctx == CTX_STMT))
		return SSTI_EXEC;
	if (x.filter)
		return SSTI_FILTER;
	if (x.nested && x.idents == 0 && ctx != CTX_CHAIN && ctx != CTX_SINGLE)
		return SSTI_PROBE;
	/* 7*7, 7*'7', 1337 * 1337: numbers and operators only; numbers
	 * joined by dashes alone are a date or an identifier
	 * (@(2000-02-29), {12345678-1234-5678-1234-567812345678}) */
	if (x.numbers >= 2 && x.ops >= 1 && x.idents == 0 && x.others == 0 && ctx != CTX_CHAIN &&
	    !(x.minus == x.ops && x.minus >= 2))
		return SSTI_PROBE;
	/* {{config}}, config.items(), request['x'], self._private: probing;
	 * {{ config.site_name }}: reading, a weak signal on its own */
	if (x.global && (ctx == CTX_CURLY2 || ctx == CTX_STMT))
		return x.calls_or_index || x.private_attr || x.idents == 1 ? SSTI_GLOBALS
		                                                           : SSTI_GLOBAL_READ;
	if (x.stmt && ctx == CTX_STMT)
		return SSTI_STATEMENT;
	return SSTI_NONE;
}

/* Position of the next occurrence of the closer at or after i, cached in
 * *next so that repeated openers do not rescan: amortised linear. */
static size_t next_closer(const char *s, size_t n, size_t i, const char *closer, size_t *next)
{
	if (*next != (size_t)-1 && *next >= i)
		return *next;
	size_t k = strlen(closer);
	size_t j = i;
	for (; j + k <= n; j++)
		if (s[j] == closer[0] && memcmp(s + j, closer, k) == 0)
			break;
	*next = j + k <= n ? j : n;
	return *next;
}

/* One pass for one delimiter pair: judges every opener..closer span. */
static void pass(const char *s, size_t n, const char *open, const char *close, enum ssti_ctx ctx,
                 struct ssti_best *best)
{
	size_t ol = strlen(open), cl = strlen(close), cache = (size_t)-1;
	size_t i = 0;
	while (i + ol <= n) {
		const char *p = memchr(s + i, open[0], n - i - ol + 1);
		if (!p)
			return;
		i = (size_t)(p - s);
		if (memcmp(s + i, open, ol) != 0) {
			i++;
			continue;
		}
		size_t b = i + ol;
		size_t e = next_closer(s, n, b, close, &cache);
		if (e >= n || e - b > SSTI_MAX_EXPR) {
			i += ol;
			continue;
		}
		enum ssti_ctx c = ctx;
		size_t cb = b;
		if (ctx == CTX_STMT && open[0] == '<' && b < n) {
			/* <%= prints, <%- prints unescaped, <%# is a comment, <%@ a JSP directive
			 */
			if (s[b] == '#') {
				i = e + cl;
				continue;
			}
			if (s[b] == '=' || s[b] == '-') {
				c = CTX_ERB_OUT;
				cb++;
			} else if (s[b] == '@' || s[b] == '!') {
				note(best, SSTI_EXEC, i, e + cl);
			}
		}
		enum ssti_level l = judge(s + cb, e - cb, c);
		/* Thymeleaf preprocessing: __${...}__ */
		if (l < SSTI_FILTER && open[0] == '$' && i >= 2 && s[i - 1] == '_' &&
		    s[i - 2] == '_' && e + cl + 1 < n && s[e + cl] == '_' && s[e + cl + 1] == '_')
			l = SSTI_FILTER;
		note(best, l, i, e + cl);
		i = e + cl;
	}
}

/* Freemarker directives <#assign ...>, <#if ...>; Velocity #set(...) and
 * #foreach(...): statements in data, or worse by their content. */
static void directive_pass(const char *s, size_t n, const char *open, char close,
                           struct ssti_best *best)
{
	size_t ol = strlen(open), cache = (size_t)-1;
	char cs[2] = {close, 0};
	for (size_t i = 0; i + ol < n;) {
		const char *p = memchr(s + i, open[0], n - i - ol);
		if (!p)
			return;
		i = (size_t)(p - s);
		int after = (unsigned char)s[i + ol];
		if (memcmp(s + i, open, ol) != 0 ||
		    !(ch_ident_start(after) || after == '(' || after == ' ')) {
			i++;
			continue;
		}
		size_t e = next_closer(s, n, i + ol, cs, &cache);
		if (e - i > SSTI_MAX_EXPR) {
			i += ol;
			continue;
		}
		enum ssti_level l = judge(s + i + ol, e - i - ol, CTX_STMT);
		if (open[1] == 's' || open[1] == 'f') /* #set( / #foreach( are statements */
			l = l > SSTI_STATEMENT ? l : SSTI_STATEMENT;
		note(best, l, i, e < n ? e + 1 : n);
		i = e < n ? e + 1 : n;
	}
}

/* Velocity and Razor without delimiters: $class.inspect(...).getRuntime(),
 * @System.Diagnostics.Process.Start(...).
 * From "$name." to the first space outside parentheses and quotes. */
static void chain_pass(const char *s, size_t n, struct ssti_best *best)
{
	for (size_t i = 0; i + 2 < n; i++) {
		if ((s[i] != '$' && s[i] != '@') || !ch_ident_start((unsigned char)s[i + 1]))
			continue;
		size_t j = i + 1, depth = 0;
		int dots = 0;
		char q = 0;
		while (j < n && j - i < 512) {
			char c = s[j];
			if (q) {
				if (c == q)
					q = 0;
			} else if (c == '\'' || c == '"') {
				q = c;
			} else if (c == '(') {
				depth++;
			} else if (c == ')') {
				if (depth == 0)
					break;
				depth--;
			} else if (c == '.') {
				dots++;
			} else if (depth == 0 && !ch_ident_char((unsigned char)c)) {
				break;
			}
			j++;
		}
		if (dots) {
			enum ssti_level l = judge(s + i + 1, j - i - 1, CTX_CHAIN);
			if (j - i > 7 && ident_is(s + i + 1, 6, "class.")) /* $class.inspect */
				l = SSTI_EXEC;
			if (l >= SSTI_EXEC)
				note(best, l, i, j);
		}
		i = j > i ? j - 1 : i;
	}
}

/* Smarty single braces: {php}, {$smarty.version}, {system('id')},
 * {Smarty_Internal_Write_File::writeFile(...)}. */
static void smarty_pass(const char *s, size_t n, struct ssti_best *best)
{
	for (size_t i = 0; i + 2 < n; i++) {
		const char *brace = memchr(s + i, '{', n - i - 2);
		if (!brace)
			return;
		i = (size_t)(brace - s);
		if ((i > 0 && (s[i - 1] == '{' || s[i - 1] == '$' || s[i - 1] == '#')) ||
		    s[i + 1] == '{' || s[i + 1] == '%')
			continue;
		size_t b = i + 1, e = b;
		while (e < n && e - b < 256 && s[e] != '}' && s[e] != '{')
			e++;
		if (e >= n || s[e] != '}') {
			i = e > i ? e - 1 : i;
			continue;
		}
		size_t len = e - b;
		if ((len == 3 && ident_is(s + b, 3, "php")) ||
		    (len > 8 && s[b] == '$' && ident_is(s + b + 1, 7, "smarty.")) ||
		    (len > 7 && ident_is(s + b, 7, "smarty_"))) {
			note(best, SSTI_EXEC, i, e + 1);
		} else if (ch_ident_start((unsigned char)s[b]) || s[b] == '$') {
			enum ssti_level l = judge(s + b, len, CTX_SINGLE);
			if (l >= SSTI_EXEC)
				note(best, l, i, e + 1);
		} else if (ch_is_digit((unsigned char)s[b]) &&
		           !(i > 0 && ch_ident_char((unsigned char)s[i - 1]))) {
			/* W{0-6}: a brace glued to a word is a notation's */
			enum ssti_level l = judge(s + b, len, CTX_SINGLE);
			if (l == SSTI_PROBE)
				note(best, l, i, e + 1);
		}
		i = e;
	}
}

/* Server-side includes (<!--#exec cmd=...-->) and Edge Side Includes
 * (<esi:include src=...>): directives the web server or CDN executes. */
static void include_pass(const char *s, size_t n, struct ssti_best *best)
{
	static const char *const strong[] = {"exec", "include", "printenv"};
	static const char *const weak[] = {"echo", "config", "set",  "fsize", "flastmod",
	                                   "if",   "elif",   "else", "endif"};
	for (size_t i = 0; i + 5 < n; i++) {
		const char *lt = memchr(s + i, '<', n - i - 5);
		if (!lt)
			return;
		i = (size_t)(lt - s);
		size_t b;
		int esi = 0;
		if (memcmp(s + i + 1, "!--#", 4) == 0) {
			b = i + 5;
		} else if (ident_is(s + i + 1, 4, "esi:")) {
			b = i + 5;
			esi = 1;
		} else {
			continue;
		}
		size_t e = b;
		while (e < n && e - b < 16 && ch_ident_char((unsigned char)s[e]))
			e++;
		if (e == b)
			continue;
		if (esi || ident_in(s + b, e - b, strong, COUNT(strong)))
			note(best,
			     esi && !ident_is(s + b, e - b, "include") ? SSTI_GLOBALS : SSTI_EXEC,
			     i, e);
		else if (ident_in(s + b, e - b, weak, COUNT(weak)) && e < n &&
		         is_space((unsigned char)s[e]))
			note(best, SSTI_GLOBALS, i, e);
		i = e - 1;
	}
}

static void scan(const char *s, size_t n, uint32_t m, struct ssti_best *best)
{
	if (m & POL_CH_LT)
		include_pass(s, n, best);
	if (m & POL_CH_LBRACE) {
		pass(s, n, "{{", "}}", CTX_CURLY2, best);
		pass(s, n, "{%", "%}", CTX_STMT, best);
		if (m & POL_CH_DOLLAR)
			pass(s, n, "${", "}", CTX_DOLLAR, best);
		if (m & POL_CH_HASH)
			pass(s, n, "#{", "}", CTX_DOLLAR, best);
		if (m & POL_CH_STAR)
			pass(s, n, "*{", "}", CTX_DOLLAR, best);
		if (m & POL_CH_AT)
			pass(s, n, "@{", "}", CTX_DOLLAR, best);
		smarty_pass(s, n, best);
	}
	if ((m & (POL_CH_LT | POL_CH_PERCENT)) == (POL_CH_LT | POL_CH_PERCENT))
		pass(s, n, "<%", "%>", CTX_STMT, best);
	if (m & POL_CH_AT)
		pass(s, n, "@(", ")", CTX_DOLLAR, best);
	if ((m & (POL_CH_LT | POL_CH_HASH)) == (POL_CH_LT | POL_CH_HASH))
		directive_pass(s, n, "<#", '>', best);
	if ((m & (POL_CH_HASH | POL_CH_PAREN)) == (POL_CH_HASH | POL_CH_PAREN)) {
		directive_pass(s, n, "#set", ')', best);
		directive_pass(s, n, "#foreach", ')', best);
	}
	if (m & (POL_CH_DOLLAR | POL_CH_AT))
		chain_pass(s, n, best);
}

#define SSTI_WINDOW  4096 /* stack scratch for entity-decoded text */
#define SSTI_OVERLAP 512  /* windows overlap so that no expression is cut */

static const struct {
	const char *name;
	char c;
} ssti_entities[] = {
    {"lbrace;", '{'}, {"rbrace;", '}'}, {"lcub;", '{'}, {"rcub;", '}'}, {"percnt;", '%'},
    {"dollar;", '$'}, {"num;", '#'},    {"lt;", '<'},   {"gt;", '>'},   {"quot;", '"'},
    {"apos;", '\''},  {"amp;", '&'},    {"ast;", '*'},  {"lpar;", '('}, {"rpar;", ')'},
};

/* Decodes one character reference at s[i] == '&' into *c; returns its
 * length, or 0 when it is not one we decode. */
static size_t entity_at(const char *s, size_t n, size_t i, char *c)
{
	if (i + 3 < n && s[i + 1] == '#') {
		size_t j = i + 2;
		unsigned v = 0, digits = 0, hex = j < n && (s[j] == 'x' || s[j] == 'X');
		j += hex;
		for (; j < n && digits < 7; j++, digits++) {
			int ch = ch_lower((unsigned char)s[j]);
			int d = ch_is_digit(ch)                 ? ch - '0'
			        : hex && ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			                                        : -1;
			if (d < 0)
				break;
			v = v * (hex ? 16 : 10) + (unsigned)d;
		}
		if (!digits || v == 0 || v >= 0x80)
			return 0;
		*c = (char)v;
		return j < n && s[j] == ';' ? j + 1 - i : j - i;
	}
	for (size_t e = 0; e < COUNT(ssti_entities); e++) {
		size_t k = strlen(ssti_entities[e].name);
		if (i + 1 + k <= n && memcmp(s + i + 1, ssti_entities[e].name, k) == 0) {
			*c = ssti_entities[e].c;
			return k + 1;
		}
	}
	return 0;
}

/* Template code inside XML or HTML attributes arrives entity-encoded
 * (&#x7B;&#x7B;7*7&#x7D;&#x7D;) and is decoded by the parser before the
 * template engine sees it. Decode in overlapping windows of a fixed stack
 * buffer and scan each; a finding spans its window in the original. */
static void scan_decoded(const char *s, size_t n, struct ssti_best *best)
{
	char buf[SSTI_WINDOW];
	size_t start = 0;
	while (start < n && best->level < SSTI_DUNDER) {
		size_t i = start, o = 0;
		int decoded = 0;
		while (i < n && o < sizeof(buf)) {
			char c;
			size_t k = s[i] == '&' ? entity_at(s, n, i, &c) : 0;
			if (k) {
				buf[o++] = c;
				i += k;
				decoded = 1;
			} else {
				buf[o++] = s[i++];
			}
		}
		if (decoded) {
			struct ssti_best w = {SSTI_NONE, 0, 0};
			scan(buf, o, pol_charmask(buf, o), &w);
			note(best, w.level, start, i);
		}
		if (i >= n)
			break;
		start = i - start > SSTI_OVERLAP ? i - SSTI_OVERLAP : i;
	}
}

int pol_detect_ssti(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit)
{
	uint32_t m = ctx->chars;
	if (!(m &
	      (POL_CH_LBRACE | POL_CH_LT | POL_CH_AT | POL_CH_DOLLAR | POL_CH_HASH | POL_CH_AMP)))
		return 0;
	struct ssti_best best = {SSTI_NONE, 0, 0};
	scan(s, n, m, &best);
	if ((m & POL_CH_AMP) && best.level < SSTI_EXEC)
		scan_decoded(s, n, &best);
	if (best.level == SSTI_NONE)
		return 0;
	hit->rule = ssti_rules[best.level].rule;
	hit->category = POL_CAT_SSTI;
	hit->severity = ssti_rules[best.level].sev;
	hit->confidence = ssti_rules[best.level].conf;
	hit->off = (uint32_t)best.off;
	hit->len = (uint32_t)((best.end > n ? n : best.end) - best.off);
	return 1;
}
