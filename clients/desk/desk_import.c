/*
 * desk_import: many tickets from newline-delimited JSON, one request per
 * line, as an intercom system or a script would push them.
 *
 * Each line is checked here first (a JSON object with known keys of the
 * right types), then submitted as its own request, and reported on its
 * own line; a bad line never stops the import. Only an unreachable daemon
 * does: every later line would wait out the same retries. A line may carry
 * "request_id", the idempotency key: importing the same file twice then
 * creates no second ticket.
 */
#include "desk.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dc_json.h"

#define LINE_MAX_BYTES (64 * 1024)
#define TAGS_MAX 16

static const char fields_hint[] =
	"unit, kind, text, source, person, phone, priority, category, tags, request_id, fee, about";

/* One parsed line: the Submit points into the json_t it came from. */
struct line {
	Dispatch__Submit sub;
	char *tags[TAGS_MAX];
	const char *request_id;
	char err[512];
	char field[32];
};

static int bad(struct line *l, const char *field, const char *fmt, const char *arg)
{
	snprintf(l->field, sizeof l->field, "%s", field);
	snprintf(l->err, sizeof l->err, fmt, arg);
	return -1;
}

static int get_string(struct line *l, json_t *v, const char *key, char **out)
{
	if (!json_is_string(v))
		return bad(l, key, "\"%s\" must be a string", key);
	*out = (char *)json_string_value(v);
	return 0;
}

/* Check the object and fill l->sub; -1 with l->err on the first problem. */
static int parse_line(json_t *o, struct line *l)
{
	const char *key;
	json_t *v;
	char *s;

	if (!json_is_object(o))
		return bad(l, "", "%s", "the line is not a JSON object");
	json_object_foreach(o, key, v)
	{
		if (strcmp(key, "unit") == 0) {
			if (get_string(l, v, key, &l->sub.unit) < 0)
				return -1;
		} else if (strcmp(key, "text") == 0) {
			if (get_string(l, v, key, &l->sub.text) < 0)
				return -1;
		} else if (strcmp(key, "person") == 0) {
			if (get_string(l, v, key, &l->sub.person) < 0)
				return -1;
		} else if (strcmp(key, "phone") == 0) {
			if (get_string(l, v, key, &l->sub.phone) < 0)
				return -1;
		} else if (strcmp(key, "category") == 0) {
			if (get_string(l, v, key, &l->sub.category) < 0)
				return -1;
		} else if (strcmp(key, "request_id") == 0) {
			if (get_string(l, v, key, &s) < 0)
				return -1;
			if (!*s || strlen(s) > DC_REQUEST_ID_MAX)
				return bad(l, key, "\"%s\" must be 1 to 64 bytes", key);
			l->request_id = s;
		} else if (strcmp(key, "kind") == 0) {
			Dispatch__Kind k;
			if (get_string(l, v, key, &s) < 0)
				return -1;
			if (dc_kind_parse(s, &k) < 0)
				return bad(l, key,
					   "unknown kind \"%s\" (repair, complaint, special, security, "
					   "cleaning, inquiry, suggestion)",
					   s);
			l->sub.kind = k;
		} else if (strcmp(key, "source") == 0) {
			Dispatch__Source src;
			if (get_string(l, v, key, &s) < 0)
				return -1;
			if (dc_source_parse(s, &src) < 0)
				return bad(l, key, "unknown source \"%s\" (intercom, phone, walk-in, app, sensor)", s);
			l->sub.source = src;
		} else if (strcmp(key, "priority") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 5)
				return bad(l, key, "\"%s\" must be a number from 1 (urgent) to 5 (low)", key);
			l->sub.priority = (uint32_t)json_integer_value(v);
		} else if (strcmp(key, "about") == 0) {
			if (get_string(l, v, key, &l->sub.about_member) < 0)
				return -1;
		} else if (strcmp(key, "asset") == 0) { /* issue 19 */
			if (get_string(l, v, key, &l->sub.asset) < 0)
				return -1;
		} else if (strcmp(key, "fee") == 0) {
			/* HK$ as a string ("350.50") or whole dollars (350); never a
			 * JSON fraction, which is binary and would round. */
			if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= 9999999999LL) {
				l->sub.fee_cents = (int64_t)json_integer_value(v) * 100;
			} else if (!json_is_string(v) || dc_cents_parse(json_string_value(v), &l->sub.fee_cents) < 0 ||
				   l->sub.fee_cents == 0) {
				return bad(l, key,
					   "\"%s\" must be an amount in HK dollars, such as 350 or "
					   "\"350.50\" (a string when it has cents)",
					   key);
			}
		} else if (strcmp(key, "tags") == 0) {
			size_t i;
			json_t *tag;
			if (!json_is_array(v) || json_array_size(v) > TAGS_MAX)
				return bad(l, key, "\"%s\" must be a list of at most 16 strings", key);
			json_array_foreach(v, i, tag)
			{
				if (!json_is_string(tag))
					return bad(l, key, "\"%s\" must be a list of strings", key);
				l->tags[i] = (char *)json_string_value(tag);
			}
			l->sub.tags = l->tags;
			l->sub.n_tags = json_array_size(v);
		} else {
			char msg[160];
			snprintf(msg, sizeof msg, "unknown key \"%%s\" (known: %s)", fields_hint);
			return bad(l, key, msg, key);
		}
	}
	if (!l->sub.unit || !*l->sub.unit)
		return bad(l, "unit", "%s", "\"unit\" is missing");
	if (l->sub.kind == DISPATCH__KIND__KIND_UNSPECIFIED)
		return bad(l, "kind", "%s", "\"kind\" is missing");
	if (!l->sub.text || !*l->sub.text)
		return bad(l, "text", "%s", "\"text\" is missing");
	if (l->sub.fee_cents && l->sub.kind != DISPATCH__KIND__KIND_SPECIAL)
		return bad(l, "fee", "%s", "\"fee\" is for a paid special service (kind special)");
	if (l->sub.about_member && *l->sub.about_member && l->sub.kind != DISPATCH__KIND__KIND_COMPLAINT)
		return bad(l, "about", "%s", "\"about\" names the member a complaint is about (kind complaint)");
	return 0;
}

