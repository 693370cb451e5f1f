/*
 * fuzz_parse.c: libFuzzer target for common/http.c:http_parse, and for
 * common/cond.c:cond_parse on what it accepts.
 *
 * Beyond "no crash" (ASan and UBSan watch for that), it checks what the
 * servers rely on: an error is a status we have a page for, with a fault
 * that the log line and the page have words for; an accepted
 * request has a method, a target of a form its method allows, and a
 * version; a full input buffer (REQUEST_MAX bytes) never leaves the parser
 * waiting for more; and a head is self-contained, so a request that parses
 * with head_len n parses the same from exactly those n bytes (a stage that
 * feeds the parser piece by piece sees what one that feeds it everything at
 * once sees). Every header recorded lies inside the input, with a
 * token for its name and no CR or LF in its value.
 *
 * For the headers of conditional and range requests: a Range is one
 * range with 0 <= first <= last (or open, or a suffix), every entity-tag
 * kept is well formed and fits, and a date that parsed formats back to
 * the same second.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "date.h"
#include "http.h"
#include "response.h"
#include "why.h"

static int
known_error(enum http_status st)
{
	switch (st) {
	case HTTP_BAD_REQUEST: case HTTP_CONTENT_TOO_LARGE: case HTTP_URI_TOO_LONG:
	case HTTP_HEADERS_TOO_LARGE: case HTTP_NOT_IMPLEMENTED:
	case HTTP_VERSION_NOT_SUPPORTED:
		return 1;
	default:
		return 0;
	}
}

/* origin-form, or "*" for OPTIONS, or host:port for CONNECT. */
static int
target_ok(const struct http_request *req)
{
	if (strcmp(req->method, "CONNECT") == 0)
		return req->target[0] != '\0' && strchr(req->target, '/') == NULL;
	if (strcmp(req->target, "*") == 0)
		return strcmp(req->method, "OPTIONS") == 0;
	return req->target[0] == '/';
}

static int
range_ok(const struct cond_range_spec *r)
{
	switch (r->kind) {
	case COND_RANGE_NONE:
		return 1;
	case COND_RANGE_FROM:
		return r->first >= 0 && r->first <= COND_RANGE_INFINITY &&
		       (r->last == -1 || (r->last >= r->first && r->last <= COND_RANGE_INFINITY));
	case COND_RANGE_SUFFIX:
		return r->suffix >= 0 && r->suffix <= COND_RANGE_INFINITY;
	}
	return 0;
}

/* The list is [W/]"...", comma-separated, each tag closed, nothing else. */
static int
tags_ok(const struct cond_tags *t)
{
	const char *p = t->list, *end = p + t->len, *q;

	if (t->len > sizeof(t->list) || (t->kind != COND_TAGS_LIST && t->kind != COND_TAGS_INVALID && t->len != 0))
		return 0;
	if (t->kind != COND_TAGS_LIST)
		return 1;
	while (p < end) {
		if (end - p >= 2 && p[0] == 'W' && p[1] == '/')
			p += 2;
		if (p == end || *p != '"' || (q = memchr(p + 1, '"', (size_t)(end - p - 1))) == NULL)
			return 0;
		p = q + 1;
		if (p < end && *p++ != ',')
			return 0;
	}
	return 1;
}

/* A date that parsed prints as an IMF-fixdate that parses to it again. */
static int
date_ok(int has, time_t t)
{
	char buf[64];
	time_t again;

	if (!has || t < -2208988800LL)   /* before 1900: %Y may not print 4 digits */
		return 1;
	date_format(t, buf, sizeof(buf));
	return date_parse((const unsigned char *)buf, strlen(buf), &again) && again == t;
}

static int
conditional_ok(const struct cond_request *req)
{
	return range_ok(&req->range) && tags_ok(&req->if_match) && tags_ok(&req->if_none_match) &&
	       (req->if_range.kind != COND_IF_RANGE_ETAG ||
	        (req->if_range.etag[0] == '"' && strlen(req->if_range.etag) <= ETAG_MAX)) &&
	       date_ok(req->has_modified_since, req->modified_since) &&
	       date_ok(req->has_unmodified_since, req->unmodified_since) &&
	       date_ok(req->if_range.kind == COND_IF_RANGE_DATE, req->if_range.date);
}

/* Each header recorded is a token, a colon away from its value, inside the input. */
static int
headers_ok(const struct http_request *req, const uint8_t *data, size_t size)
{
	const char *start = (const char *)data, *end = start + size;
	size_t i;

	if (req->header_count > HEADER_LINES_MAX)
		return 0;
	for (i = 0; i < req->header_count; i++) {
		const struct http_header *h = &req->headers[i];

		if (h->name < start || h->name + h->name_len > end || !http_is_token(h->name, h->name_len) ||
		    h->name[h->name_len] != ':' || h->value < h->name || h->value + h->value_len > end ||
		    memchr(h->value, '\r', h->value_len) != NULL || memchr(h->value, '\n', h->value_len) != NULL)
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req, again;
	struct cond_request c, c_again;
	enum http_parse_result rc;
	enum http_status st;

	rc = http_parse((const char *)data, size, &req);
	if (rc == HTTP_PARSE_ERROR &&
	    (!known_error(req.error) || why_brief(req.fault)[0] == '\0'))
		abort();
	/* A full input buffer must get an answer, or a stage would wait for ever. */
	if (rc == HTTP_PARSE_MORE && size >= REQUEST_MAX)
		abort();
	if (rc == HTTP_PARSE_DONE) {
		if (req.head_len == 0 || req.head_len > size || req.method[0] == '\0' || !target_ok(&req))
			abort();
		if (strlen(req.target) > REQUEST_LINE_MAX || req.minor < 0 || req.minor > 9)
			abort();
		if (req.content_length < 0 || req.content_length > BODY_MAX || !headers_ok(&req, data, size))
			abort();
		st = cond_parse(&req, &c);
		if ((st != HTTP_OK && st != HTTP_HEADERS_TOO_LARGE) || (st == HTTP_OK && !conditional_ok(&c)))
			abort();
		if (http_parse((const char *)data, req.head_len, &again) != HTTP_PARSE_DONE ||
		    again.head_len != req.head_len || strcmp(again.target, req.target) != 0 ||
		    again.keep_alive != req.keep_alive || again.header_count != req.header_count ||
		    cond_parse(&again, &c_again) != st)
			abort();
		if (st == HTTP_OK &&
		    (c_again.range.kind != c.range.kind || c_again.range.first != c.range.first ||
		     c_again.range.last != c.range.last || c_again.range.suffix != c.range.suffix ||
		     c_again.if_none_match.len != c.if_none_match.len))
			abort();
	}
	return 0;
}
