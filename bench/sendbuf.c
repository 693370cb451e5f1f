/*
 * sendbuf.c: how much of a response one non-blocking send takes when the
 * client is not reading yet, the case of the notes' 2.4 loop, which calls
 * send once and forgets the rest. Over a loopback connection whose other
 * end never reads, it sends SIZE bytes from a non-blocking socket: once,
 * then again and again until EAGAIN. Whatever the kernel did not take is
 * what a program that ignores send's return value loses.
 *
 *   bench/sendbuf [SIZE]      (default 10 MiB, the size of the tests' file)
 *
 * Prints the first send's count, the total taken before EAGAIN, and the
 * socket's send buffer (SO_SNDBUF) at the end.
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A connected pair over 127.0.0.1: *client reads (never, here), *server sends. */
static void
loopback_pair(int *client, int *server)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int lfd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(lfd, 1) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) == -1)
		err(1, "listen");
	if ((*client = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (connect(*client, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		err(1, "connect");
	if ((*server = accept(lfd, NULL, NULL)) == -1)
		err(1, "accept");
	close(lfd);
}

int
main(int argc, char **argv)
{
	size_t size = argc > 1 ? strtoul(argv[1], NULL, 10) : 10u << 20, total;
	char *buf = malloc(size);
	int client, server, sndbuf;
	socklen_t len = sizeof(sndbuf);
	ssize_t n;

	if (size == 0 || buf == NULL)
		errx(2, "usage: sendbuf [SIZE]");
	memset(buf, 'x', size);
	loopback_pair(&client, &server);
	if (fcntl(server, F_SETFL, O_NONBLOCK) == -1)
		err(1, "fcntl");
	if ((n = send(server, buf, size, 0)) == -1)
		err(1, "send");
	printf("size\t%zu\nfirst send\t%zd\n", size, n);
	total = (size_t)n;
	while (total < size && (n = send(server, buf + total, size - total, 0)) > 0)
		total += (size_t)n;
	if (total < size && errno != EAGAIN && errno != EWOULDBLOCK)
		err(1, "send");
	if (getsockopt(server, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) == -1)
		err(1, "getsockopt");
	printf("until EAGAIN\t%zu\nSO_SNDBUF\t%d\n", total, sndbuf);
	close(client);
	close(server);
	free(buf);
	return 0;
}
