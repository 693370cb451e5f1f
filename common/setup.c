/*
 * setup.c: the command line and startup shared by every server stage.
 * Errors here happen before any client exists, so they end the program.
 */
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "docroot.h"
#include "net.h"
#include "param.h"
#include "setup.h"

/* What the command line may hold: the shared options, then the stage's own. */
struct options {
	const char *about;
	const struct setup_option *own;
	size_t n;
};

static void
usage(FILE *fp, const char *prog, const struct options *o)
{
	size_t i;

	fprintf(fp, "usage: %s [-b ADDR] [-p PORT] [-d DOCROOT] [-t SECONDS] [-T SECONDS]", prog);
	for (i = 0; i < o->n; i++)
		fprintf(fp, " [-%c %s]", o->own[i].letter, o->own[i].arg);
	fprintf(fp, " [-q] [-h]\n%s\n\n", o->about);
	fprintf(fp,
	    "  -b ADDR     address or host name to listen on (default %s;\n"
	    "              -b :: or -b 0.0.0.0 faces the network)\n"
	    "  -p PORT     port (default %s; 0 picks a free one; below 1024 needs root)\n"
	    "  -d DOCROOT  directory to serve (default %s, so run from the repository root)\n"
	    "  -t SECONDS  close a client silent this long (default %d)\n"
	    "  -T SECONDS  answer 408 to a request head not complete this long after\n"
	    "              its first byte (default %d)\n"
	    "  -q          no access log\n"
	    "  -h, --help  this help\n",
	    DEFAULT_ADDR, DEFAULT_PORT, DEFAULT_DOCROOT, DEFAULT_TIMEOUT, DEFAULT_DEADLINE);
	for (i = 0; i < o->n; i++)
		fprintf(fp, "  -%c %-8s %s\n", o->own[i].letter, o->own[i].arg, o->own[i].help);
	fprintf(fp, "\ntry:\n"
	    "  curl -v http://127.0.0.1:%s/\n"
	    "  printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 %s\n"
	    "  telnet 127.0.0.1 %s    (type: GET / HTTP/1.1, Host: x, empty line)\n",
	    DEFAULT_PORT, DEFAULT_PORT, DEFAULT_PORT);
}

static long
number(const char *s, long min, long max, const char *what)
{
	char *end;
	long n;

	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || n < min || n > max)
		errx(2, "%s must be a number from %ld to %ld: %s", what, min, max, s);
	return n;
}

/* An argument getopt left over: say which, and what was probably meant. */
static void
unexpected(const char *arg, const char *prog, const struct options *o)
{
	if (arg[0] != '\0' && strspn(arg, "0123456789") == strlen(arg))
		warnx("argument not understood: %s (a port is given as -p %s)", arg, arg);
	else
		warnx("argument not understood: %s", arg);
	usage(stderr, prog, o);
	exit(2);
}

/* The getopt string: the shared options, then the stage's, each with an argument. */
static void
optstring(const struct options *o, char *buf, size_t size)
{
	size_t i, n = strlen(strcpy(buf, "b:p:d:t:T:qh"));

	for (i = 0; i < o->n && n + 3 <= size; i++) {
		buf[n++] = o->own[i].letter;
		buf[n++] = ':';
	}
	buf[n] = '\0';
}

/* One of the stage's own options: 1, or 0 if c is none of them. */
static int
own_option(int c, const struct options *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (c == o->own[i].letter) {
			*o->own[i].value = optarg;
			return 1;
		}
	return 0;
}

static void
parse(int argc, char **argv, const struct options *o, struct server *s)
{
	char opts[64];
	int c, i;

	s->addr = DEFAULT_ADDR;
	s->port = DEFAULT_PORT;
	s->docroot = DEFAULT_DOCROOT;
	s->timeout = DEFAULT_TIMEOUT;
	s->deadline = DEFAULT_DEADLINE;
	s->quiet = 0;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout, argv[0], o);
			exit(0);
		}
	optstring(o, opts, sizeof(opts));
	while ((c = getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case 'b': s->addr = optarg; break;
		case 'p': number(optarg, 0, 65535, "port"); s->port = optarg; break;
		case 'd': s->docroot = optarg; break;
		case 't': s->timeout = (int)number(optarg, 1, 3600, "timeout"); break;
		case 'T': s->deadline = (int)number(optarg, 1, 3600, "deadline"); break;
		case 'q': s->quiet = 1; break;
		case 'h': usage(stdout, argv[0], o); exit(0);
		default:
			if (!own_option(c, o)) {
				usage(stderr, argv[0], o);
				exit(2);
			}
		}
	}
	if (optind != argc)
		unexpected(argv[optind], argv[0], o);
}

