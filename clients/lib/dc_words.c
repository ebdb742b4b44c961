/*
 * dc_words: words, money, text and times for people (see dc_words.h).
 *
 * Design: everything here is pure (no dc_t, no sockets), so dc-selftest
 * checks it without a daemon. Text from the network is cleaned before it
 * reaches a terminal, and measured in display columns, not bytes: units,
 * names and notes may be in Chinese.
 */
#include "dispatch_client.h"

#include <inttypes.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <wchar.h>

int64_t dc_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* ---- words ---- */

static const char *name_of(const char *const *names, size_t n, int v)
{
	if (v < 0 || (size_t)v >= n || !names[v])
		return "unknown";
	return names[v];
}

#define NAME_OF(table, v) name_of(table, sizeof table / sizeof table[0], v)

static const char *const kind_names[] = {
	"unspecified", "repair", "complaint", "special", "security", "cleaning", "inquiry",
	"suggestion",
};
static const char *const state_names[] = {
	"unspecified", "new", "assigned", "accepted", "on site", "resolved", "closed", "cancelled",
	"on hold",
};
static const char *const event_names[] = {
	"unspecified", "submitted", "assigned", "queued", "accepted",
	"on site", "resolved", "closed", "cancelled", "escalated",
	"linked", "duty", "outage", "purged", "retention purge",
	"on hold", "resumed", "followed up", "inspected", "reopened",
	"consented", "vendor flagged", "vendor reviewed", "notice",
	"unlinked",
};
static const char *const status_names[] = {
	"unspecified", "ok", "invalid", "not found", "conflict",
	"forbidden", "unsupported version", "storage error", "internal error",
};
static const char *const source_names[] = {
	"unspecified", "intercom", "phone", "walk-in", "app", "sensor",
};
static const char *const role_names[] = {
	"unspecified", "desk", "crew", "monitor", "qc", "supervisor", "admin", "system",
};
static const char *const action_names[] = {
	"unspecified", "accept", "arrive", "resolve", "close", "cancel", "assign",
	"hold", "resume", "follow-up", "inspect", "consent", "flag vendor", "review vendor",
	"unlink",
};
static const char *const link_names[] = {
	"none", "crew", "duplicate",
};
/* Command-line words: one token each, so they can be typed back. */
static const char *const hold_reason_names[] = {
	"unspecified", "parts", "resident-away", "no-access", "consent", "other",
};
static const char *const inspection_names[] = {
	"none", "pass", "fail",
};
static const char *const deadline_names[] = {
	"none", "acknowledge", "arrive", "resolve", "follow-up",
};
static const char *const notice_kind_names[] = {
	"general", "activity", "works",
};

const char *dc_kind_name(int kind) { return NAME_OF(kind_names, kind); }
const char *dc_state_name(int state) { return NAME_OF(state_names, state); }
const char *dc_status_name(int status) { return NAME_OF(status_names, status); }
const char *dc_source_name(int source) { return NAME_OF(source_names, source); }
const char *dc_role_name(int role) { return NAME_OF(role_names, role); }
const char *dc_action_name(int action) { return NAME_OF(action_names, action); }
const char *dc_link_name(int link) { return NAME_OF(link_names, link); }
const char *dc_hold_reason_name(int r) { return NAME_OF(hold_reason_names, r); }
const char *dc_inspection_name(int r) { return NAME_OF(inspection_names, r); }
const char *dc_deadline_name(int d) { return NAME_OF(deadline_names, d); }
const char *dc_notice_kind_name(int k) { return NAME_OF(notice_kind_names, k); }

const char *dc_event_type_name(int type)
{
	if (type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT)
		return "heartbeat";
	return NAME_OF(event_names, type);
}

