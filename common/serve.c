/*
 * serve.c: read a request until its blank line, answer it, and either close
 * or wait for the next one.
 *
 * This is the lecture notes' deal_socket() with its bugs fixed: the request
 * is read until the head is complete rather than taken from one recv(1024),
 * every write is checked and continued, errors get their real status, and
 * a client cannot hold the caller for ever: the timeout bounds each silence
 * (-t), a deadline the whole head however slowly it trickles in (-T). Where
 * the stage keeps connections alive, bytes after a request are kept: they
 * are the next one (pipelining), and a body announced by Content-Length is
 * skipped rather than parsed as a request.
 *
 * The code never calls recv or send itself: it calls through c->io, so the
 * same lines run on a blocking socket (01-03) and on a coroutine (08).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "lab.h"
#include "net.h"
#include "serve.h"

static ssize_t
blocking_recv(int fd, void *buf, size_t len)
{
	return recv(fd, buf, len, 0);
}

static void
blocking_timeout(int fd, int seconds)
{
	struct timeval tv = { seconds, 0 };

	if (BUG_NO_TIMEOUT)
		return;   /* the notes' recv waits for ever */
	/* Failing leaves the socket without a timeout, which is still correct. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

const struct serve_io serve_blocking_io = {
	.recv = blocking_recv,
	.write_all = net_write_all,
	.send_file = net_send_file,
	.set_timeout = blocking_timeout,
};

void
serve_open(struct serve_conn *c, const struct serve_io *io, int fd,
           const struct server *srv, const char *peer, enum http_conn conn)
{
	c->io = io;
	c->fd = fd;
	c->srv = srv;
	c->peer = peer;
	c->conn = conn;
	c->open = 1;
	c->in_len = 0;
	c->drop = 0;
}

/* Discard what the last request used: its head, then its body as it arrives. */
static void
drop_input(struct serve_conn *c)
{
	size_t n = c->drop < (long long)c->in_len ? (size_t)c->drop : c->in_len;

	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
	c->drop -= (long long)n;
}

/*
 * How long the next wait may last: the -t silence a client is allowed, or
 * less once the -T deadline for the whole head is nearer; 0 when it is past.
 * Without the deadline, a byte every few seconds would hold us for ever.
 */
static int
wait_seconds(const struct server *srv, time_t deadline)
{
	time_t left;

	if (deadline == 0)
		return srv->timeout;   /* the head has not begun */
	left = deadline - server_now();
	if (left >= srv->timeout)
		return srv->timeout;
	return left > 0 ? (int)left : 0;
}

/*
 * Read until http_parse decides. HTTP_PARSE_MORE means the client left; a
 * timeout is an ERROR with req->error 408, and c->in_len then says whether
 * a request had begun (0: the client stayed silent).
 */
static enum http_parse_result
read_request(struct serve_conn *c, struct http_request *req)
{
	enum http_parse_result parsed = HTTP_PARSE_MORE;
	time_t deadline = 0;            /* set once the head's first byte is here */
	int wait = c->srv->timeout, next;

	for (;;) {
		drop_input(c);
		if (c->drop == 0 && c->in_len > 0 && deadline == 0)
			deadline = server_now() + c->srv->deadline;
		/* A full buffer always gets DONE or ERROR (http.h), so in_len stays in it. */
		if (c->drop == 0 &&
		    (parsed = http_parse(c->in, c->in_len, req)) != HTTP_PARSE_MORE)
			break;
		if (BUG_ONE_RECV && c->in_len > 0)
			break;   /* the notes: what one recv returned is the request */
		if ((next = wait_seconds(c->srv, deadline)) == 0)
			break;
		if (next != wait)
			c->io->set_timeout(c->fd, wait = next);
		ssize_t n = c->io->recv(c->fd, c->in + c->in_len, REQUEST_MAX - c->in_len);
		if (n > 0)
			c->in_len += (size_t)n;
		else if (n == -1 && errno == EINTR && !server_stop)
			continue;
		else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		else
			return HTTP_PARSE_MORE;   /* closed, reset, or told to stop */
	}
	if (wait != c->srv->timeout)
		c->io->set_timeout(c->fd, c->srv->timeout);   /* the response gets the full -t */
	if (parsed == HTTP_PARSE_MORE) {
		req->error = HTTP_REQUEST_TIMEOUT;
		return HTTP_PARSE_ERROR;
	}
	return parsed;
}

/*
 * Closing a socket with unread input makes the kernel answer with RST, and
 * an RST can destroy the response before the client has read it. So: send
 * our FIN, then read and discard until the client closes too, for at most
 * LINGER_SECONDS (a "lingering close").
 */
void
serve_finish(struct serve_conn *c)
{
	char junk[4096];
	time_t deadline = server_now() + LINGER_SECONDS;

	c->open = 0;
	c->io->set_timeout(c->fd, LINGER_SECONDS);
	if (shutdown(c->fd, SHUT_WR) == -1)
		return;
	while (c->io->recv(c->fd, junk, sizeof(junk)) > 0 && server_now() <= deadline)
		;
}

enum serve_result
serve_request(struct serve_conn *c, char *log, size_t size)
{
	struct http_request req;
	struct http_response res;
	enum serve_result result = SERVE_WRITE_FAILED;
	enum http_parse_result parsed;
	long long sent = 0;

	c->io->set_timeout(c->fd, c->srv->timeout);
	if ((parsed = read_request(c, &req)) == HTTP_PARSE_MORE) {
		c->open = 0;
		return SERVE_NOTHING;
	}
	if (parsed == HTTP_PARSE_ERROR && c->in_len == 0) {
		c->open = 0;   /* nothing was asked: close without an answer */
		http_log_silent(log, size, c->peer, c->srv->timeout);
		return SERVE_SILENT;
	}
	if (parsed == HTTP_PARSE_ERROR)
		http_error(&res, req.error);
	else
		http_respond(c->srv->root, &req, c->conn, &res);
	if (c->io->write_all(c->fd, res.head, res.head_len, &sent) == 0 &&
	    (res.fd == -1 ||
	     c->io->send_file(c->fd, res.fd, res.file_off, res.body_len, &sent) == 0))
		result = SERVE_SENT;
	if (res.fd != -1)
		close(res.fd);
	http_log_line(log, size, c->peer, c->in, c->in_len, res.status, sent);
	if (result == SERVE_SENT && res.keep_alive)
		c->drop = (long long)req.head_len + req.content_length;
	else
		serve_finish(c);
	return result;
}

enum serve_result
serve_blocking(int fd, const struct server *srv, const char *peer,
               char *log, size_t size)
{
	struct serve_conn c;

	serve_open(&c, &serve_blocking_io, fd, srv, peer, HTTP_CONN_CLOSE);
	return serve_request(&c, log, size);
}
