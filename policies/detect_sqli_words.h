/* SQL words the sqli detector knows, with the role each plays in its
 * grammar. Private to detect_sqli.c. The words are hashed and the catalogues
 * searched by bisection: keep both sorted in strcmp order, with no word
 * listed twice (the golden file has a case per table end).
 */
#ifndef POL_DETECT_SQLI_WORDS_H
#define POL_DETECT_SQLI_WORDS_H

/* Roles. A word may read differently when a '(' follows it: sqw_fn says
 * how strong a function call of that name is. */
enum sqw_role {
	SQW_NONE,
	SQW_LOGIC, /* and or xor */
	SQW_NOT,   /* not */
	SQW_CMP,   /* like rlike regexp is in between glob ilike sounds */
	SQW_LIT,   /* null true false */
	SQW_SELECT,
	SQW_UNION, /* union except intersect */
	SQW_FROM,
	SQW_WHERE,
	SQW_ORDER, /* order group */
	SQW_BY,
	SQW_HAVING,
	SQW_LIMIT,
	SQW_INTO,
	SQW_OUTFILE, /* outfile dumpfile */
	SQW_VALUES,
	SQW_SET,
	SQW_OBJECT, /* table database view procedure ... */
	SQW_DROP,
	SQW_DELETE,
	SQW_INSERT,
	SQW_UPDATE,
	SQW_CREATE, /* create alter truncate */
	SQW_EXEC,   /* exec execute */
	SQW_DECLARE,
	SQW_SHUTDOWN,
	SQW_WAITFOR,
	SQW_DELAY, /* delay time (after waitfor) */
	SQW_ALL,   /* all distinct */
	SQW_JOIN,
	SQW_AS,
	SQW_CASE,
	SQW_IF,
	SQW_EXISTS,
	SQW_PROC,    /* procedure analyse: also an object word */
	SQW_ARITH,   /* div mod binary collate: operators spelt as a word */
	SQW_POSTFIX, /* isnull notnull: a comparison with one operand */
};

enum sqw_fn {
	SQF_NONE,   /* not a known function */
	SQF_WEAK,   /* common in SQL payloads but also in other languages */
	SQF_STRONG, /* hardly ever seen outside an attack: sleep, benchmark... */
};

struct sqw_word {
	const char *w;
	unsigned char role; /* enum sqw_role */
	unsigned char fn;   /* enum sqw_fn, when a '(' follows */
};

