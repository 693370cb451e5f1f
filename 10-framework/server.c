/*
 * 10-framework: a web server and an application, joined by an interface.
 *
 * Lesson (notes 四, and the POST of 1.3): a web server need not know what
 * the pages are. This server reads requests, bodies included, fills an
 * environ and calls the application through app.h, the C counterpart of
 * Python's WSGI; whatever the application declines is a static file from the
 * docroot. It knows no routes and no data. The application (framework.c plus
 * favourites.c, or hello.c with make APP=hello) knows no sockets.
 *
 * Changed from 03-threads: a thread still serves each connection, but now
 * keeps it open for the next request (browsers reuse their connections),
 * reads the request's body (common/body.c: Content-Length or chunked, with
 * a limit and Expect: 100-continue), and hands the request to app_call.
 *
 * Why threads here and not 06's event loop: the application may block. Its
 * handlers write and fsync files (favourites survive a power cut only if
 * the disk has them before we answer), which takes milliseconds; in one
 * event loop every other browser would wait for each fsync. A thread per
 * connection lets the kernel run the others meanwhile, and a WSGI call is a
 * plain blocking function call, which is what threads are good at. The cost
 * (a thread per open connection, 03's limit) is fine for a handful of
 * browsers; the application keeps its own data safe between threads.
 *
 * Left out: the application runs in the server's process, so a crash in a
 * handler takes the server with it (real servers often keep the two apart).
 */
#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app.h"
#include "body.h"
#include "docroot.h"
#include "http.h"
#include "lab.h"
#include "net.h"
#include "param.h"
#include "serve.h"
#include "setup.h"

#define HEADERS_MAX        100        /* header lines one request may have */
#define REPLY_BODY_MAX     (8 << 20)  /* a bigger generated page is a bug: 500 */
#define DEFAULT_STATE_DIR  STAGE_DIR "/data"

/* A connection, owned by its thread. in holds what arrived and is unused. */
struct client {
	int fd;
	char peer[NET_PEER_MAX];
	const struct server *s;
	char in[REQUEST_MAX];
	size_t len;
	int silent;                /* the last recv timed out (-t) */
};

/* The response the application builds through the app_server it is lent. */
struct reply {
	struct app_server api;     /* first, so the application's handle is ours */
	int status;                /* 0 until start_response */
	int failed;                /* a bad header, or out of memory: 500 */
	char headers[RESPONSE_HEAD_MAX / 2];
	size_t headers_len;
	char *body;
	size_t len, cap;
};

/* One request's parts, as the application will see them. */
struct exchange {
	struct http_request req;
	char head[REQUEST_MAX + 1];    /* a copy, cut into header strings */
	struct app_header headers[HEADERS_MAX];
	size_t header_count;
	struct body body;
	char path[PATH_MAX_NETLAB];
	int expect_continue;
};

static const char *state_dir = DEFAULT_STATE_DIR;

/*
 * server_stop is for the main thread, whose signal handler sets it; other
 * threads reading it would race (sig_atomic_t is atomic only within one
 * thread). The main thread passes the news on through this atomic.
 */
static atomic_int stopping;

/* Drop the first n bytes of the input: a head or body the parser used. */
static void
consume(struct client *c, size_t n)
{
	memmove(c->in, c->in + n, c->len - n);
	c->len -= n;
}

/* Receive more input; 1, or 0 when the client left or stayed silent. */
static int
fill(struct client *c)
{
	c->silent = 0;
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->len, sizeof(c->in) - c->len, 0);

		if (n > 0) {
			c->len += (size_t)n;
			return 1;
		}
		if (n == -1 && errno == EINTR)
			continue;   /* SIGINT and SIGTERM go to the main thread, not here */
		c->silent = n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK);
		return 0;   /* closed, reset, or the SO_RCVTIMEO timeout */
	}
}

/* Wait for the next request's head; MORE here means the client left. */
static enum http_parse_result
read_head(struct client *c, struct http_request *req)
{
	time_t deadline = server_now() + c->s->deadline;
	enum http_parse_result rc;

	for (;;) {
		if ((rc = http_parse(c->in, c->len, req)) != HTTP_PARSE_MORE)
			return rc;
		if (!fill(c)) {
			req->error = HTTP_REQUEST_TIMEOUT;
			return c->len > 0 ? HTTP_PARSE_ERROR : HTTP_PARSE_MORE;
		}
		if (server_now() > deadline) {
			req->error = HTTP_REQUEST_TIMEOUT;   /* a byte every few seconds must not last for ever */
			return HTTP_PARSE_ERROR;
		}
	}
}

