/*
 * serve.h: requests on a socket, written as blocking code: read a request
 * head, answer it, and (where the stage allows) the next one. 01-static,
 * 02-fork and 03-threads serve a connection this way; their lessons are how
 * connections are spread over processes and threads, not this part.
 *
 * Every socket call this code makes goes through a struct serve_io that the
 * stage hands in. 01-03 use serve_blocking_io, the system calls themselves,
 * which block the thread. 08-coroutines hands in calls that block only the
 * coroutine and let its event loop run others meanwhile: the same code, a
 * different engine under it. That is what gevent's monkey.patch_all() does
 * to Python's socket module, made explicit, since C cannot rebind a
 * function at run time.
 */
#ifndef SERVE_H
#define SERVE_H

#include <stddef.h>
#include <sys/types.h>

#include "http.h"
#include "param.h"
#include "setup.h"

struct serve_io {
	/* Like recv(2): bytes, 0 at end of input, -1 with errno (EAGAIN: timed out). */
	ssize_t (*recv)(int fd, void *buf, size_t len);
	/* All len bytes, or -1 with errno; either way the bytes written are added to *sent. */
	int (*write_all)(int fd, const void *buf, size_t len, long long *sent);
	/* len bytes of file from off (a range's first byte), or -1; counted in *sent. */
	int (*send_file)(int fd, int file, off_t off, off_t len, long long *sent);
	/* From now on each wait for fd lasts at most seconds. */
	void (*set_timeout)(int fd, int seconds);
};

/* The system calls themselves, for a blocking socket (SO_RCVTIMEO bounds a wait). */
extern const struct serve_io serve_blocking_io;

/* One connection: the socket, and the input not yet used. */
struct serve_conn {
	const struct serve_io *io;
	int fd;
	const struct server *srv;
	const char *peer;
	enum http_conn conn;        /* may the connection outlive a response */
	int open;                   /* another request may follow on it */
	char in[REQUEST_MAX];       /* what arrived: a request head, maybe more */
	size_t in_len;
	long long drop;             /* bytes of the last request still to skip */
};

/* What serve_request (or serve_blocking) did with a connection. */
enum serve_result {
	SERVE_NOTHING,             /* the client left before a request began: no log */
	SERVE_SILENT,              /* it sent nothing for -t seconds: closed, and logged */
	SERVE_SENT,                /* a response went out whole */
	SERVE_WRITE_FAILED,        /* a response was cut short: the client left mid-way */
};

void serve_open(struct serve_conn *c, const struct serve_io *io, int fd,
                const struct server *srv, const char *peer, enum http_conn conn);

/*
 * Read one request (until the blank line, across as many recv calls as it
 * takes; silent at most srv->timeout seconds at a time, srv->deadline in
 * all from the head's first byte), answer it, and unless it returns
 * SERVE_NOTHING fill log with the access-log line (the bytes it records
 * are those that went out, also when the client left half-way). c->open stays set when
 * the response kept the connection alive; otherwise the connection was
 * finished with a lingering close. Never closes the socket.
 */
enum serve_result serve_request(struct serve_conn *c, char *log, size_t size);

/* One request over serve_blocking_io, answered with Connection: close. */
enum serve_result serve_blocking(int fd, const struct server *srv, const char *peer,
                                 char *log, size_t size);

/*
 * Close our side and wait (at most LINGER_SECONDS) for the client's FIN,
 * discarding its input, so unread bytes do not turn our close into an RST
 * that destroys the response. The caller then closes the socket.
 */
void serve_finish(struct serve_conn *c);

#endif
