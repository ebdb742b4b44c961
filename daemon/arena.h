/*
 * arena: scratch memory for building one reply. Protobuf-c messages built
 * for a Reply hold pointers to many small pieces (strings, sub-messages,
 * pointer arrays); they all come from one arena and go at once, together
 * with anything registered with arena_defer() (e.g. unpacked messages).
 */
#ifndef ARENA_H
#define ARENA_H

#include <stddef.h>

typedef struct arena arena_t;
typedef void(arena_free_fn)(void *p);

arena_t *arena_new(void);
/* Free everything allocated and run every deferred free, newest first. */
void arena_reset(arena_t *a);
void arena_destroy(arena_t **a);

void *arena_alloc(arena_t *a, size_t n); /* zeroed, aligned for any type */
char *arena_strdup(arena_t *a, const char *s);
void *arena_memdup(arena_t *a, const void *p, size_t n);
/* Run fn(p) at the next reset. */
void arena_defer(arena_t *a, arena_free_fn *fn, void *p);

#endif
