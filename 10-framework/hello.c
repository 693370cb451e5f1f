/*
 * hello.c: the second application, as small as the notes' register.py,
 * logging.py and exiting.py: "hello world" and the time, a login and a
 * logout, and the redirects of the notes' status codes (302: 360buy.com
 * to jd.com). Built with make APP=hello, it runs on the very same
 * server.c, which is how we know that the server knows nothing about
 * favourites: only this file and favourites.c differ.
 *
 * A login is a session: POST /logging.py makes an id of 128 random bits,
 * keeps the name under it here, and sends the id as a cookie, which the
 * browser brings back with every request after. The id is all a cookie
 * holds: the name never leaves the server, and nobody can guess an id.
 * The cookie is HttpOnly (a script in a page cannot read it, so a script
 * slipped into a page cannot steal it) and SameSite=Lax (a form on
 * another site that posts here arrives without it). POST /exiting.py
 * forgets the id on the server, so a copy of the cookie kept elsewhere
 * logs nobody in any more. There is no password: checking one well is a
 * lesson of its own.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "form.h"
#include "framework.h"
#include "lab.h"

#define SESSIONS     64          /* logins kept at once; a new one replaces the oldest */
#define SESSION_ID   32          /* hex digits of an id: 128 random bits */
#define NAME_MAX_LEN 64          /* bytes of a name */
#define COOKIE       "sid"

const char site_nav[] = "<nav><a href=\"/register.py\">hello</a>"
                        "<a href=\"/logging.py\">登录</a>"
                        "<a href=\"/360buy.py\">360buy</a></nav>\n";

struct session {
	char id[SESSION_ID + 1];     /* "" when the slot is free */
	char name[NAME_MAX_LEN + 1];
	unsigned long long born;     /* for finding the oldest */
};

/* Every thread of the server answers requests: one lock for the table. */
static struct session sessions[SESSIONS];
static unsigned long long logins;
static pthread_mutex_t sessions_lock = PTHREAD_MUTEX_INITIALIZER;

/* The notes' now_time = time.ctime(), which runs once, at import. */
static char started[64];

static void
format_now(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		buf[0] = '\0';
}

void
site_open(const char *state_dir)
{
	(void)state_dir;   /* nothing to keep on disk: a restart logs everyone out */
	format_now(started, sizeof(started));
}

void
site_close(void)
{
}

ROUTE("GET", "/register.py", hello)
{
	char now[64];

	format_now(now, sizeof(now));
	if (BUG_CTIME_ONCE)
		memcpy(now, started, sizeof(now));   /* the time of the start, for ever */
	fw_start(req, 200, FW_TEXT);
	fw_printf(req, "hello world!  %s\n", now);
}

/* The session id the request's Cookie header names, if it is well formed. */
static int
cookie_id(const struct request *req, char id[SESSION_ID + 1])
{
	const char *c = fw_header(req, "Cookie");
	size_t n;

	/* "a=1; sid=...; b=2": pairs separated by "; " (RFC 6265 4.2.1). */
	while (c != NULL && *c != '\0') {
		c += strspn(c, " ");
		n = strcspn(c, ";");
		if (n == sizeof(COOKIE) + SESSION_ID && strncmp(c, COOKIE "=", sizeof(COOKIE)) == 0 &&
		    strspn(c + sizeof(COOKIE), "0123456789abcdef") == SESSION_ID) {
			memcpy(id, c + sizeof(COOKIE), SESSION_ID);
			id[SESSION_ID] = '\0';
			return 1;
		}
		c += n + (c[n] == ';');
	}
	return 0;
}

/* Who is logged in on this request: the name copied into name, or 0. */
static int
session_name(const struct request *req, char name[NAME_MAX_LEN + 1])
{
	char id[SESSION_ID + 1];
	int found = 0;
	size_t i;

	if (!cookie_id(req, id))
		return 0;
	pthread_mutex_lock(&sessions_lock);
	for (i = 0; i < SESSIONS && !found; i++)
		if (strcmp(sessions[i].id, id) == 0) {
			memcpy(name, sessions[i].name, sizeof(sessions[i].name));
			found = 1;
		}
	pthread_mutex_unlock(&sessions_lock);
	return found;
}

/* A new session for name, in a free slot or the oldest; its id in id. */
static int
session_start(const char *name, char id[SESSION_ID + 1])
{
	unsigned char bits[SESSION_ID / 2];
	size_t i, slot = 0;

	/* The kernel's random bits: an id made of a counter or the time could be guessed. */
	if (getrandom(bits, sizeof(bits), 0) != (ssize_t)sizeof(bits))
		return 0;
	for (i = 0; i < sizeof(bits); i++)
		snprintf(id + 2 * i, 3, "%02x", bits[i]);
	pthread_mutex_lock(&sessions_lock);
	for (i = 1; i < SESSIONS; i++)
		if (sessions[i].born < sessions[slot].born)
			slot = i;   /* a free slot was born at 0 */
	memcpy(sessions[slot].id, id, SESSION_ID + 1);
	snprintf(sessions[slot].name, sizeof(sessions[slot].name), "%s", name);
	sessions[slot].born = ++logins;
	pthread_mutex_unlock(&sessions_lock);
	return 1;
}

