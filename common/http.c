/*
 * http.c: parse a request head from a buffer (RFC 9112), and name the
 * statuses (RFC 9110 15).
 *
 * The parser is strict where leniency has let attackers in before: one
 * space between request-line parts, no whitespace before a header's colon,
 * no folded header lines, one valid Host, one Content-Length value, and a
 * Transfer-Encoding only where its framing is clear. It is lenient where
 * the RFC allows it: a bare LF ends a line, empty lines before a request are
 * skipped, and a field value may hold any byte from 0x80 up (obs-text, such
 * as UTF-8). Every byte is read as unsigned char: with plain char, which is
 * signed on x86-64 and unsigned on arm64, "café" would be refused on one
 * machine and served on the other.
 *
 * It acts on the few headers that frame the message (Host, Connection,
 * Content-Length, Transfer-Encoding, Expect) and records every header's
 * name and value as it goes; the rest are for whoever needs them.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "http.h"

static const struct {
	enum http_status code;
	const char *reason;
} reasons[] = {
	{ HTTP_OK, "OK" },
	{ HTTP_PARTIAL_CONTENT, "Partial Content" },
	{ HTTP_MOVED_PERMANENTLY, "Moved Permanently" },
	{ HTTP_FOUND, "Found" },
	{ HTTP_SEE_OTHER, "See Other" },
	{ HTTP_NOT_MODIFIED, "Not Modified" },
	{ HTTP_TEMPORARY_REDIRECT, "Temporary Redirect" },
	{ HTTP_PERMANENT_REDIRECT, "Permanent Redirect" },
	{ HTTP_BAD_REQUEST, "Bad Request" },
	{ HTTP_FORBIDDEN, "Forbidden" },
	{ HTTP_NOT_FOUND, "Not Found" },
	{ HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed" },
	{ HTTP_REQUEST_TIMEOUT, "Request Timeout" },
	{ HTTP_PRECONDITION_FAILED, "Precondition Failed" },
	{ HTTP_CONTENT_TOO_LARGE, "Content Too Large" },
	{ HTTP_URI_TOO_LONG, "URI Too Long" },
	{ HTTP_UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type" },
	{ HTTP_RANGE_NOT_SATISFIABLE, "Range Not Satisfiable" },
	{ HTTP_EXPECTATION_FAILED, "Expectation Failed" },
	{ HTTP_HEADERS_TOO_LARGE, "Request Header Fields Too Large" },
	{ HTTP_INTERNAL_ERROR, "Internal Server Error" },
	{ HTTP_NOT_IMPLEMENTED, "Not Implemented" },
	{ HTTP_UNAVAILABLE, "Service Unavailable" },
	{ HTTP_VERSION_NOT_SUPPORTED, "HTTP Version Not Supported" },
};

const char *
http_reason(enum http_status status)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == status)
			return reasons[i].reason;
	return http_reason(HTTP_INTERNAL_ERROR);   /* a code we never meant to send */
}

/*
 * What each ASCII byte may be, a bit per use: TOKEN, a character of a
 * token such as a method or a header name (RFC 9110 5.6.2); HOST, of a
 * host name (RFC 3986 3.2.2, a "%" escape aside). A table, not isalnum and
 * strchr: the parser asks this of every byte of every name, and isalnum
 * also consults the locale, through a function call per byte.
 */
enum {
	TOKEN = 1,
	HOST = 2,
	BOTH = TOKEN | HOST,
};

static const unsigned char ascii[128] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,     /* controls */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* space ! " # $ % & ' ( ) * + , - . / */
	0, BOTH, 0, TOKEN, BOTH, TOKEN, BOTH, BOTH, HOST, HOST, BOTH, BOTH, HOST, BOTH, BOTH, 0,
	/* 0-9, then : ; < = > ? */
	BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, 0, HOST, 0, HOST, 0, 0,
	/* @, A-O */
	0, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH,
	/* P-Z, then [ \ ] ^ _ */
	BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, 0, 0, 0, TOKEN, BOTH,
	/* `, a-o */
	TOKEN, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH,
	/* p-z, then { | } ~ DEL */
	BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, BOTH, 0, TOKEN, 0, BOTH, 0,
};

static int
is_tchar(unsigned char c)
{
	return c < 128 && (ascii[c] & TOKEN);
}

