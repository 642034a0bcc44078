/* Detector: cmdi (OS command injection).
 *
 * An injection needs two things: a place where the shell starts a new
 * command (a separator such as ; | || && & or a newline, a substitution
 * such as $(...), `...` or <(...), a brace expansion) and, in that place, a
 * word the shell runs: a program attackers use (cat, id, curl, sh...) or an
 * absolute path to one. We find those places and read the command word the
 * way the shell would, undoing its quoting tricks (c'a't, c\at, c$@at,
 * c${x}at, cat${IFS}/etc/passwd, {cat,/etc/passwd}, w^h^o^a^m^i), then judge
 * by what follows it. English uses the same characters ("salt & pepper",
 * "this | that", "see below; cat food"), so a common word after a loose
 * separator needs shell-looking arguments (-x, /path, $VAR, a redirection)
 * before it counts, while a tight separator (";id", "|id|") or a program
 * name that is no English word ("whoami") counts on its own.
 *
 * Some grammar needs no program at all, because nothing but a shell writes
 * it: arithmetic and editing expansions in a command word ($[2+2],
 * ${PATH:0:1}), a glob naming a system folder (/[e]tc), history designators
 * (!-1!-2, ;!!), vi's shell escape (:!id), at jobs, statements of cmd.exe.
 *
 * The input is decoded first (percent encoding up to three layers, HTML
 * entities, literal \n and \r) into a stack window of CMDI_WIN bytes; windows
 * overlap by CMDI_KEEP bytes so that nothing straddling a boundary is lost.
 * Every position is examined with a bounded look-ahead, so the cost is
 * linear in the input.
 */
#include <string.h>

#include "detect.h"
#include "detect_chars.h"
#include "detect_code_injection_kw.h"
#include "detect_prose.h"

#define CMDI_WIN     4096
#define CMDI_KEEP    256 /* bytes of look-ahead a judgement may need */
#define CMDI_WORD    32  /* longest command word we compare */
#define CMDI_HOPS    3   /* sudo/env/xargs... prefixes followed at most */
#define CMDI_ENOUGH  85  /* a finding this sure ends the scan */
#define CMDI_MENTION 40  /* a command quoted as markdown code in prose: weak */

/* Flags of the program table. */
enum {
	W_EN = 1u << 0,     /* also an English word: needs shell-looking arguments */
	W_RECON = 1u << 1,  /* reconnaissance command, telling even with no argument */
	W_PREFIX = 1u << 2, /* runs the next word as a command (sudo, xargs...) */
};

static const struct {
	const char *name;
	unsigned flags;
} programs[] = {
    /* shells and interpreters */
    {"sh", 0},
    {"bash", 0},
    {"rc", W_EN}, /* Plan 9's shell */
    {"dash", W_EN},
    {"zsh", 0},
    {"ksh", 0},
    {"csh", 0},
    {"tcsh", 0},
    {"busybox", W_PREFIX},
    {"python", W_EN},
    {"python2", 0},
    {"python3", 0},
    {"perl", W_EN},
    {"php", W_EN},
    {"ruby", W_EN},
    {"node", W_EN},
    {"nodejs", 0},
    {"lua", W_EN},
    {"java", W_EN},
    {"powershell", 0},
    {"%comspec%", 0}, /* cmd.exe, named by its variable */
    {"pwsh", 0},
    {"cmd", W_EN},
    {"cscript", 0},
    {"wscript", 0},
    {"mshta", 0},
    {"rundll32", 0},
    {"regsvr32", 0},
    {"certutil", 0},
    {"bitsadmin", 0},
    {"wmic", 0},
    {"msiexec", 0},
    /* reconnaissance */
    {"id", W_EN | W_RECON},
    {"whoami", W_RECON},
    {"uname", W_EN | W_RECON}, /* also short for "user name" */
    {"hostname", W_EN | W_RECON},
    {"ifconfig", W_RECON},
    {"ipconfig", W_RECON},
    {"netstat", W_RECON},
    {"systeminfo", W_RECON},
    {"sysinfo", W_RECON},
    {"tasklist", W_RECON},
    {"printenv", W_RECON},
    {"env", W_EN | W_PREFIX},
    {"pwd", W_RECON},
    {"ls", 0},
    {"dir", W_EN},
    {"ps", W_EN},
    {"who", W_EN},
    {"w", W_EN},
    {"last", W_EN},
    {"lastlogin", 0},
    {"getent", 0},
    {"lsof", 0},
    {"net", W_EN},
    {"netsh", 0},
    {"ver", W_EN},
    {"arp", W_EN},
    {"route", W_EN},
    {"nslookup", 0},
    {"dig", W_EN},
    {"whois", W_EN},
    {"host", W_EN},
    {"which", W_EN | W_PREFIX},
    {"phpinfo", W_RECON},
    {"set", W_EN},
    /* reading and writing files */
    {"cat", W_EN},
    {"tac", 0},
    {"more", W_EN},
    {"less", W_EN},
    {"head", W_EN},
    {"tail", W_EN},
    {"nl", 0},
    {"od", 0},
    {"xxd", 0},
    {"base64", 0},
    {"strings", W_EN},
    {"grep", 0},
    {"egrep", 0},
    {"find", W_EN},
    {"locate", W_EN},
    {"awk", 0},
    {"gawk", 0},
    {"sed", 0},
    {"sort", W_EN},
    {"tr", W_EN},
    {"rev", W_EN},
    {"cut", W_EN},
    {"tee", W_EN},
    {"type", W_EN},
    {"echo", W_EN},
    {"printf", 0},
    {"touch", W_EN},
    {"cp", 0},
    {"mv", 0},
    {"rm", 0},
    {"chmod", 0},
    {"chown", 0},
    {"mkdir", 0},
    {"mkfifo", 0},
    {"mknod", 0},
    {"ln", 0},
    {"tar", W_EN},
    {"zip", W_EN},
    {"unzip", 0},
    {"dd", 0},
    {"copy", W_EN},
    {"del", W_EN},
    {"crontab", 0},
    {"useradd", 0},
    {"usermod", 0},
    {"reg", W_EN},
    {"vi", 0},
    {"vim", 0},
    {"ex", W_EN}, /* vi's line mode: ex -c ':!id' */
    {"gcc", 0},
    /* network */
    {"curl", 0},
    {"wget", 0},
    {"nc", 0},
    {"ncat", 0},
    {"netcat", 0},
    {"socat", 0},
    {"telnet", 0},
    {"ssh", 0},
    {"scp", 0},
    {"ftp", W_EN},
    {"tftp", 0},
    {"nmap", 0},
    {"ping", W_EN},
    {"traceroute", 0},
    {"tracert", 0},
    {"aws", W_EN},
    /* control */
    {"sleep", W_EN},
    {"timeout", W_EN | W_PREFIX},
    {"kill", W_EN},
    {"pkill", 0},
    {"killall", 0},
    {"nohup", W_PREFIX},
    {"sudo", W_PREFIX},
    {"su", W_EN},
    {"xargs", W_PREFIX},
    {"exec", W_EN | W_PREFIX},
    {"eval", W_EN | W_PREFIX},
    {"time", W_EN | W_PREFIX},
    {"nice", W_EN | W_PREFIX},
    {"command", W_EN | W_PREFIX},
    {"start", W_EN | W_PREFIX},
    {"call", W_EN | W_PREFIX},
    {"shutdown", W_EN},
    {"reboot", W_EN},
    {"systemctl", 0},
    {"service", W_EN},
    {"taskkill", 0},
    {"strace", W_PREFIX},
    {"ltrace", W_PREFIX},
    {"flock", W_PREFIX},
    {"gdb", W_EN},
    {"irb", 0},
    {"trap", W_EN},
    {"alias", W_EN},
    {"setsid", W_PREFIX},
    {"chroot", 0},
    {"iwr", 0},
    {"iex", 0},
    {"iwmi", 0}, /* Invoke-WmiMethod */
    {"invoke-wmimethod", 0},
    {"invoke-expression", 0},
    {"invoke-webrequest", 0},
    {"start-process", 0},
    {"wsl", 0},
    {"schtasks", 0},
    {"visudo", 0},
    {"base32", 0},
    {"c89", 0},
    {"c99", 0},
    {"cc", W_EN},
    {"ll", 0},
    {"perf", W_EN},
    {"pip", W_EN},
    {"pipx", 0},
    {"npm", W_EN},
    {"npx", 0},
    {"ansible", 0},
    {"ansible-playbook", 0},
    {"cscli", 0},
    {"ssh-copy-id", 0},
    {"openssl", W_EN},
    {"mkpasswd", 0},
    {"sqlite3", W_EN},
    {"mysql", W_EN},
    {"psql", W_EN},
    {".shell", 0},
    {".system", 0},
    {"cd", W_EN},
    {"fold", W_EN},
    {"column", W_EN},
    {"comm", W_EN},
    {"cpulimit", W_PREFIX},
    {"lastlog", 0},
    {"uconv", 0},
    {"pip3", 0},
    {"date", W_EN},
    {"rmt", 0},
    {"chef", W_EN},
    {"top", W_EN},
    {"htop", 0},
    {"aptitude", W_EN},
    {"apt", W_EN},
    {"apt-get", 0},
    {"yum", W_EN},
    {"dnf", 0},
    {"apk", 0},
    {"gzip", 0},
    {"gunzip", 0},
    {"zcat", 0},
    {"bzip2", 0},
    {"bunzip2", 0},
    {"bzcat", 0},
    {"xz", 0},
    {"unxz", 0},
    {"xzcat", 0},
    {"zstd", 0},
    {"zstdcat", 0},
    {"bsdtar", 0},
    {"7z", 0},
    {"lz4", 0},
    {"ip", W_EN},
    {"regedit", 0},
    {"bcdedit", 0},
    {"bcdboot", 0},
    {"vssadmin", 0},
    {"wevtutil", 0},
    {"icacls", 0},
    {"takeown", 0},
    /* families: a trailing '-' matches every tool of the family */
    {"ansible-", 0},
    {"chef-", 0},
    {"rmt-", 0},
    {"aa-", 0},
};

/* English words that, with these subcommands, are Windows administration,
 * or a package manager installing (told from a sentence about it, "npm
 * install is slow", by its function words: talk). */
static const struct {
	const char *program, *verb;
	int talk;
} admin_verbs[] = {
    {"net", "user", 0},
    {"net", "localgroup", 0},
    {"net", "group", 0},
    {"net", "view", 0},
    {"net", "share", 0},
    {"net", "use", 0},
    {"net", "start", 0},
    {"net", "stop", 0},
    {"net", "session", 0},
    {"net", "accounts", 0},
    {"reg", "add", 0},
    {"reg", "query", 0},
    {"reg", "delete", 0},
    {"reg", "save", 0},
    {"reg", "export", 0},
    {"netsh", "firewall", 0},
    {"netsh", "advfirewall", 0},
    {"netsh", "interface", 0},
    {"netsh", "wlan", 0},
    /* package managers installing: code fetched and run */
    {"pip", "install", 1},
    {"npm", "install", 1},
    {"apt", "install", 1},
    {"yum", "install", 1},
    {"aptitude", "install", 1},
};

/* Functions of scripting languages that hand a string to the shell. */
static const struct {
	const char *name;
	size_t len;
} exec_calls[] = {
#define CALL(s)                                                                                    \
	{                                                                                          \
		s, sizeof(s) - 1                                                                   \
	}
    CALL("system"),
    CALL("exec"),
    CALL("shell_exec"),
    CALL("passthru"),
    CALL("popen"),
    CALL("proc_open"),
    CALL("pcntl_exec"),
    CALL("os.system"),
    CALL("os.popen"),
    CALL("subprocess.call"),
    CALL("subprocess.run"),
    CALL("subprocess.popen"),
    CALL("subprocess.check_output"),
    CALL("child_process.exec"),
    CALL("child_process.execsync"),
    CALL("getruntime().exec"),
    CALL("execsync"),
    CALL("spawnsync"),
    CALL("eval"),
#undef CALL
};

/* Bytes an exec_calls name starts with, in lower case. */
static int exec_first(int c)
{
	c = ch_lower(c);
	return c == 's' || c == 'e' || c == 'p' || c == 'o' || c == 'c' || c == 'g';
}

/* Compares l bytes of s with the lower-case literal lit, ignoring case. */
static int same_ci(const char *s, const char *lit, size_t l)
{
	for (size_t k = 0; k < l; k++)
		if (ch_lower((unsigned char)s[k]) != lit[k])
			return 0;
	return 1;
}

/* ---- decoding into a window ---- */

struct window {
	const unsigned char *t; /* the bytes judged: buf, or the input itself */
	size_t m;
	int direct; /* t is the input (nothing to decode): an index is an offset */
	int plus;   /* '+' is a blank: form encoding left undecoded (;+cat+/etc/passwd) */
	unsigned char buf[CMDI_WIN];
	uint32_t at[CMDI_WIN]; /* input offset of each decoded byte */
};

static uint32_t win_at(const struct window *w, size_t i)
{
	return w->direct ? (uint32_t)i : w->at[i];
}

static const struct {
	const char *name;
	char c;
} entities[] = {
    {"lt", '<'},   {"gt", '>'},     {"amp", '&'},      {"quot", '"'},  {"apos", '\''},
    {"semi", ';'}, {"verbar", '|'}, {"vert", '|'},     {"grave", '`'}, {"dollar", '$'},
    {"lpar", '('}, {"rpar", ')'},   {"newline", '\n'}, {"sol", '/'},
};

/* Decodes one byte of s at *i (percent escapes up to three layers deep, HTML
 * entities, literal \n and \r) and advances *i past what it consumed. */
