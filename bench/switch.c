/*
 * switch.c: what it costs to change who runs, three ways, in nanoseconds
 * per round trip (there and back):
 *
 *   coroutine  swapcontext to a coroutine and back, as 08's hub does for a
 *              request (glibc saves and restores the signal mask on every
 *              switch: one rt_sigprocmask system call each way)
 *   syscall    one cheap system call (getppid), for scale
 *   thread     two threads handing a byte back and forth over pipes, as a
 *              request handed between threads would be: two kernel
 *              context switches and four system calls
 *
 *   bench/switch [ROUNDS]
 *
 * Run it pinned to one core (bench/switch.sh does), so the thread case
 * measures switches rather than two cores passing a cache line.
 */
#include <err.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define STACK_SIZE (64 * 1024)

static ucontext_t main_ctx, coro_ctx;
static long rounds;
static int ping[2], pong[2];

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Switch straight back, for ever; main stops resuming it when done. */
static void
coro_body(void)
{
	for (;;)
		if (swapcontext(&coro_ctx, &main_ctx) == -1)
			err(1, "swapcontext");
}

static double
bench_coroutine(void)
{
	static char stack[STACK_SIZE];
	double t0;
	long i;

	if (getcontext(&coro_ctx) == -1)
		err(1, "getcontext");
	coro_ctx.uc_stack.ss_sp = stack;
	coro_ctx.uc_stack.ss_size = sizeof(stack);
	coro_ctx.uc_link = NULL;
	makecontext(&coro_ctx, coro_body, 0);
	t0 = now_ns();
	for (i = 0; i < rounds; i++)
		if (swapcontext(&main_ctx, &coro_ctx) == -1)
			err(1, "swapcontext");
	return (now_ns() - t0) / (double)rounds;
}

static double
bench_syscall(void)
{
	double t0 = now_ns();
	long i;

	for (i = 0; i < rounds; i++)
		(void)getppid();
	return (now_ns() - t0) / (double)rounds;
}

/* The other thread: read a byte from ping, write it to pong. */
static void *
echo_thread(void *arg)
{
	char b;

	(void)arg;
	while (read(ping[0], &b, 1) == 1 && write(pong[1], &b, 1) == 1)
		;
	return NULL;
}

static double
bench_thread(void)
{
	pthread_t tid;
	double t0;
	long i;
	char b = 'x';
	int rc;

	if (pipe(ping) == -1 || pipe(pong) == -1)
		err(1, "pipe");
	if ((rc = pthread_create(&tid, NULL, echo_thread, NULL)) != 0)
		errx(1, "pthread_create: %d", rc);
	t0 = now_ns();
	for (i = 0; i < rounds; i++)
		if (write(ping[1], &b, 1) != 1 || read(pong[0], &b, 1) != 1)
			err(1, "pipe");
	t0 = (now_ns() - t0) / (double)rounds;
	close(ping[1]);   /* the thread's read sees end of file and it ends */
	pthread_join(tid, NULL);
	return t0;
}

int
main(int argc, char **argv)
{
	rounds = argc > 1 ? atol(argv[1]) : 1000000;
	if (rounds <= 0)
		errx(2, "usage: switch [ROUNDS]");
	printf("coroutine\t%.0f\n", bench_coroutine());
	printf("syscall\t%.0f\n", bench_syscall());
	rounds /= 10;   /* a thread round trip is slow: fewer are enough */
	printf("thread\t%.0f\n", bench_thread());
	return 0;
}