/* Index 0 ("unspecified") is never a valid answer to a parse. */
static int parse_word(const char *const *names, size_t n, const char *word, int *out)
{
	size_t i;

	if (!word)
		return DC_ERR_ARG;
	for (i = 1; i < n; i++) {
		if (strcasecmp(names[i], word) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return DC_ERR_ARG;
}

int dc_kind_parse(const char *word, Dispatch__Kind *out)
{
	int v;

	if (parse_word(kind_names, sizeof kind_names / sizeof kind_names[0], word, &v) < 0)
		return DC_ERR_ARG;
	*out = (Dispatch__Kind)v;
	return 0;
}

int dc_role_parse(const char *word, Dispatch__Role *out)
{
	int v;

	/* "system" is the daemon's own: no client speaks as it. */
	if (parse_word(role_names, sizeof role_names / sizeof role_names[0] - 1, word, &v) < 0)
		return DC_ERR_ARG;
	*out = (Dispatch__Role)v;
	return 0;
}

int dc_source_parse(const char *word, Dispatch__Source *out)
{
	int v;

	if (word && (strcasecmp(word, "walkin") == 0 || strcasecmp(word, "walk_in") == 0))
		word = "walk-in";
	if (parse_word(source_names, sizeof source_names / sizeof source_names[0], word, &v) < 0)
		return DC_ERR_ARG;
	*out = (Dispatch__Source)v;
	return 0;
}

int dc_hold_reason_parse(const char *word, Dispatch__HoldReason *out)
{
	int v;

	if (word && (strcasecmp(word, "resident_away") == 0 || strcasecmp(word, "away") == 0))
		word = "resident-away";
	if (word && strcasecmp(word, "no_access") == 0)
		word = "no-access";
	/* "consent" is the daemon's own hold for a paid service; consent ends it. */
	if (word && strcasecmp(word, "consent") == 0)
		return DC_ERR_ARG;
	if (parse_word(hold_reason_names, sizeof hold_reason_names / sizeof hold_reason_names[0], word,
	               &v) < 0)
		return DC_ERR_ARG;
	*out = (Dispatch__HoldReason)v;
	return 0;
}

int dc_notice_kind_parse(const char *word, Dispatch__NoticeKind *out)
{
	size_t i;

	/* Index 0 ("general") is a real choice here, unlike the other enums. */
	for (i = 0; word && i < sizeof notice_kind_names / sizeof notice_kind_names[0]; i++) {
		if (strcasecmp(notice_kind_names[i], word) == 0) {
			*out = (Dispatch__NoticeKind)i;
			return 0;
		}
	}
	return DC_ERR_ARG;
}

/* ---- money ---- */

int dc_cents_parse(const char *s, int64_t *out)
{
	int64_t whole = 0;
	int digits = 0, frac = 0, n_frac = 0;
	const char *p = s;

	if (!p || !out)
		return DC_ERR_ARG;
	if (strncasecmp(p, "HK$", 3) == 0)
		p += 3;
	else if (*p == '$')
		p++;
	for (; *p >= '0' && *p <= '9'; p++) {
		/* 10 billion dollars is no estate's fee: a typo, not a price. */
		if (++digits > 10)
			return DC_ERR_ARG;
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (++n_frac > 2)
				return DC_ERR_ARG;
			frac = frac * 10 + (*p - '0');
		}
		if (n_frac == 0)
			return DC_ERR_ARG;
		if (n_frac == 1)
			frac *= 10;
	}
	if (*p != '\0' || digits == 0)
		return DC_ERR_ARG;
	*out = whole * 100 + frac;
	return 0;
}

char *dc_format_cents(int64_t cents, char *buf, size_t size)
{
	uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;

	snprintf(buf, size, "%sHK$%" PRIu64 ".%02u", cents < 0 ? "-" : "", a / 100, (unsigned)(a % 100));
	return buf;
}

int dc_status_exit(int status)
{
	switch (status) {
	case DISPATCH__STATUS__STATUS_OK:
		return DC_EXIT_OK;
	case DISPATCH__STATUS__STATUS_INVALID:
	case DISPATCH__STATUS__STATUS_NOT_FOUND:
	case DISPATCH__STATUS__STATUS_CONFLICT:
	case DISPATCH__STATUS__STATUS_FORBIDDEN:
	case DISPATCH__STATUS__STATUS_UNSUPPORTED_VERSION:
		return DC_EXIT_REFUSED;
	default: /* storage, internal, or a status this client does not know */
		return DC_EXIT_UNAVAILABLE;
	}
}

int dc_err_exit(int rc)
{
	if (rc == DC_ERR_ARG)
		return DC_EXIT_USAGE;
	if (rc == DC_ERR_REFUSED)
		return DC_EXIT_REFUSED;
	return rc < 0 ? DC_EXIT_UNAVAILABLE : DC_EXIT_OK;
}

int dc_report(FILE *f, const char *prog, const Dispatch__Reply *reply)
{
	char msg[1024], field[128];

	if (!reply)
		return DC_EXIT_UNAVAILABLE;
	dc_clean(reply->message, msg, sizeof msg);
	if (!*msg) /* a daemon should always explain; say at least what it was */
		snprintf(msg, sizeof msg, "the daemon answered: %s", dc_status_name(reply->status));
	dc_clean(reply->field, field, sizeof field);
	if (reply->status == DISPATCH__STATUS__STATUS_INVALID && *field)
		fprintf(f, "%s: %s (field: %s)\n", prog, msg, field);
	else
		fprintf(f, "%s: %s\n", prog, msg);
	return dc_status_exit(reply->status);
}

/* ---- text for terminals ---- */

/* Length of the valid UTF-8 sequence at s (1..4) with its code point, or 0. */
static int utf8_next(const unsigned char *s, uint32_t *cp)
{
	uint32_t c = s[0];
	int len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8. */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static int is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0);
}

