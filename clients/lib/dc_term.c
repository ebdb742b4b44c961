/*
 * dc_term: colour decisions and column-exact text for terminals. See
 * dc_term.h. Widths come from dc_width(), so Chinese names and notes line
 * up with the Latin ones.
 */
#include "dc_term.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dispatch_client.h"

int dc_term_color(int fd, const char *when)
{
	const char *s;

	if (when && strcasecmp(when, "always") == 0)
		return 1;
	if (when && strcasecmp(when, "never") == 0)
		return 0;
	if (when && strcasecmp(when, "auto") != 0)
		return DC_ERR_ARG;
	if (!isatty(fd))
		return 0;
	s = getenv("NO_COLOR");
	if (s && *s)
		return 0;
	s = getenv("TERM");
	return !(s && strcmp(s, "dumb") == 0);
}

void dc_term_sgr(struct dc_term_sgr *sgr, int color)
{
	if (!sgr)
		return;
	if (!color) {
		sgr->bold = sgr->dim = sgr->red = sgr->green = sgr->yellow = sgr->blue = "";
		sgr->magenta = sgr->cyan = sgr->reverse = sgr->off = "";
		return;
	}
	sgr->bold = "\033[1m";
	sgr->dim = "\033[2m";
	sgr->red = "\033[31m";
	sgr->green = "\033[32m";
	sgr->yellow = "\033[33m";
	sgr->blue = "\033[34m";
	sgr->magenta = "\033[35m";
	sgr->cyan = "\033[36m";
	sgr->reverse = "\033[7m";
	sgr->off = "\033[0m";
}

/* Bytes of the UTF-8 character at s (1 for a stray byte). */
static size_t char_len(const unsigned char *s)
{
	if (*s < 0xc0)
		return 1;
	if (*s < 0xe0)
		return 2;
	if (*s < 0xf0)
		return 3;
	return 4;
}

char *dc_term_fit(const char *s, int width, char *buf, size_t size)
{
	char clean[4096];
	size_t i = 0, o = 0;
	int used = 0;

	if (!buf || size == 0)
		return buf;
	buf[0] = '\0';
	if (width <= 0)
		return buf;
	dc_clean(s, clean, sizeof clean);
	if (dc_width(clean) <= width) {
		snprintf(buf, size, "%s", clean);
		return buf;
	}
	/* Leave one column for the "~" that says something was cut. */
	while (clean[i]) {
		size_t len = char_len((const unsigned char *)clean + i);
		char one[8];
		int w;

		memcpy(one, clean + i, len);
		one[len] = '\0';
		w = dc_width(one);
		if (used + w > width - 1 || o + len + 2 > size)
			break;
		memcpy(buf + o, one, len);
		o += len;
		used += w;
		i += len;
	}
	buf[o++] = '~';
	buf[o] = '\0';
	return buf;
}

/* Columns of the character at s, of len bytes. */
static int char_width(const char *s, size_t len)
{
	char one[8];

	memcpy(one, s, len);
	one[len] = '\0';
	return dc_width(one);
}

int dc_term_wrap(const char *s, int width, char *buf, size_t size)
{
	size_t n = s ? strlen(s) + 1 : 1, i = 0, o = 0;
	char *clean;
	int lines = 0;

	if (!buf || size == 0)
		return 0;
	buf[0] = '\0';
	if (width < 1)
		width = 1;
	clean = malloc(n);
	if (!clean)
		return 0;
	dc_clean(s, clean, n);
	while (clean[i] == ' ')
		i++;
	while (clean[i]) {
		size_t j = i, brk = 0, end;
		int used = 0;

		/* As much as fits; remember the last space. */
		while (clean[j]) {
			size_t len = char_len((const unsigned char *)clean + j);
			int w = char_width(clean + j, len);

			if (used + w > width && j > i)
				break;
			if (clean[j] == ' ')
				brk = j;
			used += w;
			j += len;
		}
		end = clean[j] && brk > i ? brk : j;
		if (o + (end - i) + 2 > size)
			break;
		if (lines)
			buf[o++] = '\n';
		memcpy(buf + o, clean + i, end - i);
		o += end - i;
		while (o > 0 && buf[o - 1] == ' ')
			o--;
		lines++;
		for (i = end; clean[i] == ' '; i++)
			;
	}
	buf[o] = '\0';
	free(clean);
	return lines;
}

void dc_term_cell(FILE *f, const char *s, int width)
{
	char buf[4096];
	int w;

	dc_term_fit(s, width, buf, sizeof buf);
	fputs(buf, f);
	for (w = dc_width(buf); w < width; w++)
		fputc(' ', f);
}
