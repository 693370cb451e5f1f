/*
 * url.c: percent-decoding. "/%E4%B8%AD%E5%9B%BD.html" arrives as the
 * browser quoted it; the file is "/中国.html" (notes 四, url 编码).
 */
#include "hexdig.h"
#include "url.h"

int
url_decode(const char *src, size_t len, char *dst, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)src[i];

		if (c == '%') {
			if (i + 2 >= len || hexdig(src[i + 1]) < 0 || hexdig(src[i + 2]) < 0)
				return URL_BAD_ESCAPE;
			c = hexdig(src[i + 1]) * 16 + hexdig(src[i + 2]);
			i += 2;
			if (c == '/')
				return URL_ENCODED_SLASH;
		}
		if (c == '\0' || n + 1 >= size)
			return URL_BAD_ESCAPE;
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return (int)n;
}
