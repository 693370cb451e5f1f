/*
 * serve.h: requests on a socket, written as blocking code: read a request
 * head, answer it, and (where the stage allows) the next one. 01-static,
 * 02-fork, 03-threads, 08-coroutines and 10-framework serve a connection
 * this way; their lessons are how connections are spread over processes,
 * threads and coroutines, or what happens after the head, not this part.
 *
 * Every read, write and timeout of a request goes through a struct
 * serve_io that the stage hands in. 01-03 and 10 use serve_blocking_io,
 * the system calls themselves, which block the thread. 08-coroutines hands
 * in calls that block only the coroutine and let its event loop run others
 * meanwhile: the same code, a different engine under it. That is what
 * gevent's monkey.patch_all() does to Python's socket module, made
 * explicit, since C cannot rebind a function at run time. (The lingering
 * close's shutdown, which never blocks, is called directly.)
 */
#ifndef SERVE_H
#define SERVE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "http.h"
#include "param.h"
#include "response.h"
#include "setup.h"

struct serve_io {
	/* Like recv(2): bytes, 0 at end of input, -1 with errno (EAGAIN: timed out). */
	ssize_t (*recv)(int fd, void *buf, size_t len);
	/* All len bytes, or -1 with errno; either way the bytes written are added to *sent. */
	int (*write_all)(int fd, const void *buf, size_t len, long long *sent);
	/* len bytes of file from off (a range's first byte), or -1; counted in *sent. */
	int (*send_file)(int fd, int file, off_t off, off_t len, long long *sent);
	/* From now on each wait for fd lasts at most ms milliseconds. */
	void (*set_timeout)(int fd, int ms);
};

/* The system calls themselves, for a blocking socket (SO_RCVTIMEO bounds a wait). */
extern const struct serve_io serve_blocking_io;

/* One connection: the socket, and the input not yet used. */
struct serve_conn {
	const struct serve_io *io;
	int fd;
	const struct server *srv;
	const char *peer;
	int open;                   /* another request may follow on it */
	char in[REQUEST_MAX];       /* what arrived: a request head, maybe more */
	size_t in_len;
	long long drop;             /* bytes of the last request still to skip */
	long long deadline;         /* ms (clock_ms) by which this request must be in: -T */
	long long body_left;        /* body bytes after the head that the answer did not take */
	/*
	 * How the stage answers a request whose head has arrived: fill res.
	 * serve_files answers from the docroot; 10-framework reads the body
	 * and asks its application first.
	 */
	void (*answer)(struct serve_conn *c, const struct http_request *req,
	               struct http_response *res);
	void *data;                 /* the stage's own, for its answer */
};

/* What serve_request did with a connection. */
enum serve_result {
	SERVE_NOTHING,             /* the client left before a request began: no log */
	SERVE_SILENT,              /* it sent nothing for -t seconds: closed, and logged */
	SERVE_SENT,                /* a response went out whole */
	SERVE_WRITE_FAILED,        /* a response was cut short: the client left mid-way */
};

/* Start c on socket fd, answered by serve_files. */
void serve_open(struct serve_conn *c, const struct serve_io *io, int fd,
                const struct server *srv, const char *peer);

/*
 * Read one request (until the blank line, across as many recv calls as it
 * takes; silent at most srv->timeout seconds at a time, srv->deadline in
 * all from the head's first byte), answer it through c->answer, send the
 * answer, and unless it returns SERVE_NOTHING fill log with the access-log
 * line (the bytes it records are those that went out, also when the client
 * left half-way). c->open stays set when the response kept the connection
 * alive; otherwise the connection was finished with a lingering close.
 * Never closes the socket.
 */
enum serve_result serve_request(struct serve_conn *c, char *log, size_t size);

/* One request over serve_blocking_io, answered with a file; Connection: close. */
enum serve_result serve_blocking(int fd, const struct server *srv, const char *peer,
                                 char *log, size_t size);

/* The default answer: a file from the docroot (files.h). */
void serve_files(struct serve_conn *c, const struct http_request *req,
                 struct http_response *res);

/*
 * For an answer that reads the body: receive more input after c->in_len,
 * waiting at most -t and never past c->deadline. The bytes received; 0 when
 * the client closed; -1 when it was too slow (or the server is stopping).
 */
ssize_t serve_recv(struct serve_conn *c);

/* Remove n bytes of input at offset at (a body's bytes, once they are used). */
void serve_take(struct serve_conn *c, size_t at, size_t n);

/*
 * Close our side and wait (at most LINGER_SECONDS) for the client's FIN,
 * discarding its input, so unread bytes do not turn our close into an RST
 * that destroys the response. The caller then closes the socket.
 */
void serve_finish(struct serve_conn *c);

#endif
