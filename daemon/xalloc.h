/*
 * xalloc: the daemon's one allocation-failure policy. Running out of memory
 * is logged and the process exits; systemd restarts it and the store (the
 * source of truth) is intact because replies only follow commits.
 */
#ifndef XALLOC_H
#define XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
