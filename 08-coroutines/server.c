/*
 * 08-coroutines: 03's blocking code, on 06's one-thread event loop.
 *
 * Lesson (notes 2.2, gevent; notes 2.3, "this is basically how gevent
 * works"): a coroutine is a function with a stack of its own that can stop
 * in the middle and be resumed later, on the same thread. Give each
 * connection one, and code written like 03's blocking handler runs on one
 * thread beside thousands of others. The trick is in the calls it makes:
 * where a real recv would block the thread, ours registers interest with
 * the hub (an epoll loop, as in 06) and switches to it; the hub switches
 * back when epoll says the socket is ready. Nothing blocks but epoll_wait.
 * C has the tools in libc (glibc, from System V): makecontext gives a
 * function its own stack, swapcontext saves one's registers and loads
 * another's.
 *
 * Changed from 03-threads (diff against 03, not 06: the handler and the
 * accept loop keep 03's shape, and what changed is the engine under them):
 * pthread_create becomes co_spawn, a coroutine of the engine in coro.c
 * (read it second: stacks, the switch, timers, the hub). accept becomes
 * co_accept, and the request code in common/serve.c runs over hub_io
 * instead of serve_blocking_io: those tables are the monkey patch, the one
 * line that decides whether a blocked call blocks the thread or just the
 * coroutine. A connection is kept alive as in 05/06 (pipelining,
 * Content-Length), with its buffers on its own stack: there is no state
 * machine to keep by hand, because where the code stopped is the state.
 * -t and the lingering close are limits on each wait (co_limit), which
 * the hub keeps as timers. One thread, as in 06, so 06's file cache
 * (common/filecache.c) needs no locks here either.
 *
 * Left for 09-capture: what these bytes look like on the wire. And the
 * price of this model: a coroutine keeps the stack pages it has touched
 * while it waits, so an idle connection costs tens of KiB (bench/results),
 * where 06 holds one small struct; and one coroutine that computes without
 * calling us stops every other (there is no preemption).
 */
#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coro.h"
#include "filecache.h"
#include "lab.h"
#include "net.h"
#include "param.h"
#include "response.h"
#include "serve.h"
#include "setup.h"

/* What a coroutine needs, in memory only it uses (and frees). */
struct client {
	int fd;
	char peer[NET_PEER_MAX];
	const struct server *s;
};

/*
 * The monkey patch. Each call tries the real one on a non-blocking socket;
 * where that would block (EAGAIN), it waits in co_wait instead, so only
 * this coroutine waits, and then tries again.
 */
static ssize_t
co_recv(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = recv(fd, buf, len, 0);

		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return n;
		if (errno != EINTR && co_wait(fd, EPOLLIN) == -1) {
			if (errno == ETIMEDOUT)
				errno = EAGAIN;   /* what SO_RCVTIMEO says in 03 */
			return -1;
		}
	}
}

static int
co_write_all(int fd, const void *buf, size_t len, long long *sent)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, 0);

		if (n >= 0) {
			p += n;
			len -= (size_t)n;
			*sent += n;
		} else if (errno != EINTR && (errno != EAGAIN ||
		           co_wait(fd, EPOLLOUT) == -1)) {
			return -1;
		}
	}
	return 0;
}

/* 06's sendfile: the kernel copies the file from off to the socket as room appears. */
static int
co_send_file(int fd, int file, off_t off, off_t len, long long *sent)
{
	while (len > 0) {
		ssize_t n = sendfile(fd, file, &off, (size_t)len);   /* advances off */

		if (n > 0) {
			len -= n;
			*sent += n;
		} else if (n == 0) {
			errno = EIO;   /* the file shrank: the Content-Length was a lie */
			return -1;
		} else if (errno != EINTR && (errno != EAGAIN ||
		           co_wait(fd, EPOLLOUT) == -1)) {
			return -1;
		}
	}
	return 0;
}

static void
co_set_timeout(int fd, int ms)
{
	(void)fd;   /* a coroutine serves one socket: the limit is its own */
	co_limit(ms);
}

/* The same calls serve.c makes in 03 (serve_blocking_io), made to yield. */
static const struct serve_io hub_io = {
	.recv = co_recv,
	.write_all = co_write_all,
	.send_file = co_send_file,
	.set_timeout = co_set_timeout,
};

/*
 * accept, patched the same way. The new socket is made non-blocking and
 * handed to the hub to watch.
 */
static int
co_accept(int lfd, struct sockaddr_storage *ss, socklen_t *sl)
{
	int fd, one = 1;

	while ((fd = accept(lfd, (struct sockaddr *)ss, sl)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (errno != EINTR && co_wait(lfd, EPOLLIN) == -1)
			return -1;
	}
	/* No Nagle delay for the body after the head (see 06). */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((!BUG_UNPATCHED && net_nonblock(fd) == -1) || hub_watch(fd) == -1) {
		close(fd);
		errno = ECONNABORTED;
		return -1;
	}
	return fd;
}

/* Read requests and answer them until the client is done: in a coroutine. */
static void
client_main(void *arg)
{
	struct client *c = arg;
	struct serve_conn conn;     /* its buffers live on this coroutine's stack */
	char log[LOG_LINE_MAX];

	/* Without the patch (and a blocking socket), a recv stops the whole thread. */
	serve_open(&conn, BUG_UNPATCHED ? &serve_blocking_io : &hub_io, c->fd, c->s, c->peer);
	while (conn.open && serve_request(&conn, log, sizeof(log)) != SERVE_NOTHING)
		if (!c->s->quiet)
			printf("%s\n", log);   /* one thread: lines cannot mix */
	close(c->fd);   /* also takes it out of the epoll set */
	free(c);
}

static void
handle_client(int fd, const struct sockaddr_storage *ss, const struct server *s)
{
	struct client *c;

	if ((c = malloc(sizeof(*c))) != NULL) {
		c->fd = fd;
		c->s = s;
		net_peer_name(ss, c->peer, sizeof(c->peer));
		if (co_spawn(client_main, c) != NULL)
			return;   /* the coroutine owns fd and c now */
	}
	/* Out of memory for a stack (or a context): tell this client, keep serving. */
	warn("co_spawn");
	free(c);
	response_send_error(fd, HTTP_UNAVAILABLE);
	close(fd);
}

/* 03's accept loop, as a coroutine: co_accept lets the others run. */
static void
serve_forever(void *arg)
{
	const struct server *s = arg;

	while (!server_stop) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = co_accept(s->listen_fd, &ss, &sl);

		if (fd == -1) {
			/* EMFILE stays queued and would fail again: wait, do not spin. */
			if (errno != ECONNABORTED && errno != ECANCELED)
				co_sleep(ACCEPT_BACKOFF_MS);
			continue;
		}
		handle_client(fd, &ss, s);
	}
}

int
main(int argc, char **argv)
{
	struct server s;

	setup_server(argc, argv, "08-coroutines: blocking-style code on one "
	             "thread, a coroutine per connection over an epoll loop.", &s);
	s.files.conn = HTTP_CONN_KEEP;
	s.files.open = filecache_open;   /* one thread, as in 06: nothing else touches the cache */
	hub_init(s.listen_fd);
	if (co_spawn(serve_forever, &s) == NULL)
		err(1, "co_spawn");
	hub_run();
	hub_free();
	filecache_free();
	close(s.listen_fd);
	fprintf(stderr, "stopped\n");
	return 0;
}
