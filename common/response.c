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
#include "why.h"

/*
 * A head is a fixed part (status line, Date, Server, Content-Type,
 * Content-Length, Connection, an error page's Vary: under HEAD_FIXED_MAX
 * bytes), extra headers
 * (RESPONSE_EXTRA_MAX: at longest a Location built from the whole target),
 * and for an error an HTML page. The buffer must hold all three, so
 * response_head cannot truncate.
 */
#define HEAD_FIXED_MAX  512
#define ERROR_PAGE_MAX  1024
#define VARY_LANGUAGE   "Vary: Accept-Language\r\n"
_Static_assert(HEAD_FIXED_MAX + RESPONSE_EXTRA_MAX + ERROR_PAGE_MAX <= RESPONSE_HEAD_MAX,
               "RESPONSE_HEAD_MAX must hold a head with a Location and an error page");
/*
 * peer "request line" status bytes why: the line is cut to REQUEST_LINE_MAX,
 * status and bytes take under 48, and a fault's brief words under 48 more.
 */
_Static_assert(LOG_LINE_MAX >= NET_PEER_MAX + REQUEST_LINE_MAX + 48 + 48,
               "LOG_LINE_MAX must hold a peer, the request line, the status and why");

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

/*
 * The page's sentence follows the request's Accept-Language, so the
 * response says Vary: Accept-Language: a cache must not hand the Chinese
 * page to a client that asked in English.
 */
void
response_page(struct http_response *res, enum http_status status, enum http_fault fault,
              const char *extra, enum response_body body)
{
	char page[ERROR_PAGE_MAX], lines[RESPONSE_EXTRA_MAX + sizeof(VARY_LANGUAGE)];
	const char *reason = http_reason(status), *sentence;
	enum why_lang lang = why_lang(res->request);
	int n;
	char *p;

	sentence = fault == HTTP_FAULT_NONE ? why_status(status, lang) : why_fault(fault, lang);
	n = snprintf(page, sizeof(page),
	             "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
	             "<title>%d %s</title></head>\n<body><h1>%d %s</h1>\n"
	             "<p>%s</p>\n<hr><address>%s</address></body></html>\n",
	             lang == WHY_ZH ? "zh-CN" : "en",
	             (int)status, reason, (int)status, reason, sentence, SERVER_NAME);
	assert(n > 0 && (size_t)n < sizeof(page));   /* the texts are ours, and short */
	p = put(put(lines, lines + sizeof(lines), extra), lines + sizeof(lines), VARY_LANGUAGE);
	assert(p != NULL && p < lines + sizeof(lines));   /* extra is at most RESPONSE_EXTRA_MAX */
	*p = '\0';
	res->status = status;
	if (BUG_404_AS_200 && status == HTTP_NOT_FOUND)
		res->status = HTTP_OK;   /* the notes' "404" page, sent as a success */
	res->fd = -1;
	res->file_off = 0;
	res->mem = NULL;
	res->body_len = n;
	response_head(res, "text/html; charset=utf-8", lines);
	res->fault = fault;
	if (body == RESPONSE_BODY) {
		memcpy(res->head + res->head_len, page, (size_t)n);
		res->head_len += (size_t)n;
	}
}

void
response_error(struct http_response *res, const struct http_request *req,
               enum http_status status, enum http_fault fault)
{
	res->keep_alive = 0;
	res->request = req;
	response_page(res, status, fault, "", RESPONSE_BODY);
}

void
response_send_error(int fd, enum http_status status)
{
	struct http_response res;

	response_error(&res, NULL, status, HTTP_FAULT_NONE);
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
		p = put(put(p, end, " "), end, why_brief(res->fault));
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
