/*
 * response.c: the response head, the error pages, and the log line.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "date.h"
#include "lab.h"
#include "net.h"
#include "response.h"

/*
 * A head is a fixed part (status line, Date, Server, Content-Type,
 * Content-Length, Connection: under HEAD_FIXED_MAX bytes), extra headers
 * (RESPONSE_EXTRA_MAX: at longest a Location built from the whole target),
 * and for an error an HTML page. The buffer must hold all three, so
 * response_head cannot truncate.
 */
#define HEAD_FIXED_MAX  512
#define ERROR_PAGE_MAX  1024
_Static_assert(HEAD_FIXED_MAX + RESPONSE_EXTRA_MAX + ERROR_PAGE_MAX <= RESPONSE_HEAD_MAX,
               "RESPONSE_HEAD_MAX must hold a head with a Location and an error page");
/*
 * peer "request line" status bytes why: the line is cut to REQUEST_LINE_MAX,
 * status and bytes take under 48, and a fault's brief words under 48 more.
 */
_Static_assert(LOG_LINE_MAX >= NET_PEER_MAX + REQUEST_LINE_MAX + 48 + 48,
               "LOG_LINE_MAX must hold a peer, the request line, the status and why");

/* One sentence for each error page: what went wrong, for a person. */
static const struct {
	enum http_status code;
	const char *why;
} whys[] = {
	{ HTTP_MOVED_PERMANENTLY, "The resource lives at the address in the Location header." },
	{ HTTP_SEE_OTHER, "The answer is at the address in the Location header." },
	{ HTTP_BAD_REQUEST, "The request is not valid HTTP/1.1." },
	{ HTTP_FORBIDDEN, "This path is outside what the server may show." },
	{ HTTP_NOT_FOUND, "There is no file at this path." },
	{ HTTP_METHOD_NOT_ALLOWED, "This resource can only be read, with GET or HEAD." },
	{ HTTP_REQUEST_TIMEOUT, "The request did not arrive in time." },
	{ HTTP_PRECONDITION_FAILED, "The file is not the version the request names." },
	{ HTTP_CONTENT_TOO_LARGE, "The request body is larger than the server accepts." },
	{ HTTP_URI_TOO_LONG, "The request target is longer than the server accepts." },
	{ HTTP_UNSUPPORTED_MEDIA_TYPE, "The request body is not in a form this address accepts." },
	{ HTTP_RANGE_NOT_SATISFIABLE, "The requested range starts beyond the end of the file." },
	{ HTTP_EXPECTATION_FAILED, "The server cannot meet the request's Expect header." },
	{ HTTP_HEADERS_TOO_LARGE, "The request headers are larger than the server accepts." },
	{ HTTP_INTERNAL_ERROR, "The server failed while answering." },
	{ HTTP_NOT_IMPLEMENTED, "The server does not implement this feature." },
	{ HTTP_UNAVAILABLE, "The server is out of resources; try again shortly." },
	{ HTTP_VERSION_NOT_SUPPORTED, "This server speaks HTTP/1.0 and HTTP/1.1 only." },
};

static const char *
why(enum http_status status)
{
	size_t i;

	for (i = 0; i < sizeof(whys) / sizeof(whys[0]); i++)
		if (whys[i].code == status)
			return whys[i].why;
	return "";
}

#define NUMBER_(n) #n
#define NUMBER(n) NUMBER_(n)

/*
 * Why a request was refused, which rule it broke: a few words for the log
 * line, and a sentence for the error page, in place of the status's own.
 * Every text about a fault is in this table, and nowhere else.
 */