static int
is_hostchar(unsigned char c)
{
	return c < 128 && (ascii[c] & HOST);
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Does the n bytes at p spell word, in any case? (Inlined, strlen of a literal is free.) */
static int
word_is(const unsigned char *p, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp((const char *)p, word, n) == 0;
}

int
http_word_is(const char *s, size_t n, const char *word)
{
	return word_is((const unsigned char *)s, n, word);
}

int
http_is_token(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return 0;
	return n > 0;
}

/* Return the end of the line starting at p (before CRLF or LF), or NULL. */
static const unsigned char *
line_end(const unsigned char *p, const unsigned char *end, const unsigned char **next)
{
	const unsigned char *lf = memchr(p, '\n', (size_t)(end - p));

	if (lf == NULL)
		return NULL;
	*next = lf + 1;
	return (lf > p && lf[-1] == '\r') ? lf - 1 : lf;
}

/* The method: a token of at most METHOD_MAX characters. */
static enum http_fault
parse_method(const unsigned char *p, const unsigned char *sp, struct http_request *req)
{
	if (sp == p || sp - p > METHOD_MAX)
		return HTTP_FAULT_METHOD;
	for (const unsigned char *c = p; c < sp; c++)
		if (!is_tchar(*c))
			return HTTP_FAULT_METHOD;
	memcpy(req->method, p, (size_t)(sp - p));
	req->method[sp - p] = '\0';
	return HTTP_FAULT_NONE;
}

/* HTTP-version: "HTTP/" DIGIT "." DIGIT, in capitals (RFC 9112 2.3). */
static enum http_fault
parse_version(const unsigned char *v, const unsigned char *eol, struct http_request *req)
{
	if (eol - v != 8 || !is_digit(v[5]) || v[6] != '.' || !is_digit(v[7]))
		return HTTP_FAULT_VERSION;
	if (memcmp(v, "HTTP/", 5) != 0)
		return strncasecmp((const char *)v, "HTTP/", 5) == 0 ?
		       HTTP_FAULT_VERSION_CASE : HTTP_FAULT_VERSION;
	if (v[5] != '1')
		return HTTP_FAULT_VERSION_MAJOR;
	req->minor = v[7] - '0';
	req->keep_alive = req->minor >= 1;
	return HTTP_FAULT_NONE;
}

/* method SP request-target SP HTTP-version, each part checked. */
static enum http_fault
parse_request_line(const unsigned char *p, const unsigned char *eol, struct http_request *req)
{
	const unsigned char *sp1, *sp2;
	enum http_fault f;
	size_t n;

	sp1 = memchr(p, ' ', (size_t)(eol - p));
	if (sp1 == NULL)
		return HTTP_FAULT_REQUEST_LINE;
	if ((f = parse_method(p, sp1, req)) != HTTP_FAULT_NONE)
		return f;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	/* A third space is most often one inside the target, unencoded. */
	if (sp2 == NULL || sp2 == sp1 + 1 || memchr(sp2 + 1, ' ', (size_t)(eol - sp2 - 1)) != NULL)
		return HTTP_FAULT_REQUEST_LINE;
	n = (size_t)(sp2 - sp1 - 1);
	if (n > REQUEST_LINE_MAX)
		return HTTP_FAULT_LINE_TOO_LONG;
	for (const unsigned char *c = sp1 + 1; c < sp2; c++)
		if (*c <= ' ' || *c >= 0x7f)
			return HTTP_FAULT_TARGET_BYTE;   /* RFC 3986: a target is printable ASCII */
	memcpy(req->target, sp1 + 1, n);
	req->target[n] = '\0';
	return parse_version(sp2 + 1, eol, req);
}

/* Whether an authority may leave out its ":port" (Host) or not (CONNECT). */
enum port_rule {
	PORT_OPTIONAL,
	PORT_REQUIRED,
};

/* uri-host: "[" IPv6 "]", or a reg-name (RFC 3986 3.2.2); its length, or 0. */
static size_t
host_len(const unsigned char *v, size_t len)
{
	size_t i;

	if (len > 0 && v[0] == '[') {
		for (i = 1; i < len && v[i] != ']'; i++)
			if (!isxdigit(v[i]) && v[i] != ':' && v[i] != '.')
				return 0;
		return i < len && i > 1 ? i + 1 : 0;
	}
	for (i = 0; i < len && v[i] != ':'; i++) {
		if (v[i] == '%' && i + 2 < len && isxdigit(v[i + 1]) && isxdigit(v[i + 2]))
			i += 2;
		else if (!is_hostchar(v[i]))
			return 0;   /* a space, "/", "@", a control character... */
	}
	return i;
}

/* host [":" port], the port 0-65535 (RFC 9110 7.2, RFC 9112 3.2.3). */
static int
authority_valid(const unsigned char *v, size_t len, enum port_rule rule)
{
	size_t i = host_len(v, len), digits = 0;
	unsigned long port = 0;

	if (i == 0)
		return 0;
	if (i == len)
		return rule == PORT_OPTIONAL;
	if (v[i] != ':')
		return 0;
	for (i++; i < len; i++, digits++) {
		if (!is_digit(v[i]) || digits == 5)
			return 0;
		port = port * 10 + (unsigned long)(v[i] - '0');
	}
	return port <= 65535 && (digits > 0 || rule == PORT_OPTIONAL);
}

/*
 * The four forms of RFC 9112 3.2: origin-form (/path) for every method,
 * absolute-form (http://host/path) served from its path, authority-form
 * (host:port) for CONNECT only, asterisk-form (*) for OPTIONS only.
 */
static enum http_fault
check_target(struct http_request *req)
{
	char *t = req->target, *slash;
	const unsigned char *u = (const unsigned char *)t;

	if (strcmp(req->method, "CONNECT") == 0)
		return authority_valid(u, strlen(t), PORT_REQUIRED) ? HTTP_FAULT_NONE : HTTP_FAULT_CONNECT;
	if (strcmp(t, "*") == 0)
		return strcmp(req->method, "OPTIONS") == 0 ? HTTP_FAULT_NONE : HTTP_FAULT_ASTERISK;
	if (strncasecmp(t, "http://", 7) == 0) {
		slash = strchr(t + 7, '/');
		if (slash == NULL)
			slash = "/";
		memmove(t, slash, strlen(slash) + 1);
	}
	return t[0] == '/' ? HTTP_FAULT_NONE : HTTP_FAULT_TARGET_FORM;
}

/*
 * Walk the comma-separated list in value: each call sets *item and *n to
 * the next element (surrounding spaces trimmed) and returns the position
 * after it, or NULL when the list is done.
 */
static const unsigned char *
list_next(const unsigned char *v, const unsigned char *end,
          const unsigned char **item, size_t *n)
{
	const unsigned char *stop;

	while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
		v++;
	if (v == end)
		return NULL;
	for (stop = v; stop < end && *stop != ','; stop++)
		;
	*item = v;
	v = stop;
	while (stop > *item && (stop[-1] == ' ' || stop[-1] == '\t'))
		stop--;
	*n = (size_t)(stop - *item);
	return v;
}

/* Does the comma-separated list from v to end contain token (any case)? */
static int
list_has(const unsigned char *v, const unsigned char *end, const char *token)
{
	const unsigned char *item;
	size_t n;

	while ((v = list_next(v, end, &item, &n)) != NULL)
		if (word_is(item, n, token))
			return 1;
	return 0;
}

/* Is the last coding in the list "chunked"? RFC 9112 6.3 asks exactly that. */
static int
list_ends_chunked(const unsigned char *v, const unsigned char *end)
{
	const unsigned char *item = NULL, *last = NULL;
	size_t n, last_n = 0;

	while ((v = list_next(v, end, &item, &n)) != NULL) {
		last = item;
		last_n = n;
	}
	return last != NULL && word_is(last, last_n, "chunked");
}

/* Content-Length is 1*DIGIT; a repeat must carry the same value. */
static enum http_fault
parse_content_length(const unsigned char *v, size_t len, struct http_request *req, int seen)
{
	long long n = 0;
	size_t i;

	if (len == 0 || len > 18)
		return HTTP_FAULT_LENGTH_BAD;
	for (i = 0; i < len; i++) {
		if (!is_digit(v[i]))
			return HTTP_FAULT_LENGTH_BAD;
		n = n * 10 + (v[i] - '0');
	}
	if (seen && n != req->content_length)
		return HTTP_FAULT_LENGTH_CONFLICT;
	if (n > BODY_MAX)
		return HTTP_FAULT_BODY_TOO_LARGE;
	req->content_length = n;
	return HTTP_FAULT_NONE;
}

struct header_seen {
	int host, length, encoding, expect;
	int chunked_last;      /* the last Transfer-Encoding ends with chunked */
	int chunked_only;      /* one Transfer-Encoding, and it is just "chunked" */
};

/* Act on the few headers the suite needs; the value runs from v to ve. */
static enum http_fault
header_apply(const unsigned char *name, size_t nl, const unsigned char *v,
             const unsigned char *ve, struct http_request *req, struct header_seen *seen)
{
	if (word_is(name, nl, "Host")) {
		/* RFC 9112 3.2: an empty Host is allowed, an invalid one is not. */
		if (seen->host++)
			return HTTP_FAULT_HOST_TWICE;
		if (ve > v && !authority_valid(v, (size_t)(ve - v), PORT_OPTIONAL))
			return HTTP_FAULT_HOST_BAD;
	} else if (word_is(name, nl, "Connection")) {
		if (list_has(v, ve, "close"))
			req->keep_alive = 0;
		else if (list_has(v, ve, "keep-alive"))
			req->keep_alive = 1;
	} else if (word_is(name, nl, "Content-Length")) {
		return parse_content_length(v, (size_t)(ve - v), req, seen->length++);
	} else if (word_is(name, nl, "Transfer-Encoding")) {
		seen->chunked_only = !seen->encoding++ && word_is(v, (size_t)(ve - v), "chunked");
		seen->chunked_last = list_ends_chunked(v, ve);
	} else if (word_is(name, nl, "Expect")) {
		/* 100-continue is the only expectation HTTP defines (RFC 9110 10.1.1). */
		req->expect = !seen->expect++ && word_is(v, (size_t)(ve - v), "100-continue") ?
		              HTTP_EXPECT_CONTINUE : HTTP_EXPECT_OTHER;
	}
	return HTTP_FAULT_NONE;
}

/* name ":" OWS value OWS: check the bytes, record the header, act on it. */
static enum http_fault
parse_header(const unsigned char *p, const unsigned char *eol,
             struct http_request *req, struct header_seen *seen)
{
	const unsigned char *colon = memchr(p, ':', (size_t)(eol - p));
	const unsigned char *v, *ve;

	if (colon == NULL)
		return HTTP_FAULT_HEADER_COLON;
	if (colon > p && (colon[-1] == ' ' || colon[-1] == '\t'))
		return HTTP_FAULT_SPACE_BEFORE_COLON;   /* RFC 9112 5.1 */
	if (!http_is_token((const char *)p, (size_t)(colon - p)))
		return HTTP_FAULT_HEADER_NAME;
	for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
		;
	for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
		;
	/*
	 * field-vchar is VCHAR or obs-text (0x80-0xff); controls but HTAB are
	 * not. The first test passes the printable ASCII most values are.
	 */
	for (const unsigned char *c = v; c < ve; c++)
		if ((unsigned char)(*c - ' ') >= 0x5f && *c != '\t' && *c < 0x80)
			return HTTP_FAULT_HEADER_VALUE;
	if (req->header_count == HEADER_LINES_MAX)
		return HTTP_FAULT_TOO_MANY_HEADERS;
	req->headers[req->header_count++] = (struct http_header){
		(const char *)p, (size_t)(colon - p), (const char *)v, (size_t)(ve - v),
	};
	return header_apply(p, (size_t)(colon - p), v, ve, req, seen);
}

/*
 * How the body is framed. Transfer-Encoding and Content-Length together is
 * request smuggling; Transfer-Encoding in HTTP/1.0 (RFC 9112 6.1) or not
 * ending in chunked (6.3) leaves the body's length unknown: all three are
 * 400, and the connection closes. A chunked body is valid: req->chunked
 * says so; 10-framework reads it (common/body.c), and files_respond, for
 * the stages that cannot, refuses it with 501.
 */
static enum http_fault
check_framing(struct http_request *req, const struct header_seen *seen)
{
	if (!seen->encoding)
		return HTTP_FAULT_NONE;
	if (seen->length)
		return HTTP_FAULT_LENGTH_AND_CODING;
	if (req->minor == 0)
		return HTTP_FAULT_CODING_HTTP10;
	if (!seen->chunked_last)
		return HTTP_FAULT_CODING_NOT_CHUNKED;
	if (!seen->chunked_only)
		return HTTP_FAULT_CODING_UNKNOWN;   /* gzip, say: we decode chunked only */
	req->chunked = 1;
	return HTTP_FAULT_NONE;
}

/* Check every line of a complete head. */
static enum http_fault
parse_head(const unsigned char *p, const unsigned char *end, struct http_request *req)
{
	struct header_seen seen = { 0, 0, 0, 0, 0, 0 };
	const unsigned char *eol, *next = NULL;
	enum http_fault f;

	eol = line_end(p, end, &next);
	if ((f = parse_request_line(p, eol, req)) != HTTP_FAULT_NONE ||
	    (f = check_target(req)) != HTTP_FAULT_NONE)
		return f;
	for (p = next; (eol = line_end(p, end, &next)) != NULL && eol > p; p = next) {
		if (*p == ' ' || *p == '\t')
			return HTTP_FAULT_FOLDED;   /* obsolete line folding, RFC 9112 5.2 */
		if ((f = parse_header(p, eol, req, &seen)) != HTTP_FAULT_NONE)
			return f;
	}
	if (req->minor >= 1 && seen.host == 0)
		return HTTP_FAULT_NO_HOST;   /* RFC 9112 3.2: Host is required in HTTP/1.1 */
	return check_framing(req, &seen);
}

/* Find the blank line that ends the head; return the byte after it. */
static const unsigned char *
head_end(const unsigned char *p, const unsigned char *end)
{
	const unsigned char *next;

	while (line_end(p, end, &next) != NULL) {
		if (next - p <= 2 && (*p == '\n' || (p[0] == '\r' && p[1] == '\n')))
			return next;
		p = next;
	}
	return NULL;
}

/* The status each fault is answered with: most break a rule (400), a few a limit. */
static enum http_status
fault_status(enum http_fault fault)
{
	switch (fault) {
	case HTTP_FAULT_LINE_TOO_LONG:
		return HTTP_URI_TOO_LONG;
	case HTTP_FAULT_HEAD_TOO_LARGE:
	case HTTP_FAULT_TOO_MANY_HEADERS:
		return HTTP_HEADERS_TOO_LARGE;
	case HTTP_FAULT_BODY_TOO_LARGE:
		return HTTP_CONTENT_TOO_LARGE;
	case HTTP_FAULT_VERSION_MAJOR:
		return HTTP_VERSION_NOT_SUPPORTED;
	case HTTP_FAULT_CODING_UNKNOWN:
	case HTTP_FAULT_CHUNKED_UNREAD:
	case HTTP_FAULT_METHOD_UNKNOWN:
	case HTTP_FAULT_METHOD_CASE:
		return HTTP_NOT_IMPLEMENTED;
	default:
		return HTTP_BAD_REQUEST;
	}
}

static enum http_parse_result
parse_error(struct http_request *req, enum http_fault fault)
{
	req->error = fault_status(fault);
	req->fault = fault;
	return HTTP_PARSE_ERROR;
}

void
http_timed_out(struct http_request *req)
{
	req->error = HTTP_REQUEST_TIMEOUT;
	req->fault = HTTP_FAULT_NONE;
	req->header_count = 0;
}

int
http_head_ready(const char *buf, size_t len, size_t *scanned)
{
	/* Back two bytes: "\n\r\n" may straddle the previous piece. */
	size_t i = *scanned > 2 ? *scanned - 2 : 0;
	const char *lf;

	while (i < len && (lf = memchr(buf + i, '\n', len - i)) != NULL) {
		i = (size_t)(lf - buf) + 1;
		if (i < len && (buf[i] == '\n' ||
		                (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n')))
			return 1;
	}
	*scanned = len;
	return len > REQUEST_LINE_MAX;
}

enum http_parse_result
http_parse(const char *buf, size_t len, struct http_request *req)
{
	const unsigned char *start = (const unsigned char *)buf, *end = start + len;
	const unsigned char *p = start, *eol, *body, *next;
	enum http_fault fault;

	req->header_count = 0;   /* an error page may look for Accept-Language in them */
	/*
	 * RFC 9112 2.2: skip empty lines before a request-line (a client may
	 * send a CRLF after a body). They count toward REQUEST_LINE_MAX, so
	 * a stream of nothing but empty lines is refused rather than buffered.
	 */
	while (p < end && (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')))
		p += *p == '\r' ? 2 : 1;
	eol = line_end(p, end, &next);
	if (eol == NULL && len <= REQUEST_LINE_MAX)
		return HTTP_PARSE_MORE;
	if (eol == NULL && (p == end || (end - p == 1 && *p == '\r')))
		return parse_error(req, HTTP_FAULT_EMPTY_LINES);
	if (eol == NULL || eol - start > REQUEST_LINE_MAX)
		return parse_error(req, HTTP_FAULT_LINE_TOO_LONG);
	body = head_end(next, end);
	if (body == NULL && end - next <= HEADER_MAX)
		return HTTP_PARSE_MORE;
	if (body == NULL || body - next > HEADER_MAX)
		return parse_error(req, HTTP_FAULT_HEAD_TOO_LARGE);
	/* Field by field: memset would zero the 4 KiB target and the header table. */
	req->method[0] = req->target[0] = '\0';
	req->minor = req->keep_alive = 0;
	req->content_length = 0;
	req->chunked = 0;
	req->expect = HTTP_EXPECT_NONE;
	req->head_len = 0;
	req->error = HTTP_OK;
	req->fault = HTTP_FAULT_NONE;
	if ((fault = parse_head(p, body, req)) != HTTP_FAULT_NONE)
		return parse_error(req, fault);
	req->head_len = (size_t)(body - start);
	return HTTP_PARSE_DONE;
}
