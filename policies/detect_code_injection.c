/* Detector: code_injection (Node, Python, PHP, Ruby, Perl and Java code
 * where data is expected).
 *
 * Code is recognised by the grammar of calling something dangerous, not by
 * keywords: a name from the execution families (system, exec, eval,
 * popen, execSync, getRuntime, __import__, base64_decode ...) followed,
 * across blanks and comments, by "(" and an argument that looks like code
 * (a string, a variable, another call, nothing at all), as in
 * "';require('child_process').exec('id')//". Beside calls, the constructs
 * no prose contains: PHP tags, superglobals, variable functions and stream
 * wrappers; Python object-model walks (().__class__.__bases__[0]...) and
 * imports of os/subprocess; Node's process.mainModule, global.process and
 * constructor.constructor; Perl @{[ ]} and qx//; Java's java.lang.Runtime.
 *
 * One pass over the input; the lookahead after a dangerous name is capped
 * at CI_LOOKAHEAD bytes, so the cost is linear.
 */
#include <string.h>

#include "detect.h"
#include "detect_chars.h"
#include "detect_code_injection_kw.h"
#include "detect_prose.h"

#define CI_LOOKAHEAD 256 /* blanks and comments skipped between a name and "(" */

enum ci_kind {
	CI_NONE,
	CI_NODE_ENV,    /* process.env: reading configuration, weak */
	CI_PLAIN_CALL,  /* the whole value is a call of a plain name: print("hi"), weak */
	CI_WHOLE_CALL,  /* the whole value is a call of an API name: curl_init(), chr(123) */
	CI_JAVA_NAMES,  /* java.* and Runtime/ProcessBuilder together */
	CI_PHP_UPLOAD,  /* filename="shell.php" in a multipart part */
	CI_PHP_NAME,    /* the whole value or key is a PHP-only dangerous builtin: Shell_exec */
	CI_PHP_INI,     /* auto_prepend_file=..., opcache.jit=...: a php.ini directive */
	CI_OBFUSCATION, /* chr(112).chr(104), String.fromCharCode, base64_decode(...) */
	CI_FILLER_CALL, /* a comment between a name and its "(" */
	CI_PHP_VAR,     /* superglobals, variable variables */
	CI_PHP_WRAPPER, /* php://input, phar://, expect:// */
	CI_BARE_CALL,   /* system 'id' (Perl/Ruby call without parentheses) */
	CI_STRING_CALL, /* "sys"."tem"('id'), (system)('id') */
	CI_VAR_CALL,    /* $f(...), $_GET['a']($_GET['b']) */
	CI_PERL,        /* @{[ ... ]}, qx{...}, %x(...) */
	CI_IMPORT,      /* import os / from subprocess import ... */
	CI_JAVA,        /* java.lang.Runtime, ProcessBuilder, getRuntime() */
	CI_PHP_TAG,     /* <?php, <?= */
	CI_NODE,        /* process.mainModule, constructor.constructor, require('child_process') */
	CI_PY_WALK,     /* __class__.__bases__[0].__subclasses__() */
	CI_CALL,        /* system('id'), eval($x), execSync('id') */
};

static const struct {
	const char *rule;
	enum pol_severity sev;
	uint8_t conf;
} ci_rules[] = {
    [CI_NONE] = {NULL, POL_SEV_INFO, 0},
    [CI_NODE_ENV] = {"code_injection.node_env", POL_SEV_MEDIUM, 60},
    [CI_PLAIN_CALL] = {"code_injection.whole_call", POL_SEV_MEDIUM, 40},
    [CI_WHOLE_CALL] = {"code_injection.whole_call", POL_SEV_HIGH, 60},
    [CI_JAVA_NAMES] = {"code_injection.java_names", POL_SEV_MEDIUM, 70},
    [CI_PHP_UPLOAD] = {"code_injection.php_upload", POL_SEV_HIGH, 70},
    [CI_PHP_NAME] = {"code_injection.php_function_name", POL_SEV_HIGH, 65},
    [CI_PHP_INI] = {"code_injection.php_ini", POL_SEV_HIGH, 70},
    [CI_OBFUSCATION] = {"code_injection.obfuscation", POL_SEV_HIGH, 80},
    [CI_FILLER_CALL] = {"code_injection.commented_call", POL_SEV_HIGH, 85},
    [CI_PHP_VAR] = {"code_injection.php_variable", POL_SEV_HIGH, 80},
    [CI_PHP_WRAPPER] = {"code_injection.php_wrapper", POL_SEV_HIGH, 85},
    [CI_BARE_CALL] = {"code_injection.bare_call", POL_SEV_HIGH, 80},
    [CI_STRING_CALL] = {"code_injection.string_call", POL_SEV_HIGH, 85},
    [CI_VAR_CALL] = {"code_injection.variable_call", POL_SEV_HIGH, 85},
    [CI_PERL] = {"code_injection.perl_ruby_exec", POL_SEV_HIGH, 88},
    [CI_IMPORT] = {"code_injection.python_import", POL_SEV_HIGH, 88},
    [CI_JAVA] = {"code_injection.java_runtime", POL_SEV_CRITICAL, 90},
    [CI_PHP_TAG] = {"code_injection.php_tag", POL_SEV_CRITICAL, 90},
    [CI_NODE] = {"code_injection.node_runtime", POL_SEV_CRITICAL, 95},
    [CI_PY_WALK] = {"code_injection.python_object_walk", POL_SEV_CRITICAL, 95},
    [CI_CALL] = {"code_injection.call", POL_SEV_CRITICAL, 93},
};

struct ci_scan {
	const char *s;
	size_t n;
	enum ci_kind best;
	size_t off, end;
	int dunders;      /* Python object-model attributes seen */
	size_t last_exec; /* end of the last execution-family name, or 0 */
	int runtime_word; /* child_process / getRuntime seen: method calls are real */
	int prose;        /* the value reads as a sentence (detect_prose.h); -1: not asked yet */
	int runtime_text; /* child_process / getRuntime anywhere in s; -1: not looked for yet */
};

/* Are command-running receivers named in the input? Looked for only when
 * a method call asks (getRuntime only where it ends three bytes before the
 * input does, as the first pass always looked). */
static int runtime_named(struct ci_scan *x)
{
	if (x->runtime_word)
		return 1;
	if (x->runtime_text < 0)
		x->runtime_text = x->n >= 13 && (memmem(x->s, x->n, "child_process", 13) ||
		                                 memmem(x->s, x->n - 3, "getRuntime", 10));
	return x->runtime_text;
}

static void note(struct ci_scan *x, enum ci_kind k, size_t off, size_t end)
{
	if (k > x->best) {
		x->best = k;
		x->off = off;
		x->end = end > x->n ? x->n : end;
	}
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Case-insensitive: does s[i..) start with the lowercase w? */
static int at(const struct ci_scan *x, size_t i, const char *w)
{
	size_t k = strlen(w);
	if (i > x->n || x->n - i < k)
		return 0;
	for (size_t j = 0; j < k; j++)
		if (ch_lower((unsigned char)x->s[i + j]) != w[j])
			return 0;
	return 1;
}

static int word_is(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);
	if (n != k)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (ch_lower((unsigned char)s[i]) != w[i])
			return 0;
	return 1;
}

/* Skips blanks and comments (C, C++, shell/PHP/Python) from i, looking at
 * most CI_LOOKAHEAD bytes; PHP and JS allow them between a name and "(". */
static size_t skip_filler(const struct ci_scan *x, size_t i)
{
	size_t lim = i + CI_LOOKAHEAD < x->n ? i + CI_LOOKAHEAD : x->n;
	while (i < lim) {
		char c = x->s[i];
		if (is_space((unsigned char)c)) {
			i++;
		} else if (c == '/' && i + 1 < lim && x->s[i + 1] == '*') {
			size_t j = i + 2;
			while (j + 1 < lim && !(x->s[j] == '*' && x->s[j + 1] == '/'))
				j++;
			i = j + 2;
		} else if ((c == '/' && i + 1 < lim && x->s[i + 1] == '/') || c == '#') {
			while (i < lim && x->s[i] != '\n')
				i++;
		} else {
			break;
		}
	}
	return i < x->n ? i : x->n;
}

/* Names that run code or commands when called. */
static const char *const exec_names[] = {
    "system",
    "exec",
    "shell_exec",
    "passthru",
    "popen",
    "proc_open",
    "pcntl_exec",
    "eval",
    "assert",
    "create_function",
    "execsync",
    "spawnsync",
    "spawn",
    "execfile",
    "execfilesync",
    "__import__",
    "getruntime",
    "call_user_func",
    "call_user_func_array",
    "preg_replace",
    "include",
    "include_once",
    "require_once",
    "file_put_contents",
    "fsockopen",
    "pfsockopen",
    "check_output",
    "check_call",
    "getoutput",
    "getstatusoutput",
    "instance_eval",
    "class_eval",
    "module_eval",
    "syscall",
    "array_map",
    "usort",
    "register_shutdown_function",
    "register_tick_function",
    "_load",
    "runinthiscontext",
    "runinnewcontext",
    "compile",
    "execv",
    "execve",
    "execl",
    "execlp",
    "spawnv",
    "posix_spawn",
    "startfile",
    "capture2",
    "capture3",
    "popen2",
    "popen3",
    "readpipe",
    "dlopen",
    "loadlibrary",
    "ob_start",
    "mb_ereg_replace",
    "array_filter",
    "uasort",
    "uksort",
    "array_walk",
    "unserialize",
};

/* Calls that hide or fetch code rather than run it. */
static const char *const obf_names[] = {
    "base64_decode",
    "gzinflate",
    "gzuncompress",
    "gzdecode",
    "str_rot13",
    "bzdecompress",
    "hex2bin",
    "fromcharcode",
    "atob",
    "phpinfo",
    "readfile",
    "file_get_contents",
    "show_source",
    "highlight_file",
    "convert_uudecode",
    "getattr",
    "globals",
    "locals",
    "fopen",
    "fwrite",
    "copy",
    "move_uploaded_file",
    "curl_exec",
    "stream_get_contents",
    "symlink",
    "chmod",
    "chroot",
    "mail",
    "putenv",
    "ini_set",
    "set_time_limit",
    "settimeout",
    "setinterval",
    "fromhex",
    "b64decode",
    "decompress",
    "loads",
};