static int decode_one(const char *s, size_t n, size_t *i)
{
	size_t p = *i;
	int c = (unsigned char)s[p];
	if (c == '%') {
		/* %XX, %25XX and %2525XX all mean the byte XX */
		size_t q = p + 1;
		for (int layer = 0; layer < 3; layer++) {
			if (q + 3 < n && s[q] == '2' && s[q + 1] == '5' &&
			    ch_hexval(s[q + 2]) >= 0 && ch_hexval(s[q + 3]) >= 0) {
				q += 2;
				continue;
			}
			break;
		}
		if (q + 1 < n && ch_hexval(s[q]) >= 0 && ch_hexval(s[q + 1]) >= 0) {
			*i = q + 2;
			return ch_hexval(s[q]) * 16 + ch_hexval(s[q + 1]);
		}
		if (q + 4 < n && (s[q] == 'u' || s[q] == 'U') && s[q + 1] == '0' &&
		    s[q + 2] == '0' && ch_hexval(s[q + 3]) >= 0 && ch_hexval(s[q + 4]) >= 0) {
			*i = q + 5;
			return ch_hexval(s[q + 3]) * 16 + ch_hexval(s[q + 4]);
		}
	} else if (c == '&' && p + 2 < n) {
		if (s[p + 1] == '#') {
			size_t q = p + 2;
			int hex = 0, v = 0, d = 0;
			if (q < n && (s[q] == 'x' || s[q] == 'X')) {
				hex = 1;
				q++;
			}
			for (; q < n && d < 6; q++, d++) {
				int h = hex ? ch_hexval(s[q])
				            : (s[q] >= '0' && s[q] <= '9' ? s[q] - '0' : -1);
				if (h < 0)
					break;
				v = v * (hex ? 16 : 10) + h;
			}
			if (d > 0 && v > 0 && v < 128) {
				*i = q < n && s[q] == ';' ? q + 1 : q;
				return v;
			}
		} else if (ch_lower((unsigned char)s[p + 1]) >= 'a' &&
		           ch_lower((unsigned char)s[p + 1]) <= 'z') {
			for (size_t e = 0; e < sizeof(entities) / sizeof(entities[0]); e++) {
				size_t l = strlen(entities[e].name);
				if (entities[e].name[0] == ch_lower((unsigned char)s[p + 1]) &&
				    p + 1 + l < n && s[p + 1 + l] == ';' &&
				    same_ci(s + p + 1, entities[e].name, l)) {
					*i = p + 2 + l;
					return entities[e].c;
				}
			}
		}
	} else if (c == '\\' && p + 3 < n && s[p + 1] == '0' && s[p + 2] == '3' &&
	           s[p + 3] == '3') {
		*i = p + 4; /* "\033" written out: an escape sequence hides what follows */
		return 0x1b;
	} else if (c == '\\' && p + 3 < n && s[p + 1] == 'x' && s[p + 2] == '1' &&
	           ch_lower((unsigned char)s[p + 3]) == 'b') {
		*i = p + 4;
		return 0x1b;
	} else if (c == '\\' && p + 1 < n && (s[p + 1] == 'n' || s[p + 1] == 'r') &&
	           !(p + 3 < n && s[p + 2] == '\\' && ch_is_alpha(s[p + 3]) &&
	             !strchr("nrtbfvaeux", s[p + 3]))) {
		/* not before an escape no C string writes (cu\r\l): the shell's
		 * backslashes before letters, no line break */
		/* "\n" written out, as payload lists and JSON-in-JSON carry it */
		*i = p + 2;
		return '\n';
	}
	*i = p + 1;
	return c;
}

/* Fills the window's buffer from s at *i: decoded bytes until it is full
 * or the input ends. */
static void window_fill(struct window *w, const char *s, size_t n, size_t *i)
{
	while (*i < n && w->m < CMDI_WIN) {
		size_t from = *i;
		if (s[from] == '\\' && from + 1 < n && s[from + 1] == '\\' && w->m + 1 < CMDI_WIN) {
			/* an escaped backslash escapes nothing after it: in "cu$v\\r\l"
			 * the r is a letter, no written-out line break */
			w->buf[w->m] = w->buf[w->m + 1] = '\\';
			w->at[w->m] = (uint32_t)from;
			w->at[w->m + 1] = (uint32_t)from + 1;
			w->m += 2;
			*i += 2;
			continue;
		}
		int c = w->plus && s[from] == '+' ? (++*i, ' ') : decode_one(s, n, i);
		w->buf[w->m] = (unsigned char)c;
		w->at[w->m] = (uint32_t)from;
		w->m++;
	}
}

/* ---- reading a command word the way the shell does ---- */

struct word {
	char w[CMDI_WORD + 1];
	size_t len;
	size_t end; /* window index after the word */
	int toolong;
	int abs;        /* an absolute path: /bin/cat, c:\windows\system32\cmd.exe */
	int glob;       /* holds ? or * (or a [...] class): /???/c?t */
	int ifs;        /* $IFS separated it from its argument */
	int obfuscated; /* quotes, backslashes or empty expansions inside the word */
	int expansions; /* $x expansions that make up the word */
	int versioned;  /* a program name with its version: gcc7.4, python3.10 */
	size_t base;    /* where the name starts in w: after the last / or \\ before any NUL */
	int nul;        /* a NUL byte (quoted) is in w */
	int shell;      /* an expansion only a shell writes: $((1)), $[1+1], ${x#*} */
};