static const struct {
	enum http_fault fault;
	const char *brief;         /* the log's: ASCII, under 48 bytes */
	const char *why;           /* the page's: HTML text, no markup */
} faults[] = {
	{ HTTP_FAULT_EMPTY_LINES, "only empty lines",
	  "Nothing came but empty lines: a request begins with a request line, "
	  "such as GET / HTTP/1.1." },
	{ HTTP_FAULT_LINE_TOO_LONG, "request line too long",
	  "The request line is longer than the " NUMBER(REQUEST_LINE_MAX)
	  " bytes the server accepts." },
	{ HTTP_FAULT_HEAD_TOO_LARGE, "header lines too long",
	  "The header lines add up to more than the " NUMBER(HEADER_MAX)
	  " bytes the server accepts." },
	{ HTTP_FAULT_TOO_MANY_HEADERS, "too many header lines",
	  "The request has more than the " NUMBER(HEADER_LINES_MAX)
	  " header lines the server accepts." },
	{ HTTP_FAULT_REQUEST_LINE, "request line not method, target, version",
	  "The request line must be three parts with one space between each: "
	  "a method, a target and a version, as in GET /index.html HTTP/1.1 "
	  "(a space inside the target is sent as %20)." },
	{ HTTP_FAULT_METHOD, "bad method",
	  "The method must be a word of at most " NUMBER(METHOD_MAX) " letters, "
	  "digits or !#$%&'*+-.^_`|~, such as GET." },
	{ HTTP_FAULT_TARGET_BYTE, "byte in target must be percent-encoded",
	  "The target holds a byte that must be percent-encoded: a control "
	  "character, or one above 0x7e, such as UTF-8 (/中国.html is sent as "
	  "/%E4%B8%AD%E5%9B%BD.html)." },
	{ HTTP_FAULT_TARGET_FORM, "target does not begin with /",
	  "The target must begin with a slash, as in /index.html, or be a whole "
	  "URL, as in http://localhost/index.html." },
	{ HTTP_FAULT_ASTERISK, "* with a method other than OPTIONS",
	  "The target * stands for the whole server, and only OPTIONS may ask for it." },
	{ HTTP_FAULT_CONNECT, "CONNECT target not host:port",
	  "CONNECT asks for a tunnel to host:port, and its target must be just that." },
	{ HTTP_FAULT_VERSION, "bad version",
	  "The request line must end in a version: HTTP/ and two digits with a "
	  "dot between them, as in HTTP/1.1." },
	{ HTTP_FAULT_VERSION_CASE, "version not in capitals",
	  "HTTP is case-sensitive: the version is HTTP/1.1, in capitals, and so "
	  "are the methods: GET, not get." },
	{ HTTP_FAULT_VERSION_MAJOR, "not HTTP/1.x",
	  "This server speaks HTTP/1.0 and HTTP/1.1 only." },
	{ HTTP_FAULT_HEADER_COLON, "header line without a colon",
	  "Every header line is a name, a colon and a value, as in Host: "
	  "localhost; one has no colon." },
	{ HTTP_FAULT_HEADER_NAME, "bad header name",
	  "A header name is a word of letters, digits or !#$%&'*+-.^_`|~; one is "
	  "empty or holds another byte." },
	{ HTTP_FAULT_SPACE_BEFORE_COLON, "space before a header's colon",
	  "A header line has white space between its name and the colon (Host : "
	  "x). RFC 9112 5.1 forbids it: servers and proxies that read such a "
	  "line differently have been made to see two different requests." },
	{ HTTP_FAULT_HEADER_VALUE, "control character in a header value",
	  "A header value holds a control character; of those, only a tab is allowed." },
	{ HTTP_FAULT_FOLDED, "folded header line",
	  "A header line begins with a space or a tab: the obsolete way to "
	  "continue the line before it, which RFC 9112 5.2 lets a server refuse." },
	{ HTTP_FAULT_NO_HOST, "no Host header",
	  "An HTTP/1.1 request must name the host it is for: add a line such as "
	  "Host: localhost before the empty line." },
	{ HTTP_FAULT_HOST_TWICE, "more than one Host header",
	  "The request has more than one Host line; it must have one." },
	{ HTTP_FAULT_HOST_BAD, "bad Host header",
	  "The Host header must be a host name or an address, with an optional :port." },
	{ HTTP_FAULT_LENGTH_BAD, "bad Content-Length",
	  "Content-Length must be the size of the body in bytes, in digits only." },
	{ HTTP_FAULT_LENGTH_CONFLICT, "conflicting Content-Length",
	  "Two Content-Length values differ, so where the body ends is unknown; "
	  "guessing is how requests are smuggled past a proxy." },
	{ HTTP_FAULT_BODY_TOO_LARGE, "body too large",
	  "The request body is larger than the server accepts." },
	{ HTTP_FAULT_LENGTH_AND_CODING, "Transfer-Encoding with Content-Length",
	  "Transfer-Encoding and Content-Length both say where the body ends "
	  "(RFC 9112 6.1): a request with both may be smuggling another." },
	{ HTTP_FAULT_CODING_HTTP10, "Transfer-Encoding in HTTP/1.0",
	  "HTTP/1.0 has no Transfer-Encoding, so where the body ends is unknown." },
	{ HTTP_FAULT_CODING_NOT_CHUNKED, "Transfer-Encoding not ending in chunked",
	  "A request's Transfer-Encoding must end in chunked, or where its body "
	  "ends is unknown (RFC 9112 6.3)." },
	{ HTTP_FAULT_CODING_UNKNOWN, "transfer coding other than chunked",
	  "The server decodes the chunked transfer coding only." },
	{ HTTP_FAULT_CHUNKED_UNREAD, "chunked body",
	  "This server cannot tell where a chunked body ends: send the body with "
	  "a Content-Length." },
	{ HTTP_FAULT_METHOD_UNKNOWN, "method not known",
	  "The server does not know this method; it serves files with GET and HEAD." },
	{ HTTP_FAULT_METHOD_CASE, "method not in capitals",
	  "Methods are case-sensitive, and written in capitals: GET, not get." },
};