/* PHP builtins that run, fetch or unpack code and that no other language,
 * no English word and no ordinary field name spells: named alone as a
 * value or a key, they are a variable function's name on its way to
 * $_GET['f']($_GET['a']) or call_user_func($name, ...). */
static const char *const php_only_names[] = {
    "shell_exec",
    "passthru",
    "proc_open",
    "pcntl_exec",
    "create_function",
    "call_user_func",
    "call_user_func_array",
    "base64_decode",
    "gzinflate",
    "gzuncompress",
    "gzdecode",
    "bzdecompress",
    "str_rot13",
    "convert_uudecode",
    "fsockopen",
    "pfsockopen",
    "show_source",
    "highlight_file",
    "move_uploaded_file",
    "file_put_contents",
    "file_get_contents",
    "register_shutdown_function",
    "register_tick_function",
    "assert_options",
    "zlib_decode",
    "preg_replace_callback",
    "forward_static_call",
    "forward_static_call_array",
    "get_defined_vars",
    "ini_set",
    "phpinfo",
};

/* PHP builtins that no English word and no ordinary field name spells
 * (string, number, file and host functions): a whole value that calls one
 * (strrev( ), intval(foo), filegroup  (x)) is a probe of a code injection
 * point. Judged only by whole_call(), from a table of their own, so that
 * the scan of long texts pays nothing for them. */
static const char *const php_builtins[] = {
    "strlen",       "strrev",       "substr",       "strpos",
    "stripos",      "strrpos",      "strripos",     "strstr",
    "stristr",      "strrchr",      "strtr",        "strtolower",
    "strtoupper",   "strcmp",       "strcasecmp",   "strncmp",
    "strncasecmp",  "strnatcmp",    "strval",       "intval",
    "floatval",     "boolval",      "settype",      "gettype",
    "sprintf",      "printf",       "vsprintf",     "vprintf",
    "fprintf",      "sscanf",       "ucfirst",      "ucwords",
    "lcfirst",      "nl2br",        "addslashes",   "stripslashes",
    "implode",      "explode",      "urlencode",    "urldecode",
    "rawurlencode", "rawurldecode", "bin2hex",      "dechex",
    "hexdec",       "decbin",       "bindec",       "decoct",
    "octdec",       "crc32",        "md5",          "sha1",
    "crypt",        "unpack",       "serialize",    "var_dump",
    "print_r",      "var_export",   "fread",        "fgets",
    "fgetc",        "fputs",        "fscanf",       "fseek",
    "ftell",        "feof",         "fclose",       "fflush",
    "filegroup",    "fileowner",    "fileperms",    "fileinode",
    "filesize",     "filetype",     "fileatime",    "filemtime",
    "filectime",    "readdir",      "opendir",      "scandir",
    "closedir",     "mkdir",        "rmdir",        "unlink",
    "chown",        "chgrp",        "lchown",       "tempnam",
    "tmpfile",      "realpath",     "basename",     "dirname",
    "getcwd",       "chdir",        "getenv",       "gethostbyname",
    "gethostname",  "getmypid",     "getmyuid",     "getlastmod",
    "phpversion",   "phpcredits",   "htmlentities", "htmlspecialchars",
    "array_diff",   "in_array",     "is_numeric",   "ctype_digit",
};

/* Modules whose import means reaching the system. */
static const char *const danger_modules[] = {
    "os",       "subprocess", "pty",           "socket",
    "commands", "ctypes",     "builtins",      "importlib",
    "posix",    "nt",         "child_process", "shutil",
    "sys",      "pickle",     "marshal",       "multiprocessing",
    "platform", "code",       "runpy",         "fs",
    "vm",       "net",        "http",          "worker_threads",
    "process",
};

/* Role bits of the keyword table: which lists a word is on. */
enum {
	R_EXEC = 1u << 0,     /* exec_names */
	R_OBF = 1u << 1,      /* obf_names */
	R_MODULE = 1u << 2,   /* danger_modules */
	R_RECEIVER = 1u << 3, /* exec_receivers */
	R_DUNDER = 1u << 4,   /* dunders */
	R_RUNNER = 1u << 5,   /* runner_modules */
	R_SPECIAL = 1u << 6,  /* special_words: judged one by one in identifier() */
	R_PHPNAME = 1u << 7,  /* php_only_names */
};

static struct kw_table ci_kw;
static struct kw_entry ci_entries[KW_SLOTS / 2];
static size_t ci_nentries;
static struct kw_table ci_fn_kw; /* php_builtins, for whole_call() alone */
static struct kw_entry ci_fn_entries[COUNT(php_builtins)];

/* For each (first byte, second byte) of the table's words, lower-cased,
 * the lengths they come in, one bit each: a word whose bit is clear is on
 * no list, told without hashing it (most words of most inputs). Bytes are
 * folded to 40 slots: a-z, 0-9, _ and "other" (a one-letter word's second
 * byte, and any byte no word holds). */
static uint8_t ci_fold[256];
static uint64_t ci_lengths[40][40];
static uint8_t php_tail[40][40]; /* last two bytes of php_only_names with '_' */

static inline int shape_listed(const char *s, size_t n)
{
	if (n == 0 || n > KW_MAX_WORD)
		return 0;
	int a = ci_fold[(unsigned char)s[0]], b = n > 1 ? ci_fold[(unsigned char)s[1]] : 39;
	return (int)(ci_lengths[a][b] >> n) & 1;
}

static uint32_t roles_of(const char *s, size_t n)
{
	return shape_listed(s, n) ? kw_roles(&ci_kw, ci_entries, s, n) : 0;
}

/* Byte classes of the scan, in one table. */
enum {
	CC_IDSTART = 1u << 0, /* letters and _ */
	CC_IDCHAR = 1u << 1,  /* letters, digits and _ */
	CC_STOP = 1u << 2,    /* a byte scan_code's switch judges */
	CC_B64 = 1u << 3,     /* a base64 digit (standard or URL-safe) or = */
	CC_UPPER = 1u << 4,
	CC_LOWER = 1u << 5,
};
static uint8_t ci_class[256];

/* Does "(" before i hold a source location, as stack traces print their
 * frames: "Runtime.exec(Runtime.java:593)", "execSync
 * (node:child_process:887:15)", "(/var/task/index.js:10:3)"? A file or
 * module name without blanks or quotes, then ":line" (and ":column"). */
static int source_location(const struct ci_scan *x, size_t i)
{
	size_t k = i, colon = 0;
	for (; k < x->n && k < i + 256; k++) {
		char c = x->s[k];
		if (c == ')')
			break;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\'' || c == '"' || c == '(' ||
		    c == '$' || c == '`')
			return 0;
		if (c == ':')
			colon = k;
	}
	if (k >= x->n || x->s[k] != ')' || !colon || colon + 1 >= k || colon == i)
		return 0;
	for (size_t d = colon + 1; d < k; d++)
		if (!ch_is_digit((unsigned char)x->s[d]))
			return 0;
	return 1;
}

/* From i, a dotted name whose "(" holds a source location: a stack
 * trace's frame ("java.lang.Runtime.exec(Runtime.java:593)") names the
 * classes it passed through, it calls nothing. */
static int stack_frame(const struct ci_scan *x, size_t i)
{
	size_t k = i;
	while (k < x->n && k < i + 160 &&
	       (ch_ident_char((unsigned char)x->s[k]) || x->s[k] == '.' || x->s[k] == '$' ||
	        x->s[k] == '<' || x->s[k] == '>'))
		k++;
	if (k < x->n && x->s[k] == ' ')
		k++;
	return k < x->n && x->s[k] == '(' && source_location(x, k + 1);
}

/* Is the argument after "(" at i code-like? A string, a variable, a call,
 * an empty list, a list literal, a number followed by ")" or ",". */
static int code_arg_from(const struct ci_scan *x, size_t i, int prose_guard)
{
	if (prose_guard && source_location(x, i))
		return 0; /* a stack trace's frame, not a call */
	i = skip_filler(x, i);
	if (i >= x->n)
		return 0;
	int c = (unsigned char)x->s[i];
	if (c == '\'' || c == '"' || c == '`' || c == '$' || c == ')' || c == '[' || c == '{' ||
	    c == '@' || c == '(')
		return 1;
	if (ch_is_digit(c)) {
		size_t b = i;
		while (i < x->n && ch_is_digit((unsigned char)x->s[i]))
			i++;
		if (prose_guard && i - b == 1 && i < x->n && x->s[i] == ')')
			return 0; /* chroot(2): a manual section, not an argument */
		return i < x->n && (x->s[i] == ')' || x->s[i] == ',');
	}
	if (!ch_ident_start(c))
		return 0;
	size_t b = i;
	while (i < x->n && ch_ident_char((unsigned char)x->s[i]))
		i++;
	if (i >= x->n)
		return 0;
	/* "system(s)": an English plural, not an argument */
	if (x->s[i] == ')' && (word_is(x->s + b, i - b, "s") || word_is(x->s + b, i - b, "es")))
		return 0;
	c = (unsigned char)x->s[i];
	if (c == '(' || c == '.' || c == ')' || c == '[' || c == ',' || c == '+' ||
	    (c == '-' && i + 1 < x->n && x->s[i + 1] == '>') ||
	    (c == ':' && i + 1 < x->n && x->s[i + 1] == ':'))
		return 1;
	size_t j = skip_filler(x, i);
	return j < x->n && j > i && (x->s[j] == ')' || x->s[j] == '+' || x->s[j] == '.');
}

static int code_arg(const struct ci_scan *x, size_t i)
{
	return code_arg_from(x, i, 1);
}

static int is_prose(struct ci_scan *x)
{
	if (x->prose < 0)
		x->prose = prose_value(x->s, x->n);
	return x->prose;
}

/* "(" at p opens a call that prose names rather than makes: "the system()
 * call", "eval(input) is slow", in a value that reads as a sentence. The
 * argument is empty or one bare name, and the sentence goes on after ")".
 * A string, a variable or a nested call is code, even in prose. */
static int mentioned_call(struct ci_scan *x, size_t p)
{
	const char *s = x->s;
	size_t i = p + 1;
	while (i < x->n && i < p + 64 && ch_ident_char((unsigned char)s[i]))
		i++;
	if (i >= x->n || s[i] != ')')
		return 0;
	i++;
	if (i < x->n && !is_space((unsigned char)s[i]) && !strchr(".,;:!?'\"`", s[i]))
		return 0;
	return is_prose(x);
}