static void word_put(struct word *wd, int c)
{
	if (wd->len < CMDI_WORD) {
		wd->w[wd->len++] = (char)ch_lower(c);
		if ((c == '/' || c == '\\') && !wd->nul)
			wd->base = wd->len;
		wd->nul |= c == 0;
	} else {
		wd->toolong = 1;
	}
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

/* Ends a word outside quotes. */
static int is_word_end(int c)
{
	return is_space(c) || c == '\n' || c == '\r' || c == ';' || c == '|' || c == '&' ||
	       c == '<' || c == '>' || c == '(' || c == ')' || c == '`' || c == '}' || c == '{' ||
	       c == 0 || c == 0x1b;
}

static int is_name_char(int c)
{
	return ch_is_alnum(c) || c == '_';
}

/* What skip_expansion found besides an empty expansion. */
enum {
	EXP_IFS = 1,   /* $IFS: a blank */
	EXP_SHELL = 2, /* arithmetic or a pattern cut: grammar only a shell has */
};

/* A byte of an arithmetic expression: operands, operators, blanks. */
static int arith_char(int c)
{
	return is_name_char(c) || c == ' ' || c == '$' || (c && strchr("+-*/%<>=!&|^~?:,", c));
}

/* At t[k] == '$': an expansion that only a shell writes, returning the index
 * after it or k. Arithmetic, $((6*7)) (its parentheses balanced, closing
 * together) and $[2+2] (empty, or an operator between operands: JSONPath's
 * $[0], $[-1], $[*] and $['a'] are none); a parameter expansion that cuts
 * or edits: ${x#pattern}, ${x%pattern}, ${x//a/b}, ${x^^}, ${x,,},
 * ${x:0:1} (a template's ${name}, ${a/b} or ${port:8080} does not). */
static size_t shell_expansion(const unsigned char *t, size_t m, size_t k)
{
	size_t lim = k + 64 < m ? k + 64 : m, e;
	if (k + 2 >= m)
		return k;
	if (t[k + 1] == '(' && t[k + 2] == '(') {
		int depth = 2;
		for (e = k + 3; e < lim; e++) {
			if (t[e] == '(') {
				depth++;
			} else if (t[e] == ')') {
				if (depth == 2) /* $((a)+b) is a command's subshell */
					return e + 1 < m && t[e + 1] == ')' ? e + 2 : k;
				depth--;
			} else if (!arith_char(t[e])) {
				return k;
			}
		}
		return k;
	}
	if (t[k + 1] == '[') {
		int operand = 0, op = 0;
		for (e = k + 2; e < lim && t[e] != ']'; e++) {
			int c = t[e];
			if (is_name_char(c) || c == ')')
				operand = 1;
			else if (c && strchr("+-*/%<>=!&|^", c))
				op |= operand;
			else if (c != ' ' && c != '(' && c != '$')
				return k;
		}
		return e < lim && (e == k + 2 || op) ? e + 1 : k;
	}
	if (t[k + 1] == '{') {
		for (e = k + 2; e < lim && is_name_char(t[e]); e++)
			;
		if (e == k + 2 || e + 1 >= lim)
			return k;
		int op = t[e] == '#' || t[e] == '%' ||
		         ((t[e] == '/' || t[e] == '^' || t[e] == ',') && t[e + 1] == t[e]);
		if (t[e] == ':' && ch_is_digit(t[e + 1])) {
			/* ${PATH:0:1}: a substring, offset and length (Spring's
			 * ${port:8080} has no length) */
			size_t d = e + 1;
			while (d < lim && ch_is_digit(t[d]))
				d++;
			op = d + 1 < lim && t[d] == ':' && ch_is_digit(t[d + 1]);
		}
		if (!op)
			return k;
		for (int depth = 1; e < lim; e++) {
			if (t[e] == '{')
				depth++;
			else if (t[e] == '}' && --depth == 0)
				return e + 1;
			else if (is_space(t[e]) || t[e] == '\n' || t[e] == '\r')
				return k;
		}
	}
	return k;
}

/* At t[k] == '$': consumes an expansion that is empty or $IFS in an attack
 * (c$@at, c${x}at, c$()at, ${IFS}, $IFS$9, c${gcc7.4}at). Returns the index
 * after it, or k when it is something else; sets EXP_IFS in *ifs for $IFS and
 * EXP_SHELL for what shell_expansion reads. */
static size_t skip_expansion(const unsigned char *t, size_t m, size_t k, int *ifs)
{
	if (k + 1 >= m)
		return k;
	int c = t[k + 1];
	if (c == '(' || c == '[' || c == '{') {
		size_t e = shell_expansion(t, m, k);
		if (e > k) {
			*ifs |= EXP_SHELL;
			return e;
		}
	}
	if (c == '@' || c == '*' || c == '?' || c == '!' || c == '_' || c == '-' || c == '#' ||
	    c == '$' || (c >= '0' && c <= '9'))
		return k + 2; /* special parameters: c$@at, c$?at, c$!at */
	if (c == '(' && k + 2 < m && t[k + 2] == ')')
		return k + 3;
	if (c == '{') {
		size_t e = k + 2;
		while (e < m && e < k + 40 && is_name_char(t[e]))
			e++;
		if (e - (k + 2) == 3 && memcmp(t + k + 2, "IFS", 3) == 0) {
			/* ${IFS}, ${IFS%??}, ${IFS:0:1} */
			while (e < m && e < k + 24 && t[e] != '}')
				e++;
			if (e >= m || t[e] != '}')
				return k; /* unclosed: no expansion, and no blank */
			*ifs |= EXP_IFS;
			return e + 1;
		}
		if (e > k + 2 && e < m && t[e] == '}')
			return e + 1;
		/* ${gcc7.4}: no name bash accepts, yet nothing when it runs */
		while (e < m && e < k + 40 && (is_name_char(t[e]) || t[e] == '.' || t[e] == '-'))
			e++;
		if (e > k + 2 && e < m && t[e] == '}')
			return e + 1;
		return k;
	}
	if (c == '_' || (ch_lower(c) >= 'a' && ch_lower(c) <= 'z')) {
		size_t e = k + 1;
		while (e < m && e < k + 40 && is_name_char(t[e]))
			e++;
		if (e - (k + 1) == 3 && memcmp(t + k + 1, "IFS", 3) == 0)
			*ifs |= EXP_IFS;
		return e;
	}
	return k;
}

/* At t[k] == '{': a brace expansion glued to the word read so far
 * ({,ifconfig}, {id,}, c{a,oun}t, {l,-lh}s, {cat,/etc/passwd}). The shell
 * runs the first alternative that, with the prefix and suffix, is not empty,
 * and the others become its arguments. Completes *wd and returns 1, or 0
 * when this is no expansion (no comma, spaces, nesting). */
static int brace_word(const unsigned char *t, size_t m, size_t k, size_t limit, struct word *wd)
{
	size_t close = k + 1, commas = 0;
	while (close < limit && close < k + 96 && t[close] != '}' && t[close] != '{' &&
	       !is_space(t[close]) && t[close] != '\n' && t[close] != '\r')
		commas += t[close++] == ',';
	if (close >= limit || t[close] != '}' || !commas)
		return 0;
	size_t suf = close + 1, suf_end = suf;
	while (suf_end < m && suf_end < suf + 16 && (is_name_char(t[suf_end]) || t[suf_end] == '.'))
		suf_end++;
	size_t prefix = wd->len;
	int empty_alt = 0, picked = 0;
	for (size_t a = k + 1; a <= close;) {
		size_t e = a;
		while (e < close && t[e] != ',')
			e++;
		if (e == a) {
			empty_alt = 1;
		} else if (!picked) {
			for (size_t j = a; j < e; j++) {
				int c = t[j];
				if (c == '\'' || c == '"' ||
				    (c == '$' && j + 1 < e &&
				     (t[j + 1] == '\'' || t[j + 1] == '"'))) {
					wd->obfuscated = 1; /* {,$'whoami',} */
					continue;
				}
				if (c == '$') { /* {n$u\c$u,-nlvp,777}: empty expansions */
					int ifs = 0;
					size_t x = skip_expansion(t, e, j, &ifs);
					if (x > j) {
						wd->obfuscated = 1;
						wd->expansions++;
						j = x - 1;
						continue;
					}
				}
				if (c == '\\' && j + 1 < e && wd->len > 0 &&
				    ch_is_alnum(t[j + 1])) {
					word_put(wd, t[++j]); /* {c\at,/etc/passwd} */
					wd->obfuscated = 1;
					continue;
				}
				if (c == '?' || c == '*')
					wd->glob = 1;
				if (wd->len == 0 && (c == '/' || c == '\\'))
					wd->abs = 1;
				word_put(wd, c);
			}
			for (size_t j = suf; j < suf_end; j++)
				word_put(wd, t[j]);
			picked = 1;
			/* the next alternative is this command's argument */
			if (e < close && e + 1 < m && strchr("/-$.~'\"", t[e + 1]))
				wd->obfuscated = 1;
		}
		a = e + 1;
	}
	/* an empty alternative or a brace glued to letters is shell grammar
	 * that prose does not write */
	if (empty_alt || prefix || suf_end > suf)
		wd->obfuscated = 1;
	if (!picked || !wd->obfuscated) {
		/* {cat,dog}: a list in prose, read as a word list below */
		memset(wd, 0, sizeof(*wd));
		return 0;
	}
	wd->end = suf_end;
	wd->w[wd->len] = 0;
	return 1;
}

/* Bytes read_word merely adds to the word outside quotes: none that ends a
 * word or that it treats specially anywhere. Each maps to itself in lower
 * case; 0 for the others. */
static unsigned char word_plain[256];
static unsigned char word_one[256]; /* 1 where word_plain is not 0 */

static void __attribute__((constructor)) word_plain_init(void)
{
	for (int c = 1; c < 256; c++)
		if (!is_word_end(c) && !strchr("{'\"\\`^$<>+,[?*/:", c))
			word_plain[c] = (unsigned char)ch_lower(c);
	for (int c = 0; c < 256; c++)
		word_one[c] = word_plain[c] != 0;
}

static void read_word(const unsigned char *t, size_t m, size_t k, struct word *wd)
{
	memset(wd, 0, sizeof(*wd));
	size_t limit = k + 96 < m ? k + 96 : m;
	int brace = 0, quote = 0, split = 0;
	size_t qlen = 0, qk = 0;    /* the word before an opening quote */
	if (k < m && t[k] == '{') { /* brace expansion: {cat,/etc/passwd} */
		if (brace_word(t, m, k, limit, wd))
			return;
		brace = 1;
		k++;
	}
	while (k < limit) {
		int c = t[k];
		if (!quote && word_plain[c]) {
			/* a run of ordinary bytes (none is / or \\), lowered by
			 * the table as it is copied */
			size_t e = k, stop = limit - k > CMDI_WORD - wd->len
			                         ? k + (CMDI_WORD - wd->len)
			                         : limit;
			char *o = wd->w + wd->len;
			for (; e < stop && word_plain[t[e]]; e++)
				*o++ = (char)word_plain[t[e]];
			wd->len = (size_t)(o - wd->w);
			if (e == stop && e < limit && word_plain[t[e]]) {
				wd->toolong = 1;
				while (e < limit && word_plain[t[e]])
					e++;
			}
			k = e;
			continue;
		}
		if (c == '{' && !quote && wd->len > 0 && brace_word(t, m, k, limit, wd))
			return;
		if (quote) {
			if (c == quote) {
				/* "c'a't" splits a word; "'cat'" merely quotes it */
				quote = 0;
				wd->obfuscated |= split || (k + 1 < m && !is_word_end(t[k + 1]));
			} else {
				word_put(wd, c);
			}
			k++;
			continue;
		}
		if (c == '\'' || c == '"') {
			quote = c;
			split = wd->len > 0;
			qlen = wd->len;
			qk = k;
			k++;
			continue;
		}
		if (c == '\\' && k + 1 < m && !wd->abs && wd->len > 0 && ch_is_alnum(t[k + 1]) &&
		    !(wd->len >= 2 && wd->w[1] == ':')) {
			/* c\at; not inside a Windows path, whose backslashes separate */
			word_put(wd, t[k + 1]);
			wd->obfuscated = 1;
			k += 2;
			continue;
		}
		if (c == '\\' && k + 2 < m && t[k + 1] == '\\' && !wd->abs && wd->len > 0 &&
		    ch_is_alnum(t[k + 2]) && !(wd->len >= 2 && wd->w[1] == ':')) {
			/* c\\at: the escape doubled by one more layer of quoting */
			word_put(wd, t[k + 2]);
			wd->obfuscated = 1;
			k += 3;
			continue;
		}
		if (c == '`' && k + 1 < m && t[k + 1] == '`' && wd->len > 0) { /* pi``ng */
			wd->obfuscated = 1;
			k += 2;
			continue;
		}
		if (c == '^' && k + 1 < m &&
		    ch_is_alnum(t[k + 1])) { /* cmd.exe escape: w^h^o^a^m^i */
			wd->obfuscated = 1;
			k++;
			continue;
		}
		if (c == '$') {
			int ifs = 0;
			size_t e = skip_expansion(t, m, k, &ifs);
			if (e == k)
				break;
			k = e;
			wd->shell |= (ifs & EXP_SHELL) != 0;
			if (ifs & EXP_IFS) {
				wd->ifs = 1;
				break;
			}
			wd->obfuscated = 1;
			wd->expansions++;
			continue;
		}
		if ((c == '<' || c == '>') && wd->len > 0 && k + 2 < m && t[k + 1] == '(' &&
		    t[k + 2] == ')') { /* pi<()ng: an empty process substitution */
			wd->obfuscated = 1;
			k += 3;
			continue;
		}
		if (c == '+' && wd->len >= 2 && k + 1 < m &&
		    (t[k + 1] == '/' || t[k + 1] == '-' || t[k + 1] == '$'))
			break; /* cat+/etc/passwd: a form-encoded space */
		if ((brace && c == ',') || is_word_end(c))
			break;
		if (c == '[') { /* a glob class stands for one character */
			size_t e = k + 1;
			while (e < limit && e < k + 12 && t[e] != ']')
				e++;
			if (e < limit && t[e] == ']') {
				word_put(wd, '?');
				wd->glob = 1;
				k = e + 1;
				continue;
			}
		}
		if (c == '?' || c == '*')
			wd->glob = 1;
		if (wd->len == 0 && (c == '/' || c == '\\'))
			wd->abs = 1;
		if (wd->len == 1 && c == ':' && k + 1 < m && (t[k + 1] == '\\' || t[k + 1] == '/'))
			wd->abs = 1;
		word_put(wd, c);
		k++;
	}
	if (quote) { /* an apostrophe (I'd) or the closing quote of the payload: id' */
		wd->len = qlen;
		k = qk;
		if (wd->base > qlen) { /* the last / was in the part dropped */
			wd->base = 0;
			for (size_t j = 0; j < qlen && wd->w[j]; j++)
				if (wd->w[j] == '/' || wd->w[j] == '\\')
					wd->base = j + 1;
		}
	}
	if (brace && !(k < m && t[k] == ',')) {
		wd->len = 0; /* a brace group that is no expansion */
		wd->base = 0;
	} else if (brace && k + 1 < m && strchr("/-$.~'\"", t[k + 1]))
		wd->obfuscated = 1; /* {cat,/etc/passwd}: a command line without spaces */
	wd->end = k;
	wd->w[wd->len] = 0;
}

/* ---- the program table ---- */

static int glob_match(const char *p, const char *s)
{
	/* bounded: patterns and names are at most CMDI_WORD bytes, one star
	 * backtrack point at a time */
	const char *star = NULL, *ss = NULL;
	while (*s) {
		if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (*p == '*') {
			star = p++;
			ss = s;
		} else if (star) {
			p = star + 1;
			s = ++ss;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == 0;
}

/* The program table hashed once before main(): a word costs one probe, not a
 * walk of the table. An entry's role is its index plus one (no name is
 * listed twice). */
#define NPROGRAMS (sizeof(programs) / sizeof(programs[0]))
static struct kw_table prog_kw;
static struct kw_entry prog_entries[NPROGRAMS];

/* The first three bytes of every name (NULs past a short name's end),
 * hashed to one bit each: an exact match, a family member (ansible-x) and
 * a versioned name (gcc7.4; a two-letter name is also marked with each digit
 * third) all start with the bytes of an entry, so a word whose bit is clear
 * is no program at the cost of one load. */
static uint64_t prog_tris[65536 / 64];

static unsigned tri_hash(int a, int b, int c)
{
	return ((unsigned)a * 2654435761u ^ (unsigned)b * 40503u ^ (unsigned)c * 977u) & 0xffff;
}

static int tri_has(int a, int b, int c)
{
	unsigned h = tri_hash(a, b, c);
	return (int)(prog_tris[h >> 6] >> (h & 63)) & 1;
}

static int prog_tri(const char *name)
{
	int a = (unsigned char)name[0], b = a ? (unsigned char)name[1] : 0,
	    c = b ? (unsigned char)name[2] : 0;
	return tri_has(a, b, c);
}

/* The longest name without a dash: a word longer than that, with no dash
 * (a family member's or a dashed name's) and no version at its end, is no
 * program. */
static size_t prog_maxlen_nodash;

static void tri_add(int a, int b, int c)
{
	unsigned h = tri_hash(a, b, c);
	prog_tris[h >> 6] |= 1ull << (h & 63);
}

static void tri_add_name(const char *nm)
{
	size_t l = strlen(nm);
	int a = (unsigned char)nm[0], b = l > 1 ? (unsigned char)nm[1] : 0,
	    c = l > 2 ? (unsigned char)nm[2] : 0;
	if (l == 2 && b == '-') { /* a family "x-": any third byte */
		for (int x = 0; x < 256; x++)
			tri_add(a, b, x);
		return;
	}
	tri_add(a, b, c);
	if (l == 2) /* versioned: ip6, cc1 */
		for (int d = '0'; d <= '9'; d++)
			tri_add(a, b, d);
}

static void __attribute__((constructor)) prog_kw_init(void)
{
	for (size_t e = 0; e < NPROGRAMS; e++) {
		prog_entries[e] = (struct kw_entry){programs[e].name, (uint32_t)e + 1};
		tri_add_name(programs[e].name);
		size_t l = strlen(programs[e].name);
		if (!strchr(programs[e].name, '-') && l > prog_maxlen_nodash)
			prog_maxlen_nodash = l;
	}
	kw_build(&prog_kw, prog_entries, NPROGRAMS);
}

/* The table entry a (lower-case) name matches, or -1; a glob pattern is
 * matched against every entry. */
static int name_lookup(const char *name, int glob)
{
	if (!glob) {
		size_t l = strlen(name);
		uint32_t r = kw_roles(&prog_kw, prog_entries, name, l);
		const char *dash = memchr(name, '-', l);
		if (!r && dash && dash[1]) /* a family: "ansible-" for ansible-playbook */
			r = kw_roles(&prog_kw, prog_entries, name, (size_t)(dash - name) + 1);
		/* a name listed twice would OR two indexes: never an entry */
		return r <= NPROGRAMS ? (int)r - 1 : -1;
	}
	for (size_t e = 0; e < NPROGRAMS; e++) {
		if (!glob && programs[e].name[0] != name[0])
			continue;
		size_t pl = strlen(programs[e].name);
		if (programs[e].name[pl - 1] == '-') {
			if (!glob && strncmp(name, programs[e].name, pl) == 0 && name[pl])
				return (int)e;
			continue;
		}
		if (glob ? glob_match(name, programs[e].name) : strcmp(name, programs[e].name) == 0)
			return (int)e;
	}
	return -1;
}

static int program_lookup(struct word *wd, int *bindir)
{
	const char *w = wd->w, *base = w + wd->base;
	size_t bl = strlen(base);
	char name[CMDI_WORD + 1];
	memcpy(name, base, bl + 1);
	if (bl > 4 && memcmp(name + bl - 4, ".exe", 4) == 0)
		name[bl - 4] = 0;
	*bindir = 0;
	static const char *const dirs[] = {"/bin/",      "/sbin/",          "/usr/bin/",
	                                   "/usr/sbin/", "/usr/local/bin/", "\\system32\\"};
	if (wd->abs && base > w) {
		for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
			size_t dl = strlen(dirs[d]);
			if ((size_t)(base - w) >= dl && memcmp(base - dl, dirs[d], dl) == 0)
				*bindir = 1;
		}
		if (wd->glob && !*bindir) {
			/* /b??/x, c:\*\*32\x: a glob that names a binary folder,
			 * with a letter or digit of its own (a star alone between
			 * slashes, as .gitignore files write, names every folder) */
			char dir[CMDI_WORD + 1], real[CMDI_WORD + 1];
			size_t dl = (size_t)(base - w), lit = 0;
			memcpy(dir, w, dl);
			dir[dl] = 0;
			for (size_t j = dir[1] == ':' ? 2 : 0; j < dl; j++)
				lit += ch_is_alnum(dir[j]);
			for (size_t d = 0; lit && d < sizeof(dirs) / sizeof(dirs[0]) && !*bindir;
			     d++) {
				const char *r = dirs[d];
				if (r[0] == '\\') { /* the drive the word names, \windows */
					if (dl < 3 || dir[1] != ':')
						continue;
					real[0] = dir[0];
					memcpy(real + 1, ":\\windows", 9);
					memcpy(real + 10, r, strlen(r) + 1);
					r = real;
				}
				*bindir = glob_match(dir, r);
			}
		}
	} else if (!wd->abs && base > w) {
		/* bin/visudo, usr/sbin/x: the same folders, relative (the
		 * working directory is often /) */
		for (size_t d = 0; d < 5; d++) {
			size_t dl = strlen(dirs[d]) - 1;
			if ((size_t)(base - w) == dl && memcmp(w, dirs[d] + 1, dl) == 0)
				*bindir = 1;
		}
	}
	if (!name[0])
		return -1;
	if (!wd->abs && !wd->glob && base > w && memchr(w, '/', wd->len) == base - 1 && bl <= 3 &&
	    ch_is_alpha(name[0]) && (bl < 2 || ch_is_alpha(name[1]))) {
		/* bcdboot/r, ipconfig/all: a Windows switch glued to a program
		 * no English word spells ("and/or", "w/o" are words) */
		char prog[CMDI_WORD + 1];
		size_t pl = (size_t)(base - 1 - w);
		memcpy(prog, w, pl);
		prog[pl] = 0;
		int e = prog_tri(prog) ? name_lookup(prog, 0) : -1;
		if (e >= 0 && !(programs[e].flags & W_EN))
			return e;
	}
	if (wd->glob) {
		/* c?t and /???/c?t are obfuscations; "***" and "[I]n" are prose */
		size_t lit = 0;
		for (const char *p = name; *p; p++)
			lit += *p != '?' && *p != '*';
		if (lit < 2 && !(wd->abs && strchr(w + 1, '/')))
			return -1;
	}
	if (!wd->glob && !prog_tri(name))
		return -1;
	int e = name_lookup(name, wd->glob);
	if (e >= 0 || wd->glob)
		return e;
	/* gcc7.4, python3.10: a program with its version is no English word */
	size_t l = strlen(name), v = l;
	while (v > 0 && (ch_is_digit(name[v - 1]) || name[v - 1] == '.' || name[v - 1] == '_'))
		v--;
	/* cp1252, ip1: a code page, a variable; a two-letter name needs its
	 * version's dot (sh5.2) */
	if (v < 2 || v == l || !ch_is_digit(name[v]) || !ch_is_alpha(name[v - 1]) ||
	    (v == 2 && !memchr(name + v, '.', l - v)))
		return -1;
	name[v] = 0;
	e = name_lookup(name, 0);
	wd->versioned = e >= 0;
	return e;
}

/* A glob whose first component names a top folder of the system when the
 * shell expands it (/[e]tc, /e??/p?ss??): a path hidden from filters. It
 * needs a letter there (/???/c?t is read as a program); a log pattern such
 * as /var/log/app-?.log globs no top folder. */
static int glob_sysdir(const struct word *wd)
{
	static const char *const dirs[] = {"etc", "bin", "sbin", "usr",  "proc", "dev", "var",
	                                   "tmp", "opt", "home", "root", "boot", "lib", "sys"};
	char comp[CMDI_WORD + 1];
	size_t l = 0, lit = 0, glob = 0;
	if (!wd->abs || !wd->glob || wd->w[0] != '/')
		return 0;
	for (const char *p = wd->w + 1; *p && *p != '/'; p++) {
		comp[l++] = *p;
		glob += *p == '?' || *p == '*';
	}
	comp[l] = 0;
	lit = l - glob;
	if (!glob || !lit)
		return 0;
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++)
		if (glob_match(comp, dirs[d]))
			return 1;
	return 0;
}

/* 1 when the word at t[k] is certainly no program and no statement, told
 * without reading it: ordinary bytes, / and : only (no quoting, glob,
 * expansion or Windows drive), ending where read_word must end it, and the
 * name after its last / starting with two bytes no program starts with.
 * Exact: whenever it says 1, judge would find nothing. */
static int word_is_nothing(const unsigned char *t, size_t m, size_t k)
{
	size_t cap = k + CMDI_WORD + 1 < m ? k + CMDI_WORD + 1 : m, e, name = k;
	if (k + 1 >= m || !word_plain[t[k]] || t[k + 1] == ':' || t[k] == '.')
		return 0; /* ". shell x", ".tables": the sqlite3 shell's, judge reads them */
	int a = word_plain[t[k]], b = ch_lower(t[k + 1]);
	if ((a == 'f' && b == 'o') || (a == 'i' && b == 'f') || (a == 'a' && b == 'l') ||
	    (a == 'a' && b == 't' && (k + 2 >= m || is_space(t[k + 2]))))
		return 0; /* for, if, alias, at: judge_statement reads them */
	for (e = k + 1;; e++) {
		while (e + 4 <= cap && (word_one[t[e]] & word_one[t[e + 1]] & word_one[t[e + 2]] &
		                        word_one[t[e + 3]]))
			e += 4;
		while (e < cap && word_plain[t[e]])
			e++;
		if (e >= cap || (t[e] != '/' && t[e] != ':'))
			break;
		if (t[e] == '/')
			name = e + 1;
	}
	if (e == k + CMDI_WORD + 1)
		return 1; /* longer than any name: read_word calls it too long */
	if (e < m) {
		/* only the ends read_word never reads past (pi``ng, pi<()ng and
		 * c{a,oun}t go on) */
		int c = t[e];
		if (!is_word_end(c) || c == '`' || c == '<' || c == '>' || c == '{')
			return 0;
	}
	if (e - name > 4 && t[e - 4] == '.' && same_ci((const char *)t + e - 4, ".exe", 4))
		return 0; /* id.exe: the name is "id" */
	if (name == e)
		return 1; /* "dir/": no name at all */
	if (e - name <= 3 && name > k + 1 && t[name - 1] == '/' &&
	    !memchr(t + k, '/', name - 1 - k) &&
	    tri_has(ch_lower(t[k]), ch_lower(t[k + 1]), k + 2 < name - 1 ? ch_lower(t[k + 2]) : 0))
		return 0; /* bcdboot/r: a program, then a switch */
	if (e - name > prog_maxlen_nodash && !memchr(t + name, '-', e - name) &&
	    !ch_is_digit(t[e - 1]) && t[e - 1] != '.' && t[e - 1] != '_')
		return 1; /* user4008@example.com: longer than any name */
	return !tri_has(ch_lower(t[name]), name + 1 < e ? ch_lower(t[name + 1]) : 0,
	                name + 2 < e ? ch_lower(t[name + 2]) : 0);
}

/* ---- what follows the command word ---- */

enum follow {
	F_END,    /* end of the command: ;id; */
	F_ARGS,   /* shell-looking argument: -x /path $V `...` >file C:\ %VAR% url */
	F_QUOTED, /* a quoted argument */
	F_PLAIN,  /* an ordinary word, as English continues */
};

struct next {
	enum follow kind;
	size_t at; /* where the argument starts */
	int ifs;
};

static int is_sep(int c)
{
	return c == ';' || c == '|' || c == '&' || c == '\n' || c == '\r' || c == '`' || c == ')' ||
	       c == '}';
}

static struct next classify_next(const unsigned char *t, size_t m, size_t k, int ifs)
{
	struct next nx = {F_END, k, ifs};
	if (k + 1 < m && t[k] == '+' && strchr("/-$", t[k + 1]))
		k++; /* cat+/etc/passwd: the word ended at a form-encoded space */
	for (;;) {
		while (k < m && is_space(t[k]))
			k++;
		if (k < m && t[k] == '$') {
			int f = 0;
			size_t e = skip_expansion(t, m, k, &f);
			if ((f & EXP_IFS) && e > k) { /* each turn moves on */
				nx.ifs = 1;
				k = e;
				continue;
			}
		}
		break;
	}
	nx.at = k;
	if (k >= m)
		return nx;
	int c = t[k], d = k + 1 < m ? t[k + 1] : 0;
	if (is_sep(c) || (c == '#' && k > 0 && is_space(t[k - 1])))
		return nx; /* "| sh #": a comment ends the command */
	if (c == '\'' || c == '"') {
		if (d == c || is_sep(d) || k + 1 >= m) /* ";id" or ';id;' : the quote closes */
			return nx;
		nx.kind = F_QUOTED;
		/* echo "<?php ... ?>" > shell.php: a redirection after the string */
		size_t e = k + 1;
		while (e < m && e < k + 160 && t[e] != c)
			e++;
		/* kill '-'9, kill "-9": an option quoted whole or in part (the
		 * quote glued to the rest of its word) */
		if (e < m && t[e] == c && d == '-' &&
		    (e + 1 < m ? ch_is_alnum(t[e + 1]) || is_word_end(t[e + 1]) : 1))
			nx.kind = F_ARGS;
		for (e++; e < m && is_space(t[e]); e++)
			;
		if (e < m && (t[e] == '>' || t[e] == '|'))
			nx.kind = F_ARGS;
		return nx;
	}
	if ((c == '<' || c == '>') && d == '=')
		return nx.kind = F_PLAIN, nx; /* "node >= 0.2", "(cp <= cq)": a comparison */
	nx.kind = F_ARGS;
	if ((c == '-' && (ch_is_alnum(d) || (d == '-' && k + 2 < m && ch_is_alnum(t[k + 2])))) ||
	    c == '/' || c == '$' || c == '<' || c == '>' || c == '*' || (c == '~' && d == '/') ||
	    (c == '.' && (d == '/' || d == '.')) || (c == '%' && ch_is_alnum(d)) ||
	    (c == '\\' && d == '\\') ||
	    (ch_is_alnum(c) && d == ':' && k + 2 < m && (t[k + 2] == '\\' || t[k + 2] == '/')) ||
	    ((c == '1' || c == '2') && d == '>'))
		return nx;
	if (c >= '0' && c <= '9') {
		size_t e = k, dots = 0;
		while (e < m && e < k + 40 && ((t[e] >= '0' && t[e] <= '9') || t[e] == '.'))
			dots += t[e++] == '.';
		while (e < m && is_space(t[e]))
			e++;
		if (dots >= 3 || e >= m || is_sep(t[e]) || t[e] == '\'' || t[e] == '"' ||
		    t[e] == '<' || t[e] == '>' || t[e] == '#')
			return nx; /* sleep 5; ping 10.0.0.1, sleep 5 # */
	}
	/* a word: a URL or an assignment-looking flag still counts */
	size_t e = k;
	while (e < m && e < k + 64 && !is_word_end(t[e])) {
		if (t[e] == ':' && e + 2 < m && t[e + 1] == '/' && t[e + 2] == '/')
			return nx;
		e++;
	}
	/* rc script.sh: a script file, as a shell's argument */
	if ((e - k > 3 && same_ci((const char *)t + e - 3, ".sh", 3)) ||
	    (e - k > 4 && (same_ci((const char *)t + e - 4, ".ps1", 4) ||
	                   same_ci((const char *)t + e - 4, ".bat", 4))))
		return nx;
	nx.kind = F_PLAIN;
	return nx;
}

/* At t[k] == '$' (a variable in command position): was the variable
 * assigned a name or path in the 256 bytes before, as a command of its own
 * (NAME=word at the start or after a separator)? */
static int assigned_before(const unsigned char *t, size_t m, size_t k)
{
	size_t b = k + 1 + (k + 1 < m && t[k + 1] == '{'), e = b;
	while (e < m && e < b + 32 && is_name_char(t[e]))
		e++;
	size_t l = e - b;
	if (!l)
		return 0;
	for (size_t p = k > 256 ? k - 256 : 0; p + l + 1 < k; p++) {
		int v = t[p + l + 1]; /* the value: a program's name, not a number */
		if (memcmp(t + p, t + b, l) != 0 || t[p + l] != '=' ||
		    !(ch_is_alpha(v) || v == '/' || v == '\'' || v == '"' ||
		      (v == '$' && p + l + 2 < k && t[p + l + 2] == '\'')))
			continue;
		if (p == 0 || is_space(t[p - 1]) || t[p - 1] == ';' || t[p - 1] == '&' ||
		    t[p - 1] == '|' || t[p - 1] == '\n' || t[p - 1] == '=')
			return 1; /* cmd=garb=adduse[r];$garb: a value that assigns */
	}
	return 0;
}

/* Function words of English: arguments holding one ("nmap results are in
 * the report", "python3.10 is out") continue a sentence, not a command. */
static const char *const function_words[] = {
    "a",    "an",   "the",  "is",  "are",  "was",  "were", "be",  "been", "for", "of",
    "to",   "in",   "on",   "and", "or",   "with", "from", "by",  "it",   "its", "this",
    "that", "will", "can",  "not", "no",   "my",   "your", "our", "we",   "you", "i",
    "he",   "she",  "they", "has", "have", "had",  "do",   "does"};

/* Do the plain words from t[k] to the end of the command (at most eight)
 * include an English function word, or run longer than a command line? */
static int english_args(const unsigned char *t, size_t m, size_t k)
{
	for (int words = 0; k < m && !is_sep(t[k]); words++) {
		if (words == 8)
			return 1;
		size_t e = k;
		while (e < m && !is_word_end(t[e]))
			e++;
		size_t l = e - k;
		for (size_t f = 0; l <= 4 && f < sizeof(function_words) / sizeof(function_words[0]);
		     f++)
			if (strlen(function_words[f]) == l &&
			    same_ci((const char *)t + k, function_words[f], l))
				return 1;
		while (e < m && is_space(t[e]))
			e++;
		if (e == k)
			break; /* a byte that ends words but no command: ( < > { */
		k = e;
	}
	return 0;
}

/* Is the word at t[k] one letter said over and over (MMMM, yyyy, HH:mm,
 * "dd MMM yyyy"): a date or number format, whose fields shells have no
 * use for? */
static int format_letters(const unsigned char *t, size_t m, size_t k)
{
	size_t e = k, run = 0;
	while (e < m && ch_is_alpha(t[e]) && t[e] == t[k])
		e++, run++;
	return run >= 2 && (e == m || is_space(t[e]) || strchr(":-/.,", t[e]));
}

/* Does the text end as a sentence does, a word and a full stop? */
static int ends_sentence(const unsigned char *t, size_t m)
{
	while (m > 0 && is_space(t[m - 1]))
		m--;
	return m >= 2 && t[m - 1] == '.' && ch_is_alpha(t[m - 2]);
}

/* The word at the start of the value, [b, e), followed as nx says: a
 * shape no command line has? "Python 3.11", "Route 53", "Start 1.8.3.1
 * maintenance track" (a capitalised name and a number: a product and its
 * version), "TaskList" alone (an identifier in camel case), "grep -P: fix
 * it" (a changelog's heading: an option and a colon), "cp = Counter(...)"
 * (another language's assignment). */
static int start_not_command(const unsigned char *t, size_t m, size_t b, size_t e, struct next nx)
{
	int title = e > b + 1 && t[b] >= 'A' && t[b] <= 'Z', camel = 0;
	for (size_t k = b + 1; k < e; k++) {
		title &= !(t[k] >= 'A' && t[k] <= 'Z');
		camel |= t[k - 1] >= 'a' && t[k - 1] <= 'z' && t[k] >= 'A' && t[k] <= 'Z';
	}
	size_t a = nx.at;
	if (title && nx.kind == F_ARGS && a < m && ch_is_digit(t[a]))
		return 1;
	if (camel && nx.kind == F_END)
		return 1;
	if (nx.kind == F_ARGS && a + 2 < m && t[a] == '-') {
		size_t o = a + 1;
		while (o < m && o < a + 24 && (ch_is_alnum(t[o]) || t[o] == '-'))
			o++;
		if (o + 1 < m && t[o] == ':' && is_space(t[o + 1]))
			return 1;
	}
	return a + 1 < m && a > e && t[a] == '=' && is_space(t[a + 1]);
}

/* ---- judging a command position ---- */

enum strength {
	ST_START, /* the start of the input: only a whole command line counts */
	ST_LOOSE, /* a separator English also uses: "salt & pepper", "x; cat food" */
	ST_TIGHT, /* a separator only a shell uses that way: ";id", "$(", "&&" */
	ST_CALL,  /* the string argument of system(), popen()...: a command line */
};

struct scan {
	const struct window *w;
	int final; /* the window reaches the end of the input */
	struct pol_hit *hit;
	int found;
	const char *s; /* the value, for prose_value */
	size_t n;
	int prose; /* the value reads as a sentence (detect_prose.h); -1: not asked yet */
	int cap;   /* while judging a mention: the most a finding may say */
	int calls; /* a '(' may be in the decoded input: exec calls are looked for */
	int quiet; /* no byte scan_window stops at is in the input: only its start is judged */
	size_t lead_sep; /* the separator after a program that starts the input ("time; id") */
	int equals;      /* an '=' may be in the decoded input */
	int query;       /* an '=' after a '?' or '&' may be in it: values of a query */
	int args_only;   /* judging a query's value: only a command with arguments counts */
	size_t start;    /* where the value starts, after blanks and quotes */
	int opening;     /* judging after a ';' that starts the value, glued to a word */
	size_t row_from, row_to; /* the line table_row judged last, [from, to) */
	int row;                 /* that line is a table's row */
};

static int is_prose(struct scan *sc)
{
	if (sc->prose < 0)
		sc->prose = prose_value(sc->s, sc->n);
	return sc->prose;
}

static void report(struct scan *sc, const char *rule, int conf, size_t from, size_t to)
{
	if (sc->cap && conf > sc->cap)
		conf = sc->cap;
	if (sc->found && sc->hit->confidence >= conf)
		return;
	const struct window *w = sc->w;
	if (to <= from)
		to = from + 1;
	if (to > w->m)
		to = w->m;
	if (from >= w->m)
		from = w->m - 1;
	sc->hit->rule = rule;
	sc->hit->category = POL_CAT_CMDI;
	sc->hit->severity = conf >= 80 ? POL_SEV_CRITICAL : POL_SEV_HIGH;
	sc->hit->confidence = (uint8_t)conf;
	sc->hit->off = win_at(w, from);
	sc->hit->len = win_at(w, to - 1) + 1 - win_at(w, from);
	sc->found = 1;
}

static int word_is(const struct word *wd, const char *lit)
{
	return strcmp(wd->w, lit) == 0;
}

/* cmd.exe's FOR and IF statements and shell alias definitions: grammar
 * English does not have ("for /f %a in", "if not exist", "alias x=curl"). */
static int judge_statement(struct scan *sc, const struct word *wd, struct next nx, enum strength st,
                           size_t from)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m, k = nx.at;
	int conf = st == ST_START ? 65 : 85;
	if (k >= m)
		return 0;
	if (word_is(wd, "for")) {
		/* for [/d|/r|/l|/f ["opts"]] %var in ( */
		while (k + 1 < m && t[k] == '/' && ch_is_alnum(t[k + 1])) {
			k += 2;
			while (k < m && is_space(t[k]))
				k++;
			if (k < m && t[k] == '"')
				for (k++; k < m && k < nx.at + 160 && t[k] != '"'; k++)
					;
			if (k < m && t[k] == '"')
				k++;
			while (k < m && is_space(t[k]))
				k++;
			if (k + 1 < m && t[k] != '%' && t[k] != '/' && t[k] != '"') {
				/* for /r c:\dir %a: the folder before the variable */
				size_t e = k;
				while (e < m && e < k + 128 && !is_space(t[e]))
					e++;
				while (e < m && is_space(t[e]))
					e++;
				if (e < m && t[e] == '%')
					k = e;
			}
		}
		if (k + 1 < m && t[k] == '%') {
			size_t e = k + 1;
			while (e < m && e < k + 40 && !is_space(t[e]))
				e++;
			while (e < m && is_space(t[e]))
				e++;
			if (e + 2 < m && ch_lower(t[e]) == 'i' && ch_lower(t[e + 1]) == 'n' &&
			    (is_space(t[e + 2]) || t[e + 2] == '(')) {
				report(sc, "cmdi.cmd_for", conf, from, e + 2);
				return 1;
			}
		}
		return 0;
	}
	if (word_is(wd, "if") || word_is(wd, "if/i")) {
		static const char *const conds[] = {"exist ",        "not exist ",
		                                    "not defined ",  "defined ",
		                                    "errorlevel ",   "not errorlevel ",
		                                    "/i ",           "%",
		                                    "\"%",           "[%",
		                                    "cmdextversion "};
		for (size_t c = 0; c < sizeof(conds) / sizeof(conds[0]); c++) {
			size_t l = strlen(conds[c]);
			if (k + l <= m && same_ci((const char *)t + k, conds[c], l)) {
				report(sc, "cmdi.cmd_if", conf, from, k + l);
				return 1;
			}
		}
		/* if [not] [/i] a==b, if x equ y: a comparison English never writes;
		 * with spaces around "==", only when the operand is quoted or
		 * bracketed as batch files do ("%1" == "", [%a] == [], (a) == (b)) */
		static const char *const ops[] = {" equ ", " neq ", " lss ",
		                                  " leq ", " gtr ", " geq "};
		size_t op = k;
		if (op + 4 <= m && same_ci((const char *)t + op, "not ", 4))
			for (op += 4; op < m && is_space(t[op]); op++)
				;
		/* the operand must close before the "==": "if (a == b)" is C */
		size_t boxed = 0;
		if (op < m && strchr("\"[({%!", t[op])) {
			int close = t[op] == '['   ? ']'
			            : t[op] == '(' ? ')'
			            : t[op] == '{' ? '}'
			                           : t[op];
			size_t c = op + 1;
			while (c < m && c < op + 48 && t[c] != close && t[c] != '=' && t[c] != '\n')
				c++;
			if (c < m && t[c] == close)
				boxed = c;
			else if (t[op] == '%' || t[op] == '!')
				boxed = op; /* %1 == "" */
		}
		size_t e = k;
		while (e < m && e < k + 64 && t[e] != '\n') {
			if (t[e] == '=' && e + 1 < m && t[e + 1] == '=' && e > k &&
			    ((t[e - 1] != ' ' && e + 2 < m && t[e + 2] != ' ') ||
			     (boxed && e > boxed))) {
				report(sc, "cmdi.cmd_if", conf, from, e + 2);
				return 1;
			}
			for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
				if (e + 5 <= m && same_ci((const char *)t + e, ops[o], 5)) {
					report(sc, "cmdi.cmd_if", conf, from, e + 5);
					return 1;
				}
			e++;
		}
		return 0;
	}
	size_t b = from;
	while (b > 0 && is_space(t[b - 1]))
		b--;
	if (word_is(wd, "at") && (st == ST_TIGHT || st == ST_CALL || (b > 0 && t[b - 1] == '|'))) {
		/* ;at 2:00 "cmd", |at now + 1 minute, at -f x.sh now: a job for
		 * later; "Lunch;at 12:30 with Bob" goes on in words */
		size_t e = k;
		if (k + 2 < m && t[k] == '-' && (t[k + 1] == 'f' || t[k + 1] == 'm') &&
		    is_space(t[k + 2])) {
			report(sc, "cmdi.at_job", 85, from, k + 2);
			return 1;
		}
		while (e < m && e < k + 2 && ch_is_digit(t[e]))
			e++;
		if (e > k && e + 2 < m && t[e] == ':' && ch_is_digit(t[e + 1]) &&
		    ch_is_digit(t[e + 2]))
			e += 3;
		else if (e == k && k + 3 <= m &&
		         (same_ci((const char *)t + k, "now", 3) ||
		          (k + 4 <= m && same_ci((const char *)t + k, "noon", 4)) ||
		          (k + 8 <= m && same_ci((const char *)t + k, "midnight", 8))))
			for (e = k; e < m && ch_is_alpha(t[e]); e++)
				;
		else
			return 0;
		if (e + 1 < m && (ch_lower(t[e]) == 'a' || ch_lower(t[e]) == 'p') &&
		    ch_lower(t[e + 1]) == 'm')
			e += 2;
		size_t a = e;
		while (a < m && is_space(t[a]))
			a++;
		if (a >= m || is_sep(t[a]) || t[a] == '"' || t[a] == '\'' || t[a] == '<' ||
		    (t[a] == '+' && a + 1 < m && is_space(t[a + 1]))) {
			report(sc, "cmdi.at_job", 85, from, e);
			return 1;
		}
		return 0;
	}
	if (word_is(wd, "alias")) {
		/* alias [-p|+m...] name=value; a junk option (+g+) is skipped */
		while (k + 1 < m && (t[k] == '-' || t[k] == '+') && ch_is_alnum(t[k + 1])) {
			for (k += 2; k < m && k < nx.at + 64 && !is_word_end(t[k]) && t[k] != '=';
			     k++)
				;
			while (k < m && is_space(t[k]))
				k++;
		}
		size_t e = k;
		while (e < m && e < k + 40 && !is_space(t[e]) && t[e] != '=')
			e++;
		if (e > k && e < m && t[e] == '=') {
			report(sc, "cmdi.alias", conf, from, e + 1);
			return 1;
		}
	}
	return 0;
}

