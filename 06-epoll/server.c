/*
 * 06-epoll: one thread, and the kernel says which connections are ready.
 *
 * Lesson (notes 2.5): 04 and 05 ask every connection "anything for me?" on
 * every pass, so their work grows with the number of connections even when
 * none of them is doing anything. epoll turns the question around: we
 * register each socket once with what we wait for (input, or room to
 * write), and epoll_wait sleeps until one is ready and returns only those.
 * Idle, the server uses no CPU but a wake-up a second; with 10,000 quiet
 * connections, a pass costs what the few busy ones cost (and the timeout
 * sweep, once a second, a look at each descriptor).
 *
 * Changed from 05-keepalive: serve_forever sleeps in epoll_wait instead of
 * polling; conn_watch asks for EPOLLOUT only while a response is waiting
 * for room in the socket buffer (asking for it otherwise would wake us
 * for every idle connection, since a socket is nearly always writable);
 * files go out with sendfile, which copies from the page cache to the
 * socket without passing through our memory (O_NONBLOCK means nothing for
 * a regular file: opening it, fstat and sendfile can still wait for the
 * disk when the file is not in the page cache); small files are kept in
 * memory by common/filecache.c, so such a request costs epoll_wait, recv
 * and one send; timeouts are swept once a second. When the descriptor
 * limit is reached (EMFILE), accepting pauses until a connection closes.
 *
 * Level-triggered: epoll reports a socket for as long as it is ready, as
 * poll would, so a connection we do not finish with this time is simply
 * reported again. Edge-triggered would save some epoll_wait results but
 * oblige us to read and write until EAGAIN every time, or hang.
 */
#include <err.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "filecache.h"
#include "files.h"
#include "http.h"
#include "lab.h"
#include "net.h"
#include "param.h"
#include "pool.h"
#include "response.h"
#include "setup.h"

enum conn_state {
	CONN_READING,   /* collecting a request head */
	CONN_WRITING,   /* sending the response */
	CONN_CLOSING,   /* our FIN is sent; discarding input until the client's */
	CONN_DONE,      /* finished or failed: the loop frees it, nothing else does */
};

/* The request and response in flight; allocated only while there is one. */
struct exchange {
	char in[REQUEST_MAX];
	size_t in_len;
	size_t in_off;              /* bytes of in already used: the parser starts here */
	size_t scanned;             /* bytes after in_off searched for the head's end */
	time_t started;             /* when the head's first byte came: -T counts from here */
	enum http_parse_result parsed;
	long long drop;             /* input bytes still to discard: head, then body */
	struct http_request req;
	struct http_response res;
	size_t head_off;            /* bytes of res.head sent */
	off_t body_off;             /* bytes of the file sent */
};

struct conn {
	int fd;
	enum conn_state state;
	time_t active;              /* last progress, for the -t timeout */
	unsigned events;            /* what epoll watches for: EPOLLIN or EPOLLOUT */
	char peer[NET_PEER_MAX];
	struct exchange *x;
};

/*
 * A slot per descriptor: setup_server caps the limit at FD_LIMIT_MAX. Pages
 * of the table that no connection has touched cost no memory.
 */
static struct conn *conns[FD_LIMIT_MAX];
static struct pool exchanges = POOL_INIT(sizeof(struct exchange), EXCHANGE_SPARES);
static int maxfd = -1;          /* highest descriptor in conns */
static int epfd;                /* the epoll instance */
static int accept_paused;       /* out of descriptors: listen socket unwatched */
static const struct server *srv;  /* options and descriptors, from setup_server */

/* Watch the listening socket again: a descriptor is free now. */
static void
accept_resume(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = srv->listen_fd };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, srv->listen_fd, &ev) == 0)
		accept_paused = 0;
}

/*
 * Out of descriptors, accept fails with EMFILE, but the connection stays in
 * the listen queue and the socket stays readable: level-triggered epoll
 * would wake us for it again at once, for ever. Stop watching it instead;
 * clients wait in the queue until a connection closes.
 */
static void
accept_pause(void)
{
	if (epoll_ctl(epfd, EPOLL_CTL_DEL, srv->listen_fd, NULL) == 0)
		accept_paused = 1;
}