char *dc_clean(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t o = 0;

	if (!buf || size == 0)
		return buf;
	while (*p) {
		uint32_t cp;
		int len = utf8_next(p, &cp);

		if (len == 0 || is_control(cp)) {
			if (o + 1 >= size)
				break;
			buf[o++] = '?';
			p += len ? len : 1;
			continue;
		}
		if (o + (size_t)len >= size)
			break; /* never split a character */
		memcpy(buf + o, p, (size_t)len);
		o += (size_t)len;
		p += len;
	}
	buf[o] = '\0';
	return buf;
}

/* The built-in table, for a libc without a UTF-8 locale to ask. */
static int cp_width_table(uint32_t cp)
{
	if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || cp == 0xfeff)
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf && cp != 0x303f) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) ||
	    (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

/*
 * wcwidth() answers by the LC_CTYPE in force, and a program run under
 * LANG=C would count every Chinese character as unprintable. Ask under a
 * UTF-8 locale of our own instead (uselocale() switches only this thread,
 * and only for the call), so widths do not depend on the caller's locale.
 */
static locale_t utf8_locale(void)
{
	static locale_t loc;
	static int tried;

	if (!tried) {
		tried = 1;
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
		if (!loc)
			loc = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0);
	}
	return loc;
}

static int cp_width(uint32_t cp)
{
	locale_t loc = utf8_locale(), old;
	int w;

	if (!loc)
		return cp_width_table(cp);
	old = uselocale(loc);
	w = wcwidth((wchar_t)cp);
	uselocale(old);
	/* -1: printable to us but unknown to libc; the terminal shows one cell. */
	return w < 0 ? 1 : w;
}

int dc_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int w = 0;

	while (*p) {
		uint32_t cp;
		int len = utf8_next(p, &cp);

		if (len == 0 || is_control(cp)) {
			w++; /* shown as '?' */
			p += len ? len : 1;
			continue;
		}
		w += cp_width(cp);
		p += len;
	}
	return w;
}

void dc_pad(FILE *f, const char *s, int width)
{
	char buf[1024];
	int w;

	dc_clean(s, buf, sizeof buf);
	fputs(buf, f);
	for (w = dc_width(buf); w < width; w++)
		fputc(' ', f);
}

char *dc_format_time(int64_t ms, char *buf, size_t size)
{
	struct tm tm;
	time_t t;

	if (!buf || size == 0)
		return buf;
	if (ms <= 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	t = (time_t)(ms / 1000);
	if (!localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)ms);
	return buf;
}
