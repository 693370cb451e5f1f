/*
 * hold.c: open N keep-alive connections to 127.0.0.1:PORT, send one request
 * on each, read every reply, then hold them all idle for SECONDS. Used by
 * c10k.sh to measure what an idle kept-alive connection costs a server,
 * and by coro.sh. With PATH "-" nothing is sent: the connections stay
 * silent (what 03-threads holds a thread for).
 *
 *   bench/hold PORT N SECONDS PATH
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Read until a whole reply (head + Content-Length bytes) has arrived. */
static int
read_reply(int fd)
{
	char buf[65536], *end, *cl;
	size_t len = 0;
	long body;
	ssize_t n;

	for (;;) {
		if ((n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		if ((cl = strstr(buf, "Content-Length: ")) == NULL)
			return -1;
		body = atol(cl + 16);
		if ((long)len >= end + 4 - buf + body)
			return 0;
		if (len == sizeof(buf) - 1)
			return -1;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	char req[256];
	int i, n, *fds, ok = 0, silent;

	if (argc != 5)
		errx(2, "usage: hold PORT N SECONDS PATH");
	n = atoi(argv[2]);
	silent = strcmp(argv[4], "-") == 0;
	if ((fds = calloc((size_t)n, sizeof(*fds))) == NULL)
		err(1, "calloc");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", argv[4]);
	for (i = 0; i < n; i++) {
		if ((fds[i] = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			err(1, "socket %d", i);
		if (connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) == -1)
			err(1, "connect %d", i);
		if (!silent && send(fds[i], req, strlen(req), 0) == -1)
			err(1, "send %d", i);
	}
	for (i = 0; i < n; i++)
		ok += silent || read_reply(fds[i]) == 0;
	printf("%d of %d connections %s, now idle\n", ok, n, silent ? "open" : "answered");
	fflush(stdout);
	sleep((unsigned)atoi(argv[3]));
	return ok == n ? 0 : 1;
}
