/*
 * pool.c: a free list. A returned block's first bytes hold the pointer to
 * the next returned block, so keeping it costs no memory of its own.
 */
#include <stdlib.h>
#include <string.h>

#include "pool.h"

void *
pool_get(struct pool *p)
{
	void *block = p->spares;

	if (block == NULL)
		return malloc(p->size < sizeof(void *) ? sizeof(void *) : p->size);
	memcpy(&p->spares, block, sizeof(void *));
	p->spare--;
	return block;
}

void
pool_put(struct pool *p, void *block)
{
	if (block == NULL)
		return;
	if (p->spare >= p->max) {
		free(block);
		return;
	}
	memcpy(block, &p->spares, sizeof(void *));
	p->spares = block;
	p->spare++;
}

void
pool_drain(struct pool *p)
{
	void *block;

	while ((block = p->spares) != NULL) {
		memcpy(&p->spares, block, sizeof(void *));
		free(block);
	}
	p->spare = 0;
}
