/*
 * 08-coroutines: 03's blocking code, on 06's one-thread event loop.
 *
 * Lesson (notes 2.2, gevent; notes 2.3, "this is basically how gevent
 * works"): a coroutine is a function with a stack of its own that can stop
 * in the middle and be resumed later, on the same thread. Give each
 * connection one, and code written like 03's blocking handler runs on one
 * thread beside thousands of others. The trick is in the calls it makes:
 * where a real recv would block the thread, ours registers interest with
 * the hub (an epoll loop, as in 06) and switches to it; the hub switches
 * back when epoll says the socket is ready. Nothing blocks but epoll_wait.
 * C has the tools in libc (glibc, from System V): makecontext gives a
 * function its own stack, swapcontext saves one's registers and loads
 * another's.
 *
 * Changed from 03-threads (diff against 03, not 06: the handler and the
 * accept loop keep 03's shape, and what changed is the engine under them):
 * pthread_create becomes co_spawn, a coroutine on a 128 KiB stack mapped
 * with a guard page below it, so an overflow faults at once instead of
 * writing over a neighbour's stack. accept becomes co_accept, and the
 * request code in common/serve.c runs over hub_io instead of
 * serve_blocking_io: those tables are the monkey patch, the one line that
 * decides whether a blocked call blocks the thread or just the coroutine.
 * A connection is kept alive as in 05/06 (pipelining, Content-Length),
 * with its buffers on its own stack: there is no state machine to keep by
 * hand, because where the code stopped is the state. -t and the lingering
 * close are timers in the hub, one per waiting coroutine in a min-heap.
 * On SIGINT/SIGTERM the hub wakes every coroutine with ECANCELED; each
 * unwinds through its own code (closing its file and socket) and the hub
 * frees its stack. Finished coroutines' stacks are kept for the next
 * connections (COROUTINE_SPARE), as glibc keeps thread stacks: a fresh
 * mapping costs page faults on every new connection.
 *
 * Each socket is registered once, edge-triggered (06 explains why it
 * chose level-triggered): every patched call tries the operation until
 * EAGAIN before it waits, which is exactly what edge-triggered epoll
 * demands, so no wakeup can be missed and no epoll_ctl is needed per wait.
 *
 * Left for 09-capture: what these bytes look like on the wire. And the
 * price of this model: a coroutine keeps the stack pages it has touched
 * while it waits, so an idle connection costs tens of KiB (bench/results),
 * where 06 holds one small struct; and one coroutine that computes without
 * calling us stops every other (there is no preemption).
 */
#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "http.h"
#include "lab.h"
#include "net.h"
#include "param.h"
#include "serve.h"
#include "setup.h"

/*
 * AddressSanitizer tracks which stack is in use; a switch it is not told
 * about looks like a wild jump of the stack pointer, and its reports go
 * wrong. These announce each switch (a no-op in a normal build).
 */
#if defined(__SANITIZE_ADDRESS__)
#define NETLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NETLAB_ASAN 1
#endif
#endif
#ifdef NETLAB_ASAN
#include <sanitizer/asan_interface.h>
#define fiber_start(save, bottom, size) \
	__sanitizer_start_switch_fiber(save, bottom, size)
#define fiber_finish(save, bottom, size) \
	__sanitizer_finish_switch_fiber(save, bottom, size)
/* A reused stack still carries the poisoned red zones of its last frames. */
#define stack_unpoison(p, size) __asan_unpoison_memory_region(p, size)
#else
#define fiber_start(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define fiber_finish(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define stack_unpoison(p, size) ((void)(p), (void)(size))
#endif

enum coro_state {
	CORO_READY,     /* in the run queue */
	CORO_WAITING,   /* parked until its socket is ready or its timer fires */
	CORO_DONE,      /* its function returned: the hub frees it */
};

