/*
 * sendfile.c: how fast sendfile itself moves a file over a loopback TCP
 * connection on this machine: the ceiling for a server sending 10 MiB
 * files, whatever else it does. One process sends the file again and
 * again with sendfile for SECONDS, pinned to one CPU; another, pinned to
 * the other, reads and discards, as wrk would.
 *
 *   bench/sendfile FILE [SECONDS [SEND_CPU [READ_CPU]]]   (default 3 s, CPUs 0 and 1)
 *
 * Prints MiB per second, and what that allows in responses of FILE's size
 * per second.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <err.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == -1)
		warn("sched_setaffinity %d", cpu);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The reader: connect, read and discard until the sender closes. */
static void
reader(const struct sockaddr_in *sa, int cpu)
{
	static char buf[1 << 16];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	pin(cpu);
	if (fd == -1 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == -1)
		err(1, "connect");
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	double seconds = argc > 2 ? atof(argv[2]) : 3, start, took;
	int send_cpu = argc > 3 ? atoi(argv[3]) : 0, read_cpu = argc > 4 ? atoi(argv[4]) : 1;
	long long total = 0, files = 0;
	struct stat st;
	int lfd, fd, file;
	pid_t child;

	if (argc < 2)
		errx(2, "usage: sendfile FILE [SECONDS [SEND_CPU [READ_CPU]]]");
	if ((file = open(argv[1], O_RDONLY)) == -1 || fstat(file, &st) == -1)
		err(1, "%s", argv[1]);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(lfd, 1) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) == -1)
		err(1, "listen");
	if ((child = fork()) == -1)
		err(1, "fork");
	if (child == 0)
		reader(&sa, read_cpu);
	pin(send_cpu);
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		err(1, "accept");
	start = now();
	while (now() - start < seconds) {
		off_t off = 0;

		while (off < st.st_size) {
			ssize_t n = sendfile(fd, file, &off, (size_t)(st.st_size - off));

			if (n <= 0)
				err(1, "sendfile");
			total += n;
		}
		files++;
	}
	took = now() - start;
	close(fd);
	waitpid(child, NULL, 0);
	printf("sendfile over loopback: %.0f MiB/s, at most %.1f responses of %lld bytes per second"
	       " (%lld sent in %.1f s)\n", (double)total / took / (1 << 20),
	       (double)files / took, (long long)st.st_size, files, took);
	return 0;
}
