#include "col_store.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_log.h"
#include "vg_time.h"
#include "vg_util.h"

#define READERS      4
#define GCACHE_SLOTS 1024 /* a power of two */
#define GCACHE_PROBE 8

struct gcache_slot {
	char *key; /* rule \0 function \0 path, with its length */
	size_t len;
	int64_t id;
};

struct reader {
	sqlite3 *db;
	bool busy;
};

struct commit_req;

struct col_store {
	struct col_store_opts opts;
	sqlite3 *wdb;
	pthread_mutex_t wlock; /* the write connection and count */
	sqlite3_stmt *st_group, *st_group_add, *st_alert;
	int64_t count;
	/* Group commit: batches queued while another caller commits. */
	pthread_mutex_t qlock;
	pthread_cond_t qdone;
	struct commit_req *qhead, **qtail;
	bool leader;
	struct gcache_slot gcache[GCACHE_SLOTS]; /* (rule, function, path) -> group id */
	struct reader readers[READERS];
	pthread_mutex_t rlock;
	pthread_cond_t rfree;
};

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS groups("
    " id INTEGER PRIMARY KEY,"
    " rule TEXT NOT NULL, function TEXT NOT NULL, field_path TEXT NOT NULL,"
    " category TEXT, kind TEXT, severity_number INTEGER, severity_text TEXT,"
    " count INTEGER NOT NULL, first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL,"
    " UNIQUE(rule, function, field_path));"
    "CREATE INDEX IF NOT EXISTS groups_last ON groups(last_ns);"
    "CREATE TABLE IF NOT EXISTS alerts("
    " id INTEGER PRIMARY KEY,"
    " alert_id TEXT UNIQUE,"
    " group_id INTEGER NOT NULL,"
    " time_ns INTEGER NOT NULL, received_ns INTEGER NOT NULL,"
    " severity_number INTEGER NOT NULL, severity_text TEXT,"
    " kind TEXT, category TEXT, rule TEXT, action TEXT, source TEXT,"
    " field_path TEXT, excerpt TEXT, request_id TEXT, function TEXT, service TEXT,"
    " body TEXT, attrs TEXT NOT NULL, resource TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS alerts_function ON alerts(function);"
    "CREATE INDEX IF NOT EXISTS alerts_category ON alerts(category);"
    /* The drill-down the UI offers most: a function's alerts of a category. */
    "CREATE INDEX IF NOT EXISTS alerts_function_category ON alerts(function, category);"
    "CREATE INDEX IF NOT EXISTS alerts_severity ON alerts(severity_text COLLATE NOCASE);"
    "CREATE INDEX IF NOT EXISTS alerts_source ON alerts(source);"
    "CREATE INDEX IF NOT EXISTS alerts_request ON alerts(request_id);"
    "CREATE INDEX IF NOT EXISTS alerts_time ON alerts(time_ns);"
    "CREATE INDEX IF NOT EXISTS alerts_group ON alerts(group_id, time_ns);";

static const char COLUMNS[] =
    "id, alert_id, time_ns, received_ns, severity_number, severity_text, kind, category,"
    " rule, action, source, field_path, excerpt, request_id, function, service, group_id,"
    " body, attrs, resource";

/* One alert as the API shows it; every string may be NULL. */
struct alert_view {
	int64_t id, time_ns, received_ns, group_id;
	int severity_number;
	const char *alert_id, *severity_text, *kind, *category, *rule, *action, *source,
	    *field_path, *excerpt, *request_id, *function, *service, *body, *attrs, *resource;
};

static void json_member_str(struct vg_buf *o, const char *name, const char *v)
{
	vg_buf_printf(o, ",\"%s\":", name);
	if (v)
		vg_buf_json_str(o, v, strlen(v));
	else
		vg_buf_puts(o, "null");
}

static int alert_json(struct vg_buf *o, const struct alert_view *a)
{
	char iso[32];

	vg_iso8601_ms(a->time_ns / 1000000, iso, sizeof(iso));
	vg_buf_printf(o, "{\"id\":%lld", (long long)a->id);
	json_member_str(o, "alertId", a->alert_id);
	vg_buf_printf(o, ",\"time\":\"%s\",\"timeUnixNano\":\"%lld\",\"receivedUnixNano\":\"%lld\"",
	              iso, (long long)a->time_ns, (long long)a->received_ns);
	vg_buf_printf(o, ",\"severityNumber\":%d", a->severity_number);
	json_member_str(o, "severityText", a->severity_text);
	json_member_str(o, "kind", a->kind);
	json_member_str(o, "category", a->category);
	json_member_str(o, "rule", a->rule);
	json_member_str(o, "action", a->action);
	json_member_str(o, "source", a->source);
	json_member_str(o, "fieldPath", a->field_path);
	json_member_str(o, "excerpt", a->excerpt);
	json_member_str(o, "requestId", a->request_id);
	json_member_str(o, "function", a->function);
	json_member_str(o, "service", a->service);
	vg_buf_printf(o, ",\"groupId\":%lld", (long long)a->group_id);
	json_member_str(o, "body", a->body);
	/* attrs and resource are JSON objects this program serialised. */
	vg_buf_printf(o, ",\"attributes\":%s,\"resource\":%s", a->attrs ? a->attrs : "{}",
	              a->resource ? a->resource : "{}");
	return vg_buf_putc(o, '}');
}

static int sql_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		vg_log_error("sqlite: %s", err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -EIO;
	}
	return 0;
}

