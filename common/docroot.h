/*
 * docroot.h: map a request target to a file under the document root,
 * and never to one outside it.
 */
#ifndef DOCROOT_H
#define DOCROOT_H

#include <sys/types.h>

#include "param.h"

struct docroot_file {
	int fd;                         /* open for reading */
	off_t size;
	char path[PATH_MAX_NETLAB];     /* decoded path, for the MIME type */
};

/*
 * Open the docroot once at startup; every file is then opened beneath this
 * descriptor. Returns it, or -1 with errno set.
 */
int docroot_init(const char *dir);

/*
 * Open the file target names under root. Returns 200 with f filled in, or
 * the status to answer: 301 (directory without a slash), 400, 403, 404, 414,
 * or 503 when we are out of descriptors or memory.
 */
int docroot_open(int root, const char *target, struct docroot_file *f);

/* Percent-decode src (RFC 3986 2.1) into dst; -1 on a bad escape or NUL. */
int docroot_decode(const char *src, size_t len, char *dst, size_t size);

const char *docroot_mime(const char *path);

#endif
