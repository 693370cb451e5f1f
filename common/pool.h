/*
 * pool.h: blocks of one size, given out and taken back without a trip to
 * malloc each time.
 *
 * 04-06 give a connection its exchange (request buffer, parsed request,
 * response head: about 22 KiB) only while a request is in flight, so that
 * 10,000 idle keep-alive connections hold none. Returning it to malloc
 * after every response and asking again for the next request would be
 * heap traffic on every request, and calloc would zero 22 KiB each time.
 * A pool keeps up to max returned blocks for the next taker and frees the
 * rest, so memory still follows the number of busy connections.
 */
#ifndef POOL_H
#define POOL_H

#include <stddef.h>

struct pool {
	size_t size;                /* bytes in a block */
	int max;                    /* returned blocks kept at most */
	int spare;                  /* returned blocks kept now */
	void *spares;               /* the first; each holds a pointer to the next */
};

#define POOL_INIT(size, max) { (size), (max), 0, NULL }

/* A block of p->size bytes, NOT zeroed; NULL when out of memory. */
void *pool_get(struct pool *p);

/* Take block back (NULL is allowed), keeping it for pool_get if there is room. */
void pool_put(struct pool *p, void *block);

/* Free every kept block: at exit, so that leak checkers see a clean heap. */
void pool_drain(struct pool *p);

#endif
