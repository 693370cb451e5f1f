/*
 * date.c: HTTP's dates (RFC 9110 5.6.7): the Date of every response, the
 * Last-Modified of a file, and the dates clients send back to us in
 * If-Modified-Since, If-Unmodified-Since and If-Range.
 *
 * A sender uses one format, the IMF-fixdate ("Sun, 06 Nov 1994 08:49:37
 * GMT"); a recipient must also read the two older ones. Dates are GMT,
 * and are compared as seconds since the epoch (time_t).
 */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include "date.h"

/* A cursor over a field value: each take_ function advances it or fails. */
struct cursor {
	const unsigned char *p, *end;
};

static const char *const day_names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const day_names_long[] = {
	"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
};
static const char *const month_names[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* Exactly the bytes of lit (HTTP-date is case-sensitive, RFC 9110 5.6.7). */
static int
take_lit(struct cursor *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return 0;
	c->p += n;
	return 1;
}

/* One of the n words of list: its index, or -1. */
static int
take_word(struct cursor *c, const char *const *list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (take_lit(c, list[i]))
			return i;
	return -1;
}

/* Exactly digits decimal digits. */
static int
take_num(struct cursor *c, int digits, int *n)
{
	int i;

	if (c->end - c->p < digits)
		return 0;
	for (*n = 0, i = 0; i < digits; i++) {
		if (!isdigit(c->p[i]))
			return 0;
		*n = *n * 10 + (c->p[i] - '0');
	}
	c->p += digits;
	return 1;
}

static int
take_month(struct cursor *c, struct tm *tm)
{
	return (tm->tm_mon = take_word(c, month_names, 12)) >= 0;
}

/* "08:49:37" */
static int
take_clock(struct cursor *c, struct tm *tm)
{
	return take_num(c, 2, &tm->tm_hour) && take_lit(c, ":") &&
	       take_num(c, 2, &tm->tm_min) && take_lit(c, ":") && take_num(c, 2, &tm->tm_sec);
}

/* IMF-fixdate after "Sun, ": "06 Nov 1994 08:49:37 GMT". */
static int
take_imf_date(struct cursor *c, struct tm *tm)
{
	return take_num(c, 2, &tm->tm_mday) && take_lit(c, " ") && take_month(c, tm) &&
	       take_lit(c, " ") && take_num(c, 4, &tm->tm_year) && take_lit(c, " ") &&
	       take_clock(c, tm) && take_lit(c, " GMT");
}

/* The obsolete RFC 850 form after "Sunday, ": "06-Nov-94 08:49:37 GMT". */
static int
take_rfc850_date(struct cursor *c, struct tm *tm)
{
	if (!(take_num(c, 2, &tm->tm_mday) && take_lit(c, "-") && take_month(c, tm) &&
	      take_lit(c, "-") && take_num(c, 2, &tm->tm_year) && take_lit(c, " ") &&
	      take_clock(c, tm) && take_lit(c, " GMT")))
		return 0;
	/* Two digits: 70-99 are the 1900s, the rest this century (a fixed window). */
	tm->tm_year += tm->tm_year >= 70 ? 1900 : 2000;
	return 1;
}

/* C's asctime() form after "Sun ": "Nov  6 08:49:37 1994". */
static int
take_asctime_date(struct cursor *c, struct tm *tm)
{
	if (!take_month(c, tm) || !take_lit(c, " "))
		return 0;
	if (!(take_lit(c, " ") ? take_num(c, 1, &tm->tm_mday) : take_num(c, 2, &tm->tm_mday)))
		return 0;
	return take_lit(c, " ") && take_clock(c, tm) && take_lit(c, " ") &&
	       take_num(c, 4, &tm->tm_year);
}

/* UTC fields (full year) to seconds; refuses 31 Feb and 25:00. */
static int
tm_to_time(struct tm *tm, time_t *t)
{
	struct tm back;
	int mday = tm->tm_mday, mon = tm->tm_mon;

	if (tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60)
		return 0;
	if (tm->tm_sec == 60)
		tm->tm_sec = 59;   /* a leap second: the second before it will do */
	tm->tm_year -= 1900;
	*t = timegm(tm);
	/* timegm moves 31 Feb to 3 Mar; converting back shows it did. */
	return gmtime_r(t, &back) != NULL && back.tm_mday == mday && back.tm_mon == mon;
}

int
date_parse(const unsigned char *v, size_t len, time_t *t)
{
	struct cursor c = { v, v + len };
	struct tm tm;
	int ok;

	/* RFC 9110 5.6.7: a recipient must accept all three formats. */
	memset(&tm, 0, sizeof(tm));
	if (take_word(&c, day_names_long, 7) >= 0)
		ok = take_lit(&c, ", ") && take_rfc850_date(&c, &tm);
	else if (take_word(&c, day_names, 7) >= 0)
		ok = take_lit(&c, ", ") ? take_imf_date(&c, &tm) :
		     take_lit(&c, " ") && take_asctime_date(&c, &tm);
	else
		ok = 0;
	return ok && c.p == c.end && tm_to_time(&tm, t);
}

/* Two digits of n (0-99) at p. */
static char *
put2(char *p, int n)
{
	p[0] = (char)('0' + n / 10);
	p[1] = (char)('0' + n % 10);
	return p + 2;
}

/*
 * By hand, not with strftime, which would also look up the locale's names
 * for days and months (HTTP wants the English ones whatever the locale)
 * and costs more than the rest of a response head.
 */
void
date_format(time_t t, char *buf, size_t size)
{
	struct tm tm;
	char *p = buf;

	if (size < DATE_MAX || gmtime_r(&t, &tm) == NULL || tm.tm_year < 0 || tm.tm_year > 8099) {
		if (size > 0)
			buf[0] = '\0';
		return;
	}
	memcpy(p, day_names[(tm.tm_wday + 6) % 7], 3);   /* tm_wday 0 is Sunday */
	p += 3;
	*p++ = ',';
	*p++ = ' ';
	p = put2(p, tm.tm_mday);
	*p++ = ' ';
	memcpy(p, month_names[tm.tm_mon], 3);
	p += 3;
	*p++ = ' ';
	p = put2(put2(p, (tm.tm_year + 1900) / 100), (tm.tm_year + 1900) % 100);
	*p++ = ' ';
	p = put2(p, tm.tm_hour);
	*p++ = ':';
	p = put2(p, tm.tm_min);
	*p++ = ':';
	p = put2(p, tm.tm_sec);
	memcpy(p, " GMT", 5);
}

/*
 * The Date header (RFC 9110 6.6.1) of the current second. The answer
 * changes once a second, so each thread formats it once a second.
 */
const char *
date_now(void)
{
	static _Thread_local char date[40];
	static _Thread_local time_t formatted = -1;
	time_t now = time(NULL);

	if (now != formatted) {
		date_format(now, date, sizeof(date));
		formatted = now;
	}
	return date;
}