static const struct sqw_word sqw_words[] = {
    {"abs", SQW_NONE, SQF_WEAK},
    {"all", SQW_ALL, SQF_NONE},
    {"alter", SQW_CREATE, SQF_NONE},
    {"analyse", SQW_NONE, SQF_STRONG},
    {"and", SQW_LOGIC, SQF_NONE},
    {"as", SQW_AS, SQF_NONE},
    {"ascii", SQW_NONE, SQF_WEAK},
    {"benchmark", SQW_NONE, SQF_STRONG},
    {"between", SQW_CMP, SQF_NONE},
    {"bin", SQW_NONE, SQF_WEAK},
    {"binary", SQW_ARITH, SQF_NONE},
    {"by", SQW_BY, SQF_NONE},
    {"case", SQW_CASE, SQF_NONE},
    {"cast", SQW_NONE, SQF_WEAK},
    {"ceil", SQW_NONE, SQF_WEAK},
    {"char", SQW_NONE, SQF_WEAK},
    {"char_length", SQW_NONE, SQF_WEAK},
    {"chr", SQW_NONE, SQF_WEAK},
    {"coalesce", SQW_NONE, SQF_WEAK},
    {"collate", SQW_ARITH, SQF_NONE},
    {"column", SQW_OBJECT, SQF_NONE},
    {"concat", SQW_NONE, SQF_WEAK},
    {"concat_ws", SQW_NONE, SQF_WEAK},
    {"convert", SQW_NONE, SQF_WEAK},
    {"count", SQW_NONE, SQF_WEAK},
    {"create", SQW_CREATE, SQF_NONE},
    {"ctxsys.drithsx.sn", SQW_NONE, SQF_STRONG},
    {"curdate", SQW_NONE, SQF_WEAK},
    {"current_date", SQW_LIT, SQF_WEAK},
    {"current_time", SQW_LIT, SQF_WEAK},
    {"current_timestamp", SQW_LIT, SQF_WEAK},
    {"current_user", SQW_LIT, SQF_WEAK},
    {"database", SQW_OBJECT, SQF_WEAK},
    {"db_name", SQW_NONE, SQF_WEAK},
    {"dbms_lock.sleep", SQW_NONE, SQF_STRONG},
    {"dbms_pipe.receive_message", SQW_NONE, SQF_STRONG},
    {"declare", SQW_DECLARE, SQF_NONE},
    {"delay", SQW_DELAY, SQF_NONE},
    {"delete", SQW_DELETE, SQF_NONE},
    {"distinct", SQW_ALL, SQF_NONE},
    {"div", SQW_ARITH, SQF_NONE},
    {"drop", SQW_DROP, SQF_NONE},
    {"dumpfile", SQW_OUTFILE, SQF_NONE},
    {"elt", SQW_NONE, SQF_WEAK},
    {"except", SQW_UNION, SQF_NONE},
    {"exec", SQW_EXEC, SQF_WEAK},
    {"execute", SQW_EXEC, SQF_WEAK},
    {"exists", SQW_EXISTS, SQF_WEAK},
    {"exp", SQW_NONE, SQF_WEAK},
    {"extractvalue", SQW_NONE, SQF_STRONG},
    {"false", SQW_LIT, SQF_NONE},
    {"find_in_set", SQW_NONE, SQF_WEAK},
    {"floor", SQW_NONE, SQF_WEAK},
    {"from", SQW_FROM, SQF_NONE},
    {"function", SQW_OBJECT, SQF_NONE},
    {"geometrycollection", SQW_NONE, SQF_STRONG},
    {"get_host_address", SQW_NONE, SQF_STRONG},
    {"glob", SQW_CMP, SQF_NONE},
    {"greatest", SQW_NONE, SQF_WEAK},
    {"group", SQW_ORDER, SQF_NONE},
    {"group_concat", SQW_NONE, SQF_STRONG},
    {"gtid_subset", SQW_NONE, SQF_STRONG},
    {"having", SQW_HAVING, SQF_NONE},
    {"hex", SQW_NONE, SQF_WEAK},
    {"if", SQW_IF, SQF_WEAK},
    {"ifnull", SQW_NONE, SQF_WEAK},
    {"iif", SQW_NONE, SQF_WEAK},
    {"ilike", SQW_CMP, SQF_NONE},
    {"in", SQW_CMP, SQF_NONE},
    {"index", SQW_OBJECT, SQF_NONE},
    {"insert", SQW_INSERT, SQF_NONE},
    {"instr", SQW_NONE, SQF_WEAK},
    {"intersect", SQW_UNION, SQF_NONE},
    {"into", SQW_INTO, SQF_NONE},
    {"is", SQW_CMP, SQF_NONE},
    {"is_srvrolemember", SQW_NONE, SQF_STRONG},
    {"isnull", SQW_POSTFIX, SQF_WEAK},
    {"join", SQW_JOIN, SQF_NONE},
    {"json_array", SQW_NONE, SQF_WEAK},
    {"json_extract", SQW_NONE, SQF_WEAK},
    {"json_keys", SQW_NONE, SQF_WEAK},
    {"json_search", SQW_NONE, SQF_WEAK},
    {"left", SQW_NONE, SQF_WEAK},
    {"len", SQW_NONE, SQF_WEAK},
    {"length", SQW_NONE, SQF_WEAK},
    {"like", SQW_CMP, SQF_NONE},
    {"limit", SQW_LIMIT, SQF_NONE},
    {"linestring", SQW_NONE, SQF_STRONG},
    {"lo_get", SQW_NONE, SQF_STRONG},
    {"lo_import", SQW_NONE, SQF_STRONG},
    {"load_file", SQW_NONE, SQF_STRONG},
    {"locate", SQW_NONE, SQF_WEAK},
    {"lower", SQW_NONE, SQF_WEAK},
    {"lpad", SQW_NONE, SQF_WEAK},
    {"make_set", SQW_NONE, SQF_STRONG},
    {"md5", SQW_NONE, SQF_WEAK},
    {"mid", SQW_NONE, SQF_WEAK},
    {"mod", SQW_ARITH, SQF_WEAK},
    {"multipoint", SQW_NONE, SQF_STRONG},
    {"multipolygon", SQW_NONE, SQF_STRONG},
    {"name_const", SQW_NONE, SQF_STRONG},
    {"not", SQW_NOT, SQF_NONE},
    {"notnull", SQW_POSTFIX, SQF_NONE},
    {"now", SQW_NONE, SQF_WEAK},
    {"null", SQW_LIT, SQF_NONE},
    {"nullif", SQW_NONE, SQF_WEAK},
    {"nvl", SQW_NONE, SQF_WEAK},
    {"object_id", SQW_NONE, SQF_WEAK},
    {"or", SQW_LOGIC, SQF_NONE},
    {"ord", SQW_NONE, SQF_WEAK},
    {"order", SQW_ORDER, SQF_NONE},
    {"outfile", SQW_OUTFILE, SQF_NONE},
    {"pg_read_file", SQW_NONE, SQF_STRONG},
    {"pg_sleep", SQW_NONE, SQF_STRONG},
    {"pi", SQW_NONE, SQF_WEAK},
    {"polygon", SQW_NONE, SQF_STRONG},
    {"procedure", SQW_PROC, SQF_NONE},
    {"rand", SQW_NONE, SQF_WEAK},
    {"randomblob", SQW_NONE, SQF_STRONG},
    {"receive_message", SQW_NONE, SQF_STRONG},
    {"regexp", SQW_CMP, SQF_NONE},
    {"replace", SQW_NONE, SQF_WEAK},
    {"reverse", SQW_NONE, SQF_WEAK},
    {"right", SQW_NONE, SQF_WEAK},
    {"rlike", SQW_CMP, SQF_NONE},
    {"rpad", SQW_NONE, SQF_WEAK},
    {"schema", SQW_OBJECT, SQF_WEAK},
    {"select", SQW_SELECT, SQF_NONE},
    {"session_user", SQW_LIT, SQF_WEAK},
    {"set", SQW_SET, SQF_NONE},
    {"sha1", SQW_NONE, SQF_WEAK},
    {"shutdown", SQW_SHUTDOWN, SQF_NONE},
    {"similar", SQW_CMP, SQF_NONE},
    {"sleep", SQW_NONE, SQF_STRONG},
    {"sounds", SQW_CMP, SQF_NONE},
    {"sp_executesql", SQW_NONE, SQF_STRONG},
    {"sp_password", SQW_NONE, SQF_STRONG},
    {"sqlite_compileoption_get", SQW_NONE, SQF_STRONG},
    {"sqlite_compileoption_used", SQW_NONE, SQF_STRONG},
    {"sqlite_version", SQW_NONE, SQF_WEAK},
    {"starts_with", SQW_NONE, SQF_WEAK},
    {"substr", SQW_NONE, SQF_WEAK},
    {"substring", SQW_NONE, SQF_WEAK},
    {"sys_eval", SQW_NONE, SQF_STRONG},
    {"sys_exec", SQW_NONE, SQF_STRONG},
    {"sysdate", SQW_LIT, SQF_WEAK},
    {"system_user", SQW_LIT, SQF_WEAK},
    {"table", SQW_OBJECT, SQF_NONE},
    {"time", SQW_DELAY, SQF_NONE},
    {"trigger", SQW_OBJECT, SQF_NONE},
    {"true", SQW_LIT, SQF_NONE},
    {"truncate", SQW_CREATE, SQF_NONE},
    {"unhex", SQW_NONE, SQF_WEAK},
    {"union", SQW_UNION, SQF_NONE},
    {"update", SQW_UPDATE, SQF_NONE},
    {"updatexml", SQW_NONE, SQF_STRONG},
    {"upper", SQW_NONE, SQF_WEAK},
    {"user", SQW_OBJECT, SQF_WEAK},
    {"utc_date", SQW_LIT, SQF_WEAK},
    {"utc_time", SQW_LIT, SQF_WEAK},
    {"utc_timestamp", SQW_LIT, SQF_WEAK},
    {"utl_http.request", SQW_NONE, SQF_STRONG},
    {"utl_inaddr.get_host_address", SQW_NONE, SQF_STRONG},
    {"values", SQW_VALUES, SQF_NONE},
    {"version", SQW_NONE, SQF_WEAK},
    {"view", SQW_OBJECT, SQF_NONE},
    {"waitfor", SQW_WAITFOR, SQF_NONE},
    {"where", SQW_WHERE, SQF_NONE},
    {"xor", SQW_LOGIC, SQF_NONE},
    {"xp_cmdshell", SQW_NONE, SQF_STRONG},
    {"xp_dirtree", SQW_NONE, SQF_STRONG},
    {"xp_regread", SQW_NONE, SQF_STRONG},
};

