/*
 * net.h: sockets and descriptors: the listening socket, peer names,
 * complete writes, non-blocking mode.
 */
#ifndef NET_H
#define NET_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Room for a peer name: "[" IPv6 "]:" port and a NUL. */
#define NET_PEER_MAX (INET6_ADDRSTRLEN + 8)

/*
 * Bind and listen on addr:port (a name such as "localhost" is resolved;
 * port "0" picks a free one), with
 * SO_REUSEADDR so a restart does not fail with "Address already in use".
 * Writes the URL into url. Startup only: dies on error.
 */
int net_listen(const char *addr, const char *port, char *url, size_t size);

/* "127.0.0.1:5555" or "[::1]:5555"; NET_PEER_MAX bytes always hold it. */
void net_peer_name(const struct sockaddr_storage *ss, char *buf, size_t size);

/*
 * Write all len bytes, over partial writes and EINTR; 0, or -1 with errno.
 * Unless sent is NULL, every byte written is added to *sent, so a caller
 * knows how much went out even when the client left half-way.
 */
int net_write_all(int fd, const void *buf, size_t len, long long *sent);

/*
 * Copy len bytes of file, from offset off, to fd, counting them in *sent;
 * 0, or -1 with errno.
 */
int net_send_file(int fd, int file, off_t off, off_t len, long long *sent);

/*
 * Call when accept failed. A signal (EINTR), a client that gave up in the
 * queue (ECONNABORTED) or a socket shut down to stop the server (EINVAL)
 * costs nothing. Anything else, above all EMFILE (out of descriptors),
 * leaves the connection queued and would fail again at once: wait
 * ACCEPT_BACKOFF_MS so a retry loop does not spin on a core.
 */
void net_accept_backoff(void);

/* Set O_NONBLOCK; 0, or -1 with errno. */
int net_nonblock(int fd);

#endif
