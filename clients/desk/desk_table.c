/*
 * desk_table: the one table printer of dispatch-desk (tickets, outages,
 * crews, vendor incidents). Columns are as wide as their widest cell in
 * display columns (Chinese names count two), two spaces apart; the last
 * column is not padded, so lines carry no trailing blanks, and may be cut
 * to a maximum width. Colour codes take no columns: the text is padded,
 * not them.
 */
#include "desk.h"

#include <assert.h>
#include <stdio.h>

void desk_table_print(const struct desk_opts *o, const struct desk_table *t)
{
	const char *cells[DESK_TABLE_MAX_COLS], *colors[DESK_TABLE_MAX_COLS];
	int width[DESK_TABLE_MAX_COLS], c, last = t->n_cols - 1;
	const char *indent = t->indent ? t->indent : "";
	size_t i;

	assert(t->n_cols > 0 && t->n_cols <= DESK_TABLE_MAX_COLS);
	for (c = 0; c < t->n_cols; c++)
		width[c] = dc_width(t->names[c]);
	for (i = 0; i < t->n_rows; i++) {
		t->row(t->ctx, i, cells, colors);
		for (c = 0; c < t->n_cols; c++) {
			int w = dc_width(cells[c] ? cells[c] : "-");
			if (w > width[c])
				width[c] = w;
		}
	}
	if (t->last_max > 0 && width[last] > t->last_max)
		width[last] = t->last_max;
	fputs(indent, stdout);
	fputs(o->c.bold, stdout);
	for (c = 0; c < t->n_cols; c++)
		dc_pad(stdout, t->names[c], c == last ? 0 : width[c] + 2);
	fputs(o->c.off, stdout);
	putchar('\n');
	for (i = 0; i < t->n_rows; i++) {
		for (c = 0; c < t->n_cols; c++)
			colors[c] = "";
		t->row(t->ctx, i, cells, colors);
		fputs(indent, stdout);
		for (c = 0; c < t->n_cols; c++) {
			const char *s = cells[c] ? cells[c] : "-", *on = colors[c] ? colors[c] : "";

			fputs(on, stdout);
			if (c == last) {
				char cut[1024];
				fputs(t->last_max > 0 ? dc_term_fit(s, width[c], cut, sizeof cut)
						      : dc_clean(s, cut, sizeof cut),
				      stdout);
			} else {
				dc_term_cell(stdout, s, width[c]);
			}
			if (*on)
				fputs(o->c.off, stdout);
			if (c != last)
				fputs("  ", stdout);
		}
		putchar('\n');
	}
}
