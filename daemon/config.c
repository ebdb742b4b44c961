/*
 * config: libcyaml schema for dispatchd.yaml and the semantic checks after
 * loading. The schema is the reference for the file format; keep README's
 * configuration section in step with it.
 */
#include "config.h"

#include <cyaml/cyaml.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.pb-c.h"
#include "xalloc.h"

extern const char config_sample[];
extern const size_t config_sample_len;

static const cyaml_strval_t config_kind_names[] = {
	{ "repair", DISPATCH__KIND__KIND_REPAIR },
	{ "complaint", DISPATCH__KIND__KIND_COMPLAINT },
	{ "special", DISPATCH__KIND__KIND_SPECIAL },
	{ "security", DISPATCH__KIND__KIND_SECURITY },
	{ "cleaning", DISPATCH__KIND__KIND_CLEANING },
	{ "inquiry", DISPATCH__KIND__KIND_INQUIRY },
};

static const cyaml_schema_value_t config_string_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, 64),
};

static const cyaml_schema_value_t config_kind_entry = {
	CYAML_VALUE_ENUM(CYAML_FLAG_DEFAULT, int, config_kind_names,
			 sizeof config_kind_names / sizeof config_kind_names[0]),
};

static const cyaml_schema_field_t config_member_fields[] = {
	CYAML_FIELD_STRING_PTR("id", CYAML_FLAG_POINTER, struct config_member, id, 1, 32),
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, struct config_member, name, 1, 128),
	CYAML_FIELD_SEQUENCE("skills", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct config_member, skills, &config_string_entry, 0, 32),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t config_member_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct config_member, config_member_fields),
};

static const cyaml_schema_field_t config_crew_fields[] = {
	CYAML_FIELD_STRING_PTR("id", CYAML_FLAG_POINTER, struct config_crew, id, 1, 32),
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, struct config_crew, name, 1, 128),
	CYAML_FIELD_STRING_PTR("supervisor", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct config_crew, supervisor, 1, 32),
	CYAML_FIELD_BOOL("outsourced", CYAML_FLAG_OPTIONAL, struct config_crew, outsourced),
	CYAML_FIELD_SEQUENCE("members", CYAML_FLAG_POINTER, struct config_crew, members,
			     &config_member_entry, 1, 1000),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t config_crew_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct config_crew, config_crew_fields),
};

static const cyaml_schema_field_t config_rule_fields[] = {
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, struct config_rule, name, 1, 64),
	CYAML_FIELD_SEQUENCE("kinds", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct config_rule, kinds, &config_kind_entry, 0, 16),
	CYAML_FIELD_STRING_PTR("crew", CYAML_FLAG_POINTER, struct config_rule, crew, 1, 32),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t config_rule_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct config_rule, config_rule_fields),
};

static const cyaml_schema_field_t config_listen_fields[] = {
	CYAML_FIELD_STRING_PTR("request", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct config_listen, request, 1, 256),
	CYAML_FIELD_STRING_PTR("events", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct config_listen, events, 1, 256),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t config_top_fields[] = {
	CYAML_FIELD_STRING_PTR("estate", CYAML_FLAG_POINTER, config_t, estate, 1, 128),
	CYAML_FIELD_MAPPING_PTR("listen", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, config_t,
				listen, config_listen_fields),
	CYAML_FIELD_SEQUENCE("crews", CYAML_FLAG_POINTER, config_t, crews, &config_crew_entry, 1, 100),
	CYAML_FIELD_SEQUENCE("rules", CYAML_FLAG_POINTER, config_t, rules, &config_rule_entry, 1, 1000),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t config_top_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, config_t, config_top_fields),
};

/* Where libcyaml's messages are collected while one load runs. */
struct config_errbuf {
	char *buf;
	size_t len;
	const char *name;
};

