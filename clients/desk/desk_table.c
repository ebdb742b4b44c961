/*
 * desk_table: the one table printer of dispatch-desk (tickets, outages,
 * crews, vendor incidents). Columns are as wide as their widest cell in
 * display columns (Chinese names count two), two spaces apart; the last
 * column is not padded, so lines carry no trailing blanks, and may be cut
 * to a maximum width; a table may be fitted to a terminal's width too
 * (the last column, the free text, is cut first: table_fit()). Colour codes take no columns: the text is padded,
 * not them.
 */
#include "desk.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

struct table_fit {
	int width[DESK_TABLE_MAX_COLS], show[DESK_TABLE_MAX_COLS], gap;
};

static int table_total(const struct desk_table *t, const struct table_fit *f)
{
	int sum = dc_width(t->indent ? t->indent : ""), first = 1;

	for (int c = 0; c < t->n_cols; c++)
		if (f->show[c]) {
			sum += f->width[c] + (first ? 0 : f->gap);
			first = 0;
		}
	return sum;
}

/* Fit the columns into max (desk.h says in what order). */
static void table_fit(const struct desk_table *t, struct table_fit *f, const int *empty, int max, const int *cut)
{
	int last = t->n_cols - 1, c, total, heading_last = dc_width(t->names[last]);
	const int text_min = 16, cut_min = 8;

	if (max <= 0)
		return;
	if ((total = table_total(t, f)) > max && f->width[last] > text_min)
		f->width[last] = f->width[last] - (total - max) > text_min ? f->width[last] - (total - max) : text_min;
	for (c = 0; c < last && table_total(t, f) > max; c++)
		if (empty[c])
			f->show[c] = 0;
	while (table_total(t, f) > max) {
		int widest = -1;
		for (c = 0; c < last; c++)
			if (f->show[c] && cut && cut[c] && f->width[c] > cut_min &&
			    (widest < 0 || f->width[c] > f->width[widest]))
				widest = c;
		if (widest < 0)
			break;
		f->width[widest]--;
	}
	if (table_total(t, f) > max)
		f->gap = 1;
	if ((total = table_total(t, f)) > max)
		f->width[last] =
			f->width[last] - (total - max) > heading_last ? f->width[last] - (total - max) : heading_last;
}

void desk_table_print(const struct desk_opts *o, const struct desk_table *t)
{
	desk_table_print_fit(o, t, 0, NULL);
}

void desk_table_print_fit(const struct desk_opts *o, const struct desk_table *t, int max_width, const int *cut)
{
	const char *cells[DESK_TABLE_MAX_COLS], *colors[DESK_TABLE_MAX_COLS];
	struct table_fit f;
	int *width = f.width, *show = f.show, empty[DESK_TABLE_MAX_COLS], c, last = t->n_cols - 1;
	const char *indent = t->indent ? t->indent : "";
	size_t i;

	assert(t->n_cols > 0 && t->n_cols <= DESK_TABLE_MAX_COLS);
	for (c = 0; c < t->n_cols; c++) {
		width[c] = dc_width(t->names[c]);
		empty[c] = 1;
		show[c] = 1;
	}
	for (i = 0; i < t->n_rows; i++) {
		t->row(t->ctx, i, cells, colors);
		for (c = 0; c < t->n_cols; c++) {
			int w = dc_width(cells[c] ? cells[c] : "-");
			if (w > width[c])
				width[c] = w;
			if (cells[c] && strcmp(cells[c], "-") != 0)
				empty[c] = 0;
		}
	}
	if (t->last_max > 0 && width[last] > t->last_max)
		width[last] = t->last_max;
	f.gap = 2;
	table_fit(t, &f, empty, max_width, cut);
	fputs(indent, stdout);
	fputs(o->c.bold, stdout);
	for (c = 0; c < t->n_cols; c++)
		if (show[c])
			dc_pad(stdout, t->names[c], c == last ? 0 : width[c] + f.gap);
	fputs(o->c.off, stdout);
	putchar('\n');
	for (i = 0; i < t->n_rows; i++) {
		for (c = 0; c < t->n_cols; c++)
			colors[c] = "";
		t->row(t->ctx, i, cells, colors);
		fputs(indent, stdout);
		for (c = 0; c < t->n_cols; c++) {
			const char *s = cells[c] ? cells[c] : "-", *on = colors[c] ? colors[c] : "";

			if (!show[c])
				continue;
			fputs(on, stdout);
			if (c == last) {
				char buf[1024];
				fputs(t->last_max > 0 || max_width > 0 ? dc_term_fit(s, width[c], buf, sizeof buf)
								       : dc_clean(s, buf, sizeof buf),
				      stdout);
			} else {
				dc_term_cell(stdout, s, width[c]);
			}
			if (*on)
				fputs(o->c.off, stdout);
			if (c != last)
				printf("%*s", f.gap, "");
		}
		putchar('\n');
	}
}
