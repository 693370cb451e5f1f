/*
 * form.c: decode urlencoded form fields, and check that they are UTF-8.
 *
 * Both read bytes a client chose, so each checks the room left before it
 * reads or writes a byte. The notes store what unquote returns and paste
 * database values into HTML as they are (their point (7) is the same
 * mistake in SQL): here a value is decoded exactly once, checked, stored as
 * bytes, and escaped exactly once (html.c), on its way into a page.
 */
#include <string.h>

#include "form.h"
#include "hexdig.h"
#include "lab.h"

/* Decode src[0..len) ("+" is a space, %XX a byte) into out; see form_field. */
static enum form_status
decode(const unsigned char *src, size_t len, char *out, size_t size, size_t *out_len)
{
	size_t i = 0, o = 0;

	while (i < len) {
		int c = src[i];

		if (c == '%' && !BUG_NO_UNQUOTE) {
			int hi, lo;

			if (len - i < 3 || (hi = hexdig(src[i + 1])) < 0 ||
			    (lo = hexdig(src[i + 2])) < 0)
				return FORM_BAD;
			c = hi * 16 + lo;
			i += 3;
		} else {
			c = c == '+' && !BUG_NO_UNQUOTE ? ' ' : c;
			i++;
		}
		if (c == '\0')
			return FORM_BAD;   /* would end a C string early */
		if (o + 1 >= size)
			return FORM_TOO_LONG;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	*out_len = o;
	return FORM_OK;
}

enum form_status
form_field(const unsigned char *body, size_t len, const char *name,
           char *out, size_t size, size_t *out_len)
{
	const unsigned char *p = body, *end = body + len;
	char key[64];
	size_t key_len;

	if (size == 0)
		return FORM_TOO_LONG;
	while (p < end) {
		const unsigned char *amp = memchr(p, '&', (size_t)(end - p));
		const unsigned char *stop = amp != NULL ? amp : end;
		const unsigned char *eq = memchr(p, '=', (size_t)(stop - p));
		const unsigned char *key_end = eq != NULL ? eq : stop;

		/* Names are compared decoded: "re%6Dark" is "remark". */
		if (decode(p, (size_t)(key_end - p), key, sizeof(key), &key_len) == FORM_OK &&
		    strcmp(key, name) == 0) {
			if (eq == NULL)
				eq = stop - 1;   /* "remark" alone: an empty value */
			return decode(eq + 1, (size_t)(stop - eq - 1), out, size, out_len);
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	return FORM_MISSING;
}

/* Length of the UTF-8 sequence starting with byte c, and its lowest value. */
static int
utf8_lead(unsigned c, unsigned long *min)
{
	if (c < 0x80) { *min = 0; return 1; }
	if (c >= 0xc2 && c < 0xe0) { *min = 0x80; return 2; }
	if (c >= 0xe0 && c < 0xf0) { *min = 0x800; return 3; }
	if (c >= 0xf0 && c < 0xf5) { *min = 0x10000; return 4; }
	return 0;   /* a continuation byte, or 0xc0, 0xc1, 0xf5-0xff */
}

int
form_utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned long cp, min;
		int n = utf8_lead(s[i], &min), k;

		if (n == 0 || (size_t)n > len - i)
			return 0;
		cp = n == 1 ? s[i] : s[i] & (0x7fu >> n);
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;   /* overlong, beyond Unicode, or a surrogate */
		i += (size_t)n;
	}
	return 1;
}
