/*
 * docroot.c: from "/%E4%B8%AD%E5%9B%BD.html?x=1" to an open file descriptor.
 *
 * Three defences, each needed: ".." segments are refused after decoding
 * (so %2e%2e is caught too), an encoded "/" is refused (it would hide a
 * segment boundary from that check), and the decoded path is canonicalized
 * with realpath(3) and must still start with the docroot, which catches
 * symbolic links that point out.
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "docroot.h"

int
docroot_init(const char *dir, char *root, size_t size)
{
	char buf[PATH_MAX];
	struct stat st;

	if (realpath(dir, buf) == NULL)
		return -1;
	if (stat(buf, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode) || strlen(buf) >= size) {
		errno = ENOTDIR;
		return -1;
	}
	strcpy(root, buf);
	return 0;
}

static int
hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
docroot_decode(const char *src, size_t len, char *dst, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)src[i];

		if (c == '%') {
			if (i + 2 >= len || hex(src[i + 1]) < 0 || hex(src[i + 2]) < 0)
				return -1;
			c = hex(src[i + 1]) * 16 + hex(src[i + 2]);
			i += 2;
			if (c == '/')
				return -2;   /* would hide a segment from the ".." check */
		}
		if (c == '\0' || n + 1 >= size)
			return -1;
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return (int)n;
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

static int
errno_status(int e)
{
	if (e == EMFILE || e == ENFILE || e == ENOMEM)
		return 503;   /* our trouble, not a missing file: try again later */
	if (e == EACCES || e == ELOOP)
		return 403;
	if (e == ENAMETOOLONG)
		return 414;
	return 404;
}

/* Canonicalize root + path into f->path and check it stays under root. */
static int
resolve(const char *root, const char *path, struct docroot_file *f)
{
	char full[PATH_MAX_NETLAB], real[PATH_MAX];
	size_t rl = strlen(root);
	int n;

	n = snprintf(full, sizeof(full), "%s%s", root, path);
	if (n < 0 || (size_t)n >= sizeof(full))
		return 414;
	if (realpath(full, real) == NULL)
		return errno_status(errno);
	/* The root itself, or root + "/" + more; "/" as root holds everything. */
	if (strncmp(real, root, rl) != 0 ||
	    (real[rl] != '\0' && real[rl] != '/' && strcmp(root, "/") != 0))
		return 403;
	if (strlen(real) >= sizeof(f->path))
		return 414;
	strcpy(f->path, real);
	return 200;
}

/* Open f->path; a directory serves its index.html. */
static int
open_resolved(const char *root, char *path, size_t size, struct docroot_file *f)
{
	struct stat st;
	int status;

	if ((status = resolve(root, path, f)) != 200)
		return status;
	if (stat(f->path, &st) == -1)
		return errno_status(errno);
	if (S_ISDIR(st.st_mode)) {
		if (path[strlen(path) - 1] != '/')
			return 301;
		if (strlen(path) + sizeof("index.html") > size)
			return 414;
		strcat(path, "index.html");
		if ((status = resolve(root, path, f)) != 200)
			return status;
	}
	f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (f->fd == -1)
		return errno_status(errno);
	if (fstat(f->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(f->fd);
		return 403;   /* a directory named index.html, a FIFO, a device */
	}
	f->size = st.st_size;
	return 200;
}

int
docroot_open(const char *root, const char *target, struct docroot_file *f)
{
	char path[PATH_MAX_NETLAB];
	size_t len = strcspn(target, "?#");
	int n;

	if (target[0] != '/')
		return 400;
	n = docroot_decode(target, len, path, sizeof(path) - sizeof("index.html"));
	if (n == -2)
		return 403;
	if (n < 0)
		return 400;
	if (has_dotdot(path))
		return 403;
	return open_resolved(root, path, sizeof(path), f);
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

	if (dot != NULL && (slash == NULL || dot > slash))
		for (i = 0; i < sizeof(mimes) / sizeof(mimes[0]); i++)
			if (strcasecmp(dot + 1, mimes[i].ext) == 0)
				return mimes[i].type;
	return "application/octet-stream";
}