struct coro {
	ucontext_t ctx;             /* its registers while it is switched out */
	char *map;                  /* guard page, then COROUTINE_STACK of stack */
	enum coro_state state;
	void (*fn)(void *);
	void *arg;
	int wait_fd;                /* the socket it waits for, or -1 */
	unsigned want;              /* EPOLLIN or EPOLLOUT */
	int timed_out;              /* its timer woke it, not its socket */
	int timeout_ms;             /* how long one wait may last (-t) */
	long long deadline;         /* ms on the monotonic clock, or -1: no timer */
	size_t heap_pos;            /* where it is in the timer heap */
	struct coro *next_ready;
	struct coro *prev, *next;   /* every live coroutine, for shutdown */
	void *asan_fake;            /* ASan's bookkeeping across a switch */
};

/* What a coroutine needs, in memory only it uses (and frees). */
struct client {
	int fd;
	char peer[NET_PEER_MAX];
	const struct server *s;
};

static ucontext_t hub_ctx;      /* the hub runs on main's own stack */
static const void *hub_stack;   /* where that stack is, for ASan */
static size_t hub_stack_size;
static struct coro *current;    /* the running coroutine; NULL in the hub */
static struct coro *ready_head, *ready_tail;
static struct coro *all;        /* every live coroutine */
static struct coro *spare;      /* finished ones, stacks kept for reuse */
static int nspare;
static int live;
static struct coro *waiting[FD_LIMIT_MAX]; /* by descriptor: who waits for it */
static struct coro **timers;    /* min-heap on deadline */
static size_t ntimers, timers_cap;
static int epfd;
static int stopping;            /* every wait now fails with ECANCELED */
static size_t page_size;
static const struct server *srv;  /* options and descriptors, from setup_server */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The hub's timers: a binary min-heap, the earliest deadline at [0]. */
static void
heap_swap(size_t i, size_t j)
{
	struct coro *t = timers[i];

	timers[i] = timers[j];
	timers[j] = t;
	timers[i]->heap_pos = i;
	timers[j]->heap_pos = j;
}

/* Move entry i up or down until its parent is earlier and its children later. */
static void
heap_fix(size_t i)
{
	while (i > 0 && timers[i]->deadline < timers[(i - 1) / 2]->deadline) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < ntimers && timers[l]->deadline < timers[m]->deadline)
			m = l;
		if (r < ntimers && timers[r]->deadline < timers[m]->deadline)
			m = r;
		if (m == i)
			return;
		heap_swap(i, m);
		i = m;
	}
}

/* co_spawn made room: a coroutine has at most one timer. */
static void
timer_add(struct coro *c, long long deadline)
{
	c->deadline = deadline;
	c->heap_pos = ntimers;
	timers[ntimers++] = c;
	heap_fix(c->heap_pos);
}

static void
timer_del(struct coro *c)
{
	size_t i = c->heap_pos;

	c->deadline = -1;
	if (i != --ntimers) {
		timers[i] = timers[ntimers];
		timers[i]->heap_pos = i;
		heap_fix(i);
	}
}

/* From the hub into c, until c waits or ends. */
static void
co_resume(struct coro *c)
{
	void *fake = NULL;

	current = c;
	fiber_start(&fake, c->map + page_size, COROUTINE_STACK);
	/* Fails only for a context that was never made: a bug, not a client. */
	if (swapcontext(&hub_ctx, &c->ctx) == -1)
		err(1, "swapcontext");
	fiber_finish(fake, NULL, NULL);
	current = NULL;
}

/* From the running coroutine back to the hub. */
static void
co_yield(void)
{
	struct coro *c = current;

	/* A finished coroutine's stack is about to go: ASan may forget it. */
	fiber_start(c->state == CORO_DONE ? NULL : &c->asan_fake, hub_stack,
	            hub_stack_size);
	if (swapcontext(&c->ctx, &hub_ctx) == -1)
		err(1, "swapcontext");
	fiber_finish(c->asan_fake, NULL, NULL);
}

/* Every coroutine starts here, on its own stack. */
static void
co_main(void)
{
	struct coro *c = current;

	fiber_finish(NULL, &hub_stack, &hub_stack_size);
	c->fn(c->arg);
	c->state = CORO_DONE;
	co_yield();   /* the hub frees this stack: we never come back */
}