/* Forget the request's session: its cookie is worth nothing after this. */
static void
session_end(const struct request *req)
{
	char id[SESSION_ID + 1];
	size_t i;

	if (!cookie_id(req, id))
		return;
	pthread_mutex_lock(&sessions_lock);
	for (i = 0; i < SESSIONS; i++)
		if (strcmp(sessions[i].id, id) == 0)
			memset(&sessions[i], 0, sizeof(sessions[i]));
	pthread_mutex_unlock(&sessions_lock);
}

/* 303 to location, setting the cookie: after a POST, the browser GETs location. */
static void
redirect_with_cookie(struct request *req, const char *location, const char *cookie)
{
	struct app_header h[3] = {
		{ "Content-Type", FW_HTML }, { "Location", location }, { "Set-Cookie", cookie },
	};

	req->server->start_response(req->server, 303, h, 3);
	fw_write(req, "<!DOCTYPE html>\n<p>See <a href=\"/logging.py\">the next page</a>.</p>\n");
}

ROUTE("GET", "/logging.py", login_page)
{
	char name[NAME_MAX_LEN + 1];

	fw_page_begin(req, 200, "登录");
	if (session_name(req, name)) {
		fw_write(req, "<p>你好，");
		fw_escape(req, name, strlen(name));
		fw_write(req, "。</p>\n<form method=\"post\" action=\"/exiting.py\">"
		         "<button>注销 (log out)</button></form>\n");
	} else {
		fw_write(req, "<p>Not logged in.</p>\n<form method=\"post\" action=\"/logging.py\">"
		         "<input name=\"name\" maxlength=\"64\"> <button>登录 (log in)</button></form>\n");
	}
	fw_page_end(req);
}

/* Is s[0..len) a name we keep: 1 to 64 bytes of UTF-8, no control bytes? */
static int
name_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return len > 0 && form_utf8_valid((const unsigned char *)s, len);
}

ROUTE("POST", "/logging.py", login)
{
	char name[NAME_MAX_LEN + 1], id[SESSION_ID + 1], cookie[128];
	size_t len;

	if (form_field(req->env->body, req->env->body_len, "name", name, sizeof(name), &len) != FORM_OK ||
	    !name_ok(name, len)) {
		fw_error(req, 400, "A name is 1 to 64 bytes of UTF-8 text.");
		return;
	}
	if (!session_start(name, id)) {
		fw_error(req, 503, "No random bits for a session id; try again.");
		return;
	}
	snprintf(cookie, sizeof(cookie), COOKIE "=%s; Path=/; HttpOnly; SameSite=Lax", id);
	redirect_with_cookie(req, "/logging.py", cookie);
}

ROUTE("GET", "/exiting.py", logout_page)
{
	fw_page_begin(req, 200, "注销");
	fw_write(req, "<form method=\"post\" action=\"/exiting.py\"><button>注销 (log out)</button></form>\n");
	fw_page_end(req);
}

ROUTE("POST", "/exiting.py", logout)
{
	session_end(req);
	/* Max-Age=0: the browser drops its copy too. */
	redirect_with_cookie(req, "/logging.py", COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
}

/* The notes' 302: 360buy.com now answers "Found, over there" with jd.com. */
ROUTE("GET", "/360buy.py", moved_to_jd)
{
	struct app_header h[2] = { { "Content-Type", FW_HTML }, { "Location", "/jd.py" } };

	req->server->start_response(req->server, 302, h, 2);
	fw_write(req, "<!DOCTYPE html>\n<p>Found at <a href=\"/jd.py\">/jd.py</a>.</p>\n");
}

ROUTE("GET", "/jd.py", jd)
{
	fw_page_begin(req, 200, "京东 (jd.com)");
	fw_write(req, "<p>360buy.com 现在是 jd.com：浏览器跟着 302 的 Location 来到了这里。</p>\n");
	fw_page_end(req);
}

/*
 * A POST answered with each redirect status, to /method.py, which says
 * how the client came back: 307 and 308 promise that the method and the
 * body stay; after 301 and 302 clients turn a POST into a GET, as
 * browsers always have; 303 always means "now GET this".
 */
ROUTE_RE("POST", "/redirect/(30[12378])\\.py", redirect_post)
{
	struct app_header h[2] = { { "Content-Type", FW_TEXT }, { "Location", "/method.py" } };
	int status = (req->group[1][2] - '0') + 300;

	req->server->start_response(req->server, status, h, 2);
	fw_printf(req, "%d: go to /method.py\n", status);
}

static void
say_method(struct request *req)
{
	fw_start(req, 200, FW_TEXT);
	fw_printf(req, "%s\n", req->env->method);
}

ROUTE("GET", "/method.py", method_get)
{
	say_method(req);
}

ROUTE("POST", "/method.py", method_post)
{
	say_method(req);
}
