/*
 * setup.h: the server every stage runs, and what each does before its loop:
 * read the command line, open the docroot, raise the descriptor limit,
 * install signal handlers, listen, say where.
 */
#ifndef SETUP_H
#define SETUP_H

#include <signal.h>

#include "files.h"

/* The options a stage was started with, and what they opened. */
struct server {
	const char *addr;          /* -b */
	const char *port;          /* -p */
	const char *docroot;       /* -d, as given */
	int timeout;               /* -t: seconds a client may stay silent */
	int deadline;              /* -T: seconds a request head may take from its first byte */
	int quiet;                 /* -q: no access log */
	int listen_fd;             /* the listening socket */
	int fd_limit;              /* descriptors we may hold: RLIMIT_NOFILE, raised */
	/*
	 * How files are served: the docroot, opened; docroot_open; no
	 * keep-alive; bodies skipped. A stage changes what it does otherwise.
	 */
	struct files files;
};

/* An option of the stage's own, beside the shared ones: -s DIR, say. */
struct setup_option {
	char letter;               /* the option, "-s" */
	const char *arg;           /* its argument's name in the usage, "DIR" */
	const char *help;          /* one line for -h */
	const char **value;        /* set to the argument given */
};

/* Set by SIGINT and SIGTERM; each stage's loop stops when it is. */
extern volatile sig_atomic_t server_stop;

/*
 * Parse "server [-b ADDR] [-p PORT] [-d DOCROOT] [-t SECONDS] [-T SECONDS]
 * [-q] [-h]", then listen and print "listening on URL (pid PID, docroot DIR,
 * up to N descriptors)". about is the stage's one-line description for -h, and
 * begins with the stage's name and a colon ("05-keepalive: ..."): every
 * message on stderr begins with that name. Dies with usage on a bad option.
 * SIGINT and SIGTERM set server_stop and shut the listening socket down,
 * so a blocked accept returns at once, even where the signal came just
 * before the call or inside another handler; after SIGINT (Ctrl-C) the
 * program lingers CTRL_C_LINGER_MS on its way out, for make run. SIGPIPE
 * is ignored.
 */
void setup_server(int argc, char **argv, const char *about, struct server *srv);

/* The same, with the stage's own options (an array of n). */
void setup_server_with(int argc, char **argv, const char *about,
                       const struct setup_option *own, size_t n, struct server *srv);

#endif
