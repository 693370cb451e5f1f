/*
 * store_file.c: the favourites in one plain file, with libc only.
 *
 * The notes keep their favourites in MySQL and remind themselves to call
 * commit() (their point (6)): until then nothing is stored. A file has the
 * same trap one level down. write() puts bytes in the page cache, not on
 * the disk; a power cut a second later loses them. And rewriting a file in
 * place leaves half a file if the process dies in the middle. So every
 * change goes the long, safe way, before the client is answered:
 *
 *	write the whole new file as favourites.tmp
 *	fsync(tmp)           its bytes are on the disk
 *	rename(tmp, file)    atomic: readers see the old file or the new one
 *	fsync(directory)     the rename itself is on the disk
 *
 * A crash before the rename leaves the old file and a stray tmp (removed at
 * the next start); after it, the new file. The file ends with a trailer
 * holding the record count and a CRC-32 of everything before it, so a file
 * cut short or damaged by anything else is detected at startup, and the
 * server refuses to start rather than serve or overwrite garbage.
 *
 * Records are length-prefixed, "id length\n" then the remark's bytes, so a
 * remark may hold newlines, spaces, or a perfect copy of a record or of the
 * trailer: the reader never looks inside it for a delimiter. That is the
 * file's answer to the notes' point (7), SQL injection: data is never read
 * back as structure.
 *
 * Threads: one mutex around the list and the file. Each change rewrites
 * the whole file (a few KiB at most: 34 provinces), which keeps the format
 * and the crash reasoning simple. flock on a lock file keeps a second
 * server from using the same directory.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

#define STORE_NAME   "favourites"
#define STORE_TMP    "favourites.tmp"
#define STORE_LOCK   "favourites.lock"
#define STORE_MAGIC  "netlab favourites 1\n"
#define STORE_BYTES  (FAVOURITES_MAX * (REMARK_MAX + 32) + 64)  /* the largest file */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct favourite favs[FAVOURITES_MAX];
static size_t count;
static int dir_fd = -1, lock_fd = -1;
static char file_buf[STORE_BYTES];   /* used under lock only */

static unsigned long
crc32(const char *p, size_t len)
{
	unsigned long crc = 0xffffffffUL;
	int k;

	while (len-- > 0) {
		crc ^= (unsigned char)*p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320UL & (0UL - (crc & 1)));
	}
	return crc ^ 0xffffffffUL;
}

/* The whole store as bytes in file_buf; returns the length. */
static size_t
serialise(void)
{
	size_t i, len = strlen(STORE_MAGIC);

	memcpy(file_buf, STORE_MAGIC, len);
	for (i = 0; i < count; i++) {
		len += (size_t)snprintf(file_buf + len, STORE_BYTES - len, "%d %zu\n",
		                        favs[i].id, favs[i].remark_len);
		memcpy(file_buf + len, favs[i].remark, favs[i].remark_len);
		len += favs[i].remark_len;
		file_buf[len++] = '\n';
	}
	len += (size_t)snprintf(file_buf + len, STORE_BYTES - len, "end %zu %08lx\n",
	                        count, crc32(file_buf, len));
	return len;
}

/* Write, flush, rename, flush the directory: see the top of the file. */
static int
save(void)
{
	size_t len = serialise();
	FILE *fp;
	int fd, ok;

	fd = openat(dir_fd, STORE_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		warn("saving favourites");   /* read-only, say: the log tells which */
		return -1;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		warn("saving favourites");
		close(fd);
		return -1;
	}
	/* fwrite goes on after a short write; fflush hands it all to the kernel. */
	ok = fwrite(file_buf, 1, len, fp) == len && fflush(fp) == 0 && fsync(fd) == 0;
	ok = fclose(fp) == 0 && ok;   /* close can report a failed write, too */
	if (ok && renameat(dir_fd, STORE_TMP, dir_fd, STORE_NAME) == 0 &&
	    fsync(dir_fd) == 0)
		return 0;
	warn("saving favourites");
	unlinkat(dir_fd, STORE_TMP, 0);
	return -1;
}

/* A decimal number of 1 to 9 digits at *p, below end. */
static int
number(const char **p, const char *end, unsigned long *out)
{
	const char *s = *p;
	unsigned long n = 0;

	while (s < end && *s >= '0' && *s <= '9' && s - *p < 9)
		n = n * 10 + (unsigned long)(*s++ - '0');
	if (s == *p || (s < end && *s >= '0' && *s <= '9'))
		return -1;
	*p = s;
	*out = n;
	return 0;
}

/* One "id length\n" + remark + "\n" record at *p; checks every length. */
static const char *
parse_record(const char **p, const char *end)
{
	struct favourite *f = &favs[count];
	unsigned long id, len;
	size_t i;

	if (count == FAVOURITES_MAX)
		return "too many records";
	if (number(p, end, &id) == -1 || *p == end || *(*p)++ != ' ' ||
	    number(p, end, &len) == -1 || *p == end || *(*p)++ != '\n')
		return "a record's head is broken";
	if (id == 0 || len > REMARK_MAX || (size_t)(end - *p) < len + 1 || (*p)[len] != '\n')
		return "a record is cut short or too long";
	if (memchr(*p, '\0', len) != NULL)
		return "a remark holds a NUL byte";
	for (i = 0; i < count; i++)
		if (favs[i].id == (int)id)
			return "an id appears twice";
	f->id = (int)id;
	f->remark_len = len;
	memcpy(f->remark, *p, len);
	f->remark[len] = '\0';
	*p += len + 1;
	count++;
	return NULL;
}