static int program_lookup(struct word *wd, int *bindir);

/* At t[k] == '.': the sqlite3 shell's ".shell CMD" (or .sh, .system; a
 * quote or backslash may sit inside the dot-command, blanks after the dot)
 * naming a program as CMD. *wd is the program's word. */
static int sqlite_shell(const unsigned char *t, size_t m, size_t k, struct word *wd)
{
	size_t j = k + 1, b;
	while (j < m && j < k + 4 &&
	       (is_space(t[j]) || t[j] == '"' || t[j] == '\'' || t[j] == '\\'))
		j++;
	for (b = j; j < m && j < b + 8 && ch_is_alpha(t[j]); j++)
		;
	size_t l = j - b;
	int dot_cmd = (l == 2 && same_ci((const char *)t + b, "sh", 2)) ||
	              (l == 5 && same_ci((const char *)t + b, "shell", 5)) ||
	              (l == 6 && same_ci((const char *)t + b, "system", 6));
	if (!dot_cmd || j >= m || !is_space(t[j]))
		return 0;
	while (j < m && is_space(t[j]))
		j++;
	int bindir;
	read_word(t, m, j, wd);
	return wd->len && !wd->toolong && program_lookup(wd, &bindir) >= 0;
}

/* At t[k] == '.': a dot-command of the sqlite3 shell that shows the
 * databases or their schema (.databases, .tables, .schema, .dump...), alone
 * on its line. Returns the index after it, or 0. */
