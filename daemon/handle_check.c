/*
 * handle_check: the field checks every decoded request goes through,
 * used by both the envelope check (ingest.c) and the handlers' check
 * steps. protobuf-c checks neither enum ranges nor UTF-8 nor sizes, so
 * each check names the field it refuses and says what would be accepted.
 */
#include "handle.h"

#include <string.h>

bool handle_utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned n;
		uint32_t cp;
		if (*p < 0x80) {
			if (*p < 0x20 && *p != '\t' && *p != '\n')
				return false; /* control characters have no place in a ticket */
			p++;
			continue;
		} else if ((*p & 0xe0) == 0xc0) {
			n = 1, cp = *p & 0x1f;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2, cp = *p & 0x0f;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 3, cp = *p & 0x07;
		} else {
			return false;
		}
		p++;
		for (unsigned i = 0; i < n; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (*p & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

int handle_check_text(struct handle_ctx *c, const char *field, const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n < min)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field, "%s is required", field);
	if (n > max)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field,
				   "%s is too long (%zu bytes; at most %zu)", field, n, max);
	if (n > 0 && !handle_utf8_ok(s))
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field,
				   "%s is not valid UTF-8 text (or holds control characters)", field);
	return 0;
}

int handle_check_id(struct handle_ctx *c, const char *field, const char *s, size_t min, size_t max)
{
	if (handle_check_text(c, field, s, min, max) != 0)
		return -1;
	for (const char *p = s ? s : ""; *p; p++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		      ch == '_' || ch == '/' || ch == '*' || ch == '?'))
			return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field,
					   "%s '%s' may hold only letters, digits, '-', '_' and '/'", field, s);
	}
	return 0;
}

int handle_check_enum(struct handle_ctx *c, const char *field, int value, int lo, int hi, const char *hint)
{
	if (value < lo || value > hi)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field, "unknown %s %d; use %s", field, value,
				   hint);
	return 0;
}
