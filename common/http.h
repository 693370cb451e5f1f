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

/* The statuses the suite sends (RFC 9110 15), named as quark names them. */
enum http_status {
	HTTP_OK = 200,
	HTTP_MOVED_PERMANENTLY = 301,
	HTTP_SEE_OTHER = 303,
	HTTP_BAD_REQUEST = 400,
	HTTP_FORBIDDEN = 403,
	HTTP_NOT_FOUND = 404,
	HTTP_METHOD_NOT_ALLOWED = 405,
	HTTP_REQUEST_TIMEOUT = 408,
	HTTP_CONTENT_TOO_LARGE = 413,
	HTTP_URI_TOO_LONG = 414,
	HTTP_UNSUPPORTED_MEDIA_TYPE = 415,
	HTTP_EXPECTATION_FAILED = 417,
	HTTP_HEADERS_TOO_LARGE = 431,
	HTTP_INTERNAL_ERROR = 500,
	HTTP_NOT_IMPLEMENTED = 501,
	HTTP_UNAVAILABLE = 503,
	HTTP_VERSION_NOT_SUPPORTED = 505,
};

/* What http_parse found in the buffer. */
enum http_parse_result {
	HTTP_PARSE_MORE,           /* no whole head yet: read more and call again */
	HTTP_PARSE_DONE,           /* req is filled in; req->head_len bytes used */
	HTTP_PARSE_ERROR,          /* not a valid request: answer req->error, close */
};

/* Whether the stage can keep a connection open after a response. */
enum http_conn {
	HTTP_CONN_CLOSE,
	HTTP_CONN_KEEP,
};

struct http_request {
	char method[METHOD_MAX + 1];
	char target[REQUEST_LINE_MAX + 1]; /* /path?query, "*" (OPTIONS) or host:port (CONNECT) */
	int minor;                 /* HTTP/1.minor */
	int keep_alive;            /* what the client wants, after the version default */
	long long content_length;  /* body bytes after the head; 0 when none */
	size_t head_len;           /* bytes the head took, empty lines before it included */
	int chunked;               /* Transfer-Encoding: chunked; common/body.c reads it */
	enum http_status error;    /* after HTTP_PARSE_ERROR: the status to answer */
};

struct http_response {
	enum http_status status;
	int keep_alive;            /* the connection stays open after this one */
	int fd;                    /* file whose bytes follow the head, or -1 */
	off_t file_off;            /* where in that file the body starts: a range's first byte */
	off_t body_len;            /* Content-Length */
	size_t head_len;           /* bytes in head, an in-memory body included */
	char head[RESPONSE_HEAD_MAX];
};

/*
 * Is there a whole request head at the start of buf? Empty lines before the
 * request line are skipped (RFC 9112 2.2) and counted in head_len, but they
 * count toward REQUEST_LINE_MAX too, so a buffer of REQUEST_MAX bytes always
 * gets an answer: DONE or ERROR, never MORE. After an error the stream
 * cannot be trusted and the connection must close.
 */
enum http_parse_result http_parse(const char *buf, size_t len, struct http_request *req);

/*
 * Is it worth calling http_parse yet? 1 once buf holds a blank line after
 * a line (a head can end there) or more than REQUEST_LINE_MAX bytes (a
 * limit may be exceeded): short of both, http_parse could only say MORE.
 * *scanned is how far earlier calls looked; start it at 0 for each new
 * request, and a head that arrives in many pieces is searched once, not
 * once per piece.
 */
int http_head_ready(const char *buf, size_t len, size_t *scanned);

const char *http_reason(enum http_status status);

/* The Date header's value for now (RFC 9110 5.6.7), in this thread's buffer. */
const char *http_date(void);

/*
 * Fill res for req, served from the docroot opened as root. conn says
 * whether the stage can keep a connection open at all. A file to send is
 * left open in res->fd; the caller sends body_len bytes of it from
 * file_off (not 0 for a range), then closes it.
 */
void http_respond(int root, const struct http_request *req, enum http_conn conn,
                  struct http_response *res);

/* Fill res with an error page for status and Connection: close. */
void http_error(struct http_response *res, enum http_status status);

/*
 * One access-log line (no newline): peer, the request line as it arrived
 * at the start of in (also when the request was refused or timed out, or
 * "-" when nothing did), status, and the bytes sent, head included.
 */
void http_log_line(char *line, size_t size, const char *peer, const char *in,
                   size_t in_len, enum http_status status, long long bytes);

/* The log line for a connection closed because it sent nothing for seconds. */
void http_log_silent(char *line, size_t size, const char *peer, int seconds);

#endif
