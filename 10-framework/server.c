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
 * keeps it open for the next request (browsers reuse their connections,
 * and TCP_NODELAY keeps a page from waiting behind its head), and the
 * request is answered by answer, not by a file: it reads the body
 * (common/body.c: Content-Length or chunked, with a limit and Expect:
 * 100-continue), hands the request to app_call, and serves a file only
 * if the application declines. Reading the head, timeouts, sending and
 * the log are common/serve.c's, as in 01-03 and 08.
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
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app.h"
#include "body.h"
#include "files.h"
#include "lab.h"
#include "net.h"
#include "param.h"
#include "response.h"
#include "serve.h"
#include "setup.h"
#include "url.h"

#define REPLY_BODY_MAX     (8 << 20)  /* a bigger generated page is a bug: 500 */
#define DEFAULT_STATE_DIR  STAGE_DIR "/data"

/* What a thread needs, in memory only it uses (and frees). */
struct client {
	int fd;
	const int *fd_at;   /* where the thread reads its descriptor: &fd, its own */
	char peer[NET_PEER_MAX];
	const struct server *s;
};

/* The response the application builds through the app_server it is lent. */
struct reply {
	struct app_server api;     /* first, so the application's handle is ours */
	int status;                /* 0 until start_response */
	int failed;                /* a bad header, out of memory, or fail: 500 */
	char headers[RESPONSE_EXTRA_MAX];   /* "Name: value\r\n" lines, NUL-terminated */
	size_t headers_len;
	char *body;
	size_t len, cap;
};

/* One request as the application sees it; a connection reuses its own. */
struct exchange {
	struct body body;
	struct app_header headers[HEADER_LINES_MAX];
	char strings[HEADER_MAX + 2 * HEADER_LINES_MAX];  /* their names and values, with NULs */
	char path[PATH_MAX_NETLAB];
	struct reply reply;
};

static const char *state_dir = DEFAULT_STATE_DIR;

/*
 * server_stop is for the main thread, whose signal handler sets it; other
 * threads reading it would race (sig_atomic_t is atomic only within one
 * thread). The main thread passes the news on through this atomic.
 */
static atomic_int stopping;

/*
 * Read the body into b, from the input after the head, each byte taken
 * from the buffer once it is used: HTTP_OK when it is complete, else the
 * status to answer before closing (408 too when the client left half-way).
 * It must be in by the -T deadline of its head.
 */
static enum http_status
read_body(struct serve_conn *c, const struct http_request *req, struct body *b)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	int asked = req->expect == HTTP_EXPECT_CONTINUE && req->minor >= 1;
	enum body_status st;
	size_t used;

	st = body_init(b, req->content_length, req->chunked, BODY_MAX);
	while (st == BODY_MORE) {
		if (c->in_len > req->head_len) {
			st = body_feed(b, (unsigned char *)c->in + req->head_len,
			               c->in_len - req->head_len, &used);
			serve_take(c, req->head_len, used);
			continue;
		}
		/* The client waits for this before it sends the body (RFC 9110 10.1.1). */
		if (asked && c->io->write_all(c->fd, cont, sizeof(cont) - 1, NULL) == -1)
			return HTTP_REQUEST_TIMEOUT;
		asked = 0;
		if (serve_recv(c) <= 0)
			return HTTP_REQUEST_TIMEOUT;
	}
	c->body_left = 0;   /* taken: nothing after the head is left to skip */
	return st == BODY_DONE ? HTTP_OK : body_http_status(st);
}

