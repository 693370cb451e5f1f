/*
 * 01-static: a blocking static file server, one client at a time.
 *
 * Lesson (notes 2.1): the whole life of an HTTP server fits in one loop:
 * accept a connection, read the request, send the file, close. Everything
 * blocks, so while one client is being served (or stays silent until its
 * timeout) every other client waits in the kernel's listen queue.
 *
 * Changed from the notes: the request is read until its blank line, not one
 * recv(1024); partial writes are continued; a missing page is a real 404;
 * paths cannot leave the docroot (common/serve.c, common/docroot.c).
 *
 * Left for 02-fork and 03-threads: serving more than one client at a time.
 */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "param.h"
#include "serve.h"
#include "setup.h"

/* Read one request, answer it, close: the notes' deal_socket(). */
static void
handle_client(int fd, const struct sockaddr_storage *ss, const struct server *s)
{
	char peer[NET_PEER_MAX], log[LOG_LINE_MAX];

	net_peer_name(ss, peer, sizeof(peer));
	if (serve_blocking(fd, s, peer, log, sizeof(log)) != SERVE_NOTHING && !s->quiet)
		printf("%s\n", log);
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

	setup_server(argc, argv, "01-static: a blocking static file server, "
	             "one client at a time.", &s);
	serve_forever(&s);
	close(s.listen_fd);
	fprintf(stderr, "stopped\n");
	return 0;
}