static void gcache_clear(struct col_store *s)
{
	for (size_t i = 0; i < GCACHE_SLOTS; i++) {
		free(s->gcache[i].key);
		s->gcache[i].key = NULL;
	}
}

static size_t group_key(const struct col_record *r, char *key, size_t n)
{
	const char *parts[3] = {r->rule ? r->rule : "", r->function ? r->function : "",
	                        r->field_path ? r->field_path : ""};
	size_t len = 0;
	for (int i = 0; i < 3; i++) {
		size_t l = strlen(parts[i]) + 1;
		if (len + l > n)
			return 0; /* too long to cache: always asked of SQLite */
		memcpy(key + len, parts[i], l);
		len += l;
	}
	return len;
}

static struct gcache_slot *gcache_find(struct col_store *s, const char *key, size_t len,
                                       struct gcache_slot **free_slot)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	*free_slot = NULL;
	for (uint32_t i = 0; i < GCACHE_PROBE; i++) {
		struct gcache_slot *sl = &s->gcache[(h + i) & (GCACHE_SLOTS - 1)];
		if (!sl->key) {
			if (!*free_slot)
				*free_slot = sl;
			continue;
		}
		if (sl->len == len && !memcmp(sl->key, key, len))
			return sl;
	}
	if (!*free_slot) /* full window: evict its first slot */
		*free_slot = &s->gcache[h & (GCACHE_SLOTS - 1)];
	return NULL;
}

