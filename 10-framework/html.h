/*
 * html.h: escaping text for HTML.
 */
#ifndef HTML_H
#define HTML_H

#include <stddef.h>

/*
 * HTML-escape src[0..len) into dst (size bytes, NUL-terminated); returns
 * the escaped length, or (size_t)-1 when it does not fit (or src holds a NUL).
 */
size_t html_escape(const char *src, size_t len, char *dst, size_t size);

#endif
