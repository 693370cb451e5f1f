/*
 * serve.h: one request on a blocking socket, the way 01-static, 02-fork and
 * 03-threads all serve a connection. Their lessons are how connections are
 * spread over processes and threads, not this part.
 */
#ifndef SERVE_H
#define SERVE_H

#include <stddef.h>

#include "setup.h"

/*
 * Read one request from fd (until the blank line, across as many recv calls
 * as it takes, within s->timeout), answer it with Connection: close, and fill
 * log with the access-log line. Returns 1 when a response was sent, 0 when
 * the client left or stayed silent before a request began. Never closes fd.
 */
int serve_blocking(int fd, const struct setup *s, const char *peer,
                   char *log, size_t size);

#endif
