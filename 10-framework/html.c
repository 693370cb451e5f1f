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

/* The entity for c, or NULL when c stands for itself. */
static const char *
entity(char c)
{
	switch (c) {
	case '&':  return "&amp;";
	case '<':  return "&lt;";
	case '>':  return "&gt;";
	case '"':  return "&quot;";
	case '\'': return "&#39;";
	default:   return NULL;
	}
}

size_t
html_escape(const char *src, size_t len, char *dst, size_t size)
{
	size_t i, o = 0, n;
	const char *rep;

	for (i = 0; i < len; i++) {
		if (src[i] == '\0' || o + 1 >= size)
			return (size_t)-1;   /* a NUL in src, or no room */
		rep = BUG_HTML_UNESCAPED ? NULL : entity(src[i]);   /* the notes paste the byte as it is */
		if (rep == NULL) {
			dst[o++] = src[i];   /* most bytes: no lookup, no copy of a string */
			continue;
		}
		n = strlen(rep);
		if (o + n >= size)
			return (size_t)-1;
		memcpy(dst + o, rep, n);
		o += n;
	}
	dst[o] = '\0';
	return o;
}