/* Method receivers that make x.exec(...) a command and not a regex. */
static const char *const exec_receivers[] = {
    "child_process", "cp",          "proc", "process", "runtime", "getruntime", "os",
    "subprocess",    "kernel",      "io",   "open3",   "shell",   "pty",        "commands",
    "ctypes",        "constructor", "main",
};

/* The name at [b, e) and the "(" at p: an aside in parentheses, as
 * prose writes one after a name ("Live system (eg. a URI)", "require
 * (much) extra storage", "User Defined Function (UDF)"), not a call? One
 * blank, then a word that goes on as a sentence does (a blank, a full
 * stop, ")" and more words), or a word alone after a capitalised name. */
static int aside(const struct ci_scan *x, size_t b, size_t e, size_t p)
{
	const char *s = x->s;
	if (p != e + 1 || s[e] != ' ' || p + 1 >= x->n || !ch_is_alpha((unsigned char)s[p + 1]))
		return 0;
	size_t w = p + 1;
	while (w < x->n && ch_ident_char((unsigned char)s[w]))
		w++;
	if (w >= x->n)
		return 0;
	int after = w + 1 < x->n ? (unsigned char)s[w + 1] : 0;
	return s[w] == ' ' || s[w] == '.' ||
	       (s[w] == ')' &&
	        (ch_is_alpha(after) ||
	         (after == ' ' && w + 2 < x->n && ch_is_alpha((unsigned char)s[w + 2])) ||
	         (ci_class[(unsigned char)s[b]] & CC_UPPER)));
}

/* name at [b, e): a dangerous callable? Judges the call that follows. */
static void name_call(struct ci_scan *x, size_t b, size_t e, int exec_class)
{
	size_t p = skip_filler(x, e);
	const char *s = x->s;
	if (aside(x, b, e, p))
		return;
	if (p < x->n && s[p] == '(' && code_arg(x, p + 1)) {
		/* integer.copy(), json.loads(data), t.copy(a, b): a method of an
		 * object in the languages whose '.' reaches one (in PHP it joins
		 * strings: '.base64_decode(' and chr(1).chr(2) still count) */
		if (!exec_class && p == e && b >= 2 && s[b - 1] == '.' &&
		    (ch_ident_char((unsigned char)s[b - 2]) ||
		     (s[b - 2] == ')' && p + 1 < x->n && s[p + 1] == ')')))
			return;
		if (!exec_class) {
			note(x, mentioned_call(x, p) ? CI_PLAIN_CALL : CI_OBFUSCATION, b, p + 1);
			return;
		}
		/* a method call: is the receiver something that runs commands? */
		/* "x.exec(" is a method; "'.exec(" is PHP concatenation */
		if (b >= 2 && s[b - 1] == '.' && !runtime_named(x) &&
		    (ch_ident_char((unsigned char)s[b - 2]) || s[b - 2] == ')' ||
		     s[b - 2] == ']')) {
			size_t r = b - 1;
			while (r > 0 && (s[r - 1] == ')' || s[r - 1] == '('))
				r--; /* getRuntime().exec */
			size_t re = r;
			while (r > 0 && ch_ident_char((unsigned char)s[r - 1]))
				r--;
			if (!(roles_of(s + r, re - r) & R_RECEIVER))
				return; /* regex.exec(input), db.exec(sql): not a command */
		}
		note(x, mentioned_call(x, p) ? CI_PLAIN_CALL : CI_CALL, b, p + 1);
		return;
	}
	/* Perl and Ruby call without parentheses: system 'id', exec "ls" */
	size_t prev = b;
	while (prev > 0 && is_space((unsigned char)s[prev - 1]))
		prev--;
	int stmt_start = prev == 0 || strchr(";{[(|&`=+./}", s[prev - 1]);
	if (exec_class && stmt_start && p > e && p < x->n && (s[p] == '\'' || s[p] == '"') &&
	    (word_is(s + b, e - b, "system") || word_is(s + b, e - b, "exec") ||
	     word_is(s + b, e - b, "eval") || word_is(s + b, e - b, "spawn")))
		note(x, CI_BARE_CALL, b, p + 1);
}

/* Modules whose every function reaches the system: subprocess.call(...),
 * Open3.popen3(...), Kernel.spawn(...). */
static const char *const runner_modules[] = {
    "subprocess", "pty", "commands", "open3", "kernel", "child_process", "posix",
};

/* Ruby's dynamic dispatch: send(:system, ...), public_send("eval", ...). */
static void ruby_send(struct ci_scan *x, size_t b, size_t e)
{
	size_t p = skip_filler(x, e);
	if (p >= x->n || x->s[p] != '(')
		return;
	size_t q = skip_filler(x, p + 1);
	if (q < x->n && (x->s[q] == ':' || x->s[q] == '\'' || x->s[q] == '"'))
		q++;
	size_t w = q;
	while (w < x->n && ch_ident_char((unsigned char)x->s[w]))
		w++;
	if ((roles_of(x->s + q, w - q) & R_EXEC))
		note(x, CI_CALL, b, w);
}

/* Perl and Ruby open with a pipe: open(F, "|cmd"), open("|cmd"). */
static void pipe_open(struct ci_scan *x, size_t b, size_t e)
{
	size_t p = skip_filler(x, e);
	if (p >= x->n || x->s[p] != '(')
		return;
	for (size_t q = p + 1; q < x->n && q < p + 24 && x->s[q] != ')'; q++)
		if ((x->s[q] == '\'' || x->s[q] == '"') && q + 1 < x->n &&
		    (x->s[q + 1] == '|' ||
		     (x->s[q + 1] == '-' && q + 2 < x->n && x->s[q + 2] == '|'))) {
			note(x, CI_CALL, b, q + 2);
			return;
		}
}

/* At s[c] == ':' right before a backtick: does it close a reStructuredText
 * role (":func:`len`", ":py:class:`x`")? A role starts with ':' at the
 * start of the value or after a blank or an opening bracket, and holds
 * lower-case names joined by ':', '-' or '_'; a ternary's ':' ("?1:`id`")
 * follows an operand with no such opening colon. */
static int rst_role(const char *s, size_t c)
{
	size_t k = c;
	while (k > 0 && c - k < 32 &&
	       ((s[k - 1] >= 'a' && s[k - 1] <= 'z') || (s[k - 1] >= '0' && s[k - 1] <= '9') ||
	        s[k - 1] == '-' || s[k - 1] == '_' || s[k - 1] == ':'))
		k--;
	/* s[k..c]: ":name:" or ":domain:name:", opening after a blank */
	if (s[k] != ':' || k + 1 >= c || s[k + 1] < 'a' || s[k + 1] > 'z')
		return 0;
	for (size_t j = k + 1; j < c; j++)
		if (s[j] == ':' && s[j + 1] == ':')
			return 0;
	return k == 0 || is_space((unsigned char)s[k - 1]) || strchr("([{\"'*", s[k - 1]);
}

/* At s[c], the separator before a backtick: does a code span end right
 * before it, so that this backtick opens the next span of a list
 * ("`a`, `b`", "`conn` : `Connection`", GNU's "`alloca', `malloc'")? */
static int after_span(const char *s, size_t c)
{
	size_t k = c;
	while (k > 0 && is_space((unsigned char)s[k - 1]))
		k--;
	if (k == 0)
		return 0;
	if (s[k - 1] == '`')
		return 1;
	if (s[k - 1] != '\'')
		return 0;
	/* `name': an opening backtick, a word with no blank or quote, a quote */
	for (size_t j = k - 1; j > 0 && k - j < 64; j--) {
		char b = s[j - 1];
		if (b == '`')
			return j - 1 == 0 || is_space((unsigned char)s[j - 2]) ||
			       strchr("(,", s[j - 2]);
		if (is_space((unsigned char)b) || b == '\'' || b == '"' || b == ';')
			return 0;
	}
	return 0;
}

/* A code-execution backtick: `cmd` right after an operator that puts it in
 * an expression (';`id`', '.`id`', '=`id`'). Markdown's `code` spans come
 * after words and stay clean, and so do documentation's roles and lists
 * of spans. */
static void backtick(struct ci_scan *x, size_t i)
{
	size_t prev = i;
	while (prev > 0 && is_space((unsigned char)x->s[prev - 1]))
		prev--;
	if (prev == 0 || (!strchr(";+.=,?:}", x->s[prev - 1]) &&
	                  !(prev >= 2 && x->s[prev - 1] == '{' && x->s[prev - 2] == '$')))
		return;
	if (prev == i && x->s[prev - 1] == ':' && rst_role(x->s, prev - 1))
		return;
	if (strchr(",:", x->s[prev - 1]) && after_span(x->s, prev - 1))
		return;
	/* "i.e. `x`", "Re: `x`", "E.g., `x`": a word's full stop, colon or
	 * comma, then a blank, is punctuation of a sentence; an operator
	 * that makes the span an operand stands apart or glued (". `id`") */
	if (prev < i && prev >= 2 && strchr(".:,", x->s[prev - 1]) &&
	    (ch_is_alpha((unsigned char)x->s[prev - 2]) ||
	     (x->s[prev - 1] == '.' && strchr(")`", x->s[prev - 2])) ||
	     (x->s[prev - 1] == ':' &&
	      (ch_is_digit((unsigned char)x->s[prev - 2]) || x->s[prev - 2] == ')')) ||
	     (x->s[prev - 1] == ',' && x->s[prev - 2] == '.')))
		return;
	/* GNU's `quote': a word that a "'" closes, before any blank */
	for (size_t j = i + 1;
	     j < x->n && j - i < 64 && !is_space((unsigned char)x->s[j]) && x->s[j] != '`'; j++)
		if (x->s[j] == '\'')
			return;
	/* "see the log; `git reflog` helps": punctuation, then a code span */
	if (prev < i && strchr(";,?:.", x->s[prev - 1]) && is_prose(x))
		return;
	size_t e = i + 1;
	while (e < x->n && e - i < 128 && x->s[e] != '`')
		e++;
	if (e < x->n && x->s[e] == '`' && e > i + 1 && x->s[i + 1] >= 'a' && x->s[i + 1] <= 'z')
		note(x, CI_BARE_CALL, i, e + 1);
}

