/*
 * 05-keepalive: one connection, many requests (HTTP/1.1 persistent connections).
 *
 * Lesson (notes 2.4): closing the connection is one way to say "the response
 * is complete"; Content-Length is the other, and it lets the connection carry
 * the next request without a new TCP handshake. HTTP/1.1 keeps a connection
 * open unless either side says "Connection: close"; HTTP/1.0 closes unless
 * the client asks for keep-alive.
 *
 * Changed from 04-nonblock: after a response the connection goes back to
 * reading instead of closing (conn_done). Bytes that arrived after the
 * request are kept: they are the next request (pipelining), answered in
 * order, before we wait for more input. The input is framed exactly: a
 * request body announced by Content-Length is skipped (drop_input), or it
 * would be parsed as the next request. An idle connection holds no buffers
 * and is closed after the -t timeout.
 *
 * Left for 06-epoll: the loop still tries every connection on every pass.
 */
#include <err.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "net.h"
#include "param.h"
#include "setup.h"

enum conn_state {
	CONN_READING,   /* collecting a request head */
	CONN_WRITING,   /* sending the response */
	CONN_CLOSING,   /* our FIN is sent; discarding input until the client's */
};

/* The request and response in flight; allocated only while there is one. */
struct exchange {
	char in[REQUEST_MAX];
	size_t in_len;
	long parsed;                /* http_parse's result */
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
	char peer[64];
	struct exchange *x;
};

static struct conn **conns;     /* indexed by descriptor */
static int conns_size;
static int maxfd = -1;          /* highest descriptor in conns */
static const struct setup *cfg;

static void
conn_close(struct conn *c)
{
	if (c->x != NULL && c->x->res.fd != -1)
		close(c->x->res.fd);
	close(c->fd);
	conns[c->fd] = NULL;
	while (maxfd >= 0 && conns[maxfd] == NULL)
		maxfd--;
	free(c->x);
	free(c);
}

static void
conn_log(struct conn *c)
{
	char line[LOG_LINE_MAX];
	struct exchange *x = c->x;

	if (cfg->quiet)
		return;
	http_log_line(line, sizeof(line), c->peer, x->parsed > 0 ? &x->req : NULL,
	              x->res.status, (long long)x->head_off + x->body_off);
	printf("%s\n", line);
}

/* Build the response for what http_parse said, and start sending it. */
static void
conn_respond(struct conn *c)
{
	struct exchange *x = c->x;

	x->res.fd = -1;
	if (x->parsed < 0)
		http_error(&x->res, (int)-x->parsed);
	else
		http_respond(cfg->root, &x->req, 1, &x->res);
	if (x->parsed > 0)
		x->drop = x->parsed + x->req.content_length;
	x->head_off = 0;
	x->body_off = 0;
	c->state = CONN_WRITING;
}

/* Discard what the last request used: its head, then its body as it arrives. */
static void
drop_input(struct exchange *x)
{
	size_t n = x->drop < (long long)x->in_len ? (size_t)x->drop : x->in_len;

	memmove(x->in, x->in + n, x->in_len - n);
	x->in_len -= n;
	x->drop -= (long long)n;
}

/* Respond once the input holds a whole request head (or cannot become one). */
static void
conn_parse(struct conn *c)
{
	struct exchange *x = c->x;

	x->parsed = http_parse(x->in, x->in_len, &x->req);
	if (x->parsed == 0 && x->in_len == REQUEST_MAX)
		x->parsed = -400;   /* only blank lines: nothing a parser can use */
	if (x->parsed != 0)
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
		if ((x = c->x = calloc(1, sizeof(*x))) == NULL) {
			conn_close(c);
			return 1;
		}
		x->res.fd = -1;
	}
	n = recv(c->fd, x->in + x->in_len, REQUEST_MAX - x->in_len, 0);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n <= 0) {
		conn_close(c);   /* the client left, or reset */
		return 1;
	}
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
		free(x);
		c->x = NULL;
		/* Closing with unread input would send RST and could destroy the reply. */
		shutdown(c->fd, SHUT_WR);
		c->state = CONN_CLOSING;
		return;
	}
	c->state = CONN_READING;
	drop_input(x);
	if (x->in_len == 0 && x->drop == 0) {
		free(x);    /* idle: an open connection holds no buffers */
		c->x = NULL;
	} else if (x->drop == 0) {
		conn_parse(c);   /* pipelined: the next request may be here already */
	}
}

