/*
 * docroot.h: map a request target to a file under the document root,
 * and never to one outside it.
 */
#ifndef DOCROOT_H
#define DOCROOT_H

#include <sys/stat.h>
#include <sys/types.h>

#include "http.h"
#include "param.h"

struct cond_validators;

struct docroot_file {
	int fd;                         /* open for reading, or -1 when data is set */
	struct stat st;                 /* its fstat: size, and what the validators need */
	const char *type;               /* MIME type, from the file name's extension */
	const char *data;               /* the whole file, from common/filecache.c, or NULL */
	const struct cond_validators *validators;  /* made by the file cache, or NULL */
};

/*
 * Open the docroot once at startup; every file is then opened beneath this
 * descriptor. Returns it, or -1 with errno set.
 */
int docroot_init(const char *dir);

/*
 * Open the file target names under root. Returns HTTP_OK with f filled in,
 * or the status to answer: 301 (directory without a slash), 400, 403, 404,
 * 414, or 503 when we are out of descriptors or memory.
 */
enum http_status docroot_open(int root, const char *target, struct docroot_file *f);

/* The MIME type for a file name, from its last extension. */
const char *docroot_mime(const char *path);

#endif