/* require('child_process'), import('fs'), require(x): Node module loading. */
static void node_require(struct ci_scan *x, size_t b, size_t e)
{
	size_t p = skip_filler(x, e);
	if (p >= x->n || x->s[p] != '(')
		return;
	size_t q = skip_filler(x, p + 1);
	if (q >= x->n)
		return;
	char c = x->s[q];
	if (c == '\'' || c == '"' || c == '`') {
		size_t m = q + 1, me = m;
		while (me < x->n && me - m < 32 && x->s[me] != c)
			me++;
		if (me < x->n && x->s[me] == c && (roles_of(x->s + m, me - m) & R_MODULE))
			note(x, CI_NODE, b, me + 1);
	} else if (ch_ident_start((unsigned char)c) && word_is(x->s + b, e - b, "require") &&
	           !aside(x, b, e, p)) {
		note(x, CI_CALL, b, q); /* require(variable) */
	}
}

/* import os / from subprocess import Popen / import subprocess as s.
 * After "from" the module must be followed by "import": "from http://..."
 * and "from os to os" are English. */
static void python_import(struct ci_scan *x, size_t b, size_t e, int from)
{
	/* a statement starts the line or follows ';', ':' or a prompt; after
	 * a word ("the import process", "VM import process") it is English */
	size_t w = b;
	while (w > 0 && (x->s[w - 1] == ' ' || x->s[w - 1] == '\t'))
		w--;
	if (w < b && w > 0 && (ch_ident_char((unsigned char)x->s[w - 1]) || x->s[w - 1] == ','))
		return;
	size_t p = e;
	if (p >= x->n || (x->s[p] != ' ' && x->s[p] != '\t'))
		return;
	while (p < x->n && (x->s[p] == ' ' || x->s[p] == '\t'))
		p++;
	size_t m = p;
	while (p < x->n && ch_ident_char((unsigned char)x->s[p]))
		p++;
	if (!(p > m && (roles_of(x->s + m, p - m) & R_MODULE) &&
	      (p == x->n || !ch_ident_char((unsigned char)x->s[p])) &&
	      (p == x->n || x->s[p] != '\'')))
		return;
	if (from) {
		size_t q = p;
		while (q < x->n && (x->s[q] == '.' || ch_ident_char((unsigned char)x->s[q])))
			q++; /* from os.path import ... */
		while (q < x->n && (x->s[q] == ' ' || x->s[q] == '\t'))
			q++;
		if (q == p || x->n - q < 6 || memcmp(x->s + q, "import", 6) != 0 ||
		    (q + 6 < x->n && ch_ident_char((unsigned char)x->s[q + 6])))
			return;
	}
	note(x, CI_IMPORT, b, p);
}

/* Python dunder attributes that walk to the interpreter's internals. */
static const char *const dunders[] = {
    "__class__",    "__bases__",        "__base__", "__mro__",  "__subclasses__", "__globals__",
    "__builtins__", "__getattribute__", "__code__", "__init__", "__dict__",       "__reduce__",
    "__loader__",   "__spec__",         "__self__", "__func__", "__getitem__",
};

static void identifier(struct ci_scan *x, size_t b, size_t e)
{
	const char *w = x->s + b;
	size_t wl = e - b;
	const char *s = x->s;
	uint32_t roles = roles_of(w, wl);
	if (!roles)
		return; /* most words of most inputs */
	int dot_before = b > 0 && s[b - 1] == '.';
	int dot_after = e < x->n && s[e] == '.';
	if (roles & R_DUNDER) {
		x->dunders++;
		if (x->dunders >= 2 || word_is(w, wl, "__subclasses__") ||
		    word_is(w, wl, "__globals__") || word_is(w, wl, "__builtins__"))
			note(x, CI_PY_WALK, b, e);
	}
	if (roles & R_EXEC) {
		x->last_exec = e;
		name_call(x, b, e, 1);
	} else if (roles & R_OBF) {
		name_call(x, b, e, 0);
	}
	if (!(roles & (R_SPECIAL | R_RUNNER)))
		return;
	if (word_is(w, wl, "require") || word_is(w, wl, "import")) {
		node_require(x, b, e);
		if (word_is(w, wl, "import"))
			python_import(x, b, e, 0);
	}
	if (word_is(w, wl, "from"))
		python_import(x, b, e, 1);
	/* "x.subprocess" is an attribute, "'.subprocess" a concatenation */
	int attribute = dot_before && b >= 2 && ch_ident_char((unsigned char)s[b - 2]);
	if (dot_after && !attribute && (roles & R_RUNNER)) {
		size_t m = e + 1;
		while (m < x->n && ch_ident_char((unsigned char)s[m]))
			m++;
		if (m > e + 1)
			name_call(x, e + 1, m, 1);
	}
	if (word_is(w, wl, "send") || word_is(w, wl, "public_send") || word_is(w, wl, "__send__"))
		ruby_send(x, b, e);
	if (word_is(w, wl, "open"))
		pipe_open(x, b, e);
	if (wl == 8 && memcmp(w, "Function", 8) == 0) {
		size_t p = skip_filler(x, e);
		int after_new = b >= 4 && memcmp(s + b - 4, "new ", 4) == 0;
		if (p < x->n && s[p] == '(' && (after_new || code_arg(x, p + 1)) &&
		    !aside(x, b, e, p))
			note(x, CI_CALL, b, p + 1);
	}
	if (word_is(w, wl, "process") && dot_after) {
		if (at(x, e + 1, "mainmodule") || at(x, e + 1, "binding") ||
		    at(x, e + 1, "dlopen") || at(x, e + 1, "kill") || at(x, e + 1, "exit"))
			note(x, CI_NODE, b, e + 8);
		else if (at(x, e + 1, "env"))
			note(x, CI_NODE_ENV, b, e + 4);
	}
	if (word_is(w, wl, "process") && e + 1 < x->n && s[e] == '[' &&
	    (s[e + 1] == '"' || s[e + 1] == '\'' || ch_ident_start((unsigned char)s[e + 1])))
		note(x, CI_NODE_ENV, b, e + 1); /* process["env"], process[req.query.a] */
	if ((word_is(w, wl, "global") || word_is(w, wl, "globalthis")) && dot_after &&
	    at(x, e + 1, "process"))
		note(x, CI_NODE, b, e + 8);
	if (word_is(w, wl, "constructor") && dot_after && at(x, e + 1, "constructor"))
		note(x, CI_NODE, b, e + 12);
	if (word_is(w, wl, "module") && dot_after && at(x, e + 1, "constructor"))
		note(x, CI_NODE, b, e + 12);
	if (word_is(w, wl, "child_process") || word_is(w, wl, "getruntime"))
		x->runtime_word = 1;
	if (word_is(w, wl, "java") && dot_after && e + 1 < x->n &&
	    ch_ident_start((unsigned char)s[e + 1]) && !stack_frame(x, e)) {
		if (at(x, e + 1, "lang.runtime") || at(x, e + 1, "lang.processbuilder") ||
		    at(x, e + 1, "lang.reflect") || at(x, e + 1, "lang.system") ||
		    at(x, e + 1, "lang.class"))
			note(x, CI_JAVA, b, e + 13);
		else
			for (size_t k = e + 1;
			     k < x->n && k < e + 64 && !is_space((unsigned char)s[k]); k++)
				if ((s[k - 1] == '.' || s[k - 1] == '"' || s[k - 1] == '=') &&
				    (at(x, k, "runtime") || at(x, k, "processbuilder"))) {
					note(x, CI_JAVA_NAMES, b, k + 7);
					break;
				}
	}
	if (word_is(w, wl, "javax") && dot_after && at(x, e + 1, "script"))
		note(x, CI_JAVA, b, e + 7);
	if ((wl == 14 && memcmp(w, "ProcessBuilder", 14) == 0) && !dot_before) {
		size_t p = skip_filler(x, e);
		if (p < x->n && s[p] == '(')
			note(x, CI_JAVA, b, p + 1);
	}
	/* chr(112).chr(104): a string assembled from character codes */
	if ((word_is(w, wl, "chr") || word_is(w, wl, "char")) && e + 1 < x->n && s[e] == '(') {
		size_t p = e + 1;
		while (p < x->n && ch_is_digit((unsigned char)s[p]))
			p++;
		if (p > e + 1 && p + 2 < x->n && s[p] == ')' &&
		    (s[p + 1] == '.' || s[p + 1] == '+')) {
			size_t q = skip_filler(x, p + 2);
			if (at(x, q, "chr(") || at(x, q, "char("))
				note(x, CI_OBFUSCATION, b, q);
		}
	}
	/* qx{id} (Perl) */
	if (wl == 2 && w[0] == 'q' && w[1] == 'x' && e < x->n && strchr("{([/|'\"", s[e]) &&
	    (b == 0 || !ch_ident_char((unsigned char)s[b - 1])))
		note(x, CI_PERL, b, e + 1);
}

static const char *const superglobals[] = {
    "_GET",
    "_POST",
    "_REQUEST",
    "_COOKIE",
    "_SERVER",
    "_FILES",
    "_ENV",
    "_SESSION",
    "GLOBALS",
    "HTTP_RAW_POST_DATA",
    "http_response_header",
    "HTTP_GET_VARS",
    "HTTP_POST_VARS",
};

/* "$_S ERVER['x']" at i: a superglobal's name split by blanks, then
 * indexed by a quoted key or a variable: blanks no PHP name holds, put
 * there past rules that read the name whole. Returns whether one was
 * noted. */
static __attribute__((noinline)) int split_superglobal(struct ci_scan *x, size_t i)
{
	const char *s = x->s;
	char name[24];
	size_t o = 0, j = i + 1;
	int blanks = 0, gap = 0; /* blanks inside the name, not after it */
	for (; j < x->n && o < sizeof(name); j++) {
		char c = s[j];
		if (c == ' ' || c == '\t') {
			gap = 1;
		} else if ((c >= 'A' && c <= 'Z') || c == '_') {
			name[o++] = c;
			blanks |= gap;
		} else {
			break;
		}
	}
	while (j > i + 1 && (s[j - 1] == ' ' || s[j - 1] == '\t'))
		j--;
	size_t p = j;
	while (p < x->n && (s[p] == ' ' || s[p] == '\t'))
		p++;
	size_t k0 = p + 1; /* the index: a quoted key or a variable */
	while (k0 < x->n && (s[k0] == ' ' || s[k0] == '\t'))
		k0++;
	if (!blanks || o < 4 || p >= x->n || s[p] != '[' || k0 >= x->n ||
	    (s[k0] != '\'' && s[k0] != '"' && s[k0] != '$'))
		return 0;
	for (size_t k = 0; k < COUNT(superglobals); k++)
		if (strlen(superglobals[k]) == o && memcmp(name, superglobals[k], o) == 0) {
			note(x, CI_PHP_VAR, i, p + 1);
			return 1;
		}
	return 0;
}