/* Check and load file_buf[0..len); NULL, or why it cannot be trusted. */
static const char *
parse(size_t len)
{
	const char *p = file_buf, *end = file_buf + len, *why;
	size_t magic = strlen(STORE_MAGIC);
	char trailer[64];

	if (len < magic || memcmp(p, STORE_MAGIC, magic) != 0)
		return "not a favourites file";
	for (p += magic; end - p >= 4 && memcmp(p, "end ", 4) != 0; )
		if ((why = parse_record(&p, end)) != NULL)
			return why;
	snprintf(trailer, sizeof(trailer), "end %zu %08lx\n", count,
	         crc32(file_buf, (size_t)(p - file_buf)));
	if ((size_t)(end - p) != strlen(trailer) || memcmp(p, trailer, strlen(trailer)) != 0)
		return "the trailer is missing or wrong (cut short, or damaged)";
	return NULL;
}

/* Read the store file, if there is one; dies if it is not whole and right. */
static void
load(const char *dir)
{
	struct stat st;
	ssize_t n;
	size_t len = 0;
	const char *why;
	int fd = openat(dir_fd, STORE_NAME, O_RDONLY | O_CLOEXEC);

	if (fd == -1 && errno == ENOENT)
		return;   /* a new store */
	if (fd == -1 || fstat(fd, &st) == -1)
		err(1, "%s/%s", dir, STORE_NAME);
	if (st.st_size > STORE_BYTES)
		errx(1, "%s/%s: larger than a store can be; refusing it", dir, STORE_NAME);
	while ((n = read(fd, file_buf + len, STORE_BYTES - len)) > 0)
		len += (size_t)n;
	if (n == -1)
		err(1, "%s/%s", dir, STORE_NAME);
	close(fd);
	if ((why = parse(len)) != NULL)
		errx(1, "%s/%s is damaged: %s. Refusing to start; move it aside to "
		     "start empty", dir, STORE_NAME, why);
}

void
store_open(const char *dir)
{
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		err(1, "%s", dir);
	if ((dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(1, "%s", dir);
	lock_fd = openat(dir_fd, STORE_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock_fd == -1)
		err(1, "%s/%s", dir, STORE_LOCK);
	if (flock(lock_fd, LOCK_EX | LOCK_NB) == -1)
		err(1, "%s: another server uses this store", dir);
	/* Left by a crash before its rename: never acknowledged, so not wanted. */
	if (unlinkat(dir_fd, STORE_TMP, 0) == -1 && errno != ENOENT)
		err(1, "%s/%s", dir, STORE_TMP);
	load(dir);
}

void
store_close(void)
{
	/* Taking the lock waits for a change in progress to reach the disk. */
	pthread_mutex_lock(&lock);
	close(lock_fd);
	close(dir_fd);
	dir_fd = -1;   /* a late thread's save fails: STORE_FAILED, nothing claimed */
	pthread_mutex_unlock(&lock);
}

static int
find(int id)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (favs[i].id == id)
			return (int)i;
	return -1;
}

enum store_status
store_add(int id)
{
	enum store_status st = STORE_OK;

	pthread_mutex_lock(&lock);
	if (find(id) >= 0) {
		st = STORE_ALREADY;   /* adding twice is adding once */
	} else if (count == FAVOURITES_MAX) {
		st = STORE_FULL;
	} else {
		memset(&favs[count], 0, sizeof(favs[count]));
		favs[count++].id = id;
		if (save() == -1) {
			count--;
			st = STORE_FAILED;
		}
	}
	pthread_mutex_unlock(&lock);
	return st;
}

enum store_status
store_delete(int id)
{
	struct favourite gone;
	enum store_status st = STORE_OK;
	int i;

	pthread_mutex_lock(&lock);
	if ((i = find(id)) < 0) {
		st = STORE_NOT_FOUND;
	} else {
		gone = favs[i];
		memmove(&favs[i], &favs[i + 1], (count - (size_t)i - 1) * sizeof(favs[0]));
		count--;
		if (save() == -1) {
			memmove(&favs[i + 1], &favs[i], (count - (size_t)i) * sizeof(favs[0]));
			favs[i] = gone;
			count++;
			st = STORE_FAILED;
		}
	}
	pthread_mutex_unlock(&lock);
	return st;
}

enum store_status
store_note(int id, const char *remark, size_t len)
{
	struct favourite old;
	enum store_status st = STORE_OK;
	int i;

	if (len > REMARK_MAX || memchr(remark, '\0', len) != NULL)
		return STORE_FAILED;   /* the caller checks; this is the last line */
	pthread_mutex_lock(&lock);
	if ((i = find(id)) < 0) {
		st = STORE_NOT_FOUND;
	} else {
		old = favs[i];
		memcpy(favs[i].remark, remark, len);
		favs[i].remark[len] = '\0';
		favs[i].remark_len = len;
		if (save() == -1) {
			favs[i] = old;
			st = STORE_FAILED;
		}
	}
	pthread_mutex_unlock(&lock);
	return st;
}

int
store_list(struct favourite *list, size_t max)
{
	size_t n;

	pthread_mutex_lock(&lock);
	n = count < max ? count : max;
	memcpy(list, favs, n * sizeof(favs[0]));
	pthread_mutex_unlock(&lock);
	return (int)n;
}
