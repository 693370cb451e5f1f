/*
 * clock.h: time for timeouts, on a clock that never jumps.
 *
 * time(NULL) is the wall clock, which an administrator or NTP may set
 * back or forward; a timeout measured on it could fire at once or never.
 * CLOCK_MONOTONIC only moves forward. (Dates sent to clients, and file
 * times, are wall-clock time and stay time(NULL).)
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <time.h>

/* Seconds on the monotonic clock. */
static inline time_t
clock_seconds(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail on Linux; the check keeps ts defined. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return ts.tv_sec;
}

/* Milliseconds on the monotonic clock. */
static inline long long
clock_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
