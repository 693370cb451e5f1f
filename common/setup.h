/*
 * setup.h: what every server stage does before its loop: read the command
 * line, find the docroot, install signal handlers, listen, say where.
 */
#ifndef SETUP_H
#define SETUP_H

struct setup {
	const char *addr;          /* -b */
	const char *port;          /* -p */
	const char *docroot;       /* -d, as given */
	int root;                  /* -d, opened: every file is opened beneath it */
	int timeout;               /* -t: seconds a client may stay silent */
	int quiet;                 /* -q: no access log */
	int listen_fd;
};

/*
 * Parse "server [-b ADDR] [-p PORT] [-d DOCROOT] [-t SECONDS] [-q] [-h]",
 * then listen and print "listening on URL (docroot DIR)". about is the
 * stage's one-line description for -h. Dies with usage on a bad option.
 */
void setup_server(int argc, char **argv, const char *about, struct setup *s);

#endif