struct tally {
	unsigned long lines, ok, failed;
};

static void report_fail(const struct desk_opts *o, unsigned long n, const char *status, const char *err,
			const char *field)
{
	if (o->json) {
		json_t *j = json_pack("{s:I, s:b, s:s, s:o, s:o}", "line", (json_int_t)n, "ok", 0, "status", status,
				      "error", dc_json_string(err), "field", dc_json_string(field));
		dc_json_print(stdout, j);
		json_decref(j);
		return;
	}
	printf("line %lu: %sfailed%s: ", n, o->c.red, o->c.off);
	dc_pad(stdout, err, 0);
	if (field && *field) {
		fputs(" (field: ", stdout);
		dc_pad(stdout, field, 0);
		fputs(")", stdout);
	}
	putchar('\n');
}

static void report_ok(const struct desk_opts *o, unsigned long n, const Dispatch__Reply *r)
{
	if (o->json) {
		json_t *j = json_pack("{s:I, s:b}", "line", (json_int_t)n, "ok", 1);
		size_t i;

		if (j && r->ticket)
			json_object_set_new(j, "ticket", dc_json_ticket(r->ticket));
		if (j && r->n_decisions) {
			json_t *a = json_array();
			for (i = 0; a && i < r->n_decisions; i++)
				json_array_append_new(a, dc_json_decision(r->decisions[i]));
			json_object_set_new(j, "decisions", a);
		}
		dc_json_print(stdout, j);
		json_decref(j);
		return;
	}
	if (r->ticket) {
		printf("line %lu: ticket %" PRIu64 " submitted: ", n, r->ticket->id);
		desk_print_destination(r->ticket, r->message);
		return;
	}
	/* --dry-run: where it would go. */
	printf("line %lu: ok, would go to ", n);
	for (size_t i = 0; i < r->n_decisions; i++) {
		const Dispatch__Decision *d = r->decisions[i];
		if (i)
			fputs(" and ", stdout);
		dc_pad(stdout, d->crew, 0);
		putchar('/');
		dc_pad(stdout, d->member && *d->member ? d->member : "(queued)", 0);
		fputs(" (rule ", stdout);
		dc_pad(stdout, d->rule, 0);
		putchar(')');
	}
	if (r->n_decisions == 0)
		fputs("nobody (no rule matched)", stdout);
	putchar('\n');
}

/* Submit (or explain) one parsed line. Returns 0, or the exit code of an
 * unreachable daemon (which ends the import). Counts into t. */
