/*
 * framework.h: the mini web framework of notes 四, in C.
 *
 * The notes' framework is a dict from URL to function, filled by a
 * decorator where each function is defined: @route("/show.py"). C has no
 * decorators, but it has the linker. ROUTE() defines the handler and, next
 * to it, a pointer to its route placed in a section named netlab_routes;
 * the linker gathers every such pointer from every object file into one
 * array and marks its ends with __start_netlab_routes and
 * __stop_netlab_routes. The table is filled where the handlers are written,
 * and nothing lists them a second time (the notes' point (9): no chain of
 * ifs in application).
 *
 *	ROUTE("GET", "/show.py", show_page)
 *	{
 *		fw_start(req, 200, FW_HTML);
 *		...
 *	}
 *
 * ROUTE matches a path exactly; ROUTE_RE matches a POSIX extended regular
 * expression against the whole path and hands its groups to the handler in
 * req->group[1..]. A literal route has no dots to escape; in a regex route
 * an unescaped "." matches any byte, so "/show/[0-9]+.py" would take
 * "/show/12xpy" too (the notes' point (6)).
 */
#ifndef FRAMEWORK_H
#define FRAMEWORK_H

#include <regex.h>
#include <stddef.h>

#include "app.h"

#define ROUTE_GROUPS     4     /* capture groups a regex route may have */
#define ROUTE_GROUP_MAX  64    /* bytes of one captured group, NUL included */

#define FW_HTML  "text/html; charset=utf-8"
#define FW_TEXT  "text/plain; charset=utf-8"

/* One request as a handler sees it. */
struct request {
	const struct app_environ *env;
	struct app_server *server;
	char group[ROUTE_GROUPS + 1][ROUTE_GROUP_MAX];  /* [0] the whole path */
};

struct route {
	const char *method;        /* "GET" (HEAD too) or "POST" */
	const char *pattern;
	int is_regex;
	void (*handler)(struct request *req);
	regex_t re;                /* compiled by app_init */
	size_t literal;            /* bytes at the pattern's start that match only themselves */
};

#define ROUTE_DEFINE(m, pat, rx, fn)                                         \
	static void fn(struct request *req);                                 \
	static struct route route_##fn = {                                   \
		.method = (m), .pattern = (pat), .is_regex = (rx), .handler = fn \
	};                                                                   \
	static struct route *const route_ptr_##fn                            \
	    __attribute__((section("netlab_routes"), used)) = &route_##fn;   \
	static void fn(struct request *req)

#define ROUTE(method, path, fn)      ROUTE_DEFINE(method, path, 0, fn)
#define ROUTE_RE(method, regex, fn)  ROUTE_DEFINE(method, regex, 1, fn)

/* Defined by the site (favourites.c, hello.c): its start and its end. */
void site_open(const char *state_dir);
void site_close(void);
/* The site's navigation links, HTML, for pages the framework makes. */
extern const char site_nav[];

/* The response: start once, then write. */
void fw_start(struct request *req, int status, const char *content_type);
void fw_write(struct request *req, const char *s);
void fw_write_n(struct request *req, const void *p, size_t n);
/* n in decimal: a page's numbers, without a format string parsed each time. */
void fw_int(struct request *req, long long n);
void fw_printf(struct request *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Write s[0..n) HTML-escaped: the only way user data reaches a page. */
void fw_escape(struct request *req, const char *s, size_t n);

/* 303 See Other to location: after a POST, the browser GETs location. */
void fw_redirect(struct request *req, const char *location);
/* An HTML page for an error status, with message (plain text, escaped). */
void fw_error(struct request *req, int status, const char *message);

/* The value of request header name (any case), or NULL. */
const char *fw_header(const struct request *req, const char *name);

/* Standard page frame: <html>...<body> with title and site_nav, and its end. */
void fw_page_begin(struct request *req, int status, const char *title);
void fw_page_end(struct request *req);

#endif
