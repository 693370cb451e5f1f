/*
 * response.h: what goes back to the client: a response head, the small
 * HTML page every error status carries, and the access-log line that
 * records the exchange.
 *
 * The head is built into a buffer that the stage then writes however its
 * model allows; a body follows it from a file (res->fd), from memory
 * (res->mem), or, for an error page or a small kept file, inside head[].
 */
#ifndef RESPONSE_H
#define RESPONSE_H

#include <stddef.h>
#include <sys/types.h>

#include "http.h"
#include "param.h"

/* Header lines a caller may add to a head (res->head always has room for them). */
#define RESPONSE_EXTRA_MAX (sizeof("Location: /\r\n") + REQUEST_LINE_MAX)

struct http_response {
	const struct http_request *request; /* what is answered (an error page reads its Accept-Language), or NULL */
	enum http_status status;
	enum http_fault fault;     /* why the request was refused, for the log; or none */
	int keep_alive;            /* the connection stays open after this one */
	int fd;                    /* file whose bytes follow the head, or -1 */
	off_t file_off;            /* where in that file the body starts: a range's first byte */
	off_t body_len;            /* Content-Length */
	const char *mem;           /* or the body's bytes, after the head (10-framework), or NULL */
	size_t head_len;           /* bytes in head, an in-memory body included */
	char head[RESPONSE_HEAD_MAX];
};

/* Whether a head carries a body in the response, or only its headers (HEAD). */
enum response_body {
	RESPONSE_BODY,
	RESPONSE_HEAD_ONLY,
};

/*
 * Fill res->head for res->status, res->body_len and res->keep_alive: the
 * status line, Date, Server, Content-Type (unless type is NULL),
 * Content-Length, the header lines in extra (each ending in CRLF; at most
 * RESPONSE_EXTRA_MAX bytes), Connection, and the empty line. A 304 gets
 * neither Content-Type nor Content-Length (RFC 9110 15.4.5). res->fault
 * becomes HTTP_FAULT_NONE: a head built by hand refuses nothing.
 */
void response_head(struct http_response *res, const char *type, const char *extra);

/*
 * res becomes status with its HTML page (after the head, unless body is
 * RESPONSE_HEAD_ONLY), and extra header lines (an Allow, a Location);
 * res->keep_alive is left as the caller set it. The page says why in a
 * sentence: fault's, or where fault is HTTP_FAULT_NONE, the status's, in
 * the language res->request prefers (common/why.c).
 */
void response_page(struct http_response *res, enum http_status status, enum http_fault fault,
                   const char *extra, enum response_body body);

/* An error page for req (NULL: none was read), and Connection: close. */
void response_error(struct http_response *res, const struct http_request *req,
                    enum http_status status, enum http_fault fault);


/*
 * Send status's error page on fd, which the caller then closes: the last
 * word to a client we cannot serve (out of memory, threads or processes).
 * One try, without waiting: the socket's buffer is empty and the page
 * small, so it fits; if it does not, the client sees the connection close.
 */
void response_send_error(int fd, enum http_status status);

/*
 * Append n bytes of s, or a number (never negative), at p before end:
 * where the next byte goes, or NULL when it does not fit (and NULL in
 * gives NULL out, so a chain of appends is checked once, at its end).
 */
char *response_put(char *p, const char *end, const char *s, size_t n);
char *response_put_number(char *p, const char *end, long long v);

/*
 * One access-log line (no newline): peer, the request line as it arrived
 * at the start of in (also when the request was refused or timed out, or
 * "-" when nothing did), res->status, the bytes sent, head included, and
 * for a request refused, why (res->fault, briefly).
 */
void response_log(char *line, size_t size, const char *peer, const char *in,
                  size_t in_len, const struct http_response *res, long long bytes);

/* The log line for a connection closed because it sent nothing for seconds. */
void response_log_silent(char *line, size_t size, const char *peer, int seconds);

#endif
