/*
 * form.h: the bytes a browser sends in a form.
 *
 * A <form method="post"> arrives as application/x-www-form-urlencoded:
 * "name=value&name=value", with "+" for a space and %XX for any other byte
 * (the notes' urllib.parse.unquote). What the user typed comes back out
 * through html_escape (html.h), so a "<script>" in a remark is shown,
 * never run.
 */
#ifndef FORM_H
#define FORM_H

#include <stddef.h>

enum form_status {
	FORM_OK,
	FORM_MISSING,      /* no field of that name */
	FORM_BAD,          /* a broken %XX, or a NUL byte */
	FORM_TOO_LONG,     /* the decoded value does not fit */
};

/*
 * Find field name in the urlencoded body[0..len) and decode its value into
 * out (size bytes, NUL-terminated); *out_len is the decoded length. The
 * first field of that name wins.
 */
enum form_status form_field(const unsigned char *body, size_t len, const char *name,
                            char *out, size_t size, size_t *out_len);

/* Is s[0..len) well-formed UTF-8 (RFC 3629: no overlongs, no surrogates)? */
int form_utf8_valid(const unsigned char *s, size_t len);

#endif