static int open_conn(const char *path, bool sync_full, sqlite3 **out)
{
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		vg_log_error("cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
		sqlite3_close(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db, 10000);
	if (sql_exec(db, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL") < 0) {
		sqlite3_close(db);
		return -EIO;
	}
	*out = db;
	return 0;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
		vg_log_error("sqlite prepare: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	return 0;
}

int col_store_open(const struct col_store_opts *o, struct col_store **out)
{
	struct col_store *s = calloc(1, sizeof(*s));
	sqlite3_stmt *st = NULL;
	int rc = -EIO;

	if (!s)
		return -ENOMEM;
	s->opts = *o;
	if (s->opts.scan_rows <= 0)
		s->opts.scan_rows = COL_QUERY_SCAN_ROWS;
	pthread_mutex_init(&s->wlock, NULL);
	pthread_mutex_init(&s->qlock, NULL);
	pthread_cond_init(&s->qdone, NULL);
	s->qtail = &s->qhead;
	pthread_mutex_init(&s->rlock, NULL);
	pthread_cond_init(&s->rfree, NULL);
	if ((rc = open_conn(o->path, o->sync_full, &s->wdb)) < 0)
		goto fail;
	rc = -EIO;
	/* WAL: readers and the writer do not block each other, and a commit
	 * is one append to the log. */
	if (sqlite3_prepare_v2(s->wdb, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
		vg_log_error("cannot switch %s to WAL mode", o->path);
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sql_exec(s->wdb, SCHEMA) < 0 || sql_exec(s->wdb, "PRAGMA analysis_limit=1000") < 0)
		goto fail;
	/* A group row is created with count 0 when first needed; the counts of
	 * a batch are added once per group at its end. */
	if (prepare(s->wdb,
	            "INSERT INTO groups(rule, function, field_path, category, kind,"
	            " severity_number, severity_text, count, first_ns, last_ns)"
	            " VALUES(?1, ?2, ?3, NULL, NULL, 0, NULL, 0, ?4, ?4)"
	            " ON CONFLICT(rule, function, field_path) DO UPDATE SET count = count"
	            " RETURNING id",
	            &s->st_group) < 0 ||
	    prepare(s->wdb,
	            "UPDATE groups SET count = count + ?2, first_ns = min(first_ns, ?3),"
	            " last_ns = max(last_ns, ?4), category = ?5, kind = ?6,"
	            " severity_number = ?7, severity_text = ?8 WHERE id = ?1",
	            &s->st_group_add) < 0 ||
	    prepare(s->wdb,
	            "INSERT OR IGNORE INTO alerts(alert_id, group_id, time_ns, received_ns,"
	            " severity_number, severity_text, kind, category, rule, action, source,"
	            " field_path, excerpt, request_id, function, service, body, attrs, resource)"
	            " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	            &s->st_alert) < 0)
		goto fail;
	if (sqlite3_prepare_v2(s->wdb, "SELECT count(*) FROM alerts", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		goto fail;
	}
	s->count = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	for (int i = 0; i < READERS; i++) {
		if ((rc = open_conn(o->path, o->sync_full, &s->readers[i].db)) < 0)
			goto fail;
		/* Readers never write: a query cannot modify the database. */
		sqlite3_exec(s->readers[i].db, "PRAGMA query_only=1", NULL, NULL, NULL);
	}
	*out = s;
	return 0;
fail:
	col_store_free(s);
	return rc < 0 ? rc : -EIO;
}

void col_store_free(struct col_store *s)
{
	if (!s)
		return;
	gcache_clear(s);
	sqlite3_finalize(s->st_group_add);
	sqlite3_finalize(s->st_group);
	sqlite3_finalize(s->st_alert);
	for (int i = 0; i < READERS; i++)
		sqlite3_close(s->readers[i].db);
	sqlite3_close(s->wdb);
	pthread_mutex_destroy(&s->wlock);
	pthread_mutex_destroy(&s->qlock);
	pthread_cond_destroy(&s->qdone);
	pthread_mutex_destroy(&s->rlock);
	pthread_cond_destroy(&s->rfree);
	free(s);
}

static void bind_str(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* A group key part: NULL and "" are the same group. */
static const char *key_part(const char *v)
{
	return v ? v : "";
}

/* The id of the record's group, creating the row if needed. */
static int group_id(struct col_store *s, const struct col_record *r, int64_t time_ns, int64_t *id)
{
	char key[1024];
	size_t len = group_key(r, key, sizeof(key));
	struct gcache_slot *hit = NULL, *slot = NULL;
	sqlite3_stmt *g = s->st_group;
	int rc;

	if (len && (hit = gcache_find(s, key, len, &slot))) {
		*id = hit->id;
		return 0;
	}
	bind_str(g, 1, key_part(r->rule));
	bind_str(g, 2, key_part(r->function));
	bind_str(g, 3, key_part(r->field_path));
	sqlite3_bind_int64(g, 4, time_ns);
	rc = sqlite3_step(g);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(g, 0);
	sqlite3_reset(g);
	if (rc != SQLITE_ROW)
		return -EIO;
	if (len && slot) {
		char *copy = malloc(len);
		if (copy) {
			memcpy(copy, key, len);
			free(slot->key);
			*slot = (struct gcache_slot){copy, len, *id};
		}
	}
	return 0;
}

/* Inserts one record; 0 with *id set (0 when it was a duplicate), -EIO. */
static int insert_one(struct col_store *s, const struct col_record *r, int64_t time_ns,
                      int64_t now_ns, int64_t *gid, int64_t *id)
{
	sqlite3_stmt *a = s->st_alert;
	int rc;

	*id = 0;
	if ((rc = group_id(s, r, time_ns, gid)) < 0)
		return rc;
	sqlite3_bind_int64(a, 2, *gid);
	bind_str(a, 1, r->alert_id);
	sqlite3_bind_int64(a, 3, time_ns);
	sqlite3_bind_int64(a, 4, now_ns);
	sqlite3_bind_int(a, 5, r->severity_number);
	bind_str(a, 6, r->severity_text);
	bind_str(a, 7, r->kind);
	bind_str(a, 8, r->category);
	bind_str(a, 9, r->rule);
	bind_str(a, 10, r->action);
	bind_str(a, 11, r->source);
	bind_str(a, 12, r->field_path);
	bind_str(a, 13, r->excerpt);
	bind_str(a, 14, r->request_id);
	bind_str(a, 15, r->function);
	bind_str(a, 16, r->service);
	bind_str(a, 17, r->body ? r->body : r->body_json);
	bind_str(a, 18, r->attrs_json);
	bind_str(a, 19, r->resource_json);
	rc = sqlite3_step(a);
	sqlite3_reset(a);
	sqlite3_clear_bindings(a);
	if (rc != SQLITE_DONE) {
		vg_log_error("sqlite insert: %s", sqlite3_errmsg(s->wdb));
		return -EIO;
	}
	/* OR IGNORE: only the unique alert id can conflict, so no change
	 * means the alert is already stored. */
	if (sqlite3_changes(s->wdb))
		*id = sqlite3_last_insert_rowid(s->wdb);
	return 0;
}

struct group_delta {
	int64_t id, count, first, last;
	const struct col_record *latest;
};

/* Adds the batch's counts to its groups: one UPDATE per distinct group. */
static int groups_add(struct col_store *s, const struct col_batch *b, const int64_t *ids,
                      const int64_t *gids, int64_t now_ns)
{
	struct group_delta *d = calloc(b->n, sizeof(*d));
	size_t nd = 0;
	int rc = 0;

	if (!d)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++) {
		const struct col_record *r = &b->records[i];
		int64_t t = r->time_ns ? r->time_ns : now_ns;
		size_t k;
		if (!ids[i])
			continue;
		/* Most batches hold few groups; search from the newest. */
		for (k = nd; k > 0 && d[k - 1].id != gids[i]; k--)
			;
		if (!k) {
			d[nd] = (struct group_delta){gids[i], 0, t, t, r};
			k = ++nd;
		}
		struct group_delta *g = &d[k - 1];
		g->count++;
		g->first = VG_MIN(g->first, t);
		g->last = VG_MAX(g->last, t);
		g->latest = r;
	}
	for (size_t k = 0; k < nd && rc == 0; k++) {
		sqlite3_stmt *u = s->st_group_add;
		sqlite3_bind_int64(u, 1, d[k].id);
		sqlite3_bind_int64(u, 2, d[k].count);
		sqlite3_bind_int64(u, 3, d[k].first);
		sqlite3_bind_int64(u, 4, d[k].last);
		bind_str(u, 5, d[k].latest->category);
		bind_str(u, 6, d[k].latest->kind);
		sqlite3_bind_int(u, 7, d[k].latest->severity_number);
		bind_str(u, 8, d[k].latest->severity_text);
		if (sqlite3_step(u) != SQLITE_DONE)
			rc = -EIO;
		sqlite3_reset(u);
	}
	free(d);
	return rc;
}

/* Removes the alerts matching `where` (one bound integer) and keeps the
 * groups' counts and first-seen times true. Runs inside a transaction. */
static int delete_where(struct col_store *s, const char *where, int64_t arg, int64_t *deleted)
{
	char sql[256];
	sqlite3_stmt *sel = NULL, *upd = NULL;
	int rc = -EIO, step;

	*deleted = 0;
	snprintf(sql, sizeof(sql),
	         "SELECT group_id, count(*) FROM alerts WHERE %s GROUP BY group_id", where);
	if (sqlite3_prepare_v2(s->wdb, sql, -1, &sel, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(s->wdb, "UPDATE groups SET count = count - ?2 WHERE id = ?1", -1,
	                       &upd, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(sel, 1, arg);
	while ((step = sqlite3_step(sel)) == SQLITE_ROW) {
		sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
		sqlite3_bind_int64(upd, 2, sqlite3_column_int64(sel, 1));
		*deleted += sqlite3_column_int64(sel, 1);
		if (sqlite3_step(upd) != SQLITE_DONE)
			goto out;
		sqlite3_reset(upd);
	}
	if (step != SQLITE_DONE)
		goto out;
	sqlite3_finalize(upd);
	upd = NULL;
	snprintf(sql, sizeof(sql), "DELETE FROM alerts WHERE %s", where);
	if (sqlite3_prepare_v2(s->wdb, sql, -1, &upd, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(upd, 1, arg);
	if (sqlite3_step(upd) != SQLITE_DONE)
		goto out;
	/* Groups are few (one per rule, function and path): refreshing every
	 * first-seen time is a handful of index lookups. */
	if (sql_exec(s->wdb, "DELETE FROM groups WHERE count <= 0;"
	                     "UPDATE groups SET first_ns = coalesce((SELECT min(time_ns)"
	                     " FROM alerts WHERE group_id = groups.id), first_ns)") < 0)
		goto out;
	s->count -= *deleted;
	gcache_clear(s); /* empty groups were deleted */
	rc = 0;
out:
	if (rc < 0)
		vg_log_error("retention: %s", sqlite3_errmsg(s->wdb));
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	return rc;
}

/* Count retention, inside the caller's transaction. Trims 1% below the cap
 * so that a full store does not delete on every insert. */
static int trim_count(struct col_store *s, int64_t *deleted)
{
	sqlite3_stmt *st = NULL;
	int64_t excess, cutoff;
	int rc;

	*deleted = 0;
	if (!s->opts.max_alerts || s->count <= s->opts.max_alerts)
		return 0;
	excess = s->count - s->opts.max_alerts + s->opts.max_alerts / 100;
	if (sqlite3_prepare_v2(s->wdb, "SELECT id FROM alerts ORDER BY id LIMIT 1 OFFSET ?", -1,
	                       &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, excess - 1);
	rc = sqlite3_step(st);
	cutoff = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : INT64_MAX;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -EIO;
	return delete_where(s, "id <= ?1", cutoff, deleted);
}

/* One caller's batch waiting for the group commit. It lives on the
 * caller's stack until done is set (under qlock). */
struct commit_req {
	const struct col_batch *b;
	int64_t now_ns;
	int64_t *ids, *groups;
	struct col_insert_result res;
	int rc;
	bool done;
	struct commit_req *next;
};

/* Inserts one batch inside the open transaction, under a savepoint so a
 * failure undoes this batch only. */
static int insert_batch(struct col_store *s, struct commit_req *q)
{
	const struct col_batch *b = q->b;

	if (sql_exec(s->wdb, "SAVEPOINT batch") < 0)
		return -EIO;
	for (size_t i = 0; i < b->n; i++) {
		const struct col_record *r = &b->records[i];
		/* A repeated id inside one batch is caught too: the first copy
		 * is already inserted in this transaction. */
		if (insert_one(s, r, r->time_ns ? r->time_ns : q->now_ns, q->now_ns, &q->groups[i],
		               &q->ids[i]) < 0)
			goto undo;
		if (q->ids[i])
			q->res.stored++;
		else
			q->res.duplicates++;
	}
	if (groups_add(s, b, q->ids, q->groups, q->now_ns) < 0)
		goto undo;
	return sql_exec(s->wdb, "RELEASE batch");
undo:
	sql_exec(s->wdb, "ROLLBACK TO batch; RELEASE batch");
	gcache_clear(s); /* it may name groups the rollback removed */
	memset(&q->res, 0, sizeof(q->res));
	return -EIO;
}

/* Stores every batch of the list in one transaction: one commit (one
 * fsync at synchronous=FULL) for all the callers that queued meanwhile. */
static void commit_group(struct col_store *s, struct commit_req *list)
{
	int64_t added = 0, trimmed = 0;
	struct commit_req *q;

	pthread_mutex_lock(&s->wlock);
	if (sql_exec(s->wdb, "BEGIN IMMEDIATE") < 0)
		goto out;
	for (q = list; q; q = q->next) {
		q->rc = insert_batch(s, q);
		if (q->rc == 0)
			added += (int64_t)q->res.stored;
	}
	s->count += added;
	if (trim_count(s, &trimmed) < 0 || sql_exec(s->wdb, "COMMIT") < 0) {
		s->count += trimmed - added;
		sql_exec(s->wdb, "ROLLBACK");
		gcache_clear(s);
		for (q = list; q; q = q->next) {
			q->rc = -EIO;
			memset(&q->res, 0, sizeof(q->res));
		}
	}
out:
	pthread_mutex_unlock(&s->wlock);
}

int col_store_insert(struct col_store *s, const struct col_batch *b, int64_t now_ns,
                     struct col_insert_result *res, col_store_new_fn fn, void *ctx)
{
	struct commit_req q = {.b = b, .now_ns = now_ns, .rc = -EIO};

	memset(res, 0, sizeof(*res));
	if (!b->n)
		return 0;
	q.ids = calloc(b->n, sizeof(*q.ids));
	q.groups = calloc(b->n, sizeof(*q.groups));
	if (!q.ids || !q.groups) {
		free(q.ids);
		free(q.groups);
		return -ENOMEM;
	}
	/* Group commit: the first caller to find no commit running becomes
	 * the leader and stores every queued batch; the others wait for it. */
	pthread_mutex_lock(&s->qlock);
	*s->qtail = &q;
	s->qtail = &q.next;
	while (!q.done) {
		if (s->leader) {
			pthread_cond_wait(&s->qdone, &s->qlock);
			continue;
		}
		struct commit_req *list = s->qhead;
		s->qhead = NULL;
		s->qtail = &s->qhead;
		s->leader = true;
		pthread_mutex_unlock(&s->qlock);
		commit_group(s, list);
		pthread_mutex_lock(&s->qlock);
		for (struct commit_req *e = list; e; e = e->next)
			e->done = true; /* its owner needs qlock to see it and go */
		s->leader = false;
		pthread_cond_broadcast(&s->qdone);
	}
	pthread_mutex_unlock(&s->qlock);

	*res = q.res;
	if (q.rc == 0 && fn) {
		struct vg_buf o = VG_BUF_INIT(1 << 20);
		for (size_t i = 0; i < b->n; i++) {
			const struct col_record *r = &b->records[i];
			struct alert_view v = {
			    .id = q.ids[i],
			    .time_ns = r->time_ns ? r->time_ns : now_ns,
			    .received_ns = now_ns,
			    .group_id = q.groups[i],
			    .severity_number = r->severity_number,
			    .alert_id = r->alert_id,
			    .severity_text = r->severity_text,
			    .kind = r->kind,
			    .category = r->category,
			    .rule = r->rule,
			    .action = r->action,
			    .source = r->source,
			    .field_path = r->field_path,
			    .excerpt = r->excerpt,
			    .request_id = r->request_id,
			    .function = r->function,
			    .service = r->service,
			    .body = r->body ? r->body : r->body_json,
			    .attrs = r->attrs_json,
			    .resource = r->resource_json,
			};
			if (!q.ids[i])
				continue;
			vg_buf_reset(&o);
			if (alert_json(&o, &v) == 0)
				fn(ctx, o.data, o.len);
		}
		vg_buf_fini(&o);
	}
	free(q.ids);
	free(q.groups);
	return q.rc;
}

int col_store_retain(struct col_store *s, int64_t now_ns, int64_t *deleted)
{
	int64_t n = 0, m = 0;
	int rc = 0;

	pthread_mutex_lock(&s->wlock);
	if (sql_exec(s->wdb, "BEGIN IMMEDIATE") < 0) {
		pthread_mutex_unlock(&s->wlock);
		return -EIO;
	}
	if (s->opts.max_age_s > 0)
		rc = delete_where(s, "time_ns < ?1", now_ns - s->opts.max_age_s * 1000000000LL, &n);
	if (rc == 0)
		rc = trim_count(s, &m);
	if (rc == 0 && sql_exec(s->wdb, "COMMIT") == 0) {
		if (deleted)
			*deleted = n + m;
		/* Keep the planner's statistics fresh so it picks the most
		 * selective index; analysis_limit bounds the work to a sample,
		 * not a scan of every index. */
		sql_exec(s->wdb, "PRAGMA optimize");
	} else {
		s->count += n + m;
		sql_exec(s->wdb, "ROLLBACK");
		gcache_clear(s);
		rc = -EIO;
	}
	pthread_mutex_unlock(&s->wlock);
	return rc;
}

int64_t col_store_count(struct col_store *s)
{
	pthread_mutex_lock(&s->wlock);
	int64_t n = s->count;
	pthread_mutex_unlock(&s->wlock);
	return n;
}

static struct reader *reader_get(struct col_store *s)
{
	pthread_mutex_lock(&s->rlock);
	for (;;) {
		for (int i = 0; i < READERS; i++) {
			if (!s->readers[i].busy) {
				s->readers[i].busy = true;
				pthread_mutex_unlock(&s->rlock);
				return &s->readers[i];
			}
		}
		pthread_cond_wait(&s->rfree, &s->rlock);
	}
}

static void reader_put(struct col_store *s, struct reader *r)
{
	pthread_mutex_lock(&s->rlock);
	r->busy = false;
	pthread_cond_signal(&s->rfree);
	pthread_mutex_unlock(&s->rlock);
}

/* A WHERE clause grown from fixed fragments; values are bound, never
 * spliced into the SQL. */
struct where {
	char sql[1024];
	size_t len;
	struct {
		const char *s;
		int64_t i;
	} args[24];
	int n;
};

static void where_add(struct where *w, const char *frag, const char *s, int64_t i, int nargs)
{
	w->len += (size_t)snprintf(w->sql + w->len, sizeof(w->sql) - w->len, " AND %s", frag);
	for (int k = 0; k < nargs && w->n < (int)VG_ARRAY_SIZE(w->args); k++) {
		w->args[w->n].s = s;
		w->args[w->n].i = i;
		w->n++;
	}
}

static void where_bind(const struct where *w, sqlite3_stmt *st)
{
	for (int k = 0; k < w->n; k++) {
		if (w->args[k].s)
			sqlite3_bind_text(st, k + 1, w->args[k].s, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(st, k + 1, w->args[k].i);
	}
}

static const struct {
	const char *name;
	int lo, hi;
} LEVELS[] = {
    {"trace", 1, 4},  {"debug", 5, 8},   {"info", 9, 12},
    {"warn", 13, 16}, {"error", 17, 20}, {"fatal", 21, 24},
};

static void where_severity(struct where *w, const char *sev)
{
	for (size_t i = 0; i < VG_ARRAY_SIZE(LEVELS); i++) {
		if (!strcasecmp(sev, LEVELS[i].name)) {
			char frag[128];
			snprintf(frag, sizeof(frag),
			         "(severity_text = ? COLLATE NOCASE OR severity_number BETWEEN %d "
			         "AND %d)",
			         LEVELS[i].lo, LEVELS[i].hi);
			where_add(w, frag, sev, 0, 1);
			return;
		}
	}
	where_add(w, "severity_text = ? COLLATE NOCASE", sev, 0, 1);
}

/* q as a LIKE pattern with its own wildcards escaped. */
static char *like_pattern(const char *q)
{
	size_t n = strlen(q);
	char *p = malloc(2 * n + 3), *o = p;
	if (!p)
		return NULL;
	*o++ = '%';
	for (; *q; q++) {
		if (*q == '%' || *q == '_' || *q == '\\')
			*o++ = '\\';
		*o++ = *q;
	}
	*o++ = '%';
	*o = '\0';
	return p;
}

static void where_common(struct where *w, const struct col_filter *f, const char *pfx)
{
	char frag[64];
#define ADD_EQ(field, col)                                                                         \
	do {                                                                                       \
		if (f->field) {                                                                    \
			snprintf(frag, sizeof(frag), "%s%s = ?", pfx, col);                        \
			where_add(w, frag, f->field, 0, 1);                                        \
		}                                                                                  \
	} while (0)
	ADD_EQ(function, "function");
	ADD_EQ(category, "category");
	ADD_EQ(kind, "kind");
	ADD_EQ(rule, "rule");
	ADD_EQ(path, "field_path");
#undef ADD_EQ
	if (f->severity)
		where_severity(w, f->severity);
}

static int max_id(sqlite3 *db, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = -EIO;
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM alerts", -1, &st, NULL) ==
	        SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int col_store_alerts_json(struct col_store *s, const struct col_filter *f, struct vg_buf *out)
{
	struct where w = {.len = 0};
	char sql[2048];
	char *pattern = NULL;
	sqlite3_stmt *st = NULL;
	struct reader *rd;
	int limit = f->limit > 0 ? VG_MIN(f->limit, COL_QUERY_MAX_LIMIT) : 100, n = 0, rc = 0, step;
	int64_t last = 0, scan_top = 0, scan_floor = 0;

	rd = reader_get(s);
	w.sql[0] = '\0';
	where_common(&w, f, "");
	if (f->source)
		where_add(&w, "source = ?", f->source, 0, 1);
	if (f->request)
		where_add(&w, "request_id = ?", f->request, 0, 1);
	if (f->group)
		where_add(&w, "group_id = ?", NULL, f->group, 1);
	if (f->since_ns)
		where_add(&w, "time_ns >= ?", NULL, f->since_ns, 1);
	if (f->before_id)
		where_add(&w, "id < ?", NULL, f->before_id, 1);
	/* Free text is a scan (an index for substrings, such as FTS5's
	 * trigrams, costs several times the whole insert path): each query
	 * scans at most opts.scan_rows ids back from its start, and
	 * "next" lets the caller continue the search further back. */
	if (f->q && *f->q) {
		if ((rc = max_id(rd->db, &scan_top)) < 0)
			goto out;
		if (f->before_id && f->before_id - 1 < scan_top)
			scan_top = f->before_id - 1;
		scan_floor = scan_top - s->opts.scan_rows;
		where_add(&w, "id > ?", NULL, scan_floor, 1);
		if (!(pattern = like_pattern(f->q))) {
			rc = -ENOMEM;
			goto out;
		}
		where_add(&w,
		          "(body LIKE ?1x ESCAPE '\\' OR excerpt LIKE ?1x ESCAPE '\\'"
		          " OR field_path LIKE ?1x ESCAPE '\\' OR rule LIKE ?1x ESCAPE '\\'"
		          " OR function LIKE ?1x ESCAPE '\\' OR request_id LIKE ?1x ESCAPE '\\'"
		          " OR category LIKE ?1x ESCAPE '\\' OR alert_id LIKE ?1x ESCAPE '\\')",
		          pattern, 0, 8);
	}
	snprintf(sql, sizeof(sql), "SELECT %s FROM alerts WHERE 1%s ORDER BY id DESC LIMIT %d",
	         COLUMNS, w.sql, limit);
	/* ?1x is a placeholder for "the next anonymous parameter". */
	for (char *p; (p = strstr(sql, "?1x"));)
		memmove(p + 1, p + 3, strlen(p + 3) + 1);

	if (sqlite3_prepare_v2(rd->db, sql, -1, &st, NULL) != SQLITE_OK) {
		vg_log_error("query: %s", sqlite3_errmsg(rd->db));
		rc = -EIO;
		goto out;
	}
	where_bind(&w, st);
	vg_buf_puts(out, "{\"alerts\":[");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct alert_view v = {
		    .id = sqlite3_column_int64(st, 0),
		    .alert_id = col_text(st, 1),
		    .time_ns = sqlite3_column_int64(st, 2),
		    .received_ns = sqlite3_column_int64(st, 3),
		    .severity_number = sqlite3_column_int(st, 4),
		    .severity_text = col_text(st, 5),
		    .kind = col_text(st, 6),
		    .category = col_text(st, 7),
		    .rule = col_text(st, 8),
		    .action = col_text(st, 9),
		    .source = col_text(st, 10),
		    .field_path = col_text(st, 11),
		    .excerpt = col_text(st, 12),
		    .request_id = col_text(st, 13),
		    .function = col_text(st, 14),
		    .service = col_text(st, 15),
		    .group_id = sqlite3_column_int64(st, 16),
		    .body = col_text(st, 17),
		    .attrs = col_text(st, 18),
		    .resource = col_text(st, 19),
		};
		if (n++)
			vg_buf_putc(out, ',');
		if ((rc = alert_json(out, &v)) < 0)
			goto out;
		last = v.id;
	}
	if (step != SQLITE_DONE) {
		rc = -EIO;
		goto out;
	}
	if (n == limit)
		vg_buf_printf(out, "],\"next\":\"%lld\"", (long long)last);
	else if (scan_floor > 0) /* the search window ended before the data */
		vg_buf_printf(out, "],\"next\":\"%lld\"", (long long)scan_floor + 1);
	else
		vg_buf_puts(out, "],\"next\":null");
	if (f->q && *f->q)
		vg_buf_printf(out, ",\"searchedDownTo\":\"%lld\"",
		              (long long)(n == limit ? last : VG_MAX(scan_floor + 1, 1)));
	vg_buf_putc(out, '}');
	rc = out->len >= out->max ? -ENOBUFS : 0;
out:
	sqlite3_finalize(st);
	reader_put(s, rd);
	free(pattern);
	return rc;
}

static int spark_json(sqlite3 *db, int64_t group, int64_t start, int64_t width, int buckets,
                      struct vg_buf *out)
{
	static const char SQL[] = "SELECT (time_ns - ?2) / ?3, count(*) FROM alerts"
	                          " WHERE group_id = ?1 AND time_ns >= ?2 AND time_ns < ?4"
	                          " GROUP BY 1";
	int64_t counts[96] = {0};
	sqlite3_stmt *st = NULL;
	int step;

	if (sqlite3_prepare_v2(db, SQL, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, group);
	sqlite3_bind_int64(st, 2, start);
	sqlite3_bind_int64(st, 3, width);
	sqlite3_bind_int64(st, 4, start + width * buckets);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t b = sqlite3_column_int64(st, 0);
		if (b >= 0 && b < buckets)
			counts[b] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return -EIO;
	vg_buf_puts(out, ",\"spark\":[");
	for (int i = 0; i < buckets; i++)
		vg_buf_printf(out, "%s%lld", i ? "," : "", (long long)counts[i]);
	return vg_buf_putc(out, ']');
}

int col_store_groups_json(struct col_store *s, const struct col_filter *f, int64_t now_ns,
                          int64_t window_ns, int buckets, struct vg_buf *out)
{
	struct where w = {.len = 0};
	char sql[1536];
	sqlite3_stmt *st = NULL;
	struct reader *rd;
	int limit = f->limit > 0 ? VG_MIN(f->limit, 500) : 50, n = 0, rc = 0, step;
	int64_t width, start;

	buckets = buckets < 1 ? 24 : VG_MIN(buckets, 96);
	if (window_ns < buckets)
		window_ns = 24 * 3600 * 1000000000LL;
	width = window_ns / buckets;
	start = now_ns - width * buckets;
	w.sql[0] = '\0';
	where_common(&w, f, "");
	snprintf(sql, sizeof(sql),
	         "SELECT id, rule, function, field_path, category, kind, severity_number,"
	         " severity_text, count, first_ns, last_ns FROM groups WHERE 1%s"
	         " ORDER BY last_ns DESC LIMIT %d",
	         w.sql, limit);
	rd = reader_get(s);
	if (sqlite3_prepare_v2(rd->db, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = -EIO;
		goto out;
	}
	where_bind(&w, st);
	vg_buf_printf(out,
	              "{\"window\":{\"startUnixNano\":\"%lld\",\"bucketNanos\":\"%lld\"},"
	              "\"groups\":[",
	              (long long)start, (long long)width);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		char first[32], lastiso[32];
		int64_t id = sqlite3_column_int64(st, 0);
		vg_iso8601_ms(sqlite3_column_int64(st, 9) / 1000000, first, sizeof(first));
		vg_iso8601_ms(sqlite3_column_int64(st, 10) / 1000000, lastiso, sizeof(lastiso));
		vg_buf_printf(out, "%s{\"id\":%lld", n++ ? "," : "", (long long)id);
		json_member_str(out, "rule", col_text(st, 1));
		json_member_str(out, "function", col_text(st, 2));
		json_member_str(out, "fieldPath", col_text(st, 3));
		json_member_str(out, "category", col_text(st, 4));
		json_member_str(out, "kind", col_text(st, 5));
		vg_buf_printf(out, ",\"severityNumber\":%d", sqlite3_column_int(st, 6));
		json_member_str(out, "severityText", col_text(st, 7));
		vg_buf_printf(out, ",\"count\":%lld,\"firstSeen\":\"%s\",\"lastSeen\":\"%s\"",
		              (long long)sqlite3_column_int64(st, 8), first, lastiso);
		if ((rc = spark_json(rd->db, id, start, width, buckets, out)) < 0)
			goto out;
		vg_buf_putc(out, '}');
	}
	if (step != SQLITE_DONE) {
		rc = -EIO;
		goto out;
	}
	vg_buf_puts(out, "]}");
	rc = out->len >= out->max ? -ENOBUFS : 0;
out:
	sqlite3_finalize(st);
	reader_put(s, rd);
	return rc;
}

static int tally_json(sqlite3 *db, const char *name, const char *col, struct vg_buf *out)
{
	char sql[256];
	sqlite3_stmt *st = NULL;
	int n = 0, step;

	snprintf(sql, sizeof(sql),
	         "SELECT %s, sum(count) FROM groups GROUP BY 1 ORDER BY 2 DESC LIMIT 50", col);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	vg_buf_printf(out, ",\"%s\":{", name);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = col_text(st, 0);
		if (n++)
			vg_buf_putc(out, ',');
		vg_buf_json_str(out, k ? k : "", k ? strlen(k) : 0);
		vg_buf_printf(out, ":%lld", (long long)sqlite3_column_int64(st, 1));
	}
	sqlite3_finalize(st);
	vg_buf_putc(out, '}');
	return step == SQLITE_DONE ? 0 : -EIO;
}

int col_store_stats_json(struct col_store *s, struct vg_buf *out)
{
	struct reader *rd = reader_get(s);
	sqlite3_stmt *st = NULL;
	int rc = -EIO;

	if (sqlite3_prepare_v2(rd->db, "SELECT count(*) FROM groups", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		goto out;
	vg_buf_printf(out, "\"alerts\":%lld,\"groups\":%lld", (long long)col_store_count(s),
	              (long long)sqlite3_column_int64(st, 0));
	if (tally_json(rd->db, "byCategory", "coalesce(category, kind, '')", out) < 0 ||
	    tally_json(rd->db, "bySeverity", "lower(coalesce(severity_text, ''))", out) < 0 ||
	    tally_json(rd->db, "byFunction", "function", out) < 0)
		goto out;
	rc = out->len >= out->max ? -ENOBUFS : 0;
out:
	sqlite3_finalize(st);
	reader_put(s, rd);
	return rc;
}
