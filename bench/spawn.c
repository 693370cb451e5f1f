/*
 * spawn.c: what it costs to start a worker for a connection and be rid of
 * it again, in microseconds, the three ways of notes 2.2:
 *
 *   fork       fork, the child _exits at once, the parent waitpids it: what
 *              02-fork pays per connection before any request is read
 *              (our page tables copied, every page marked copy-on-write,
 *              then the child torn down)
 *   thread     pthread_create of a thread that returns at once, and
 *              pthread_join: what 03-threads pays (its threads are
 *              detached; joining here only lets us time the end)
 *   coroutine  makecontext on a stack kept from the last one, run it to
 *              its end and back: what 08-coroutines pays once its stacks
 *              are reused
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
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define STACK_SIZE (128 * 1024)   /* 08's COROUTINE_STACK */

static long rounds;
static ucontext_t main_ctx, coro_ctx;

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
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
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &status, 0) == -1)
			err(1, "waitpid");
	}
	return (now_us() - t0) / (double)rounds;
}

static void *
thread_body(void *arg)
{
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

/* Returns at once; uc_link takes us back to main_ctx. */
static void
coro_body(void)
{
}

static double
bench_coroutine(void)
{
	static char stack[STACK_SIZE];
	double t0 = now_us();
	long i;

	for (i = 0; i < rounds; i++) {
		if (getcontext(&coro_ctx) == -1)
			err(1, "getcontext");
		coro_ctx.uc_stack.ss_sp = stack;
		coro_ctx.uc_stack.ss_size = sizeof(stack);
		coro_ctx.uc_link = &main_ctx;
		makecontext(&coro_ctx, coro_body, 0);
		if (swapcontext(&main_ctx, &coro_ctx) == -1)
			err(1, "swapcontext");
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
	printf("coroutine\t%.1f\n", bench_coroutine());
	return 0;
}
