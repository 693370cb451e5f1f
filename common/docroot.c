/*
 * docroot.c: from "/%E4%B8%AD%E5%9B%BD.html?x=1" to an open file descriptor.
 *
 * Three defences, each needed: ".." segments are refused after decoding
 * (so %2e%2e is caught too), an encoded "/" is refused (it would hide a
 * segment boundary from that check), and the file is opened with openat2
 * and RESOLVE_BENEATH, so the kernel itself refuses any resolution that
 * would leave the docroot, through ".." or through a symbolic link that
 * points out. Checking the path first and opening it afterwards (realpath,
 * then open) would leave a window in which a link could be swapped in.
 * Where openat2 is missing, open_checked checks the opened file instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "docroot.h"
#include "lab.h"
#include "url.h"

/* Where descriptor fd really points, as the kernel sees it. */
static int
fd_path(int fd, char *buf, size_t size)
{
	char proc[32] = "/proc/self/fd/", digits[12], *d = digits + sizeof(digits);
	ssize_t n;

	*--d = '\0';
	do
		*--d = (char)('0' + fd % 10);
	while ((fd /= 10) > 0);
	strcat(proc, d);   /* 14 bytes and at most 10 digits: it fits */
	if ((n = readlink(proc, buf, size - 1)) <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/*
 * Without openat2 (Linux before 5.6, or valgrind, which does not know it):
 * open as usual, then ask the kernel where the descriptor really points and
 * refuse it unless that is inside the docroot. Nothing is read before then.
 */
static int
open_checked(int root, const char *path, int flags)
{
	char want[PATH_MAX_NETLAB], got[PATH_MAX_NETLAB];
	size_t wl;
	int fd = openat(root, path, flags);

	if (fd == -1)
		return -1;
	if (fd_path(root, want, sizeof(want)) == 0 && fd_path(fd, got, sizeof(got)) == 0) {
		wl = strlen(want);
		if (strncmp(got, want, wl) == 0 &&
		    (got[wl] == '/' || got[wl] == '\0' || wl == 1))
			return fd;
	}
	close(fd);
	errno = EXDEV;
	return -1;
}

/*
 * Open path beneath the directory root, read-only. O_NONBLOCK so that a
 * FIFO in the docroot cannot block the server in open; it is refused once
 * fstat shows what it is. glibc has no wrapper for openat2 yet.
 */
static int
open_beneath(int root, const char *path)
{
	struct open_how how;
	int fd;

	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	if (BUG_NO_CONTAINMENT)
		how.resolve = 0;   /* the kernel lets "..", "/" and links lead anywhere */
	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	if (fd == -1 && errno == ENOSYS)
		return open_checked(root, path, (int)how.flags);
	return fd;
}

int
docroot_init(const char *dir)
{
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Any ".." segment could climb out of the docroot. */
static int
has_dotdot(const char *path)
{
	const char *p = path;

	while ((p = strstr(p, "..")) != NULL) {
		if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
			return 1;
		p += 2;
	}
	return 0;
}

static enum http_status
errno_status(int e)
{
	if (e == EMFILE || e == ENFILE || e == ENOMEM)
		return HTTP_UNAVAILABLE;   /* our trouble, not a missing file: try again later */
	if (e == EXDEV || e == EACCES || e == ELOOP)
		return HTTP_FORBIDDEN;   /* EXDEV: the path would leave the docroot */
	if (e == ENAMETOOLONG)
		return HTTP_URI_TOO_LONG;
	return HTTP_NOT_FOUND;
}

/* Open path beneath root and fstat it: 200, or the status of the failure. */
static enum http_status
open_stat(int root, const char *path, struct docroot_file *f, struct stat *st)
{
	if ((f->fd = open_beneath(root, path)) == -1)
		return errno_status(errno);
	if (fstat(f->fd, st) == -1) {
		close(f->fd);
		return errno_status(errno);
	}
	return HTTP_OK;
}

/* Open path beneath root; a directory serves its index.html. */
static enum http_status
open_file(int root, char *path, size_t size, struct docroot_file *f)
{
	struct stat st;
	enum http_status status;

	if ((status = open_stat(root, path, f, &st)) != HTTP_OK)
		return status;
	if (S_ISDIR(st.st_mode)) {
		close(f->fd);
		if (path[strlen(path) - 1] != '/')
			return HTTP_MOVED_PERMANENTLY;
		if (strlen(path) + sizeof("index.html") > size)
			return HTTP_URI_TOO_LONG;
		strcat(path, "index.html");
		if ((status = open_stat(root, path, f, &st)) != HTTP_OK)
			return status;
	}
	if (!S_ISREG(st.st_mode)) {
		close(f->fd);
		return HTTP_FORBIDDEN;   /* a directory named index.html, a FIFO, a device */
	}
	f->st = st;
	f->type = docroot_mime(path);
	f->data = NULL;
	f->validators = NULL;
	return HTTP_OK;
}

enum http_status
docroot_open(int root, const char *target, struct docroot_file *f)
{
	char path[PATH_MAX_NETLAB];
	size_t len = strcspn(target, "?#");
	int n;

	if (target[0] != '/')
		return HTTP_BAD_REQUEST;
	n = url_decode(target, len, path, sizeof(path) - sizeof("index.html"));
	if (n == URL_ENCODED_SLASH)
		return HTTP_FORBIDDEN;
	if (n < 0)
		return HTTP_BAD_REQUEST;
	if (has_dotdot(path) && !BUG_NO_CONTAINMENT)
		return HTTP_FORBIDDEN;
	return open_file(root, path, sizeof(path), f);
}

struct mime {
	const char *ext;
	const char *type;
};

static const struct mime mimes[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm",  "text/html; charset=utf-8" },
	{ "css",  "text/css; charset=utf-8" },
	{ "js",   "text/javascript; charset=utf-8" },
	{ "txt",  "text/plain; charset=utf-8" },
	{ "md",   "text/markdown; charset=utf-8" },
	{ "json", "application/json" },
	{ "xml",  "application/xml" },
	{ "png",  "image/png" },
	{ "jpg",  "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif",  "image/gif" },
	{ "svg",  "image/svg+xml" },
	{ "ico",  "image/x-icon" },
	{ "webp", "image/webp" },
	{ "pdf",  "application/pdf" },
	{ "wasm", "application/wasm" },
};

const char *
docroot_mime(const char *path)
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	size_t i;

	/* The first letters are compared first: most names differ there. */
	if (dot != NULL && (slash == NULL || dot > slash))
		for (i = 0; i < sizeof(mimes) / sizeof(mimes[0]); i++)
			if ((dot[1] | 0x20) == mimes[i].ext[0] && strcasecmp(dot + 1, mimes[i].ext) == 0) {
				/* html, htm: without the charset the browser guesses how to decode the text */
				if (BUG_NO_CHARSET && mimes[i].ext[0] == 'h')
					return "text/html";
				return mimes[i].type;
			}
	return "application/octet-stream";
}
