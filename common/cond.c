/*
 * cond.c: the second visit is a 304, a video can seek.
 *
 * A validator names one version of a file, so a client holding a copy can
 * ask "is mine still current?" (If-None-Match, If-Modified-Since: answered
 * by a 304 of a few hundred bytes instead of the file), or "only if mine is
 * current" (If-Match, If-Unmodified-Since: 412 otherwise), or "these bytes,
 * of this version" (Range and If-Range: a 206 with just those bytes).
 *
 * Last-Modified is the mtime, to the second. The ETag is finer and strong
 * (it promises the same bytes): the inode, the size and the mtime with its
 * nanoseconds. An edit changes the mtime; the size catches an edit within
 * one tick of the file system's clock that changed the length; the inode
 * catches a file replaced by rename (how editors and deploys save), even
 * when the new one carries an old mtime (cp -p, tar, rsync). The device
 * number is left out: it can change when a disk is mounted again, which
 * would make every cached copy look stale. The ctime is left out too: a
 * chmod changes it, not the bytes.
 *
 * The parser (http.c) only records these headers; cond_parse reads them
 * into values here (dates as time_t, entity-tags checked and kept, one
 * byte range as numbers), so that the checks compare values and never a
 * raw field. A malformed one is not an error: RFC 9110 has each of them
 * ignored or failing safe, so the client still gets an answer.
 */
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cond.h"
#include "date.h"

/* Weak comparison ignores W/ (If-None-Match); strong refuses weak tags. */
enum cond_compare {
	COMPARE_STRONG,
	COMPARE_WEAK,
};

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
tags_append(struct cond_tags *tags, const unsigned char *tag, size_t n)
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
parse_tags(const unsigned char *v, const unsigned char *end, struct cond_tags *tags)
{
	enum http_status st;
	size_t n;

	if (end - v == 1 && *v == '*') {
		tags->kind = tags->kind == COND_TAGS_ABSENT ? COND_TAGS_ANY : COND_TAGS_INVALID;
		return HTTP_OK;
	}
	if (tags->kind == COND_TAGS_ANY || tags->kind == COND_TAGS_INVALID) {
		tags->kind = COND_TAGS_INVALID;   /* "*" and a list together */
		return HTTP_OK;
	}
	tags->kind = COND_TAGS_LIST;
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
		tags->kind = COND_TAGS_INVALID;
	return HTTP_OK;
}

/* If-Range: an HTTP-date, or a strong entity-tag short enough to be ours. */
static void
parse_if_range(const unsigned char *v, const unsigned char *end,
               struct cond_if_range *ir, int repeated)
{
	size_t n = (size_t)(end - v);

	ir->kind = COND_IF_RANGE_INVALID;
	if (repeated)
		return;
	if (date_parse(v, n, &ir->date)) {
		ir->kind = COND_IF_RANGE_DATE;
	} else if (n > 0 && v[0] == '"' && etag_len(v, end) == n && n <= ETAG_MAX) {
		memcpy(ir->etag, v, n);
		ir->etag[n] = '\0';
		ir->kind = COND_IF_RANGE_ETAG;
	}
}

/* 1*DIGIT, saturating at COND_RANGE_INFINITY; the byte after it, or NULL. */
static const unsigned char *
range_number(const unsigned char *p, const unsigned char *end, long long *n)
{
	const unsigned char *start = p;

	for (*n = 0; p < end && isdigit(*p); p++)
		*n = *n > (COND_RANGE_INFINITY - 9) / 10 ? COND_RANGE_INFINITY : *n * 10 + (*p - '0');
	return p > start ? p : NULL;
}

/* Range: "bytes=" and one range-spec; anything else leaves it NONE. */
static void
parse_range(const unsigned char *v, const unsigned char *end,
            struct cond_range_spec *r, int repeated)
{
	struct cond_range_spec got = { COND_RANGE_FROM, 0, -1, 0 };
	const unsigned char *p;

