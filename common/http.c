/*
 * http.c: parse a request head from a buffer (RFC 9112) and build the
 * response head, with a small HTML page for every error status (RFC 9110).
 *
 * The parser is strict where leniency has let attackers in before: one
 * space between request-line parts, no whitespace before a header's colon,
 * no folded header lines, one Host, one Content-Length value, no
 * Transfer-Encoding. It is lenient where the RFC allows it: a bare LF ends a
 * line, empty lines before a request are skipped.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "docroot.h"
#include "http.h"

struct status {
	int code;
	const char *reason;
	const char *why;        /* one sentence for the error page */
};

static const struct status statuses[] = {
	{ 200, "OK", "" },
	{ 301, "Moved Permanently", "The resource lives at the address in the Location header." },
	{ 400, "Bad Request", "The request is not valid HTTP/1.1." },
	{ 403, "Forbidden", "This path is outside what the server may show." },
	{ 404, "Not Found", "There is no file at this path." },
	{ 405, "Method Not Allowed", "This server only answers GET and HEAD." },
	{ 408, "Request Timeout", "The request did not arrive in time." },
	{ 413, "Content Too Large", "The request body is larger than the server accepts." },
	{ 414, "URI Too Long", "The request target is longer than the server accepts." },
	{ 431, "Request Header Fields Too Large", "The request headers are larger than the server accepts." },
	{ 500, "Internal Server Error", "The server failed while answering." },
	{ 501, "Not Implemented", "The server does not implement this feature." },
	{ 503, "Service Unavailable", "The server is out of resources; try again shortly." },
	{ 505, "HTTP Version Not Supported", "This server speaks HTTP/1.0 and HTTP/1.1 only." },
};

/* Methods RFC 9110 defines: known but refused with 405, the rest get 501. */
static const char *const known_methods[] = {
	"POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
};

static const struct status *
status_find(int code)
{
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].code == code)
			return &statuses[i];
	return status_find(500);   /* a code we never meant to send */
}

const char *
http_reason(int status)
{
	return status_find(status)->reason;
}

/* RFC 9110 5.6.2: the characters a token (method, header name) may use. */
static int
is_tchar(int c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Return the end of the line starting at p (before CRLF or LF), or NULL. */
static const char *
line_end(const char *p, const char *end, const char **next)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	if (lf == NULL)
		return NULL;
	*next = lf + 1;
	return (lf > p && lf[-1] == '\r') ? lf - 1 : lf;
}

/* method SP request-target SP HTTP-version, each part checked. */
static int
parse_request_line(const char *p, const char *eol, struct http_request *req)
{
	const char *sp1, *sp2;
	size_t n;

	sp1 = memchr(p, ' ', (size_t)(eol - p));
	if (sp1 == NULL || sp1 == p || sp1 - p > METHOD_MAX)
		return 400;
	for (const char *c = p; c < sp1; c++)
		if (!is_tchar((unsigned char)*c))
			return 400;
	memcpy(req->method, p, (size_t)(sp1 - p));
	req->method[sp1 - p] = '\0';

	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return 400;
	n = (size_t)(sp2 - sp1 - 1);
	if (n > REQUEST_LINE_MAX)
		return 414;
	for (const char *c = sp1 + 1; c < sp2; c++)
		if (*c <= ' ' || *c == 0x7f)
			return 400;
	memcpy(req->target, sp1 + 1, n);
	req->target[n] = '\0';

	if (eol - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/", 5) != 0 ||
	    !isdigit((unsigned char)sp2[6]) || sp2[7] != '.' ||
	    !isdigit((unsigned char)sp2[8]))
		return 400;
	if (sp2[6] != '1')
		return 505;
	req->minor = sp2[8] - '0';
	req->keep_alive = req->minor >= 1;
	return 0;
}

/* Absolute-form (http://host/path) must be accepted; keep only the path. */
static int
target_to_origin_form(struct http_request *req)
{
	char *t = req->target, *slash;

	if (strncasecmp(t, "http://", 7) == 0) {
		slash = strchr(t + 7, '/');
		if (slash == NULL)
			slash = "/";
		memmove(t, slash, strlen(slash) + 1);
	}
	return t[0] == '/' ? 0 : 400;
}

