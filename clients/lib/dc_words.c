/*
 * dc_words: words, money, text and times for people (see dc_words.h).
 *
 * Design: everything here is pure (no dc_t, no sockets), so dc-selftest
 * checks it without a daemon. Enum words are derived from the protobuf
 * descriptors, with a short list of exceptions (below). Text from the network is cleaned before it
 * reaches a terminal, and measured in display columns, not bytes: units,
 * names and notes may be in Chinese.
 */
#include "dispatch_client.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <locale.h>
#include <pthread.h>
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

/* ---- enum words ---- */

/*
 * The words come from the generated descriptors, as the daemon's report
 * and export derive theirs: a value's name without its first word (the
 * enum's prefix), in lower case, "_" read as sep. "STATE_ON_SITE" reads
 * "on site"; "SOURCE_WALK_IN", whose word is also typed on command lines,
 * "walk-in". A value added to the proto so has a word at once, and the
 * words cannot drift from the wire (they were three hand-written tables
 * before issue 16).
 */
enum dc_enum {
	DC_ENUM_KIND,
	DC_ENUM_STATE,
	DC_ENUM_EVENT,
	DC_ENUM_STATUS,
	DC_ENUM_SOURCE,
	DC_ENUM_ROLE,
	DC_ENUM_ACTION,
	DC_ENUM_LINK,
	DC_ENUM_HOLD,
	DC_ENUM_INSPECTION,
	DC_ENUM_DEADLINE,
	DC_ENUM_NOTICE,
	DC_ENUM_COUNT
};

#define DC_ENUM_MAX_VALUES 64 /* EventType, the largest, has 26 */
#define DC_WORDS_POOL 4096    /* all words together take some 1500 bytes */

struct dc_enum_words {
	const ProtobufCEnumDescriptor *d;
	char sep;                              /* ' ' to read, '-' a word people also type */
	const char *words[DC_ENUM_MAX_VALUES]; /* per d->values[i]; built once */
};

static struct dc_enum_words dc_enums[DC_ENUM_COUNT] = {
	[DC_ENUM_KIND] = { &dispatch__kind__descriptor, ' ', { 0 } },
	[DC_ENUM_STATE] = { &dispatch__state__descriptor, ' ', { 0 } },
	[DC_ENUM_EVENT] = { &dispatch__event_type__descriptor, ' ', { 0 } },
	[DC_ENUM_STATUS] = { &dispatch__status__descriptor, ' ', { 0 } },
	[DC_ENUM_SOURCE] = { &dispatch__source__descriptor, '-', { 0 } },
	[DC_ENUM_ROLE] = { &dispatch__role__descriptor, ' ', { 0 } },
	[DC_ENUM_ACTION] = { &dispatch__action__descriptor, ' ', { 0 } },
	[DC_ENUM_LINK] = { &dispatch__link_kind__descriptor, ' ', { 0 } },
	[DC_ENUM_HOLD] = { &dispatch__hold_reason__descriptor, '-', { 0 } },
	[DC_ENUM_INSPECTION] = { &dispatch__inspection_result__descriptor, '-', { 0 } },
	[DC_ENUM_DEADLINE] = { &dispatch__deadline__descriptor, '-', { 0 } },
	[DC_ENUM_NOTICE] = { &dispatch__notice_kind__descriptor, '-', { 0 } },
};

/*
 * Where the word people have always seen is not the proto's name. Kept
 * few, each with its reason; changing one changes what users read.
 */
static const struct {
	enum dc_enum which;
	int value;
	const char *word;
} dc_word_exceptions[] = {
	/* alone, "storage" and "internal" name no problem: a refusal prints
	 * "the daemon answered: storage error" */
	{ DC_ENUM_STATUS, DISPATCH__STATUS__STATUS_STORAGE, "storage error" },
	{ DC_ENUM_STATUS, DISPATCH__STATUS__STATUS_INTERNAL, "internal error" },
	/* one token, as the desk's command "follow-up" and the deadline
	 * "follow-up" are, while the other actions read with spaces
	 * ("flag vendor") */
	{ DC_ENUM_ACTION, DISPATCH__ACTION__ACTION_FOLLOW_UP, "follow-up" },
};

static pthread_once_t dc_words_once = PTHREAD_ONCE_INIT;
static char dc_words_pool[DC_WORDS_POOL];

/* Every word of every enum, once, into the pool (pthread_once: the word
 * functions take no dc_t and may be called from any thread). */
static void dc_words_build(void)
{
	size_t used = 0;

	for (size_t e = 0; e < DC_ENUM_COUNT; e++) {
		struct dc_enum_words *w = &dc_enums[e];

		assert(w->d->n_values <= DC_ENUM_MAX_VALUES);
		for (unsigned i = 0; i < w->d->n_values; i++) {
			const ProtobufCEnumValue *v = &w->d->values[i];
			const char *name = strchr(v->name, '_');
			char *word = dc_words_pool + used;
			size_t len;

			name = name ? name + 1 : v->name;
			len = strlen(name);
			assert(used + len + 1 <= sizeof dc_words_pool);
			for (size_t k = 0; k < len; k++)
				word[k] = name[k] == '_' ? w->sep : (char)tolower((unsigned char)name[k]);
			word[len] = '\0';
			used += len + 1;
			w->words[i] = word;
			for (size_t x = 0; x < sizeof dc_word_exceptions / sizeof dc_word_exceptions[0]; x++)
				if (dc_word_exceptions[x].which == e && dc_word_exceptions[x].value == v->value)
					w->words[i] = dc_word_exceptions[x].word;
		}
	}
}

