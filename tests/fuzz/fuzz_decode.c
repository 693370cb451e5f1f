/*
 * fuzz_decode.c: libFuzzer target for 09-capture/decode.c:decode_frame.
 *
 * The input is one captured frame. Beyond "no read past its end" (the
 * fuzzer's buffer is exactly the frame, so AddressSanitizer sees the first
 * byte too far), it checks what the sniffer relies on: the text is
 * terminated, printable, made of whole lines; a frame is called bad
 * exactly when the text says why; and a text buffer too small for the
 * lines gets a prefix of them ending in "...", never a write past its end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

static char full[DECODE_TEXT_MAX];
static char small[256];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_text(const char *text, size_t room)
{
	size_t n = strnlen(text, room), i;

	if (n == room)
		abort();        /* not terminated */
	for (i = 0; i < n; i++)
		if (text[i] != '\n' && (text[i] < 0x20 || text[i] > 0x7e))
			abort();
	if (n > 0 && text[n - 1] != '\n')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decode_summary sum, again;
	enum decode_status st;
	size_t room;

	st = decode_frame(data, size, &sum, full, sizeof full);
	check_text(full, sizeof full);
	if (st != sum.status || (st != DECODE_OK) != (strstr(full, "\n  bad   ") != NULL ||
	                                               strncmp(full, "  bad   ", 8) == 0))
		abort();
	if (size >= 14 && !(sum.layers & DECODE_ETH))
		abort();        /* 14 bytes always make an Ethernet header */

	/* The same frame into a smaller buffer: a prefix, then "...". */
	room = size > 0 ? 5 + data[0] % (sizeof small - 5) : sizeof small;
	decode_frame(data, size, &again, small, room);
	check_text(small, room);
	if (strlen(full) < room) {
		if (strcmp(small, full) != 0)
			abort();
	} else if (strncmp(small, full, room - 5) != 0 || strcmp(small + room - 5, "...\n") != 0) {
		abort();
	}
	return 0;
}