static void
co_ready(struct coro *c)
{
	c->state = CORO_READY;
	c->next_ready = NULL;
	if (ready_tail != NULL)
		ready_tail->next_ready = c;
	else
		ready_head = c;
	ready_tail = c;
}

/* A waiting coroutine's socket is ready, or its time is up. */
static void
co_wake(struct coro *c, int timed_out)
{
	if (c->deadline != -1)
		timer_del(c);
	if (c->wait_fd != -1)
		waiting[c->wait_fd] = NULL;
	c->timed_out = timed_out;
	co_ready(c);
}

/*
 * A coroutine with a stack: a finished one's if there is one (its pages are
 * already there, so no mmap, no page faults), or a new mapping.
 */
static struct coro *
co_alloc(void)
{
	struct coro *c = spare;

	if (c != NULL) {
		spare = c->next;
		nspare--;
		stack_unpoison(c->map + page_size, COROUTINE_STACK);
		return c;
	}
	if ((c = malloc(sizeof(*c))) == NULL)
		return NULL;
	c->map = mmap(NULL, page_size + COROUTINE_STACK, PROT_READ | PROT_WRITE,
	              MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (c->map == MAP_FAILED) {
		free(c);
		return NULL;
	}
	/* Stacks grow down: overflowing runs into this page, and faults. */
	if (mprotect(c->map, page_size, PROT_NONE) == -1) {
		munmap(c->map, page_size + COROUTINE_STACK);
		free(c);
		return NULL;
	}
	return c;
}

/* Keep up to COROUTINE_SPARE stacks for the next connections; free the rest. */
static void
co_release(struct coro *c)
{
	if (nspare < COROUTINE_SPARE) {
		c->next = spare;
		spare = c;
		nspare++;
		return;
	}
	munmap(c->map, page_size + COROUTINE_STACK);
	free(c);
}

/* A timer slot for every coroutine, so that co_wait cannot fail. */
static int
timers_reserve(void)
{
	size_t cap = timers_cap ? 2 * timers_cap : 64;
	struct coro **t;

	if ((size_t)live + 1 <= timers_cap)
		return 0;
	if ((t = realloc(timers, cap * sizeof(*t))) == NULL)
		return -1;
	timers = t;
	timers_cap = cap;
	return 0;
}

/* Registers that start co_main on c's own stack when first switched to. */
static int
co_context(struct coro *c)
{
	if (getcontext(&c->ctx) == -1)
		return -1;
	c->ctx.uc_stack.ss_sp = c->map + page_size;
	c->ctx.uc_stack.ss_size = COROUTINE_STACK;
	c->ctx.uc_link = NULL;      /* co_main never returns; it yields */
	makecontext(&c->ctx, co_main, 0);
	return 0;
}

/* gevent.spawn: a coroutine that will run fn(arg) once the hub gets to it. */
static struct coro *
co_spawn(void (*fn)(void *), void *arg)
{
	struct coro *c;
	char *map;

	if (timers_reserve() == -1 || (c = co_alloc()) == NULL)
		return NULL;
	map = c->map;
	memset(c, 0, sizeof(*c));
	c->map = map;
	if (co_context(c) == -1) {
		co_release(c);
		return NULL;
	}
	c->fn = fn;
	c->arg = arg;
	c->wait_fd = -1;
	c->deadline = -1;
	c->timeout_ms = srv->timeout * 1000;
	c->next = all;
	if (all != NULL)
		all->prev = c;
	all = c;
	live++;
	co_ready(c);
	return c;
}

/* Its function has returned: off the list of the living. */
static void
co_free(struct coro *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		all = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	live--;
	co_release(c);
}

/*
 * Park the running coroutine until fd is ready for want (fd -1: just
 * sleep), for at most ms (-1: no limit), and let the hub run the others.
 * 0 when fd is ready; -1 with errno ETIMEDOUT, or ECANCELED once the
 * server is stopping.
 */
static int
co_wait(int fd, unsigned want, int ms)
{
	struct coro *c = current;

	if (stopping) {
		errno = ECANCELED;
		return -1;
	}
	c->wait_fd = fd;
	c->want = want;
	if (fd != -1)
		waiting[fd] = c;
	if (ms >= 0)
		timer_add(c, now_ms() + ms);
	c->state = CORO_WAITING;
	co_yield();
	c->wait_fd = -1;
	if (stopping || c->timed_out) {
		errno = stopping ? ECANCELED : ETIMEDOUT;
		return -1;
	}
	return 0;
}

/*
 * The monkey patch. Each call tries the real one on a non-blocking socket;
 * where that would block (EAGAIN), it waits in co_wait instead, so only
 * this coroutine waits, and then tries again.
 */
static ssize_t
co_recv(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = recv(fd, buf, len, 0);

		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return n;
		if (errno != EINTR && co_wait(fd, EPOLLIN, current->timeout_ms) == -1) {
			if (errno == ETIMEDOUT)
				errno = EAGAIN;   /* what SO_RCVTIMEO says in 03 */
			return -1;
		}
	}
}