static const char *dc_word(enum dc_enum which, int value)
{
	const struct dc_enum_words *w = &dc_enums[which];
	const ProtobufCEnumValue *v;

	pthread_once(&dc_words_once, dc_words_build);
	v = protobuf_c_enum_descriptor_get_value(w->d, value);
	return v ? w->words[v - w->d->values] : "unknown";
}

/* A word back to its value, case-insensitively; value 0 ("unspecified")
 * is no answer unless zero_ok (NoticeKind's 0 is "general"). */
static int dc_word_parse(enum dc_enum which, const char *word, int zero_ok, int *out)
{
	const struct dc_enum_words *w = &dc_enums[which];

	if (!word)
		return DC_ERR_ARG;
	pthread_once(&dc_words_once, dc_words_build);
	for (unsigned i = 0; i < w->d->n_values; i++) {
		if (w->d->values[i].value == 0 && !zero_ok)
			continue;
		if (strcasecmp(w->words[i], word) == 0) {
			*out = w->d->values[i].value;
			return 0;
		}
	}
	return DC_ERR_ARG;
}

const char *dc_kind_name(int kind)
{
	return dc_word(DC_ENUM_KIND, kind);
}
const char *dc_state_name(int state)
{
	return dc_word(DC_ENUM_STATE, state);
}
int dc_state_open(int state)
{
	return state >= DISPATCH__STATE__STATE_NEW && state <= DISPATCH__STATE__STATE_ON_HOLD &&
	       state != DISPATCH__STATE__STATE_CLOSED && state != DISPATCH__STATE__STATE_CANCELLED;
}
const char *dc_event_type_name(int type)
{
	return dc_word(DC_ENUM_EVENT, type);
}
const char *dc_status_name(int status)
{
	return dc_word(DC_ENUM_STATUS, status);
}
const char *dc_source_name(int source)
{
	return dc_word(DC_ENUM_SOURCE, source);
}
const char *dc_role_name(int role)
{
	return dc_word(DC_ENUM_ROLE, role);
}
const char *dc_action_name(int action)
{
	return dc_word(DC_ENUM_ACTION, action);
}
const char *dc_link_name(int link)
{
	return dc_word(DC_ENUM_LINK, link);
}
const char *dc_hold_reason_name(int r)
{
	return dc_word(DC_ENUM_HOLD, r);
}
const char *dc_inspection_name(int r)
{
	return dc_word(DC_ENUM_INSPECTION, r);
}
const char *dc_deadline_name(int d)
{
	return dc_word(DC_ENUM_DEADLINE, d);
}
const char *dc_notice_kind_name(int k)
{
	return dc_word(DC_ENUM_NOTICE, k);
}

int dc_kind_parse(const char *word, Dispatch__Kind *out)
{
	int v;

	if (dc_word_parse(DC_ENUM_KIND, word, 0, &v) < 0)
		return DC_ERR_ARG;
	*out = (Dispatch__Kind)v;
	return 0;
}

int dc_role_parse(const char *word, Dispatch__Role *out)
{
	int v;

	/* "system" is the daemon's own: no client speaks as it. */
	if (dc_word_parse(DC_ENUM_ROLE, word, 0, &v) < 0 || v == DISPATCH__ROLE__ROLE_SYSTEM)
		return DC_ERR_ARG;
	*out = (Dispatch__Role)v;
	return 0;
}

int dc_source_parse(const char *word, Dispatch__Source *out)
{
	int v;

	if (word && (strcasecmp(word, "walkin") == 0 || strcasecmp(word, "walk_in") == 0))
		word = "walk-in";
	if (dc_word_parse(DC_ENUM_SOURCE, word, 0, &v) < 0)
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
	if (dc_word_parse(DC_ENUM_HOLD, word, 0, &v) < 0)
		return DC_ERR_ARG;
	*out = (Dispatch__HoldReason)v;
	return 0;
}

int dc_notice_kind_parse(const char *word, Dispatch__NoticeKind *out)
{
	int v;

	/* 0 ("general") is a real choice here, unlike the other enums. */
	if (dc_word_parse(DC_ENUM_NOTICE, word, 1, &v) < 0)
		return DC_ERR_ARG;
	*out = (Dispatch__NoticeKind)v;
	return 0;
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
	case DISPATCH__STATUS__STATUS_OK: return DC_EXIT_OK;
	case DISPATCH__STATUS__STATUS_INVALID:
	case DISPATCH__STATUS__STATUS_NOT_FOUND:
	case DISPATCH__STATUS__STATUS_CONFLICT:
	case DISPATCH__STATUS__STATUS_FORBIDDEN:
	case DISPATCH__STATUS__STATUS_UNSUPPORTED_VERSION: return DC_EXIT_REFUSED;
	default: /* storage, internal, or a status this client does not know */ return DC_EXIT_UNAVAILABLE;
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
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
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
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
	    (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) ||
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
