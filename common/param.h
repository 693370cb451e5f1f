/*
 * param.h: every tunable of the suite in one place, one per line.
 *
 * The limits are what make a server safe to leave running: each one bounds
 * how much memory or time a single client can make us spend.
 */
#ifndef PARAM_H
#define PARAM_H

#define DEFAULT_ADDR     "127.0.0.1" /* a lab server faces only this machine */
#define DEFAULT_PORT     "8080"      /* the notes' port */
#define DEFAULT_DOCROOT  "www"       /* served when -d is not given */
#define DEFAULT_TIMEOUT  60          /* -t: seconds a client may stay silent (a person typing a line) */
#define DEFAULT_DEADLINE 120         /* -T: seconds a whole request head may take (slow-loris) */
#define LINGER_SECONDS   1           /* wait for the client's FIN after ours */
#define ACCEPT_BACKOFF_MS 100        /* pause after accept fails with EMFILE */
#define CTRL_C_LINGER_MS 200        /* make run: make handles Ctrl-C before its child is gone */
#define SERVER_NAME      "netlab"    /* the Server: header */

#define METHOD_MAX       16          /* longest method token we accept */
#define REQUEST_LINE_MAX 4096        /* longer request line: 414 */
#define HEADER_MAX       8192        /* more header bytes than this: 431 */
#define HEADER_LINES_MAX 100         /* more header lines than this: 431 */
#define REQUEST_MAX      (REQUEST_LINE_MAX + HEADER_MAX + 4) /* input buffer */
#define BODY_MAX         (1 << 20)   /* larger request body: 413 */
#define RESPONSE_HEAD_MAX (REQUEST_LINE_MAX + 2048) /* head, or head + error page */
#define PATH_MAX_NETLAB  4096        /* docroot + decoded path */
#define IO_CHUNK         65536       /* bytes per read when copying a file */
#define POLL_IDLE_USEC   1000        /* 04/05: sleep after a pass with nothing to do */
#define EXCHANGE_SPARES  32          /* 04-06: request buffers kept for reuse */
#define FILECACHE_ENTRIES 64         /* 06: files kept, in memory or open */
#define FILECACHE_FILE_MAX 4096      /* 06: larger files are kept open, not copied */
#define FILECACHE_VALID  1           /* seconds a kept file is trusted before a check */
#define EPOLL_BATCH      256         /* 06, 08: ready events taken per epoll_wait */
#define FD_LIMIT_MAX     1048576     /* cap on the raised RLIMIT_NOFILE: 04-06 and 08 keep a slot per descriptor */
#define CLIENT_LINE_MAX  8192        /* 07: a typed line longer than this is sent in pieces */
#define COROUTINE_STACK  (128 * 1024) /* 08: a coroutine's stack, above a guard page */
#define COROUTINE_SPARE  64          /* 08: finished coroutines' stacks kept for reuse */
#define LOG_LINE_MAX     (REQUEST_LINE_MAX + 192) /* one access-log line */
#define ETAG_MAX         64          /* longest entity-tag kept, quotes included: ours are shorter */
#define ETAG_LIST_MAX    512         /* If-Match / If-None-Match list kept; longer: 431 */

#endif