/* Cut the head (validated by http_parse) into name and value strings. */
static enum http_status
split_headers(struct exchange *x, size_t head_len)
{
	char *p = x->head, *end = x->head + head_len, *eol, *colon, *v;

	x->head[head_len] = '\0';
	while (*p == '\r' || *p == '\n')
		p++;   /* empty lines before the request line (RFC 9112 2.2) */
	if ((p = strchr(p, '\n')) == NULL)
		return HTTP_BAD_REQUEST;
	for (p++, x->header_count = 0; p < end && *p != '\r' && *p != '\n'; p = eol + 1) {
		if (x->header_count == HEADERS_MAX)
			return HTTP_HEADERS_TOO_LARGE;
		/* http_parse checked every line; this is only belt and braces. */
		if ((eol = strchr(p, '\n')) == NULL || (colon = memchr(p, ':', (size_t)(eol - p))) == NULL)
			return HTTP_BAD_REQUEST;
		*colon = '\0';
		eol[eol > p && eol[-1] == '\r' ? -1 : 0] = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (char *t = v + strlen(v); t > v && (t[-1] == ' ' || t[-1] == '\t'); t--)
			t[-1] = '\0';
		x->headers[x->header_count].name = p;
		x->headers[x->header_count++].value = v;
		if (strcasecmp(p, "Expect") == 0) {
			if (strcasecmp(v, "100-continue") != 0)
				return HTTP_EXPECTATION_FAILED;   /* one we cannot meet */
			x->expect_continue = x->req.minor >= 1;
		}
	}
	return HTTP_OK;
}

/*
 * Read the body into x->body: HTTP_OK when it is complete, else the status
 * to answer before closing (408 too when the client left half-way).
 */
static enum http_status
read_body(struct client *c, struct exchange *x)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	time_t deadline = server_now() + c->s->deadline;
	enum body_status st;
	size_t used;

	st = body_init(&x->body, x->req.content_length, x->req.chunked, BODY_MAX);
	while (st == BODY_MORE) {
		if (c->len > 0) {
			st = body_feed(&x->body, (unsigned char *)c->in, c->len, &used);
			consume(c, used);
			continue;
		}
		/* The client waits for this before it sends the body (RFC 9110 10.1.1). */
		if (x->expect_continue && net_write_all(c->fd, cont, sizeof(cont) - 1, NULL) == -1)
			return HTTP_REQUEST_TIMEOUT;
		x->expect_continue = 0;
		if (!fill(c) || server_now() > deadline)
			return HTTP_REQUEST_TIMEOUT;
	}
	return st == BODY_DONE ? HTTP_OK : body_http_status(st);
}

static int
is_token(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", *s) != NULL)
			return 0;
	return 1;
}

/* The application's start_response: check and keep the status and headers. */
static void
reply_start(struct app_server *api, int status, const struct app_header *h, size_t n)
{
	struct reply *r = (struct reply *)api;
	size_t i;
	int k;

	/* http_reason names every status we know, and 500's reason for the rest. */
	if (r->status != 0 || status < 200 || (status != HTTP_INTERNAL_ERROR &&
	    http_reason((enum http_status)status) == http_reason(HTTP_INTERNAL_ERROR)))
		r->failed = 1;
	r->status = status;
	for (i = 0; i < n && !r->failed; i++) {
		/* A CR or LF in a value would let it write headers of its own. */
		if (h[i].name[0] == '\0' || !is_token(h[i].name) ||
		    strpbrk(h[i].value, "\r\n") != NULL) {
			r->failed = 1;
			break;
		}
		k = snprintf(r->headers + r->headers_len, sizeof(r->headers) - r->headers_len,
		             "%s: %s\r\n", h[i].name, h[i].value);
		if (k < 0 || (size_t)k >= sizeof(r->headers) - r->headers_len)
			r->failed = 1;
		else
			r->headers_len += (size_t)k;
	}
}

/* The application's write: append to the body, which we send whole. */
static void
reply_write(struct app_server *api, const void *data, size_t len)
{
	struct reply *r = (struct reply *)api;
	size_t cap = r->cap ? r->cap : 4096;
	char *p;

	if (r->failed || r->status == 0 || len > REPLY_BODY_MAX - r->len) {
		r->failed = 1;
		return;
	}
	while (cap < r->len + len)
		cap *= 2;
	if (cap != r->cap) {
		if ((p = realloc(r->body, cap)) == NULL) {
			r->failed = 1;
			return;
		}
		r->body = p;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, len);
	r->len += len;
}

/* One access-log line; in holds the request line as it arrived. */
static void
log_request(struct client *c, const char *in, size_t in_len, enum http_status status,
            long long bytes)
{
	char log[LOG_LINE_MAX];

	if (c->s->quiet)
		return;
	http_log_line(log, sizeof(log), c->peer, in, in_len, status, bytes);
	printf("%s\n", log);   /* stdio locks the stream: lines do not mix */
}