/* "$" at i: PHP variables, variable variables and variable functions. */
static void dollar(struct ci_scan *x, size_t i)
{
	const char *s = x->s;
	size_t j = i + 1;
	if (j + 1 < x->n && s[j] == '_' &&
	    ((s[j + 1] >= 'A' && s[j + 1] <= 'Z') || s[j + 1] == ' ' || s[j + 1] == '\t') &&
	    split_superglobal(x, i))
		return;
	while (j < x->n && s[j] == '$')
		j++; /* $$name */
	if (j < x->n && ch_ident_start((unsigned char)s[j])) {
		size_t b = j;
		while (j < x->n && ch_ident_char((unsigned char)s[j]))
			j++;
		for (size_t k = 0; k < COUNT(superglobals); k++)
			if (strlen(superglobals[k]) == j - b &&
			    memcmp(s + b, superglobals[k], j - b) == 0 &&
			    (j == x->n || !ch_ident_char((unsigned char)s[j])))
				/* "never echo $_GET['x'] unescaped": prose names it */
				note(x, is_prose(x) ? CI_PLAIN_CALL : CI_PHP_VAR, i, j);
		/* $name[...]{...}(: calling whatever the variable holds; PHP
		 * allows blanks and comments between the pieces */
		size_t p = skip_filler(x, j);
		for (int guard = 0; p < x->n && (s[p] == '[' || s[p] == '{') && guard < 4;
		     guard++) {
			char open = s[p], close = open == '[' ? ']' : '}';
			size_t q = p + 1;
			int depth = 0;
			for (; q < x->n && q - p < 64; q++) {
				if (s[q] == open)
					depth++;
				else if (s[q] == close && depth-- == 0)
					break;
			}
			if (q >= x->n || s[q] != close)
				return;
			p = skip_filler(x, q + 1);
		}
		if (p < x->n && s[p] == '(' && code_arg_from(x, p + 1, 0) &&
		    !(p + 1 < x->n && s[p + 1] == ')' && j - b <= 1 && p == j))
			note(x, CI_VAR_CALL, i, p + 1);
		return;
	}
	/* ${'na'.'me'} / $ {$a}: variable variables */
	size_t p = j;
	while (p < x->n && p - j < 32 && is_space((unsigned char)s[p]))
		p++;
	if (p < x->n && s[p] == '{') {
		size_t q = p + 1;
		while (q < x->n && q - p < 32 && is_space((unsigned char)s[q]))
			q++;
		/* ${a} as the whole value: an interpolation where data belongs */
		int whole = 0;
		if (p == j && q == p + 1 && q < x->n && ch_ident_start((unsigned char)s[q])) {
			size_t r = q, k = 0;
			while (r < x->n && r - q < 32 && ch_ident_char((unsigned char)s[r]))
				r++;
			while (k < i && is_space((unsigned char)s[k]))
				k++;
			size_t t = r + 1;
			while (t < x->n && is_space((unsigned char)s[t]))
				t++;
			/* not ${HOME}: an environment variable a shell or a
			 * configuration file expands */
			int lower = 0;
			for (size_t u = q; u < r; u++)
				lower |= s[u] >= 'a' && s[u] <= 'z';
			whole = lower && k == i && r < x->n && s[r] == '}' && t >= x->n;
		}
		if (q < x->n &&
		    (s[q] == '\'' || s[q] == '"' || s[q] == '$' || s[q] == '@' || s[q] == '_' ||
		     whole || (p > j && ch_ident_start((unsigned char)s[q])))) {
			note(x, CI_PHP_VAR, i, q + 1);
			/* ${...}(...): a variable variable called */
			size_t r = q;
			while (r < x->n && r - q < 64 && s[r] != '}')
				r++;
			if (r < x->n && s[r] == '}') {
				size_t t = skip_filler(x, r + 1);
				while (t < x->n && s[t] == '[') { /* ${$s}['k'](...) */
					size_t u = t + 1;
					while (u < x->n && u - t < 64 && s[u] != ']')
						u++;
					if (u >= x->n)
						return;
					t = skip_filler(x, u + 1);
				}
				if (t < x->n && s[t] == '(' && code_arg_from(x, t + 1, 0))
					note(x, CI_VAR_CALL, i, t + 1);
			}
		}
	}
}

static const char *const php_wrappers[] = {
    "php://",        "phar://",          "expect://",         "zip://",       "glob://",
    "data://",       "compress.zlib://", "compress.bzip2://", "ogg://",       "rar://",
    "ssh2.shell://", "ssh2.exec://",     "ssh2.tunnel://",    "ssh2.sftp://", "ssh2.scp://",
};

static size_t php_wrapper_len[COUNT(php_wrappers)];
static uint8_t wrapper_last[256]; /* the last letters of the wrappers' schemes */

/* An expression that is called: PHP accepts strings, groups and array
 * elements as callables. Called when s[i] closes a string literal (at b the
 * opening quote), a group ")" or an index "]". */
static void called_expression(struct ci_scan *x, size_t b, size_t i)
{
	const char *s = x->s;
	size_t p = skip_filler(x, i + 1);
	if (p >= x->n || s[p] != '(' || !code_arg(x, p + 1))
		return;
	if (s[i] == ')' || s[i] == ']' || s[i] == '}') {
		/* (system)(ls), [system][0](ls): when the group names a command
		 * runner, so that "(see)(1)" in prose stays prose */
		/* "system.c [SH] (cacheflush_flags): New": a ChangeLog's
		 * condition and function, the colon after them */
		size_t shut = p + 1;
		while (shut < x->n && shut < p + 64 && s[shut] != ')' && s[shut] != '(')
			shut++;
		if (x->last_exec && i >= x->last_exec && i - x->last_exec < 64 &&
		    !(shut + 1 < x->n && s[shut] == ')' && s[shut + 1] == ':')) {
			note(x, CI_STRING_CALL, b, p + 1);
			return;
		}
		/* ($y)('uname'), (sy.(st).em)('id'), (z)[0]('id'): a compact
		 * group called with a string or a variable */
		size_t q = skip_filler(x, p + 1);
		if (q >= x->n || (s[q] != '\'' && s[q] != '"' && s[q] != '$' && s[q] != '@'))
			return;
		if (s[q] == '\'' || s[q] == '"') { /* the whole argument is the literal: ('id') */
			size_t r = q + 1;
			while (r < x->n && r - q < 128 && s[r] != s[q])
				r++;
			r = r < x->n ? skip_filler(x, r + 1) : r;
			if (r >= x->n || (s[r] != ')' && s[r] != ','))
				return;
		}
		char open = s[i] == ')' ? '(' : s[i] == ']' ? '[' : '{';
		int depth = 0;
		for (size_t k = i; k > 0 && i - k < 32; k--) {
			char c = s[k - 1];
			if (is_space((unsigned char)c))
				return;
			if (c == s[i])
				depth++;
			else if (c == open && depth-- == 0) {
				if (k < i)
					note(x, CI_STRING_CALL, k - 1, p + 1);
				return;
			}
		}
		return;
	}
	/* "system"(ls), "\x73y\x73tem"(ls), "sys"."tem"('id'): a name in a
	 * string, called right away or built by concatenation */
	int name = 1;
	for (size_t k = b + 1; k < i; k++)
		if (!ch_ident_char((unsigned char)s[k]) && s[k] != '\\')
			name = 0;
	size_t prev = b;
	while (prev > 0 && is_space((unsigned char)s[prev - 1]))
		prev--;
	int concatenated = prev > 0 && s[prev - 1] == '.';
	if (name && (p == i + 1 || concatenated))
		note(x, CI_STRING_CALL, b, p + 1);
}

/* Words identifier() judges individually (besides the lists above). */
static const char *const special_words[] = {
    "require",     "import",         "from",   "function",      "process",    "global",
    "globalthis",  "constructor",    "module", "child_process", "getruntime", "java",
    "javax",       "processbuilder", "chr",    "char",          "qx",         "send",
    "public_send", "__send__",       "open",
};

static void ci_add(const char *const *list, size_t count, uint32_t roles)
{
	for (size_t k = 0; k < count && ci_nentries < COUNT(ci_entries); k++)
		ci_entries[ci_nentries++] = (struct kw_entry){list[k], roles};
}

