/*
 * coro.h: coroutines on an epoll hub, the engine under 08-coroutines
 * (coro.c says how it works). server.c uses it as gevent is used: spawn a
 * coroutine per connection, and make every call that would block wait in
 * co_wait instead, so that only the coroutine waits and the hub runs the
 * others meanwhile.
 */
#ifndef CORO_H
#define CORO_H

#define CO_NO_LIMIT (-1)   /* a wait that lasts until the socket is ready */

struct coro;

/* The hub's epoll set, with the listening socket lfd in it. Dies on error. */
void hub_init(int lfd);

/* Watch fd, once, for input and output (edge-triggered); 0, or -1 with errno. */
int hub_watch(int fd);

/*
 * Run the coroutines until every one has ended. Once server_stop is set,
 * every wait fails with ECANCELED, so each coroutine unwinds and ends.
 */
void hub_run(void);

/* Free what the hub kept (spare stacks, timers): at exit. */
void hub_free(void);

/* gevent.spawn: fn(arg) in a coroutine of its own, run once the hub gets to it; NULL with errno. */
struct coro *co_spawn(void (*fn)(void *), void *arg);

/*
 * Park the running coroutine until fd is ready for want (EPOLLIN or
 * EPOLLOUT), at most for its limit, while the hub runs the others: 0, or
 * -1 with errno ETIMEDOUT, or ECANCELED once the server is stopping.
 */
int co_wait(int fd, unsigned want);

/* How long each wait of the running coroutine may last: ms, or CO_NO_LIMIT (the start). */
void co_limit(int ms);

/* Let the others run for ms. */
void co_sleep(int ms);

#endif
