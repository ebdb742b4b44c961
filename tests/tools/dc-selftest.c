/*
 * dc-selftest: checks of the client library's pure helpers (display
 * widths, cutting text to columns, times as people type them, a ticket's
 * pending deadline, JSON, key files, time zones), run by the integration tests.
 * Prints one line per failed check and a count; exit 0 only if every
 * check passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <zmq.h>

#include "dc_json.h"
#include "dc_term.h"
#include "dc_time.h"
#include "dispatch_client.h"

static int checks, failed;

#define CHECK(cond, ...)                                                                                               \
	do {                                                                                                           \
		checks++;                                                                                              \
		if (!(cond)) {                                                                                         \
			failed++;                                                                                      \
			printf("dc-selftest: line %d: ", __LINE__);                                                    \
			printf(__VA_ARGS__);                                                                           \
			putchar('\n');                                                                                 \
		}                                                                                                      \
	} while (0)

static int64_t local_ms(int y, int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

static void widths(void)
{
	char buf[64];

	CHECK(dc_width("T07") == 3, "width of T07 is %d", dc_width("T07"));
	CHECK(dc_width("陳大文") == 6, "width of 陳大文 is %d", dc_width("陳大文"));
	CHECK(dc_width("e\xcc\x81") == 1, "a combining accent takes no column: %d", dc_width("e\xcc\x81"));
	CHECK(dc_width("\xff") == 1, "an invalid byte shows as one '?': %d", dc_width("\xff"));
	dc_term_fit("陳大文abc", 5, buf, sizeof buf);
	CHECK(strcmp(buf, "陳大~") == 0 && dc_width(buf) == 5, "fit 5 gave '%s'", buf);
	dc_term_fit("陳大文abc", 6, buf, sizeof buf);
	CHECK(strcmp(buf, "陳大~") == 0, "fit 6 never splits a wide character: '%s'", buf);
	dc_term_fit("short", 10, buf, sizeof buf);
	CHECK(strcmp(buf, "short") == 0, "fit of a short text changed it: '%s'", buf);
	dc_term_fit("a\x1b[31mb", 20, buf, sizeof buf);
	CHECK(strchr(buf, 0x1b) == NULL, "an escape sequence reached the terminal: '%s'", buf);
	CHECK(dc_term_color(1, "always") == 1 && dc_term_color(1, "never") == 0 && dc_term_color(1, "sometimes") < 0,
	      "colour words");
}

static void times(void)
{
	int64_t now = local_ms(2026, 11, 30, 10, 0), t = 0;
	char buf[32];

	CHECK(dc_time_parse("2026-11-30T12:30", now, &t) == 0 && t == local_ms(2026, 11, 30, 12, 30), "ISO time");
	CHECK(dc_time_parse("2026-11-30 12:30", now, &t) == 0 && t == local_ms(2026, 11, 30, 12, 30),
	      "ISO time with a blank");
	CHECK(dc_time_parse("09:15", now, &t) == 0 && t == local_ms(2026, 11, 30, 9, 15), "HH:MM is on the day of now");
	CHECK(dc_time_parse("now", now, &t) == 0 && t == now, "now");
	CHECK(dc_time_parse("25:00", now, &t) < 0, "25:00 accepted");
	CHECK(dc_time_parse("2026-02-30T10:00", now, &t) < 0, "30 February accepted");
	CHECK(dc_time_parse("12:30pm", now, &t) < 0, "trailing junk accepted");
	CHECK(strcmp(dc_time_span(65000, buf, sizeof buf), "1:05") == 0, "span 65 s: %s", buf);
	CHECK(strcmp(dc_time_span(-65000, buf, sizeof buf), "1:05") == 0, "span -65 s: %s", buf);
	CHECK(strcmp(dc_time_span(3 * 3600000 + 5 * 60000, buf, sizeof buf), "3h05") == 0, "span 3h05: %s", buf);
	CHECK(strcmp(dc_time_span(2 * 86400000LL + 3 * 3600000, buf, sizeof buf), "2d03h") == 0, "span 2d03h: %s", buf);
}

static void deadlines(void)
{
	Dispatch__Ticket t = DISPATCH__TICKET__INIT;
	int64_t now = local_ms(2026, 11, 30, 10, 0);
	struct dc_due d;

	t.state = DISPATCH__STATE__STATE_ASSIGNED;
	CHECK(dc_time_due(&t, now, &d) == 0, "a ticket without deadlines has one");
	t.acknowledge_by_ms = now + 60000;
	t.arrive_by_ms = now + 1800000;
	t.resolve_by_ms = now + 7200000;
	CHECK(dc_time_due(&t, now, &d) == 1 && strcmp(d.abbrev, "ack") == 0 && !d.overdue,
	      "assigned: acknowledge is next");
	CHECK(dc_time_due(&t, now + 120000, &d) == 1 && strcmp(d.abbrev, "ack") == 0 && d.overdue,
	      "assigned, two minutes on: acknowledge is overdue");
	t.state = DISPATCH__STATE__STATE_ACCEPTED;
	CHECK(dc_time_due(&t, now + 120000, &d) == 1 && strcmp(d.abbrev, "arr") == 0 && !d.overdue,
	      "accepted: arrive is next, the acknowledge deadline no longer counts");
	t.state = DISPATCH__STATE__STATE_ON_SITE;
	CHECK(dc_time_due(&t, now + 8000000, &d) == 1 && strcmp(d.abbrev, "res") == 0 && d.overdue,
	      "on site, late: resolve is overdue");
	t.state = DISPATCH__STATE__STATE_RESOLVED;
	CHECK(dc_time_due(&t, now + 8000000, &d) == 0, "a resolved ticket is never overdue");
	t.follow_up_by_ms = now + 86400000;
	t.due_ms = t.follow_up_by_ms;
	CHECK(dc_time_due(&t, now + 8000000, &d) == 1 && strcmp(d.abbrev, "fup") == 0 && !d.overdue,
	      "resolved, the call back awaited: follow-up is next");
	t.due_ms = 0;
	CHECK(dc_time_due(&t, now + 8000000, &d) == 0, "resolved and called back: nothing pending");
	t.state = DISPATCH__STATE__STATE_ON_HOLD;
	CHECK(dc_time_due(&t, now + 8000000, &d) == 0, "a held ticket's deadlines are paused");
}

static void words_and_json(void)
{
	Dispatch__Ticket t = DISPATCH__TICKET__INIT;
	Dispatch__Kind k;
	json_t *j;

	CHECK(strcmp(dc_event_type_name(DISPATCH__EVENT_TYPE__EVENT_ESCALATED), "escalated") == 0, "escalated");
	CHECK(strcmp(dc_event_type_name(DISPATCH__EVENT_TYPE__EVENT_OUTAGE), "outage") == 0, "outage");
	CHECK(strcmp(dc_action_name(DISPATCH__ACTION__ACTION_ASSIGN), "assign") == 0, "assign");
	CHECK(dc_kind_parse("Repair", &k) == 0 && k == DISPATCH__KIND__KIND_REPAIR, "kind words");
	CHECK(strcmp(dc_state_name(DISPATCH__STATE__STATE_ON_HOLD), "on hold") == 0, "on hold");
	CHECK(strcmp(dc_event_type_name(DISPATCH__EVENT_TYPE__EVENT_NOTICE), "notice") == 0, "notice");
	CHECK(strcmp(dc_action_name(DISPATCH__ACTION__ACTION_REVIEW_VENDOR), "review vendor") == 0, "review vendor");
	CHECK(strcmp(dc_deadline_name(DISPATCH__DEADLINE__DEADLINE_FOLLOW_UP), "follow-up") == 0, "follow-up");
	/* the words are derived from the descriptors; these are the ones the
	 * derivation alone would get wrong, or where '_' reads as '-' */
	CHECK(strcmp(dc_source_name(DISPATCH__SOURCE__SOURCE_WALK_IN), "walk-in") == 0, "walk-in");
	CHECK(strcmp(dc_state_name(DISPATCH__STATE__STATE_ON_SITE), "on site") == 0, "on site");
	CHECK(strcmp(dc_status_name(DISPATCH__STATUS__STATUS_STORAGE), "storage error") == 0, "storage error");
	CHECK(strcmp(dc_status_name(DISPATCH__STATUS__STATUS_NOT_FOUND), "not found") == 0, "not found");
	CHECK(strcmp(dc_action_name(DISPATCH__ACTION__ACTION_FOLLOW_UP), "follow-up") == 0, "action follow-up");
	CHECK(strcmp(dc_hold_reason_name(DISPATCH__HOLD_REASON__HOLD_RESIDENT_AWAY), "resident-away") == 0,
	      "resident-away");
	CHECK(strcmp(dc_event_type_name(DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT), "heartbeat") == 0, "heartbeat");
	CHECK(strcmp(dc_kind_name(-1), "unknown") == 0 && strcmp(dc_event_type_name(99), "unknown") == 0,
	      "values the proto does not have");
	{
		Dispatch__Role r;
		Dispatch__Source src;
		int widest = 0;

		CHECK(dc_role_parse("system", &r) < 0 && dc_role_parse("QC", &r) == 0 && r == DISPATCH__ROLE__ROLE_QC,
		      "role words");
		CHECK(dc_source_parse("Walk-In", &src) == 0 && src == DISPATCH__SOURCE__SOURCE_WALK_IN &&
			      dc_source_parse("unspecified", &src) < 0,
		      "source words");
		for (unsigned i = 0; i < dispatch__event_type__descriptor.n_values; i++) {
			int w = dc_width(dc_event_type_name(dispatch__event_type__descriptor.values[i].value));
			widest = w > widest ? w : widest;
		}
		CHECK(widest == DC_EVENT_NAME_WIDTH,
		      "the widest event word takes %d columns, DC_EVENT_NAME_WIDTH says %d", widest,
		      DC_EVENT_NAME_WIDTH);
	}
	{
		Dispatch__HoldReason hr;
		Dispatch__NoticeKind nk;

		CHECK(dc_hold_reason_parse("resident-away", &hr) == 0 &&
			      hr == DISPATCH__HOLD_REASON__HOLD_RESIDENT_AWAY,
		      "hold reason words");
		CHECK(dc_hold_reason_parse("consent", &hr) < 0, "consent is the daemon's hold, not a person's");
		CHECK(dc_notice_kind_parse("general", &nk) == 0 && nk == DISPATCH__NOTICE_KIND__NOTICE_GENERAL,
		      "general is a notice kind although it is the zero value");
	}
	{
		static const struct {
			const char *s;
			int64_t cents;
		} ok[] = {
			{ "350", 35000 },  { "350.5", 35050 }, { "350.50", 35050 },
			{ "HK$0.99", 99 }, { "$12", 1200 },    { "0", 0 },
		};
		static const char *const bad[] = {
			"", "-1", "3.505", "350.", ".5", "1e3", "12345678901", "35 0", "HK$"
		};
		char buf[32];
		int64_t c;
		size_t i;

		for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
			CHECK(dc_cents_parse(ok[i].s, &c) == 0 && c == ok[i].cents, ok[i].s);
		for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
			CHECK(dc_cents_parse(bad[i], &c) < 0, bad[i]);
		CHECK(strcmp(dc_format_cents(35050, buf, sizeof buf), "HK$350.50") == 0, "HK$350.50");
		CHECK(strcmp(dc_format_cents(5, buf, sizeof buf), "HK$0.05") == 0, "HK$0.05");
	}
	t.id = 7;
	t.unit = (char *)"12-1A";
	t.person = (char *)"陳大文";
	t.text = (char *)"bad \xff byte";
	j = dc_json_ticket(&t);
	CHECK(j && json_integer_value(json_object_get(j, "id")) == 7, "ticket id in JSON");
	CHECK(j && strcmp(json_string_value(json_object_get(j, "person")), "陳大文") == 0, "UTF-8 kept");
	CHECK(j && strcmp(json_string_value(json_object_get(j, "text")), "bad ? byte") == 0,
	      "invalid UTF-8 is cleaned, not dropped");
	json_decref(j);
}