static int
co_write_all(int fd, const void *buf, size_t len, long long *sent)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, 0);

		if (n >= 0) {
			p += n;
			len -= (size_t)n;
			*sent += n;
		} else if (errno != EINTR && (errno != EAGAIN ||
		           co_wait(fd, EPOLLOUT, current->timeout_ms) == -1)) {
			return -1;
		}
	}
	return 0;
}

/* 06's sendfile: the kernel copies the file from off to the socket as room appears. */
static int
co_send_file(int fd, int file, off_t off, off_t len, long long *sent)
{
	while (len > 0) {
		ssize_t n = sendfile(fd, file, &off, (size_t)len);   /* advances off */

		if (n > 0) {
			len -= n;
			*sent += n;
		} else if (n == 0) {
			errno = EIO;   /* the file shrank: the Content-Length was a lie */
			return -1;
		} else if (errno != EINTR && (errno != EAGAIN ||
		           co_wait(fd, EPOLLOUT, current->timeout_ms) == -1)) {
			return -1;
		}
	}
	return 0;
}

static void
co_set_timeout(int fd, int seconds)
{
	(void)fd;   /* a coroutine serves one socket: the limit is its own */
	current->timeout_ms = seconds * 1000;
}

/* Let the others run for ms. */
static void
co_sleep(int ms)
{
	(void)co_wait(-1, 0, ms);
}

/* The same calls serve.c makes in 03 (serve_blocking_io), made to yield. */
static const struct serve_io hub_io = {
	.recv = co_recv,
	.write_all = co_write_all,
	.send_file = co_send_file,
	.set_timeout = co_set_timeout,
};

/*
 * accept, patched the same way. The new socket is made non-blocking and
 * registered with epoll once, edge-triggered, for both directions.
 */
static int
co_accept(int lfd, struct sockaddr_storage *ss, socklen_t *sl)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET };
	int fd, one = 1;

	while ((fd = accept(lfd, (struct sockaddr *)ss, sl)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (errno != EINTR && co_wait(lfd, EPOLLIN, -1) == -1)
			return -1;
	}
	/* No Nagle delay for the body after the head (see 06). */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ev.data.fd = fd;
	if (fd >= FD_LIMIT_MAX || (!BUG_UNPATCHED && net_nonblock(fd) == -1) ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		close(fd);
		errno = ECONNABORTED;
		return -1;
	}
	return fd;
}

/* Read requests and answer them until the client is done: in a coroutine. */
static void
client_main(void *arg)
{
	struct client *c = arg;
	struct serve_conn conn;     /* its buffers live on this coroutine's stack */
	char log[LOG_LINE_MAX];

	/* Without the patch (and a blocking socket), a recv stops the whole thread. */
	serve_open(&conn, BUG_UNPATCHED ? &serve_blocking_io : &hub_io, c->fd, c->s, c->peer,
	           HTTP_CONN_KEEP);
	while (conn.open && serve_request(&conn, log, sizeof(log)) != SERVE_NOTHING)
		if (!c->s->quiet)
			printf("%s\n", log);   /* one thread: lines cannot mix */
	close(c->fd);   /* also takes it out of the epoll set */
	free(c);
}

