/*
 * config: libcyaml schema for dispatchd.yaml and the checks after loading.
 * The schema below is the reference for the file format; README's
 * configuration section follows it.
 *
 * Positions: libcyaml reports the line and column of schema errors in a
 * backtrace, which config_cyaml_log() folds into one "FILE:L:C: message"
 * line. For the checks made after loading (an unknown crew in a rule, a
 * bad duration), a libyaml pass over the same text maps each node's path
 * ("rules[2].crew") to its position.
 *
 * Over 800 lines, for a reason: the schema tables are the file format's
 * reference, and the checks after loading name the same paths; split, a
 * field's schema and its check would live apart (issue 16).
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

static const cyaml_strval_t config_day_names[] = {
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

static const cyaml_schema_field_t config_top_fields[] = {
	CYAML_FIELD_STRING_PTR("estate", CYAML_FLAG_POINTER, config_t, estate, 1, 128),
	CYAML_FIELD_STRING_PTR("timezone", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t, timezone, 1, 64),
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
	CYAML_FIELD_END
};
static const cyaml_schema_value_t config_top_schema = {
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

/* Where messages are collected while one load runs. */
struct config_errbuf {
	char *buf;
	size_t len;
	const char *name;
	char pending[512]; /* a libcyaml message waiting for its position */
	int problems;
	const struct config_positions *ps; /* node positions, when known */
	char **flagged;                    /* paths the structure walk reported (config_flagged) */
	size_t flagged_n, flagged_cap;
};

static void config_append(struct config_errbuf *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void config_append(struct config_errbuf *e, const char *fmt, ...)
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

	if (e->ps == NULL || strncmp(e->pending, "Unexpected key: ", 16) != 0)
		return;
	snprintf(kpath, sizeof kpath, "@key:%s", e->pending + 16);
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
	if (strncmp(e->pending, "libyaml: ", 9) == 0) {
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
	if (strncmp(p, "Invalid ENUM value: ", 20) == 0)
		snprintf(e->pending, sizeof e->pending, "unknown value '%s' (see the configuration reference)", p + 20);
	else if (strncmp(p, "Unknown flag: ", 14) == 0)
		snprintf(e->pending, sizeof e->pending,
			 "unknown day '%s'; expected mon, tue, wed, thu, fri, sat, sun, weekdays, weekend or every-day",
			 p + 14);
	else if (strncmp(p, "Expecting MAPPING, got event: ", 30) == 0)
		snprintf(e->pending, sizeof e->pending, "expected a mapping (\"key: value\" lines) here, not %s",
			 strncmp(p + 30, "SEQUENCE", 8) == 0 ? "a list" : "a single value");
	else
		snprintf(e->pending, sizeof e->pending, "%s", p);
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

/* ---- structure: every schema problem in one pass ---------------------- */

/* libcyaml stops at the first problem. Before it loads, the file's node
 * tree (libyaml) is walked against the same schema, so that every wrong
 * key, type, length, value and count is reported at once, in our words.
 * When something is wrong, the walk also writes a repaired copy (wrong
 * parts dropped or replaced by a placeholder); that copy is loaded only
 * to run the checks after loading, whose messages about a repaired part
 * are left out, so one pass names every problem. */

enum config_node_type { CONFIG_NODE_SCALAR, CONFIG_NODE_MAP, CONFIG_NODE_SEQ };

struct config_node {
	enum config_node_type type;
	char *value; /* a scalar's text */
	int line, col;
	struct config_node **kids; /* a mapping: key, value, key, value...; a list: its entries */
	size_t n, cap;
};

static void config_node_free(struct config_node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++)
		config_node_free(n->kids[i]);
	free(n->kids);
	free(n->value);
	free(n);
}

static struct config_node *config_node_new(enum config_node_type type, const yaml_mark_t *m)
{
	struct config_node *n = xcalloc(1, sizeof *n);
	n->type = type;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

static void config_node_add(struct config_node *parent, struct config_node *kid)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 8;
		parent->kids = xrealloc(parent->kids, parent->cap * sizeof *parent->kids);
	}
	parent->kids[parent->n++] = kid;
}

/* The first document's tree, or NULL: not YAML (the loader says where),
 * no node at all, nesting deeper than any estate needs, or anchors and
 * aliases (left to libcyaml alone). */
