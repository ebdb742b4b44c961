/*
 * config_vet: the structure walk of a configuration file.
 *
 * libcyaml stops at the first problem. Before it loads, the file's node
 * tree (libyaml) is walked against the same schema, so that every wrong
 * key, type, length, value and count is reported at once, in our words.
 * When something is wrong, the walk also writes a repaired copy (wrong
 * parts dropped or replaced by a placeholder); that copy is loaded only
 * to run the checks after loading, whose messages about a repaired part
 * are left out, so one pass names every problem.
 *
 * Ownership: config_vet_data()'s repaired copy is the caller's (free());
 * the paths it flags live in the errbuf until config_vet_done().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_impl.h"
#include "xalloc.h"

enum config_node_type { CONFIG_NODE_SCALAR, CONFIG_NODE_MAP, CONFIG_NODE_SEQ };

struct config_node {
	enum config_node_type type;
	char *value; /* a scalar's text */
	int line, col;
	struct config_node **kids; /* a mapping: key, value, key, value...; a list: its entries */
	size_t n, cap;
};

static void config_vet_free_tree(struct config_node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++)
		config_vet_free_tree(n->kids[i]);
	free(n->kids);
	free(n->value);
	free(n);
}

static struct config_node *config_vet_new_node(enum config_node_type type, const yaml_mark_t *m)
{
	struct config_node *n = xcalloc(1, sizeof *n);
	n->type = type;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

static void config_vet_add_kid(struct config_node *parent, struct config_node *kid)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 8;
		parent->kids = xrealloc(parent->kids, parent->cap * sizeof *parent->kids);
	}
	parent->kids[parent->n++] = kid;
}

/* The first document's tree, or NULL: not YAML (the loader says where),
 * no node at all, anchors and aliases (left to libcyaml alone), or nesting
 * deeper than any estate needs (too_deep->line then is its line, 1-based). */
static struct config_node *config_vet_tree(const char *data, size_t len, yaml_mark_t *too_deep)
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
			n = config_vet_new_node(CONFIG_NODE_SCALAR, &ev.start_mark);
			n->value = xstrdup((const char *)ev.data.scalar.value);
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (depth == (int)(sizeof stack / sizeof stack[0])) {
				*too_deep = ev.start_mark;
				too_deep->line++; /* as a flag: 0 stays "not too deep" */
				bad = true;
				break;
			}
			if (ev.type == YAML_MAPPING_START_EVENT ? ev.data.mapping_start.anchor != NULL
								: ev.data.sequence_start.anchor != NULL) {
				bad = true;
				break;
			}
			n = config_vet_new_node(ev.type == YAML_MAPPING_START_EVENT ? CONFIG_NODE_MAP : CONFIG_NODE_SEQ,
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
				config_vet_add_kid(stack[depth - 1], n);
			else if (root == NULL)
				root = n;
			else
				config_vet_free_tree(n);
			if (n->type != CONFIG_NODE_SCALAR)
				stack[depth++] = n;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (bad) {
		config_vet_free_tree(root);
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
		/* No buffer yet: measure only (NULL + 0 is undefined in C). */
		n = vsnprintf(v->out ? v->out + v->used : NULL, v->cap - v->used, fmt, ap);
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

static const char *config_vet_what(const struct config_node *n)
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
			config_vet_problem(v, k, path, "expected a setting's name here, not %s", config_vet_what(k));
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
					   config_vet_what(n));
			config_vet_placeholder(v, s);
			return;
		}
		config_vet_mapping(v, n, s, path);
		return;
	case CYAML_SEQUENCE:
	case CYAML_SEQUENCE_FIXED: {
		size_t count;
		if (n->type != CONFIG_NODE_SEQ) {
			config_vet_problem(v, n, path, "expected a list here, not %s", config_vet_what(n));
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
					   config_vet_what(n));
			config_vet_put(v, "[]");
			return;
		}
		config_vet_put(v, "[");
		for (size_t i = 0; i < n->n; i++) {
			const struct config_node *w = n->kids[i];
			snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
			if (w->type != CONFIG_NODE_SCALAR) {
				config_vet_problem(v, w, ipath, "expected a single word here, not %s",
						   config_vet_what(w));
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
			config_vet_problem(v, n, path, "expected a single value here, not %s", config_vet_what(n));
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
int config_vet_data(struct config_errbuf *e, const char *data, size_t len, char **repaired)
{
	yaml_mark_t deep = { 0 };
	struct config_node *root = config_vet_tree(data, len, &deep);
	struct config_vet v = { .e = e };
	int before = e->problems;

	*repaired = NULL;
	if (root == NULL && deep.line > 0) {
		config_append(e, "%s:%d:%d: lists and mappings nested more than 32 deep; an estate's file needs 6\n",
			      e->name, (int)deep.line, (int)deep.column + 1);
		e->problems++;
		return 0; /* no copy to check further */
	}
	if (root == NULL)
		return -1;
	config_vet_node(&v, root, &config_top_schema, "");
	config_vet_free_tree(root);
	config_vet_put(&v, "\n");
	if (e->problems > before)
		*repaired = v.out;
	else
		free(v.out);
	return e->problems - before;
}

/* Was a problem already reported at path, or at a part containing it or
 * contained in it? Then the checks after loading say nothing more of it. */
bool config_vet_flagged(const struct config_errbuf *e, const char *path)
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
void config_vet_sort(struct config_errbuf *e)
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

void config_vet_done(struct config_errbuf *e)
{
	if (e->problems > 1)
		config_vet_sort(e);
	for (size_t i = 0; i < e->flagged_n; i++)
		free(e->flagged[i]);
	free(e->flagged);
	e->flagged = NULL;
	e->flagged_n = e->flagged_cap = 0;
}

const char *config_vet_yaml_problem(const char *problem)
{
	static const struct {
		const char *libyaml, *ours;
	} words[] = {
		{ "mapping values are not allowed",
		  "not valid YAML: a ':' where no key can start (a value holding \": \" needs quotes)" },
		{ "did not find expected key",
		  "not valid YAML: a line out of step with the keys above it (its indentation?)" },
		{ "did not find expected node content",
		  "not valid YAML: a value is missing here (an unclosed [ or {?)" },
		{ "did not find expected ',' or ']'", "not valid YAML: a list in [ ] is not closed" },
		{ "did not find expected ',' or '}'", "not valid YAML: a mapping in { } is not closed" },
		{ "found unexpected end of stream",
		  "not valid YAML: the file ends inside a quoted value or a [ ] or { }" },
		{ "found character that cannot start any token",
		  "not valid YAML: a character that cannot start a value (a tab, or an unquoted @ or `)" },
		{ "found a tab character", "not valid YAML: a tab in the indentation (YAML indents with spaces)" },
		{ "could not find expected ':'", "not valid YAML: a key without ':' after it" },
		{ "block sequence entries are not allowed", "not valid YAML: a '- ' list entry where it cannot start" },
		{ "control characters are not allowed", "not text: a control character (a NUL byte?) here" },
		{ "UTF-8", "not text: bytes that are not UTF-8 here" },
		{ "found unknown escape character", "not valid YAML: an unknown \\ escape in a double-quoted value" },
		{ "found duplicate", "not valid YAML: a directive given twice" },
	};

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strstr(problem, words[i].libyaml))
			return words[i].ours;
	return "not valid YAML here (check the quotes, brackets and indentation)";
}
