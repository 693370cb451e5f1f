/*
 * http.c: parse a request head from a buffer (RFC 9112) and build the
 * response head, with a small HTML page for every error status (RFC 9110).
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
 * The headers of conditional and range requests are parsed here too, into
 * values (dates as time_t, entity-tags checked and kept, one byte range as
 * numbers), so that common/cond.c compares values and never reads a raw
 * field. A malformed one is not an error: RFC 9110 has each of them
 * ignored or failing safe (see http.h), so the client still gets an answer.
 */
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cond.h"
#include "docroot.h"
#include "filecache.h"
#include "http.h"
#include "lab.h"
#include "net.h"

/*
 * A head is a fixed part (status line, Date, Server, Content-Type,
 * Content-Length, Connection: under HEAD_FIXED_MAX bytes), extra headers
 * (at longest a Location built from the whole target; a file's validators
 * and Content-Range are shorter), and for an error an HTML page. The buffer
 * must hold all three, so format_head cannot truncate.
 */
#define HEAD_FIXED_MAX  512
#define EXTRA_MAX       (sizeof("Location: /\r\n") + REQUEST_LINE_MAX)
#define ERROR_PAGE_MAX  512
#define FILE_HEADERS_MAX 320    /* a file's validators and Content-Range: 244 at most */
_Static_assert(HEAD_FIXED_MAX + EXTRA_MAX + ERROR_PAGE_MAX <= RESPONSE_HEAD_MAX,
               "RESPONSE_HEAD_MAX must hold a head with a Location and an error page");
/* peer "request line" status bytes: the line is cut to REQUEST_LINE_MAX, the rest is under 48. */
_Static_assert(LOG_LINE_MAX >= NET_PEER_MAX + REQUEST_LINE_MAX + 48,
               "LOG_LINE_MAX must hold a peer, the request line and the status");

/* A file kept by common/filecache.c goes out behind its head, in the buffer. */
_Static_assert(HEAD_FIXED_MAX + FILE_HEADERS_MAX + FILECACHE_FILE_MAX <= RESPONSE_HEAD_MAX,
               "RESPONSE_HEAD_MAX must hold a 200 head and a kept file");

#define ALLOW_HEADER    "Allow: GET, HEAD\r\n"

struct status {
	enum http_status code;
	const char *reason;
	const char *why;        /* one sentence for the error page */
};

static const struct status statuses[] = {
	{ HTTP_OK, "OK", "" },
	{ HTTP_PARTIAL_CONTENT, "Partial Content", "" },
	{ HTTP_MOVED_PERMANENTLY, "Moved Permanently", "The resource lives at the address in the Location header." },
	{ HTTP_SEE_OTHER, "See Other", "The answer is at the address in the Location header." },
	{ HTTP_NOT_MODIFIED, "Not Modified", "" },
	{ HTTP_BAD_REQUEST, "Bad Request", "The request is not valid HTTP/1.1." },
	{ HTTP_FORBIDDEN, "Forbidden", "This path is outside what the server may show." },
	{ HTTP_NOT_FOUND, "Not Found", "There is no file at this path." },
	{ HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed", "This server only answers GET and HEAD." },
	{ HTTP_REQUEST_TIMEOUT, "Request Timeout", "The request did not arrive in time." },
	{ HTTP_PRECONDITION_FAILED, "Precondition Failed", "The file is not the version the request names." },
	{ HTTP_CONTENT_TOO_LARGE, "Content Too Large", "The request body is larger than the server accepts." },
	{ HTTP_URI_TOO_LONG, "URI Too Long", "The request target is longer than the server accepts." },
	{ HTTP_UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type", "The request body is not in a form this address accepts." },
	{ HTTP_RANGE_NOT_SATISFIABLE, "Range Not Satisfiable", "The requested range starts beyond the end of the file." },
	{ HTTP_EXPECTATION_FAILED, "Expectation Failed", "The server cannot meet the request's Expect header." },
	{ HTTP_HEADERS_TOO_LARGE, "Request Header Fields Too Large", "The request headers are larger than the server accepts." },
	{ HTTP_INTERNAL_ERROR, "Internal Server Error", "The server failed while answering." },
	{ HTTP_NOT_IMPLEMENTED, "Not Implemented", "The server does not implement this feature." },
	{ HTTP_UNAVAILABLE, "Service Unavailable", "The server is out of resources; try again shortly." },
	{ HTTP_VERSION_NOT_SUPPORTED, "HTTP Version Not Supported", "This server speaks HTTP/1.0 and HTTP/1.1 only." },
};

/* Methods RFC 9110 defines: known but refused with 405, the rest get 501. */
static const char *const known_methods[] = {
	"POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
};

/* Whether a head carries a body in the response, or only its headers (HEAD). */
enum http_body {
	BODY_SEND,
	BODY_OMIT,
};

static const struct status *
status_find(enum http_status code)
{
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].code == code)
			return &statuses[i];
	return status_find(HTTP_INTERNAL_ERROR);   /* a code we never meant to send */
}

