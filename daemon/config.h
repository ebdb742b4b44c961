/*
 * config: the estate's configuration (crews, members, routing rules,
 * endpoints), loaded from YAML with libcyaml's schema so that every error
 * names the place in the file, then checked for what a schema cannot say
 * (rules naming unknown crews, duplicate ids).
 *
 * Ownership: config_load_*() returns an owned config_t; free it with
 * config_destroy(). Strings inside live as long as the config_t.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct config_member {
	char *id;              /* unique across the estate, e.g. "T07" */
	char *name;
	char **skills;
	unsigned skills_count;
};

struct config_crew {
	char *id;              /* e.g. "technical" */
	char *name;
	char *supervisor;      /* member id, escalation target */
	bool outsourced;       /* a vendor (clause 4.5) */
	struct config_member *members;
	unsigned members_count;
};

struct config_rule {
	char *name;
	int *kinds;            /* Dispatch__Kind values; none = any kind */
	unsigned kinds_count;
	char *crew;
};

struct config_listen {
	char *request;         /* ROUTER endpoint */
	char *events;          /* PUB endpoint */
};

typedef struct config {
	char *estate;
	struct config_listen *listen;
	struct config_crew *crews;
	unsigned crews_count;
	struct config_rule *rules;
	unsigned rules_count;
} config_t;

/* Load from a file. On failure returns NULL and writes what is wrong (one
 * problem per line, "FILE: message") into err. */
config_t *config_load_file(const char *path, char *err, size_t errlen);
/* Load from memory; name is used in messages. */
config_t *config_load_data(const char *name, const char *data, size_t len, char *err, size_t errlen);
/* The configuration built into the binary (daemon/sample-estate.yaml). */
config_t *config_load_default(char *err, size_t errlen);
void config_destroy(config_t **cfg);

const struct config_crew *config_crew(const config_t *cfg, const char *id);
/* Find a member anywhere in the estate; *crew_out gets its crew if non-NULL. */
const struct config_member *config_member(const config_t *cfg, const char *id,
					  const struct config_crew **crew_out);

#endif