/* Send an error page and give up on the connection. */
static void
send_error(struct client *c, const char *in, size_t in_len, enum http_status status)
{
	struct http_response res;
	long long sent = 0;

	http_error(&res, status);
	(void)net_write_all(c->fd, res.head, res.head_len, &sent);
	log_request(c, in, in_len, status, sent);
}

/* Send what the application built, counting bytes in *sent; 0, or -1. */
static int
send_reply(struct client *c, const struct http_request *req, struct reply *r, int keep,
           long long *sent)
{
	char head[RESPONSE_HEAD_MAX];
	int n, head_only = strcmp(req->method, "HEAD") == 0;

	n = snprintf(head, sizeof(head),
	             "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: %s\r\n%.*s"
	             "Content-Length: %zu\r\nConnection: %s\r\n\r\n",
	             r->status, http_reason(r->status), http_date(), SERVER_NAME,
	             (int)r->headers_len, r->headers, r->len, keep ? "keep-alive" : "close");
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;   /* cannot happen: headers are at most half of head */
	if (net_write_all(c->fd, head, (size_t)n, sent) == -1 ||
	    (!head_only && r->len > 0 && net_write_all(c->fd, r->body, r->len, sent) == -1))
		return -1;
	return 0;
}

/* No route took it: a file from the docroot, as 03 serves it; 0, or -1. */
static int
send_static(struct client *c, const struct http_request *req, enum http_status *status,
            int *keep, long long *sent)
{
	struct http_response res;
	struct http_request read = *req;
	int rc = -1;

	read.chunked = 0;   /* http_respond refuses a body it would have to skip; ours is read */
	http_respond(c->s->root, &read, HTTP_CONN_KEEP, &res);
	*status = res.status;
	*keep = res.keep_alive;
	if (net_write_all(c->fd, res.head, res.head_len, sent) == 0 &&
	    (res.fd == -1 || net_send_file(c->fd, res.fd, res.file_off, res.body_len, sent) == 0))
		rc = 0;
	if (res.fd != -1)
		close(res.fd);
	return rc;
}

/* Fill environ from the exchange: method, decoded path, query, headers, body. */
static enum http_status
make_environ(struct client *c, struct exchange *x, struct app_environ *env,
             char *proto, size_t size)
{
	char *target = x->req.target;
	size_t q = strcspn(target, "?");

	if (docroot_decode(target, q, x->path, sizeof(x->path)) < 0)
		return HTTP_BAD_REQUEST;
	snprintf(proto, size, "HTTP/1.%d", x->req.minor);
	env->method = x->req.method;
	env->path = x->path;
	env->query = target[q] == '?' ? target + q + 1 : "";
	env->protocol = proto;
	env->remote_addr = c->peer;
	env->headers = x->headers;
	env->header_count = x->header_count;
	env->body = x->body.data;
	env->body_len = x->body.len;
	return HTTP_OK;
}

/* Ask the application, else the docroot; send the answer. 1: keep the connection. */
static int
answer(struct client *c, struct exchange *x)
{
	struct reply r = { .api = { reply_start, reply_write } };
	struct app_environ env;
	char proto[16];
	enum http_status status;
	int keep = x->req.keep_alive && !atomic_load(&stopping), rc;
	long long sent = 0;

	/*
	 * A path that does not decode (a NUL, an encoded "/") is no route's:
	 * the docroot's rules answer it, as they do in every other stage.
	 */
	if (make_environ(c, x, &env, proto, sizeof(proto)) != HTTP_OK ||
	    app_call(&env, &r.api) == APP_DECLINED) {
		rc = send_static(c, &x->req, &status, &keep, &sent);
	} else if (r.failed || r.status == 0) {
		free(r.body);
		send_error(c, x->head, x->req.head_len, HTTP_INTERNAL_ERROR);
		return 0;
	} else {
		status = (enum http_status)r.status;
		rc = send_reply(c, &x->req, &r, keep, &sent);
	}
	free(r.body);
	log_request(c, x->head, x->req.head_len, status, sent);
	return keep && rc == 0;
}

