/*
 * coro.c: the engine under 08-coroutines: coroutines, and the hub that
 * runs them on one thread over epoll.
 *
 * A coroutine is a function with a stack of its own (128 KiB from mmap,
 * with a guard page below it, so an overflow faults at once instead of
 * writing over a neighbour's stack) and a saved set of registers. The hub
 * is main's own stack: it resumes a ready coroutine with swapcontext, and
 * the coroutine runs until it has to wait (co_wait) or ends, and switches
 * back. A waiting coroutine is parked by descriptor (waiting[]) and, if its
 * wait has a limit, in a min-heap of timers; the hub sleeps in epoll_wait
 * until a socket is ready or the first timer is due, and makes those
 * coroutines ready again. Finished coroutines' stacks are kept for the next
 * (COROUTINE_SPARE), as glibc keeps thread stacks: a fresh mapping costs
 * page faults on every new connection. On SIGINT/SIGTERM the hub wakes
 * every coroutine with ECANCELED; each unwinds through its own code
 * (closing its file and socket) and the hub frees its stack.
 *
 * Each socket is registered once, edge-triggered (06 explains why it
 * chose level-triggered): every patched call in server.c tries the
 * operation until EAGAIN before it waits, which is exactly what
 * edge-triggered epoll demands, so no wakeup can be missed and no
 * epoll_ctl is needed per wait.
 */
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "clock.h"
#include "coro.h"
#include "net.h"
#include "param.h"
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
	int timeout_ms;             /* how long one wait may last (-t), or CO_NO_LIMIT */
	long long deadline;         /* ms on the monotonic clock, or -1: no timer */
	size_t heap_pos;            /* where it is in the timer heap */
	struct coro *next_ready;
	struct coro *prev, *next;   /* every live coroutine, for shutdown */
	void *asan_fake;            /* ASan's bookkeeping across a switch */
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

struct coro *
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
	c->timeout_ms = CO_NO_LIMIT;
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
 * sleep), for at most ms (CO_NO_LIMIT: no limit), and let the hub run the
 * others. 0 when fd is ready; -1 with errno ETIMEDOUT, or ECANCELED once
 * the server is stopping.
 */
static int
wait_for(int fd, unsigned want, int ms)
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
	if (ms != CO_NO_LIMIT)
		timer_add(c, clock_ms() + ms);
	c->state = CORO_WAITING;
	co_yield();
	c->wait_fd = -1;
	if (stopping || c->timed_out) {
		errno = stopping ? ECANCELED : ETIMEDOUT;
		return -1;
	}
	return 0;
}

/* Sleep in epoll_wait until a socket is ready or the first timer is due. */
static void
hub_poll(void)
{
	struct epoll_event events[EPOLL_BATCH];
	long long now = clock_ms();
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
	now = clock_ms();
	while (ntimers > 0 && timers[0]->deadline <= now)
		co_wake(timers[0], 1);
}

/*
 * Run every ready coroutine until it waits or ends, then sleep until
 * epoll or a timer makes more ready. Once stopping, wake all the waiting
 * ones; their waits fail, and they finish.
 */
void
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

void
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
hub_watch(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.fd = fd };

	if (fd >= FD_LIMIT_MAX) {
		errno = EMFILE;   /* waiting[] has no slot for it */
		return -1;
	}
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int
co_wait(int fd, unsigned want)
{
	return wait_for(fd, want, current->timeout_ms);
}

void
co_limit(int ms)
{
	current->timeout_ms = ms;
}

void
co_sleep(int ms)
{
	(void)wait_for(-1, 0, ms);
}

void
hub_free(void)
{
	while (spare != NULL) {
		struct coro *c = spare;

		spare = c->next;
		munmap(c->map, page_size + COROUTINE_STACK);
		free(c);
	}
	free(timers);
	close(epfd);
}
