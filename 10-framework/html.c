/*
 * html.c: text into a page as text. Five characters mean something to
 * HTML: "<" and ">" open and close tags, "&" begins a character reference,
 * and the two quotes end an attribute's value. Whatever a user typed goes
 * through html_escape on its way into a page, so a "<script>" in a remark
 * is shown, never run (the notes paste values into pages as they are).
 */
#include <string.h>

#include "html.h"
#include "lab.h"

size_t
html_escape(const char *src, size_t len, char *dst, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		const char *rep;
		char one[2] = { src[i], '\0' };
		size_t n;

		switch (src[i]) {
		case '&':  rep = "&amp;"; break;
		case '<':  rep = "&lt;"; break;
		case '>':  rep = "&gt;"; break;
		case '"':  rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:   rep = one; break;
		}
		if (BUG_HTML_UNESCAPED)
			rep = one;   /* the notes paste the byte as it is */
		n = strlen(rep);
		if (n == 0 || o + n >= size)
			return (size_t)-1;   /* a NUL in src, or no room */
		memcpy(dst + o, rep, n);
		o += n;
	}
	if (o >= size)
		return (size_t)-1;
	dst[o] = '\0';
	return o;
}
