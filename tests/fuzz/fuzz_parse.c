/*
 * fuzz_parse.c: libFuzzer target for common/http.c:http_parse.
 *
 * Beyond "no crash" (ASan and UBSan watch for that), it checks what the
 * servers rely on: a result is 0, a consumed length within the input, or
 * minus a status we have a page for; an accepted request has a method, an
 * origin-form target and a version; and a head is self-contained, so a
 * request that parses at n bytes parses the same from exactly those n bytes
 * (a stage that feeds the parser piece by piece sees what one that feeds it
 * everything at once sees).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static int
known_error(long rc)
{
	switch (-rc) {
	case 400: case 413: case 414: case 431: case 501: case 505:
		return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req, again;
	long rc;

	rc = http_parse((const char *)data, size, &req);
	if (rc < 0 && !known_error(rc))
		abort();
	if (rc > 0) {
		if ((size_t)rc > size || req.method[0] == '\0' || req.target[0] != '/')
			abort();
		if (strlen(req.target) > REQUEST_LINE_MAX || req.minor < 0 || req.minor > 9)
			abort();
		if (req.content_length < 0 || req.content_length > BODY_MAX)
			abort();
		if (http_parse((const char *)data, (size_t)rc, &again) != rc ||
		    strcmp(again.target, req.target) != 0 || again.keep_alive != req.keep_alive)
			abort();
	}
	return 0;
}