/* Send as much as the socket takes: first the head, then the file. */
static int
conn_write(struct conn *c)
{
	struct exchange *x = c->x;
	char buf[IO_CHUNK];
	ssize_t n;
	int progress = 0;

	while (x->head_off < x->res.head_len) {
		n = send(c->fd, x->res.head + x->head_off, x->res.head_len - x->head_off, 0);
		if (n == -1)
			goto unsent;
		x->head_off += (size_t)n;
		progress = 1;
	}
	while (x->res.fd != -1 && x->body_off < x->res.body_len) {
		/* Read from where the last send stopped: unsent bytes are read again. */
		n = pread(x->res.fd, buf, sizeof(buf), x->body_off);
		if (n <= 0) {
			errno = EIO;   /* the file shrank: the Content-Length was a lie */
			goto unsent;
		}
		n = send(c->fd, buf, (size_t)n, 0);
		if (n == -1)
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
	conn_close(c);   /* EPIPE, ECONNRESET: the client is gone */
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
		conn_close(c);
	return 1;
}

/* Drop a connection that made no progress for too long. */
static void
conn_expire(struct conn *c, time_t now)
{
	int limit = c->state == CONN_CLOSING ? LINGER_SECONDS : cfg->timeout;

	if (now - c->active <= limit)
		return;
	if (c->state == CONN_READING && c->x != NULL && c->x->in_len > 0) {
		c->x->parsed = -408;   /* a partial request: say why we give up */
		conn_respond(c);
		return;
	}
	conn_close(c);
}

static void
conn_open(int fd, const struct sockaddr_storage *ss)
{
	struct conn *c;
	int one = 1;

	if (fd >= conns_size || net_nonblock(fd) == -1 ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	/*
	 * Nagle's algorithm holds a small segment (our body, after the head)
	 * until the last one is acknowledged, and the client delays its ACK
	 * (up to 40 ms) hoping to send it with data: on a kept-alive
	 * connection every request would wait for that. Send at once instead.
	 */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->state = CONN_READING;
	c->active = net_now();
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
			/* EAGAIN: none left. EMFILE: retried on a later pass. */
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return progress;
		}
		conn_open(fd, &ss);
		progress = 1;
	}
}

/* Move one connection forward as far as it goes; 1 if it did anything. */
static int
conn_step(struct conn *c)
{
	int fd = c->fd, progress = 0;

	if (c->state == CONN_READING)
		progress = conn_read(c);
	if (conns[fd] == c && c->state == CONN_WRITING)
		progress |= conn_write(c);
	else if (conns[fd] == c && c->state == CONN_CLOSING)
		progress |= conn_linger(c);
	if (progress && conns[fd] == c)
		c->active = net_now();
	return progress;
}

/*
 * The notes' loop: try accept, then try every connection. Nothing here
 * blocks, so when a whole pass finds nothing to do we sleep briefly; without
 * that the loop would spin on a full core while the server is idle.
 */
static void
serve_forever(const struct setup *s)
{
	const struct timespec idle = { 0, POLL_IDLE_USEC * 1000L };
	time_t now;
	int fd, progress;

	while (!net_stop) {
		progress = accept_clients(s->listen_fd);
		now = net_now();
		for (fd = 0; fd <= maxfd; fd++) {
			if (conns[fd] == NULL)
				continue;
			if (conn_step(conns[fd]))
				progress = 1;
			else
				conn_expire(conns[fd], now);
		}
		if (!progress)
			nanosleep(&idle, NULL);
	}
}

/* One slot per possible descriptor: RLIMIT_NOFILE is how many there can be. */
static void
conns_init(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "getrlimit");
	conns_size = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1048576 ?
	             1048576 : (int)rl.rlim_cur;
	if ((conns = calloc((size_t)conns_size, sizeof(*conns))) == NULL)
		err(1, "calloc");
}

int
main(int argc, char **argv)
{
	struct setup s;
	int fd;

	setup_server(argc, argv, "05-keepalive: 04-nonblock plus HTTP/1.1 "
	             "persistent connections and pipelining.", &s);
	cfg = &s;
	if (net_nonblock(s.listen_fd) == -1)
		err(1, "fcntl");
	conns_init();
	serve_forever(&s);
	for (fd = 0; fd <= maxfd; fd++)
		if (conns[fd] != NULL)
			conn_close(conns[fd]);
	free(conns);
	close(s.listen_fd);
	fprintf(stderr, "stopped\n");
	return 0;
}
