/*
 * 07-client: an interactive TCP client, to talk HTTP to the servers by hand.
 *
 * Lesson (notes 2.3, the client): a client has two inputs, the keyboard and
 * the socket, and either may have something at any moment. The notes' client
 * blocks in input() and never reads the socket, so it cannot show a reply.
 * This one waits on both at once with poll(2) and handles whichever is ready:
 * lines you type are sent (with CRLF, as HTTP wants), bytes the server sends
 * are printed the moment they arrive.
 *
 * "exit" (the notes' word) leaves at once. End of input (Ctrl-D, or the end
 * of a pipe) half-closes the connection with shutdown(SHUT_WR): the server
 * sees our FIN, and we keep printing until it closes its side, so
 *   printf 'GET / HTTP/1.0\n\n' | 07-client/client
 * works like nc. What you see is what curl hides: a keep-alive server leaves
 * the connection open after a reply, a closing one says goodbye.
 */
#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "param.h"

enum { RELAY_GOING, RELAY_EXIT };

/* What was typed and not sent yet: the start of a line. */
struct typed {
	char buf[CLIENT_LINE_MAX];
	size_t len;
	int continued;              /* the line's start was sent: it is not "exit" */
};

static int interactive;        /* stdin is a terminal: show a prompt */
static int prompting;          /* the prompt is the last thing on the screen */

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: client [-h] [HOST [PORT]]\n"
	    "Connect to HOST (default %s; a name, IPv4 or IPv6 address) on\n"
	    "PORT (default %s). Each line you type is sent with CRLF; an empty line\n"
	    "ends a request head. Replies are printed as they arrive. \"exit\" leaves;\n"
	    "Ctrl-D half-closes and waits for the server to close.\n\n"
	    "try:\n"
	    "  client %s %s      then type: GET / HTTP/1.1, Host: x, an empty line\n"
	    "  printf 'GET / HTTP/1.0\\n\\n' | client\n",
	    DEFAULT_ADDR, DEFAULT_PORT, DEFAULT_ADDR, DEFAULT_PORT);
}

/* Try every address HOST has, in getaddrinfo's order, until one connects. */
static int
connect_to(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, rc, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		errx(1, "%s port %s: %s", host, port, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd != -1 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		errno = saved;
		err(1, "connect to %s port %s", host, port);
	}
	return fd;
}

static void
prompt(void)
{
	if (interactive) {
		fputs("> ", stderr);
		prompting = 1;
	}
}

/*
 * Print what the server sent on lines of its own: a reply that began right
 * after the prompt would read "> HTTP/1.1 200 OK". Once it ends a line, the
 * prompt comes back for what you type next.
 */
static void
show_reply(const char *buf, size_t len)
{
	if (prompting) {
		fputs("\n", stderr);
		prompting = 0;
	}
	if (net_write_all(STDOUT_FILENO, buf, len, NULL) == -1)
		err(1, "stdout");
	if (buf[len - 1] == '\n')
		prompt();
}

/* Send one line (without its LF, maybe with a CR) followed by CRLF. The
 * rest of a long line is not a line of its own, so it is never "exit". */
static int
send_line(int sock, const char *line, size_t len, int continued)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (!continued && len == 4 && memcmp(line, "exit", 4) == 0)
		return RELAY_EXIT;
	if (net_write_all(sock, line, len, NULL) == -1 ||
	    net_write_all(sock, "\r\n", 2, NULL) == -1)
		err(1, "send");
	prompt();
	return RELAY_GOING;
}

/* A full buffer and no newline in sight: send what we have, except a last
 * CR, which may be the first half of the line's CRLF. */
static void
send_start(int sock, struct typed *t)
{
	size_t n = t->len - (t->buf[t->len - 1] == '\r');

	if (net_write_all(sock, t->buf, n, NULL) == -1)
		err(1, "send");
	memmove(t->buf, t->buf + n, t->len - n);
	t->len -= n;
	t->continued = 1;
}

/* Send every complete line typed; keep an unfinished one for later. */
static int
send_lines(int sock, struct typed *t)
{
	char *lf;

	while ((lf = memchr(t->buf, '\n', t->len)) != NULL) {
		size_t n = (size_t)(lf - t->buf);

		if (send_line(sock, t->buf, n, t->continued) == RELAY_EXIT)
			return RELAY_EXIT;
		t->continued = 0;
		memmove(t->buf, lf + 1, t->len - n - 1);
		t->len -= n + 1;
	}
	if (t->len == sizeof t->buf)
		send_start(sock, t);
	return RELAY_GOING;
}

/* Read what you typed; at end of input, half-close. Returns RELAY_*. */
static int
from_stdin(int sock, struct typed *t, int *open)
{
	ssize_t n = read(STDIN_FILENO, t->buf + t->len, sizeof t->buf - t->len);

	if (n == -1 && errno == EINTR)
		return RELAY_GOING;
	if (n > 0) {
		t->len += (size_t)n;
		return send_lines(sock, t);
	}
	if (t->len > 0 && send_line(sock, t->buf, t->len, t->continued) == RELAY_EXIT)
		return RELAY_EXIT;
	/* Our FIN tells the server we are done; its reply can still come. */
	if (shutdown(sock, SHUT_WR) == -1)
		err(1, "shutdown");
	*open = 0;
	return RELAY_GOING;
}

/* Wait on the keyboard and the socket together; print what the server says. */
static int
relay(int sock)
{
	struct typed in;
	char out[IO_CHUNK];
	struct pollfd p[2] = { { STDIN_FILENO, POLLIN, 0 }, { sock, POLLIN, 0 } };
	long long received = 0;
	int stdin_open = 1;
	ssize_t n;

	in.len = 0;
	in.continued = 0;
	for (prompt();;) {
		p[0].fd = stdin_open ? STDIN_FILENO : -1;   /* poll skips fd -1 */
		if (poll(p, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (p[1].revents != 0) {
			n = recv(sock, out, sizeof(out), 0);
			if (n == 0) {
				fprintf(stderr, "\nconnection closed by the server after %lld bytes\n", received);
				return 0;
			}
			if (n == -1 && errno != EINTR)
				err(1, "connection lost after %lld bytes", received);
			if (n > 0)
				show_reply(out, (size_t)n);
			received += n > 0 ? n : 0;
		}
		if (p[0].revents != 0 && from_stdin(sock, &in, &stdin_open) == RELAY_EXIT)
			return 0;
	}
}

int
main(int argc, char **argv)
{
	const char *host = DEFAULT_ADDR, *port = DEFAULT_PORT;
	int c, sock, rc;

	while ((c = getopt(argc, argv, "h")) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return 2;
	}
	if (argc - optind > 2) {
		usage(stderr);
		return 2;
	}
	if (optind < argc)
		host = argv[optind];
	if (optind + 1 < argc)
		port = argv[optind + 1];
	/* Writing to a connection the server closed must fail, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	interactive = isatty(STDIN_FILENO);
	sock = connect_to(host, port);
	if (interactive)
		fprintf(stderr, "connected to %s port %s; \"exit\" or Ctrl-D to leave\n", host, port);
	rc = relay(sock);
	close(sock);
	return rc;
}
