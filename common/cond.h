/*
 * cond.h: validators, conditional requests and byte ranges (RFC 9110 8.8,
 * 13 and 14), evaluated on what http_parse put in a request.
 */
#ifndef COND_H
#define COND_H

#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "http.h"
#include "param.h"

/* What names one version of a file. */
struct cond_validators {
	time_t last_modified;      /* mtime, to the second, never later than now */
	char etag[ETAG_MAX + 1];   /* strong: "inode-size-mtime.ns", quotes included */
};

/* The bytes of the file a response carries. */
struct cond_span {
	off_t first;
	off_t len;
};

/* The validators of the file st describes, as of now. */
void cond_validators(const struct stat *st, time_t now, struct cond_validators *v);

/*
 * RFC 9110 13.2.2 steps 1-4: If-Match, else If-Unmodified-Since (412 when
 * the file is not that version); then If-None-Match, else If-Modified-Since
 * (304 for GET and HEAD when the client's copy is current). HTTP_OK: go on.
 */
enum http_status cond_check(const struct http_request *req, const struct cond_validators *v);

/*
 * Steps 5-6: the Range, if GET has one and If-Range (if any) holds.
 * HTTP_PARTIAL_CONTENT with span set, HTTP_RANGE_NOT_SATISFIABLE, or
 * HTTP_OK with span covering the whole file of size bytes.
 */
enum http_status cond_range(const struct http_request *req, const struct cond_validators *v,
                            off_t size, struct cond_span *span);

#endif
