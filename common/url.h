/*
 * url.h: percent-decoding (RFC 3986 2.1), for paths.
 */
#ifndef URL_H
#define URL_H

#include <stddef.h>

/* What url_decode returns when it refuses its input. */
#define URL_BAD_ESCAPE    (-1)  /* "%" without two hex digits, a NUL, or too long */
#define URL_ENCODED_SLASH (-2)  /* "%2F": it would hide a segment from a ".." check */

/*
 * Decode the len bytes of src into dst (size bytes, NUL-terminated); the
 * decoded length, or one of the above. A path is decoded once, then
 * checked: decoding it twice would let "%252e%252e" become "..".
 */
int url_decode(const char *src, size_t len, char *dst, size_t size);

#endif