static void
handle_client(int fd, const struct sockaddr_storage *ss, const struct server *s)
{
	struct http_response res;
	struct client *c;

	if ((c = malloc(sizeof(*c))) != NULL) {
		c->fd = fd;
		c->s = s;
		net_peer_name(ss, c->peer, sizeof(c->peer));
		if (co_spawn(client_main, c) != NULL)
			return;   /* the coroutine owns fd and c now */
	}
	/* Out of memory for a stack: tell this client, keep serving. */
	warnx("co_spawn: %s", strerror(ENOMEM));
	free(c);
	http_error(&res, HTTP_UNAVAILABLE);
	(void)net_write_all(fd, res.head, res.head_len, NULL);
	close(fd);
}

/* 03's accept loop, as a coroutine: co_accept lets the others run. */
static void
serve_forever(void *arg)
{
	const struct server *s = arg;

	while (!server_stop) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = co_accept(s->listen_fd, &ss, &sl);

		if (fd == -1) {
			/* EMFILE stays queued and would fail again: wait, do not spin. */
			if (errno != ECONNABORTED && errno != ECANCELED)
				co_sleep(ACCEPT_BACKOFF_MS);
			continue;
		}
		handle_client(fd, &ss, s);
	}
}

/* Sleep in epoll_wait until a socket is ready or the first timer is due. */
static void
hub_poll(void)
{
	struct epoll_event events[EPOLL_BATCH];
	long long now = now_ms();
	int i, n, ms = 1000;   /* wake at least once a second to see server_stop */

	if (ntimers > 0 && timers[0]->deadline - now < ms)
		ms = timers[0]->deadline > now ? (int)(timers[0]->deadline - now) : 0;
	n = epoll_wait(epfd, events, EPOLL_BATCH, ms);
	if (n == -1 && errno != EINTR)
		err(1, "epoll_wait");
	for (i = 0; i < n; i++) {
		struct coro *c = waiting[events[i].data.fd];

		if (c != NULL && (events[i].events & (c->want | EPOLLERR | EPOLLHUP)))
			co_wake(c, 0);
	}
	now = now_ms();
	while (ntimers > 0 && timers[0]->deadline <= now)
		co_wake(timers[0], 1);
}

/*
 * The hub: run every ready coroutine until it waits or ends, then sleep
 * until epoll or a timer makes more ready. Once stopping, wake all the
 * waiting ones; their waits fail, and they finish.
 */
static void
hub_run(void)
{
	struct coro *c;

	while (live > 0) {
		if (server_stop && !stopping) {
			stopping = 1;
			for (c = all; c != NULL; c = c->next)
				if (c->state == CORO_WAITING)
					co_wake(c, 0);
		}
		while ((c = ready_head) != NULL) {
			if ((ready_head = c->next_ready) == NULL)
				ready_tail = NULL;
			co_resume(c);
			if (c->state == CORO_DONE)
				co_free(c);
		}
		if (live > 0)
			hub_poll();
	}
}

/* The hub's epoll set; the listening socket is registered like any other. */
static void
hub_init(int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = lfd };
	long ps = sysconf(_SC_PAGESIZE);

	if (ps == -1)
		err(1, "sysconf");
	page_size = (size_t)ps;
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
	if (net_nonblock(lfd) == -1 || epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) == -1)
		err(1, "epoll_ctl");
}

int
main(int argc, char **argv)
{
	struct server s;

	setup_server(argc, argv, "08-coroutines: blocking-style code on one "
	             "thread, a coroutine per connection over an epoll loop.", &s);
	srv = &s;
	hub_init(s.listen_fd);
	if (co_spawn(serve_forever, &s) == NULL)
		err(1, "co_spawn");
	hub_run();
	while (spare != NULL) {
		struct coro *c = spare;

		spare = c->next;
		munmap(c->map, page_size + COROUTINE_STACK);
		free(c);
	}
	free(timers);
	close(epfd);
	close(s.listen_fd);
	fprintf(stderr, "stopped\n");
	return 0;
}