static size_t sqlite_info(const unsigned char *t, size_t m, size_t k)
{
	static const char *const cmds[] = {"databases", "tables", "schema", "fullschema",
	                                   "dump",      "dbinfo", "indexes"};
	size_t j = k + 1;
	while (j < m && j < k + 12 && ch_is_alpha(t[j]))
		j++;
	if (j < m && !is_sep(t[j]) && t[j] != '"' && t[j] != '\'')
		return 0;
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
		if (strlen(cmds[c]) == j - k - 1 &&
		    same_ci((const char *)t + k + 1, cmds[c], j - k - 1))
			return j;
	return 0;
}

static void judge(struct scan *sc, size_t k, enum strength st, int hops)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m, from;
	while (k < m && is_space(t[k]))
		k++;
	if (st == ST_TIGHT && k + 1 < m && t[k] == '+' && ch_is_alpha(t[k + 1]))
		k++; /* ;+cat+/etc/passwd: a form-encoded blank after the separator */
	if (word_is_nothing(t, m, k))
		return;
	/* env assignments before the command: FOO=1 cmd */
	from = k;
	struct word wd;
	if (k < m && t[k] == '.' && st != ST_START && sqlite_shell(t, m, k, &wd)) {
		/* 1;.shell whoami: the sqlite3 shell's dot-command that runs a
		 * command line (.sh, .shell, .system), quoted or not */
		report(sc, "cmdi.sqlite_shell", st == ST_LOOSE ? CMDI_MENTION : 85, from, wd.end);
		return;
	}
	size_t dot = k < m && t[k] == '.' && st == ST_TIGHT ? sqlite_info(t, m, k) : 0;
	if (dot) { /* ;\n.databases */
		report(sc, "cmdi.sqlite_shell", 70, from, dot);
		return;
	}
	read_word(t, m, k, &wd);
	if (wd.shell) {
		/* $[2+2], ${x#{}}, $((7))z -x: the command word holds arithmetic
		 * or a pattern cut, grammar no template or sentence writes */
		report(sc, "cmdi.expansion",
		       st == ST_START   ? 70
		       : st == ST_LOOSE ? 60
		                        : 85,
		       from, wd.end);
		return;
	}
	if (wd.len == 0 && wd.expansions >= 3 && st != ST_START) {
		/* ;$c1$c2$c3: a command word spelled by variables, one letter each */
		report(sc, "cmdi.var_concat", 85, from, wd.end);
		return;
	}
	if (wd.len == 0 && wd.expansions == 2 && st != ST_START && t[k] == '$' &&
	    assigned_before(t, m, k)) {
		/* a=c;b=at;$a$b: a command word spelled by variables assigned
		 * earlier on */
		report(sc, "cmdi.var_command", st == ST_LOOSE ? CMDI_MENTION : 85, from, wd.end);
		return;
	}
	if (wd.len == 0 && wd.expansions == 1 && t[k] == '$' && k + 1 < m &&
	    (ch_is_alpha(t[k + 1]) || t[k + 1] == '{')) {
		/* $SHELL -c "...": a shell named by a variable, given a script */
		size_t a = wd.end;
		while (a < m && is_space(t[a]))
			a++;
		if (a > wd.end && a + 3 < m && t[a] == '-' && t[a + 1] == 'c' &&
		    is_space(t[a + 2])) {
			report(sc, "cmdi.shell_var", st == ST_START ? 70 : 85, from, a + 2);
			return;
		}
		/* a=nc&&$a -nlvp 1: a variable assigned a word earlier on, run */
		if (st != ST_START && assigned_before(t, m, k)) {
			report(sc, "cmdi.var_command", st == ST_LOOSE ? CMDI_MENTION : 85, from,
			       wd.end);
			return;
		}
		/* ;$a cat x: a variable that expands to nothing hides the command */
		struct word nw;
		int nb;
		read_word(t, m, a, &nw);
		if (st != ST_START && a > wd.end && nw.len && !nw.toolong &&
		    program_lookup(&nw, &nb) >= 0) {
			report(sc, "cmdi.obfuscated", st == ST_TIGHT ? 85 : 70, from, nw.end);
			return;
		}
	}
	if (wd.len == 0 && wd.obfuscated && wd.end > k && hops < CMDI_HOPS) {
		judge(sc, wd.end, st, hops + 1); /* "|$u wget": $u expands to nothing */
		return;
	}
	if (wd.len == 0 || wd.toolong)
		return;
	int bindir, e = program_lookup(&wd, &bindir);
	struct next nx = classify_next(t, m, wd.end, wd.ifs);
	size_t to = nx.at > wd.end ? nx.at : wd.end;
	if (st == ST_START && e >= 0 && nx.kind == F_END && nx.at < m &&
	    ch_lower(t[from]) == t[from] &&
	    (t[nx.at] == ';' ||
	     (nx.at + 1 < m && (t[nx.at] == '&' || t[nx.at] == '|') && t[nx.at + 1] == t[nx.at])))
		sc->lead_sep = nx.at; /* "time; x", "uname && x": what follows is a command */
	if (judge_statement(sc, &wd, nx, st, from))
		return;
	if (e < 0) {
		if (wd.abs && bindir) /* /bin/anything */
			report(sc, "cmdi.binary_path", st == ST_START ? 60 : 85, from, to);
		else if (glob_sysdir(&wd)) /* /[e]tc, /e??/p?ss?? */
			report(sc, "cmdi.glob_path",
			       st == ST_START   ? 70
			       : st == ST_LOOSE ? 60
			                        : 85,
			       from, to);
		return;
	}
	unsigned fl = programs[e].flags;
	int english = (fl & W_EN) && !wd.versioned;
	if (wd.abs && wd.w[0] == '\\' && wd.base == 1 && !english)
		wd.obfuscated = 1; /* \ls: the escape skips an alias of the name */
	if (!english && nx.kind == F_PLAIN) {
		/* ansible all -m ping: a subcommand, then options; a program no
		 * English word spells, with an option later on its line */
		size_t a = nx.at;
		for (int args = 0; args < 4 && a < m; args++) {
			while (a < m && !is_word_end(t[a]))
				a++;
			while (a < m && is_space(t[a]))
				a++;
			if (a + 1 < m && t[a] == '-' && ch_is_alpha(t[a + 1]) &&
			    (a + 2 >= m || !ch_is_alpha(t[a + 2]) || t[a + 1] == '-')) {
				nx.kind = F_ARGS;
				break;
			}
			if (a >= m || is_sep(t[a]))
				break;
		}
	}
	if ((wd.abs && (bindir || wd.glob)) || (!wd.abs && bindir)) {
		report(sc, "cmdi.binary_path", st == ST_START ? 70 : 90, from, to);
		return;
	}
	if (nx.ifs) {
		report(sc, "cmdi.ifs", 95, from, to);
		return;
	}
	if (wd.obfuscated || (wd.glob && st != ST_START && st != ST_LOOSE)) {
		report(sc, "cmdi.obfuscated", st == ST_START ? 75 : 90, from, to);
		return;
	}
	if (wd.glob)
		return;
	for (size_t v = 0; nx.kind == F_PLAIN && v < sizeof(admin_verbs) / sizeof(admin_verbs[0]);
	     v++) {
		size_t l = strlen(admin_verbs[v].verb);
		if (word_is(&wd, admin_verbs[v].program)) {
			if (nx.at + l <= m &&
			    same_ci((const char *)t + nx.at, admin_verbs[v].verb, l) &&
			    (nx.at + l == m || is_word_end(t[nx.at + l]))) {
				/* "npm install is slow here": a sentence */
				report(sc, "cmdi.command",
				       st != ST_START ? 85
				       : admin_verbs[v].talk && english_args(t, m, nx.at + l)
				           ? CMDI_MENTION
				           : 65,
				       from, nx.at + l);
				return;
			}
		}
	}
	/* "gzip (1.3.5-3) unstable; urgency=low", "Skalskript (csh)": a word,
	 * a blank and "(" is a syntax error to the shell (only "name ()"
	 * defines a function): a name with its version or an aside */
	if ((st == ST_START || st == ST_LOOSE) && nx.at > wd.end && nx.at + 1 < m &&
	    t[nx.at] == '(' && t[nx.at + 1] != ')')
		return;
	int hit = 0, conf = 0;
	switch (st) {
	case ST_CALL:
		hit = 1;
		conf = 85;
		break;
	case ST_TIGHT:
		hit = !english || nx.kind != F_PLAIN;
		conf = english ? 85 : 90;
		if (!hit && sc->opening && !(fl & W_PREFIX)) {
			hit = 1;
			conf = 70;
		}
		break;
	case ST_LOOSE:
		hit = nx.kind == F_ARGS || (!english && nx.kind != F_PLAIN);
		conf = english ? 70 : 80;
		break;
	case ST_START:
		hit = nx.kind == F_ARGS || ((fl & W_RECON) && nx.kind == F_END && !english);
		conf = 60;
		if (sc->args_only) {
			hit = nx.kind == F_ARGS;
			break;
		}
		if (start_not_command(t, m, from, wd.end, nx)) {
			hit = 0;
			break;
		}
		/* "cscli alerts list", "ansible-config dump": the whole value
		 * a command line, typed in lower case, of a program no English
		 * word spells; a sentence is a mention. A name alone is data as
		 * often ({"shell": "bash"}): a dashed tool name (chef-shell)
		 * counts, any other only adds to other signals */
		if (!hit && !english && ch_lower(t[from]) == t[from] && nx.kind == F_PLAIN &&
		    nx.at > wd.end && !english_args(t, m, nx.at) && !format_letters(t, m, nx.at)) {
			hit = 1;
			if (is_prose(sc) || ends_sentence(t, m))
				conf = CMDI_MENTION; /* "gzip behaves.": a sentence */
		} else if (!hit && !(fl & W_EN) && !wd.versioned && nx.kind == F_END &&
		           ch_lower(t[from]) == t[from]) {
			hit = 1;
			if (!memchr(wd.w, '-', wd.len))
				conf = CMDI_MENTION;
		}
		/* "Set DATABASE_URL=... in your env file": a sentence that starts
		 * with a word English shares with a program */
		if (hit && english && is_prose(sc))
			conf = CMDI_MENTION;
		break;
	}
	if (hit) {
		report(sc, "cmdi.command", conf, from, to);
		return;
	}
	/* sudo cat, which python, xargs sh: the next word is a command too */
	if ((fl & W_PREFIX) && nx.kind == F_PLAIN && hops < CMDI_HOPS) {
		struct word nw;
		read_word(t, m, nx.at, &nw);
		int nb, ne = nw.len && !nw.toolong ? program_lookup(&nw, &nb) : -1;
		struct next nn = ne >= 0 ? classify_next(t, m, nw.end, nw.ifs) : nx;
		if (ne >= 0 && (!(programs[ne].flags & W_EN) || nn.kind != F_PLAIN))
			report(sc, "cmdi.command", st == ST_START ? 60 : 80, from, nw.end);
		else
			judge(sc, nx.at, st, hops + 1);
	}
}

