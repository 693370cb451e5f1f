/*
 * filecache.h: small files served from memory and larger ones kept open,
 * checked against the disk once a second.
 *
 * Opening a file costs a request three system calls (openat2, fstat,
 * close) before a byte of it is sent, and reading a small one a fourth.
 * A server that sends the same few files again and again can keep them
 * instead, as nginx's open_file_cache and lighttpd's stat cache do. The
 * price is that the disk can change behind our back; filecache.c says how
 * the cache stays honest.
 *
 * No locks: only a single-threaded server may use it (06-epoll does, by
 * making filecache_open the opener of its struct files).
 */
#ifndef FILECACHE_H
#define FILECACHE_H

#include "docroot.h"

/*
 * docroot_open, through the cache. A regular file of at most
 * FILECACHE_FILE_MAX bytes comes back with f->fd == -1 and f->data
 * pointing at its bytes, valid until the next call; a larger one with
 * f->fd a descriptor of the caller's own, to close as docroot_open's.
 * Either way f->validators are the entry's, made when it was filled.
 */
enum http_status filecache_open(int root, const char *target, struct docroot_file *f);

/* Free every entry: at exit, so that leak checkers see a clean heap. */
void filecache_free(void);

#endif
