/*
 * body.h: a request body, decoded as its bytes arrive.
 *
 * After the head, a request says how long its body is in one of two ways
 * (RFC 9112 6.3): Content-Length, a count of bytes, or Transfer-Encoding:
 * chunked, a series of "size CRLF data CRLF" pieces ending with a piece of
 * size 0. A body_feed call takes whatever has arrived, however it was cut,
 * and says how far it got; the decoded bytes collect in the body.
 */
#ifndef BODY_H
#define BODY_H

#include <stddef.h>

#include "http.h"

enum body_status {
	BODY_MORE,         /* not finished: feed more input */
	BODY_DONE,         /* the whole body is in data */
	BODY_BAD,          /* broken chunked framing: 400, then close */
	BODY_TOO_LARGE,    /* more than the limit: 413, then close */
	BODY_NO_MEMORY,    /* 503, then close */
};

enum body_state {
	BODY_LENGTH,       /* Content-Length: copying the rest */
	CHUNK_SIZE,        /* hex digits of a chunk's size */
	CHUNK_SPACE,       /* blanks after the size */
	CHUNK_EXT,         /* ";name=value" after the size, ignored */
	CHUNK_SIZE_LF,     /* the LF of the size line */
	CHUNK_DATA,        /* copying the chunk's bytes */
	CHUNK_DATA_CR,     /* the CRLF after the data */
	CHUNK_DATA_LF,
	TRAILER_START,     /* a trailer field line, or the final empty line */
	TRAILER_LINE,      /* a trailer field, ignored */
	TRAILER_LF,
	END_LF,            /* the LF of the final empty line */
	BODY_END,          /* the body is complete */
};

struct body {
	enum body_state state;
	unsigned long long left;   /* bytes still to copy: of the body, or of this chunk */
	int digits;                /* hex digits in this chunk's size */
	size_t framing;            /* bytes of sizes, extensions and trailers so far */
	size_t max;                /* the most decoded bytes we accept */
	unsigned char *data;       /* decoded bytes, with a NUL after them */
	size_t len, cap;
};

/*
 * Start a body of content_length bytes, or a chunked one (content_length is
 * then ignored), of at most max decoded bytes. Returns BODY_DONE for an
 * empty body, BODY_TOO_LARGE when the length is over max, else BODY_MORE.
 */
enum body_status body_init(struct body *b, long long content_length,
                           int chunked, size_t max);

/*
 * Decode what can be decoded of in[0..n); *used says how many bytes of in
 * belong to the body (the rest is the next request). After BODY_BAD,
 * BODY_TOO_LARGE or BODY_NO_MEMORY the stream cannot be trusted any more.
 */
enum body_status body_feed(struct body *b, const unsigned char *in, size_t n,
                           size_t *used);

/* The HTTP status for an error result (400, 413, 503). */
enum http_status body_http_status(enum body_status st);

void body_free(struct body *b);

#endif
