/*
 * config: libcyaml schema for dispatchd.yaml and the checks after loading.
 * The schema below is the reference for the file format; README's
 * configuration section follows it.
 *
 * One pass names every problem: config_vet.c first walks the file's
 * structure against this schema (wrong keys, types, values, counts), and
 * the checks after loading (an unknown crew in a rule, a bad duration)
 * run as well, on a repaired copy if the structure was wrong. A libyaml
 * pass over the same text maps each node's path ("rules[2].crew") to its
 * position; when the walk cannot run (aliases), libcyaml's first problem
 * is folded by config_cyaml_log() into one "FILE:L:C: message" line.
 *
 * Over 800 lines, for a reason: the schema tables are the file format's
 * reference, and the checks after loading name the same paths; split, a
 * field's schema and its check would live apart (issue 16). The unit
 * register's lookups are config_unit.c; the structure walk config_vet.c.
 */
#include "config.h"

#include <ctype.h>
#include <cyaml/cyaml.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "calendar.h"
#include "plan.h"
#include "config_impl.h"
#include "dispatch.pb-c.h"
#include "xalloc.h"

extern const char config_sample[];
extern const size_t config_sample_len;

/* ---- schema ----------------------------------------------------------- */

static const cyaml_strval_t config_kind_names[] = {
	{ "repair", DISPATCH__KIND__KIND_REPAIR },         { "complaint", DISPATCH__KIND__KIND_COMPLAINT },
	{ "special", DISPATCH__KIND__KIND_SPECIAL },       { "security", DISPATCH__KIND__KIND_SECURITY },
	{ "cleaning", DISPATCH__KIND__KIND_CLEANING },     { "inquiry", DISPATCH__KIND__KIND_INQUIRY },
	{ "suggestion", DISPATCH__KIND__KIND_SUGGESTION },
};

static const cyaml_strval_t config_source_names[] = {
	{ "intercom", DISPATCH__SOURCE__SOURCE_INTERCOM }, { "phone", DISPATCH__SOURCE__SOURCE_PHONE },
	{ "walk-in", DISPATCH__SOURCE__SOURCE_WALK_IN },   { "app", DISPATCH__SOURCE__SOURCE_APP },
	{ "sensor", DISPATCH__SOURCE__SOURCE_SENSOR },
};

const cyaml_strval_t config_day_names[] = {
	{ "sun", CONFIG_DAY(0) },         { "mon", CONFIG_DAY(1) }, { "tue", CONFIG_DAY(2) },
	{ "wed", CONFIG_DAY(3) },         { "thu", CONFIG_DAY(4) }, { "fri", CONFIG_DAY(5) },
	{ "sat", CONFIG_DAY(6) },         { "weekdays", 0x3e },     { "weekend", CONFIG_DAY(0) | CONFIG_DAY(6) },
	{ "every-day", CONFIG_ALL_DAYS },
};

static const cyaml_strval_t config_escalation_names[] = {
	{ "next-member", CONFIG_ESC_NEXT_MEMBER },
	{ "supervisor", CONFIG_ESC_SUPERVISOR },
	{ "control-center", CONFIG_ESC_CONTROL_CENTER },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const cyaml_schema_value_t config_string_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, 64),
};
static const cyaml_schema_value_t config_kind_entry = {
	CYAML_VALUE_ENUM(CYAML_FLAG_STRICT, int, config_kind_names, N(config_kind_names)),
};
static const cyaml_schema_value_t config_source_entry = {
	CYAML_VALUE_ENUM(CYAML_FLAG_STRICT, int, config_source_names, N(config_source_names)),
};
static const cyaml_schema_value_t config_escalation_entry = {
	CYAML_VALUE_ENUM(CYAML_FLAG_STRICT, int, config_escalation_names, N(config_escalation_names)),
};
static const cyaml_schema_value_t config_priority_entry = {
	CYAML_VALUE_UINT(CYAML_FLAG_DEFAULT, unsigned),
};

static const cyaml_schema_field_t config_shift_fields[] = {
	CYAML_FIELD_FLAGS("days", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, struct config_shift, days, config_day_names,
			  N(config_day_names)),
	CYAML_FIELD_STRING_PTR("hours", CYAML_FLAG_POINTER, struct config_shift, hours, 1, 32), CYAML_FIELD_END
};
static const cyaml_schema_value_t config_shift_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct config_shift, config_shift_fields),
};

static const cyaml_schema_field_t config_member_fields[] = {
	CYAML_FIELD_STRING_PTR("id", CYAML_FLAG_POINTER, struct config_member, id, 1, 32),
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, struct config_member, name, 1, 128),
	CYAML_FIELD_SEQUENCE("skills", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_member, skills,
			     &config_string_entry, 0, 32),
	CYAML_FIELD_STRING_PTR("zone", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_member, zone, 1, 32),
	CYAML_FIELD_SEQUENCE("shifts", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_member, shifts,
			     &config_shift_entry, 0, 32),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t config_member_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct config_member, config_member_fields),
};

static const cyaml_schema_field_t config_crew_fields[] = {
	CYAML_FIELD_STRING_PTR("id", CYAML_FLAG_POINTER, struct config_crew, id, 1, 32),
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, struct config_crew, name, 1, 128),
	CYAML_FIELD_STRING_PTR("supervisor", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_crew, supervisor,
			       1, 32),
	CYAML_FIELD_BOOL("outsourced", CYAML_FLAG_OPTIONAL, struct config_crew, outsourced),
	CYAML_FIELD_STRING_PTR("phone", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_crew, phone, 1, 32),
	CYAML_FIELD_SEQUENCE("members", CYAML_FLAG_POINTER, struct config_crew, members, &config_member_entry, 1, 1000),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t config_crew_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct config_crew, config_crew_fields),
};

static const cyaml_schema_field_t config_zone_fields[] = {
	CYAML_FIELD_STRING_PTR("id", CYAML_FLAG_POINTER, struct config_zone, id, 1, 32),
	CYAML_FIELD_SEQUENCE("buildings", CYAML_FLAG_POINTER, struct config_zone, buildings, &config_string_entry, 1,
			     1000),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t config_zone_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct config_zone, config_zone_fields),
};

static const cyaml_schema_field_t config_match_fields[] = {
	CYAML_FIELD_SEQUENCE("kinds", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_match, kinds,
			     &config_kind_entry, 0, 16),
	CYAML_FIELD_SEQUENCE("categories", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_match, categories,
			     &config_string_entry, 0, 256),
	CYAML_FIELD_SEQUENCE("tags", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_match, tags,
			     &config_string_entry, 0, 256),
	CYAML_FIELD_SEQUENCE("buildings", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_match, buildings,
			     &config_string_entry, 0, 1000),
	CYAML_FIELD_SEQUENCE("zones", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_match, zones,
			     &config_string_entry, 0, 256),
	CYAML_FIELD_SEQUENCE("units", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_match, units,
			     &config_string_entry, 0, 1000),
	CYAML_FIELD_SEQUENCE("sources", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_match, sources,
			     &config_source_entry, 0, 8),
	CYAML_FIELD_SEQUENCE("priorities", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_match, priorities,
			     &config_priority_entry, 0, 5),
	CYAML_FIELD_FLAGS("days", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, struct config_match, days, config_day_names,
			  N(config_day_names)),
	CYAML_FIELD_STRING_PTR("hours", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_match, hours, 1, 32),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t config_deadline_fields[] = {
	CYAML_FIELD_STRING_PTR("acknowledge", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_deadlines,
			       acknowledge, 1, 16),
	CYAML_FIELD_STRING_PTR("arrive", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_deadlines, arrive, 1,
			       16),
	CYAML_FIELD_STRING_PTR("resolve", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_deadlines, resolve, 1,
			       16),
	CYAML_FIELD_STRING_PTR("follow_up", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_deadlines,
			       follow_up, 1, 16),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t config_rule_fields[] = {
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, struct config_rule, name, 1, 64),
	CYAML_FIELD_MAPPING_PTR("match", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_rule, match,
				config_match_fields),
	CYAML_FIELD_STRING_PTR("crew", CYAML_FLAG_POINTER, struct config_rule, crew, 1, 32),
	CYAML_FIELD_STRING_PTR("skill", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_rule, skill, 1, 64),
	CYAML_FIELD_UINT("priority", CYAML_FLAG_OPTIONAL, struct config_rule, priority),
	CYAML_FIELD_MAPPING_PTR("deadlines", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_rule, deadlines,
				config_deadline_fields),
	CYAML_FIELD_SEQUENCE("escalation", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_rule, escalation,
			     &config_escalation_entry, 0, 8),
	CYAML_FIELD_STRING_PTR("escalation_every", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_rule,
			       escalation_every, 1, 16),
	CYAML_FIELD_BOOL("follow_up", CYAML_FLAG_OPTIONAL, struct config_rule, follow_up),
	CYAML_FIELD_BOOL("inspection", CYAML_FLAG_OPTIONAL, struct config_rule, inspection),
	CYAML_FIELD_UINT("inspection_sample", CYAML_FLAG_OPTIONAL, struct config_rule, inspection_sample),
	CYAML_FIELD_BOOL("continue", CYAML_FLAG_OPTIONAL, struct config_rule, cont),
	CYAML_FIELD_STRING_PTR("calendar", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_rule, calendar, 1,
			       32),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t config_rule_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct config_rule, config_rule_fields),
};