/* Built once before main(), as charmask.c builds its table. */
static void __attribute__((constructor)) ci_kw_init(void)
{
	ci_add(exec_names, COUNT(exec_names), R_EXEC);
	ci_add(obf_names, COUNT(obf_names), R_OBF);
	ci_add(danger_modules, COUNT(danger_modules), R_MODULE);
	ci_add(exec_receivers, COUNT(exec_receivers), R_RECEIVER);
	ci_add(dunders, COUNT(dunders), R_DUNDER);
	ci_add(runner_modules, COUNT(runner_modules), R_RUNNER);
	ci_add(special_words, COUNT(special_words), R_SPECIAL);
	ci_add(php_only_names, COUNT(php_only_names), R_PHPNAME);
	kw_build(&ci_kw, ci_entries, ci_nentries);
	for (size_t k = 0; k < COUNT(php_builtins); k++)
		ci_fn_entries[k] = (struct kw_entry){php_builtins[k], 1};
	kw_build(&ci_fn_kw, ci_fn_entries, COUNT(ci_fn_entries));
	for (size_t k = 0; k < COUNT(php_wrappers); k++) {
		php_wrapper_len[k] = strlen(php_wrappers[k]);
		wrapper_last[(unsigned char)php_wrappers[k][php_wrapper_len[k] - 4]] = 1;
	}
	for (int c = 0; c < 256; c++) {
		int l = ch_lower(c);
		ci_fold[c] = (uint8_t)(l >= 'a' && l <= 'z'   ? l - 'a'
		                       : l >= '0' && l <= '9' ? 26 + l - '0'
		                       : l == '_'             ? 36
		                                              : 39);
	}
	for (size_t k = 0; k < COUNT(php_only_names); k++) {
		const char *w = php_only_names[k];
		size_t l = strlen(w);
		if (strchr(w, '_'))
			php_tail[ci_fold[(unsigned char)w[l - 2]]]
			        [ci_fold[(unsigned char)w[l - 1]]] = 1;
	}
	for (size_t k = 0; k < ci_nentries; k++) {
		const char *w = ci_entries[k].word;
		size_t l = strlen(w);
		int a = ci_fold[(unsigned char)w[0]], b = l > 1 ? ci_fold[(unsigned char)w[1]] : 39;
		if (l <= KW_MAX_WORD)
			ci_lengths[a][b] |= 1ull << l;
	}
	for (int c = 0; c < 256; c++) {
		uint8_t k = 0;
		if (ch_ident_start(c))
			k |= CC_IDSTART;
		if (ch_ident_char(c))
			k |= CC_IDCHAR;
		if (strchr("$[{<:@%'\"`)]}", c) && c)
			k |= CC_STOP;
		if (c >= 'A' && c <= 'Z')
			k |= CC_UPPER;
		if (c >= 'a' && c <= 'z')
			k |= CC_LOWER;
		if (ch_is_alnum(c) || c == '+' || c == '-' || c == '/' || c == '_' || c == '=')
			k |= CC_B64;
		ci_class[c] = k;
	}
}

/* A value that is nothing but a call expression: name, blanks or comments,
 * "(", arguments, ")", then at most an index or a semicolon (curl_init(),
 * chr(123), get_defined_vars()[0], Print_r( ), a comment before the "(").
 * Data does not look like that; prose that comes near ("open (9am-5pm)",
 * "Paris (France)") puts a blank before a parenthetical of words, which
 * counts only for names no prose uses (with an underscore). The call alerts
 * alone when its name is an API's (an underscore, a listed function), when
 * a comment hides it, or when its argument is a character code or a PHP
 * variable; a plain name called with a string (print("hello")) is a weak
 * signal that only adds to others. */
static void whole_call(struct ci_scan *x, int bare)
{
	const char *s = x->s;
	size_t n = x->n, b = 0;
	while (b < n && is_space((unsigned char)s[b]))
		b++;
	if (b >= n || !ch_ident_start((unsigned char)s[b]))
		return;
	size_t e = b;
	int underscore = 0;
	while (e < n && e - b <= 64 && ch_ident_char((unsigned char)s[e]))
		underscore |= s[e++] == '_';
	if (e - b < 2 || e - b > 64)
		return;
	size_t p = skip_filler(x, e);
	if (p >= n || s[p] != '(')
		return;
	int comment = 0, ctl = 0;
	for (size_t k = e; k < p; k++) {
		comment |= !is_space((unsigned char)s[k]);
		ctl |= s[k] != ' '; /* a tab, a line break, \v: no sentence's gap */
	}
	size_t a = skip_filler(x, p + 1), q = a;
	int depth = 0, quote = 0;
	for (; q < n && q - a < 256; q++) {
		char c = s[q];
		if (quote) {
			quote = c == quote ? 0 : quote;
		} else if (c == '\'' || c == '"') {
			quote = c;
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && depth-- == 0) {
			break;
		}
	}
	int closed = q < n && s[q] == ')';
	/* "base64_decode(" cut short still names its call; so does any name
	 * glued to a "(" that ends a value (gethostbynamE(); bare: not a path
	 * segment, where a "(" may open what the next segment closes */
	int cut = !closed && bare && a == n && p == e;
	if (!closed && !(q == n && (underscore || comment)) && !cut)
		return;
	if (closed) {
		size_t t = skip_filler(x, q + 1);
		if (t < n && s[t] == '[') { /* get_defined_vars()[0] */
			while (t < n && t - q < 32 && s[t] != ']')
				t++;
			t = t < n ? skip_filler(x, t + 1) : t;
		}
		if (t < n && s[t] == ';')
			t = skip_filler(x, t + 1);
		if (t < n)
			return;
	}
	int empty = a == q;
	/* "item(s)": an English plural */
	if (closed && (word_is(s + a, q - a, "s") || word_is(s + a, q - a, "es")))
		return;
	/* the name is a dangerous or a PHP-only function's, or one glued
	 * behind a prefix (FOOfsockopen(): PHP rules that match names without
	 * a word boundary are probed that way) */
	int known = (roles_of(s + b, e - b) & (R_EXEC | R_OBF)) ||
	            kw_roles(&ci_fn_kw, ci_fn_entries, s + b, e - b);
	for (size_t k = b + 1; !known && e - k >= 6; k++)
		known = !!(roles_of(s + k, e - k) & R_PHPNAME);
	/* "open (9am-5pm)", "Paris (France)": a sentence puts one blank
	 * before a parenthetical; a known name in lower case after a wider
	 * gap is code (a table's heading, "Filesize\t(MB)", is capitalised) */
	int lower = 1, words = 0;
	for (size_t k = b; k < e; k++)
		lower &= !(ci_class[(unsigned char)s[k]] & CC_UPPER);
	for (size_t k = a; k < q && !words; k++)
		words = is_space((unsigned char)s[k]); /* "mkdir  (creates a folder)" */
	if (!comment && p > e && !empty && !underscore &&
	    !(known && lower && !words && (ctl || p > e + 1)))
		return;
	int digits = !empty;
	for (size_t k = a; k < q; k++)
		digits &= ch_is_digit((unsigned char)s[k]) || s[k] == ',' || s[k] == ' ';
	/* pi\v(), FILE\r\n(): a control character between a name and its
	 * empty "()"; a URL path's last segment that is a name and "()" */
	int odd_empty =
	    empty && closed && ((p > e && ctl) || (!bare && p == e && a == p + 1 && lower));
	/* /odata/Products(1), /odata/A_Product(): OData addresses an entity
	 * set's members in a URL path, its names capitalised */
	if (!bare && !known && (ci_class[(unsigned char)s[b]] & CC_UPPER))
		digits = underscore = 0;
	/* GCLOUD_ALPHA_RUN_JOBS(1), CONFIG_UNIX (it requires CONFIG_NET): a
	 * constant's or a manual page's name in capitals, with a section
	 * number or an aside in words, is a title and no call */
	int caps = 1;
	for (size_t k = b; k < e && caps; k++)
		caps = !(s[k] >= 'a' && s[k] <= 'z');
	if (caps && !known && closed && (words || (digits && q - a == 1)))
		digits = underscore = 0;
	int strong =
	    comment || underscore || digits || (a < n && s[a] == '$') || cut || known || odd_empty;
	note(x, comment ? CI_FILLER_CALL : strong ? CI_WHOLE_CALL : CI_PLAIN_CALL, b, p + 1);
}

/* Does the file name s[q..e) carry a PHP script's extension, however
 * disguised ("photo. php", "test.php5.gif", "x.phtml", "a.php..",
 * "test.phar .png")? php and php with a version, phtml, phar, phps, pht,
 * phpt; the extension ends the name or another part follows it. */
static int php_script_name(const struct ci_scan *x, size_t q, size_t e, int strict)
{
	const char *s = x->s;
	for (size_t k = q; k < e; k++) {
		if (s[k] != '.')
			continue;
		size_t j = k + 1;
		while (j < e && s[j] == ' ')
			j++;
		if (j + 3 > e || !at(x, j, "ph"))
			continue;
		size_t w = j + 2;
		while (w < e && ch_is_alnum((unsigned char)s[w]))
			w++;
		size_t d = j + 3;
		while (d < w && ch_is_digit((unsigned char)s[d]))
			d++;
		int known =
		    (at(x, j, "php") && d == w) || (w - j == 5 && at(x, j, "phtml")) ||
		    (w - j == 4 && (at(x, j, "phar") || at(x, j, "phps") || at(x, j, "phpt"))) ||
		    (w - j == 3 && at(x, j, "pht"));
		if (!known || (w < e && s[w] != '.' && s[w] != ' '))
			continue;
		/* strict: only dots and blanks follow, or a part after a blank
		 * ("a.php..", "test.phar .png"; not the host www.php.net) */
		int blank = 0, tail = 1;
		for (size_t r = w; strict && r < e; r++) {
			blank |= s[r] == ' ';
			if (s[r] != '.' && s[r] != ' ' && !blank)
				tail = 0;
		}
		if (tail)
			return 1;
	}
	return 0;
}

/* filename="shell.php" in a multipart part's headers: a script uploaded
 * where the web server runs it. */
static void php_upload(struct ci_scan *x, size_t i)
{
	const char *s = x->s;
	size_t q = i + 9; /* after filename= */
	if (q >= x->n || (s[q] != '"' && s[q] != '\''))
		return;
	char close = s[q++];
	size_t e = q;
	while (e < x->n && e - q < 256 && s[e] != close && s[e] != '\n')
		e++;
	if (php_script_name(x, q, e, 0))
		note(x, CI_PHP_UPLOAD, i, e);
}

/* php.ini's extension sections (opcache.jit=...) and core directives: a
 * value that sets one reaches PHP's configuration (ini_set, .user.ini,
 * PHP_VALUE through FastCGI). */
static const char *const php_ini_sections[] = {
    "opcache",  "mbstring",  "zend",         "pcre", "mysqli",  "mysqlnd", "pdo_mysql",
    "xdebug",   "phar",      "apc",          "apcu", "session", "assert",  "cgi",
    "user_ini", "highlight", "url_rewriter", "zlib", "soap",    "sqlite3", "xmlrpc"};