static struct config_node *config_tree(const char *data, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct config_node *stack[32], *root = NULL;
	int depth = 0;
	bool done = false, bad = false;

	if (!yaml_parser_initialize(&parser))
		return NULL;
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (!done && !bad) {
		struct config_node *n = NULL;
		if (!yaml_parser_parse(&parser, &ev)) {
			bad = true;
			break;
		}
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			if (ev.data.scalar.anchor) {
				bad = true;
				break;
			}
			n = config_node_new(CONFIG_NODE_SCALAR, &ev.start_mark);
			n->value = xstrdup((const char *)ev.data.scalar.value);
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (depth == (int)(sizeof stack / sizeof stack[0]) ||
			    (ev.type == YAML_MAPPING_START_EVENT ? ev.data.mapping_start.anchor
								 : ev.data.sequence_start.anchor)) {
				bad = true;
				break;
			}
			n = config_node_new(ev.type == YAML_MAPPING_START_EVENT ? CONFIG_NODE_MAP : CONFIG_NODE_SEQ,
					    &ev.start_mark);
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT: depth--; break;
		case YAML_ALIAS_EVENT: bad = true; break;
		case YAML_DOCUMENT_END_EVENT:
		case YAML_STREAM_END_EVENT: done = true; break;
		default: break;
		}
		if (n) {
			if (depth > 0)
				config_node_add(stack[depth - 1], n);
			else if (root == NULL)
				root = n;
			else
				config_node_free(n);
			if (n->type != CONFIG_NODE_SCALAR)
				stack[depth++] = n;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (bad) {
		config_node_free(root);
		return NULL;
	}
	return root;
}

struct config_vet {
	struct config_errbuf *e;
	char *out; /* the repaired copy */
	size_t used, cap;
};

static void config_vet_put(struct config_vet *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void config_vet_put(struct config_vet *v, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(v->out + v->used, v->cap - v->used, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < v->cap - v->used)
			break;
		v->cap = v->cap * 2 + (size_t)n + 256;
		v->out = xrealloc(v->out, v->cap);
	}
	v->used += (size_t)n;
}

static void config_vet_quoted(struct config_vet *v, const char *s)
{
	config_vet_put(v, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			config_vet_put(v, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			config_vet_put(v, "\\x%02x", c);
		else
			config_vet_put(v, "%c", c);
	}
	config_vet_put(v, "\"");
}

static void config_vet_flag(struct config_errbuf *e, const char *path)
{
	if (e->flagged_n == e->flagged_cap) {
		e->flagged_cap = e->flagged_cap ? e->flagged_cap * 2 : 16;
		e->flagged = xrealloc(e->flagged, e->flagged_cap * sizeof *e->flagged);
	}
	e->flagged[e->flagged_n++] = xstrdup(path);
}

static void config_vet_problem(struct config_vet *v, const struct config_node *n, const char *path, const char *fmt,
			       ...) __attribute__((format(printf, 4, 5)));

static void config_vet_problem(struct config_vet *v, const struct config_node *n, const char *path, const char *fmt,
			       ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	config_append(v->e, "%s:%d:%d: %s\n", v->e->name, n->line, n->col, msg);
	v->e->problems++;
	config_vet_flag(v->e, path);
}

static const char *config_node_what(const struct config_node *n)
{
	return n->type == CONFIG_NODE_SEQ ? "a list" : n->type == CONFIG_NODE_MAP ? "a mapping" : "a single value";
}

/* A value the schema accepts, standing in for a wrong or missing one. */
static void config_vet_placeholder(struct config_vet *v, const cyaml_schema_value_t *s)
{
	switch (s->type) {
	case CYAML_MAPPING:
		config_vet_put(v, "{");
		for (const cyaml_schema_field_t *f = s->mapping.fields; f->key; f++)
			if (!(f->value.flags & CYAML_FLAG_OPTIONAL)) {
				config_vet_put(v, "%s: ", f->key);
				config_vet_placeholder(v, &f->value);
				config_vet_put(v, ", ");
			}
		config_vet_put(v, "}");
		break;
	case CYAML_SEQUENCE:
	case CYAML_SEQUENCE_FIXED:
		config_vet_put(v, "[");
		for (uint32_t i = 0; i < s->sequence.min; i++) {
			config_vet_placeholder(v, s->sequence.entry);
			config_vet_put(v, ", ");
		}
		config_vet_put(v, "]");
		break;
	case CYAML_STRING:
		config_vet_put(v, "\"");
		for (uint32_t i = 0; i < (s->string.min ? s->string.min : 1); i++)
			config_vet_put(v, "x");
		config_vet_put(v, "\"");
		break;
	case CYAML_ENUM: config_vet_quoted(v, s->enumeration.strings[0].str); break;
	case CYAML_FLAGS: config_vet_put(v, "[]"); break;
	case CYAML_BOOL: config_vet_put(v, "false"); break;
	default: config_vet_put(v, "0"); break;
	}
}

static void config_vet_words(char *buf, size_t len, const cyaml_strval_t *w, uint32_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", w[i].str);
}

static bool config_vet_enum_has(const cyaml_schema_value_t *s, const char *word)
{
	for (uint32_t i = 0; i < s->enumeration.count; i++)
		if (strcmp(s->enumeration.strings[i].str, word) == 0)
			return true;
	return false;
}

/* A single value n against s; false if it is wrong (reported). */
static bool config_vet_scalar(struct config_vet *v, const struct config_node *n, const cyaml_schema_value_t *s,
			      const char *path)
{
	static const char *const bools[] = { "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES",
					     "no",   "No",   "NO",   "on",    "On",    "ON",    "off", "Off", "OFF" };
	const char *val = n->value;
	char words[512], *end;
	size_t len = strlen(val);
	bool ok = false;

	switch (s->type) {
	case CYAML_STRING:
		if (len < s->string.min) {
			config_vet_problem(v, n, path,
					   s->string.min == 1 ? "expected a value here, not nothing"
							      : "expected at least %u characters here",
					   s->string.min);
			return false;
		}
		if (len > s->string.max) {
			int cut = 40;
			while (cut < (int)len && ((unsigned char)val[cut] & 0xc0) == 0x80)
				cut--; /* not inside a character */
			config_vet_problem(v, n, path,
					   "too long: at most %u bytes here (a Chinese character takes 3), not %zu "
					   "('%.*s%s')",
					   s->string.max, len, cut, val, len > (size_t)cut ? "..." : "");
			return false;
		}
		return true;
	case CYAML_BOOL:
		for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++)
			ok = ok || strcmp(val, bools[i]) == 0;
		if (!ok)
			config_vet_problem(v, n, path, "expected true or false, not '%s'", val);
		return ok;
	case CYAML_INT:
	case CYAML_UINT: {
		long long x;
		errno = 0;
		x = strtoll(val, &end, 10);
		ok = val[0] != '\0' && *end == '\0' && errno == 0 && (s->type == CYAML_INT || x >= 0) &&
		     (s->data_size >= 8 || (s->type == CYAML_UINT ? x <= (long long)UINT32_MAX : x <= INT32_MAX));
		if (!ok)
			config_vet_problem(v, n, path, "expected a whole number%s, not '%s'",
					   s->type == CYAML_UINT ? " (0 or more)" : "", val);
		return ok;
	}
	case CYAML_ENUM:
		if (!(s->flags & CYAML_FLAG_STRICT) || config_vet_enum_has(s, val))
			return true;
		config_vet_words(words, sizeof words, s->enumeration.strings, s->enumeration.count);
		config_vet_problem(v, n, path, "unknown value '%s'; expected one of: %s", val, words);
		return false;
	default: return true;
	}
}

static void config_vet_node(struct config_vet *v, const struct config_node *n, const cyaml_schema_value_t *s,
			    const char *path);

static void config_vet_mapping(struct config_vet *v, const struct config_node *n, const cyaml_schema_value_t *s,
			       const char *path)
{
	const cyaml_schema_field_t *f;
	char kpath[512], keys[512];
	size_t used = 0;

	keys[0] = '\0';
	for (f = s->mapping.fields; f->key && used < sizeof keys; f++)
		used += (size_t)snprintf(keys + used, sizeof keys - used, "%s%s", used ? ", " : "", f->key);
	config_vet_put(v, "{");
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct config_node *k = n->kids[i], *val = n->kids[i + 1];
		bool twice = false;
		if (k->type != CONFIG_NODE_SCALAR) {
			config_vet_problem(v, k, path, "expected a setting's name here, not %s", config_node_what(k));
			continue;
		}
		for (f = s->mapping.fields; f->key; f++)
			if (strcmp(f->key, k->value) == 0)
				break;
		snprintf(kpath, sizeof kpath, "%s%s%s", path, path[0] ? "." : "", k->value);
		if (f->key == NULL) {
			config_vet_problem(v, k, kpath, "unknown setting '%s' here; expected one of: %s", k->value,
					   keys);
			continue;
		}
		for (size_t j = 0; j < i && !twice; j += 2)
			twice = n->kids[j]->type == CONFIG_NODE_SCALAR && strcmp(n->kids[j]->value, k->value) == 0;
		if (twice) {
			config_vet_problem(v, k, kpath, "'%s' is given twice here", k->value);
			continue;
		}
		config_vet_put(v, "%s: ", f->key);
		config_vet_node(v, val, &f->value, kpath);
		config_vet_put(v, ", ");
	}
	for (f = s->mapping.fields; f->key; f++) {
		bool given = false;
		if (f->value.flags & CYAML_FLAG_OPTIONAL)
			continue;
		for (size_t i = 0; i + 1 < n->n && !given; i += 2)
			given = n->kids[i]->type == CONFIG_NODE_SCALAR && strcmp(n->kids[i]->value, f->key) == 0;
		if (given)
			continue;
		snprintf(kpath, sizeof kpath, "%s%s%s", path, path[0] ? "." : "", f->key);
		config_vet_problem(v, n, kpath, "'%s' is missing here (it is required)", f->key);
		config_vet_put(v, "%s: ", f->key);
		config_vet_placeholder(v, &f->value);
		config_vet_put(v, ", ");
	}
	config_vet_put(v, "}");
}

