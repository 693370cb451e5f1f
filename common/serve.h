/*
 * serve.h: one request on a blocking socket, the way 01-static, 02-fork and
 * 03-threads all serve a connection. Their lessons are how connections are
 * spread over processes and threads, not this part.
 */
#ifndef SERVE_H
#define SERVE_H

#include <stddef.h>

#include "setup.h"

/* What serve_blocking did with a connection. */
enum serve_result {
	SERVE_NOTHING,             /* the client left or stayed silent: no request, no log */
	SERVE_SENT,                /* a response went out whole */
	SERVE_WRITE_FAILED,        /* a response was cut short: the client left mid-way */
};

/*
 * Read one request from fd (until the blank line, across as many recv calls
 * as it takes, within srv->timeout), answer it with Connection: close, and
 * unless it returns SERVE_NOTHING fill log with the access-log line (which
 * records how many bytes went out). Never closes fd.
 */
enum serve_result serve_blocking(int fd, const struct server *srv, const char *peer,
                                 char *log, size_t size);

#endif