/* Write text as a key file (mode 0600) in dir; its path in path. */
static void key_file(const char *dir, const char *name, const char *text, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path, 0600);
}

/* The client reads key files with the daemon's reader (keyfile.c): what
 * the daemon refuses, the client refuses too, and says which file. */
static void keys(void)
{
	char dir[] = "/tmp/dc-selftest.XXXXXX", pub[41], sec[41], pub2[41], sec2[41];
	char text[256], good[300], srv[300], bad[300];
	dc_t *dc;
	int rc;

	if (!mkdtemp(dir) || zmq_curve_keypair(pub, sec) != 0 || zmq_curve_keypair(pub2, sec2) != 0) {
		CHECK(0, "cannot make keys to test with");
		return;
	}
	snprintf(text, sizeof text, "public-key = %s\nsecret-key = %s\n", pub, sec);
	key_file(dir, "me.key", text, good, sizeof good);
	snprintf(text, sizeof text, "public-key = %s\n", pub2);
	key_file(dir, "server.pub", text, srv, sizeof srv);
	dc = dc_new("ipc:///nonexistent/dc-selftest", NULL, DISPATCH__ROLE__ROLE_DESK, NULL);
	rc = dc ? dc_set_keys(dc, good, srv) : -1;
	CHECK(rc == 0, "a good key pair was refused: %s", dc_error(dc));
	snprintf(text, sizeof text, "public-key = %s\nsecret-key = %s\n", pub, sec2);
	key_file(dir, "mixed.key", text, bad, sizeof bad);
	rc = dc ? dc_set_keys(dc, bad, NULL) : -1;
	CHECK(rc == DC_ERR_ARG && strncmp(dc_error(dc), "key ", 4) == 0 && strstr(dc_error(dc), "mixed.key") &&
		      strstr(dc_error(dc), "does not belong"),
	      "halves of two pairs: %d %s", rc, dc_error(dc));
	snprintf(text, sizeof text, "public-key = %s\nsecret = %s\n", pub, sec);
	key_file(dir, "typo.key", text, bad, sizeof bad);
	rc = dc ? dc_set_keys(dc, bad, NULL) : -1;
	CHECK(rc == DC_ERR_ARG && strstr(dc_error(dc), "typo.key:2: unknown setting 'secret'"),
	      "an unknown setting: %d %s", rc, dc_error(dc));
	rc = dc ? dc_set_keys(dc, good, good) : -1;
	CHECK(rc == 0, "a whole key pair as the server key (only its public half is used): %s", dc_error(dc));
	dc_destroy(&dc);
	snprintf(text, sizeof text, "rm -rf '%s'", dir);
	CHECK(system(text) == 0, "cannot clean %s", dir);
}