static void config_vet_node(struct config_vet *v, const struct config_node *n, const cyaml_schema_value_t *s,
			    const char *path)
{
	char ipath[512], words[512];

	switch (s->type) {
	case CYAML_MAPPING:
		if (n->type != CONFIG_NODE_MAP) {
			config_vet_problem(v, n, path, "expected a mapping (\"key: value\" lines) here, not %s",
					   config_node_what(n));
			config_vet_placeholder(v, s);
			return;
		}
		config_vet_mapping(v, n, s, path);
		return;
	case CYAML_SEQUENCE:
	case CYAML_SEQUENCE_FIXED: {
		size_t count;
		if (n->type != CONFIG_NODE_SEQ) {
			config_vet_problem(v, n, path, "expected a list here, not %s", config_node_what(n));
			config_vet_placeholder(v, s);
			return;
		}
		count = n->n;
		if (count < s->sequence.min)
			config_vet_problem(v, n, path, "expected at least %u entr%s here, not %zu", s->sequence.min,
					   s->sequence.min == 1 ? "y" : "ies", count);
		if (count > s->sequence.max) {
			config_vet_problem(v, n->kids[s->sequence.max], path,
					   "too many entries: at most %u here, not %zu", s->sequence.max, count);
			count = s->sequence.max;
		}
		config_vet_put(v, "[");
		for (size_t i = 0; i < count; i++) {
			snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
			config_vet_node(v, n->kids[i], s->sequence.entry, ipath);
			config_vet_put(v, ", ");
		}
		for (size_t i = count; i < s->sequence.min; i++) {
			config_vet_placeholder(v, s->sequence.entry);
			config_vet_put(v, ", ");
		}
		config_vet_put(v, "]");
		return;
	}
	case CYAML_FLAGS:
		if (n->type != CONFIG_NODE_SEQ) {
			config_vet_problem(v, n, path, "expected a list here (e.g. [mon, tue]), not %s",
					   config_node_what(n));
			config_vet_put(v, "[]");
			return;
		}
		config_vet_put(v, "[");
		for (size_t i = 0; i < n->n; i++) {
			const struct config_node *w = n->kids[i];
			snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
			if (w->type != CONFIG_NODE_SCALAR) {
				config_vet_problem(v, w, ipath, "expected a single word here, not %s",
						   config_node_what(w));
				continue;
			}
			if (!config_vet_enum_has(s, w->value)) {
				config_vet_words(words, sizeof words, s->enumeration.strings, s->enumeration.count);
				if (s->enumeration.strings == config_day_names)
					config_vet_problem(
						v, w, ipath,
						"unknown day '%s'; expected mon, tue, wed, thu, fri, sat, sun, "
						"weekdays, weekend or every-day",
						w->value);
				else
					config_vet_problem(v, w, ipath, "unknown value '%s'; expected one of: %s",
							   w->value, words);
				continue;
			}
			config_vet_quoted(v, w->value);
			config_vet_put(v, ", ");
		}
		config_vet_put(v, "]");
		return;
	default:
		if (n->type != CONFIG_NODE_SCALAR) {
			config_vet_problem(v, n, path, "expected a single value here, not %s", config_node_what(n));
			config_vet_placeholder(v, s);
			return;
		}
		if (config_vet_scalar(v, n, s, path))
			config_vet_quoted(v, n->value);
		else
			config_vet_placeholder(v, s);
		return;
	}
}