/* One request on the connection: 1 to wait for another, 0 to close. */
static int
serve_one(struct client *c, struct exchange *x)
{
	enum http_parse_result rc;
	enum http_status status;
	size_t head_len;
	int keep;

	x->header_count = 0;
	x->expect_continue = 0;
	memset(&x->body, 0, sizeof(x->body));
	if ((rc = read_head(c, &x->req)) == HTTP_PARSE_MORE) {
		if (c->silent && !c->s->quiet) {
			char log[LOG_LINE_MAX];

			http_log_silent(log, sizeof(log), c->peer, c->s->timeout);
			printf("%s\n", log);
		}
		return 0;
	}
	if (rc == HTTP_PARSE_ERROR) {
		send_error(c, c->in, c->len, x->req.error);
		return 0;
	}
	head_len = x->req.head_len;
	memcpy(x->head, c->in, head_len);
	consume(c, head_len);
	if ((status = split_headers(x, head_len)) == HTTP_OK)
		status = read_body(c, x);
	if (status != HTTP_OK) {
		send_error(c, x->head, head_len, status);
		body_free(&x->body);
		return 0;
	}
	keep = answer(c, x);
	body_free(&x->body);
	return keep;
}

/* The lingering close 01-03 use (common/serve.c), on this connection. */
static void
finish(struct client *c)
{
	struct serve_conn sc;

	serve_open(&sc, &serve_blocking_io, c->fd, c->s, c->peer, HTTP_CONN_CLOSE);
	serve_finish(&sc);
}

static void *
client_thread(void *arg)
{
	struct client *c = arg;
	struct exchange *x = malloc(sizeof(*x));
	struct timeval tv = { c->s->timeout, 0 };

	c->len = 0;
	c->silent = 0;
	/* An idle or stalled client gives recv EAGAIN after -t seconds. */
	(void)setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (x == NULL)
		send_error(c, "", 0, HTTP_UNAVAILABLE);
	else
		while (serve_one(c, x) && !atomic_load(&stopping))
			;
	finish(c);
	close(c->fd);
	free(x);
	free(c);
	return NULL;
}

static void
handle_client(int fd, const struct sockaddr_storage *ss, const struct server *s)
{
	struct http_response res;
	struct client *c;
	pthread_attr_t attr;
	pthread_t tid;
	sigset_t stop, old;
	int rc = ENOMEM;

	if ((c = malloc(sizeof(*c))) != NULL) {
		c->fd = fd;
		c->s = s;
		net_peer_name(ss, c->peer, sizeof(c->peer));
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		/*
		 * A signal goes to any thread that does not block it. The new
		 * thread inherits this mask, so SIGINT and SIGTERM always reach
		 * the main thread and interrupt its accept.
		 */
		sigemptyset(&stop);
		sigaddset(&stop, SIGINT);
		sigaddset(&stop, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &stop, &old);
		rc = pthread_create(&tid, &attr, client_thread, c);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_attr_destroy(&attr);
	}
	if (rc == 0 && BUG_MAIN_CLOSES_SOCKET)
		close(fd);   /* the notes' t.start(); new_socket.close() */
	if (rc == 0)
		return;   /* the thread owns fd now: closing it here breaks it */
	/* Out of threads or memory (EAGAIN): tell this client, keep serving. */
	warnx("pthread_create: %s", strerror(rc));
	free(c);
	http_error(&res, HTTP_UNAVAILABLE);
	(void)net_write_all(fd, res.head, res.head_len, NULL);
	close(fd);
}

static void
serve_forever(const struct server *s)
{
	while (!server_stop) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept(s->listen_fd, (struct sockaddr *)&ss, &sl);

		if (fd == -1) {
			/* EINTR: the loop re-checks server_stop. EMFILE: wait, do not spin. */
			net_accept_backoff();
			continue;
		}
		handle_client(fd, &ss, s);
	}
}

/*
 * -s DIR is the application's, not the server's: take it out of argv
 * before the command line every stage shares is parsed.
 */
static int
take_state_option(int argc, char **argv)
{
	int i, out = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			state_dir = argv[++i];
		else if (strncmp(argv[i], "-s", 2) == 0 && argv[i][2] != '\0')
			state_dir = argv[i] + 2;
		else
			argv[out++] = argv[i];
	}
	argv[out] = NULL;
	return out;
}

int
main(int argc, char **argv)
{
	struct server s;

	argc = take_state_option(argc, argv);
	setup_server(argc, argv, "10-framework: a threaded server that hands each "
	             "request to an application (app.h, like WSGI).\n"
	             "  -s DIR      where the application keeps its data (default "
	             DEFAULT_STATE_DIR ")\n"
	             "try: curl http://127.0.0.1:8080/show.py; curl -d a=1 "
	             "http://127.0.0.1:8080/echo", &s);
	app_init(state_dir);
	printf("application data in %s\n", state_dir);
	serve_forever(&s);
	atomic_store(&stopping, 1);
	close(s.listen_fd);
	app_close();
	fprintf(stderr, "stopped\n");
	return 0;
}
