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
 * same lines run on a blocking socket (01-03, 10) and on a coroutine (08).
 * What the answer is, it leaves to c->answer: a file (serve_files), or
 * 10-framework's application.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "files.h"
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
blocking_timeout(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

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
           const struct server *srv, const char *peer)
{
	c->io = io;
	c->fd = fd;
	c->srv = srv;
	c->peer = peer;
	c->open = 1;
	c->in_len = 0;
	c->drop = 0;
	c->deadline = 0;
	c->answer = serve_files;
	c->data = NULL;
}

void
serve_files(struct serve_conn *c, const struct http_request *req, struct http_response *res)
{
	files_respond(&c->srv->files, req, res);
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
 * How long the next wait may last, in ms: the -t silence a client is
 * allowed, or less once the -T deadline for the whole head is nearer; 0
 * when it is past. Without the deadline, a byte every few seconds would
 * hold us for ever.
 */
static int
wait_ms(const struct serve_conn *c)
{
	long long left;

	if (c->deadline == 0)
		return c->srv->timeout * 1000;   /* the head has not begun */
	left = c->deadline - clock_ms();
	if (left >= c->srv->timeout * 1000LL)
		return c->srv->timeout * 1000;
	return left > 0 ? (int)left : 0;
}

ssize_t
serve_recv(struct serve_conn *c)
{
	int wait = wait_ms(c), full = c->srv->timeout * 1000;
	ssize_t n;

	if (wait == 0)
		return -1;
	if (wait != full)
		c->io->set_timeout(c->fd, wait);
	do
		n = c->io->recv(c->fd, c->in + c->in_len, REQUEST_MAX - c->in_len);
	while (n == -1 && errno == EINTR && !server_stop);
	if (wait != full)
		c->io->set_timeout(c->fd, full);   /* the response gets the full -t */
	if (n > 0)
		c->in_len += (size_t)n;
	else if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
		n = 0;   /* reset, or told to stop: as good as gone */
	return n;
}

void
serve_take(struct serve_conn *c, size_t at, size_t n)
{
	memmove(c->in + at, c->in + at + n, c->in_len - at - n);
	c->in_len -= n;
}

/*
 * The notes' recv(1024) (make lab BUG=one-recv): what one recv returned is
 * the whole request, parsed as if its head ended there. A request line
 * typed alone is answered at once, before its blank line; a head that came
 * in pieces is cut after the first.
 */
static enum http_parse_result
parse_one_recv(struct serve_conn *c, struct http_request *req)
{
	static const char blank[] = "\r\n\r\n";
	size_t n = c->in[c->in_len - 1] == '\n' ? 2 : 4;

	if (c->in_len + n <= sizeof(c->in)) {
		memcpy(c->in + c->in_len, blank + 4 - n, n);
		c->in_len += n;
	}
	return http_parse(c->in, c->in_len, req);
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
	ssize_t n;

	c->deadline = 0;                /* set once the head's first byte is here */
	for (;;) {
		drop_input(c);
		if (c->drop == 0 && c->in_len > 0 && c->deadline == 0)
			c->deadline = clock_ms() + c->srv->deadline * 1000LL;
		/* A full buffer always gets DONE or ERROR (http.h), so in_len stays in it. */
		if (c->drop == 0 &&
		    (parsed = http_parse(c->in, c->in_len, req)) != HTTP_PARSE_MORE)
			return parsed;
		if (BUG_ONE_RECV && c->in_len > 0)
			return parse_one_recv(c, req);
		if ((n = serve_recv(c)) == 0)
			return HTTP_PARSE_MORE;   /* closed, reset, or told to stop */
		if (n == -1)
			break;
	}
	http_timed_out(req);
	return HTTP_PARSE_ERROR;
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
	time_t deadline = clock_seconds() + LINGER_SECONDS;

	c->open = 0;
	if (BUG_NO_LINGER)
		return;   /* the notes' close() at once: unread input turns it into RST */
	c->io->set_timeout(c->fd, LINGER_SECONDS * 1000);
	if (shutdown(c->fd, SHUT_WR) == -1)
		return;
	while (c->io->recv(c->fd, junk, sizeof(junk)) > 0 && clock_seconds() <= deadline)
		;
}

/* Send the head, then the file or the bytes that follow it; 0, or -1. */
static int
send_response(struct serve_conn *c, const struct http_response *res, long long *sent)
{
	if (c->io->write_all(c->fd, res->head, res->head_len, sent) == -1)
		return -1;
	if (res->fd != -1)
		return c->io->send_file(c->fd, res->fd, res->file_off, res->body_len, sent);
	if (res->mem != NULL && res->body_len > 0)
		return c->io->write_all(c->fd, res->mem, (size_t)res->body_len, sent);
	return 0;
}

enum serve_result
serve_request(struct serve_conn *c, char *log, size_t size)
{
	struct http_request req;
	struct http_response res;
	enum serve_result result = SERVE_WRITE_FAILED;
	enum http_parse_result parsed;
	long long sent = 0;

	c->io->set_timeout(c->fd, c->srv->timeout * 1000);
	if ((parsed = read_request(c, &req)) == HTTP_PARSE_MORE) {
		c->open = 0;
		return SERVE_NOTHING;
	}
	if (parsed == HTTP_PARSE_ERROR && c->in_len == 0) {
		c->open = 0;   /* nothing was asked: close without an answer */
		response_log_silent(log, size, c->peer, c->srv->timeout);
		return SERVE_SILENT;
	}
	res.fd = -1;
	res.request = &req;
	c->body_left = req.content_length;
	if (parsed == HTTP_PARSE_ERROR)
		response_error(&res, &req, req.error, req.fault);
	else
		c->answer(c, &req, &res);
	if (send_response(c, &res, &sent) == 0)
		result = SERVE_SENT;
	if (res.fd != -1)
		close(res.fd);
	if (!c->srv->quiet)   /* not even formatted when nobody reads it */
		response_log(log, size, c->peer, c->in, c->in_len, &res, sent);
	if (result == SERVE_SENT && res.keep_alive)
		c->drop = (long long)req.head_len + c->body_left;
	else
		serve_finish(c);
	return result;
}

enum serve_result
serve_blocking(int fd, const struct server *srv, const char *peer,
               char *log, size_t size)
{
	struct serve_conn c;

	serve_open(&c, &serve_blocking_io, fd, srv, peer);
	return serve_request(&c, log, size);
}
