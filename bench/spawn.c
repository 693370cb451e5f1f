/*
 * spawn.c: what it costs to start a worker for a connection and be rid of
 * it again, in microseconds, the three ways of notes 2.2:
 *
 *   fork       fork, the child _exits, the parent waitpids it: what
 *              02-fork pays per connection besides the request itself
 *              (our page tables copied, every page marked copy-on-write,
 *              a copy of each page the child writes, the child torn down)
 *   thread     pthread_create, and pthread_join when the thread returns:
 *              what 03-threads pays (its threads are detached; joining
 *              here only lets us time the end)
 *   coroutine, kept stack
 *              makecontext on a stack kept from the last one, run it to
 *              its end and back: what 08-coroutines pays once its stacks
 *              are reused
 *   coroutine, new stack
 *              the same on a fresh mmap (a guard page below it), unmapped
 *              at the end: what 08 would pay without its spare stacks, a
 *              mapping, page faults to clear the pages the coroutine
 *              touches, and munmap
 *
 * Each worker writes STACK_TOUCH bytes of its stack before it ends, about
 * what the request code of 03 and 08 touches while it waits for a request.
 *
 *   bench/spawn [ROUNDS]
 *
 * Run it pinned to one core (taskset -c 1 bench/spawn), as bench/coro.sh
 * runs bench/switch. Child and parent then share that core, and a fork is
 * timed from the call to the reaping, both sides' work included.
 */
#include <err.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define STACK_SIZE  (128 * 1024)   /* 08's COROUTINE_STACK */
#define STACK_TOUCH (16 * 1024)

static long rounds;
static ucontext_t main_ctx, coro_ctx;

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* What every worker does here: write STACK_TOUCH bytes of its stack. */
static void
touch_stack(void)
{
	volatile char buf[STACK_TOUCH];
	size_t i;

	for (i = 0; i < sizeof(buf); i += 4096)
		buf[i] = 1;
}

static double
bench_fork(void)
{
	double t0 = now_us();
	long i;
	pid_t pid;
	int status;

	for (i = 0; i < rounds; i++) {
		pid = fork();
		if (pid == -1)
			err(1, "fork");
		if (pid == 0) {
			touch_stack();
			_exit(0);
		}
		if (waitpid(pid, &status, 0) == -1)
			err(1, "waitpid");
	}
	return (now_us() - t0) / (double)rounds;
}

static void *
thread_body(void *arg)
{
	touch_stack();
	return arg;
}

static double
bench_thread(void)
{
	double t0 = now_us();
	pthread_t tid;
	long i;
	int rc;

	for (i = 0; i < rounds; i++) {
		if ((rc = pthread_create(&tid, NULL, thread_body, NULL)) != 0)
			errx(1, "pthread_create: %s", strerror(rc));
		if ((rc = pthread_join(tid, NULL)) != 0)
			errx(1, "pthread_join: %s", strerror(rc));
	}
	return (now_us() - t0) / (double)rounds;
}

/* A coroutine's work; uc_link takes us back when it returns. */
static void
coro_body(void)
{
	touch_stack();
}

static void
coro_run(char *stack, size_t size)
{
	if (getcontext(&coro_ctx) == -1)
		err(1, "getcontext");
	coro_ctx.uc_stack.ss_sp = stack;
	coro_ctx.uc_stack.ss_size = size;
	coro_ctx.uc_link = &main_ctx;
	makecontext(&coro_ctx, coro_body, 0);
	if (swapcontext(&main_ctx, &coro_ctx) == -1)
		err(1, "swapcontext");
}

static double
bench_coroutine_kept(void)
{
	static char stack[STACK_SIZE];
	double t0 = now_us();
	long i;

	for (i = 0; i < rounds; i++)
		coro_run(stack, sizeof(stack));
	return (now_us() - t0) / (double)rounds;
}

static double
bench_coroutine_new(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	double t0 = now_us();
	char *map;
	long i;

	for (i = 0; i < rounds; i++) {
		map = mmap(NULL, page + STACK_SIZE, PROT_READ | PROT_WRITE,
		           MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (map == MAP_FAILED)
			err(1, "mmap");
		if (mprotect(map, page, PROT_NONE) == -1)
			err(1, "mprotect");
		coro_run(map + page, STACK_SIZE);
		if (munmap(map, page + STACK_SIZE) == -1)
			err(1, "munmap");
	}
	return (now_us() - t0) / (double)rounds;
}

int
main(int argc, char **argv)
{
	rounds = argc > 1 ? atol(argv[1]) : 2000;
	if (rounds <= 0)
		errx(2, "usage: spawn [ROUNDS]");
	printf("fork\t%.1f\n", bench_fork());
	printf("thread\t%.1f\n", bench_thread());
	printf("coroutine, kept stack\t%.1f\n", bench_coroutine_kept());
	printf("coroutine, new stack\t%.1f\n", bench_coroutine_new());
	return 0;
}
