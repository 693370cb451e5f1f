/*
 * cond.h: validators, conditional requests and byte ranges (RFC 9110 8.8,
 * 13 and 14): the headers that ask for them, read from a parsed request,
 * and what they decide for one file.
 */
#ifndef COND_H
#define COND_H

#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "date.h"
#include "http.h"
#include "param.h"

/* If-Match or If-None-Match (RFC 9110 13.1.1-2); repeated lines add to the list. */
enum cond_tags_kind {
	COND_TAGS_ABSENT,
	COND_TAGS_ANY,             /* "*": whatever the current version is */
	COND_TAGS_LIST,            /* the entity-tags in list */
	COND_TAGS_INVALID,         /* not a list of entity-tags: matches nothing */
};

struct cond_tags {
	enum cond_tags_kind kind;
	size_t len;
	char list[ETAG_LIST_MAX];  /* [W/]"opaque" entries, comma-separated, no spaces */
};

/* If-Range (RFC 9110 13.1.5): send the range only if the file is this version. */
enum cond_if_range_kind {
	COND_IF_RANGE_ABSENT,
	COND_IF_RANGE_DATE,        /* an HTTP-date, compared with Last-Modified */
	COND_IF_RANGE_ETAG,        /* a strong entity-tag, compared with ETag */
	COND_IF_RANGE_INVALID,     /* weak, too long, malformed or repeated: never true */
};

struct cond_if_range {
	enum cond_if_range_kind kind;
	time_t date;
	char etag[ETAG_MAX + 1];
};

/*
 * A Range header, as far as this server honours it (RFC 9110 14.1.2): one
 * range of bytes. Several ranges, another unit or a malformed value are
 * COND_RANGE_NONE, and the whole file is sent with 200, which 14.2 allows.
 */
enum cond_range_kind {
	COND_RANGE_NONE,
	COND_RANGE_FROM,           /* bytes=first-last, or bytes=first- (last is -1) */
	COND_RANGE_SUFFIX,         /* bytes=-suffix: the last suffix bytes */
};

struct cond_range_spec {
	enum cond_range_kind kind;
	long long first, last, suffix;  /* saturate at COND_RANGE_INFINITY */
};

#define COND_RANGE_INFINITY (1LL << 62)  /* larger than any file we can serve */

/* Only GET and HEAD have conditions that can end in 304, and only GET has ranges. */
enum cond_method {
	COND_GET,
	COND_HEAD,
	COND_OTHER,
};

/* What a request asks about versions and ranges. */
struct cond_request {
	enum cond_method method;
	struct cond_tags if_match, if_none_match;
	int has_modified_since;    /* If-Modified-Since held one valid HTTP-date */
	int has_unmodified_since;  /* likewise If-Unmodified-Since */
	time_t modified_since, unmodified_since;
	struct cond_if_range if_range;
	struct cond_range_spec range;
};

/* What names one version of a file. */
struct cond_validators {
	time_t last_modified;      /* mtime, to the second, never later than now */
	char etag[ETAG_MAX + 1];   /* strong: "inode-size-mtime.ns", quotes included */
	/* "Last-Modified: ...\r\nETag: ...\r\n", ready for a response head */
	char fields[sizeof("Last-Modified: \r\nETag: \r\n") + DATE_MAX + ETAG_MAX];
	size_t fields_len;
};

/* The bytes of the file a response carries. */
struct cond_span {
	off_t first;
	off_t len;
};

/*
 * Read req's conditional and range headers into c. HTTP_OK, or 431 when
 * an entity-tag list is longer than this server keeps.
 */
enum http_status cond_parse(const struct http_request *req, struct cond_request *c);

/* The validators of the file st describes, as of now. */
void cond_validators(const struct stat *st, time_t now, struct cond_validators *v);

/*
 * RFC 9110 13.2.2 steps 1-4: If-Match, else If-Unmodified-Since (412 when
 * the file is not that version); then If-None-Match, else If-Modified-Since
 * (304 for GET and HEAD when the client's copy is current). HTTP_OK: go on.
 */
enum http_status cond_check(const struct cond_request *c, const struct cond_validators *v);

/*
 * Steps 5-6: the Range, if GET has one and If-Range (if any) holds.
 * HTTP_PARTIAL_CONTENT with span set, HTTP_RANGE_NOT_SATISFIABLE, or
 * HTTP_OK with span covering the whole file of size bytes.
 */
enum http_status cond_range(const struct cond_request *c, const struct cond_validators *v,
                            off_t size, struct cond_span *span);

#endif