/* At t[i] == '|': is its line a table's row ("| X86 | Linux | GCC |"):
 * a '|' first and last on the line, blanks beside each? No shell runs
 * such a line (a pipe that ends a command line is a syntax error, as is
 * one that starts it), whatever the cells hold. Each line is read
 * once (the answer is kept for the line), so the cost stays linear. */
static int table_row(struct scan *sc, size_t i)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m;
	if (sc->row_to > sc->row_from && i >= sc->row_from && i < sc->row_to)
		return sc->row;
	size_t b = i, e = i;
	while (b > 0 && t[b - 1] != '\n' && t[b - 1] != '\r')
		b--;
	while (e < m && t[e] != '\n' && t[e] != '\r')
		e++;
	sc->row_from = b;
	sc->row_to = e;
	while (b < e && is_space(t[b]))
		b++;
	size_t z = e;
	while (z > b && is_space(t[z - 1]))
		z--;
	int pipes = 0, spaced = 1;
	for (size_t k = b; k < z && spaced; k++)
		if (t[k] == '|') {
			pipes++;
			spaced =
			    (k == b || is_space(t[k - 1])) && (k + 1 == z || is_space(t[k + 1]));
		}
	sc->row = z > b && t[b] == '|' && t[z - 1] == '|' && pipes >= 3 && spaced;
	return sc->row;
}

/* At t[k], after "$(": a make variable's name in capitals and ")" ($(CC),
 * $(RM), $(mpers_CC)), which commands in lower case never spell? */
static int make_variable(const unsigned char *t, size_t m, size_t k)
{
	size_t e = k;
	while (e < m && e < k + 32 && is_name_char(t[e]))
		e++;
	if (e == k || e >= m || t[e] != ')' || ch_is_digit(t[k]))
		return 0;
	/* the last part in capitals: $(mpers_CC), $(RM_F), not $(id) */
	int upper = 0;
	for (size_t j = e; j > k && t[j - 1] != '_'; j--) {
		if (t[j - 1] >= 'a' && t[j - 1] <= 'z')
			return 0;
		upper |= t[j - 1] >= 'A' && t[j - 1] <= 'Z';
	}
	return upper;
}

/* At t[i] == '(': a group the shell cannot parse as a subshell, since
 * a word is glued to it: "index.(bt|db)", "(add|del)user.conf",
 * "(key|alias)/x", "(?:[0-9]{12}|aws):", a regular expression's
 * alternation, or GNU ChangeLog's "(mkdir): Add ...", a function named
 * before a colon. The shell reads "x(" and ")x" as syntax errors; "$(",
 * "<(" and ">(" are not judged here. */
static int group_not_shell(const unsigned char *t, size_t m, size_t i)
{
	if (i > 0 && (is_name_char(t[i - 1]) || t[i - 1] == '.'))
		return 1;
	int depth = 0;
	for (size_t k = i + 1; k < m && k < i + 96; k++) {
		if (t[k] == '\n' || t[k] == '\r' || t[k] == '`' || t[k] == '\'' || t[k] == '"')
			return 0;
		if (t[k] == '(') {
			depth++;
		} else if (t[k] == ')' && depth-- == 0) {
			int c = k + 1 < m ? t[k + 1] : 0;
			size_t r = k + 1;
			while (r < m && r < k + 4 && ch_is_digit(t[r]))
				r++;
			if (r > k + 1 && r < m && (t[r] == '<' || t[r] == '>'))
				return 0; /* (sh)0>/dev/tcp/...: a redirection of the group */
			/* after a subshell the shell takes an operator or a
			 * redirection, blanks between; anything else ("(cp > cq)
			 * == (sp > sq)", a word) is a syntax error */
			size_t a = k + 1;
			while (a < m && a < k + 16 && (t[a] == ' ' || t[a] == '\t'))
				a++;
			c = a < m ? t[a] : 0;
			if (a > k + 1 && ch_is_digit(c)) {
				size_t r2 = a;
				while (r2 < m && r2 < a + 4 && ch_is_digit(t[r2]))
					r2++;
				return !(r2 < m && (t[r2] == '<' || t[r2] == '>'));
			}
			return c && !strchr(";|&)<>`'\"#\n\r", c);
		}
	}
	return 0;
}

/* At t[i] == '|' glued between two words: an alternation inside a group
 * group_not_shell rejects ("(cc|java|py)_generic"), not a pipe. */
static int in_alternation(const unsigned char *t, size_t m, size_t i)
{
	if (i == 0 || i + 1 >= m || is_space(t[i - 1]) || strchr(";&|'\"", t[i - 1]))
		return 0;
	for (size_t k = i; k > 0 && i - k < 64; k--) {
		int c = t[k - 1];
		if (c == '(')
			return (k < 2 || (t[k - 2] != '$' && t[k - 2] != '<' && t[k - 2] != '>')) &&
			       group_not_shell(t, m, k - 1);
		/* the alternatives of a regular expression: words, classes,
		 * repeats (?:[0-9]{12}|aws), (https?|ftp) */
		if (!is_name_char(c) && !strchr("|-.?:[]{}^$*+\\", c))
			return 0;
	}
	return 0;
}

/* At t[i] == '(' after a name, "()": a shell function that pipes into and
 * backgrounds itself, then is called (x() { x | x & }; x), the fork bomb
 * with a name instead of ':'. */
