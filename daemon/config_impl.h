/*
 * config_impl: what config.c (the schema, the load and the checks after
 * loading) shares with config_vet.c (the walk of the file's structure
 * against that schema). No other module includes it.
 */
#ifndef CONFIG_IMPL_H
#define CONFIG_IMPL_H

#include <cyaml/cyaml.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct config_positions;

/* Where messages are collected while one load runs. */
struct config_errbuf {
	char *buf;
	size_t len;
	const char *name;
	char pending[512];    /* a libcyaml message (in our words) waiting for its position */
	char pending_key[64]; /* its unknown key, if it is about one */
	bool pending_yaml;    /* it is libyaml's: the text is not YAML */
	int problems;
	const struct config_positions *ps; /* node positions, when known */
	char **flagged;                    /* paths the structure walk reported (config_vet_flagged) */
	size_t flagged_n, flagged_cap;
};

/* The schema of the whole file (config.c), and its day names. */
extern const cyaml_schema_value_t config_top_schema;
extern const cyaml_strval_t config_day_names[];

/* Append to e's messages (cut at its length). */
void config_append(struct config_errbuf *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Walk data against config_top_schema, reporting every problem into e:
 * -1 if the walk could not run (no tree: left to libcyaml), else the
 * number of problems; with some, *repaired may get a copy libcyaml loads
 * (free it), else it is NULL. */
/* Our words for libyaml's account of text that is not YAML. */
const char *config_vet_yaml_problem(const char *problem);
int config_vet_data(struct config_errbuf *e, const char *data, size_t len, char **repaired);
/* Did the walk report a problem at path, inside it or around it? */
bool config_vet_flagged(const struct config_errbuf *e, const char *path);
/* Sort e's messages into the file's order (and drop repeats). */
void config_vet_sort(struct config_errbuf *e);
/* The end of a load: messages sorted, flagged paths freed. */
void config_vet_done(struct config_errbuf *e);

/* Report a problem at path (or its nearest recorded ancestor), unless the
 * structure walk already did (config.c). */
void config_problem(struct config_errbuf *e, const struct config_positions *ps, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Issue 19 (config_asset.c): the schema of an asset and of a parts list
 * entry, the checks of both after loading, and the asset index's end. */
extern const cyaml_schema_value_t config_asset_entry;
extern const cyaml_schema_value_t config_part_entry;
void config_check_assets(config_t *cfg, struct config_errbuf *e, const struct config_positions *ps);
void config_assets_free(config_t *cfg);

#endif