/* Does the comma-separated list in value contain token (any case)? */
static int
list_has(const char *value, size_t len, const char *token)
{
	size_t tl = strlen(token), i = 0;

	while (i < len) {
		size_t start, stop;

		while (i < len && (value[i] == ' ' || value[i] == '\t' || value[i] == ','))
			i++;
		start = i;
		while (i < len && value[i] != ',')
			i++;
		stop = i;
		while (stop > start && (value[stop - 1] == ' ' || value[stop - 1] == '\t'))
			stop--;
		if (stop - start == tl && strncasecmp(value + start, token, tl) == 0)
			return 1;
	}
	return 0;
}

/* Content-Length is 1*DIGIT; a repeat must carry the same value. */
static int
parse_content_length(const char *v, size_t len, struct http_request *req, int seen)
{
	long long n = 0;
	size_t i;

	if (len == 0 || len > 18)
		return 400;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)v[i]))
			return 400;
		n = n * 10 + (v[i] - '0');
	}
	if (seen && n != req->content_length)
		return 400;
	if (n > BODY_MAX)
		return 413;
	req->content_length = n;
	return 0;
}

struct header_seen {
	int host, length, encoding;
};

/* name ":" OWS value OWS, then act on the few headers the suite needs. */
static int
parse_header(const char *p, const char *eol, struct http_request *req,
             struct header_seen *seen)
{
	const char *colon = memchr(p, ':', (size_t)(eol - p));
	const char *v, *ve;
	size_t nl;
	int rc;

	if (colon == NULL || colon == p)
		return 400;
	for (const char *c = p; c < colon; c++)
		if (!is_tchar((unsigned char)*c))
			return 400;   /* also rejects a space before the colon */
	for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
		;
	for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
		;
	for (const char *c = v; c < ve; c++)
		if ((*c < ' ' && *c != '\t') || *c == 0x7f)
			return 400;
	nl = (size_t)(colon - p);

	if (nl == 4 && strncasecmp(p, "Host", 4) == 0) {
		if (seen->host++)
			return 400;
	} else if (nl == 10 && strncasecmp(p, "Connection", 10) == 0) {
		if (list_has(v, (size_t)(ve - v), "close"))
			req->keep_alive = 0;
		else if (list_has(v, (size_t)(ve - v), "keep-alive"))
			req->keep_alive = 1;
	} else if (nl == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
		if ((rc = parse_content_length(v, (size_t)(ve - v), req, seen->length++)))
			return rc;
	} else if (nl == 17 && strncasecmp(p, "Transfer-Encoding", 17) == 0) {
		seen->encoding = 1;
	}
	return 0;
}

/* Check every line of a complete head; 0 when the request is valid. */
static int
parse_head(const char *p, const char *end, struct http_request *req)
{
	struct header_seen seen = { 0, 0, 0 };
	const char *eol, *next = NULL;
	int rc;

	eol = line_end(p, end, &next);
	if ((rc = parse_request_line(p, eol, req)) || (rc = target_to_origin_form(req)))
		return rc;
	for (p = next; (eol = line_end(p, end, &next)) != NULL && eol > p; p = next) {
		if (*p == ' ' || *p == '\t')
			return 400;   /* obsolete line folding, RFC 9112 5.2 */
		if ((rc = parse_header(p, eol, req, &seen)))
			return rc;
	}
	if (req->minor >= 1 && seen.host != 1)
		return 400;   /* RFC 9112 3.2: Host is required in HTTP/1.1 */
	if (seen.encoding)
		return seen.length ? 400 : 501; /* both at once is request smuggling */
	return 0;
}

/* Find the blank line that ends the head; return the byte after it. */
static const char *
head_end(const char *p, const char *end)
{
	const char *next;

	while (line_end(p, end, &next) != NULL) {
		if (next - p <= 2 && (*p == '\n' || (p[0] == '\r' && p[1] == '\n')))
			return next;
		p = next;
	}
	return NULL;
}

