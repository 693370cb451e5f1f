/*
 * date.h: HTTP-dates (RFC 9110 5.6.7), written and read.
 */
#ifndef DATE_H
#define DATE_H

#include <stddef.h>
#include <time.h>

/* Bytes of an IMF-fixdate and its NUL: "Sun, 06 Nov 1994 08:49:37 GMT". */
#define DATE_MAX 30

/* The Date header's value for now, in this thread's buffer. */
const char *date_now(void);

/* t as an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"; "" if it cannot be. */
void date_format(time_t t, char *buf, size_t size);

/* An HTTP-date in any of its three formats; 1 with *t set, or 0. */
int date_parse(const unsigned char *v, size_t len, time_t *t);

#endif
