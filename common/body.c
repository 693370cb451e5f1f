/*
 * body.c: request bodies, by Content-Length or chunked (RFC 9112 6-7).
 *
 * The bytes of a body come from the client, so nothing about them is
 * trusted: a Content-Length may be a lie, a chunk size may be twenty hex
 * digits long, a chunk may say 5 and carry 6. Two rules keep the decoder
 * safe. It is a state machine that looks at one byte at a time and keeps
 * its place in struct body, so a body cut anywhere (one byte per packet, a
 * CRLF split in two) decodes exactly as one that arrives whole. And it
 * checks every length before it trusts it: a chunk size is compared with
 * the room left under the limit as its digits arrive, before anything is
 * allocated, and the bytes that are not data (sizes, extensions, trailers)
 * have a budget too, so a client cannot keep a connection busy for ever
 * with a body that never grows.
 *
 * Line ends inside chunked framing must be CRLF. A bare LF is refused: when
 * two servers on a path disagree about where a chunk ends, one of them can
 * be fed a request the other never saw ("request smuggling").
 */
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "hexdig.h"
#include "param.h"

#define CHUNK_DIGITS_MAX 16   /* more hex digits than this is not a size */

static int reserve(struct body *b, size_t want);

enum body_status
body_init(struct body *b, long long content_length, int chunked, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
	if (chunked) {
		b->state = CHUNK_SIZE;
		return BODY_MORE;
	}
	if (content_length < 0 || (unsigned long long)content_length > max)
		return BODY_TOO_LARGE;
	b->left = (unsigned long long)content_length;
	b->state = b->left == 0 ? BODY_END : BODY_LENGTH;
	if (b->left > 0)
		return BODY_MORE;
	return reserve(b, 0) == -1 ? BODY_NO_MEMORY : BODY_DONE;   /* still a string */
}

void
body_free(struct body *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

enum http_status
body_http_status(enum body_status st)
{
	switch (st) {
	case BODY_TOO_LARGE: return HTTP_CONTENT_TOO_LARGE;
	case BODY_NO_MEMORY: return HTTP_UNAVAILABLE;
	default:             return HTTP_BAD_REQUEST;
	}
}

/* Make room for want more bytes and a NUL; the limit was checked before. */
static int
reserve(struct body *b, size_t want)
{
	size_t cap = b->cap ? b->cap : 1024;
	unsigned char *p;

	if (b->len + want + 1 <= b->cap)
		return 0;
	while (cap < b->len + want + 1)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	if ((p = realloc(b->data, cap)) == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0';
	return 0;
}

/* Copy up to b->left bytes of data; returns how many were taken. */
static size_t
copy_data(struct body *b, const unsigned char *in, size_t n, enum body_status *st)
{
	size_t k = b->left < n ? (size_t)b->left : n;

	if (reserve(b, k) == -1) {
		*st = BODY_NO_MEMORY;
		return 0;
	}
	memcpy(b->data + b->len, in, k);
	b->len += k;
	b->data[b->len] = '\0';
	b->left -= k;
	return k;
}

/* One byte of a chunk-size line: size, blanks, ";extension", CRLF. */
static enum body_status
size_line(struct body *b, unsigned char c)
{
	int h = hexdig(c);

	if (b->state == CHUNK_SIZE && h >= 0) {
		if (++b->digits > CHUNK_DIGITS_MAX)
			return BODY_BAD;
		b->left = b->left * 16 + (unsigned)h;
		/* Checked as the digits arrive, so the number never overflows. */
		return b->left > b->max - b->len ? BODY_TOO_LARGE : BODY_MORE;
	}
	if (b->digits == 0)
		return BODY_BAD;   /* a size needs at least one digit */
	if (b->state != CHUNK_EXT && (c == ' ' || c == '\t'))
		b->state = CHUNK_SPACE;
	else if (b->state != CHUNK_EXT && c == ';')
		b->state = CHUNK_EXT;
	else if (c == '\r')
		b->state = CHUNK_SIZE_LF;
	else if (b->state != CHUNK_EXT || (c < ' ' && c != '\t') || c == 0x7f)
		return BODY_BAD;
	return BODY_MORE;
}

/* One byte of framing that is not inside chunk data. */
static enum body_status
framing_byte(struct body *b, unsigned char c)
{
	if (++b->framing > b->max + HEADER_MAX)
		return BODY_TOO_LARGE;   /* endless extensions or trailers */
	switch (b->state) {
	case CHUNK_SIZE: case CHUNK_SPACE: case CHUNK_EXT:
		return size_line(b, c);
	case CHUNK_SIZE_LF:
		if (c != '\n')
			return BODY_BAD;
		b->digits = 0;
		b->state = b->left == 0 ? TRAILER_START : CHUNK_DATA;
		return BODY_MORE;
	case CHUNK_DATA_CR:
		b->state = CHUNK_DATA_LF;
		return c == '\r' ? BODY_MORE : BODY_BAD;
	case CHUNK_DATA_LF:
		b->state = CHUNK_SIZE;
		return c == '\n' ? BODY_MORE : BODY_BAD;
	case TRAILER_START:
		b->state = c == '\r' ? END_LF : TRAILER_LINE;
		return c == '\n' ? BODY_BAD : BODY_MORE;
	case TRAILER_LINE:
		if (c == '\r')
			b->state = TRAILER_LF;
		return c == '\n' || c == '\0' ? BODY_BAD : BODY_MORE;
	case TRAILER_LF:
		b->state = TRAILER_START;
		return c == '\n' ? BODY_MORE : BODY_BAD;
	case END_LF:
		b->state = BODY_END;
		return c == '\n' ? BODY_DONE : BODY_BAD;
	default:
		return BODY_BAD;   /* BODY_LENGTH, CHUNK_DATA, BODY_END never get here */
	}
}

enum body_status
body_feed(struct body *b, const unsigned char *in, size_t n, size_t *used)
{
	enum body_status st = BODY_MORE;
	size_t i = 0;

	while (st == BODY_MORE && b->state != BODY_END && i < n) {
		if (b->state == BODY_LENGTH || b->state == CHUNK_DATA) {
			i += copy_data(b, in + i, n - i, &st);
			if (st == BODY_MORE && b->left == 0)
				b->state = b->state == BODY_LENGTH ? BODY_END : CHUNK_DATA_CR;
		} else {
			st = framing_byte(b, in[i++]);
		}
	}
	*used = i;
	if (st == BODY_MORE && b->state == BODY_END)
		st = BODY_DONE;
	if (st == BODY_DONE && b->data == NULL && reserve(b, 0) == -1)
		st = BODY_NO_MEMORY;   /* an empty body is still a string */
	return st;
}