/* The application's start_response: check and keep the status and headers. */
static void
reply_start(struct app_server *api, int status, const struct app_header *h, size_t n)
{
	struct reply *r = (struct reply *)api;
	char *p = r->headers, *end = r->headers + sizeof(r->headers) - 1;
	size_t i;

	/* http_reason names every status we know, and 500's reason for the rest. */
	if (r->status != 0 || status < 200 || (status != HTTP_INTERNAL_ERROR &&
	    http_reason((enum http_status)status) == http_reason(HTTP_INTERNAL_ERROR)))
		r->failed = 1;
	r->status = status;
	for (i = 0; i < n && !r->failed; i++) {
		/* A CR or LF in a value would let it write headers of its own. */
		if (!http_is_token(h[i].name, strlen(h[i].name)) || strpbrk(h[i].value, "\r\n") != NULL)
			r->failed = 1;
		p = response_put(p, end, h[i].name, strlen(h[i].name));
		p = response_put(p, end, ": ", 2);
		p = response_put(p, end, h[i].value, strlen(h[i].value));
		p = response_put(p, end, "\r\n", 2);
	}
	if (p == NULL)
		r->failed = 1;   /* more headers than a head holds */
	else
		*p = '\0';
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

/* The application's fail: it cannot answer this one. */
static void
reply_fail(struct app_server *api)
{
	((struct reply *)api)->failed = 1;
}

/* Fill environ from the request: method, decoded path, query, headers, body. */
static enum http_status
make_environ(struct serve_conn *c, const struct http_request *req, struct exchange *x,
             struct app_environ *env)
{
	const char *target = req->target;
	size_t q = strcspn(target, "?"), i;
	char *s = x->strings;

	if (url_decode(target, q, x->path, sizeof(x->path)) < 0)
		return HTTP_BAD_REQUEST;
	/* The parser found each header once: copy them as C strings. */
	for (i = 0; i < req->header_count; i++) {
		const struct http_header *h = &req->headers[i];

		x->headers[i].name = memcpy(s, h->name, h->name_len);
		s[h->name_len] = '\0';
		s += h->name_len + 1;
		x->headers[i].value = memcpy(s, h->value, h->value_len);
		s[h->value_len] = '\0';
		s += h->value_len + 1;
	}
	env->method = req->method;
	env->path = x->path;
	env->query = target[q] == '?' ? target + q + 1 : "";
	env->protocol = req->minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
	env->remote_addr = c->peer;
	env->headers = x->headers;
	env->header_count = req->header_count;
	env->body = x->body.data;
	env->body_len = x->body.len;
	return HTTP_OK;
}

/*
 * How this server answers a request (serve.c calls it once the head is
 * in): read the body, ask the application, and serve a file from the
 * docroot if it declines, as 03 would.
 */
static void
answer(struct serve_conn *c, const struct http_request *req, struct http_response *res)
{
	struct exchange *x = c->data;
	struct reply *r = &x->reply;
	struct files fs = c->srv->files;
	struct app_environ env;
	enum http_status status = HTTP_OK;
	int keep = req->keep_alive && !atomic_load(&stopping);

	body_free(&x->body);   /* the last request's */
	if (req->expect == HTTP_EXPECT_OTHER)
		status = HTTP_EXPECTATION_FAILED;   /* one we cannot meet */
	if (status != HTTP_OK || (status = read_body(c, req, &x->body)) != HTTP_OK) {
		response_error(res, req, status, HTTP_FAULT_NONE);
		return;
	}
	r->status = r->failed = 0;
	r->headers[0] = '\0';
	r->len = 0;
	/* A path that does not decode (a NUL, an encoded "/") is no route's: the docroot refuses it. */
	if (make_environ(c, req, x, &env) != HTTP_OK || app_call(&env, &r->api) == APP_DECLINED) {
		fs.conn = keep ? HTTP_CONN_KEEP : HTTP_CONN_CLOSE;
		fs.body = FILES_BODY_READ;
		files_respond(&fs, req, res);
		return;
	}
	if (r->failed || r->status == 0) {
		response_error(res, req, HTTP_INTERNAL_ERROR, HTTP_FAULT_NONE);
		return;
	}
	res->status = (enum http_status)r->status;
	res->keep_alive = keep;
	res->fd = -1;
	res->file_off = 0;
	res->body_len = (off_t)r->len;
	response_head(res, NULL, r->headers);   /* the application sent its Content-Type */
	res->mem = strcmp(req->method, "HEAD") == 0 ? NULL : r->body;
}

/* Read requests and answer them until the client is done: in a thread of its own. */
static void *
client_thread(void *arg)
{
	struct client *c = arg;
	int fd = *c->fd_at;
	struct exchange *x = calloc(1, sizeof(*x));
	struct serve_conn conn;     /* its buffers live on this thread's stack */
	char log[LOG_LINE_MAX];
	int one = 1;

	/* A page sent after its head must not wait for the client's delayed ACK (see 06). */
	if (!BUG_NO_NODELAY)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (x == NULL) {
		response_send_error(fd, HTTP_UNAVAILABLE);
	} else {
		x->reply.api = (struct app_server){ reply_start, reply_write, reply_fail };
		serve_open(&conn, &serve_blocking_io, fd, c->s, c->peer);
		conn.answer = answer;
		conn.data = x;
		while (conn.open && !atomic_load(&stopping) &&
		       serve_request(&conn, log, sizeof(log)) != SERVE_NOTHING)
			if (!c->s->quiet)
				printf("%s\n", log);   /* stdio locks the stream: lines do not mix */
		body_free(&x->body);
		free(x->reply.body);
	}
	close(fd);
	free(x);
	free(c);
	return NULL;
}

static void
handle_client(int fd, const struct sockaddr_storage *ss, const struct server *s)
{
	static int loop_fd;   /* BUG_FD_POINTER: one variable, rewritten by every accept */
	struct client *c;
	pthread_attr_t attr;
	pthread_t tid;
	sigset_t stop, old;
	int rc = ENOMEM;

	if ((c = malloc(sizeof(*c))) != NULL) {
		c->fd = fd;
		c->fd_at = &c->fd;
		if (BUG_FD_POINTER) {
			loop_fd = fd;
			c->fd_at = &loop_fd;   /* pthread_create(..., &fd): read after the next accept */
		}
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
	response_send_error(fd, HTTP_UNAVAILABLE);
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

int
main(int argc, char **argv)
{
	static const struct setup_option state = {
		's', "DIR", "where the application keeps its data (default " DEFAULT_STATE_DIR ")",
		&state_dir,
	};
	struct server s;

	setup_server_with(argc, argv, "10-framework: a threaded server that hands each "
	                  "request to an application (app.h, like WSGI).\n"
	                  "try: curl http://127.0.0.1:8080/show.py; curl -d a=1 "
	                  "http://127.0.0.1:8080/echo", &state, 1, &s);
	s.files.conn = HTTP_CONN_KEEP;
	app_init(state_dir);
	printf("application data in %s\n", state_dir);
	serve_forever(&s);
	atomic_store(&stopping, 1);
	close(s.listen_fd);
	app_close();
	fprintf(stderr, "stopped\n");
	return 0;
}
