/*
 * dc_term: what the dispatch programs need from a terminal: whether to use
 * colour, and text cut to a number of columns. Part of libdispatchclient.
 */
#ifndef DC_TERM_H
#define DC_TERM_H

#include <stddef.h>
#include <stdio.h>

/*
 * Whether to colour output on fd. when: "always", "never", or "auto"/NULL:
 * only if fd is a terminal, NO_COLOR is unset or empty
 * (https://no-color.org) and TERM is not "dumb". Returns 1 or 0, or
 * DC_ERR_ARG for an unknown word.
 */
int dc_term_color(int fd, const char *when);

/* SGR sequences, for programs that print lines (ncurses programs use
 * attributes instead). Empty strings when colour is off. */
struct dc_term_sgr {
	const char *bold, *dim, *red, *green, *yellow, *blue, *magenta, *cyan, *reverse, *off;
};
void dc_term_sgr(struct dc_term_sgr *sgr, int color);

/*
 * Copy s, cleaned as dc_clean() does, into buf, cut to at most width
 * terminal columns (never splitting a character; a cut ends in "~").
 * Returns buf. width <= 0 gives "".
 */
char *dc_term_fit(const char *s, int width, char *buf, size_t size);

/*
 * Copy s, cleaned as dc_clean() does, into buf as lines of at most width
 * columns separated by '\n': a line breaks after its last space if it has
 * one, else between any two characters (Chinese has no spaces), never
 * inside a character. Returns the number of lines (0 for an empty s); text
 * that does not fit in size is dropped at a line's end.
 */
int dc_term_wrap(const char *s, int width, char *buf, size_t size);

/* Print s cut to width columns, then spaces up to width. */
void dc_term_cell(FILE *f, const char *s, int width);

#endif
