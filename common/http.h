/*
 * http.h: a request head, parsed from bytes in a buffer (RFC 9112), and
 * the statuses a response can carry (RFC 9110 15).
 *
 * Parsing never touches a socket: a stage fills a buffer however its model
 * allows (blocking recv, non-blocking recv, epoll) and asks http_parse
 * whether a whole request head is there yet. The parser checks every line
 * once and records where each header's name and value are, so that whoever
 * needs a header later (cond.c the conditional ones, 10-framework all of
 * them) finds it without parsing the head again. What to send back is
 * built elsewhere: response.h (heads, error pages, the log line) and
 * files.h (a file from the docroot).
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#include "param.h"

/* The statuses the suite sends (RFC 9110 15), named as quark names them. */
enum http_status {
	HTTP_OK = 200,
	HTTP_PARTIAL_CONTENT = 206,
	HTTP_MOVED_PERMANENTLY = 301,
	HTTP_FOUND = 302,
	HTTP_SEE_OTHER = 303,
	HTTP_NOT_MODIFIED = 304,
	HTTP_TEMPORARY_REDIRECT = 307,
	HTTP_PERMANENT_REDIRECT = 308,
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

/*
 * Why a request was refused, beside the status that says what kind of
 * error it is: which rule it broke. The parser sets it (files.c a few
 * more); the error page and the log line say it (response.c holds the
 * words for each).
 */
enum http_fault {
	HTTP_FAULT_NONE,
	HTTP_FAULT_EMPTY_LINES,        /* nothing but empty lines */
	HTTP_FAULT_LINE_TOO_LONG,      /* 414: a request line over REQUEST_LINE_MAX */
	HTTP_FAULT_HEAD_TOO_LARGE,     /* 431: header lines over HEADER_MAX bytes */
	HTTP_FAULT_TOO_MANY_HEADERS,   /* 431: over HEADER_LINES_MAX lines */
	HTTP_FAULT_REQUEST_LINE,       /* not method SP target SP version */
	HTTP_FAULT_METHOD,             /* a method that is not a token, or too long */
	HTTP_FAULT_TARGET_BYTE,        /* a byte in the target that must be %-encoded */
	HTTP_FAULT_TARGET_FORM,        /* a target that begins with no "/" */
	HTTP_FAULT_ASTERISK,           /* "*" for a method other than OPTIONS */
	HTTP_FAULT_CONNECT,            /* CONNECT to no host:port */
	HTTP_FAULT_VERSION,            /* not HTTP/digit.digit */
	HTTP_FAULT_VERSION_CASE,       /* http/1.1 */
	HTTP_FAULT_VERSION_MAJOR,      /* 505: HTTP/2.0 and the like */
	HTTP_FAULT_HEADER_COLON,       /* a header line without a colon */
	HTTP_FAULT_HEADER_NAME,        /* a name that is empty or not a token */
	HTTP_FAULT_SPACE_BEFORE_COLON, /* "Host : x" */
	HTTP_FAULT_HEADER_VALUE,       /* a control character in a value */
	HTTP_FAULT_FOLDED,             /* a line that continues the one before */
	HTTP_FAULT_NO_HOST,            /* HTTP/1.1 without Host */
	HTTP_FAULT_HOST_TWICE,
	HTTP_FAULT_HOST_BAD,           /* not host[:port] */
	HTTP_FAULT_LENGTH_BAD,         /* Content-Length not digits */
	HTTP_FAULT_LENGTH_CONFLICT,    /* two different Content-Length values */
	HTTP_FAULT_BODY_TOO_LARGE,     /* 413: Content-Length over BODY_MAX */
	HTTP_FAULT_LENGTH_AND_CODING,  /* Transfer-Encoding and Content-Length */
	HTTP_FAULT_CODING_HTTP10,      /* Transfer-Encoding in HTTP/1.0 */
	HTTP_FAULT_CODING_NOT_CHUNKED, /* a Transfer-Encoding not ending in chunked */
	HTTP_FAULT_CODING_UNKNOWN,     /* 501: a coding besides chunked (gzip) */
	HTTP_FAULT_CHUNKED_UNREAD,     /* 501: a stage that cannot read a chunked body */
	HTTP_FAULT_METHOD_UNKNOWN,     /* 501: a method RFC 9110 does not define */
	HTTP_FAULT_METHOD_CASE,        /* 501: get, which is not GET */
	HTTP_FAULT_COUNT               /* the number of faults, not one */
};

/* What http_parse found in the buffer. */
enum http_parse_result {
	HTTP_PARSE_MORE,           /* no whole head yet: read more and call again */
	HTTP_PARSE_DONE,           /* req is filled in; req->head_len bytes used */
	HTTP_PARSE_ERROR,          /* not a valid request: answer req->error (req->fault says why), close */
};

/* Whether the stage can keep a connection open after a response. */
enum http_conn {
	HTTP_CONN_CLOSE,
	HTTP_CONN_KEEP,
};

/* The Expect header (RFC 9110 10.1.1). */
enum http_expect {
	HTTP_EXPECT_NONE,
	HTTP_EXPECT_CONTINUE,      /* 100-continue: the client waits before its body */
	HTTP_EXPECT_OTHER,         /* an expectation nobody here can meet: 417 */
};

/* One header line, as it arrived: name and value point into the buffer parsed. */
struct http_header {
	const char *name;
	size_t name_len;
	const char *value;         /* without the spaces around it */
	size_t value_len;
};

struct http_request {
	char method[METHOD_MAX + 1];
	char target[REQUEST_LINE_MAX + 1]; /* /path?query, "*" (OPTIONS) or host:port (CONNECT) */
	int minor;                 /* HTTP/1.minor */
	int keep_alive;            /* what the client wants, after the version default */
	long long content_length;  /* body bytes after the head; 0 when none */
	int chunked;               /* Transfer-Encoding: chunked; common/body.c reads it */
	enum http_expect expect;
	size_t head_len;           /* bytes the head took, empty lines before it included */
	enum http_status error;    /* after HTTP_PARSE_ERROR: the status to answer */
	enum http_fault fault;     /* and why */
	/* Every header line in order; valid while the parsed buffer is unchanged. */
	struct http_header headers[HEADER_LINES_MAX];
	size_t header_count;
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
 * The request did not arrive whole in time: req becomes an error to answer
 * with 408, and what did arrive is no request, so none of its headers count.
 */
void http_timed_out(struct http_request *req);

/*
 * Is it worth calling http_parse yet? 1 once buf holds a blank line after
 * a line (a head can end there) or more than REQUEST_LINE_MAX bytes (a
 * limit may be exceeded): short of both, http_parse could only say MORE.
 * *scanned is how far earlier calls looked; start it at 0 for each new
 * request, and a head that arrives in many pieces is searched once, not
 * once per piece.
 */
int http_head_ready(const char *buf, size_t len, size_t *scanned);

/* The reason phrase RFC 9110 gives status ("Not Found"). */
const char *http_reason(enum http_status status);

/* Is s[0..n) a token (RFC 9110 5.6.2), as a method or a header name must be? */
int http_is_token(const char *s, size_t n);

/* Does the n bytes at s spell word, in any case? */
int http_word_is(const char *s, size_t n, const char *word);

#endif