static int fork_bomb(const unsigned char *t, size_t m, size_t i)
{
	size_t b = i;
	while (b > 0 && i - b < 32 && is_name_char(t[b - 1]))
		b--;
	size_t l = i - b, k = i + 2;
	if (!l || (b > 0 && !is_space(t[b - 1]) && t[b - 1] != ';' && t[b - 1] != '&' &&
	           t[b - 1] != '|' && t[b - 1] != '\n'))
		return 0;
	while (k < m && is_space(t[k]))
		k++;
	if (k >= m || t[k] != '{')
		return 0;
	int pipe = 0, amp = 0, self = 0;
	size_t e = k + 1;
	for (; e < m && e < k + 128 && t[e] != '}'; e++) {
		pipe |= t[e] == '|';
		amp |= t[e] == '&';
		if (!self && e + l <= m && memcmp(t + e, t + b, l) == 0 &&
		    !is_name_char(t[e - 1]) && (e + l == m || !is_name_char(t[e + l])))
			self = 1;
	}
	if (e >= m || t[e] != '}' || !pipe || !amp || !self)
		return 0;
	for (e++; e < m && (is_space(t[e]) || t[e] == ';'); e++)
		;
	return e + l <= m && memcmp(t + e, t + b, l) == 0 &&
	       (e + l == m || !is_name_char(t[e + l]));
}

/* How much a separator at t[i] (ending at t[j-1]) says: a doubled one or one
 * hugged by shell syntax is tight; one between English words with spaces
 * is loose. */
static enum strength sep_strength(const unsigned char *t, size_t m, size_t i, size_t j)
{
	size_t p = i;
	int spaced = j < m && is_space(t[j]);
	while (p > 0 && i - p < 8 && is_space(t[p - 1]))
		p--;
	spaced |= p < i;
	if (p == 0)
		return ST_TIGHT;
	int q = t[p - 1];
	if (j - i > 1)
		return ST_TIGHT; /* && || */
	if (ch_is_alnum(q) || q == '.' || q == ',' || q == '!' || q == '?' || q == ':' ||
	    (q & 0x80))
		return spaced ? ST_LOOSE : (t[i] == '\n' || t[i] == '\r' ? ST_LOOSE : ST_TIGHT);
	return ST_TIGHT;
}

static int at_word_start(const unsigned char *t, size_t i)
{
	return i == 0 || !is_name_char(t[i - 1]);
}

/* system('id'), os.popen("ls"), Runtime.getRuntime().exec("sh"): a call that
 * hands its string to the shell, and the string is a command. */
static void judge_exec_call(struct scan *sc, size_t i)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m;
	for (size_t e = 0; e < sizeof(exec_calls) / sizeof(exec_calls[0]); e++) {
		size_t l = exec_calls[e].len;
		if (i + l >= m || ch_lower(t[i]) != exec_calls[e].name[0] ||
		    !same_ci((const char *)t + i, exec_calls[e].name, l))
			continue;
		size_t k = i + l;
		while (k < m && is_space(t[k]))
			k++;
		if (k + 1 >= m || t[k] != '(')
			continue;
		k++;
		while (k < m && is_space(t[k]))
			k++;
		if (k < m && (t[k] == '\'' || t[k] == '"' || t[k] == '`' || t[k] == '$')) {
			size_t before = sc->found;
			if (t[k] == '$')
				report(sc, "cmdi.exec_call", 75, i, k + 1);
			else
				judge(sc, k + 1, ST_CALL, 0);
			if (sc->found && !before)
				sc->hit->rule = "cmdi.exec_call";
		}
		return;
	}
}

/* After a line break: a mail protocol command (SMTP, POP3, IMAP) smuggled
 * into a value that a function passes on to a mail server. SMTP and POP3
 * verbs count in capitals, as protocol text writes them and prose does not;
 * an IMAP command needs its tag, with a digit ("a001 EXAMINE INBOX"). */
static void judge_mail(struct scan *sc, size_t k)
{
	static const char *const verbs[] = {
	    "MAIL FROM:", "RCPT TO:", "DATA",  "QUIT",     "RSET", "NOOP",  "EHLO ", "HELO ",
	    "VRFY ",      "EXPN ",    "AUTH ", "STARTTLS", "HELP", "USER ", "PASS ", "RETR ",
	    "DELE ",      "LIST",     "TOP ",  "APOP ",    "STAT", "UIDL",  "CAPA",
	};
	static const char *const imap[] = {
	    "login ",  "select ", "examine ",      "status ",    "fetch ",  "store ",     "copy ",
	    "search ", "append ", "authenticate ", "list ",      "lsub ",   "uid ",       "create ",
	    "delete ", "rename ", "logout",        "capability", "expunge", "subscribe ",
	};
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m;
	while (k < m && (t[k] == '\n' || t[k] == '\r'))
		k++;
	if (k >= m)
		return;
	/* CR LF, the protocols' own line end (%0d%0a), says more than a
	 * newline in text: a verb in any case then counts when its line holds
	 * nothing else or a number ("list 3", "quit"), and an IMAP tag needs
	 * no digit ("d store 2 +FLAGS") */
	int crlf = k >= 2 && t[k - 2] == '\r' && t[k - 1] == '\n';
	for (size_t v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++) {
		size_t l = strlen(verbs[v]);
		if (k + l > m)
			continue;
		int end = k + l == m || t[k + l] == '\r' || t[k + l] == '\n' || t[k + l] == '"' ||
		          t[k + l] == '\'' || t[k + l] == '<';
		if (k + l <= m && memcmp(t + k, verbs[v], l) == 0 &&
		    (verbs[v][l - 1] == ' ' || verbs[v][l - 1] == ':' || end || t[k + l] == ' ')) {
			report(sc, "cmdi.mail_command", 70, k, k + l);
			return;
		}
		size_t j = 0;
		while (crlf && j < l && k + j < m && ch_lower(t[k + j]) == ch_lower(verbs[v][j]))
			j++;
		if (crlf && j == l && verbs[v][l - 1] != ':') {
			size_t a =
			    verbs[v][l - 1] == ' ' ? k + l : k + l + (k + l < m && t[k + l] == ' ');
			size_t d = a;
			while (d < m && d < a + 10 && ch_is_digit(t[d]))
				d++;
			if ((a == k + l && end) ||
			    (d > a && (d == m || t[d] == '\r' || t[d] == '\n'))) {
				report(sc, "cmdi.mail_command", 70, k, d);
				return;
			}
		}
	}
	size_t e = k;
	int digit = 0;
	while (e < m && e < k + 10 && ch_is_alnum(t[e]))
		digit |= ch_is_digit(t[e++]);
	if (!digit && crlf) {
		/* a tag without a digit: only with IMAP's flags on its line
		 * (+FLAGS, \\Deleted), not "I store 2 boxes" */
		int flags = 0;
		for (size_t f = e; f < m && f < e + 96 && t[f] != '\r' && t[f] != '\n'; f++)
			flags |= (t[f] == '\\' && f + 1 < m && ch_is_alpha(t[f + 1])) ||
			         ((t[f] == '+' || t[f] == '-') && f + 6 <= m &&
			          same_ci((const char *)t + f + 1, "flags", 5));
		digit = flags;
	}
	if (!digit || e == k || e >= m || t[e] != ' ' || !ch_is_alpha(t[k]))
		return;
	for (size_t v = 0; v < sizeof(imap) / sizeof(imap[0]); v++) {
		size_t l = strlen(imap[v]);
		if (e + 1 + l <= m && same_ci((const char *)t + e + 1, imap[v], l)) {
			report(sc, "cmdi.mail_command", 70, k, e + 1 + l);
			return;
		}
	}
	/* "A1 QUIT": a tagged line whose verb, in capitals, ends it */
	for (size_t v = 0; crlf && v < sizeof(verbs) / sizeof(verbs[0]); v++) {
		size_t l = strlen(verbs[v]), a = e + 1 + l;
		if (a <= m && memcmp(t + e + 1, verbs[v], l) == 0 &&
		    (a == m || t[a] == '\r' || t[a] == '\n' || t[a] == '"' || t[a] == '<')) {
			report(sc, "cmdi.mail_command", 70, k, a);
			return;
		}
	}
}

/* At t[i] == '!': the shell escape of vi and ex (":!id", "-c:\\!pwd",
 * "+silent\\ \\!whoami"), whose command follows, or bash's history
 * expansion: event designators (!!, !-2, !12) that rerun earlier commands,
 * where a command starts. Two in a row, one numbered, make a whole value
 * ("!-1!-2"); one needs a tight separator before it (";!!"): "wow!!",
 * "Hi!" and "!!!!" are prose. */
static void judge_bang(struct scan *sc, size_t i)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m, e = i, p = i;
	if (i > 0 && (t[i - 1] == ':' || t[i - 1] == '\\')) {
		judge(sc, i + 1, ST_TIGHT, 0);
		return;
	}
	int events = 0, numbered = 0;
	while (e + 1 < m && t[e] == '!' && events < 8) {
		size_t d = e + 1 + (t[e + 1] == '-');
		if (t[e + 1] == '!') {
			e += 2;
		} else if (d < m && ch_is_digit(t[d])) {
			for (e = d; e < m && ch_is_digit(t[e]); e++)
				;
			numbered = 1;
		} else {
			break;
		}
		events++;
	}
	while (e < m && is_space(t[e]))
		e++;
	while (p > 0 && is_space(t[p - 1]))
		p--;
	/* an attribute's value is a whole value too: probe="!-1!-2" */
	int attr = p >= 2 && (t[p - 1] == '"' || t[p - 1] == '\'') && t[p - 2] == '=';
	if (!events || (e < m && !is_sep(t[e]) && !(attr && t[e] == t[p - 1])))
		return;
	if ((p == 0 || attr) && events >= 2 && numbered) /* "!!!!" is a shout */
		report(sc, "cmdi.history", 70, i, e);
	else if (p > 0 &&
	         (t[p - 1] == ';' || t[p - 1] == '|' || t[p - 1] == '&' || t[p - 1] == '\n') &&
	         sep_strength(t, m, p - 1, p) == ST_TIGHT)
		report(sc, "cmdi.history", 85, i, e);
}

/* At t[i] == '`' after a blank or a word: a markdown code span in prose
 * ("use `ls -la` to list them")? Its command is shown, not run, unless it
 * chains another command or substitutes one inside. Returns the index of
 * the closing backtick, or 0. */
static size_t markdown_span(struct scan *sc, size_t i)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m, c = i + 1;
	if (!is_space(t[i - 1]))
		return 0;
	/* `ls' is the same quoting in old Unix and TeX style */
	for (; c < m && c < i + 160 && t[c] != '`' && t[c] != '\''; c++)
		if (t[c] == '\n' || t[c] == '\r' || t[c] == ';' || t[c] == '&' ||
		    (t[c] == '$' && c + 1 < m && t[c + 1] == '('))
			return 0;
	if (c >= m || (t[c] != '`' && t[c] != '\'') || c == i + 1)
		return 0;
	/* the span closes before a blank, punctuation or the end */
	if (c + 1 < m && !is_space(t[c + 1]) && !strchr(".,:!?)'\"", t[c + 1]))
		return 0;
	return is_prose(sc) ? c : 0;
}

/* At t[i] == '`': GNU's `quote', a word with no blank that a "'" closes
 * and no backtick follows: the shell would find no substitution's end. */
static int gnu_quote(const unsigned char *t, size_t m, size_t i)
{
	size_t k = i + 1;
	while (k < m && k < i + 64 && !is_space(t[k]) && t[k] != '`' && t[k] != '\'')
		k++;
	if (k == i + 1 || k >= m || t[k] != '\'' || (k + 1 < m && is_name_char(t[k + 1])))
		return 0;
	return !memchr(t + k, '`', m - k);
}

/* At t[i] == '`': two backticks that open a reStructuredText literal
 * (1: after the start, a blank or an opening bracket, with "``" closing it
 * on the line) or close one (2: after a word, before a blank, punctuation
 * or the end); 0 otherwise. */
static int rst_literal(struct scan *sc, size_t i)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m;
	if (i + 1 >= m || t[i + 1] != '`' || (i + 2 < m && t[i + 2] == '`') ||
	    (i > 0 && t[i - 1] == '`'))
		return 0;
	if (i > 0 && !is_space(t[i - 1]) && !strchr("([{\"'", t[i - 1]))
		return i + 2 >= m || is_space(t[i + 2]) || strchr(".,:;!?)]}'\"", t[i + 2]) ? 2 : 0;
	for (size_t c = i + 2; c + 1 < m && c < i + 160; c++) {
		if (t[c] == '\n' || t[c] == '\r')
			return 0;
		if (t[c] == '`' && t[c + 1] == '`')
			return c > i + 2 && !is_space(t[c - 1]) ? 1 : 0;
	}
	return 0;
}

/* At t[i] == '`': a markdown fence, "```" at the start of a line with an
 * optional language name and nothing else on the line? Returns the index
 * after the fence, or 0. Prose or not, such a line runs nothing: the
 * shell reads an empty substitution and one left open. */
static size_t markdown_fence(struct scan *sc, size_t i)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m, e = i + 3;
	if (e > m || t[i + 1] != '`' || t[i + 2] != '`' ||
	    (i > 0 && t[i - 1] != '\n' && t[i - 1] != '\r'))
		return 0;
	while (e < m && e < i + 24 && (ch_is_alnum(t[e]) || t[e] == '-' || t[e] == '+'))
		e++;
	if (e < m && t[e] != '\n' && t[e] != '\r')
		return 0;
	return e;
}

/* What scan_window does at a byte: SB_CASE, a case of its switch; SB_CALL,
 * the first letter of an exec call's name. Other bytes are passed over. */
enum { SB_CASE = 1, SB_CALL = 2, SB_EQ = 4 };
static unsigned char scan_byte[256];

static void __attribute__((constructor)) scan_byte_init(void)
{
	static const char cases[] = "\n\r;|&\"'`$<>({/!\x1b";
	for (const char *p = cases; *p; p++)
		scan_byte[(unsigned char)*p] = SB_CASE;
	for (int c = 0; c < 256; c++)
		if (exec_first(c))
			scan_byte[c] |= SB_CALL;
	scan_byte['='] = SB_EQ;
}

