/*
 * 03-threads: a thread per connection.
 *
 * Lesson (notes 2.2, threading): after accept, start a thread to serve the
 * connection. Threads share the process's memory and descriptors, so a new
 * one costs a stack, not a copy of the whole server as a fork does.
 *
 * Changed from 02-fork: handle_client starts a detached thread instead of
 * forking. The main thread must NOT close the socket (the notes' "Bad file
 * descriptor"): there is one descriptor, shared, and the thread owns it. The
 * socket travels to the thread in memory of its own, never as a pointer to
 * a variable the next accept overwrites. Detached threads need no join, so
 * nothing is left to reap.
 *
 * Left for 04-nonblock: every connection still costs a thread (and its
 * stack) for as long as it is open, even while it does nothing.
 */
#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab.h"
#include "net.h"
#include "param.h"
#include "response.h"
#include "serve.h"
#include "setup.h"

/* What a thread needs, in memory only it uses (and frees). */
struct client {
	int fd;
	const int *fd_at;   /* where the thread reads its descriptor: &fd, its own */
	char peer[NET_PEER_MAX];
	const struct server *s;
};

/* Read one request, answer it, close: in a thread of its own. */
static void *
client_thread(void *arg)
{
	struct client *c = arg;
	int fd = *c->fd_at;
	char log[LOG_LINE_MAX];

	if (serve_blocking(fd, c->s, c->peer, log, sizeof(log)) != SERVE_NOTHING && !c->s->quiet)
		printf("%s\n", log);   /* stdio locks the stream: lines do not mix */
	close(fd);
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
	struct server s;

	setup_server(argc, argv, "03-threads: a static file server that starts "
	             "a thread per connection.", &s);
	serve_forever(&s);
	close(s.listen_fd);
	fprintf(stderr, "stopped\n");
	return 0;
}
