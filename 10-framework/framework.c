/*
 * framework.c: the application side of app.h, as the notes' framework
 * does it: find the route for the path, call its handler.
 *
 * app_call walks the route table the linker built (see framework.h). A
 * path that matches no route is declined, and the server looks for a file;
 * a path that matches only routes of other methods is a 405 with Allow, so
 * a GET of /show/12.py is told to POST instead of being shown a 404.
 * Everything a handler writes goes through fw_*, and user text goes through
 * fw_escape.
 */
#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "framework.h"
#include "html.h"
#include "lab.h"

/* The ends of the table; the linker defines them for a section so named. */
extern struct route *const __start_netlab_routes[];
extern struct route *const __stop_netlab_routes[];

/* BUG_DOT_UNESCAPED: the pattern as the notes write it, "\\." as a bare ".". */
static const char *
bare_dots(const char *pattern, char *buf, size_t size)
{
	size_t o = 0;

	for (; *pattern != '\0' && o + 1 < size; pattern++)
		if (pattern[0] != '\\' || pattern[1] != '.')
			buf[o++] = *pattern;
	buf[o] = '\0';
	return buf;
}

/*
 * How much of a pattern's start is plain text: "/show/" of
 * "/show/([0-9]+)\\.py". A path that does not begin with it cannot
 * match, and strncmp says so for a fraction of what regexec costs, which
 * every static file would otherwise pay for every regex route.
 */
static size_t
literal_prefix(const char *pattern)
{
	return strcspn(pattern, ".[]()*+?{}|^$\\");
}

void
app_init(const char *state_dir)
{
	struct route *const *r;
	char msg[128], bare[256];
	const char *pattern;
	int rc;

	for (r = __start_netlab_routes; r < __stop_netlab_routes; r++) {
		if (!(*r)->is_regex)
			continue;
		pattern = (*r)->pattern;
		(*r)->literal = literal_prefix(pattern);
		if (BUG_DOT_UNESCAPED)
			pattern = bare_dots(pattern, bare, sizeof(bare));
		if ((rc = regcomp(&(*r)->re, pattern, REG_EXTENDED)) != 0) {
			regerror(rc, &(*r)->re, msg, sizeof(msg));
			errx(1, "route %s: %s", (*r)->pattern, msg);
		}
		if ((*r)->re.re_nsub > ROUTE_GROUPS)
			errx(1, "route %s: more than %d groups", (*r)->pattern, ROUTE_GROUPS);
	}
	site_open(state_dir);
}

/*
 * The compiled regexes are not freed: a thread still answering a request
 * when the server stops may be matching one, and the process ends anyway.
 */
void
app_close(void)
{
	site_close();
}

/* Does the whole path match? Fill req->group with the captures if so. */
static int
route_match(struct route *r, const char *path, struct request *req)
{
	regmatch_t m[ROUTE_GROUPS + 1];
	size_t i, len = strlen(path);

	if (!r->is_regex) {
		if (strcmp(r->pattern, path) != 0 || len >= ROUTE_GROUP_MAX)
			return 0;
		memcpy(req->group[0], path, len + 1);
		return 1;
	}
	if (strncmp(path, r->pattern, r->literal) != 0 ||
	    regexec(&r->re, path, ROUTE_GROUPS + 1, m, 0) != 0 ||
	    m[0].rm_so != 0 || (size_t)m[0].rm_eo != len)
		return 0;   /* no match, or a match of only part of the path */
	for (i = 0; i <= r->re.re_nsub; i++) {
		size_t n = m[i].rm_so < 0 ? 0 : (size_t)(m[i].rm_eo - m[i].rm_so);

		/* A capture too long to hold is no match: never a cut-off id. */
		if (n >= ROUTE_GROUP_MAX)
			return 0;
		memcpy(req->group[i], path + (m[i].rm_so < 0 ? 0 : m[i].rm_so), n);
		req->group[i][n] = '\0';
	}
	return 1;
}

static void
allow_add(char *allow, size_t size, const char *method)
{
	size_t len = strlen(allow);

	if (strstr(allow, method) != NULL)
		return;
	snprintf(allow + len, size - len, "%s%s%s", len ? ", " : "", method,
	         strcmp(method, "GET") == 0 ? ", HEAD" : "");
}

static void page_head(struct request *req, const char *title);

static void
method_not_allowed(struct request *req, const char *allow)
{
	struct app_header h[2] = {
		{ "Content-Type", FW_HTML }, { "Allow", allow },
	};

	req->server->start_response(req->server, 405, h, 2);
	page_head(req, "405 不允许这个方法");
	fw_write(req, "<p>这个地址只接受 ");
	fw_escape(req, allow, strlen(allow));
	fw_write(req, "。修改数据要用表单提交（POST），不能靠点链接（GET）。</p>\n");
	fw_page_end(req);
}

