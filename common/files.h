/*
 * files.h: answer a request with a file from the docroot: the static file
 * server every stage is, on top of the parser (http.h), the docroot
 * (docroot.h), validators and ranges (cond.h) and the head (response.h).
 *
 * What differs between stages is handed in, not read from a global: how
 * a file is opened (docroot_open, or 06's filecache_open), whether the
 * connection may stay open, and whether the stage has read the request's
 * body itself (10-framework reads chunked bodies; the others cannot find
 * the end of one, so they refuse it with 501).
 */
#ifndef FILES_H
#define FILES_H

#include "docroot.h"
#include "http.h"
#include "response.h"

/* Whether the request's body was taken care of before files_respond. */
enum files_body {
	FILES_BODY_SKIPPED,        /* Content-Length bodies are skipped after; chunked: 501 */
	FILES_BODY_READ,           /* the stage read it already, whatever its framing */
};

struct files {
	int root;                  /* the docroot, opened */
	/* How a file is opened: docroot_open, or one with the same promise. */
	enum http_status (*open)(int root, const char *target, struct docroot_file *f);
	enum http_conn conn;       /* may a connection outlive a response */
	enum files_body body;
};

/*
 * Fill res for req. A file to send is left open in res->fd; the caller
 * sends body_len bytes of it from file_off (not 0 for a range), then
 * closes it. GET and HEAD are served; another method RFC 9110 knows gets
 * 405 with Allow where the path names a file (a path that names nothing is
 * its 404 whatever the method), and a method it does not know gets 501.
 */
void files_respond(const struct files *fs, const struct http_request *req,
                   struct http_response *res);

#endif