	r->kind = COND_RANGE_NONE;
	if (repeated || end - v < 6 || !http_word_is((const char *)v, 6, "bytes="))
		return;
	p = skip_list_space(v + 6, end);
	if (p < end && *p == '-') {
		got.kind = COND_RANGE_SUFFIX;
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


/*
 * The conditional and range headers of req. A date header given twice is
 * ignored (RFC 9110 13.1.3-4: more than one member), as are two Ranges;
 * two If-Range lines can never hold. 431 when the entity-tags of If-Match
 * or If-None-Match are more than ETAG_LIST_MAX bytes; else HTTP_OK.
 */
enum http_status
cond_parse(const struct http_request *req, struct cond_request *c)
{
	const struct http_header *h, *end = req->headers + req->header_count;
	int modified = 0, unmodified = 0, if_range = 0, range = 0;
	enum http_status st = HTTP_OK;

	c->method = strcmp(req->method, "GET") == 0 ? COND_GET :
	            strcmp(req->method, "HEAD") == 0 ? COND_HEAD : COND_OTHER;
	c->if_match.kind = c->if_none_match.kind = COND_TAGS_ABSENT;
	c->if_match.len = c->if_none_match.len = 0;
	c->has_modified_since = c->has_unmodified_since = 0;
	c->if_range.kind = COND_IF_RANGE_ABSENT;
	c->range = (struct cond_range_spec){ COND_RANGE_NONE, 0, -1, 0 };
	for (h = req->headers; h < end && st == HTTP_OK; h++) {
		const unsigned char *v = (const unsigned char *)h->value, *ve = v + h->value_len;

		/* Each of them begins with I or R: most headers are passed over at once. */
		if ((h->name[0] | 0x20) != 'i' && (h->name[0] | 0x20) != 'r')
			continue;
		if (http_word_is(h->name, h->name_len, "If-Match"))
			st = parse_tags(v, ve, &c->if_match);
		else if (http_word_is(h->name, h->name_len, "If-None-Match"))
			st = parse_tags(v, ve, &c->if_none_match);
		else if (http_word_is(h->name, h->name_len, "If-Modified-Since"))
			c->has_modified_since = !modified++ && date_parse(v, h->value_len, &c->modified_since);
		else if (http_word_is(h->name, h->name_len, "If-Unmodified-Since"))
			c->has_unmodified_since = !unmodified++ &&
			                          date_parse(v, h->value_len, &c->unmodified_since);
		else if (http_word_is(h->name, h->name_len, "If-Range"))
			parse_if_range(v, ve, &c->if_range, if_range++);
		else if (http_word_is(h->name, h->name_len, "Range"))
			parse_range(v, ve, &c->range, range++);
	}
	return st;
}

/* v in hex, lower case, at p; where the next byte goes. */
static char *
put_hex(char *p, unsigned long long v)
{
	char digits[16], *d = digits + sizeof(digits);

	do
		*--d = "0123456789abcdef"[v & 15];
	while ((v >>= 4) > 0);
	memcpy(p, d, (size_t)(digits + sizeof(digits) - d));
	return p + (digits + sizeof(digits) - d);
}

/*
 * Built by hand, not with snprintf: with no file cache (01-05) this runs
 * for every request, and a format string is parsed again each time.
 */
void
cond_validators(const struct stat *st, time_t now, struct cond_validators *v)
{
	char *p = v->etag;
	size_t n;

	/* RFC 9110 8.8.2.1: a modification time in the future is sent as now. */
	v->last_modified = st->st_mtim.tv_sec < now ? st->st_mtim.tv_sec : now;
	/* At most 2 + 3 * 16 + 3 + 8 = 61 bytes (ETAG_MAX is 64). */
	*p++ = '"';
	p = put_hex(p, (unsigned long long)st->st_ino);
	*p++ = '-';
	p = put_hex(p, (unsigned long long)st->st_size);
	*p++ = '-';
	p = put_hex(p, (unsigned long long)st->st_mtim.tv_sec);
	*p++ = '.';
	p = put_hex(p, (unsigned long long)st->st_mtim.tv_nsec);
	*p++ = '"';
	*p = '\0';
	/* The two header lines, ready to go into a head. */
	p = v->fields;
	memcpy(p, "Last-Modified: ", 15);
	date_format(v->last_modified, p + 15, DATE_MAX);
	p += 15 + strlen(p + 15);
	memcpy(p, "\r\nETag: ", 8);
	n = strlen(v->etag);
	memcpy(p + 8, v->etag, n);
	memcpy(p + 8 + n, "\r\n", 3);
	v->fields_len = (size_t)(p + 8 + n + 2 - v->fields);
}

/* Does tags hold etag? The list was checked by the parser: [W/]"...",... */
static int
tags_match(const struct cond_tags *tags, const char *etag, enum cond_compare how)
{
	const char *p = tags->list, *end = p + tags->len, *quote;
	size_t n = strlen(etag);
	int weak;

	if (tags->kind == COND_TAGS_ANY)
		return 1;   /* "*": the file exists, which is all it asks */
	if (tags->kind != COND_TAGS_LIST)
		return 0;
	while (p < end) {
		weak = *p == 'W';
		p += weak ? 2 : 0;
		/* An opaque-tag holds no '"', so the next one closes it. */
		quote = end - p > 1 ? memchr(p + 1, '"', (size_t)(end - p - 1)) : NULL;
		if (quote == NULL)
			return 0;
		if ((!weak || how == COMPARE_WEAK) && (size_t)(quote + 1 - p) == n &&
		    memcmp(p, etag, n) == 0)
			return 1;
		p = quote + 1;
		p += p < end;   /* and the comma */
	}
	return 0;
}

enum http_status
cond_check(const struct cond_request *req, const struct cond_validators *v)
{
	int get_or_head = req->method == COND_GET || req->method == COND_HEAD;

	/* Steps 1-2: act only on the version the client names. */
	if (req->if_match.kind != COND_TAGS_ABSENT) {
		if (!tags_match(&req->if_match, v->etag, COMPARE_STRONG))
			return HTTP_PRECONDITION_FAILED;
	} else if (req->has_unmodified_since && v->last_modified > req->unmodified_since) {
		return HTTP_PRECONDITION_FAILED;
	}
	/* Steps 3-4: the client has this version already; If-None-Match wins. */
	if (req->if_none_match.kind != COND_TAGS_ABSENT) {
		if (tags_match(&req->if_none_match, v->etag, COMPARE_WEAK))
			return get_or_head ? HTTP_NOT_MODIFIED : HTTP_PRECONDITION_FAILED;
	} else if (req->has_modified_since && get_or_head &&
	           v->last_modified <= req->modified_since) {
		return HTTP_NOT_MODIFIED;
	}
	return HTTP_OK;
}

/*
 * RFC 9110 13.1.5: a range only of the version the client has a part of.
 * A date is compared exactly: a client sends one only when its copy was
 * fetched at least a second after that time (8.8.2.2), so it is strong.
 */
static int
if_range_holds(const struct cond_if_range *ir, const struct cond_validators *v)
{
	switch (ir->kind) {
	case COND_IF_RANGE_ABSENT:
		return 1;
	case COND_IF_RANGE_DATE:
		return ir->date == v->last_modified;
	case COND_IF_RANGE_ETAG:
		return strcmp(ir->etag, v->etag) == 0;
	case COND_IF_RANGE_INVALID:
		break;
	}
	return 0;
}

enum http_status
cond_range(const struct cond_request *req, const struct cond_validators *v,
           off_t size, struct cond_span *span)
{
	const struct cond_range_spec *r = &req->range;
	long long first, last;

	span->first = 0;
	span->len = size;
	/* 14.2: GET is the only method with ranges; HEAD describes the whole. */
	if (r->kind == COND_RANGE_NONE || req->method != COND_GET ||
	    !if_range_holds(&req->if_range, v))
		return HTTP_OK;
	if (r->kind == COND_RANGE_SUFFIX) {
		if (r->suffix == 0)
			return HTTP_RANGE_NOT_SATISFIABLE;
		if (size == 0)
			return HTTP_OK;   /* satisfiable, but no 206 can say "no bytes" */
		first = r->suffix < size ? size - r->suffix : 0;
		last = size - 1;
	} else {
		if (r->first >= size)
			return HTTP_RANGE_NOT_SATISFIABLE;
		first = r->first;
		last = r->last == -1 || r->last >= size ? size - 1 : r->last;
	}
	span->first = first;
	span->len = last - first + 1;
	return HTTP_PARTIAL_CONTENT;
}
