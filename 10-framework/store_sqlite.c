/*
 * store_sqlite.c: the favourites in SQLite, the notes' database done right.
 *
 * The notes' point (7): build SQL by formatting strings and a value such as
 * "1; drop table collection" becomes part of the statement. Here every
 * statement is prepared once, at startup, with "?" where a value goes, and
 * values are bound with sqlite3_bind_*: a value is only ever data, whatever
 * bytes it holds. Their point (6), commit: each statement below is its own
 * transaction and commits when sqlite3_step returns SQLITE_DONE.
 *
 * Durability: synchronous=EXTRA with the default rollback journal makes
 * SQLite fsync the database, then delete the journal and fsync the
 * directory, before a commit returns (plain FULL skips that last fsync, and
 * a power cut could bring the journal back and roll the commit back). A
 * damaged file is found by PRAGMA integrity_check at startup, and the
 * server refuses to start.
 *
 * Threads: one connection, its statements used under one mutex, so no two
 * threads ever step a statement at once.
 */
#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lab.h"
#include "store.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static sqlite3 *db;
static sqlite3_stmt *add_stmt, *delete_stmt, *note_stmt, *list_stmt;
static int closed;   /* after store_close, a late thread gets STORE_FAILED */

static const char schema[] =
	"PRAGMA synchronous = EXTRA;"
	"CREATE TABLE IF NOT EXISTS favourites ("
	"  seq INTEGER PRIMARY KEY,"                /* the order they were added */
	"  district_id INTEGER NOT NULL UNIQUE,"
	"  remark TEXT NOT NULL DEFAULT '');";

static void
prepare(const char *sql, sqlite3_stmt **stmt)
{
	if (sqlite3_prepare_v2(db, sql, -1, stmt, NULL) != SQLITE_OK)
		errx(1, "sqlite: %s: %s", sql, sqlite3_errmsg(db));
}

/* Startup: is every page of the file what SQLite wrote? Dies if not. */
static void
check_integrity(const char *path)
{
	sqlite3_stmt *st;
	const unsigned char *verdict;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		errx(1, "%s is damaged: %s. Refusing to start; move it aside to "
		     "start empty", path, sqlite3_errmsg(db));
	if (sqlite3_step(st) != SQLITE_ROW ||
	    (verdict = sqlite3_column_text(st, 0)) == NULL ||
	    strcmp((const char *)verdict, "ok") != 0)
		errx(1, "%s is damaged: %s. Refusing to start; move it aside to "
		     "start empty", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

void
store_open(const char *dir)
{
	char path[4096];
	char *msg = NULL;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		err(1, "%s", dir);
	if ((size_t)snprintf(path, sizeof(path), "%s/favourites.db", dir) >= sizeof(path))
		errx(1, "%s: path too long", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		errx(1, "%s: %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);   /* another process holding the file: wait */
	check_integrity(path);
	if (sqlite3_exec(db, schema, NULL, NULL, &msg) != SQLITE_OK)
		errx(1, "%s: %s", path, msg);
	prepare("INSERT INTO favourites (district_id) VALUES (?) "
	        "ON CONFLICT (district_id) DO NOTHING", &add_stmt);
	prepare("DELETE FROM favourites WHERE district_id = ?", &delete_stmt);
	prepare("UPDATE favourites SET remark = ? WHERE district_id = ?", &note_stmt);
	prepare("SELECT district_id, remark FROM favourites ORDER BY seq", &list_stmt);
}

void
store_close(void)
{
	pthread_mutex_lock(&lock);
	sqlite3_finalize(add_stmt);
	sqlite3_finalize(delete_stmt);
	sqlite3_finalize(note_stmt);
	sqlite3_finalize(list_stmt);
	if (sqlite3_close(db) != SQLITE_OK)
		warnx("sqlite: %s", sqlite3_errmsg(db));
	closed = 1;
	pthread_mutex_unlock(&lock);
}

/* Run a bound statement that changes rows; unchanged when none did. Under lock. */
static enum store_status
run(sqlite3_stmt *st, enum store_status unchanged)
{
	enum store_status rc = STORE_OK;

	if (closed)
		return STORE_FAILED;   /* stopping: the statements are gone */
	if (sqlite3_step(st) != SQLITE_DONE) {
		warnx("sqlite: %s", sqlite3_errmsg(db));
		rc = STORE_FAILED;
	} else if (sqlite3_changes(db) == 0) {
		rc = unchanged;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

enum store_status
store_add(int id)
{
	enum store_status rc;

	/* At most one row per province (UNIQUE), so never FAVOURITES_MAX. */
	pthread_mutex_lock(&lock);
	if (!closed)
		sqlite3_bind_int(add_stmt, 1, id);
	rc = run(add_stmt, STORE_ALREADY);   /* DO NOTHING: the row was there */
	pthread_mutex_unlock(&lock);
	return rc;
}

enum store_status
store_delete(int id)
{
	enum store_status rc;

	pthread_mutex_lock(&lock);
	if (!closed)
		sqlite3_bind_int(delete_stmt, 1, id);
	rc = run(delete_stmt, STORE_NOT_FOUND);
	pthread_mutex_unlock(&lock);
	return rc;
}

/*
 * BUG_SQL_PASTED: the notes' way, the remark formatted into the SQL text.
 * A quote in it ends the string, and the rest is read as SQL. Under lock.
 */
static enum store_status
note_pasted(int id, const char *remark, size_t len)
{
	char sql[REMARK_MAX + 128], *msg = NULL;

	if (closed)
		return STORE_FAILED;
	snprintf(sql, sizeof(sql), "UPDATE favourites SET remark = '%.*s' WHERE district_id = %d",
	         (int)len, remark, id);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		warnx("sqlite: %s", msg);
		sqlite3_free(msg);
		return STORE_FAILED;
	}
	return sqlite3_changes(db) == 0 ? STORE_NOT_FOUND : STORE_OK;
}

enum store_status
store_note(int id, const char *remark, size_t len)
{
	enum store_status rc;

	if (len > REMARK_MAX || memchr(remark, '\0', len) != NULL)
		return STORE_FAILED;
	pthread_mutex_lock(&lock);
	if (!closed && !BUG_SQL_PASTED) {
		sqlite3_bind_text(note_stmt, 1, remark, (int)len, SQLITE_TRANSIENT);
		sqlite3_bind_int(note_stmt, 2, id);
	}
	rc = BUG_SQL_PASTED ? note_pasted(id, remark, len) : run(note_stmt, STORE_NOT_FOUND);
	pthread_mutex_unlock(&lock);
	return rc;
}

int
store_list(struct favourite *list, size_t max)
{
	size_t n = 0, len;
	int rc = SQLITE_DONE;

	pthread_mutex_lock(&lock);
	if (closed) {
		pthread_mutex_unlock(&lock);
		return -1;
	}
	while (n < max && (rc = sqlite3_step(list_stmt)) == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(list_stmt, 1);

		len = text == NULL ? 0 : (size_t)sqlite3_column_bytes(list_stmt, 1);
		if (len > REMARK_MAX)
			len = REMARK_MAX;   /* we never store more; a hand edit might */
		list[n].id = sqlite3_column_int(list_stmt, 0);
		list[n].remark_len = len;
		if (len > 0)
			memcpy(list[n].remark, text, len);
		list[n].remark[len] = '\0';
		n++;
	}
	rc = n < max && rc != SQLITE_DONE ? -1 : (int)n;
	sqlite3_reset(list_stmt);
	pthread_mutex_unlock(&lock);
	return rc;
}
