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
#include <time.h>

#include "param.h"

/* The statuses the suite sends (RFC 9110 15), named as quark names them. */
enum http_status {
	HTTP_OK = 200,
	HTTP_PARTIAL_CONTENT = 206,
	HTTP_MOVED_PERMANENTLY = 301,
	HTTP_SEE_OTHER = 303,
	HTTP_NOT_MODIFIED = 304,
	HTTP_BAD_REQUEST = 400,
	HTTP_FORBIDDEN = 403,
	HTTP_NOT_FOUND = 404,
	HTTP_METHOD_NOT_ALLOWED = 405,
	HTTP_REQUEST_TIMEOUT = 408,
	HTTP_PRECONDITION_FAILED = 412,
	HTTP_CONTENT_TOO_LARGE = 413,
	HTTP_URI_TOO_LONG = 414,
	HTTP_UNSUPPORTED_MEDIA_TYPE = 415,
	HTTP_RANGE_NOT_SATISFIABLE = 416,
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

/* If-Match or If-None-Match (RFC 9110 13.1.1-2); repeated lines add to the list. */
enum http_tags_kind {
	HTTP_TAGS_ABSENT,
	HTTP_TAGS_ANY,             /* "*": whatever the current version is */
	HTTP_TAGS_LIST,            /* the entity-tags in list */
	HTTP_TAGS_INVALID,         /* not a list of entity-tags: matches nothing */
};

struct http_tags {
	enum http_tags_kind kind;
	size_t len;
	char list[ETAG_LIST_MAX];  /* [W/]"opaque" entries, comma-separated, no spaces */
};

/* If-Range (RFC 9110 13.1.5): send the range only if the file is this version. */
enum http_if_range_kind {
	HTTP_IF_RANGE_ABSENT,
	HTTP_IF_RANGE_DATE,        /* an HTTP-date, compared with Last-Modified */
	HTTP_IF_RANGE_ETAG,        /* a strong entity-tag, compared with ETag */
	HTTP_IF_RANGE_INVALID,     /* weak, too long or malformed: never true */
};

struct http_if_range {
	enum http_if_range_kind kind;
	time_t date;
	char etag[ETAG_MAX + 1];
};

/*
 * A Range header, as far as this server honours it (RFC 9110 14.1.2): one
 * range of bytes. Several ranges, another unit or a malformed value are
 * HTTP_RANGE_NONE, and the whole file is sent with 200, which 14.2 allows.
 */
enum http_range_kind {
	HTTP_RANGE_NONE,
	HTTP_RANGE_FROM,           /* bytes=first-last, or bytes=first- (last is -1) */
	HTTP_RANGE_SUFFIX,         /* bytes=-suffix: the last suffix bytes */
};

struct http_range {
	enum http_range_kind kind;
	long long first, last, suffix;  /* saturate at HTTP_RANGE_INFINITY */
};

#define HTTP_RANGE_INFINITY (1LL << 62)  /* larger than any file we can serve */

struct http_request {
	char method[METHOD_MAX + 1];
	char target[REQUEST_LINE_MAX + 1]; /* /path?query, "*" (OPTIONS) or host:port (CONNECT) */
	int minor;                 /* HTTP/1.minor */
	int keep_alive;            /* what the client wants, after the version default */
	long long content_length;  /* body bytes after the head; 0 when none */
	size_t head_len;           /* bytes the head took, empty lines before it included */
	int chunked;               /* Transfer-Encoding: chunked; common/body.c reads it */
	enum http_status error;    /* after HTTP_PARSE_ERROR: the status to answer */
	/* Conditional requests and ranges (RFC 9110 13 and 14), parsed and checked. */
	struct http_tags if_match, if_none_match;
	int has_modified_since;    /* If-Modified-Since held one valid HTTP-date */
	int has_unmodified_since;  /* likewise If-Unmodified-Since */
	time_t modified_since, unmodified_since;
	struct http_if_range if_range;
	struct http_range range;
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

/* t as an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7). */
void http_date_format(time_t t, char *buf, size_t size);

/* An HTTP-date in any of its three formats; 1 with *t set, or 0. */
int http_date_parse(const unsigned char *v, size_t len, time_t *t);

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
