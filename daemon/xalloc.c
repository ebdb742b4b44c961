/* xalloc: allocate or exit (see xalloc.h). */
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

static void xalloc_fail(size_t n)
{
	log_err("out of memory allocating %zu bytes; exiting", n);
	exit(70); /* EX_SOFTWARE: systemd's Restart=on-failure brings us back */
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		xalloc_fail(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		xalloc_fail(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		xalloc_fail(n);
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}
