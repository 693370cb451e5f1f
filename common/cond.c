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
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "cond.h"

/* Weak comparison ignores W/ (If-None-Match); strong refuses weak tags. */
enum cond_compare {
	COMPARE_STRONG,
	COMPARE_WEAK,
};

void
cond_validators(const struct stat *st, time_t now, struct cond_validators *v)
{
	int n;

	/* RFC 9110 8.8.2.1: a modification time in the future is sent as now. */
	v->last_modified = st->st_mtim.tv_sec < now ? st->st_mtim.tv_sec : now;
	n = snprintf(v->etag, sizeof(v->etag), "\"%llx-%llx-%llx.%lx\"",
	             (unsigned long long)st->st_ino, (unsigned long long)st->st_size,
	             (unsigned long long)st->st_mtim.tv_sec, (unsigned long)st->st_mtim.tv_nsec);
	assert(n > 0 && (size_t)n < sizeof(v->etag));   /* at most 61 bytes */
}

/* Does tags hold etag? The list was checked by the parser: [W/]"...",... */
static int
tags_match(const struct http_tags *tags, const char *etag, enum cond_compare how)
{
	const char *p = tags->list, *end = p + tags->len, *quote;
	size_t n = strlen(etag);
	int weak;

	if (tags->kind == HTTP_TAGS_ANY)
		return 1;   /* "*": the file exists, which is all it asks */
	if (tags->kind != HTTP_TAGS_LIST)
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
cond_check(const struct http_request *req, const struct cond_validators *v)
{
	int get_or_head = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;

	/* Steps 1-2: act only on the version the client names. */
	if (req->if_match.kind != HTTP_TAGS_ABSENT) {
		if (!tags_match(&req->if_match, v->etag, COMPARE_STRONG))
			return HTTP_PRECONDITION_FAILED;
	} else if (req->has_unmodified_since && v->last_modified > req->unmodified_since) {
		return HTTP_PRECONDITION_FAILED;
	}
	/* Steps 3-4: the client has this version already; If-None-Match wins. */
	if (req->if_none_match.kind != HTTP_TAGS_ABSENT) {
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
if_range_holds(const struct http_if_range *ir, const struct cond_validators *v)
{
	switch (ir->kind) {
	case HTTP_IF_RANGE_ABSENT:
		return 1;
	case HTTP_IF_RANGE_DATE:
		return ir->date == v->last_modified;
	case HTTP_IF_RANGE_ETAG:
		return strcmp(ir->etag, v->etag) == 0;
	case HTTP_IF_RANGE_INVALID:
		break;
	}
	return 0;
}

enum http_status
cond_range(const struct http_request *req, const struct cond_validators *v,
           off_t size, struct cond_span *span)
{
	const struct http_range *r = &req->range;
	long long first, last;

	span->first = 0;
	span->len = size;
	/* 14.2: GET is the only method with ranges; HEAD describes the whole. */
	if (r->kind == HTTP_RANGE_NONE || strcmp(req->method, "GET") != 0 ||
	    !if_range_holds(&req->if_range, v))
		return HTTP_OK;
	if (r->kind == HTTP_RANGE_SUFFIX) {
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
