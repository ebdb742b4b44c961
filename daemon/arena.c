/* arena: chunked bump allocator with deferred frees (see arena.h). */
#include "arena.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define ARENA_CHUNK 16384

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

struct arena_deferred {
	struct arena_deferred *next;
	arena_free_fn *fn;
	void *p;
};

struct arena {
	struct arena_chunk *chunks;
	struct arena_deferred *deferred;
};

arena_t *arena_new(void)
{
	return xcalloc(1, sizeof(arena_t));
}

void arena_reset(arena_t *a)
{
	while (a->deferred) {
		struct arena_deferred *d = a->deferred;
		a->deferred = d->next;
		d->fn(d->p);
		free(d);
	}
	while (a->chunks) {
		struct arena_chunk *c = a->chunks;
		a->chunks = c->next;
		free(c);
	}
}

void arena_destroy(arena_t **ap)
{
	if (ap == NULL || *ap == NULL)
		return;
	arena_reset(*ap);
	free(*ap);
	*ap = NULL;
}

void *arena_alloc(arena_t *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	struct arena_chunk *c = a->chunks;
	void *p;

	n = (n + align - 1) & ~(align - 1);
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		c = xmalloc(sizeof *c + cap);
		c->used = 0;
		c->cap = cap;
		c->next = a->chunks;
		a->chunks = c;
	}
	p = c->data + c->used;
	c->used += n;
	return memset(p, 0, n);
}

void *arena_memdup(arena_t *a, const void *p, size_t n)
{
	return memcpy(arena_alloc(a, n), p, n);
}

char *arena_strdup(arena_t *a, const char *s)
{
	return arena_memdup(a, s, strlen(s) + 1);
}

void arena_defer(arena_t *a, arena_free_fn *fn, void *p)
{
	struct arena_deferred *d = xmalloc(sizeof *d);
	d->fn = fn;
	d->p = p;
	d->next = a->deferred;
	a->deferred = d;
}