static const cyaml_schema_field_t config_listen_fields[] = {
	CYAML_FIELD_STRING_PTR("request", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_listen, request, 1,
			       256),
	CYAML_FIELD_STRING_PTR("events", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_listen, events, 1,
			       256),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t config_presence_fields[] = {
	CYAML_FIELD_BOOL("require_online", CYAML_FLAG_OPTIONAL, struct config_presence, require_online),
	CYAML_FIELD_UINT("online_window", CYAML_FLAG_OPTIONAL, struct config_presence, online_window), CYAML_FIELD_END
};

static const cyaml_schema_field_t config_security_fields[] = {
	CYAML_FIELD_STRING_PTR("server_key", CYAML_FLAG_POINTER, struct config_security, server_key, 1, 1024),
	CYAML_FIELD_STRING_PTR("clients", CYAML_FLAG_POINTER, struct config_security, clients, 1, 1024),
	CYAML_FIELD_BOOL("generate", CYAML_FLAG_OPTIONAL, struct config_security, generate), CYAML_FIELD_END
};

/* The unit register: one unit in full, a pattern, or a block of a
 * building's floors and flats (config.h, struct config_unit). */
static const cyaml_schema_field_t config_unit_fields[] = {
	CYAML_FIELD_STRING_PTR("unit", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_unit, unit, 1, 32),
	CYAML_FIELD_STRING_PTR("pattern", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_unit, pattern, 1, 32),
	CYAML_FIELD_STRING_PTR("building", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_unit, building, 1,
			       16),
	CYAML_FIELD_STRING_PTR("floors", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_unit, floors, 1, 16),
	CYAML_FIELD_STRING_PTR("flats", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_unit, flats, 1, 8),
	CYAML_FIELD_STRING_PTR("resident", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_unit, resident, 1,
			       128),
	CYAML_FIELD_STRING_PTR("phone", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_unit, phone, 1, 32),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t config_unit_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct config_unit, config_unit_fields),
};

static const cyaml_schema_field_t config_residents_fields[] = {
	CYAML_FIELD_STRING_PTR("page_url", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_residents, page_url,
			       1, 200),
	CYAML_FIELD_BOOL("show_member_name", CYAML_FLAG_OPTIONAL, struct config_residents, show_member_name),
	CYAML_FIELD_END
};

/* Issue 19: working-hours calendars (calendar.h). */
static const cyaml_schema_field_t config_calendar_hours_fields[] = {
	CYAML_FIELD_FLAGS("days", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, struct config_calendar_hours, days,
			  config_day_names, N(config_day_names)),
	CYAML_FIELD_STRING_PTR("hours", CYAML_FLAG_POINTER, struct config_calendar_hours, hours, 1, 32), CYAML_FIELD_END
};
static const cyaml_schema_value_t config_calendar_hours_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct config_calendar_hours, config_calendar_hours_fields),
};
static const cyaml_schema_field_t config_calendar_fields[] = {
	CYAML_FIELD_STRING_PTR("id", CYAML_FLAG_POINTER, struct config_calendar, id, 1, 32),
	CYAML_FIELD_SEQUENCE("hours", CYAML_FLAG_POINTER, struct config_calendar, hours, &config_calendar_hours_entry,
			     1, 32),
	CYAML_FIELD_SEQUENCE("holidays", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_calendar, holidays,
			     &config_string_entry, 0, CONFIG_CALENDAR_HOLIDAYS),
	CYAML_FIELD_STRING_PTR("day", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_calendar, day, 1, 16),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t config_calendar_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct config_calendar, config_calendar_fields),
};

/* Issue 19: planned work (plan.h). */
static const cyaml_schema_field_t config_schedule_fields[] = {
	CYAML_FIELD_STRING_PTR("id", CYAML_FLAG_POINTER, struct config_schedule, id, 1, 32),
	CYAML_FIELD_STRING_PTR("rrule", CYAML_FLAG_POINTER, struct config_schedule, rrule, 1, 512),
	CYAML_FIELD_STRING_PTR("start", CYAML_FLAG_POINTER, struct config_schedule, start, 1, 32),
	CYAML_FIELD_ENUM("kind", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, struct config_schedule, kind,
			 config_kind_names, N(config_kind_names)),
	CYAML_FIELD_STRING_PTR("category", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_schedule, category,
			       1, 64),
	CYAML_FIELD_STRING_PTR("text", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_schedule, text, 1, 500),
	CYAML_FIELD_UINT("priority", CYAML_FLAG_OPTIONAL, struct config_schedule, priority),
	CYAML_FIELD_STRING_PTR("crew", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_schedule, crew, 1, 32),
	CYAML_FIELD_STRING_PTR("skill", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_schedule, skill, 1, 64),
	CYAML_FIELD_STRING_PTR("calendar", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_schedule, calendar,
			       1, 32),
	CYAML_FIELD_MAPPING_PTR("deadlines", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_schedule,
				deadlines, config_deadline_fields),
	CYAML_FIELD_SEQUENCE("units", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_schedule, units,
			     &config_string_entry, 0, 10000),
	CYAML_FIELD_SEQUENCE("buildings", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_schedule, buildings,
			     &config_string_entry, 0, 1000),
	CYAML_FIELD_SEQUENCE("assets", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_schedule, assets,
			     &config_string_entry, 0, 10000),
	CYAML_FIELD_SEQUENCE("asset_kinds", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_schedule,
			     asset_kinds, &config_string_entry, 0, 64),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t config_schedule_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct config_schedule, config_schedule_fields),
};