volatile sig_atomic_t server_stop;
static volatile sig_atomic_t stop_signal;
/* The listening socket, and the process that listens on it; -1 before listen. */
static volatile sig_atomic_t stop_listen_fd = -1;
static volatile sig_atomic_t stop_listen_pid;

/*
 * A flag alone does not stop a loop blocked in accept. The loop reads the
 * flag before it calls accept, so a signal that lands between the two, or
 * while another handler runs that was installed with SA_RESTART (02's
 * SIGCHLD reaper), leaves accept restarted and blocked with server_stop
 * set: the server ignores SIGTERM until a client comes. shutdown() may be
 * called in a handler; on Linux, on a listening socket, it wakes accept,
 * which fails with EINVAL then and ever after, and epoll sees the socket
 * hang up. Only the listening process does it: 02's children inherit this
 * handler, and the socket, which is the parent's too.
 */
static void
on_stop(int sig)
{
	int saved = errno;

	server_stop = 1;
	stop_signal = sig;
	if (stop_listen_fd != -1 && getpid() == stop_listen_pid)
		shutdown(stop_listen_fd, SHUT_RDWR);
	errno = saved;
}

/*
 * make run execs the server, so Ctrl-C reaches make, its parent, at the
 * same moment. Were the server gone before make's handler began, make
 * would wait for a child it had already reaped and say "wait: No child
 * processes". After a Ctrl-C the server lingers a moment on its way out.
 */
static void
linger_after_ctrl_c(void)
{
	const struct timespec moment = { 0, CTRL_C_LINGER_MS * 1000000L };

	if (stop_signal == SIGINT)
		nanosleep(&moment, NULL);
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
		err(1, "sigaction");
	/* A write to a closed connection must return EPIPE, not kill us. */
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		err(1, "sigaction");
	if (atexit(linger_after_ctrl_c) != 0)
		errx(1, "atexit failed");
}

/*
 * Every connection costs a descriptor, so the soft RLIMIT_NOFILE (often
 * 1024) is how many clients a server can hold at once. Raise it to the hard
 * limit, which needs no privilege, capped at FD_LIMIT_MAX.
 */
static int
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "getrlimit");
	rl.rlim_cur = rl.rlim_max;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > FD_LIMIT_MAX)
		rl.rlim_cur = FD_LIMIT_MAX;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "setrlimit");
	return (int)rl.rlim_cur;
}

/*
 * err(3) and warn(3) begin each message with this glibc variable, which
 * holds "server" for every stage: name the stage instead, from about.
 */
extern char *program_invocation_short_name;

static void
name_program(const char *about)
{
	static char name[32];
	size_t n = strcspn(about, ":");

	if (n > 0 && n < sizeof(name)) {
		memcpy(name, about, n);
		name[n] = '\0';
		program_invocation_short_name = name;
	}
}

/* The docroot is relative to where the server starts: say so when it is missing. */
static int
open_docroot(const char *dir)
{
	int root = docroot_init(dir);

	if (root == -1 && errno == ENOENT && strcmp(dir, DEFAULT_DOCROOT) == 0)
		errx(1, "docroot %s: %s; run from the repository root, or pass -d DOCROOT",
		     dir, strerror(errno));
	if (root == -1)
		err(1, "docroot %s", dir);
	return root;
}

void
setup_server_with(int argc, char **argv, const char *about,
                  const struct setup_option *own, size_t n, struct server *s)
{
	struct options o = { about, own, n };
	char url[128];

	name_program(about);
	parse(argc, argv, &o, s);
	s->files = (struct files){ open_docroot(s->docroot), docroot_open, HTTP_CONN_CLOSE,
	                           FILES_BODY_SKIPPED };
	/* Log lines must reach a pipe or file as they happen, not at exit. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	install_signals();
	s->fd_limit = raise_fd_limit();
	s->listen_fd = net_listen(s->addr, s->port, url, sizeof(url));
	stop_listen_pid = getpid();
	stop_listen_fd = s->listen_fd;
	/* The pid is what ps, top, strace and /proc need: say it, no pgrep needed. */
	printf("listening on %s (pid %ld, docroot %s, up to %d descriptors)\n", url,
	       (long)getpid(), s->docroot, s->fd_limit);
}

void
setup_server(int argc, char **argv, const char *about, struct server *s)
{
	setup_server_with(argc, argv, about, NULL, 0, s);
}