/* Only the loop calls this: a handler sets CONN_DONE and returns. */
static void
conn_close(struct conn *c)
{
	if (c->x != NULL && c->x->res.fd != -1)
		close(c->x->res.fd);
	close(c->fd);   /* also removes it from the epoll set */
	conns[c->fd] = NULL;
	if (accept_paused)
		accept_resume();
	while (maxfd >= 0 && conns[maxfd] == NULL)
		maxfd--;
	pool_put(&exchanges, c->x);
	free(c);
}

static void
conn_log(struct conn *c)
{
	char line[LOG_LINE_MAX];
	struct exchange *x = c->x;

	if (srv->quiet)
		return;
	response_log(line, sizeof(line), c->peer, x->in + x->in_off,
	              x->in_len - x->in_off, &x->res,
	              (long long)x->head_off + x->body_off);
	printf("%s\n", line);
}

/* Build the response for what http_parse said, and start sending it. */
static void
conn_respond(struct conn *c)
{
	struct exchange *x = c->x;

	x->res.fd = -1;
	if (x->parsed == HTTP_PARSE_ERROR)
		response_error(&x->res, &x->req, x->req.error, x->req.fault);
	else
		files_respond(&srv->files, &x->req, &x->res);
	if (x->parsed == HTTP_PARSE_DONE)
		x->drop = (long long)x->req.head_len + (BUG_NO_DROP_INPUT ? 0 : x->req.content_length);
	x->head_off = 0;
	x->body_off = 0;
	c->state = CONN_WRITING;
}

/*
 * Discard what the last request used: its head, then its body as it
 * arrives. Used bytes are skipped, not moved: the next request starts at
 * in_off, and once everything is used the buffer starts again at its front.
 */
static void
drop_input(struct exchange *x)
{
	size_t left = x->in_len - x->in_off;
	size_t n = x->drop < (long long)left ? (size_t)x->drop : left;

	if (n == 0)
		return;
	x->in_off += n;
	x->drop -= (long long)n;
	x->scanned = 0;
	if (x->in_off == x->in_len)
		x->in_off = x->in_len = 0;
}

/* Respond once the input holds a whole request head (or cannot become one). */
static void
conn_parse(struct conn *c)
{
	struct exchange *x = c->x;
	const char *in = x->in + x->in_off;
	size_t len = x->in_len - x->in_off;

	if (!http_head_ready(in, len, &x->scanned))
		return;
	x->parsed = http_parse(in, len, &x->req);
	if (x->parsed != HTTP_PARSE_MORE)
		conn_respond(c);
}

/* Take what has arrived, and see whether it is a request yet. */
static int
conn_read(struct conn *c)
{
	struct exchange *x = c->x;
	ssize_t n;

	if (x == NULL) {
		/* Memory for a request only once one starts to arrive. */
		if ((x = c->x = pool_get(&exchanges)) == NULL) {
			response_send_error(c->fd, HTTP_UNAVAILABLE);   /* out of memory */
			c->state = CONN_DONE;
			return 1;
		}
		/* Not zeroed: 22 KiB of zeros per request cost more than the rest. */
		x->in_len = 0;
		x->scanned = 0;
		x->in_off = 0;
		x->drop = 0;
		x->res.fd = -1;
	}
	if (x->in_len == REQUEST_MAX && x->in_off > 0) {
		/* Out of room: only now move the unused bytes to the front. */
		memmove(x->in, x->in + x->in_off, x->in_len - x->in_off);
		x->in_len -= x->in_off;
		x->in_off = 0;
	}
	n = recv(c->fd, x->in + x->in_len, REQUEST_MAX - x->in_len, 0);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n <= 0) {
		c->state = CONN_DONE;   /* the client left, or reset */
		return 1;
	}
	if (x->in_len == 0)
		x->started = clock_seconds();
	x->in_len += (size_t)n;
	drop_input(x);
	if (x->drop == 0)
		conn_parse(c);
	return 1;
}