/* Walk data against the schema: -1 if the walk could not run (left to
 * libcyaml), else the number of problems; *repaired gets a copy libcyaml
 * accepts when there were some (free it). */
static int config_vet_data(struct config_errbuf *e, const char *data, size_t len, char **repaired)
{
	struct config_node *root = config_tree(data, len);
	struct config_vet v = { .e = e };
	int before = e->problems;

	*repaired = NULL;
	if (root == NULL)
		return -1;
	config_vet_node(&v, root, &config_top_schema, "");
	config_node_free(root);
	config_vet_put(&v, "\n");
	if (e->problems > before)
		*repaired = v.out;
	else
		free(v.out);
	return e->problems - before;
}

/* Was a problem already reported at path, or at a part containing it or
 * contained in it? Then the checks after loading say nothing more of it. */
static bool config_flagged(const struct config_errbuf *e, const char *path)
{
	for (size_t i = 0; i < e->flagged_n; i++) {
		const char *f = e->flagged[i];
		size_t lf = strlen(f), lp = strlen(path), n = lf < lp ? lf : lp;
		if (strncmp(f, path, n) != 0)
			continue;
		if (lf == lp || n == 0 || (lf < lp ? path[n] : f[n]) == '.' || (lf < lp ? path[n] : f[n]) == '[')
			return true;
	}
	return false;
}

