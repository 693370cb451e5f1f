/*
 * fuzz_parse.c: libFuzzer target for common/http.c:http_parse.
 *
 * Beyond "no crash" (ASan and UBSan watch for that), it checks what the
 * servers rely on: an error is a status we have a page for; an accepted
 * request has a method, a target of a form its method allows, and a
 * version; a full input buffer (REQUEST_MAX bytes) never leaves the parser
 * waiting for more; and a head is self-contained, so a request that parses
 * with head_len n parses the same from exactly those n bytes (a stage that
 * feeds the parser piece by piece sees what one that feeds it everything at
 * once sees).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req, again;
	enum http_parse_result rc;

	rc = http_parse((const char *)data, size, &req);
	if (rc == HTTP_PARSE_ERROR && !known_error(req.error))
		abort();
	/* A full input buffer must get an answer, or a stage would wait for ever. */
	if (rc == HTTP_PARSE_MORE && size >= REQUEST_MAX)
		abort();
	if (rc == HTTP_PARSE_DONE) {
		if (req.head_len == 0 || req.head_len > size || req.method[0] == '\0' || !target_ok(&req))
			abort();
		if (strlen(req.target) > REQUEST_LINE_MAX || req.minor < 0 || req.minor > 9)
			abort();
		if (req.content_length < 0 || req.content_length > BODY_MAX)
			abort();
		if (http_parse((const char *)data, req.head_len, &again) != HTTP_PARSE_DONE ||
		    again.head_len != req.head_len || strcmp(again.target, req.target) != 0 ||
		    again.keep_alive != req.keep_alive)
			abort();
	}
	return 0;
}