static int send_line(dc_t *dc, const struct desk_opts *o, unsigned long n, struct line *l, struct tally *t)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Explain ex = DISPATCH__EXPLAIN__INIT;
	Dispatch__Reply *r = NULL;
	int rc;

	if (o->dry_run) {
		ex.submit = &l->sub;
		req.body_case = DISPATCH__REQUEST__BODY_EXPLAIN;
		req.explain = &ex;
	} else {
		req.body_case = DISPATCH__REQUEST__BODY_SUBMIT;
		req.submit = &l->sub;
		if (l->request_id)
			req.request_id = (char *)l->request_id;
	}
	rc = dc_request(dc, &req, &r);
	if (rc == DC_ERR_UNREACHABLE || rc == DC_ERR_INTERRUPTED || rc == DC_ERR_SYSTEM) {
		report_fail(o, n, "unreachable", dc_error(dc), "");
		t->failed++;
		return dc_err_exit(rc);
	}
	if (rc < 0) {
		report_fail(o, n, "error", dc_error(dc), "");
		t->failed++;
		return 0;
	}
	if (r->status != DISPATCH__STATUS__STATUS_OK) {
		char msg[1024];
		dc_clean(r->message, msg, sizeof msg);
		report_fail(o, n, dc_status_name(r->status), *msg ? msg : dc_status_name(r->status), r->field);
		/* Storage trouble too is reported and passed: a later line may
		 * go through once the daemon has room again. */
		t->failed++;
	} else {
		report_ok(o, n, r);
		t->ok++;
	}
	dispatch__reply__free_unpacked(r, NULL);
	return 0;
}

int desk_import(dc_t *dc, const struct desk_opts *o)
{
	const char *path = o->n_args ? o->args[0] : "-";
	FILE *in = stdin;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long n = 0;
	struct tally t = { 0, 0, 0 };
	int rc = 0;

	if (strcmp(path, "-") != 0) {
		in = fopen(path, "r");
		if (!in) {
			fprintf(stderr, DESK_PROG ": cannot read %s: %s\n", path, strerror(errno));
			return DC_EXIT_USAGE;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0); /* a pushing system reads as we go */
	while (rc == 0 && (len = getline(&buf, &cap, in)) >= 0) {
		struct line l;
		json_error_t jerr;
		json_t *j;

		n++;
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		if (strspn(buf, " \t") == (size_t)len)
			continue; /* blank lines are not requests */
		t.lines++;
		if (len > LINE_MAX_BYTES) {
			report_fail(o, n, "invalid", "the line is longer than 64 KiB", "");
			t.failed++;
			continue;
		}
		if ((size_t)len != strlen(buf)) {
			report_fail(o, n, "invalid", "the line contains a NUL byte", "");
			t.failed++;
			continue;
		}
		j = json_loads(buf, JSON_REJECT_DUPLICATES, &jerr);
		if (!j) {
			char msg[300];
			snprintf(msg, sizeof msg, "not JSON: %s at column %d", jerr.text, jerr.column);
			report_fail(o, n, "invalid", msg, "");
			t.failed++;
			continue;
		}
		memset(&l, 0, sizeof l);
		dispatch__submit__init(&l.sub);
		if (parse_line(j, &l) < 0) {
			report_fail(o, n, "invalid", l.err, l.field);
			t.failed++;
		} else {
			rc = send_line(dc, o, n, &l, &t);
		}
		json_decref(j);
	}
	if (rc == 0 && ferror(in)) {
		fprintf(stderr, DESK_PROG ": error reading %s: %s\n", path, strerror(errno));
		rc = DC_EXIT_USAGE;
	}
	free(buf);
	if (in != stdin)
		fclose(in);
	if (o->json) {
		json_t *j = json_pack("{s:{s:I, s:I, s:I, s:b}}", "summary", "lines", (json_int_t)t.lines,
				      o->dry_run ? "ok" : "submitted", (json_int_t)t.ok, "failed", (json_int_t)t.failed,
				      "stopped", rc != 0);
		dc_json_print(stdout, j);
		json_decref(j);
	} else {
		printf("import: %lu line%s, %lu %s, %lu failed%s\n", t.lines, t.lines == 1 ? "" : "s", t.ok,
		       o->dry_run ? "ok" : "submitted", t.failed,
		       rc ? "; stopped: the daemon is unreachable, later lines were not sent" : "");
	}
	if (rc)
		return rc;
	return t.failed ? DC_EXIT_REFUSED : DC_EXIT_OK;
}