static void scan_window(struct scan *sc, int first)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m;
	const unsigned char mask = SB_CASE | (sc->calls ? SB_CALL : 0) | (sc->query ? SB_EQ : 0);
	/* positions whose look-ahead the window cuts are judged in the next one */
	size_t limit = sc->final ? m : m - CMDI_KEEP;
	if (first) {
		size_t k = 0, q;
		while (k < m && is_space(t[k]))
			k++;
		q = k;
		while (k < m && (is_space(t[k]) || t[k] == '\'' || t[k] == '"'))
			k++;
		sc->start = k;
		judge(sc, k, ST_START, 0);
		if (q < k) /* 'i'fconfig: the quote splits the word, it does not wrap the value */
			judge(sc, q, ST_START, 0);
		if (q < m && t[q] == '!' && sc->quiet) /* !-1!-2 */
			judge_bang(sc, q);
		/* code=visudo: a form body that reached us whole; its first
		 * value starts after the name's "=" */
		size_t e = q;
		if (sc->equals && e < m && (ch_is_alpha(t[e]) || t[e] == '_'))
			while (e < m && e < q + 64 &&
			       (ch_is_alnum(t[e]) || t[e] == '_' || t[e] == '-'))
				e++;
		if (e > q && e + 1 < m && t[e] == '=' && t[e + 1] != '=' && t[e + 1] != '"' &&
		    t[e + 1] != '\'')
			judge(sc, e + 1, ST_START, 0);
	}
	if (sc->quiet)
		return;
	for (size_t i = 0; i < limit; i++) {
		/* four ordinary bytes at a time, then one */
		while (i + 4 <= limit && !((scan_byte[t[i]] | scan_byte[t[i + 1]] |
		                            scan_byte[t[i + 2]] | scan_byte[t[i + 3]]) &
		                           mask))
			i += 4;
		if (i >= limit)
			break;
		if (!(scan_byte[t[i]] & mask))
			continue;
		int c = t[i], d = i + 1 < m ? t[i + 1] : 0;
		switch (c) {
		case '\n':
		case '\r':
			if (i + 1 < m && t[i + 1] != '\n' && t[i + 1] != '\r')
				judge_mail(sc, i + 1);
			/* fall through */
		case ';':
			/* ";top x", "text ;top x": a ';' glued to the word after
			 * it, not to the one before as punctuation is, ends a
			 * command the value was meant to extend */
			sc->opening =
			    c == ';' && i + 1 < m && ch_is_alpha(t[i + 1]) &&
			    (i == sc->start || (i > 0 && is_space(t[i - 1]) && !sc->w->plus));
			/* a line break percent-encoded in a value that was
			 * already decoded (127.0.0.1%0Aid) was meant for a shell */
			int encoded = c != ';' && !sc->w->direct && sc->s[sc->w->at[i]] == '%';
			judge(sc, i + 1,
			      i == sc->lead_sep || sc->opening || encoded
			          ? ST_TIGHT
			          : sep_strength(t, m, i, i + 1),
			      0);
			sc->opening = 0;
			break;
		case 0x1b: { /* a terminal escape sequence, then a command */
			size_t k = i + 1;
			if (k < m && t[k] == '[')
				for (k++; k < m && k < i + 12 && (ch_is_digit(t[k]) || t[k] == ';');
				     k++)
					;
			if (k < m && t[k] >= 'A' && t[k] <= 'Z')
				k++;
			judge(sc, k, ST_TIGHT, 0);
			break;
		}
		case '|':
		case '&': {
			size_t j = d == c ? i + 2 : i + 1;
			if (c == '&' && d == '>') /* &> redirection */
				break;
			if (c == '|' && d != c && (in_alternation(t, m, i) || table_row(sc, i)))
				break;
			judge(sc, j, i == sc->lead_sep ? ST_TIGHT : sep_strength(t, m, i, j), 0);
			i = j - 1;
			break;
		}
		case '"':
		case '\'':
			/* name="...": a value starts here, as an XML attribute's or
			 * an assignment's; judged like the start of the input */
			if (i > 0 && t[i - 1] == '=' && i + 1 < m && t[i + 1] != c)
				judge(sc, i + 1, ST_START, 0);
			break;
		case '`': { /* markdown quotes code in backticks too: "the `id` field" */
			size_t lit = rst_literal(sc, i);
			if (lit) {
				/* ``pip install x``: reStructuredText's literal, two
				 * backticks each side; what it quotes is a mention,
				 * and the pairs are no empty substitutions */
				if (lit == 1) {
					sc->cap = CMDI_MENTION;
					judge(sc, i + 2, ST_LOOSE, 0);
					sc->cap = 0;
				}
				i++;
				break;
			}
			enum strength st = i == 0 || t[i - 1] == '=' || t[i - 1] == '(' ||
			                           t[i - 1] == '\'' || t[i - 1] == '"' ||
			                           t[i - 1] == '$'
			                       ? ST_TIGHT
			                       : ST_LOOSE;
			size_t fence = markdown_fence(sc, i);
			if (fence) {
				/* ```bash on a line of its own opens a code block
				 * in prose; its lines are judged as ever */
				sc->cap = CMDI_MENTION;
				judge(sc, i + 3, ST_LOOSE, 0);
				sc->cap = 0;
				i = fence - 1;
				break;
			}
			if (i == 0 || t[i - 1] != '`') {
				/* `cut x``dig y`: substitutions side by side, which
				 * markdown never writes: each runs a command line */
				size_t cl = i + 1;
				while (cl < m && cl < i + 160 && t[cl] != '`' && t[cl] != '\n')
					cl++;
				if (cl > i + 1 && cl + 2 < m && t[cl] == '`' && t[cl + 1] == '`' &&
				    t[cl + 2] != '`' && !is_space(t[cl + 2]))
					st = ST_CALL;
			}
			if (gnu_quote(t, m, i))
				break; /* `command' builtin: quoted in GNU's style */
			if (st == ST_LOOSE && markdown_span(sc, i))
				sc->cap = CMDI_MENTION; /* separators inside are judged as ever */
			judge(sc, i + 1, st, 0);
			sc->cap = 0;
			break;
		}
		case '$':
		case '<':
		case '>':
			if (d == '(' && !(i + 2 < m && t[i + 2] == '(') &&
			    !(c == '$' && make_variable(t, m, i + 2)))
				judge(sc, i + 2, ST_CALL, 0); /* $( <( >( hold a command line */
			if (c == '<' && i + 8 < m && same_ci((const char *)t + i, "<!--#exec", 9))
				report(sc, "cmdi.ssi_exec", 90, i, i + 9);
			break;
		case '(':
			if (d == ')' && i + 2 < m && t[i + 2] == '{' && i + 3 < m &&
			    (is_space(t[i + 3]) || t[i + 3] == ':'))
				report(sc, "cmdi.function_def", 80, i, i + 3); /* :(){ :|:& };: */
			else if (d == ')' && fork_bomb(t, m, i))
				report(sc, "cmdi.function_def", 85, i, i + 2);
			else if (d == ')' && i + 3 < m && t[i + 2] == ' ' && t[i + 3] == '{' &&
			         sep_strength(t, m, i, i + 1) == ST_TIGHT &&
			         (i == 0 || !ch_is_alnum(t[i - 1])))
				report(sc, "cmdi.shellshock", 95, i, i + 4); /* () { :;}; */
			else if (group_not_shell(t, m, i) ||
			         (i > 0 && (t[i - 1] == '$' || t[i - 1] == '<' || t[i - 1] == '>')))
				break; /* $( <( >( are judged at their first byte */
			else {
				/* " (ls -l /dev/dsp will tell)": an aside in prose */
				if (i > 0 && is_space(t[i - 1]) && is_prose(sc))
					sc->cap = CMDI_MENTION;
				judge(sc, i + 1, ST_LOOSE, 0);
				sc->cap = 0;
			}
			break;
		case '{':
			/* import-gnulib.{sh,config}: an expansion glued to a word
			 * makes file names, not a command */
			if (i > 0 && (is_name_char(t[i - 1]) || strchr("./-", t[i - 1])))
				break;
			judge(sc, i, ST_TIGHT, 0); /* only a {word,arg} expansion reads a word */
			break;
		case '!':
			judge_bang(sc, i);
			break;
		case '=': { /* ?args=env --version: a query's value starts here */
			size_t b = i;
			while (b > 0 && i - b < 64 &&
			       (is_name_char(t[b - 1]) || t[b - 1] == '-' || t[b - 1] == '.'))
				b--;
			if (b < i && b > 0 && (t[b - 1] == '?' || t[b - 1] == '&') && i + 1 < m &&
			    t[i + 1] != '=') {
				sc->args_only = 1;
				judge(sc, i + 1, ST_START, 0);
				sc->args_only = 0;
			}
			break;
		}
		case '/': /* bash's network redirections: >& /dev/tcp/10.0.0.1/4444 */
			if (i + 9 < m && (memcmp(t + i, "/dev/tcp/", 9) == 0 ||
			                  memcmp(t + i, "/dev/udp/", 9) == 0))
				report(sc, "cmdi.dev_tcp", 90, i, i + 9);
			break;
		default:
			if (sc->calls && exec_first(c) && at_word_start(t, i))
				judge_exec_call(sc, i);
			break;
		}
		if (sc->found && sc->hit->confidence >= CMDI_ENOUGH)
			return;
	}
}

int pol_detect_cmdi(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit)
{
	/* every attack needs a separator, a substitution, quoting or a call */
	const uint32_t need = POL_CH_SEMI | POL_CH_PIPE | POL_CH_AMP | POL_CH_BACKTICK |
	                      POL_CH_DOLLAR | POL_CH_NEWLINE | POL_CH_PAREN | POL_CH_LBRACE |
	                      POL_CH_PERCENT | POL_CH_BSLASH | POL_CH_SLASH | POL_CH_SQUOTE |
	                      POL_CH_DQUOTE | POL_CH_LT | POL_CH_GT | POL_CH_DASH | POL_CH_DIGIT |
	                      POL_CH_STAR | POL_CH_QMARK | POL_CH_EQUALS;
	/* the bytes scan_window stops at (scan_byte's SB_CASE; ESC is a CTRL) */
	const uint32_t stops = POL_CH_NEWLINE | POL_CH_SEMI | POL_CH_PIPE | POL_CH_AMP |
	                       POL_CH_DQUOTE | POL_CH_SQUOTE | POL_CH_BACKTICK | POL_CH_DOLLAR |
	                       POL_CH_LT | POL_CH_GT | POL_CH_PAREN | POL_CH_LBRACE | POL_CH_SLASH |
	                       POL_CH_CTRL;
	struct window w;
	uint32_t chars = ctx ? ctx->chars : pol_charmask(s, n);
	/* a '(' in the decoded input comes from one in s, %28 or &#40; &lpar; */
	int calls = (chars & (POL_CH_PAREN | POL_CH_PERCENT | POL_CH_AMP)) != 0;
	/* a value without a blank whose words '+' joins, and that holds a
	 * separator, is form-encoded text nobody decoded: the shell would get
	 * it decoded ("x;+cat+/etc/passwd" sent where + was meant as blank) */
	int plus = (chars & (POL_CH_PLUS | POL_CH_SPACE)) == POL_CH_PLUS &&
	           (chars & (POL_CH_SEMI | POL_CH_PIPE | POL_CH_AMP | POL_CH_NEWLINE)) &&
	           (chars & POL_CH_ALPHA);
	int plain = !(chars & (POL_CH_PERCENT | POL_CH_AMP | POL_CH_BSLASH)) && !plus;
	/* an '=' in the decoded input comes from one in s, %3d or &#61; */
	int equals = (chars & (POL_CH_EQUALS | POL_CH_PERCENT | POL_CH_AMP)) != 0;
	/* a query's '=' comes after a '?' or '&' (or %3f, &#63;...) */
	int query = equals && (chars & (POL_CH_QMARK | POL_CH_AMP | POL_CH_PERCENT));
	struct scan sc = {&w,       0,      hit,   0, s,        n, -1, 0, calls, 0,
	                  SIZE_MAX, equals, query, 0, SIZE_MAX, 0, 0,  0, 0};
	size_t i = 0;
	int first = 1;
	w.m = 0;
	w.direct = 0;
	w.plus = plus;
	w.t = w.buf;
	if (ctx && !(ctx->chars & need)) {
		/* letters and spaces: only a lone reconnaissance command can be here */
		w.t = (const unsigned char *)s;
		w.m = n < 64 ? n : 64;
		w.direct = 1;
		sc.final = 1;
		if (w.m)
			judge(&sc, 0, ST_START, 0);
		return sc.found;
	}
	if (plain) {
		/* every byte stands for itself: the input is the window */
		w.t = (const unsigned char *)s;
		w.m = n;
		w.direct = 1;
		sc.final = 1;
		sc.quiet = !(chars & stops);
		if (n)
			scan_window(&sc, 1);
		return sc.found;
	}
	while (i < n || first) {
		window_fill(&w, s, n, &i);
		sc.final = i >= n;
		sc.row_from = sc.row_to = 0; /* table_row's line was the last window's */
		if (w.m > 0)
			scan_window(&sc, first);
		first = 0;
		if (sc.found && hit->confidence >= CMDI_ENOUGH)
			break;
		if (i >= n)
			break;
		/* keep the tail as look-ahead context for the next window */
		sc.lead_sep = SIZE_MAX;
		sc.start = SIZE_MAX;
		memmove(w.buf, w.buf + w.m - CMDI_KEEP, CMDI_KEEP);
		memmove(w.at, w.at + w.m - CMDI_KEEP, CMDI_KEEP * sizeof(w.at[0]));
		w.m = CMDI_KEEP;
	}
	return sc.found;
}
