/*
 * lab.h: break it yourself. Each switch below undoes one fix, so that the
 * program behaves as the lecture notes' code does and you can watch the
 * bug happen, then watch the test that catches it fail.
 *
 * The notes' examples cut corners that every beginner copies: one recv
 * taken as the whole request, a send whose result nobody reads, a 404 page
 * sent as 200 OK, a path joined to the docroot unchecked, a polling loop
 * that never sleeps, zombies nobody reaps, a close that resets, a page
 * without its charset, data changed by a GET link, values pasted into
 * HTML and SQL, a time taken once at startup. Our code fixes each of them
 * in one place, and at that place it reads a switch from this file:
 *
 *	if (!BUG_NO_REAP)
 *		install_reaper();
 *
 * Every switch is 0 here, and the compiler drops the branch that is not
 * taken; but both branches are always compiled, so the warnings and the
 * static analyzer check the broken code as well as the fixed one.
 *
 *	make lab                 lists the switches: stage, the notes' point, the test
 *	make lab BUG=no-reap     builds that stage with the fix undone, into build/lab/no-reap/
 *	make bugs                builds each in turn and checks that its test catches it
 *
 * make lab passes -DBUG_NO_REAP=1 (the name in capitals, '-' as '_'); the
 * normal binaries are never built with a switch on. tests/bugs.txt says,
 * for each, which stage shows it and which test must fail.
 */
#ifndef LAB_H
#define LAB_H

/* 01-static, serve.c: one recv is taken as the request, whole or not (notes 2.1). */
#ifndef BUG_ONE_RECV
#define BUG_ONE_RECV 0
#endif

/* 04-nonblock (and 05), conn_write: send's result is ignored; what it did not take is lost. */
#ifndef BUG_UNCHECKED_SEND
#define BUG_UNCHECKED_SEND 0
#endif

/* 01-static, http.c: the "not found" page goes out with 200 OK. */
#ifndef BUG_404_AS_200
#define BUG_404_AS_200 0
#endif

/* 01-static, docroot.c: the path is joined to the docroot unchecked ("../"). */
#ifndef BUG_NO_CONTAINMENT
#define BUG_NO_CONTAINMENT 0
#endif

/* 01-static, net.c: no SO_REUSEADDR: a restart fails while TIME_WAIT lasts. */
#ifndef BUG_NO_REUSEADDR
#define BUG_NO_REUSEADDR 0
#endif

/* 01-static, serve.c: no receive timeout: a silent client holds us for ever. */
#ifndef BUG_NO_TIMEOUT
#define BUG_NO_TIMEOUT 0
#endif

/* 01-static, serve.c (and 04-06's conn_done): close at once; unread input makes it a reset. */
#ifndef BUG_NO_LINGER
#define BUG_NO_LINGER 0
#endif

/* 01-static, docroot.c: text/html without its charset: the browser guesses, and Chinese turns to mojibake. */
#ifndef BUG_NO_CHARSET
#define BUG_NO_CHARSET 0
#endif

/* 02-fork: the parent keeps its copy of every client socket. */
#ifndef BUG_PARENT_KEEPS_SOCKET
#define BUG_PARENT_KEEPS_SOCKET 0
#endif

/* 02-fork: dead children are never reaped: zombies. */
#ifndef BUG_NO_REAP
#define BUG_NO_REAP 0
#endif

/* 02-fork: the SIGCHLD handler reaps one child, though one signal may stand for many. */
#ifndef BUG_REAP_ONCE
#define BUG_REAP_ONCE 0
#endif

/* 03-threads (and 10-framework, which keeps 03's hand-off): main closes the thread's socket. */
#ifndef BUG_MAIN_CLOSES_SOCKET
#define BUG_MAIN_CLOSES_SOCKET 0
#endif

/* 03-threads (and 10-framework): the thread reads its descriptor from a variable the next accept overwrites. */
#ifndef BUG_FD_POINTER
#define BUG_FD_POINTER 0
#endif

/* 04-nonblock (and 05): a pass that found nothing to do starts the next at once. */
#ifndef BUG_BUSY_LOOP
#define BUG_BUSY_LOOP 0
#endif

/* 05-keepalive, http.c: no Content-Length: the client cannot tell where a body ends. */
#ifndef BUG_NO_CONTENT_LENGTH
#define BUG_NO_CONTENT_LENGTH 0
#endif

/* 05-keepalive (and 06): the bytes after a request in the same read are thrown away. */
#ifndef BUG_DROP_PIPELINED
#define BUG_DROP_PIPELINED 0
#endif

/* 05-keepalive (and 06): a request body is not skipped, so it is parsed as a request. */
#ifndef BUG_NO_DROP_INPUT
#define BUG_NO_DROP_INPUT 0
#endif

/* 05-keepalive (and 06): Nagle's algorithm left on: the body waits for the head's ACK. */
#ifndef BUG_NO_NODELAY
#define BUG_NO_NODELAY 0
#endif

/* 06-epoll: every socket stays registered for EPOLLOUT, which is nearly always ready. */
#ifndef BUG_EPOLLOUT_ALWAYS
#define BUG_EPOLLOUT_ALWAYS 0
#endif

/* 06-epoll: accepted sockets left blocking: a send to a slow client stops the whole loop. */
#ifndef BUG_BLOCKING_ACCEPTED
#define BUG_BLOCKING_ACCEPTED 0
#endif

/* 08-coroutines: no monkey patch: blocking sockets and calls, so one recv stops the thread. */
#ifndef BUG_UNPATCHED
#define BUG_UNPATCHED 0
#endif

/* 10-framework: a GET runs routes meant for POST: a link changes data. */
#ifndef BUG_GET_CHANGES_DATA
#define BUG_GET_CHANGES_DATA 0
#endif

/* 10-framework: values go into the page unescaped. */
#ifndef BUG_HTML_UNESCAPED
#define BUG_HTML_UNESCAPED 0
#endif

/* 10-framework, SQLite store: the remark is pasted into the SQL text. */
#ifndef BUG_SQL_PASTED
#define BUG_SQL_PASTED 0
#endif

/* 10-framework: a form value is stored as it came, %XX and + undecoded. */
#ifndef BUG_NO_UNQUOTE
#define BUG_NO_UNQUOTE 0
#endif

/* 10-framework: the dot in a regex route is not escaped: it matches any byte. */
#ifndef BUG_DOT_UNESCAPED
#define BUG_DOT_UNESCAPED 0
#endif

/* 10-framework, hello.c: the time is formatted once, at startup (the notes' now_time). */
#ifndef BUG_CTIME_ONCE
#define BUG_CTIME_ONCE 0
#endif

#endif