/* The response is out: log it, then wait for the next request, or close. */
static void
conn_done(struct conn *c)
{
	struct exchange *x = c->x;

	conn_log(c);
	if (x->res.fd != -1)
		close(x->res.fd);
	x->res.fd = -1;
	if (!x->res.keep_alive) {
		pool_put(&exchanges, x);
		c->x = NULL;
		/* Closing with unread input would send RST and could destroy the reply. */
		shutdown(c->fd, SHUT_WR);
		c->state = CONN_CLOSING;
		if (BUG_NO_LINGER)
			c->state = CONN_DONE;   /* the notes close at once: unread input makes it RST */
		return;
	}
	c->state = CONN_READING;
	drop_input(x);
	if (BUG_DROP_PIPELINED)
		x->in_off = x->in_len = 0;   /* the notes: the rest of that recv is lost */
	if (x->in_len == 0 && x->drop == 0) {
		pool_put(&exchanges, x);    /* idle: an open connection holds no buffers */
		c->x = NULL;
	} else if (x->drop == 0) {
		x->started = clock_seconds();   /* the next head's deadline counts from here */
		conn_parse(c);   /* pipelined: the next request may be here already */
	}
}

/* Send as much as the socket takes: first the head, then the file. */
static int
conn_write(struct conn *c)
{
	struct exchange *x = c->x;
	ssize_t n;
	int progress = 0;

	while (x->head_off < x->res.head_len) {
		/* MSG_MORE: a file follows; let its first bytes share the head's packet. */
		n = send(c->fd, x->res.head + x->head_off, x->res.head_len - x->head_off,
		         x->res.fd != -1 && x->res.body_len > 0 ? MSG_MORE : 0);
		if (n == -1)
			goto unsent;
		x->head_off += (size_t)n;
		progress = 1;
	}
	while (x->res.fd != -1 && x->body_off < x->res.body_len) {
		off_t pos = x->res.file_off + x->body_off;

		/* The kernel copies page cache to socket, from pos on. */
		n = sendfile(c->fd, x->res.fd, &pos, (size_t)(x->res.body_len - x->body_off));
		if (n == 0)
			errno = EIO;   /* the file shrank: the Content-Length was a lie */
		if (n <= 0)
			goto unsent;
		x->body_off += n;
		progress = 1;
	}
	conn_done(c);
	return 1;
unsent:
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return progress;   /* the socket buffer is full: later */
	conn_log(c);
	c->state = CONN_DONE;   /* EPIPE, ECONNRESET: the client is gone */
	return 1;
}

/* After our FIN: discard input until the client closes too. */
static int
conn_linger(struct conn *c)
{
	char junk[4096];
	ssize_t n = recv(c->fd, junk, sizeof(junk), 0);

	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n <= 0)
		c->state = CONN_DONE;
	return 1;
}

/*
 * Give up on a client that is too slow: one silent for -t seconds, or one
 * whose request head is still incomplete -T seconds after its first byte
 * (a byte now and then resets the silence, never the deadline).
 */
static void
conn_expire(struct conn *c, time_t now)
{
	struct exchange *x = c->x;
	int limit = c->state == CONN_CLOSING ? LINGER_SECONDS : srv->timeout;
	char line[LOG_LINE_MAX];

	if (c->state == CONN_READING && x != NULL && x->in_len > 0 &&
	    (now - c->active > limit || now - x->started >= srv->deadline)) {
		x->parsed = HTTP_PARSE_ERROR;   /* a partial request: say why we give up */
		http_timed_out(&x->req);
		conn_respond(c);
		return;
	}
	if (now - c->active <= limit)
		return;
	if (c->state == CONN_READING && !srv->quiet) {
		response_log_silent(line, sizeof(line), c->peer, srv->timeout);
		printf("%s\n", line);   /* nothing asked: closed without an answer */
	}
	c->state = CONN_DONE;
}

static void
conn_open(int fd, const struct sockaddr_storage *ss)
{
	struct conn *c;
	int one = 1;

	/* A blocking socket would hold the whole loop in a send to a slow client. */
	if (fd >= FD_LIMIT_MAX || (!BUG_BLOCKING_ACCEPTED && net_nonblock(fd) == -1) ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		response_send_error(fd, HTTP_UNAVAILABLE);   /* as 02 and 03 do out of processes */
		close(fd);
		return;
	}
	/*
	 * Nagle's algorithm holds a small segment (our body, after the head)
	 * until the last one is acknowledged, and the client delays its ACK
	 * (on Linux at least 40 ms, up to 200 ms) hoping to send it with
	 * data: on a kept-alive connection every request would wait for
	 * that. Send at once instead.
	 */
	if (!BUG_NO_NODELAY)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (BUG_EPOLLOUT_ALWAYS)
		ev.events = EPOLLIN | EPOLLOUT;   /* also room to write: nearly always there */
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		free(c);
		close(fd);
		return;
	}
	c->fd = fd;
	c->state = CONN_READING;
	c->active = clock_seconds();
	c->events = EPOLLIN;
	net_peer_name(ss, c->peer, sizeof(c->peer));
	conns[fd] = c;
	if (fd > maxfd)
		maxfd = fd;
}