static const char *const php_ini_directives[] = {"auto_prepend_file",
                                                 "auto_append_file",
                                                 "allow_url_include",
                                                 "allow_url_fopen",
                                                 "disable_functions",
                                                 "disable_classes",
                                                 "open_basedir",
                                                 "memory_limit",
                                                 "extension_dir",
                                                 "include_path",
                                                 "upload_tmp_dir",
                                                 "unserialize_max_depth",
                                                 "unserialize_callback_func",
                                                 "max_execution_time",
                                                 "error_log",
                                                 "error_reporting",
                                                 "sendmail_path",
                                                 "short_open_tag",
                                                 "display_errors",
                                                 "log_errors",
                                                 "post_max_size",
                                                 "upload_max_filesize",
                                                 "file_uploads",
                                                 "doc_root",
                                                 "user_dir",
                                                 "zend_extension",
                                                 "enable_dl",
                                                 "expose_php",
                                                 "register_globals",
                                                 "safe_mode",
                                                 "magic_quotes_gpc",
                                                 "output_handler",
                                                 "serialize_precision",
                                                 "max_input_vars",
                                                 "engine",
                                                 "extension",
                                                 "precision",
                                                 "smtp",
                                                 "smtp_port",
                                                 "asp_tags",
                                                 "default_socket_timeout",
                                                 "realpath_cache_size",
                                                 "input_encoding",
                                                 "internal_encoding"};

static int listed(const char *s, size_t n, const char *const *list, size_t count)
{
	for (size_t k = 0; k < count; k++)
		if (word_is(s, n, list[k]))
			return 1;
	return 0;
}

/* The whole value "name = value" with name a php.ini directive. */
static void php_ini(struct ci_scan *x)
{
	const char *s = x->s;
	size_t n = x->n, b = 0, e, dot = 0;
	while (b < n && is_space((unsigned char)s[b]))
		b++;
	for (e = b; e < n && e - b <= 48 && (ch_ident_char((unsigned char)s[e]) || s[e] == '.');
	     e++)
		if (s[e] == '.' && !dot)
			dot = e;
	size_t q = e;
	while (q < n && s[q] == ' ')
		q++;
	if (e == b || e - b > 48 || q >= n || s[q] != '=')
		return;
	for (q++; q < n && s[q] == ' '; q++)
		;
	if (q >= n)
		return;
	for (size_t k = q; k < n; k++)
		if (is_space((unsigned char)s[k]) && k + 1 < n &&
		    !is_space((unsigned char)s[k + 1]))
			return; /* a value of several words is a sentence or a query */
	int known =
	    dot ? dot + 1 < e && listed(s + b, dot - b, php_ini_sections, COUNT(php_ini_sections))
	        : listed(s + b, e - b, php_ini_directives, COUNT(php_ini_directives));
	if (known)
		note(x, CI_PHP_INI, b, q);
}

/* A header value, or one of a field named for a file, that is nothing but
 * a file name (X-Filename: a.php, X-File-Name: fda.php5...): the name an
 * upload is stored under, a PHP script's or a PHP session file's
 * (sess_<id>, which planted, fixes a session). */
static void upload_header(struct ci_scan *x, int loose)
{
	const char *s = x->s;
	size_t n = x->n, base = 0;
	if (n < 5 || n > 256)
		return;
	for (size_t k = 0; k < n; k++) {
		int c = (unsigned char)s[k];
		if (!ch_is_alnum(c) && c != '_' && c != '.' && c != '-' && c != ' ' && c != '/' &&
		    c != ',' && c != '\\' && !(c == ':' && k == 1))
			return; /* not a bare file name (C:\\temp\\x is one) */
		if (c == '/' || c == '\\')
			base = k + 1;
	}
	if (at(x, base, "sess_") && n - base > 5) {
		for (size_t k = base + 5; k < n; k++)
			if (!ch_is_alnum((unsigned char)s[k]) && s[k] != ',' && s[k] != '-')
				return;
		note(x, CI_PHP_UPLOAD, base, n);
		return;
	}
	/* loose: a bare name given as an upload's or object's name, where
	 * "x.php.jpg" reaches a server that runs any name holding .php */
	if (php_script_name(x, base, n, !(loose && base == 0)))
		note(x, CI_PHP_UPLOAD, 0, n);
}

/* The whole of s[b..n), blanks around it aside, is a PHP-only dangerous
 * builtin's name (php_only_names), or such a name then "=" and a value
 * (Shell_exec=(bla): a form field named for the function): the name a
 * variable function or call_user_func is handed. */
static void php_name(struct ci_scan *x, size_t b, int equals)
{
	const char *s = x->s;
	size_t n = x->n;
	while (b < n && is_space((unsigned char)s[b]))
		b++;
	/* the name ends at the first "=" (looked for only where a name fits)
	 * or at the end; the table's words are identifiers, so a match proves
	 * the span one, and a span no word has the shape of costs no hashing */
	size_t lim = n - b < KW_MAX_WORD + 8 ? n - b : KW_MAX_WORD + 8;
	const char *eq = equals ? memchr(s + b, '=', lim) : NULL;
	size_t e = eq ? (size_t)(eq - s) : n;
	while (e > b && is_space((unsigned char)s[e - 1]))
		e--;
	if (e - b < 6 || e - b > KW_MAX_WORD + 8)
		return;
	if (roles_of(s + b, e - b) & R_PHPNAME) {
		note(x, CI_PHP_NAME, b, e);
		return;
	}
	/* FOOcall_user_func: one identifier that ends with such a name, one
	 * with an underscore (an API's spelling, no word's), glued behind a
	 * prefix past rules that want a word boundary */
	if (e - b < 10 ||
	    !php_tail[ci_fold[(unsigned char)s[e - 2]]][ci_fold[(unsigned char)s[e - 1]]])
		return; /* no such name ends like this value */
	const char *u = memrchr(s + b + 1, '_', e - b - 1);
	for (size_t k = b + 1; u && k < (size_t)(u - s) && e - k >= 8; k++)
		if (roles_of(s + k, e - k) & R_PHPNAME) {
			for (size_t j = b; j < k; j++) /* the prefix glued to it */
				if (!(ci_class[(unsigned char)s[j]] & CC_IDCHAR))
					return;
			note(x, CI_PHP_NAME, b, e);
			return;
		}
}

/* The end of the run of bytes of class cc from s[e] on (s[0..n)); four
 * bytes a step, one bound test for them, as most words are longer than
 * three. */
static inline size_t class_end(const char *s, size_t e, size_t n, unsigned cc)
{
	const unsigned char *u = (const unsigned char *)s;
	for (; e + 4 <= n; e += 4) {
		if (!(ci_class[u[e]] & cc))
			return e;
		if (!(ci_class[u[e + 1]] & cc))
			return e + 1;
		if (!(ci_class[u[e + 2]] & cc))
			return e + 2;
		if (!(ci_class[u[e + 3]] & cc))
			return e + 3;
	}
	while (e < n && (ci_class[u[e]] & cc))
		e++;
	return e;
}

/* The start of the run of bytes of class cc that ends at s[b] (exclusive),
 * going back no further than lo; four bytes a step, as class_end. */
static inline size_t class_start(const char *s, size_t b, size_t lo, unsigned cc)
{
	const unsigned char *u = (const unsigned char *)s;
	for (; b >= lo + 4; b -= 4) {
		if (!(ci_class[u[b - 1]] & cc))
			return b;
		if (!(ci_class[u[b - 2]] & cc))
			return b - 1;
		if (!(ci_class[u[b - 3]] & cc))
			return b - 2;
		if (!(ci_class[u[b - 4]] & cc))
			return b - 3;
	}
	while (b > lo && (ci_class[u[b - 1]] & cc))
		b--;
	return b;
}

static inline size_t ident_end(const char *s, size_t e, size_t n)
{
	return class_end(s, e, n, CC_IDCHAR);
}

/* One scan of a text; findings go to *x. */
static void scan_code(struct ci_scan *x)
{
	const char *s = x->s;
	size_t n = x->n;
	size_t i = 0;
	while (i < n) {
		int c = (unsigned char)s[i];
		unsigned cl = ci_class[c];
		if (!(cl & (CC_IDSTART | CC_STOP))) {
			/* a digit's run of identifier bytes (4008abc) starts no word */
			i++;
			if (cl & CC_IDCHAR)
				i = ident_end(s, i, n);
			continue;
		}
		/* a word starts here: every run of identifier bytes is passed
		 * over whole, from a letter below or from a digit above */
		if (cl & CC_IDSTART) {
			for (;;) {
				size_t e = ident_end(s, i + 1, n);
				if (shape_listed(s + i, e - i))
					identifier(x, i, e);
				if (e - i == 8 && e < n && s[e] == '=' &&
				    word_is(s + i, 8, "filename"))
					php_upload(x, i);
				/* s[e] is no identifier byte: unless the switch
				 * below judges it (a blank, mostly), it is passed
				 * over here, and a word after it read at once */
				if (e >= n || (ci_class[(unsigned char)s[e]] & CC_STOP)) {
					i = e;
					break;
				}
				i = e + 1;
				if (i >= n || !(ci_class[(unsigned char)s[i]] & CC_IDSTART))
					break;
			}
			continue;
		}
		switch (c) {
		case '$':
			dollar(x, i);
			break;
		case '[':
		case '{': {
			/* [php]...[/php], {php}...{/php}: bulletin-board and Smarty
			 * blocks that run PHP */
			size_t p = i + 1;
			if (p < n && (s[p] == '/' || s[p] == '\\'))
				p++;
			char close = c == '[' ? ']' : '}';
			if (at(x, p, "php") && p + 3 < n && s[p + 3] == close)
				note(x, CI_PHP_TAG, i, p + 4);
			break;
		}
		case '<':
			if (i + 1 < n && s[i + 1] == '?') {
				/* <?php, <?=, and the short tag "<? code" (but not <?xml) */
				size_t p = i + 2;
				int short_tag = p < n && is_space((unsigned char)s[p]);
				p = skip_filler(x, p);
				/* "test<?": a tag that opens PHP where the value ends */
				if (at(x, i + 2, "php") || (i + 2 < n && s[i + 2] == '=') ||
				    p == n ||
				    (short_tag && p < n &&
				     (ch_ident_start((unsigned char)s[p]) || s[p] == '$') &&
				     !at(x, p, "xml")))
					note(x, CI_PHP_TAG, i, i + 5);
				/* "<?xml" is a short tag followed by code unless an XML
				 * declaration's pseudo-attribute follows: <?xml :echo 1; */
				if (at(x, i + 2, "xml") && i + 5 < n &&
				    !ch_ident_char((unsigned char)s[i + 5])) {
					size_t q = i + 5;
					while (q < n && is_space((unsigned char)s[q]))
						q++;
					size_t w = q;
					while (w < n &&
					       (ch_ident_char((unsigned char)s[w]) || s[w] == '-'))
						w++;
					int decl =
					    w > q || (q + 1 < n && s[q] == '?' && s[q + 1] == '>');
					/* code follows, not "<?xml ... ?>" in prose */
					if (q < n && !decl && s[q] && strchr(":;$(`'\"@=", s[q]))
						note(x, CI_PHP_TAG, i, q + 1);
				}
			}
			break;
		case ':':
			if (i + 2 < n && s[i + 1] == '/' && s[i + 2] == '/' && i > 0 &&
			    wrapper_last[(unsigned char)ch_lower((unsigned char)s[i - 1])]) {
				for (size_t k = 0; k < COUNT(php_wrappers); k++) {
					size_t wl = php_wrapper_len[k] - 3;
					if (i >= wl &&
					    ch_lower((unsigned char)s[i - wl]) ==
					        php_wrappers[k][0] &&
					    at(x, i - wl, php_wrappers[k]) &&
					    (i == wl ||
					     !ch_ident_char((unsigned char)s[i - wl - 1])))
						note(x, CI_PHP_WRAPPER, i - wl, i + 3);
				}
			}
			break;
		case '@':
			if (i + 2 < n && s[i + 1] == '{') { /* Perl @{[ code ]} */
				size_t p = skip_filler(x, i + 2);
				if (p < n && s[p] == '[')
					note(x, CI_PERL, i, p + 1);
			}
			break;
		case '%':
			if (i + 2 < n && s[i + 1] == 'x' && strchr("({[", s[i + 2]) &&
			    (i == 0 || !ch_ident_char((unsigned char)s[i - 1])))
				note(x, CI_PERL, i, i + 3); /* Ruby %x(cmd) */
			break;
		case '\'':
		case '"': {
			size_t e = i + 1;
			while (e < n && e - i < 64 && s[e] != c && s[e] != '\n')
				e++;
			/* the literal's content is scanned too: break-out payloads
			 * start with a quote */
			if (e < n && s[e] == c && e > i + 1)
				called_expression(x, i, e);
			break;
		}
		case '`':
			backtick(x, i);
			break;
		case ')':
		case ']':
		case '}':
			called_expression(x, i, i);
			break;
		default:
			break;
		}
		i++;
	}
}

