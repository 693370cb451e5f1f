/*
 * http.h: HTTP/1.1 messages as bytes in a buffer.
 *
 * Parsing never touches a socket: a stage fills a buffer however its model
 * allows (blocking recv, non-blocking recv, epoll) and asks http_parse whether
 * a whole request head is there yet. The response side builds the status line
 * and headers into a buffer the stage then writes however it likes.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <sys/types.h>

#include "param.h"

struct http_request {
	char method[METHOD_MAX + 1];
	char target[REQUEST_LINE_MAX + 1]; /* origin-form: /path?query */
	int minor;                 /* HTTP/1.minor */
	int keep_alive;            /* what the client wants, after the version default */
	long long content_length;  /* body bytes after the head; 0 when none */
};

struct http_response {
	int status;
	int keep_alive;            /* the connection stays open after this one */
	int fd;                    /* file whose bytes follow the head, or -1 */
	off_t body_len;            /* Content-Length */
	size_t head_len;           /* bytes in head, an in-memory body included */
	char head[RESPONSE_HEAD_MAX];
};

/*
 * Returns 0 when buf holds no complete request head yet, the number of bytes
 * the head used when it does, or minus an HTTP status (-400, -414, -431,
 * -501, -505, ...) when the bytes cannot be a valid request. After an error
 * the stream cannot be trusted and the connection must close.
 */
long http_parse(const char *buf, size_t len, struct http_request *req);

const char *http_reason(int status);

/*
 * Fill res for req, served from the docroot opened as root. keep_alive says
 * whether the stage can keep a connection open at all. A file to send is left
 * open in res->fd; the caller closes it.
 */
void http_respond(int root, const struct http_request *req,
                  int keep_alive, struct http_response *res);

/* Fill res with an error page for status and Connection: close. */
void http_error(struct http_response *res, int status);

/* One access-log line (no newline): peer, request line, status, bytes sent. */
void http_log_line(char *line, size_t size, const char *peer,
                   const struct http_request *req, int status, long long bytes);

#endif
