/*
 * files.c: the static file server: method, path, file, validators and
 * range, in the order RFC 9110 asks, and the head to send before the
 * file's bytes.
 */
#include <assert.h>
#include <ctype.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cond.h"
#include "files.h"

/* A kept small file (common/filecache.c) goes out behind its head, in the buffer. */
#define FILE_HEADERS_MAX 320    /* a file's validators and Content-Range: 244 at most */
_Static_assert(512 + FILE_HEADERS_MAX + FILECACHE_FILE_MAX <= RESPONSE_HEAD_MAX,
               "RESPONSE_HEAD_MAX must hold a 200 head and a kept file");

#define ALLOW_HEADER    "Allow: GET, HEAD\r\n"

/* Methods RFC 9110 defines: known but refused with 405, the rest get 501. */
static const char *const known_methods[] = {
	"POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
};

static int
method_known(const char *m)
{
	size_t i;

	for (i = 0; i < sizeof(known_methods) / sizeof(known_methods[0]); i++)
		if (strcmp(m, known_methods[i]) == 0)
			return 1;
	return 0;
}

/* A method nobody here knows: get, which was meant as GET, or one of its own. */
static enum http_fault
unknown_method(const char *m)
{
	char upper[METHOD_MAX + 1];
	size_t i;

	for (i = 0; m[i] != '\0' && i < METHOD_MAX; i++)
		upper[i] = (char)toupper((unsigned char)m[i]);
	upper[i] = '\0';
	return strcmp(upper, "GET") == 0 || strcmp(upper, "HEAD") == 0 || method_known(upper) ?
	       HTTP_FAULT_METHOD_CASE : HTTP_FAULT_METHOD_UNKNOWN;
}

/* "OPTIONS *" asks about the server as a whole (RFC 9110 9.3.7). */
static void
answer_options(struct http_response *res)
{
	res->status = HTTP_OK;
	res->fd = -1;
	res->file_off = 0;
	res->mem = NULL;
	res->body_len = 0;
	response_head(res, "text/plain; charset=utf-8", ALLOW_HEADER);
}

static char *
put(char *p, const char *end, const char *s)
{
	return response_put(p, end, s, strlen(s));
}

/*
 * Last-Modified and ETag (made once per version of the file where the
 * file cache keeps it), Cache-Control, Accept-Ranges, and Content-Range
 * for a 206 or 416. "no-cache" means: keep a copy, but ask before each
 * use. A lab's files change under the editor, and Last-Modified alone lets
 * a browser reuse its copy unasked for a while (heuristic freshness, RFC
 * 9111 4.2.2); asking costs a 304.
 */
static void
file_headers(char *buf, size_t size, const struct cond_validators *v,
             enum http_status status, const struct cond_span *span, off_t file_size)
{
	char *p = buf, *end = buf + size - 1;

	p = response_put(p, end, v->fields, v->fields_len);
	p = put(p, end, "Cache-Control: no-cache\r\n");
	if (status != HTTP_NOT_MODIFIED)
		p = put(p, end, "Accept-Ranges: bytes\r\n");
	if (status == HTTP_PARTIAL_CONTENT) {
		p = response_put_number(put(p, end, "Content-Range: bytes "), end, span->first);
		p = response_put_number(put(p, end, "-"), end, span->first + span->len - 1);
		p = response_put_number(put(p, end, "/"), end, file_size);
		p = put(p, end, "\r\n");
	} else if (status == HTTP_RANGE_NOT_SATISFIABLE) {
		p = response_put_number(put(p, end, "Content-Range: bytes */"), end, file_size);
		p = put(p, end, "\r\n");
	}
	assert(p != NULL);   /* FILE_HEADERS_MAX holds the longest */
	*p = '\0';
}

/*
 * A regular file: its validators, then the preconditions and the range in
 * the order of RFC 9110 13.2.2, then the head. Takes ownership of f->fd:
 * it is left in res->fd only if the body is to be sent.
 */
static void
respond_file(const struct cond_request *c, const struct docroot_file *f,
             enum response_body body, struct http_response *res)
{
	char extra[FILE_HEADERS_MAX];
	struct cond_validators own;
	const struct cond_validators *v = f->validators;
	struct cond_span span = { 0, f->st.st_size };
	enum http_status status;