/* One problem a line, in the file's order. */
static void config_sort_problems(struct config_errbuf *e)
{
	char *copy = xstrdup(e->buf), *save = NULL, **lines = NULL;
	size_t n = 0, cap = 0, nl = strlen(e->name), used = 0;
	long *keys = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int line = 0, col = 0;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			lines = xrealloc(lines, cap * sizeof *lines);
			keys = xrealloc(keys, cap * sizeof *keys);
		}
		if (strncmp(l, e->name, nl) == 0 && sscanf(l + nl, ":%d:%d:", &line, &col) != 2)
			line = col = 0;
		lines[n] = l;
		keys[n++] = (long)line * 100000 + col;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && keys[j] < keys[j - 1]; j--) {
			char *tl = lines[j];
			long tk = keys[j];
			lines[j] = lines[j - 1], keys[j] = keys[j - 1];
			lines[j - 1] = tl, keys[j - 1] = tk;
		}
	e->buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(lines[i], lines[i - 1]) != 0)
			used += (size_t)snprintf(e->buf + used, used < e->len ? e->len - used : 0, "%s\n", lines[i]);
	free(lines);
	free(keys);
	free(copy);
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

/* Report a problem at path (or the nearest recorded ancestor). */
static void config_problem(struct config_errbuf *e, const struct config_positions *ps, const char *path,
			   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void config_problem(struct config_errbuf *e, const struct config_positions *ps, const char *path,
			   const char *fmt, ...)
{
	char p[512], msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (config_flagged(e, path))
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

/* ---- the unit register ------------------------------------------------ */

/* "7" or "1-20" into [from, to]; -1 if bad. */
static int config_parse_floors(const char *s, int *from, int *to)
{
	char *end;
	long a, b;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	a = strtol(s, &end, 10);
	b = a;
	if (*end == '-') {
		if (!isdigit((unsigned char)end[1]))
			return -1;
		b = strtol(end + 1, &end, 10);
	}
	if (*end != '\0' || a > b || b > 9999)
		return -1;
	*from = (int)a;
	*to = (int)b;
	return 0;
}

/* "A" or "A-H" (capital letters) into [from, to]; -1 if bad. */
static int config_parse_flats(const char *s, char *from, char *to)
{
	if (s[0] < 'A' || s[0] > 'Z')
		return -1;
	*from = *to = s[0];
	if (s[1] == '\0')
		return 0;
	if (s[1] != '-' || s[2] < 'A' || s[2] > 'Z' || s[3] != '\0' || s[2] < s[0])
		return -1;
	*to = s[2];
	return 0;
}

/* Is unit one of block b's units? The floor is written without leading
 * zeros, as the register spells it: "12-01A" is not "12-1A". */
static bool config_block_has(const struct config_unit *b, const char *unit)
{
	size_t n = strlen(b->building);
	const char *p = unit + n;
	long floor = 0;

	if (strncmp(unit, b->building, n) != 0 || *p != '-' || !isdigit((unsigned char)p[1]))
		return false;
	p++;
	if (p[0] == '0' && isdigit((unsigned char)p[1]))
		return false;
	for (; isdigit((unsigned char)*p); p++)
		if ((floor = floor * 10 + (*p - '0')) > 9999)
			return false;
	if (floor < b->floor_from || floor > b->floor_to)
		return false;
	if (b->flat_from == 0)
		return *p == '\0';
	return p[0] >= b->flat_from && p[0] <= b->flat_to && p[1] == '\0';
}

bool config_unit_known(const config_t *cfg, const char *unit)
{
	if (cfg->units_count == 0)
		return true;
	for (unsigned i = 0; i < cfg->units_count; i++) {
		const struct config_unit *u = &cfg->units[i];
		if ((u->unit && strcmp(u->unit, unit) == 0) || (u->pattern && config_glob(u->pattern, unit)) ||
		    (u->building && config_block_has(u, unit)))
			return true;
	}
	return false;
}

const struct config_unit *config_unit_contact(const config_t *cfg, const char *unit)
{
	for (unsigned i = 0; i < cfg->units_count; i++) {
		const struct config_unit *u = &cfg->units[i];
		if (u->unit && (u->resident || u->phone) && strcmp(u->unit, unit) == 0)
			return u;
	}
	return NULL;
}

#define CONFIG_SUGGEST_MAX 3
#define CONFIG_UNIT_LEN 40

/* Typing slips a register should forgive: case and separators ("121a"
 * for "12-1A"), then a character or two wrong, missing or extra. */
struct config_suggest {
	char want[CONFIG_UNIT_LEN], want_norm[CONFIG_UNIT_LEN];
	char best[CONFIG_SUGGEST_MAX][CONFIG_UNIT_LEN];
	int best_score[CONFIG_SUGGEST_MAX];
	int n;
	long budget; /* candidates still to look at: a register of blocks is finite, but may be large */
};

static void config_unit_norm(const char *s, char *out, size_t len)
{
	size_t k = 0;
	for (; *s && k + 1 < len; s++)
		if (isalnum((unsigned char)*s))
			out[k++] = (char)toupper((unsigned char)*s);
	out[k] = '\0';
}

/* Levenshtein distance of two short strings. */
static int config_distance(const char *a, const char *b)
{
	int prev[CONFIG_UNIT_LEN + 1], cur[CONFIG_UNIT_LEN + 1];
	size_t la = strlen(a), lb = strlen(b);

	if (la > CONFIG_UNIT_LEN || lb > CONFIG_UNIT_LEN)
		return 1000;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int sub = prev[j - 1] + (a[i - 1] != b[j - 1]), del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof prev);
	}
	return prev[lb];
}

