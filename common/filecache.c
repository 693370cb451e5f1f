/*
 * filecache.c: the files clients ask for, kept (a small one copied, a
 * larger one open), so that the next request for one needs no openat2,
 * fstat or close, and a small one no read either.
 *
 * Keeping a copy is easy; knowing when it is wrong is the hard part. The
 * file can be rewritten in place, replaced by rename, deleted, made
 * unreadable, or replaced by a symbolic link that points out of the
 * docroot, and nothing tells us (inotify would, for some of these, at the
 * price of a watch per directory and its own failure modes). So an entry
 * is trusted for FILECACHE_VALID second and then checked: the target goes
 * through docroot_open again, every containment check included, and the
 * cached bytes are kept only if the file is still the same one, with the
 * same size, modification and change times. A change is seen at most a
 * second late, and containment is exactly docroot_open's: a path that
 * became a link out of the docroot is refused at its next check. Until
 * then the old bytes, from inside the docroot, are what is served.
 *
 * One more trap: a file's times have a coarse grain, so a second write
 * soon after the first can leave size and times unchanged. An entry read
 * while its file was less than two seconds old is therefore read again at
 * its next check, whatever the times say (git's "racily clean" problem).
 *
 * A larger file is not copied (its bytes would crowd out many small
 * files, and sendfile sends it without copying anyway): the entry keeps it
 * open instead, and each request gets its own descriptor for it from dup,
 * which the caller closes as it would close docroot_open's. That saves the
 * path walk, openat2 and fstat; the file's bytes are read at send time, so
 * only its length can be a second old.
 *
 * Memory is bounded: FILECACHE_ENTRIES slots, each with at most
 * FILECACHE_FILE_MAX bytes or one descriptor, and a path hashes to one
 * slot; a second path wanting the same slot takes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cond.h"
#include "filecache.h"
#include "param.h"

struct filecache_entry {
	char *key;                  /* the target's path, before any "?" */
	size_t key_len;
	char *data;                 /* a small file's bytes, or NULL */
	int fd;                     /* a larger file, kept open, or -1 */
	const char *type;
	struct stat st;             /* what the file was when we read it */
	struct cond_validators validators;  /* its Last-Modified and ETag, made once */
	time_t checked;             /* monotonic second of the last check */
	int racy;                   /* read too soon after a write: read again */
};

/* An empty slot has no key; only a slot with a key and no data holds fd. */
static struct filecache_entry slots[FILECACHE_ENTRIES];

/* FNV-1a: a few instructions a byte, and good enough for a path. */
static uint32_t
hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	while (len-- > 0)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void
entry_clear(struct filecache_entry *e)
{
	if (e->key != NULL && e->data == NULL)
		close(e->fd);
	free(e->key);
	free(e->data);
	memset(e, 0, sizeof(*e));
}

static int
same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Are a small file's kept bytes still what the open file holds? */
static int
entry_current(const struct filecache_entry *e, const struct stat *st)
{
	return !e->racy && e->data != NULL && e->st.st_dev == st->st_dev &&
	       e->st.st_ino == st->st_ino && e->st.st_size == st->st_size &&
	       same_time(&e->st.st_mtim, &st->st_mtim) && same_time(&e->st.st_ctim, &st->st_ctim);
}

/* Read all size bytes of fd into a new buffer; NULL if it changed size. */
static char *
read_whole(int fd, off_t size)
{
	char *buf = malloc((size_t)size + 1);
	size_t got = 0;
	ssize_t n;

	if (buf == NULL)
		return NULL;
	while (got < (size_t)size) {
		n = pread(fd, buf + got, (size_t)size - got, (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != (size_t)size) {
		free(buf);   /* shrank while we read: send it the slow way */
		return NULL;
	}
	return buf;
}

/*
 * Make e hold the file just opened as f (whose fstat is st): a copy of a
 * small file, or f's descriptor itself for a larger one. -1 (e untouched,
 * f still the caller's) when memory runs out or the file shrank meanwhile.
 */
static int
entry_fill(struct filecache_entry *e, const char *key, size_t key_len,
           struct docroot_file *f, const struct stat *st, time_t now)
{
	char *data = NULL, *k = malloc(key_len + 1);

	if (k != NULL && st->st_size <= FILECACHE_FILE_MAX &&
	    (data = read_whole(f->fd, st->st_size)) == NULL) {
		free(k);
		k = NULL;
	}
	if (k == NULL)
		return -1;
	memcpy(k, key, key_len);
	k[key_len] = '\0';
	entry_clear(e);
	e->key = k;
	e->key_len = key_len;
	e->data = data;
	if (data == NULL) {
		e->fd = f->fd;   /* the entry owns it now */
		f->fd = -1;
	}
	e->type = f->type;
	e->st = *st;
	cond_validators(st, time(NULL), &e->validators);
	e->checked = now;
	e->racy = st->st_mtim.tv_sec >= time(NULL) - 1;
	return 0;
}

/* Answer from e: its bytes, or a descriptor of the caller's own. */
static enum http_status
entry_serve(const struct filecache_entry *e, struct docroot_file *f)
{
	f->st = e->st;
	f->type = e->type;
	f->data = e->data;
	f->validators = &e->validators;
	f->fd = -1;
	if (e->data == NULL && (f->fd = fcntl(e->fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return HTTP_UNAVAILABLE;   /* out of descriptors: as docroot_open would say */
	return HTTP_OK;
}

enum http_status
filecache_open(int root, const char *target, struct docroot_file *f)
{
	size_t key_len = strcspn(target, "?#");
	struct filecache_entry *e;
	struct stat st;
	time_t now;
	enum http_status status;

	e = &slots[hash(target, key_len) % FILECACHE_ENTRIES];
	now = clock_seconds();
	if (e->key != NULL && e->key_len == key_len && memcmp(e->key, target, key_len) == 0) {
		if (now - e->checked < FILECACHE_VALID)
			return entry_serve(e, f);
	} else if (e->key != NULL) {
		e = NULL;   /* another path's: it is replaced only if we fill it */
	}
	status = docroot_open(root, target, f);
	if (status != HTTP_OK) {
		if (e != NULL)
			entry_clear(e);   /* gone or refused now: forget it */
		return status;
	}
	st = f->st;   /* docroot_open's fstat */
	if (e != NULL && entry_current(e, &st)) {
		e->checked = now;   /* unchanged: keep the bytes we have */
		close(f->fd);
		return entry_serve(e, f);
	}
	e = &slots[hash(target, key_len) % FILECACHE_ENTRIES];
	if (entry_fill(e, target, key_len, f, &st, now) == -1)
		return status;   /* not kept: send it from the open file */
	if (f->fd != -1)
		close(f->fd);
	return entry_serve(e, f);
}

void
filecache_free(void)
{
	size_t i;

	for (i = 0; i < FILECACHE_ENTRIES; i++)
		entry_clear(&slots[i]);
}