enum app_result
app_call(const struct app_environ *env, struct app_server *server)
{
	struct request req;
	struct route *const *r;
	const char *method = strcmp(env->method, "HEAD") == 0 ? "GET" : env->method;
	char allow[64] = "";

	memset(&req, 0, sizeof(req));
	req.env = env;
	req.server = server;
	for (r = __start_netlab_routes; r < __stop_netlab_routes; r++) {
		if (!route_match(*r, env->path, &req))
			continue;
		if (strcmp((*r)->method, method) == 0 ||
		    (BUG_GET_CHANGES_DATA && strcmp(method, "GET") == 0)) {   /* a link changes data */
			(*r)->handler(&req);
			return APP_ANSWERED;
		}
		allow_add(allow, sizeof(allow), (*r)->method);
	}
	if (allow[0] == '\0')
		return APP_DECLINED;
	method_not_allowed(&req, allow);
	return APP_ANSWERED;
}

void
fw_start(struct request *req, int status, const char *content_type)
{
	struct app_header h = { "Content-Type", content_type };

	req->server->start_response(req->server, status, &h, 1);
}

void
fw_write_n(struct request *req, const void *p, size_t n)
{
	req->server->write(req->server, p, n);
}

void
fw_write(struct request *req, const char *s)
{
	fw_write_n(req, s, strlen(s));
}

void
fw_int(struct request *req, long long n)
{
	char digits[24], *d = digits + sizeof(digits);
	unsigned long long u = n < 0 ? 0 - (unsigned long long)n : (unsigned long long)n;

	do
		*--d = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (n < 0)
		*--d = '-';
	fw_write_n(req, d, (size_t)(digits + sizeof(digits) - d));
}

/*
 * Most lines fit the buffer on the stack; a longer one is formatted again
 * into memory of its exact size. Failing that, the request fails (a 500),
 * never the server: one page must not stop every other.
 */
void
fw_printf(struct request *req, const char *fmt, ...)
{
	char buf[1024], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(buf)) {
		fw_write_n(req, buf, (size_t)n);
		return;
	}
	if (n < 0 || (big = malloc((size_t)n + 1)) == NULL) {
		req->server->fail(req->server);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	fw_write_n(req, big, (size_t)n);
	free(big);
}

void
fw_escape(struct request *req, const char *s, size_t n)
{
	char buf[256];

	/* Piece by piece: a byte never escapes to more than 6. */
	while (n > 0) {
		size_t k = n < 40 ? n : 40, out;

		out = html_escape(s, k, buf, sizeof(buf));
		if (out != (size_t)-1)
			fw_write_n(req, buf, out);
		s += k;
		n -= k;
	}
}

void
fw_redirect(struct request *req, const char *location)
{
	struct app_header h[2] = {
		{ "Content-Type", FW_HTML }, { "Location", location },
	};

	req->server->start_response(req->server, 303, h, 2);
	fw_write(req, "<!DOCTYPE html>\n<p>请看<a href=\"");
	fw_escape(req, location, strlen(location));
	fw_write(req, "\">下一页</a>。</p>\n");
}

/* The page up to its <h1>: every page of a site looks the same. */
static void
page_head(struct request *req, const char *title)
{
	fw_write(req, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n<title>");
	fw_escape(req, title, strlen(title));
	fw_write(req, "</title>\n<style>\n"
	         "body { font-family: sans-serif; margin: 2em; }\n"
	         "nav a { background: orange; padding: .3em .8em; margin-right: .5em; }\n"
	         "table { border-collapse: collapse; margin-top: 1em; }\n"
	         "th, td { border: 1px solid #888; padding: .3em .6em; vertical-align: top; }\n"
	         ".remark { white-space: pre-wrap; }\n"
	         "form { margin: 0; }\n"
	         "</style></head>\n<body>\n");
	fw_write(req, site_nav);
	fw_write(req, "<h1>");
	fw_escape(req, title, strlen(title));
	fw_write(req, "</h1>\n");
}

void
fw_page_begin(struct request *req, int status, const char *title)
{
	fw_start(req, status, FW_HTML);
	page_head(req, title);
}

void
fw_page_end(struct request *req)
{
	fw_write(req, "</body></html>\n");
}

/*
 * What the error statuses a handler may send mean, in the pages' language.
 * The status line keeps HTTP's English reason phrase ("404 Not Found"):
 * the server writes it from the number.
 */
static const char *
status_words(int status)
{
	switch (status) {
	case 400: return "请求有误";
	case 404: return "找不到";
	case 405: return "不允许这个方法";
	case 413: return "请求体太大";
	case 415: return "不支持的内容类型";
	case 500: return "服务器出错";
	case 503: return "服务暂时不可用";
	default: return "";
	}
}

void
fw_error(struct request *req, int status, const char *message)
{
	char title[64];

	snprintf(title, sizeof(title), "%d %s", status, status_words(status));
	fw_page_begin(req, status, title);
	fw_write(req, "<p>");
	fw_escape(req, message, strlen(message));
	fw_write(req, "</p>\n");
	fw_page_end(req);
}

const char *
fw_header(const struct request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->env->header_count; i++)
		if (strcasecmp(req->env->headers[i].name, name) == 0)
			return req->env->headers[i].value;
	return NULL;
}