static void config_suggest_consider(struct config_suggest *s, const char *cand)
{
	char norm[CONFIG_UNIT_LEN];
	int d, score, worst = 0;

	s->budget--;
	config_unit_norm(cand, norm, sizeof norm);
	d = config_distance(s->want_norm, norm);
	if (d > (strlen(s->want_norm) >= 6 ? 2 : 1) || (d > 0 && strlen(s->want_norm) < 3))
		return;                                   /* too far to be a slip of the same unit */
	score = d * 100 + config_distance(s->want, cand); /* the same keys first, then the spelling */
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->best[i], cand) == 0)
			return;
	if (s->n < CONFIG_SUGGEST_MAX) {
		worst = s->n++;
	} else {
		for (int i = 1; i < s->n; i++)
			if (s->best_score[i] > s->best_score[worst])
				worst = i;
		if (s->best_score[worst] <= score)
			return;
	}
	snprintf(s->best[worst], sizeof s->best[worst], "%s", cand);
	s->best_score[worst] = score;
}

int config_unit_suggest(const config_t *cfg, const char *unit, char *buf, size_t len)
{
	struct config_suggest s = { .budget = 2000000 };
	int order[CONFIG_SUGGEST_MAX], k = 0;
	size_t used = 0;

	buf[0] = '\0';
	snprintf(s.want, sizeof s.want, "%s", unit);
	config_unit_norm(unit, s.want_norm, sizeof s.want_norm);
	for (unsigned i = 0; i < cfg->units_count && s.budget > 0; i++) {
		const struct config_unit *u = &cfg->units[i];
		char cand[CONFIG_UNIT_LEN];
		if (u->unit)
			config_suggest_consider(&s, u->unit);
		if (u->building == NULL)
			continue;
		for (int f = u->floor_from; f <= u->floor_to && s.budget > 0; f++) {
			if (u->flat_from == 0) {
				snprintf(cand, sizeof cand, "%s-%d", u->building, f);
				config_suggest_consider(&s, cand);
			}
			for (char c = u->flat_from; c && c <= u->flat_to; c++) {
				snprintf(cand, sizeof cand, "%s-%d%c", u->building, f, c);
				config_suggest_consider(&s, cand);
			}
		}
	}
	/* best first */
	for (int i = 0; i < s.n; i++)
		order[i] = i;
	for (int i = 1; i < s.n; i++)
		for (int j = i; j > 0 && s.best_score[order[j]] < s.best_score[order[j - 1]]; j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	/* only the closest: "121A" is 12-1A (or 1-21A), not also 1-1A one key away */
	while (s.n > 1 && s.best_score[order[s.n - 1]] > s.best_score[order[0]])
		s.n--;
	for (k = 0; k < s.n; k++)
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 k == 0         ? ""
					 : k == s.n - 1 ? " or "
							: ", ",
					 s.best[order[k]]);
	return s.n;
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
			} else if (config_parse_floors(u->floors, &u->floor_from, &u->floor_to) != 0)
				config_problem(e, ps, path,
					       "expected floors as FROM-TO or one floor (e.g. 1-20 or 7), not '%s'",
					       u->floors);
			snprintf(path, sizeof path, "units[%u].flats", i);
			if (u->flats && config_parse_flats(u->flats, &u->flat_from, &u->flat_to) != 0)
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
		    config_flagged(e, ps->v[i].path))
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