static const cyaml_schema_field_t config_top_fields[] = {
	CYAML_FIELD_STRING_PTR("estate", CYAML_FLAG_POINTER, config_t, estate, 1, 128),
	CYAML_FIELD_STRING_PTR("timezone", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t, timezone, 1, 64),
	CYAML_FIELD_STRING_PTR("language", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t, language, 1, 16),
	CYAML_FIELD_MAPPING_PTR("listen", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t, listen,
				config_listen_fields),
	CYAML_FIELD_MAPPING_PTR("presence", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t, presence,
				config_presence_fields),
	CYAML_FIELD_STRING_PTR("duplicate_window", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t, duplicate_window,
			       1, 16),
	CYAML_FIELD_STRING_PTR("idempotency_window", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t,
			       idempotency_window, 1, 16),
	CYAML_FIELD_UINT("follow_up_threshold", CYAML_FLAG_OPTIONAL, config_t, follow_up_threshold),
	CYAML_FIELD_STRING_PTR("desk_supervisor", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t, desk_supervisor,
			       1, 32),
	CYAML_FIELD_SEQUENCE("zones", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t, zones, &config_zone_entry, 0,
			     256),
	CYAML_FIELD_SEQUENCE("crews", CYAML_FLAG_POINTER, config_t, crews, &config_crew_entry, 1, 100),
	CYAML_FIELD_SEQUENCE("rules", CYAML_FLAG_POINTER, config_t, rules, &config_rule_entry, 1, 1000),
	CYAML_FIELD_MAPPING_PTR("security", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t, security,
				config_security_fields),
	CYAML_FIELD_SEQUENCE("units", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t, units, &config_unit_entry, 0,
			     100000),
	CYAML_FIELD_MAPPING_PTR("residents", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t, residents,
				config_residents_fields),
	CYAML_FIELD_SEQUENCE("calendars", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t, calendars,
			     &config_calendar_entry, 0, 64),
	CYAML_FIELD_SEQUENCE("schedules", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t, schedules,
			     &config_schedule_entry, 0, 1000),
	/* issue 19: equipment and costs (config_asset.c) */
	CYAML_FIELD_SEQUENCE("assets", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t, assets, &config_asset_entry,
			     0, 100000),
	CYAML_FIELD_SEQUENCE("parts", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t, parts, &config_part_entry, 0,
			     10000),
	CYAML_FIELD_STRING_PTR("labour_rate", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t, labour_rate, 1, 16),
	CYAML_FIELD_END
};
const cyaml_schema_value_t config_top_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, config_t, config_top_fields),
};

/* ---- error collection ------------------------------------------------- */

struct config_pos {
	char *path;
	char *value; /* a scalar's text (NULL for keys, mappings and lists) */
	int line, col;
};

struct config_positions {
	struct config_pos *v;
	size_t n, cap;
	int err_line, err_col; /* where libyaml gave up on the text (0: it did not) */
	char err[160];         /* and why */
};

void config_append(struct config_errbuf *e, const char *fmt, ...)
{
	size_t used = strlen(e->buf);
	va_list ap;

	if (used + 1 >= e->len)
		return;
	va_start(ap, fmt);
	vsnprintf(e->buf + used, e->len - used, fmt, ap);
	va_end(ap);
}

/* libcyaml places an unexpected key at its mapping; find the key itself. */
static void config_locate_key(const struct config_errbuf *e, int *line, int *col)
{
	char kpath[96];
	int best = 0;

	if (e->ps == NULL || e->pending_key[0] == '\0')
		return;
	snprintf(kpath, sizeof kpath, "@key:%s", e->pending_key);
	for (size_t i = 0; i < e->ps->n; i++)
		if (strcmp(e->ps->v[i].path, kpath) == 0 && e->ps->v[i].line >= *line &&
		    (best == 0 || e->ps->v[i].line < best)) {
			best = e->ps->v[i].line;
			*col = e->ps->v[i].col;
		}
	if (best)
		*line = best;
}

/* A message libcyaml gave without a backtrace: libyaml's own (the text is
 * not YAML: the scan knows where it stopped), or one about the document's
 * top (its first node). */
static void config_locate_top(const struct config_errbuf *e, int *line, int *col)
{
	if (e->ps == NULL)
		return;
	if (e->pending_yaml) {
		*line = e->ps->err_line;
		*col = e->ps->err_col;
		return;
	}
	for (size_t i = 0; i < e->ps->n; i++)
		if (e->ps->v[i].path[0] == '\0') {
			*line = e->ps->v[i].line;
			*col = e->ps->v[i].col;
			return;
		}
}

/* libcyaml's words, when its message is the one reported (a file with
 * anchors and aliases, which the structure walk leaves to it), in ours. */
static void config_cyaml_words(const char *msg, char *out, size_t len)
{
	char a[32] = "", b[32] = "";
	int n = 0;

	if (strncmp(msg, "Unexpected key: ", 16) == 0)
		snprintf(out, len, "unknown setting '%s' here", msg + 16);
	else if (strncmp(msg, "Invalid ENUM value: ", 20) == 0)
		snprintf(out, len, "unknown value '%s' (see the configuration reference)", msg + 20);
	else if (strncmp(msg, "Unknown flag: ", 14) == 0)
		snprintf(out, len,
			 "unknown day '%s'; expected mon, tue, wed, thu, fri, sat, sun, weekdays, weekend or every-day",
			 msg + 14);
	else if (strncmp(msg, "Missing required mapping field: ", 32) == 0)
		snprintf(out, len, "'%s' is missing here (it is required)", msg + 32);
	else if (sscanf(msg, "Expecting %31[A-Z_], got event: %31[A-Z_]", a, b) == 2)
		snprintf(out, len, "expected %s here, not %s",
			 strcmp(a, "MAPPING") == 0    ? "a mapping (\"key: value\" lines)"
			 : strcmp(a, "SEQUENCE") == 0 ? "a list"
						      : "a single value",
			 strncmp(b, "MAPPING", 7) == 0    ? "a mapping"
			 : strncmp(b, "SEQUENCE", 8) == 0 ? "a list"
							  : "a single value");
	else if (sscanf(msg, "STRING length < %d", &n) == 1)
		snprintf(out, len, "expected at least %d characters here", n);
	else if (sscanf(msg, "STRING length > %d", &n) == 1)
		snprintf(out, len, "too long: at most %d bytes here", n);
	else if (strncmp(msg, "libyaml: ", 9) == 0)
		snprintf(out, len, "%s", config_vet_yaml_problem(msg + 9));
	else
		snprintf(out, len, "not accepted here (%.400s)", msg);
}

static void config_flush_pending(struct config_errbuf *e, int line, int col)
{
	if (e->pending[0] == '\0')
		return;
	if (line == 0)
		config_locate_top(e, &line, &col);
	if (line > 0)
		config_locate_key(e, &line, &col);
	if (line > 0)
		config_append(e, "%s:%d:%d: %s\n", e->name, line, col, e->pending);
	else
		config_append(e, "%s: %s\n", e->name, e->pending);
	e->pending[0] = '\0';
	e->problems++;
}

static void config_cyaml_log(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	struct config_errbuf *e = ctx;
	char msg[512], *p;
	size_t n;
	int line, col;

	if (level < CYAML_LOG_ERROR)
		return;
	vsnprintf(msg, sizeof msg, fmt, args);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	p = msg;
	if (strncmp(p, "Load: ", 6) == 0)
		p += 6;
	if (strcmp(p, "Backtrace:") == 0)
		return;
	if (strncmp(p, "  in ", 5) == 0) {
		/* The first backtrace line is the innermost node: its position. */
		char *pos = strstr(p, "(line: ");
		if (pos && sscanf(pos, "(line: %d, column: %d)", &line, &col) == 2)
			config_flush_pending(e, line, col);
		return;
	}
	config_flush_pending(e, 0, 0);
	e->pending_key[0] = '\0';
	e->pending_yaml = strncmp(p, "libyaml: ", 9) == 0;
	if (strncmp(p, "Unexpected key: ", 16) == 0)
		snprintf(e->pending_key, sizeof e->pending_key, "%s", p + 16);
	config_cyaml_words(p, e->pending, sizeof e->pending);
}

static void config_cyaml_quiet(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	(void)level, (void)ctx, (void)fmt, (void)args;
}

static cyaml_config_t config_cyaml(struct config_errbuf *e)
{
	cyaml_config_t c = {
		.log_fn = e ? config_cyaml_log : config_cyaml_quiet,
		.log_ctx = e,
		.mem_fn = cyaml_mem,
		.log_level = CYAML_LOG_ERROR,
		.flags = CYAML_CFG_DEFAULT,
	};
	return c;
}

/* ---- node positions (libyaml) ----------------------------------------- */

