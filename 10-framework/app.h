/*
 * app.h: the contract between the web server and an application, the C
 * counterpart of Python's WSGI (PEP 3333; notes 四).
 *
 * WSGI is one function call. The server parses a request into a dict,
 * environ, and calls application(environ, start_response); the application
 * calls start_response("200 OK", [headers]) once and returns the body.
 * Neither side sees the other's insides: the server knows no routes and no
 * database, the application knows no sockets, so either can be swapped
 * (server.c runs favourites.c or hello.c, chosen with make APP=).
 *
 * Kept from WSGI: environ with the request's method, path, query, headers
 * and body; start_response with a status and a header list; the body
 * returned through write(), the way WSGI's start_response returns a write
 * callable. Dropped: the iterable body (ours is buffered, so the server
 * always knows Content-Length), exc_info, wsgi.errors, and a streaming
 * wsgi.input (the server reads the whole body, up to BODY_MAX, before the
 * call). Added: APP_DECLINED, "not one of mine", after which the server
 * serves the path as a static file, as the notes' application does with
 * every name that does not end in .py.
 *
 * The two sides share this file and nothing else of each other's. The
 * application's files (framework.c, form.c, html.c, favourites.c, hello.c,
 * store_*.c) include app.h, their own headers and libc; of common/, only
 * lab.h (the pitfall switches, which reach into every part of the suite)
 * and hexdig.h (one hex digit's value, a header of its own). The server
 * (server.c) includes app.h and common/. tests/10-framework.bats checks it.
 */
#ifndef APP_H
#define APP_H

#include <stddef.h>

struct app_header {
	const char *name;
	const char *value;
};

/* environ: everything the application may know about the request. */
struct app_environ {
	const char *method;                /* REQUEST_METHOD: "GET", "POST", ... */
	const char *path;                  /* PATH_INFO, percent-decoded: "/show/12.py" */
	const char *query;                 /* QUERY_STRING as sent, "" when none */
	const char *protocol;              /* SERVER_PROTOCOL: "HTTP/1.1" */
	const char *remote_addr;           /* the client, "127.0.0.1:5555" */
	const struct app_header *headers;  /* as sent, in order */
	size_t header_count;
	const unsigned char *body;         /* wsgi.input: decoded, NUL after it */
	size_t body_len;
};

/*
 * What the server lends the application for one request: start_response,
 * called once with the status and the headers (Content-Length, Date and
 * Connection are the server's business), then write, any number of times.
 * fail, at any point, says that the application could not build its answer
 * (out of memory, say): the client gets 500, as a WSGI server answers an
 * application that raised an exception, and the server goes on.
 */
struct app_server {
	void (*start_response)(struct app_server *self, int status,
	                       const struct app_header *headers, size_t count);
	void (*write)(struct app_server *self, const void *data, size_t len);
	void (*fail)(struct app_server *self);
};

enum app_result {
	APP_ANSWERED,      /* start_response was called; the body was written */
	APP_DECLINED,      /* not the application's: the server serves a file */
};

/*
 * The application. app_init runs once at startup, before any request, with
 * the directory where the application keeps its data (-s), and dies on
 * error; app_call runs for every request, in any thread, at the same time.
 */
void app_init(const char *state_dir);
enum app_result app_call(const struct app_environ *env, struct app_server *server);
void app_close(void);

#endif