const char *
http_reason(enum http_status status)
{
	return status_find(status)->reason;
}

/* Is c one of the characters in set? (strchr alone would also find NUL.) */
static int
in_set(unsigned char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* RFC 9110 5.6.2: the characters a token (method, header name) may use. */
static int
is_tchar(unsigned char c)
{
	return isalnum(c) || in_set(c, "!#$%&'*+-.^_`|~");
}

/* Does the n bytes at p spell word, in any case? */
static int
word_is(const unsigned char *p, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp((const char *)p, word, n) == 0;
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
static enum http_status
parse_method(const unsigned char *p, const unsigned char *sp, struct http_request *req)
{
	if (sp == p || sp - p > METHOD_MAX)
		return HTTP_BAD_REQUEST;
	for (const unsigned char *c = p; c < sp; c++)
		if (!is_tchar(*c))
			return HTTP_BAD_REQUEST;
	memcpy(req->method, p, (size_t)(sp - p));
	req->method[sp - p] = '\0';
	return HTTP_OK;
}

/* method SP request-target SP HTTP-version, each part checked. */
static enum http_status
parse_request_line(const unsigned char *p, const unsigned char *eol, struct http_request *req)
{
	const unsigned char *sp1, *sp2;
	enum http_status st;
	size_t n;

	sp1 = memchr(p, ' ', (size_t)(eol - p));
	if (sp1 == NULL)
		return HTTP_BAD_REQUEST;
	if ((st = parse_method(p, sp1, req)) != HTTP_OK)
		return st;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return HTTP_BAD_REQUEST;
	n = (size_t)(sp2 - sp1 - 1);
	if (n > REQUEST_LINE_MAX)
		return HTTP_URI_TOO_LONG;
	for (const unsigned char *c = sp1 + 1; c < sp2; c++)
		if (*c <= ' ' || *c >= 0x7f)
			return HTTP_BAD_REQUEST;   /* RFC 3986: a target is printable ASCII */
	memcpy(req->target, sp1 + 1, n);
	req->target[n] = '\0';

	if (eol - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/", 5) != 0 ||
	    !isdigit(sp2[6]) || sp2[7] != '.' || !isdigit(sp2[8]))
		return HTTP_BAD_REQUEST;
	if (sp2[6] != '1')
		return HTTP_VERSION_NOT_SUPPORTED;
	req->minor = sp2[8] - '0';
	req->keep_alive = req->minor >= 1;
	return HTTP_OK;
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
		else if (!isalnum(v[i]) && !in_set(v[i], "-._~!$&'()*+,;="))
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
		if (!isdigit(v[i]) || digits == 5)
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
static enum http_status
check_target(struct http_request *req)
{
	char *t = req->target, *slash;
	const unsigned char *u = (const unsigned char *)t;

	if (strcmp(req->method, "CONNECT") == 0)
		return authority_valid(u, strlen(t), PORT_REQUIRED) ? HTTP_OK : HTTP_BAD_REQUEST;
	if (strcmp(t, "*") == 0)
		return strcmp(req->method, "OPTIONS") == 0 ? HTTP_OK : HTTP_BAD_REQUEST;
	if (strncasecmp(t, "http://", 7) == 0) {
		slash = strchr(t + 7, '/');
		if (slash == NULL)
			slash = "/";
		memmove(t, slash, strlen(slash) + 1);
	}
	return t[0] == '/' ? HTTP_OK : HTTP_BAD_REQUEST;
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
static enum http_status
parse_content_length(const unsigned char *v, size_t len, struct http_request *req, int seen)
{
	long long n = 0;
	size_t i;

	if (len == 0 || len > 18)
		return HTTP_BAD_REQUEST;
	for (i = 0; i < len; i++) {
		if (!isdigit(v[i]))
			return HTTP_BAD_REQUEST;
		n = n * 10 + (v[i] - '0');
	}
	if (seen && n != req->content_length)
		return HTTP_BAD_REQUEST;
	if (n > BODY_MAX)
		return HTTP_CONTENT_TOO_LARGE;
	req->content_length = n;
	return HTTP_OK;
}

/* A cursor over a field value: each take_ function advances it or fails. */
struct cursor {
	const unsigned char *p, *end;
};

static const char *const day_names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const day_names_long[] = {
	"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
};
static const char *const month_names[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* Exactly the bytes of lit (HTTP-date is case-sensitive, RFC 9110 5.6.7). */
static int
take_lit(struct cursor *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return 0;
	c->p += n;
	return 1;
}

/* One of the n words of list: its index, or -1. */
static int
take_word(struct cursor *c, const char *const *list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (take_lit(c, list[i]))
			return i;
	return -1;
}

/* Exactly digits decimal digits. */
static int
take_num(struct cursor *c, int digits, int *n)
{
	int i;

	if (c->end - c->p < digits)
		return 0;
	for (*n = 0, i = 0; i < digits; i++) {
		if (!isdigit(c->p[i]))
			return 0;
		*n = *n * 10 + (c->p[i] - '0');
	}
	c->p += digits;
	return 1;
}

static int
take_month(struct cursor *c, struct tm *tm)
{
	return (tm->tm_mon = take_word(c, month_names, 12)) >= 0;
}

/* "08:49:37" */
static int
take_clock(struct cursor *c, struct tm *tm)
{
	return take_num(c, 2, &tm->tm_hour) && take_lit(c, ":") &&
	       take_num(c, 2, &tm->tm_min) && take_lit(c, ":") && take_num(c, 2, &tm->tm_sec);
}

/* IMF-fixdate after "Sun, ": "06 Nov 1994 08:49:37 GMT". */
static int
take_imf_date(struct cursor *c, struct tm *tm)
{
	return take_num(c, 2, &tm->tm_mday) && take_lit(c, " ") && take_month(c, tm) &&
	       take_lit(c, " ") && take_num(c, 4, &tm->tm_year) && take_lit(c, " ") &&
	       take_clock(c, tm) && take_lit(c, " GMT");
}

/* The obsolete RFC 850 form after "Sunday, ": "06-Nov-94 08:49:37 GMT". */
static int
take_rfc850_date(struct cursor *c, struct tm *tm)
{
	if (!(take_num(c, 2, &tm->tm_mday) && take_lit(c, "-") && take_month(c, tm) &&
	      take_lit(c, "-") && take_num(c, 2, &tm->tm_year) && take_lit(c, " ") &&
	      take_clock(c, tm) && take_lit(c, " GMT")))
		return 0;
	/* Two digits: 70-99 are the 1900s, the rest this century (a fixed window). */
	tm->tm_year += tm->tm_year >= 70 ? 1900 : 2000;
	return 1;
}

/* C's asctime() form after "Sun ": "Nov  6 08:49:37 1994". */
static int
take_asctime_date(struct cursor *c, struct tm *tm)
{
	if (!take_month(c, tm) || !take_lit(c, " "))
		return 0;
	if (!(take_lit(c, " ") ? take_num(c, 1, &tm->tm_mday) : take_num(c, 2, &tm->tm_mday)))
		return 0;
	return take_lit(c, " ") && take_clock(c, tm) && take_lit(c, " ") &&
	       take_num(c, 4, &tm->tm_year);
}

/* UTC fields (full year) to seconds; refuses 31 Feb and 25:00. */
static int
tm_to_time(struct tm *tm, time_t *t)
{
	struct tm back;
	int mday = tm->tm_mday, mon = tm->tm_mon;

	if (tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60)
		return 0;
	if (tm->tm_sec == 60)
		tm->tm_sec = 59;   /* a leap second: the second before it will do */
	tm->tm_year -= 1900;
	*t = timegm(tm);
	/* timegm moves 31 Feb to 3 Mar; converting back shows it did. */
	return gmtime_r(t, &back) != NULL && back.tm_mday == mday && back.tm_mon == mon;
}

int
http_date_parse(const unsigned char *v, size_t len, time_t *t)
{
	struct cursor c = { v, v + len };
	struct tm tm;
	int ok;

	/* RFC 9110 5.6.7: a recipient must accept all three formats. */
	memset(&tm, 0, sizeof(tm));
	if (take_word(&c, day_names_long, 7) >= 0)
		ok = take_lit(&c, ", ") && take_rfc850_date(&c, &tm);
	else if (take_word(&c, day_names, 7) >= 0)
		ok = take_lit(&c, ", ") ? take_imf_date(&c, &tm) :
		     take_lit(&c, " ") && take_asctime_date(&c, &tm);
	else
		ok = 0;
	return ok && c.p == c.end && tm_to_time(&tm, t);
}

/* An entity-tag, [W/] DQUOTE *etagc DQUOTE (RFC 9110 8.8.3): its length, or 0. */
static size_t
etag_len(const unsigned char *v, const unsigned char *end)
{
	const unsigned char *p = v;

	if (end - p >= 2 && p[0] == 'W' && p[1] == '/')
		p += 2;
	if (p == end || *p++ != '"')
		return 0;
	/* etagc: any visible byte but DQUOTE, and obs-text (0x80-0xff). */
	while (p < end && (*p == 0x21 || (*p >= 0x23 && *p != 0x7f)))
		p++;
	if (p == end || *p != '"')
		return 0;
	return (size_t)(p + 1 - v);
}

/* Skip optional whitespace and empty list elements (RFC 9110 5.6.1). */
static const unsigned char *
skip_list_space(const unsigned char *p, const unsigned char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
		p++;
	return p;
}

/* Append one checked entity-tag to tags->list; 431 when it cannot hold it. */
static enum http_status
tags_append(struct http_tags *tags, const unsigned char *tag, size_t n)
{
	if (tags->len + (tags->len > 0) + n > sizeof(tags->list))
		return HTTP_HEADERS_TOO_LARGE;
	if (tags->len > 0)
		tags->list[tags->len++] = ',';
	memcpy(tags->list + tags->len, tag, n);
	tags->len += n;
	return HTTP_OK;
}

/* If-Match, If-None-Match: "*" or 1#entity-tag (a tag may hold a comma). */
static enum http_status
parse_tags(const unsigned char *v, const unsigned char *end, struct http_tags *tags)
{
	enum http_status st;
	size_t n;

	if (end - v == 1 && *v == '*') {
		tags->kind = tags->kind == HTTP_TAGS_ABSENT ? HTTP_TAGS_ANY : HTTP_TAGS_INVALID;
		return HTTP_OK;
	}
	if (tags->kind == HTTP_TAGS_ANY || tags->kind == HTTP_TAGS_INVALID) {
		tags->kind = HTTP_TAGS_INVALID;   /* "*" and a list together */
		return HTTP_OK;
	}
	tags->kind = HTTP_TAGS_LIST;
	for (v = skip_list_space(v, end); v < end; v = skip_list_space(v, end)) {
		if ((n = etag_len(v, end)) == 0)
			break;
		if ((st = tags_append(tags, v, n)) != HTTP_OK)
			return st;
		for (v += n; v < end && (*v == ' ' || *v == '\t'); v++)
			;
		if (v < end && *v != ',')
			break;
	}
	if (v < end)
		tags->kind = HTTP_TAGS_INVALID;
	return HTTP_OK;
}

/* If-Range: an HTTP-date, or a strong entity-tag short enough to be ours. */
static void
parse_if_range(const unsigned char *v, const unsigned char *end,
               struct http_if_range *ir, int repeated)
{
	size_t n = (size_t)(end - v);

	ir->kind = HTTP_IF_RANGE_INVALID;
	if (repeated)
		return;
	if (http_date_parse(v, n, &ir->date)) {
		ir->kind = HTTP_IF_RANGE_DATE;
	} else if (n > 0 && v[0] == '"' && etag_len(v, end) == n && n <= ETAG_MAX) {
		memcpy(ir->etag, v, n);
		ir->etag[n] = '\0';
		ir->kind = HTTP_IF_RANGE_ETAG;
	}
}

/* 1*DIGIT, saturating at HTTP_RANGE_INFINITY; the byte after it, or NULL. */
static const unsigned char *
range_number(const unsigned char *p, const unsigned char *end, long long *n)
{
	const unsigned char *start = p;

	for (*n = 0; p < end && isdigit(*p); p++)
		*n = *n > (HTTP_RANGE_INFINITY - 9) / 10 ? HTTP_RANGE_INFINITY : *n * 10 + (*p - '0');
	return p > start ? p : NULL;
}

/* Range: "bytes=" and one range-spec; anything else leaves it NONE. */
static void
parse_range(const unsigned char *v, const unsigned char *end,
            struct http_range *r, int repeated)
{
	struct http_range got = { HTTP_RANGE_FROM, 0, -1, 0 };
	const unsigned char *p;

	r->kind = HTTP_RANGE_NONE;
	if (repeated || end - v < 6 || !word_is(v, 6, "bytes="))
		return;
	p = skip_list_space(v + 6, end);
	if (p < end && *p == '-') {
		got.kind = HTTP_RANGE_SUFFIX;
		p = range_number(p + 1, end, &got.suffix);
	} else if ((p = range_number(p, end, &got.first)) != NULL && p < end && *p == '-') {
		if (++p < end && isdigit(*p))
			p = range_number(p, end, &got.last);
		if (got.last != -1 && got.last < got.first)
			return;   /* RFC 9110 14.1.1: invalid, so the Range is ignored */
	} else {
		return;
	}
	/* What is left must be empty: a second range is served as the whole file. */
	if (p != NULL && skip_list_space(p, end) == end)
		*r = got;
}

struct header_seen {
	int host, length, encoding;
	int chunked_last;      /* the last Transfer-Encoding ends with chunked */
	int chunked_only;      /* one Transfer-Encoding, and it is just "chunked" */
	int modified_since, unmodified_since, if_range, range;
};

/*
 * The headers of conditional and range requests. A date header given
 * twice is ignored (RFC 9110 13.1.3-4: more than one member), as are two
 * Ranges; two If-Range lines can never hold.
 */
static enum http_status
header_conditional(const unsigned char *name, size_t nl, const unsigned char *v,
                   const unsigned char *ve, struct http_request *req, struct header_seen *seen)
{
	size_t len = (size_t)(ve - v);

	if (word_is(name, nl, "If-Match"))
		return parse_tags(v, ve, &req->if_match);
	if (word_is(name, nl, "If-None-Match"))
		return parse_tags(v, ve, &req->if_none_match);
	if (word_is(name, nl, "If-Modified-Since"))
		req->has_modified_since = !seen->modified_since++ &&
		                          http_date_parse(v, len, &req->modified_since);
	else if (word_is(name, nl, "If-Unmodified-Since"))
		req->has_unmodified_since = !seen->unmodified_since++ &&
		                            http_date_parse(v, len, &req->unmodified_since);
	else if (word_is(name, nl, "If-Range"))
		parse_if_range(v, ve, &req->if_range, seen->if_range++);
	else if (word_is(name, nl, "Range"))
		parse_range(v, ve, &req->range, seen->range++);
	return HTTP_OK;
}

/* Act on the few headers the suite needs; the value runs from v to ve. */
static enum http_status
header_apply(const unsigned char *name, size_t nl, const unsigned char *v,
             const unsigned char *ve, struct http_request *req, struct header_seen *seen)
{
	if (word_is(name, nl, "Host")) {
		/* RFC 9112 3.2: an empty Host is allowed, an invalid one is not. */
		if (seen->host++ || (ve > v && !authority_valid(v, (size_t)(ve - v), PORT_OPTIONAL)))
			return HTTP_BAD_REQUEST;
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
	} else {
		return header_conditional(name, nl, v, ve, req, seen);
	}
	return HTTP_OK;
}

/* name ":" OWS value OWS: check the bytes, then act on the header. */
static enum http_status
parse_header(const unsigned char *p, const unsigned char *eol,
             struct http_request *req, struct header_seen *seen)
{
	const unsigned char *colon = memchr(p, ':', (size_t)(eol - p));
	const unsigned char *v, *ve;

	if (colon == NULL || colon == p)
		return HTTP_BAD_REQUEST;
	for (const unsigned char *c = p; c < colon; c++)
		if (!is_tchar(*c))
			return HTTP_BAD_REQUEST;   /* also rejects a space before the colon */
	for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
		;
	for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
		;
	/* field-vchar is VCHAR or obs-text (0x80-0xff); controls but HTAB are not. */
	for (const unsigned char *c = v; c < ve; c++)
		if ((*c < ' ' && *c != '\t') || *c == 0x7f)
			return HTTP_BAD_REQUEST;
	return header_apply(p, (size_t)(colon - p), v, ve, req, seen);
}

/*
 * How the body is framed. Transfer-Encoding and Content-Length together is
 * request smuggling; Transfer-Encoding in HTTP/1.0 (RFC 9112 6.1) or not
 * ending in chunked (6.3) leaves the body's length unknown: all three are
 * 400, and the connection closes. A chunked body is valid: req->chunked
 * says so, common/body.c reads it, and http_respond, used by the stages that
 * cannot, refuses it with 501.
 */
static enum http_status
check_framing(struct http_request *req, const struct header_seen *seen)
{
	if (!seen->encoding)
		return HTTP_OK;
	if (seen->length || req->minor == 0 || !seen->chunked_last)
		return HTTP_BAD_REQUEST;
	if (!seen->chunked_only)
		return HTTP_NOT_IMPLEMENTED;   /* gzip, say: we decode chunked only */
	req->chunked = 1;
	return HTTP_OK;
}

/* Check every line of a complete head. */
static enum http_status
parse_head(const unsigned char *p, const unsigned char *end, struct http_request *req)
{
	struct header_seen seen = { 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	const unsigned char *eol, *next = NULL;
	enum http_status st;

	eol = line_end(p, end, &next);
	if ((st = parse_request_line(p, eol, req)) != HTTP_OK || (st = check_target(req)) != HTTP_OK)
		return st;
	for (p = next; (eol = line_end(p, end, &next)) != NULL && eol > p; p = next) {
		if (*p == ' ' || *p == '\t')
			return HTTP_BAD_REQUEST;   /* obsolete line folding, RFC 9112 5.2 */
		if ((st = parse_header(p, eol, req, &seen)) != HTTP_OK)
			return st;
	}
	if (req->minor >= 1 && seen.host != 1)
		return HTTP_BAD_REQUEST;   /* RFC 9112 3.2: Host is required in HTTP/1.1 */
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

static enum http_parse_result
parse_error(struct http_request *req, enum http_status status)
{
	req->error = status;
	return HTTP_PARSE_ERROR;
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

/* No conditional or range header seen yet (the lists' bytes need no zeroing). */
static void
reset_conditional(struct http_request *req)
{
	req->if_match.kind = req->if_none_match.kind = HTTP_TAGS_ABSENT;
	req->if_match.len = req->if_none_match.len = 0;
	req->has_modified_since = req->has_unmodified_since = 0;
	req->if_range.kind = HTTP_IF_RANGE_ABSENT;
	req->range = (struct http_range){ HTTP_RANGE_NONE, 0, -1, 0 };
}

enum http_parse_result
http_parse(const char *buf, size_t len, struct http_request *req)
{
	const unsigned char *start = (const unsigned char *)buf, *end = start + len;
	const unsigned char *p = start, *eol, *body, *next;
	enum http_status st;

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
		return parse_error(req, HTTP_BAD_REQUEST);   /* only empty lines */
	if (eol == NULL || eol - start > REQUEST_LINE_MAX)
		return parse_error(req, HTTP_URI_TOO_LONG);
	body = head_end(next, end);
	if (body == NULL && end - next <= HEADER_MAX)
		return HTTP_PARSE_MORE;
	if (body == NULL || body - next > HEADER_MAX)
		return parse_error(req, HTTP_HEADERS_TOO_LARGE);
	/* Field by field: memset would zero the 4 KiB target on every request. */
	req->method[0] = req->target[0] = '\0';
	req->minor = req->keep_alive = 0;
	req->content_length = 0;
	req->chunked = 0;
	req->head_len = 0;
	req->error = HTTP_OK;
	reset_conditional(req);
	if ((st = parse_head(p, body, req)) != HTTP_OK)
		return parse_error(req, st);
	req->head_len = (size_t)(body - start);
	return HTTP_PARSE_DONE;
}

void
http_date_format(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		buf[0] = '\0';
}

/*
 * The Date header (RFC 9110 6.6.1) of the current second. strftime costs
 * more than all the rest of a response head, and the answer changes once a
 * second, so each thread formats it once a second.
 */
const char *
http_date(void)
{
	static _Thread_local char date[40];
	static _Thread_local time_t formatted = -1;
	time_t now = time(NULL);

	if (now != formatted) {
		http_date_format(now, date, sizeof(date));
		formatted = now;
	}
	return date;
}

/*
 * The head is assembled by appending pieces, not by snprintf: a format
 * string is parsed again on every call, and the head is built for every
 * request. Each append returns where the next one goes, or NULL once the
 * buffer is full (and every later append passes the NULL on).
 */
static char *
put_bytes(char *p, const char *end, const char *s, size_t n)
{
	if (p == NULL || n > (size_t)(end - p))
		return NULL;
	memcpy(p, s, n);
	return p + n;
}

static char *
put(char *p, const char *end, const char *s)
{
	return put_bytes(p, end, s, strlen(s));
}

/* A number that is never negative: a status, a Content-Length. */
static char *
put_number(char *p, const char *end, long long v)
{
	char digits[24], *d = digits + sizeof(digits);

	do
		*--d = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	return put_bytes(p, end, d, (size_t)(digits + sizeof(digits) - d));
}

/*
 * Status line and headers; extra holds more header lines or is "". A 304
 * has no body, and RFC 9110 15.4.5 asks for no Content-Type or
 * Content-Length in it: they would describe the file the client already has.
 */
static void
format_head(struct http_response *res, const char *type, const char *extra)
{
	char *p = res->head, *end = res->head + sizeof(res->head) - ERROR_PAGE_MAX;

	p = put(p, end, "HTTP/1.1 ");
	p = put_number(p, end, res->status);
	p = put(put(p, end, " "), end, http_reason(res->status));
	p = put(put(p, end, "\r\nDate: "), end, http_date());
	p = put(p, end, "\r\nServer: " SERVER_NAME "\r\n");
	if (res->status != HTTP_NOT_MODIFIED) {
		p = put(put(put(p, end, "Content-Type: "), end, type), end, "\r\n");
		if (!BUG_NO_CONTENT_LENGTH) {
			p = put(p, end, "Content-Length: ");
			p = put(put_number(p, end, (long long)res->body_len), end, "\r\n");
		}
	}
	p = put(put(p, end, extra), end, res->keep_alive ?
	        "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
	/* The static assertions above make truncation impossible. */
	assert(p != NULL);
	res->head_len = (size_t)(p - res->head);
}

/* An HTML page explaining status, appended after the head unless omitted. */
static void
error_page(struct http_response *res, enum http_status status, const char *extra,
           enum http_body body)
{
	char page[ERROR_PAGE_MAX];
	const struct status *s = status_find(status);
	int n;

	n = snprintf(page, sizeof(page),
	             "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	             "<title>%d %s</title></head>\n<body><h1>%d %s</h1>\n"
	             "<p>%s</p>\n<hr><address>%s</address></body></html>\n",
	             (int)s->code, s->reason, (int)s->code, s->reason, s->why, SERVER_NAME);
	assert(n > 0 && (size_t)n < sizeof(page));   /* the texts are ours, and short */
	res->status = s->code;
	if (BUG_404_AS_200 && status == HTTP_NOT_FOUND)
		res->status = HTTP_OK;   /* the notes' "404" page, sent as a success */
	res->fd = -1;
	res->file_off = 0;
	res->body_len = n;
	format_head(res, "text/html; charset=utf-8", extra);
	if (body == BODY_SEND) {
		memcpy(res->head + res->head_len, page, (size_t)n);
		res->head_len += (size_t)n;
	}
}

void
http_error(struct http_response *res, enum http_status status)
{
	res->keep_alive = 0;
	error_page(res, status, "", BODY_SEND);
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

/* A method other than GET and HEAD: 405 with Allow if RFC 9110 knows it, else 501. */
static void
refuse_method(const struct http_request *req, struct http_response *res)
{
	if (method_known(req->method))
		error_page(res, HTTP_METHOD_NOT_ALLOWED, ALLOW_HEADER, BODY_SEND);
	else
		error_page(res, HTTP_NOT_IMPLEMENTED, "", BODY_SEND);
}

/* "OPTIONS *" asks about the server as a whole (RFC 9110 9.3.7). */
static void
answer_options(struct http_response *res)
{
	res->status = HTTP_OK;
	res->fd = -1;
	res->file_off = 0;
	res->body_len = 0;
	format_head(res, "text/plain; charset=utf-8", ALLOW_HEADER);
}

/*
 * Last-Modified, ETag, Cache-Control, Accept-Ranges, and Content-Range for
 * a 206 or 416. "no-cache" means: keep a copy, but ask before each use. A
 * lab's files change under the editor, and Last-Modified alone lets a
 * browser reuse its copy unasked for a while (heuristic freshness, RFC 9111
 * 4.2.2); asking costs a 304.
 */
static void
file_headers(char *buf, size_t size, const struct cond_validators *v,
             enum http_status status, const struct cond_span *span, off_t file_size)
{
	char date[64], range[128] = "";
	int n;

	http_date_format(v->last_modified, date, sizeof(date));
	if (status == HTTP_PARTIAL_CONTENT)
		snprintf(range, sizeof(range), "Content-Range: bytes %lld-%lld/%lld\r\n",
		         (long long)span->first, (long long)(span->first + span->len - 1),
		         (long long)file_size);
	else if (status == HTTP_RANGE_NOT_SATISFIABLE)
		snprintf(range, sizeof(range), "Content-Range: bytes */%lld\r\n", (long long)file_size);
	n = snprintf(buf, size, "Last-Modified: %s\r\nETag: %s\r\nCache-Control: no-cache\r\n%s%s",
	             date, v->etag,
	             status == HTTP_NOT_MODIFIED ? "" : "Accept-Ranges: bytes\r\n", range);
	assert(n > 0 && (size_t)n < size);   /* FILE_HEADERS_MAX holds the longest */
}

/*
 * A regular file: its validators, then the preconditions and the range in
 * the order of RFC 9110 13.2.2, then the head. Takes ownership of f->fd:
 * it is left in res->fd only if the body is to be sent.
 */
static void
respond_file(const struct http_request *req, const struct docroot_file *f,
             enum http_body body, struct http_response *res)
{
	char extra[FILE_HEADERS_MAX];
	struct cond_validators v;
	struct cond_span span = { 0, f->st.st_size };
	enum http_status status;

	cond_validators(&f->st, time(NULL), &v);
	status = cond_check(req, &v);
	if (status == HTTP_OK)
		status = cond_range(req, &v, f->st.st_size, &span);
	file_headers(extra, sizeof(extra), &v, status, &span, f->st.st_size);
	if (status == HTTP_PRECONDITION_FAILED || status == HTTP_RANGE_NOT_SATISFIABLE) {
		error_page(res, status, status == HTTP_RANGE_NOT_SATISFIABLE ? extra : "", body);
	} else {
		res->status = status;
		res->file_off = span.first;
		res->body_len = status == HTTP_NOT_MODIFIED ? 0 : span.len;
		res->fd = body == BODY_SEND && status != HTTP_NOT_MODIFIED ? f->fd : -1;
		format_head(res, f->type, extra);
		if (f->data != NULL && res->fd == -1 && body == BODY_SEND && res->body_len > 0) {
			/* A kept small file (or its range) goes out in the same send as its head. */
			memcpy(res->head + res->head_len, f->data + span.first, (size_t)span.len);
			res->head_len += (size_t)span.len;
		}
	}
	if (f->fd != -1 && res->fd != f->fd)
		close(f->fd);
}

void
http_respond(int root, const struct http_request *req, enum http_conn conn,
             struct http_response *res)
{
	char extra[EXTRA_MAX];
	enum http_body body = strcmp(req->method, "HEAD") == 0 ? BODY_OMIT : BODY_SEND;
	struct docroot_file f;
	enum http_status status;
	int n;

	res->keep_alive = conn == HTTP_CONN_KEEP && req->keep_alive;
	if (req->chunked) {
		/* The stage cannot find the end of a chunked body to skip it. */
		http_error(res, HTTP_NOT_IMPLEMENTED);
		return;
	}
	if (strcmp(req->target, "*") == 0) {
		answer_options(res);
		return;
	}
	if (body == BODY_SEND && strcmp(req->method, "GET") != 0) {
		refuse_method(req, res);
		return;
	}
	status = filecache_open(root, req->target, &f);
	if (status == HTTP_MOVED_PERMANENTLY) {
		size_t q = strcspn(req->target, "?");

		n = snprintf(extra, sizeof(extra), "Location: %.*s/%s\r\n",
		             (int)q, req->target, req->target + q);
		assert(n > 0 && (size_t)n < sizeof(extra));   /* EXTRA_MAX fits any target */
	}
	if (status != HTTP_OK) {
		error_page(res, status, status == HTTP_MOVED_PERMANENTLY ? extra : "", body);
		return;
	}
	respond_file(req, &f, body, res);
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

void
http_log_line(char *line, size_t size, const char *peer, const char *in,
              size_t in_len, enum http_status status, long long bytes)
{
	char request[REQUEST_LINE_MAX];

	log_request_line(request, sizeof(request), in, in_len);
	/* LOG_LINE_MAX holds any line (asserted above); a smaller size truncates. */
	snprintf(line, size, "%s \"%s\" %d %lld", peer, request, (int)status, bytes);
}

void
http_log_silent(char *line, size_t size, const char *peer, int seconds)
{
	snprintf(line, size, "%s closed: silent for %d s", peer, seconds);
}