/* The fault's entry in faults[], or -1 (HTTP_FAULT_NONE has none). */
static int
fault_index(enum http_fault fault)
{
	size_t i;

	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		if (faults[i].fault == fault)
			return (int)i;
	return -1;
}

const char *
response_fault_brief(enum http_fault fault)
{
	int i = fault_index(fault);

	return i == -1 ? "" : faults[i].brief;
}

/*
 * A head is assembled by appending pieces, not by snprintf: a format
 * string is parsed again on every call, and a head is built for every
 * request. Each append returns where the next one goes, or NULL once the
 * buffer is full (and every later append passes the NULL on).
 */
char *
response_put(char *p, const char *end, const char *s, size_t n)
{
	if (p == NULL || n > (size_t)(end - p))
		return NULL;
	memcpy(p, s, n);
	return p + n;
}

static char *
put(char *p, const char *end, const char *s)
{
	return response_put(p, end, s, strlen(s));
}

char *
response_put_number(char *p, const char *end, long long v)
{
	char digits[24], *d = digits + sizeof(digits);

	do
		*--d = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	return response_put(p, end, d, (size_t)(digits + sizeof(digits) - d));
}

/*
 * A 304 has no body, and RFC 9110 15.4.5 asks for no Content-Type or
 * Content-Length in it: they would describe the file the client already has.
 */
