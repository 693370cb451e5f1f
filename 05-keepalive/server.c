/*
 * 05-keepalive: one connection, many requests (HTTP/1.1 persistent connections).
 *
 * Lesson (notes 2.4): closing the connection is one way to say "the response
 * is complete"; Content-Length is another, and it lets the connection carry
 * the next request without a new TCP handshake. The third is chunked
 * transfer coding (Transfer-Encoding: chunked, in the notes' own example
 * response), for a body whose length is not known when it starts; a file's
 * length is, so we send Content-Length. HTTP/1.1 keeps a connection
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
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
static const struct server *srv;  /* options and descriptors, from setup_server */

/* Only the loop calls this: a handler sets CONN_DONE and returns. */
static void
conn_close(struct conn *c)
{
	if (c->x != NULL && c->x->res.fd != -1)
		close(c->x->res.fd);
	close(c->fd);
	conns[c->fd] = NULL;
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
	char buf[IO_CHUNK];
	ssize_t n, sent;
	int progress = 0;

	while (x->head_off < x->res.head_len) {
		n = send(c->fd, x->res.head + x->head_off, x->res.head_len - x->head_off, 0);
		if (n == -1)
			goto unsent;
		x->head_off += (size_t)n;
		progress = 1;
	}
	while (x->res.fd != -1 && x->body_off < x->res.body_len) {
		off_t left = x->res.body_len - x->body_off;

		/* Read from where the last send stopped: unsent bytes are read again. */
		n = pread(x->res.fd, buf, left < IO_CHUNK ? (size_t)left : sizeof(buf),
		          x->res.file_off + x->body_off);
		if (n <= 0) {
			errno = EIO;   /* the file shrank: the Content-Length was a lie */
			goto unsent;
		}
		sent = send(c->fd, buf, (size_t)n, 0);
		if (sent == -1 && !BUG_UNCHECKED_SEND)
			goto unsent;
		x->body_off += BUG_UNCHECKED_SEND ? n : sent;   /* the notes count all n as sent */
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

	if (fd >= FD_LIMIT_MAX || net_nonblock(fd) == -1 ||
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
	c->fd = fd;
	c->state = CONN_READING;
	c->active = clock_seconds();
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
	int progress = 0;

	if (c->state == CONN_READING)
		progress = conn_read(c);
	if (c->state == CONN_WRITING)
		progress |= conn_write(c);
	else if (c->state == CONN_CLOSING)
		progress |= conn_linger(c);
	if (progress)
		c->active = clock_seconds();
	return progress;
}

/*
 * The notes' loop: try accept, then try every connection. Nothing here
 * blocks, so when a whole pass finds nothing to do we sleep briefly; without
 * that the loop would spin on a full core while the server is idle.
 */
static void
serve_forever(void)
{
	const struct timespec idle = { 0, POLL_IDLE_USEC * 1000L };
	time_t now;
	int fd, progress;

	while (!server_stop) {
		progress = accept_clients(srv->listen_fd);
		now = clock_seconds();
		for (fd = 0; fd <= maxfd; fd++) {
			struct conn *c = conns[fd];

			if (c == NULL)
				continue;
			if (conn_step(c))
				progress = 1;
			else
				conn_expire(c, now);
			if (c->state == CONN_DONE)
				conn_close(c);   /* handlers only mark it done: the loop frees */
		}
		if (!progress && !BUG_BUSY_LOOP)
			nanosleep(&idle, NULL);
	}
}

int
main(int argc, char **argv)
{
	struct server s;
	int fd;

	setup_server(argc, argv, "05-keepalive: 04-nonblock plus HTTP/1.1 "
	             "persistent connections and pipelining.", &s);
	s.files.conn = HTTP_CONN_KEEP;
	srv = &s;
	if (net_nonblock(srv->listen_fd) == -1)
		err(1, "fcntl");
	serve_forever();
	for (fd = 0; fd <= maxfd; fd++)
		if (conns[fd] != NULL)
			conn_close(conns[fd]);
	pool_drain(&exchanges);
	close(srv->listen_fd);
	fprintf(stderr, "stopped\n");
	return 0;
}