/* One level of the walk: a mapping (key then value) or a sequence. */
struct config_level {
	bool is_seq;
	int index;       /* sequence: next entry */
	bool want_value; /* mapping: the next node is a value */
	char key[64];
	size_t path_len; /* length of the path up to this level */
};

static void config_pos_add(struct config_positions *ps, const char *path, const yaml_mark_t *m)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 128;
		ps->v = xrealloc(ps->v, ps->cap * sizeof *ps->v);
	}
	ps->v[ps->n].path = xstrdup(path);
	ps->v[ps->n].value = NULL;
	ps->v[ps->n].line = (int)m->line + 1;
	ps->v[ps->n].col = (int)m->column + 1;
	ps->n++;
}

static void config_positions_free(struct config_positions *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		free(ps->v[i].path);
		free(ps->v[i].value);
	}
	free(ps->v);
	memset(ps, 0, sizeof *ps);
}

/* Extend path with the child position of the innermost level; record it. */
static void config_pos_child(struct config_positions *ps, struct config_level *lv, int depth, char *path, size_t cap,
			     const yaml_mark_t *m)
{
	size_t base = depth > 0 ? lv[depth - 1].path_len : 0;
	struct config_level *top = depth > 0 ? &lv[depth - 1] : NULL;

	path[base] = '\0';
	if (top && top->is_seq)
		snprintf(path + base, cap - base, "[%d]", top->index++);
	else if (top)
		snprintf(path + base, cap - base, "%s%s", base ? "." : "", top->key);
	config_pos_add(ps, path, m);
}

static void config_positions_scan(struct config_positions *ps, const char *data, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct config_level lv[32];
	char path[512] = "";
	int depth = 0;
	bool done = false;

	if (!yaml_parser_initialize(&parser))
		return;
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (!done && yaml_parser_parse(&parser, &ev)) {
		struct config_level *top = depth > 0 ? &lv[depth - 1] : NULL;
		bool is_key = top && !top->is_seq && !top->want_value;

		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			if (is_key) {
				char kpath[96];
				snprintf(top->key, sizeof top->key, "%s", (const char *)ev.data.scalar.value);
				top->want_value = true;
				/* keys too, for "Unexpected key" messages */
				snprintf(kpath, sizeof kpath, "@key:%s", top->key);
				config_pos_add(ps, kpath, &ev.start_mark);
				break;
			}
			config_pos_child(ps, lv, depth, path, sizeof path, &ev.start_mark);
			ps->v[ps->n - 1].value = xstrdup((const char *)ev.data.scalar.value);
			if (top && !top->is_seq)
				top->want_value = false;
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (depth == (int)(sizeof lv / sizeof lv[0])) {
				done = true;
				break;
			}
			if (depth > 0)
				config_pos_child(ps, lv, depth, path, sizeof path, &ev.start_mark);
			else
				config_pos_add(ps, "", &ev.start_mark);
			if (top && !top->is_seq)
				top->want_value = false;
			memset(&lv[depth], 0, sizeof lv[depth]);
			lv[depth].is_seq = ev.type == YAML_SEQUENCE_START_EVENT;
			lv[depth].path_len = strlen(path);
			depth++;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			if (depth > 0)
				depth--;
			path[depth > 0 ? lv[depth - 1].path_len : 0] = '\0';
			break;
		case YAML_STREAM_END_EVENT: done = true; break;
		default: break;
		}
		yaml_event_delete(&ev);
	}
	if (parser.error == YAML_READER_ERROR) {
		/* the reader (bad bytes: NUL, invalid UTF-8) knows an offset, not a mark */
		size_t at = parser.problem_offset < len ? parser.problem_offset : len;
		ps->err_line = ps->err_col = 1;
		for (size_t i = 0; i < at; i++) {
			if (data[i] == '\n')
				ps->err_line++, ps->err_col = 1;
			else if (((unsigned char)data[i] & 0xc0) != 0x80)
				ps->err_col++;
		}
		snprintf(ps->err, sizeof ps->err, "%s", parser.problem ? parser.problem : "not valid text");
	} else if (parser.error != YAML_NO_ERROR) {
		ps->err_line = (int)parser.problem_mark.line + 1;
		ps->err_col = (int)parser.problem_mark.column + 1;
		snprintf(ps->err, sizeof ps->err, "%s", parser.problem ? parser.problem : "not valid YAML");
	}
	yaml_parser_delete(&parser);
}

/* Report a problem at path (or the nearest recorded ancestor): config_impl.h. */
void config_problem(struct config_errbuf *e, const struct config_positions *ps, const char *path, const char *fmt, ...)
{
	char p[512], msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (config_vet_flagged(e, path))
		return;
	snprintf(p, sizeof p, "%s", path);
	for (;;) {
		for (size_t i = 0; i < ps->n; i++)
			if (strcmp(ps->v[i].path, p) == 0) {
				config_append(e, "%s:%d:%d: %s\n", e->name, ps->v[i].line, ps->v[i].col, msg);
				e->problems++;
				return;
			}
		char *cut = strrchr(p, '.'), *br = strrchr(p, '[');
		if (br > cut)
			cut = br;
		if (cut == NULL || p[0] == '\0')
			break;
		*cut = '\0';
	}
	config_append(e, "%s: %s\n", e->name, msg);
	e->problems++;
}

/* ---- parsing helpers -------------------------------------------------- */

int64_t config_parse_duration_ms(const char *s)
{
	char *end;
	long long v;
	int64_t unit = 1000;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || v < 0 || v > 366LL * 24 * 3600)
		return -1;
	if (*end) {
		switch (*end) {
		case 's': unit = 1000; break;
		case 'm': unit = 60 * 1000; break;
		case 'h': unit = 3600 * 1000; break;
		case 'd': unit = 24 * 3600 * 1000; break;
		default: return -1;
		}
		if (end[1] != '\0')
			return -1;
	}
	return (int64_t)v * unit;
}

static int config_parse_hhmm(const char *s, int *minutes)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	*minutes = h * 60 + m;
	return 0;
}

int config_parse_window(const char *s, struct config_window *w)
{
	if (s == NULL || strlen(s) != 11 || s[5] != '-' || config_parse_hhmm(s, &w->from) != 0 ||
	    config_parse_hhmm(s + 6, &w->to) != 0 || w->from == w->to)
		return -1;
	w->set = true;
	return 0;
}

bool config_window_contains(const struct config_window *w, int minute)
{
	if (!w->set)
		return true;
	if (w->from < w->to)
		return minute >= w->from && minute < w->to;
	return minute >= w->from || minute < w->to; /* crosses midnight */
}

void config_unit_building(const char *unit, char *buf, size_t len)
{
	size_t n = strcspn(unit, "-");
	if (n >= len)
		n = len - 1;
	memcpy(buf, unit, n);
	buf[n] = '\0';
}

