/*
 * hello.c: the second application, as small as the notes' register.py:
 * "hello world" and the time. Built with make APP=hello, it runs on the
 * very same server.c, which is how we know that the server knows nothing
 * about favourites: only this file and favourites.c differ.
 */
#include <stdio.h>
#include <time.h>

#include "framework.h"

const char site_nav[] = "<nav><a href=\"/register.py\">hello</a></nav>\n";

void
site_open(const char *state_dir)
{
	(void)state_dir;   /* nothing to keep */
}

void
site_close(void)
{
}

ROUTE("GET", "/register.py", hello)
{
	char now[64];
	time_t t = time(NULL);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(now, sizeof(now), "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		now[0] = '\0';
	fw_start(req, 200, FW_TEXT);
	fw_printf(req, "hello world!  %s\n", now);
}
