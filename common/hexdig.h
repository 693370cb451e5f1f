/*
 * hexdig.h: the value of one hexadecimal digit.
 *
 * HTTP writes numbers in hex in two places a server reads: the size of
 * each chunk of a chunked body ("1a" is 26 bytes) and the %XX of
 * percent-encoding in a path or a form ("%2F" is '/'). Both use the HEXDIG
 * of RFC 5234: 0-9, then A-F in either case. Anything else is not a digit,
 * and the caller decides what that means (the end of the size, or a
 * malformed escape: a 400).
 *
 * Not isxdigit(3) and strtol: those follow the locale, and strtol also
 * takes signs, blanks and "0x", none of which belong on the wire.
 */
#ifndef HEXDIG_H
#define HEXDIG_H

/* c's value, 0 to 15, or -1 when c is not a hex digit. */
static inline int
hexdig(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