/* Last: it sets this process's time zone (TZ) for good. */
static void zones(void)
{
	const char *bad[] = { "",
			      "/etc/passwd",
			      "../../etc/passwd",
			      "Asia/../Asia/Hong_Kong",
			      "-x",
			      "Asia",
			      "Asia/Hong Kong",
			      "Asia/Hong_Kong;x",
			      "No/Such_Zone",
			      "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/B" };
	char buf[32];
	int64_t t;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(dc_time_use_zone(bad[i]) < 0 && dc_time_zone() == NULL, "zone '%s' taken", bad[i]);
	CHECK(dc_time_use_zone(NULL) < 0, "a NULL zone taken");
	CHECK(dc_time_use_zone("Asia/Hong_Kong") == 0 && dc_time_zone() &&
		      strcmp(dc_time_zone(), "Asia/Hong_Kong") == 0,
	      "Asia/Hong_Kong refused");
	/* 2026-11-30 12:00 in Hong Kong is 04:00 UTC */
	CHECK(dc_time_parse("2026-11-30T12:00", 0, &t) == 0 && t == 1796011200000LL, "noon in Hong Kong: %lld",
	      (long long)t);
	CHECK(strcmp(dc_time_short(1796011200000LL, 1796011200000LL, buf, sizeof buf), "12:00") == 0,
	      "Hong Kong's noon shown as %s", buf);
	/* ... and 17:00 UTC in New York (EST) */
	CHECK(dc_time_use_zone("America/New_York") == 0, "America/New_York refused");
	CHECK(dc_time_parse("2026-11-30T12:00", 0, &t) == 0 && t == 1796058000000LL, "noon in New York: %lld",
	      (long long)t);
	CHECK(dc_time_use_zone("nope/../x") < 0 && strcmp(dc_time_zone(), "America/New_York") == 0,
	      "a refused zone changed the one in use");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		printf("usage: dc-selftest\nChecks the client library's helpers; exit 0 if all pass.\n");
		return 0;
	}
	widths();
	times();
	deadlines();
	words_and_json();
	keys();
	zones();
	printf("dc-selftest: %d checks, %d failed\n", checks, failed);
	return failed ? 1 : 0;
}
