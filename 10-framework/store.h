/*
 * store.h: the favourites (收藏) and their remarks (备注), kept so that
 * nothing acknowledged is ever lost.
 *
 * Two stores sit behind this interface: store_file.c (plain files, libc
 * only) and store_sqlite.c (SQLite, the notes' database, with prepared
 * statements); make STORE=sqlite picks the second. Both promise the same:
 * when a call that changes something returns STORE_OK, the change is on
 * the disk and flushed, so it survives kill -9 and a power cut; and a
 * change is all or nothing, whatever instant the process dies at. Calls
 * may come from many threads at once.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>

#define FAVOURITES_MAX  64      /* more than the 34 provinces */
#define REMARK_MAX      1000    /* bytes of one remark, UTF-8 */

struct favourite {
	int id;                         /* a province's district_id */
	size_t remark_len;
	char remark[REMARK_MAX + 1];    /* NUL-terminated, may hold any other byte */
};

enum store_status {
	STORE_OK,
	STORE_ALREADY,      /* add an id that is there already: nothing changed */
	STORE_NOT_FOUND,    /* delete or annotate an id that is not there */
	STORE_FULL,         /* FAVOURITES_MAX already */
	STORE_FAILED,       /* the disk said no: nothing changed */
};

/* Open (create) the store in dir; startup only: dies with a reason if the
 * store is damaged, rather than serve or overwrite what it cannot read. */
void store_open(const char *dir);
void store_close(void);

/* Add id; adding one that is already there changes nothing: STORE_ALREADY. */
enum store_status store_add(int id);
enum store_status store_delete(int id);
enum store_status store_note(int id, const char *remark, size_t len);

/* Copy the favourites, oldest first, into list; their number, or -1. */
int store_list(struct favourite *list, size_t max);

#endif
