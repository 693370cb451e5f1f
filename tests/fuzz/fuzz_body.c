/*
 * fuzz_body.c: libFuzzer target for common/body.c:body_feed.
 *
 * The first two bytes pick the framing (chunked or a Content-Length) and
 * the size of the pieces the rest is cut into; the rest is the body as a
 * client sends it. Beyond "no crash", it checks what a server relies on:
 * the body never holds more than the limit, never more bytes than came in,
 * is NUL-terminated when done, and is the same whether the input arrives
 * whole or in pieces (body_feed keeps its place in any cut).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"

#define FUZZ_LIMIT 4096

struct result {
	enum body_status st;
	size_t used;
	size_t len;
	unsigned char *data;
};

/* Feed data in pieces of at most piece bytes, as recv might deliver it. */
static struct result
run(const uint8_t *data, size_t size, int chunked, long long length, size_t piece)
{
	struct body b;
	struct result r;
	size_t off = 0, used;

	r.st = body_init(&b, length, chunked, FUZZ_LIMIT);
	while (r.st == BODY_MORE && off < size) {
		size_t n = size - off < piece ? size - off : piece;

		r.st = body_feed(&b, data + off, n, &used);
		if (used > n)
			abort();
		off += used;
		if (r.st == BODY_MORE && used != n)
			abort();   /* more wanted, yet not all of it taken */
	}
	r.used = off;
	r.len = b.len;
	if (b.len > FUZZ_LIMIT || b.len > size)
		abort();
	if (r.st == BODY_DONE && (b.data == NULL || b.data[b.len] != '\0'))
		abort();
	r.data = b.data;
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result whole, cut;
	int chunked;
	long long length;
	size_t piece;

	if (size < 2)
		return 0;
	chunked = data[0] & 1;
	length = (long long)(data[0] >> 1) * 64;   /* 0 to 8128: some over the limit */
	piece = (size_t)data[1] % 17 + 1;
	whole = run(data + 2, size - 2, chunked, length, size);
	cut = run(data + 2, size - 2, chunked, length, piece);
	if (whole.st != cut.st || whole.len != cut.len ||
	    (whole.st == BODY_DONE && whole.used != cut.used) ||
	    (whole.len > 0 && memcmp(whole.data, cut.data, whole.len) != 0))
		abort();
	free(whole.data);
	free(cut.data);
	return 0;
}