	if (v == NULL) {
		cond_validators(&f->st, time(NULL), &own);
		v = &own;
	}
	status = cond_check(c, v);
	if (status == HTTP_OK)
		status = cond_range(c, v, f->st.st_size, &span);
	file_headers(extra, sizeof(extra), v, status, &span, f->st.st_size);
	if (status == HTTP_PRECONDITION_FAILED || status == HTTP_RANGE_NOT_SATISFIABLE) {
		response_page(res, status, HTTP_FAULT_NONE,
		              status == HTTP_RANGE_NOT_SATISFIABLE ? extra : "", body);
	} else {
		res->status = status;
		res->file_off = span.first;
		res->mem = NULL;
		res->body_len = status == HTTP_NOT_MODIFIED ? 0 : span.len;
		res->fd = body == RESPONSE_BODY && status != HTTP_NOT_MODIFIED ? f->fd : -1;
		response_head(res, f->type, extra);
		if (f->data != NULL && res->fd == -1 && body == RESPONSE_BODY && res->body_len > 0) {
			/* A kept small file (or its range) goes out in the same send as its head. */
			memcpy(res->head + res->head_len, f->data + span.first, (size_t)span.len);
			res->head_len += (size_t)span.len;
		}
	}
	if (f->fd != -1 && res->fd != f->fd)
		close(f->fd);
}

/* An error for the path itself: a directory without its slash gets the way there. */
static void
refuse_path(const struct http_request *req, enum http_status status,
            enum response_body body, struct http_response *res)
{
	char extra[RESPONSE_EXTRA_MAX], *p = extra, *end = extra + sizeof(extra) - 1;
	size_t q = strcspn(req->target, "?");

	*p = '\0';
	if (status == HTTP_MOVED_PERMANENTLY) {
		p = response_put(put(p, end, "Location: "), end, req->target, q);
		p = put(put(put(p, end, "/"), end, req->target + q), end, "\r\n");
		assert(p != NULL);   /* RESPONSE_EXTRA_MAX fits any target */
		*p = '\0';
	}
	response_page(res, status, HTTP_FAULT_NONE, extra, body);
}

void
files_respond(const struct files *fs, const struct http_request *req,
              struct http_response *res)
{
	enum response_body body = strcmp(req->method, "HEAD") == 0 ? RESPONSE_HEAD_ONLY : RESPONSE_BODY;
	int readable = body == RESPONSE_HEAD_ONLY || strcmp(req->method, "GET") == 0;
	struct cond_request c;
	struct docroot_file f;
	enum http_status status;

	res->keep_alive = fs->conn == HTTP_CONN_KEEP && req->keep_alive;
	res->request = req;
	if (req->chunked && fs->body == FILES_BODY_SKIPPED) {
		/* The stage cannot find the end of a chunked body to skip it. */
		response_error(res, req, HTTP_NOT_IMPLEMENTED, HTTP_FAULT_CHUNKED_UNREAD);
		return;
	}
	if (strcmp(req->target, "*") == 0) {
		answer_options(res);
		return;
	}
	if (!readable && !method_known(req->method)) {
		response_page(res, HTTP_NOT_IMPLEMENTED, unknown_method(req->method), "", body);
		return;
	}
	if (!readable && req->target[0] != '/') {
		/* CONNECT host:port names no file: we are not a proxy. */
		response_page(res, HTTP_METHOD_NOT_ALLOWED, HTTP_FAULT_NONE, ALLOW_HEADER, body);
		return;
	}
	if ((status = fs->open(fs->root, req->target, &f)) != HTTP_OK) {
		refuse_path(req, status, body, res);
		return;
	}
	if (!readable) {
		/* The file is there, but only to be read: say how (RFC 9110 15.5.6). */
		if (f.fd != -1)
			close(f.fd);
		response_page(res, HTTP_METHOD_NOT_ALLOWED, HTTP_FAULT_NONE, ALLOW_HEADER, body);
		return;
	}
	if ((status = cond_parse(req, &c)) != HTTP_OK) {
		if (f.fd != -1)
			close(f.fd);
		response_error(res, req, status, HTTP_FAULT_NONE);
		return;
	}
	respond_file(&c, &f, body, res);
}
