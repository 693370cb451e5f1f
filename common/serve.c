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

/* Read until http_parse decides; HTTP_PARSE_MORE here means nothing came. */
static enum http_parse_result
read_request(int fd, int timeout, char *buf, struct http_request *req)
{
	time_t deadline = server_now() + timeout;
	enum http_parse_result parsed;
	size_t len = 0;

	/* A full buffer always gets DONE or ERROR (http.h), so len stays in it. */
	while ((parsed = http_parse(buf, len, req)) == HTTP_PARSE_MORE) {
		ssize_t n = recv(fd, buf + len, REQUEST_MAX - len, 0);

		if (n > 0) {
			len += (size_t)n;
			/* A byte every few seconds must not extend the wait for ever. */
			if (server_now() > deadline)
				break;
		} else if (n == -1 && errno == EINTR && !server_stop) {
			continue;
		} else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
			return HTTP_PARSE_MORE;   /* closed, reset, or told to stop */
		}
	}
	if (parsed == HTTP_PARSE_MORE && len > 0) {
		req->error = HTTP_REQUEST_TIMEOUT;   /* a partial request: say why we give up */
		return HTTP_PARSE_ERROR;
	}
	return parsed;
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
	time_t deadline = server_now() + LINGER_SECONDS;

	set_timeouts(fd, LINGER_SECONDS);
	if (shutdown(fd, SHUT_WR) == -1)
		return;
	while (recv(fd, junk, sizeof(junk), 0) > 0 && server_now() <= deadline)
		;
}

enum serve_result
serve_blocking(int fd, const struct server *srv, const char *peer,
               char *log, size_t size)
{
	char buf[REQUEST_MAX];
	struct http_request req;
	struct http_response res;
	enum serve_result result = SERVE_WRITE_FAILED;
	enum http_parse_result parsed;
	long long bytes = 0;

	set_timeouts(fd, srv->timeout);
	parsed = read_request(fd, srv->timeout, buf, &req);
	if (parsed == HTTP_PARSE_MORE)
		return SERVE_NOTHING;
	if (parsed == HTTP_PARSE_ERROR)
		http_error(&res, req.error);
	else
		http_respond(srv->root, &req, HTTP_CONN_CLOSE, &res);
	if (net_write_all(fd, res.head, res.head_len) == 0 &&
	    (res.fd == -1 || net_send_file(fd, res.fd, res.body_len) == 0)) {
		bytes = (long long)res.head_len + (res.fd == -1 ? 0 : res.body_len);
		result = SERVE_SENT;
	}
	if (res.fd != -1)
		close(res.fd);
	finish(fd);
	http_log_line(log, size, peer, parsed == HTTP_PARSE_DONE ? &req : NULL, res.status, bytes);
	return result;
}