static void config_append(struct config_errbuf *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

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

static void config_cyaml_log(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	struct config_errbuf *e = ctx;
	char msg[512];
	size_t n;

	if (level < CYAML_LOG_ERROR)
		return;
	vsnprintf(msg, sizeof msg, fmt, args);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (strncmp(msg, "Load: ", 6) == 0)
		memmove(msg, msg + 6, n - 5);
	config_append(e, "%s: %s\n", e->name, msg);
}

static void config_cyaml_quiet(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	(void)level, (void)ctx, (void)fmt, (void)args;
}

static cyaml_config_t config_cyaml(struct config_errbuf *e)
{
	cyaml_config_t c = {
		.log_fn = config_cyaml_log,
		.log_ctx = e,
		.mem_fn = cyaml_mem,
		.log_level = CYAML_LOG_ERROR,
		.flags = CYAML_CFG_DEFAULT,
	};
	return c;
}

const struct config_crew *config_crew(const config_t *cfg, const char *id)
{
	for (unsigned i = 0; i < cfg->crews_count; i++)
		if (strcmp(cfg->crews[i].id, id) == 0)
			return &cfg->crews[i];
	return NULL;
}

const struct config_member *config_member(const config_t *cfg, const char *id,
					  const struct config_crew **crew_out)
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

/* Checks a schema cannot express. Returns the number of problems found. */
static int config_check(const config_t *cfg, struct config_errbuf *e)
{
	int problems = 0;

	for (unsigned i = 0; i < cfg->crews_count; i++) {
		const struct config_crew *c = &cfg->crews[i];
		for (unsigned k = 0; k < i; k++)
			if (strcmp(cfg->crews[k].id, c->id) == 0) {
				config_append(e, "%s: crew '%s' is defined twice\n", e->name, c->id);
				problems++;
			}
		for (unsigned j = 0; j < c->members_count; j++) {
			const struct config_crew *owner = NULL;
			config_member(cfg, c->members[j].id, &owner);
			if (owner != c || &c->members[j] != config_member(cfg, c->members[j].id, NULL)) {
				config_append(e, "%s: member id '%s' is used twice (ids are unique across the estate)\n",
					      e->name, c->members[j].id);
				problems++;
			}
			if (strchr(c->members[j].id, '.') != NULL) {
				config_append(e, "%s: member id '%s' must not contain '.'\n", e->name, c->members[j].id);
				problems++;
			}
		}
		if (strchr(c->id, '.') != NULL) {
			config_append(e, "%s: crew id '%s' must not contain '.' (it is a topic level)\n",
				      e->name, c->id);
			problems++;
		}
		if (c->supervisor && config_member(cfg, c->supervisor, NULL) == NULL) {
			config_append(e, "%s: crew '%s': supervisor '%s' is not a member of any crew\n",
				      e->name, c->id, c->supervisor);
			problems++;
		}
	}
	for (unsigned i = 0; i < cfg->rules_count; i++) {
		const struct config_rule *r = &cfg->rules[i];
		if (config_crew(cfg, r->crew) == NULL) {
			config_append(e, "%s: rule '%s': crew '%s' is not defined under crews\n",
				      e->name, r->name, r->crew);
			problems++;
		}
	}
	return problems;
}

config_t *config_load_data(const char *name, const char *data, size_t len, char *err, size_t errlen)
{
	struct config_errbuf e = { .buf = err, .len = errlen, .name = name };
	cyaml_config_t cc = config_cyaml(&e);
	config_t *cfg = NULL;
	cyaml_err_t rc;

	err[0] = '\0';
	rc = cyaml_load_data((const uint8_t *)data, len, &cc, &config_top_schema, (cyaml_data_t **)&cfg, NULL);
	if (rc != CYAML_OK) {
		if (err[0] == '\0')
			config_append(&e, "%s: %s\n", name, cyaml_strerror(rc));
		return NULL;
	}
	if (config_check(cfg, &e) > 0) {
		config_destroy(&cfg);
		return NULL;
	}
	if (cfg->listen == NULL)
		cfg->listen = xcalloc(1, sizeof *cfg->listen);
	return cfg;
}

config_t *config_load_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0, n;
	config_t *cfg;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s\n", path, strerror(errno));
		return NULL;
	}
	do {
		if (len + 4096 > cap)
			data = xrealloc(data, cap = cap * 2 + 8192);
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	cfg = config_load_data(path, data, len, err, errlen);
	free(data);
	return cfg;
}

config_t *config_load_default(char *err, size_t errlen)
{
	return config_load_data("(built-in sample-estate.yaml)", config_sample, config_sample_len, err, errlen);
}

void config_destroy(config_t **cfgp)
{
	struct config_errbuf e = { .buf = NULL, .len = 0, .name = "" };
	cyaml_config_t cc = config_cyaml(&e);
	config_t *cfg;

	if (cfgp == NULL || *cfgp == NULL)
		return;
	cfg = *cfgp;
	cc.log_fn = config_cyaml_quiet;
	/* listen may have been added by us with calloc; cyaml frees with free() too */
	cyaml_free(&cc, &config_top_schema, cfg, 0);
	*cfgp = NULL;
}