/* Names of system catalogues: a query that names one is reading the
 * database's own structure, which applications take from code, not input. */
static const char *const sqw_catalogs[] = {
    "all_tables", "information_schema", "msysobjects", "mysql.user", "pg_catalog", "pg_shadow",
    "pg_user",    "sqlite_master",      "sys.objects", "sys.tables", "syscolumns", "sysobjects",
    "sysusers",   "user_tables",
};

/* Names that, as a whole input, point at the database's own machinery:
 * system catalogues and procedures or packages that only attacks call
 * (shell commands, file and registry access, outbound connections, the
 * trace-hiding sp_password), and the OLE DB providers OPENROWSET names. An application takes them
 * from its code, never from a user. Matched as the whole of an input (a dotted name by its first or
 * last part), never as a substring. */
static const char *const sqw_lone[] = {
    "dbms_pipe",         "information_schema",
    "msdasql",           "msdb",
    "msysaccessobjects", "msysobjects",
    "msysqueries",       "mysql.db",
    "mysql.user",        "opendatasource",
    "openrowset",        "pg_authid",
    "pg_catalog",        "pg_ls_dir",
    "pg_read_file",      "pg_shadow",
    "sp_addlogin",       "sp_addsrvrolemember",
    "sp_executesql",     "sp_makewebtask",
    "sp_oacreate",       "sp_oamethod",
    "sp_password",       "sqlite_master",
    "sqlite_schema",     "sqloledb",
    "sys.sql_logins",    "syscolumns",
    "sysdatabases",      "syslogins",
    "sysobjects",        "tempdb",
    "utl_file",          "utl_http",
    "utl_inaddr",        "xp_availablemedia",
    "xp_cmdshell",       "xp_dirtree",
    "xp_fileexist",      "xp_loginconfig",
    "xp_regdeletekey",   "xp_regenumvalues",
    "xp_regread",        "xp_regwrite",
    "xp_servicecontrol", "xp_subdirs",
};

#endif