long
http_parse(const char *buf, size_t len, struct http_request *req)
{
	const char *p = buf, *end = buf + len, *eol, *body, *next;
	int rc;

	/* RFC 9112 2.2: ignore empty lines before a request-line. */
	while (p < end && (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')))
		p += *p == '\r' ? 2 : 1;
	eol = line_end(p, end, &next);
	if (eol == NULL)
		return (size_t)(end - p) > REQUEST_LINE_MAX ? -414 : 0;
	if (eol - p > REQUEST_LINE_MAX)
		return -414;
	body = head_end(next, end);
	if (body == NULL)
		return (size_t)(end - next) > HEADER_MAX ? -431 : 0;
	if (body - next > HEADER_MAX)
		return -431;
	memset(req, 0, sizeof(*req));
	if ((rc = parse_head(p, body, req)))
		return -rc;
	return (long)(body - buf);
}

static void
http_date(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL || strftime(buf, size, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		buf[0] = '\0';
}

/* Status line and headers; extra holds more header lines or is "". */
static void
format_head(struct http_response *res, const char *type, const char *extra)
{
	char date[64];
	int n;

	http_date(date, sizeof(date));
	n = snprintf(res->head, sizeof(res->head),
	             "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: %s\r\n"
	             "Content-Type: %s\r\nContent-Length: %lld\r\n%s"
	             "Connection: %s\r\n\r\n",
	             res->status, http_reason(res->status), date, SERVER_NAME,
	             type, (long long)res->body_len, extra,
	             res->keep_alive ? "keep-alive" : "close");
	/* Only a Location near RESPONSE_HEAD_MAX could truncate: refuse it. */
	if (n < 0 || (size_t)n >= sizeof(res->head)) {
		res->status = 500;
		res->keep_alive = 0;
		res->body_len = 0;
		format_head(res, "text/plain", "");
		return;
	}
	res->head_len = (size_t)n;
}

/* An HTML page explaining status, appended after the head unless head_only. */
static void
error_page(struct http_response *res, int status, const char *extra, int head_only)
{
	char page[512];
	const struct status *s = status_find(status);
	int n;

	n = snprintf(page, sizeof(page),
	             "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	             "<title>%d %s</title></head>\n<body><h1>%d %s</h1>\n"
	             "<p>%s</p>\n<hr><address>%s</address></body></html>\n",
	             s->code, s->reason, s->code, s->reason, s->why, SERVER_NAME);
	res->status = s->code;
	res->fd = -1;
	res->body_len = n;
	format_head(res, "text/html; charset=utf-8", extra);
	if (!head_only && res->head_len + (size_t)n < sizeof(res->head)) {
		memcpy(res->head + res->head_len, page, (size_t)n);
		res->head_len += (size_t)n;
	}
}

void
http_error(struct http_response *res, int status)
{
	res->keep_alive = 0;
	error_page(res, status, "", 0);
}

static int
method_known(const char *m)
{
	size_t i;

	for (i = 0; i < sizeof(known_methods) / sizeof(known_methods[0]); i++)
		if (strcmp(m, known_methods[i]) == 0)
			return 1;
	return 0;
}

void
http_respond(int root, const struct http_request *req, int keep_alive,
             struct http_response *res)
{
	char extra[REQUEST_LINE_MAX + 64];
	int head_only = strcmp(req->method, "HEAD") == 0;
	struct docroot_file f;
	int status;

	res->keep_alive = keep_alive && req->keep_alive;
	extra[0] = '\0';
	if (!head_only && strcmp(req->method, "GET") != 0) {
		status = method_known(req->method) ? 405 : 501;
		if (status == 405)
			snprintf(extra, sizeof(extra), "Allow: GET, HEAD\r\n");
		error_page(res, status, extra, 0);
		return;
	}
	status = docroot_open(root, req->target, &f);
	if (status == 301) {
		size_t q = strcspn(req->target, "?");

		snprintf(extra, sizeof(extra), "Location: %.*s/%s\r\n",
		         (int)q, req->target, req->target + q);
	}
	if (status != 200) {
		error_page(res, status, extra, head_only);
		return;
	}
	res->status = 200;
	res->body_len = f.size;
	res->fd = -1;
	format_head(res, docroot_mime(f.path), "");
	if (head_only || res->status != 200)
		close(f.fd);
	else
		res->fd = f.fd;
}

void
http_log_line(char *line, size_t size, const char *peer,
              const struct http_request *req, int status, long long bytes)
{
	if (req != NULL && req->method[0] != '\0')
		snprintf(line, size, "%s \"%s %s HTTP/1.%d\" %d %lld", peer,
		         req->method, req->target, req->minor, status, bytes);
	else
		snprintf(line, size, "%s \"-\" %d %lld", peer, status, bytes);
}