static void config_check(config_t *cfg, struct config_errbuf *e, const struct config_positions *ps)
{
	char path[128];

	config_check_bools(e, ps);
	config_check_units(cfg, e, ps);

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
	if (cfg->timezone) {
		const char *why = config_zone_problem(cfg->timezone);
		if (why)
			config_problem(e, ps, "timezone",
				       "unknown time zone '%s': %s (expected a name such as Asia/Hong_Kong)",
				       cfg->timezone, why);
	}
}

/* ---- load and free ---------------------------------------------------- */

static void config_errbuf_done(struct config_errbuf *e)
{
	if (e->problems > 1)
		config_sort_problems(e);
	for (size_t i = 0; i < e->flagged_n; i++)
		free(e->flagged[i]);
	free(e->flagged);
	e->flagged = NULL;
	e->flagged_n = e->flagged_cap = 0;
}

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
	if (config_vet_data(&e, data, len, &repaired) > 0) {
		/* the checks after loading, on the repaired copy: every problem in one pass */
		if (cyaml_load_data((const uint8_t *)repaired, strlen(repaired), &quiet, &config_top_schema,
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
	config_errbuf_done(&e);
	if (cfg->listen == NULL)
		cfg->listen = xcalloc(1, sizeof *cfg->listen);
	if (cfg->presence == NULL) {
		cfg->presence = xcalloc(1, sizeof *cfg->presence);
		cfg->presence->online_window = 90;
	}
	return cfg;
fail:
	config_positions_free(&ps);
	config_errbuf_done(&e);
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
	cyaml_free(&cc, &config_top_schema, *cfgp, 0);
	*cfgp = NULL;
}
