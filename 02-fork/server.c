/*
 * 02-fork: a process per connection.
 *
 * Lesson (notes 2.2, multiprocessing): after accept, fork. The child serves
 * the connection and exits; the parent goes straight back to accept, so a
 * slow or silent client holds up only its own process.
 *
 * Changed from 01-static: handle_client forks. fork copies the descriptor
 * table, so the connected socket is open in both processes; the parent must
 * close its copy. In the notes, whose child only calls close(), the
 * connection then stays open after the child has finished: the page that
 * never stops loading. Ours ends with shutdown (common/serve.c), which
 * ends the connection for every copy, so the page does load; what the
 * parent's copy costs here is a descriptor per request, until it runs out.
 * Dead children are reaped in a SIGCHLD handler, or each would stay a
 * zombie in the process table.
 *
 * Left for 03-threads: a process per connection is expensive (a fork copies
 * the page tables of the whole server); threads share one address space.
 */
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"
#include "net.h"
#include "param.h"
#include "response.h"
#include "serve.h"
#include "setup.h"

/*
 * Signals are not queued: one SIGCHLD may stand for several dead children,
 * so reap until none is left. waitpid may change errno, which the code this
 * handler interrupted could be about to read.
 */
static void
reap_children(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		if (BUG_REAP_ONCE)
			break;   /* one child per signal: the others that ended with it stay zombies */
	errno = saved;
}

static void
install_reaper(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = reap_children;
	sigemptyset(&sa.sa_mask);
	/* SA_RESTART: a child's death must not fail accept with EINTR. */
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	if (sigaction(SIGCHLD, &sa, NULL) == -1)
		err(1, "sigaction");
}

/* Read one request, answer it, close: in a child of our own. */
static void
handle_client(int fd, const struct sockaddr_storage *ss, const struct server *s)
{
	char peer[NET_PEER_MAX], log[LOG_LINE_MAX];
	pid_t pid;

	net_peer_name(ss, peer, sizeof(peer));
	pid = fork();
	if (pid == 0) {
		close(s->listen_fd);   /* the child only serves this client */
		if (serve_blocking(fd, s, peer, log, sizeof(log)) != SERVE_NOTHING && !s->quiet)
			printf("%s\n", log);
		close(fd);
		_exit(0);   /* not exit(): the parent's stdio buffers are not ours to flush */
	}
	if (pid == -1) {
		/* Out of processes (EAGAIN): tell this client, keep serving. */
		warn("fork");
		response_send_error(fd, HTTP_UNAVAILABLE);
	}
	if (!BUG_PARENT_KEEPS_SOCKET)
		close(fd);   /* the child has its own copy; this one would keep it open */
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

	setup_server(argc, argv, "02-fork: a static file server that forks a "
	             "process per connection.", &s);
	if (!BUG_NO_REAP)
		install_reaper();
	serve_forever(&s);
	close(s.listen_fd);
	fprintf(stderr, "stopped\n");
	return 0;
}
