/*
 * admin: dispatchd's offline subcommands (gen-keys, check-config, verify,
 * backup, export, purge, report), as one table, and the options they and
 * the daemon share. Each runs instead of serving, on the configuration or
 * an existing store, and returns the exit code; main parses the command
 * line, and serves when no row of the table is selected.
 */
#ifndef ADMIN_H
#define ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct admin_options {
	const char *config;
	const char *state_dir;
	const char *request;
	const char *events;
	size_t map_size;
	size_t map_max;
	int pub_hwm;
	int check_config;
	int verify;
	const char *command; /* "backup" or "export", or NULL to serve */
	const char *backup_dest;
	const char *from, *to;              /* export period, local dates YYYY-MM-DD */
	const char *older_than;             /* purge: "7y", "400d" */
	int yes;                            /* purge: really do it */
	const char *report;                 /* report: "daily" or "review" */
	const char *date, *format, *output; /* report options */
	int64_t clock_offset_ms;
	const char *clock_at;
	double clock_scale;
	const char *gen_keys; /* --gen-keys DIR */
	const char *key_name; /* --name NAME (default "server") */
};

/* Run the subcommand o selects: its exit code, or -1 if o selects none
 * (then serve). */
int admin_run(const struct admin_options *o);

/* The configuration at path (NULL: the built-in sample), with the
 * process's time zone set to the estate's; NULL with the problems in err. */
config_t *admin_load_config(const char *path, char *err, size_t errlen);
/* Set the process's time zone to the estate's (local time in reports,
 * shifts and --clock-at). */
void admin_apply_timezone(const config_t *cfg);
/* Print config problems (one "FILE: message" a line) on stderr. */
void admin_print_errors(const char *errs);

#endif