bool config_glob(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* ---- lookups ---------------------------------------------------------- */

const struct config_crew *config_crew(const config_t *cfg, const char *id)
{
	for (unsigned i = 0; i < cfg->crews_count; i++)
		if (strcmp(cfg->crews[i].id, id) == 0)
			return &cfg->crews[i];
	return NULL;
}

const struct config_member *config_member(const config_t *cfg, const char *id, const struct config_crew **crew_out)
{
	for (unsigned i = 0; i < cfg->crews_count; i++)
		for (unsigned j = 0; j < cfg->crews[i].members_count; j++)
			if (strcmp(cfg->crews[i].members[j].id, id) == 0) {
				if (crew_out)
					*crew_out = &cfg->crews[i];
				return &cfg->crews[i].members[j];
			}
	return NULL;
}

const char *config_zone_of(const config_t *cfg, const char *building)
{
	for (unsigned i = 0; i < cfg->zones_count; i++)
		for (unsigned j = 0; j < cfg->zones[i].buildings_count; j++)
			if (strcmp(cfg->zones[i].buildings[j], building) == 0)
				return cfg->zones[i].id;
	return NULL;
}

bool config_member_has_skill(const struct config_member *m, const char *skill)
{
	for (unsigned i = 0; i < m->skills_count; i++)
		if (strcmp(m->skills[i], skill) == 0)
			return true;
	return false;
}

static bool config_zone_exists(const config_t *cfg, const char *id)
{
	for (unsigned i = 0; i < cfg->zones_count; i++)
		if (strcmp(cfg->zones[i].id, id) == 0)
			return true;
	return false;
}

static bool config_is_id(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

static void config_check_units(config_t *cfg, struct config_errbuf *e, const struct config_positions *ps)
{
	char path[64];

	for (unsigned i = 0; i < cfg->units_count; i++) {
		struct config_unit *u = &cfg->units[i];
		int forms = (u->unit != NULL) + (u->pattern != NULL) + (u->building != NULL);
		snprintf(path, sizeof path, "units[%u]", i);
		if (forms != 1) {
			config_problem(e, ps, path,
				       "a register entry is one of: 'unit' (one unit in full, e.g. 12-1A), 'pattern' "
				       "(e.g. P-*), or 'building' with 'floors' and 'flats' (a block)%s",
				       forms ? "; this one gives more than one" : "; this one gives none");
			continue;
		}
		if (u->building == NULL && (u->floors || u->flats)) {
			snprintf(path, sizeof path, "units[%u].%s", i, u->floors ? "floors" : "flats");
			config_problem(e, ps, path, "'floors' and 'flats' go with 'building' (a block of units)");
		}
		if (u->building == NULL && u->unit == NULL && (u->resident || u->phone)) {
			snprintf(path, sizeof path, "units[%u].%s", i, u->resident ? "resident" : "phone");
			config_problem(e, ps, path,
				       "a resident and a phone belong to one unit: give them in an entry with 'unit'");
		}
		if (u->unit) {
			snprintf(path, sizeof path, "units[%u].unit", i);
			if (!config_is_id(u->unit) || strchr(u->unit, '-') == NULL)
				config_problem(
					e, ps, path,
					"expected a unit as BUILDING-UNIT (letters, digits, '-' and '_'), such as "
					"12-1A, not '%s'",
					u->unit);
			for (unsigned k = 0; k < i; k++)
				if (cfg->units[k].unit && strcmp(cfg->units[k].unit, u->unit) == 0) {
					config_problem(e, ps, path, "unit '%s' is listed twice", u->unit);
					break;
				}
		}
		if (u->building) {
			snprintf(path, sizeof path, "units[%u].building", i);
			if (!config_is_id(u->building) || strchr(u->building, '-'))
				config_problem(e, ps, path,
					       "a building may hold only letters, digits and '_' (its units are "
					       "BUILDING-FLOOR...), not '%s'",
					       u->building);
			if (u->resident || u->phone) {
				snprintf(path, sizeof path, "units[%u].%s", i, u->resident ? "resident" : "phone");
				config_problem(e, ps, path,
					       "a resident and a phone belong to one unit, not a block: list the unit "
					       "on its own with 'unit'");
			}
			snprintf(path, sizeof path, "units[%u].floors", i);
			if (u->floors == NULL) {
				snprintf(path, sizeof path, "units[%u].building", i);
				config_problem(e, ps, path, "a block of units needs 'floors' (e.g. floors: 1-20)");
			} else if (config_unit_parse_floors(u->floors, &u->floor_from, &u->floor_to) != 0)
				config_problem(e, ps, path,
					       "expected floors as FROM-TO or one floor (e.g. 1-20 or 7), not '%s'",
					       u->floors);
			snprintf(path, sizeof path, "units[%u].flats", i);
			if (u->flats && config_unit_parse_flats(u->flats, &u->flat_from, &u->flat_to) != 0)
				config_problem(
					e, ps, path,
					"expected flats as capital letters FROM-TO or one letter (e.g. A-H), not '%s'",
					u->flats);
		}
	}
}

/* ---- checks after loading --------------------------------------------- */

static void config_check_duration(struct config_errbuf *e, const struct config_positions *ps, const char *path,
				  const char *value, int64_t *out)
{
	*out = 0;
	if (value == NULL)
		return;
	*out = config_parse_duration_ms(value);
	if (*out < 0) {
		config_problem(e, ps, path, "expected a duration such as 90s, 10m, 2h or 1d, not '%s'", value);
		*out = 0;
	}
}

/* residents.page_url: the links the desk reads out are this plus
 * "/r/TOKEN", so it is an http(s) URL of plain characters, without a query
 * or fragment; a trailing '/' is dropped. */
static void config_check_page_url(struct config_errbuf *e, const struct config_positions *ps, char *url)
{
	const char *host = strncmp(url, "https://", 8) == 0  ? url + 8
			   : strncmp(url, "http://", 7) == 0 ? url + 7
							     : NULL;
	size_t n = strlen(url);

	if (host == NULL || *host == '\0' || *host == '/') {
		config_problem(
			e, ps, "residents.page_url",
			"expected residents.page_url, the residents' pages' address, as http://HOST[:PORT][/PATH] "
			"or https://..., not '%s'",
			url);
		return;
	}
	for (const char *p = url; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("\"'<>\\`?#{}|^", *p)) {
			config_problem(
				e, ps, "residents.page_url",
				"residents.page_url may not hold spaces, quotes, '?', '#' or other characters that "
				"need escaping (found '%c' in '%s')",
				*p > ' ' && *p < 0x7f ? *p : '?', url);
			return;
		}
	while (n > 0 && url[n - 1] == '/' && url + n - 1 > host)
		url[--n] = '\0';
}

static void config_check_window(struct config_errbuf *e, const struct config_positions *ps, const char *path,
				const char *value, struct config_window *w)
{
	memset(w, 0, sizeof *w);
	if (value && config_parse_window(value, w) != 0)
		config_problem(e, ps, path, "expected hours as HH:MM-HH:MM (e.g. 08:00-20:00 or 22:00-06:00), not '%s'",
			       value);
}

/* The schema of the node at path ("rules[2].continue"), or NULL. */
static const cyaml_schema_value_t *config_schema_at(const char *path)
{
	const cyaml_schema_value_t *v = &config_top_schema;
	const char *p = path;

	while (*p) {
		const cyaml_schema_field_t *f;
		size_t n;
		if (*p == '[') {
			if (v->type != CYAML_SEQUENCE && v->type != CYAML_SEQUENCE_FIXED)
				return NULL;
			v = v->sequence.entry;
			if ((p = strchr(p, ']')) == NULL)
				return NULL;
			p++;
			continue;
		}
		if (*p == '.')
			p++;
		n = strcspn(p, ".[");
		if (v->type != CYAML_MAPPING)
			return NULL;
		for (f = v->mapping.fields; f->key; f++)
			if (strlen(f->key) == n && strncmp(f->key, p, n) == 0)
				break;
		if (f->key == NULL)
			return NULL;
		v = &f->value;
		p += n;
	}
	return v;
}

/* libcyaml takes any word but false, no, off, disable and 0 for true
 * ("require_online: flase" would be true): a boolean is one of YAML's
 * words for one, or it is a mistake. */
static void config_check_bools(struct config_errbuf *e, const struct config_positions *ps)
{
	static const char *const words[] = { "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES",
					     "no",   "No",   "NO",   "on",    "On",    "ON",    "off", "Off", "OFF" };

	for (size_t i = 0; i < ps->n; i++) {
		const cyaml_schema_value_t *v;
		bool known = false;
		if (ps->v[i].value == NULL || (v = config_schema_at(ps->v[i].path)) == NULL || v->type != CYAML_BOOL ||
		    config_vet_flagged(e, ps->v[i].path))
			continue;
		for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
			known = known || strcmp(ps->v[i].value, words[w]) == 0;
		if (!known) {
			config_append(e, "%s:%d:%d: expected true or false, not '%s'\n", e->name, ps->v[i].line,
				      ps->v[i].col, ps->v[i].value);
			e->problems++;
		}
	}
}

/* 0 if /usr/share/zoneinfo/name is a compiled time zone (a TZif file), or
 * why it is not. */
static const char *config_zone_problem(const char *name)
{
	char zpath[512], magic[4];
	struct stat st;
	FILE *f;
	size_t n;

	if (name[0] == '\0' || name[0] == '/' || strstr(name, ".."))
		return "not a zone name";
	snprintf(zpath, sizeof zpath, "/usr/share/zoneinfo/%s", name);
	if (stat(zpath, &st) != 0)
		return "no such zone";
	if (S_ISDIR(st.st_mode))
		return "a region, not a zone: name a city in it";
	if ((f = fopen(zpath, "rb")) == NULL)
		return "cannot be read";
	n = fread(magic, 1, sizeof magic, f);
	fclose(f);
	if (n != sizeof magic || memcmp(magic, "TZif", 4) != 0)
		return "not a time zone file";
	return NULL;
}

/* Issue 19: each calendar's hours (one day's, merged, in order) and
 * holidays; each rule's calendar, whose working day a "d" counts. */
static void config_check_calendars(config_t *cfg, struct config_errbuf *e, const struct config_positions *ps)
{
	char path[128];

	for (unsigned i = 0; i < cfg->calendars_count; i++) {
		struct config_calendar *c = &cfg->calendars[i];
		int longest = 0, bad = 0;
		snprintf(path, sizeof path, "calendars[%u].id", i);
		if (!config_is_id(c->id))
			config_problem(e, ps, path, "calendar id '%s' may hold only letters, digits, '-' and '_'",
				       c->id);
		for (unsigned k = 0; k < i; k++)
			if (strcmp(cfg->calendars[k].id, c->id) == 0)
				config_problem(e, ps, path, "calendar '%s' is defined twice", c->id);
		memset(c->week_n, 0, sizeof c->week_n);
		for (unsigned h = 0; h < c->hours_count; h++) {
			struct config_calendar_hours *oh = &c->hours[h];
			snprintf(path, sizeof path, "calendars[%u].hours[%u].hours", i, h);
			if (oh->hours == NULL || config_parse_window(oh->hours, &oh->win) != 0) {
				config_problem(e, ps, path, "expected office hours as HH:MM-HH:MM, not '%s'",
					       oh->hours ? oh->hours : "");
				bad++;
				continue;
			}
			if (oh->win.to < oh->win.from) {
				config_problem(e, ps, path,
					       "office hours '%s' cross midnight; give the hours after midnight as "
					       "another entry for the next day",
					       oh->hours);
				bad++;
				continue;
			}
			if (oh->days == 0)
				oh->days = CONFIG_ALL_DAYS;
			for (int d = 0; d < 7; d++) {
				struct config_window *w = c->week[d];
				unsigned *n = &c->week_n[d], at = 0;
				if (!(oh->days & CONFIG_DAY(d)))
					continue;
				while (at < *n && w[at].from < oh->win.from)
					at++;
				if ((at > 0 && w[at - 1].to > oh->win.from) || (at < *n && w[at].from < oh->win.to)) {
					config_problem(e, ps, path, "office hours '%s' overlap another entry on %s",
						       oh->hours, config_day_names[d].str);
					continue;
				}
				if (*n == CONFIG_CALENDAR_WINDOWS) {
					config_problem(e, ps, path, "at most %d office-hour windows a day",
						       CONFIG_CALENDAR_WINDOWS);
					continue;
				}
				memmove(&w[at + 1], &w[at], (*n - at) * sizeof *w);
				w[at] = oh->win;
				(*n)++;
			}
		}
		for (int d = 0; d < 7; d++) {
			int sum = 0;
			for (unsigned k = 0; k < c->week_n[d]; k++)
				sum += c->week[d][k].to - c->week[d][k].from;
			if (sum > longest)
				longest = sum;
		}
		c->holiday_n = 0;
		for (unsigned h = 0; h < c->holidays_count; h++) {
			int ymd;
			snprintf(path, sizeof path, "calendars[%u].holidays[%u]", i, h);
			if (calendar_parse_date(c->holidays[h], &ymd) != 0)
				config_problem(e, ps, path,
					       "expected a holiday as a date YYYY-MM-DD (e.g. 2026-12-25), not '%s'",
					       c->holidays[h]);
			else
				c->holiday_ymd[c->holiday_n++] = ymd;
		}
		snprintf(path, sizeof path, "calendars[%u].day", i);
		c->day_ms = (int64_t)longest * 60 * 1000;
		if (c->day)
			config_check_duration(e, ps, path, c->day, &c->day_ms);
		if (c->day_ms == 0 && c->day == NULL && bad == 0) {
			snprintf(path, sizeof path, "calendars[%u].hours", i);
			config_problem(e, ps, path, "calendar '%s' has no office hours", c->id);
		}
	}
	for (unsigned i = 0; i < cfg->rules_count; i++) {
		struct config_rule *r = &cfg->rules[i];
		struct config_deadlines *dl = r->deadlines;
		if (r->calendar == NULL)
			continue;
		snprintf(path, sizeof path, "rules[%u].calendar", i);
		if ((r->cal = config_calendar(cfg, r->calendar)) == NULL) {
			config_problem(e, ps, path, "calendar '%s' is not defined under calendars", r->calendar);
			continue;
		}
		/* in working time, a day is the calendar's working day */
		if (dl) {
			char **txt[] = { &dl->acknowledge, &dl->arrive, &dl->resolve };
			int64_t *ms[] = { &dl->acknowledge_ms, &dl->arrive_ms, &dl->resolve_ms };
			for (int k = 0; k < 3; k++) {
				size_t n = *txt[k] ? strlen(*txt[k]) : 0;
				if (n > 1 && (*txt[k])[n - 1] == 'd' && *ms[k] > 0)
					*ms[k] = *ms[k] / (24LL * 3600 * 1000) * r->cal->day_ms;
			}
		}
	}
}

/* Issue 19: each schedule's rule, start, targets and routing. */
static void config_check_schedules(config_t *cfg, struct config_errbuf *e, const struct config_positions *ps)
{
	char path[128], why[512];

	for (unsigned i = 0; i < cfg->schedules_count; i++) {
		struct config_schedule *s = &cfg->schedules[i];
		const char *which;
		snprintf(path, sizeof path, "schedules[%u].id", i);
		if (!config_is_id(s->id))
			config_problem(e, ps, path, "schedule id '%s' may hold only letters, digits, '-' and '_'",
				       s->id);
		for (unsigned k = 0; k < i; k++)
			if (strcmp(cfg->schedules[k].id, s->id) == 0)
				config_problem(e, ps, path, "schedule '%s' is defined twice", s->id);
		if (plan_check(s, why, sizeof why, &which) != 0) {
			snprintf(path, sizeof path, "schedules[%u].%s", i, which);
			config_problem(e, ps, path, "%s", why);
		}
		if (s->units_count + s->buildings_count + s->assets_count + s->asset_kinds_count == 0) {
			snprintf(path, sizeof path, "schedules[%u].id", i);
			config_problem(e, ps, path,
				       "schedule '%s' names nothing to work on: give assets, asset_kinds, units or "
				       "buildings",
				       s->id);
		}
		for (unsigned a = 0; a < s->assets_count; a++) {
			bool any = false;
			for (unsigned k = 0; k < cfg->assets_count && !any; k++)
				any = config_asset_matches(&cfg->assets[k], s->assets[a], NULL, NULL, NULL);
			if (!any) {
				snprintf(path, sizeof path, "schedules[%u].assets[%u]", i, a);
				config_problem(e, ps, path, "no asset '%s' in the asset register (assets:)",
					       s->assets[a]);
			}
		}
		for (unsigned a = 0; a < s->asset_kinds_count; a++) {
			bool any = false;
			for (unsigned k = 0; k < cfg->assets_count && !any; k++)
				any = config_asset_matches(&cfg->assets[k], NULL, s->asset_kinds[a], NULL, NULL);
			if (!any) {
				snprintf(path, sizeof path, "schedules[%u].asset_kinds[%u]", i, a);
				config_problem(e, ps, path, "no asset of kind '%s' in the asset register (assets:)",
					       s->asset_kinds[a]);
			}
		}
		for (unsigned u = 0; u < s->units_count; u++)
			if (!config_unit_known(cfg, s->units[u])) {
				snprintf(path, sizeof path, "schedules[%u].units[%u]", i, u);
				config_problem(e, ps, path, "no unit '%s' in the unit register", s->units[u]);
			}
		for (unsigned b = 0; b < s->buildings_count; b++)
			if (!config_is_id(s->buildings[b])) {
				snprintf(path, sizeof path, "schedules[%u].buildings[%u]", i, b);
				config_problem(e, ps, path, "'%s' is not a building id", s->buildings[b]);
			}
		if (s->priority > 5) {
			snprintf(path, sizeof path, "schedules[%u].priority", i);
			config_problem(e, ps, path, "expected a priority from 1 (urgent) to 5 (low), not %u",
				       s->priority);
		}
		if (s->crew == NULL) {
			if (s->deadlines || s->skill || s->calendar) {
				snprintf(path, sizeof path, "schedules[%u].%s", i,
					 s->deadlines ? "deadlines"
					 : s->skill   ? "skill"
						      : "calendar");
				config_problem(e, ps, path,
					       "deadlines, skill and calendar go with a crew: name the crew, or leave "
					       "them to the routing rules");
			}
			continue;
		}
		snprintf(s->rule_name, sizeof s->rule_name, "plan:%s", s->id);
		memset(&s->rule, 0, sizeof s->rule);
		s->rule.name = s->rule_name;
		s->rule.crew = s->crew;
		s->rule.skill = s->skill;
		s->rule.priority = s->priority;
		s->rule.deadlines = s->deadlines;
		s->escalation[0] = CONFIG_ESC_SUPERVISOR;
		s->escalation[1] = CONFIG_ESC_CONTROL_CENTER;
		s->rule.escalation = s->escalation;
		s->rule.escalation_count = 2;
		if (config_crew(cfg, s->crew) == NULL) {
			snprintf(path, sizeof path, "schedules[%u].crew", i);
			config_problem(e, ps, path, "crew '%s' is not defined under crews", s->crew);
		}
		if (s->calendar && (s->rule.cal = config_calendar(cfg, s->calendar)) == NULL) {
			snprintf(path, sizeof path, "schedules[%u].calendar", i);
			config_problem(e, ps, path, "calendar '%s' is not defined under calendars", s->calendar);
		}
		if (s->deadlines) {
			char **txt[] = { &s->deadlines->acknowledge, &s->deadlines->arrive, &s->deadlines->resolve,
					 &s->deadlines->follow_up };
			int64_t *ms[] = { &s->deadlines->acknowledge_ms, &s->deadlines->arrive_ms,
					  &s->deadlines->resolve_ms, &s->deadlines->follow_up_ms };
			static const char *const names[] = { "acknowledge", "arrive", "resolve", "follow_up" };
			for (int k = 0; k < 4; k++) {
				size_t n = *txt[k] ? strlen(*txt[k]) : 0;
				snprintf(path, sizeof path, "schedules[%u].deadlines.%s", i, names[k]);
				config_check_duration(e, ps, path, *txt[k], ms[k]);
				if (k < 3 && s->rule.cal && n > 1 && (*txt[k])[n - 1] == 'd' && *ms[k] > 0)
					*ms[k] = *ms[k] / (24LL * 3600 * 1000) * s->rule.cal->day_ms;
			}
		}
	}
}

static void config_check(config_t *cfg, struct config_errbuf *e, const struct config_positions *ps)
{
	char path[128];

	config_check_bools(e, ps);
	config_check_units(cfg, e, ps);
	config_check_assets(cfg, e, ps); /* issue 19 */

	for (unsigned i = 0; i < cfg->zones_count; i++)
		for (unsigned k = 0; k < i; k++)
			if (strcmp(cfg->zones[k].id, cfg->zones[i].id) == 0) {
				snprintf(path, sizeof path, "zones[%u].id", i);
				config_problem(e, ps, path, "zone '%s' is defined twice", cfg->zones[i].id);
			}
	for (unsigned i = 0; i < cfg->crews_count; i++) {
		struct config_crew *c = &cfg->crews[i];
		snprintf(path, sizeof path, "crews[%u].id", i);
		if (!config_is_id(c->id))
			config_problem(e, ps, path, "crew id '%s' may hold only letters, digits, '-' and '_'", c->id);
		for (unsigned k = 0; k < i; k++)
			if (strcmp(cfg->crews[k].id, c->id) == 0)
				config_problem(e, ps, path, "crew '%s' is defined twice", c->id);
		if (c->supervisor && config_member(cfg, c->supervisor, NULL) == NULL) {
			snprintf(path, sizeof path, "crews[%u].supervisor", i);
			config_problem(e, ps, path, "supervisor '%s' is not a member of any crew", c->supervisor);
		}
		for (unsigned j = 0; j < c->members_count; j++) {
			struct config_member *m = &c->members[j];
			snprintf(path, sizeof path, "crews[%u].members[%u].id", i, j);
			if (!config_is_id(m->id))
				config_problem(e, ps, path, "member id '%s' may hold only letters, digits, '-' and '_'",
					       m->id);
			if (config_member(cfg, m->id, NULL) != m)
				config_problem(e, ps, path,
					       "member id '%s' is used twice (ids are unique across the estate)",
					       m->id);
			if (m->zone && !config_zone_exists(cfg, m->zone)) {
				snprintf(path, sizeof path, "crews[%u].members[%u].zone", i, j);
				config_problem(e, ps, path, "zone '%s' is not defined under zones", m->zone);
			}
			for (unsigned s = 0; s < m->shifts_count; s++) {
				snprintf(path, sizeof path, "crews[%u].members[%u].shifts[%u].hours", i, j, s);
				config_check_window(e, ps, path, m->shifts[s].hours, &m->shifts[s].win);
				if (m->shifts[s].days == 0)
					m->shifts[s].days = CONFIG_ALL_DAYS;
			}
		}
	}
	for (unsigned i = 0; i < cfg->rules_count; i++) {
		struct config_rule *r = &cfg->rules[i];
		const struct config_crew *crew = config_crew(cfg, r->crew);
		for (unsigned k = 0; k < i; k++)
			if (strcmp(cfg->rules[k].name, r->name) == 0) {
				snprintf(path, sizeof path, "rules[%u].name", i);
				config_problem(e, ps, path, "rule name '%s' is used twice", r->name);
			}
		if (crew == NULL) {
			snprintf(path, sizeof path, "rules[%u].crew", i);
			config_problem(e, ps, path, "crew '%s' is not defined under crews", r->crew);
		}
		if (r->skill && crew) {
			bool any = false;
			for (unsigned j = 0; j < crew->members_count; j++)
				any = any || config_member_has_skill(&crew->members[j], r->skill);
			if (!any) {
				snprintf(path, sizeof path, "rules[%u].skill", i);
				config_problem(e, ps, path, "no member of crew '%s' has the skill '%s'", crew->id,
					       r->skill);
			}
		}
		if (r->priority > 5) {
			snprintf(path, sizeof path, "rules[%u].priority", i);
			config_problem(e, ps, path, "expected a priority from 1 (urgent) to 5 (low), not %u",
				       r->priority);
		}
		if (r->deadlines) {
			snprintf(path, sizeof path, "rules[%u].deadlines.acknowledge", i);
			config_check_duration(e, ps, path, r->deadlines->acknowledge, &r->deadlines->acknowledge_ms);
			snprintf(path, sizeof path, "rules[%u].deadlines.arrive", i);
			config_check_duration(e, ps, path, r->deadlines->arrive, &r->deadlines->arrive_ms);
			snprintf(path, sizeof path, "rules[%u].deadlines.resolve", i);
			config_check_duration(e, ps, path, r->deadlines->resolve, &r->deadlines->resolve_ms);
			snprintf(path, sizeof path, "rules[%u].deadlines.follow_up", i);
			config_check_duration(e, ps, path, r->deadlines->follow_up, &r->deadlines->follow_up_ms);
		}
		snprintf(path, sizeof path, "rules[%u].escalation_every", i);
		config_check_duration(e, ps, path, r->escalation_every, &r->escalation_every_ms);
		if (r->inspection_sample > 100) {
			snprintf(path, sizeof path, "rules[%u].inspection_sample", i);
			config_problem(e, ps, path, "expected a percentage from 0 to 100, not %u",
				       r->inspection_sample);
		}
		if (r->match) {
			snprintf(path, sizeof path, "rules[%u].match.hours", i);
			config_check_window(e, ps, path, r->match->hours, &r->match->win);
			for (unsigned z = 0; z < r->match->zones_count; z++)
				if (!config_zone_exists(cfg, r->match->zones[z])) {
					snprintf(path, sizeof path, "rules[%u].match.zones[%u]", i, z);
					config_problem(e, ps, path, "zone '%s' is not defined under zones",
						       r->match->zones[z]);
				}
			for (unsigned p = 0; p < r->match->priorities_count; p++)
				if (r->match->priorities[p] < 1 || r->match->priorities[p] > 5) {
					snprintf(path, sizeof path, "rules[%u].match.priorities[%u]", i, p);
					config_problem(e, ps, path, "expected a priority from 1 to 5, not %u",
						       r->match->priorities[p]);
				}
		}
	}
	if (cfg->rules_count > 0) {
		const struct config_rule *last = &cfg->rules[cfg->rules_count - 1];
		if (last->match != NULL || last->cont) {
			snprintf(path, sizeof path, "rules[%u]", cfg->rules_count - 1);
			config_problem(e, ps, path,
				       "the last rule must be a default rule (no 'match', no 'continue') so that "
				       "every ticket reaches a crew");
		}
	}
	if (cfg->duplicate_window)
		config_check_duration(e, ps, "duplicate_window", cfg->duplicate_window, &cfg->duplicate_window_ms);
	if (cfg->idempotency_window)
		config_check_duration(e, ps, "idempotency_window", cfg->idempotency_window,
				      &cfg->idempotency_window_ms);
	if (cfg->idempotency_window_ms == 0)
		cfg->idempotency_window_ms = 24LL * 3600 * 1000;
	if (cfg->follow_up_threshold > 5)
		config_problem(e, ps, "follow_up_threshold",
			       "expected a satisfaction score from 0 (never reopen) to 5, not %u",
			       cfg->follow_up_threshold);
	if (cfg->desk_supervisor && config_member(cfg, cfg->desk_supervisor, NULL) == NULL)
		config_problem(e, ps, "desk_supervisor", "member '%s' is not defined in any crew",
			       cfg->desk_supervisor);
	if (cfg->presence && cfg->presence->online_window == 0)
		cfg->presence->online_window = 90;
	if (cfg->residents && cfg->residents->page_url)
		config_check_page_url(e, ps, cfg->residents->page_url);
	if (cfg->language && strcmp(cfg->language, "zh-Hant") != 0 && strcmp(cfg->language, "en") != 0)
		config_problem(e, ps, "language", "unknown language '%s' (expected zh-Hant or en)", cfg->language);
	if (cfg->timezone) {
		const char *why = config_zone_problem(cfg->timezone);
		if (why)
			config_problem(e, ps, "timezone",
				       "unknown time zone '%s': %s (expected a name such as Asia/Hong_Kong)",
				       cfg->timezone, why);
	}
	config_check_calendars(cfg, e, ps);
	config_check_schedules(cfg, e, ps);
}

/* ---- load and free ---------------------------------------------------- */

config_t *config_load_data(const char *name, const char *data, size_t len, char *err, size_t errlen)
{
	struct config_errbuf e = { .buf = err, .len = errlen, .name = name };
	cyaml_config_t cc = config_cyaml(&e), quiet = config_cyaml(NULL);
	struct config_positions ps = { 0 };
	config_t *cfg = NULL;
	char *repaired = NULL;
	cyaml_err_t rc;

	err[0] = '\0';
	config_positions_scan(&ps, data, len);
	e.ps = &ps;
	if (ps.err_line > 0) {
		/* not YAML: libcyaml would name a type before libyaml the text */
		config_append(&e, "%s:%d:%d: %s\n", name, ps.err_line, ps.err_col, config_vet_yaml_problem(ps.err));
		e.problems++;
		goto fail;
	}
	config_vet_data(&e, data, len, &repaired);
	if (e.problems > 0) {
		/* the checks after loading, on the repaired copy: every problem in one pass */
		if (repaired &&
		    cyaml_load_data((const uint8_t *)repaired, strlen(repaired), &quiet, &config_top_schema,
				    (cyaml_data_t **)&cfg, NULL) == CYAML_OK &&
		    cfg != NULL)
			config_check(cfg, &e, &ps);
		config_destroy(&cfg);
		free(repaired);
		goto fail;
	}
	rc = cyaml_load_data((const uint8_t *)data, len, &cc, &config_top_schema, (cyaml_data_t **)&cfg, NULL);
	config_flush_pending(&e, 0, 0);
	if (rc != CYAML_OK) {
		if (e.problems == 0)
			config_append(&e, "%s: %s\n", name, cyaml_strerror(rc));
		goto fail;
	}
	if (cfg == NULL) {
		/* libcyaml's answer to a document with no node at all */
		config_append(&e,
			      "%s: the file holds no settings (it is empty or only comments, so there is no line to "
			      "point at); expected at least estate, crews and rules\n",
			      name);
		goto fail;
	}
	config_check(cfg, &e, &ps);
	if (e.problems > 0) {
		config_destroy(&cfg);
		goto fail;
	}
	config_positions_free(&ps);
	config_vet_done(&e);
	if (cfg->listen == NULL)
		cfg->listen = xcalloc(1, sizeof *cfg->listen);
	if (cfg->presence == NULL) {
		cfg->presence = xcalloc(1, sizeof *cfg->presence);
		cfg->presence->online_window = 90;
	}
	return cfg;
fail:
	config_positions_free(&ps);
	config_vet_done(&e);
	return NULL;
}

config_t *config_load_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0, n;
	struct stat st;
	config_t *cfg = NULL;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory; give the configuration file itself\n", path);
		goto out;
	}
	/* Read to the limit and one byte past it, so that an endless file
	 * (/dev/zero, a FIFO nobody closes with data) stops here. */
	do {
		if (len + 4096 > cap)
			data = xrealloc(data, cap = cap * 2 + 8192);
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0 && len <= CONFIG_MAX_BYTES);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: cannot read: %s\n", path, strerror(errno));
		goto out;
	}
	if (len > CONFIG_MAX_BYTES) {
		snprintf(err, errlen,
			 "%s: larger than %d MiB, the limit for a configuration file; is it the right file?\n", path,
			 CONFIG_MAX_BYTES >> 20);
		goto out;
	}
	cfg = config_load_data(path, data, len, err, errlen);
out:
	fclose(f);
	free(data);
	return cfg;
}

config_t *config_load_default(char *err, size_t errlen)
{
	return config_load_data("(built-in sample-estate.yaml)", config_sample, config_sample_len, err, errlen);
}

void config_destroy(config_t **cfgp)
{
	cyaml_config_t cc = config_cyaml(NULL);

	if (cfgp == NULL || *cfgp == NULL)
		return;
	/* Parts we added (listen, presence) came from calloc: cyaml_mem frees with free(). */
	config_assets_free(*cfgp);
	cyaml_free(&cc, &config_top_schema, *cfgp, 0);
	*cfgp = NULL;
}
