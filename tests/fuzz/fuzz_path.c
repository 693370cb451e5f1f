/*
 * fuzz_path.c: libFuzzer target for common/docroot.c:docroot_open.
 *
 * The invariant, not just "no crash": whatever the target, a file we open
 * is inside the docroot. The docroot is made once, in a fresh temporary
 * directory: a few files, a subdirectory, a symlink that stays inside and
 * two that point out, and a secret file beside the docroot.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "docroot.h"

static char root[PATH_MAX];     /* canonical docroot path, for the check */
static int root_fd = -1;
static char base[] = "/tmp/netlab-fuzz-XXXXXX";

/* Remove what make_docroot made, so runs leave nothing behind in /tmp. */
static void
remove_docroot(void)
{
	static const char *const made[] = {
		"www/sub/index.html", "www/sub", "www/index.html", "www/a.css",
		"www/out.txt", "www/up", "www/in.css", "www", "secret.txt", "",
	};
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", base, made[i]);
		if (unlink(path) == -1)
			rmdir(path);
	}
}

static void
put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
}

/* www/name -> to; no chdir, which would break libFuzzer's relative paths. */
static void
link_in(const char *dir, const char *to, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/www/%s", dir, name);
	if (symlink(to, path) == -1)
		abort();
}

static void
make_docroot(void)
{
	char dir[PATH_MAX];

	if (mkdtemp(base) == NULL)
		abort();
	atexit(remove_docroot);
	put(base, "secret.txt", "secret\n");
	snprintf(dir, sizeof(dir), "%s/www", base);
	mkdir(dir, 0755);
	put(dir, "index.html", "<p>index</p>\n");
	put(dir, "a.css", "p {}\n");
	snprintf(dir, sizeof(dir), "%s/www/sub", base);
	mkdir(dir, 0755);
	put(dir, "index.html", "<p>sub</p>\n");
	link_in(base, "../secret.txt", "out.txt");
	link_in(base, "..", "up");
	link_in(base, "a.css", "in.css");
	snprintf(dir, sizeof(dir), "%s/www", base);
	if ((root_fd = docroot_init(dir)) == -1 || realpath(dir, root) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char target[8192], proc[64], real[PATH_MAX];
	struct docroot_file f;
	size_t rl;
	ssize_t n;
	int status;

	if (root[0] == '\0')
		make_docroot();
	if (size >= sizeof(target) || memchr(data, '\0', size) != NULL)
		return 0;   /* a target from http_parse never holds NUL */
	memcpy(target, data, size);
	target[size] = '\0';
	status = docroot_open(root_fd, target, &f);
	if (status == 301 || status == 400 || status == 403 || status == 404 ||
	    status == 414 || status == 503)
		return 0;
	if (status != 200)
		abort();
	/* Ask the kernel where the descriptor really points. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", f.fd);
	n = readlink(proc, real, sizeof(real) - 1);
	close(f.fd);
	if (n <= 0)
		abort();
	real[n] = '\0';
	rl = strlen(root);
	if (strncmp(real, root, rl) != 0 || real[rl] != '/')
		abort();
	return 0;
}