#define CI_B64_MIN    16  /* shorter runs are words */
#define CI_B64_PREFIX 256 /* characters of a run decoded */

/* Code sent base64-encoded (a cookie holding require('child_process')...):
 * each base64 run's prefix is decoded into a stack buffer and, when it
 * decodes to text, scanned once (not decoded again). A finding spans the
 * run. */
static void scan_base64(struct ci_scan *x)
{
	const char *s = x->s;
	size_t i = 0;
	/* runs are maximal spans of base64 bytes, less their leading '=';
	 * s[i - 1] is never in one, so a run of CI_B64_MIN bytes starting at
	 * or after i holds s[i + CI_B64_MIN - 1]: when that byte is in none,
	 * the next CI_B64_MIN positions start no run worth decoding */
	while (i + CI_B64_MIN <= x->n && x->best < CI_CALL) {
		size_t probe = i + CI_B64_MIN - 1;
		if (!(ci_class[(unsigned char)s[probe]] & CC_B64)) {
			i = probe + 1;
			continue;
		}
		size_t b = class_start(s, probe, i, CC_B64);
		/* the run starts at b: shorter than CI_B64_MIN when s[b +
		 * CI_B64_MIN - 1] is in none, and then no run worth decoding
		 * starts before that byte either */
		if (b + CI_B64_MIN > x->n ||
		    !(ci_class[(unsigned char)s[b + CI_B64_MIN - 1]] & CC_B64)) {
			i = b + CI_B64_MIN;
			continue;
		}
		size_t e = class_end(s, probe + 1, x->n, CC_B64);
		i = e + 1; /* s[e] is in no run */
		while (b < e && s[b] == '=')
			b++;
		if (e - b < CI_B64_MIN)
			continue;
		unsigned cases = 0;
		for (size_t k = b; k < e && cases != (CC_UPPER | CC_LOWER); k++)
			cases |= ci_class[(unsigned char)s[k]];
		if ((cases & (CC_UPPER | CC_LOWER)) != (CC_UPPER | CC_LOWER))
			continue;
		char buf[CI_B64_PREFIX * 3 / 4];
		size_t o = 0, printable = 0;
		uint32_t acc = 0;
		int bits = 0;
		for (size_t k = b; k < e && k - b < CI_B64_PREFIX && o < sizeof(buf); k++) {
			int v = ch_b64val((unsigned char)s[k]);
			if (v < 0)
				break;
			acc = (acc << 6) | (uint32_t)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				buf[o] = (char)(acc >> bits);
				unsigned char c = (unsigned char)buf[o++];
				printable +=
				    (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' || c == '\r';
			}
		}
		if (o < 8 || printable * 10 < o * 9)
			continue;
		struct ci_scan sub = {buf, o, CI_NONE, 0, 0, 0, 0, 0, -1, -1};
		scan_code(&sub);
		/* the strong findings only: a weak one in decoded noise is noise */
		if (sub.best >= CI_PERL)
			note(x, sub.best, b, e);
	}
}

/* Markup (an XML body, an HTML fragment) whose attribute values are the
 * values: each of the first CI_ATTRS quoted ones is judged whole, as a call
 * or a php.ini directive (<a probe="array_diff (">). */
#define CI_ATTRS 32
static void markup_values(struct ci_scan *x)
{
	const char *s = x->s;
	size_t n = x->n, i = 0;
	while (i < n && is_space((unsigned char)s[i]))
		i++;
	if (i >= n || s[i] != '<')
		return;
	for (int attrs = 0; attrs < CI_ATTRS; attrs++) {
		const char *eq = memchr(s + i, '=', n - i);
		if (!eq)
			return;
		size_t q = (size_t)(eq - s) + 1;
		i = q;
		if (q >= n || (s[q] != '"' && s[q] != '\''))
			continue;
		const char *close = memchr(s + q + 1, s[q], n - q - 1);
		if (!close)
			return;
		size_t b = q + 1, e = (size_t)(close - s);
		struct ci_scan v = {s + b, e - b, CI_NONE, 0, 0, 0, 0, 0, -1, -1};
		whole_call(&v, 1);
		if (memchr(s + b, '=', e - b))
			php_ini(&v);
		if (v.best > CI_PLAIN_CALL)
			note(x, v.best, b + v.off, b + v.end);
		i = e + 1;
	}
}

int pol_detect_code_injection(const char *s, size_t n, const struct pol_ctx *ctx,
                              struct pol_hit *hit)
{
	uint32_t m = ctx->chars;
	/* every construct needs a call, a sigil, a tag, a block or a dotted chain */
	if (!(m & (POL_CH_PAREN | POL_CH_DOLLAR | POL_CH_LT | POL_CH_DOT | POL_CH_COLON |
	           POL_CH_AT | POL_CH_SQUOTE | POL_CH_DQUOTE | POL_CH_LBRACE | POL_CH_SLASH |
	           POL_CH_BACKTICK | POL_CH_BRACKET)))
		m = 0;
	struct ci_scan x = {s, n, CI_NONE, 0, 0, 0, 0, 0, -1, -1};
	/* a header, a field named for a file, an S3 object key or a multipart
	 * part's file name (paths that are not a URL's, which start with /) */
	int named = (ctx->where & POL_IN_PATH) && n && s[0] != '/' && !memchr(s, '/', n);
	if (((ctx->where & (POL_IN_HEADER | POL_IN_PATHISH)) || named) &&
	    !(ctx->where & POL_IN_KEY) && (ctx->chars & POL_CH_ALPHA))
		upload_header(&x, named);
	if ((ctx->chars & POL_CH_EQUALS) && !(ctx->where & POL_IN_KEY))
		php_ini(&x);
	if (ctx->chars & POL_CH_ALPHA) {
		/* /get/base64_decode: the path's last segment is the value */
		const char *slash =
		    (ctx->where & (POL_IN_PATH | POL_IN_PATHISH)) ? memrchr(s, '/', n) : NULL;
		php_name(&x, slash ? (size_t)(slash + 1 - s) : 0, !!(ctx->chars & POL_CH_EQUALS));
	}
	if (m)
		scan_code(&x);
	if (m & POL_CH_PAREN && x.best < CI_FILLER_CALL) {
		whole_call(&x, !(ctx->where & POL_IN_PATH));
		/* /get/array_diff%20%28: the path's last segment is the value */
		const char *slash =
		    (ctx->where & (POL_IN_PATH | POL_IN_PATHISH)) ? memrchr(s, '/', n) : NULL;
		if (slash && x.best < CI_FILLER_CALL) {
			size_t o = (size_t)(slash + 1 - s);
			struct ci_scan seg = {s + o, n - o, CI_NONE, 0, 0, 0, 0, 0, -1, -1};
			whole_call(&seg, 0);
			/* Python_(programming_language): a wiki title, its
			 * underscore a blank; no function's name ends with one */
			size_t k = o + seg.end - 1; /* the "(" */
			while (k > o + seg.off && (s[k - 1] == ' ' || s[k - 1] == '\t'))
				k--;
			if (seg.best > CI_PLAIN_CALL && k > o + seg.off && s[k - 1] != '_')
				note(&x, seg.best, o + seg.off, o + seg.end);
		}
	}
	if ((ctx->chars & (POL_CH_LT | POL_CH_EQUALS)) == (POL_CH_LT | POL_CH_EQUALS) &&
	    (ctx->chars & (POL_CH_DQUOTE | POL_CH_SQUOTE)) && x.best < CI_FILLER_CALL)
		markup_values(&x);
	if (x.best < CI_CALL && (ctx->chars & POL_CH_ALPHA) && (ctx->chars & POL_CH_DIGIT))
		scan_base64(&x);
	if (x.best == CI_NONE)
		return 0;
	hit->rule = ci_rules[x.best].rule;
	hit->category = POL_CAT_CODE_INJECTION;
	hit->severity = ci_rules[x.best].sev;
	hit->confidence = ci_rules[x.best].conf;
	hit->off = (uint32_t)x.off;
	hit->len = (uint32_t)(x.end - x.off);
	return 1;
}
