/*
 * net.c: the socket plumbing that no stage teaches but every stage needs.
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "net.h"
#include "param.h"

void
net_peer_name(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(buf, size, "%s:%u", host, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(buf, size, "[%s]:%u", host, port);
	} else {
		snprintf(buf, size, "%s", host);
	}
}

static int
listen_on(const struct addrinfo *ai)
{
	int fd, one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if ((!BUG_NO_REUSEADDR &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, SOMAXCONN) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Why bind failed, in words a student can act on. */
static void
listen_failed(const char *addr, const char *port)
{
	int e = errno;
	long n = strtol(port, NULL, 10);

	errno = e;
	if (errno == EACCES && n > 0 && n < 1024)
		err(1, "listen on %s port %s (ports below 1024 need root; try -p 8080)",
		    addr, port);
	/*
	 * With SO_REUSEADDR, connections left in TIME_WAIT do not hold the
	 * port: only a socket listening on it does. Without it they do too.
	 */
	if (errno == EADDRINUSE && !BUG_NO_REUSEADDR)
		err(1, "listen on %s port %s (another program is listening there, not a "
		    "TIME_WAIT: SO_REUSEADDR is set; ss -ltnp 'sport = :%s' names it, "
		    "or pick another port with -p)", addr, port, port);
	if (errno == EADDRINUSE)
		err(1, "listen on %s port %s (another program is listening there, or, without "
		    "SO_REUSEADDR, connections of the last run are in TIME_WAIT: ss -tan "
		    "'sport = :%s')", addr, port, port);
	err(1, "listen on %s port %s", addr, port);
}

int
net_listen(const char *addr, const char *port, char *url, size_t size)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char name[NET_PEER_MAX];
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(addr, port, &hints, &res)) != 0)
		errx(1, "%s port %s: %s", addr, port, gai_strerror(rc));
	/* A name ("localhost") may have several addresses: take the first that works. */
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = listen_on(ai);
	freeaddrinfo(res);
	if (fd == -1)
		listen_failed(addr, port);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		err(1, "getsockname");
	net_peer_name(&ss, name, sizeof(name));
	if (snprintf(url, size, "http://%s/", name) >= (int)size)
		errx(1, "the URL of %s does not fit in %zu bytes", name, size);
	return fd;
}

int
net_write_all(int fd, const void *buf, size_t len, long long *sent)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		if (sent != NULL)
			*sent += n;
	}
	return 0;
}

int
net_send_file(int fd, int file, off_t off, off_t len, long long *sent)
{
	char buf[IO_CHUNK];

	while (len > 0) {
		/* Never more than len: a file that grew must not overrun Content-Length. */
		size_t want = len < (off_t)sizeof(buf) ? (size_t)len : sizeof(buf);
		ssize_t n = pread(file, buf, want, off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;   /* the file shrank under us: the length was a lie */
		if (net_write_all(fd, buf, (size_t)n, sent) == -1)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

void
net_accept_backoff(void)
{
	const struct timespec pause = { 0, ACCEPT_BACKOFF_MS * 1000000L };

	if (errno != EINTR && errno != ECONNABORTED && errno != EINVAL)
		nanosleep(&pause, NULL);
}

int
net_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags == -1)
		return -1;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}