void
response_head(struct http_response *res, const char *type, const char *extra)
{
	char *p = res->head, *end = res->head + sizeof(res->head) - ERROR_PAGE_MAX;

	p = put(p, end, "HTTP/1.1 ");
	p = response_put_number(p, end, res->status);
	p = put(put(p, end, " "), end, http_reason(res->status));
	p = put(put(p, end, "\r\nDate: "), end, date_now());
	p = put(p, end, "\r\nServer: " SERVER_NAME "\r\n");
	if (res->status != HTTP_NOT_MODIFIED) {
		if (type != NULL)
			p = put(put(put(p, end, "Content-Type: "), end, type), end, "\r\n");
		if (!BUG_NO_CONTENT_LENGTH) {
			p = put(p, end, "Content-Length: ");
			p = put(response_put_number(p, end, (long long)res->body_len), end, "\r\n");
		}
	}
	p = put(put(p, end, extra), end, res->keep_alive ?
	        "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
	/* The static assertions above make truncation impossible. */
	assert(p != NULL);
	res->head_len = (size_t)(p - res->head);
	res->fault = HTTP_FAULT_NONE;
}

void
response_page(struct http_response *res, enum http_status status, enum http_fault fault,
              const char *extra, enum response_body body)
{
	char page[ERROR_PAGE_MAX];
	const char *reason = http_reason(status);
	int i = fault_index(fault), n;

	n = snprintf(page, sizeof(page),
	             "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	             "<title>%d %s</title></head>\n<body><h1>%d %s</h1>\n"
	             "<p>%s</p>\n<hr><address>%s</address></body></html>\n",
	             (int)status, reason, (int)status, reason,
	             i == -1 ? why(status) : faults[i].why, SERVER_NAME);
	assert(n > 0 && (size_t)n < sizeof(page));   /* the texts are ours, and short */
	res->status = status;
	if (BUG_404_AS_200 && status == HTTP_NOT_FOUND)
		res->status = HTTP_OK;   /* the notes' "404" page, sent as a success */
	res->fd = -1;
	res->file_off = 0;
	res->mem = NULL;
	res->body_len = n;
	response_head(res, "text/html; charset=utf-8", extra);
	res->fault = fault;
	if (body == RESPONSE_BODY) {
		memcpy(res->head + res->head_len, page, (size_t)n);
		res->head_len += (size_t)n;
	}
}

void
response_error(struct http_response *res, enum http_status status, enum http_fault fault)
{
	res->keep_alive = 0;
	response_page(res, status, fault, "", RESPONSE_BODY);
}

void
response_send_error(int fd, enum http_status status)
{
	struct http_response res;

	response_error(&res, status, HTTP_FAULT_NONE);
	(void)send(fd, res.head, res.head_len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/*
 * The request line as it arrived (after any empty lines), for the log: a
 * request refused or timed out is logged with what the client did send.
 * Bytes that could fool a reader of the log (quotes, control characters,
 * anything outside ASCII) are written as \xHH; a line too long is cut.
 */
static void
log_request_line(char *out, size_t size, const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in, *end = p + len;
	size_t n = 0;

	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	for (; p < end && *p != '\r' && *p != '\n'; p++) {
		if (n + 8 > size) {
			memcpy(out + n, "...", 3);
			n += 3;
			break;
		}
		if (*p >= ' ' && *p < 0x7f && *p != '"' && *p != '\\')
			out[n++] = (char)*p;
		else
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", *p);
	}
	if (n == 0)
		out[n++] = '-';
	out[n] = '\0';
}

/* Built by appending, as the head is: it is written for every request too. */
void
response_log(char *line, size_t size, const char *peer, const char *in,
             size_t in_len, const struct http_response *res, long long bytes)
{
	char request[REQUEST_LINE_MAX], *p = line, *end = line + size - 1;

	log_request_line(request, sizeof(request), in, in_len);
	p = put(put(put(p, end, peer), end, " \""), end, request);
	p = response_put_number(put(p, end, "\" "), end, res->status);
	p = response_put_number(put(p, end, " "), end, bytes < 0 ? 0 : bytes);
	if (res->fault != HTTP_FAULT_NONE)
		p = put(put(p, end, " "), end, response_fault_brief(res->fault));
	/* LOG_LINE_MAX holds any line (asserted above); a smaller size truncates. */
	if (p == NULL)
		p = end;
	*p = '\0';
}

void
response_log_silent(char *line, size_t size, const char *peer, int seconds)
{
	snprintf(line, size, "%s closed: silent for %d s", peer, seconds);
}
