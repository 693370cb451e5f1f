/*
 * serve.c: read a request until its blank line, answer it, close.
 *
 * This is the lecture notes' deal_socket() with its bugs fixed: the request
 * is read until the head is complete rather than taken from one recv(1024),
 * every write is checked and continued, errors get their real status, and
 * a client that sends nothing cannot hold the caller for ever (SO_RCVTIMEO
 * bounds each wait, a deadline bounds the whole request).
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "net.h"
#include "serve.h"

/* http_parse's result for what arrived: consumed, -status, or 0 for none. */
static long
read_request(int fd, int timeout, char *buf, struct http_request *req)
{
	time_t deadline = net_now() + timeout;
	size_t len = 0;
	long rc;

	for (;;) {
		if ((rc = http_parse(buf, len, req)) != 0)
			return rc;
		if (len == REQUEST_MAX)
			return -400;   /* only blank lines: nothing a parser can use */
		ssize_t n = recv(fd, buf + len, REQUEST_MAX - len, 0);
		if (n > 0) {
			len += (size_t)n;
			/* A byte every few seconds must not extend the wait for ever. */
			if (net_now() > deadline)
				return -408;
		} else if (n == -1 && errno == EINTR && !net_stop) {
			continue;
		} else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return len > 0 ? -408 : 0;
		} else {
			return 0;   /* closed, reset, or told to stop */
		}
	}
}

static void
set_timeouts(int fd, int seconds)
{
	struct timeval tv = { seconds, 0 };

	/* Failing leaves the socket without a timeout, which is still correct. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/*
 * Closing a socket with unread input makes the kernel answer with RST, and
 * an RST can destroy the response before the client has read it. So: send
 * our FIN, then read and discard until the client closes too, for at most
 * LINGER_SECONDS (a "lingering close").
 */
static void
finish(int fd)
{
	char junk[4096];
	time_t deadline = net_now() + LINGER_SECONDS;

	set_timeouts(fd, LINGER_SECONDS);
	if (shutdown(fd, SHUT_WR) == -1)
		return;
	while (recv(fd, junk, sizeof(junk), 0) > 0 && net_now() <= deadline)
		;
}

int
serve_blocking(int fd, const struct setup *s, const char *peer,
               char *log, size_t size)
{
	char buf[REQUEST_MAX];
	struct http_request req;
	struct http_response res;
	long long bytes = 0;
	long rc;

	set_timeouts(fd, s->timeout);
	rc = read_request(fd, s->timeout, buf, &req);
	if (rc == 0)
		return 0;
	if (rc < 0)
		http_error(&res, (int)-rc);
	else
		http_respond(s->root, &req, 0, &res);
	if (net_write_all(fd, res.head, res.head_len) == 0 &&
	    (res.fd == -1 || net_send_file(fd, res.fd, res.body_len) == 0))
		bytes = (long long)res.head_len + (res.fd == -1 ? 0 : res.body_len);
	if (res.fd != -1)
		close(res.fd);
	finish(fd);
	http_log_line(log, size, peer, rc > 0 ? &req : NULL, res.status, bytes);
	return 1;
}