/* Accept every connection waiting in the listen queue. */
static int
accept_clients(int lfd)
{
	int progress = 0;

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept(lfd, (struct sockaddr *)&ss, &sl);

		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE)
				accept_pause();
			return progress;   /* EAGAIN: none left */
		}
		conn_open(fd, &ss);
		progress = 1;
	}
}

/* Wait for room to write only while a response is unsent; else for input. */
static void
conn_watch(struct conn *c)
{
	unsigned want = c->state == CONN_WRITING ? EPOLLOUT : EPOLLIN;
	struct epoll_event ev = { .events = want, .data.fd = c->fd };

	if (BUG_EPOLLOUT_ALWAYS)
		return;   /* registered for both at conn_open, and left so */
	if (want == c->events)
		return;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1) {
		c->state = CONN_DONE;
		return;
	}
	c->events = want;
}

/* Move one connection forward as far as it goes; 1 if it did anything. */
static int
conn_step(struct conn *c)
{
	int progress = 0;

	if (c->state == CONN_READING)
		progress = conn_read(c);
	if (c->state == CONN_WRITING)
		progress |= conn_write(c);
	else if (c->state == CONN_CLOSING)
		progress |= conn_linger(c);
	if (progress)
		c->active = clock_seconds();
	if (c->state != CONN_DONE)
		conn_watch(c);
	return progress;
}

/*
 * Close what has been silent too long; once a second is often enough. It
 * looks at every descriptor, so its cost grows with the connections held.
 */
static void
sweep_timeouts(void)
{
	static time_t last;
	time_t now = clock_seconds();
	int fd;

	if (now == last)
		return;
	last = now;
	for (fd = 0; fd <= maxfd; fd++) {
		struct conn *c = conns[fd];

		if (c == NULL)
			continue;
		conn_expire(c, now);
		if (c->state == CONN_WRITING)
			conn_watch(c);   /* a 408 to send: wait for room to write it */
		if (c->state == CONN_DONE)
			conn_close(c);   /* handlers only mark it done: the loop frees */
	}
	if (accept_paused)
		accept_resume();   /* a descriptor may have been freed elsewhere */
}

/*
 * The notes' loop: sleep until the kernel reports ready sockets, handle
 * just those. The 1 s timeout wakes us for the timeout sweep.
 */
static void
serve_forever(void)
{
	struct epoll_event events[EPOLL_BATCH];
	int i, n;

	while (!server_stop) {
		n = epoll_wait(epfd, events, EPOLL_BATCH, 1000);
		if (n == -1 && errno != EINTR)
			err(1, "epoll_wait");
		for (i = 0; i < n; i++) {
			int fd = events[i].data.fd;
			struct conn *c = conns[fd];

			if (fd == srv->listen_fd) {
				accept_clients(fd);
				continue;
			}
			if (c == NULL)
				continue;
			conn_step(c);
			if (c->state == CONN_DONE)
				conn_close(c);   /* handlers only mark it done: the loop frees */
		}
		sweep_timeouts();
	}
}

int
main(int argc, char **argv)
{
	struct server s;
	int fd;

	setup_server(argc, argv, "06-epoll: 05-keepalive on an epoll event loop, "
	             "with sendfile.", &s);
	s.files.conn = HTTP_CONN_KEEP;
	s.files.open = filecache_open;   /* one thread: nothing else touches the cache */
	srv = &s;
	if (net_nonblock(srv->listen_fd) == -1)
		err(1, "fcntl");
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
	accept_resume();
	serve_forever();
	for (fd = 0; fd <= maxfd; fd++)
		if (conns[fd] != NULL)
			conn_close(conns[fd]);
	pool_drain(&exchanges);
	filecache_free();
	close(epfd);
	close(srv->listen_fd);
	fprintf(stderr, "stopped\n");
	return 0;
}
