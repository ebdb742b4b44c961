/*
 * config: the estate's configuration (crews, members and their shifts,
 * zones, routing rules, the unit register, presence and duplicate
 * settings, endpoints), loaded from YAML with libcyaml's schema, then
 * checked for what a schema cannot say (rules naming unknown crews,
 * duplicate ids, malformed durations and hours). Every problem of a file
 * is reported in one pass, each as "FILE:LINE:COLUMN: message"; the
 * positions come from a libyaml pass over the same text.
 *
 * Ownership: config_load_*() returns an owned config_t; free it with
 * config_destroy(). Strings and arrays inside live as long as the config_t.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Weekday bits (CONFIG_DAY(0) = Sunday, as struct tm's tm_wday). */
#define CONFIG_DAY(wday) (1u << (wday))
#define CONFIG_ALL_DAYS 0x7fu

/* A daily window [from, to) in minutes after midnight; to < from crosses
 * midnight ("22:00-06:00"). Parsed from "HH:MM-HH:MM". */
struct config_window {
	int from, to;
	bool set;
};

struct config_shift {
	unsigned days;            /* CONFIG_DAY bits; 0 in the file = every day */
	char *hours;              /* "HH:MM-HH:MM" as written */
	struct config_window win; /* parsed from hours */
};

struct config_member {
	char *id; /* unique across the estate, e.g. "T07" */
	char *name;
	char **skills;
	unsigned skills_count;
	char *zone;                  /* NULL: no zone preference */
	struct config_shift *shifts; /* none: always on shift (on call) */
	unsigned shifts_count;
};

struct config_crew {
	char *id; /* e.g. "technical" */
	char *name;
	char *supervisor; /* member id, escalation target */
	bool outsourced;  /* a vendor (clause 4.5) */
	char *phone;      /* how the desk reaches a vendor */
	struct config_member *members;
	unsigned members_count;
};

struct config_zone {
	char *id;
	char **buildings;
	unsigned buildings_count;
};

enum config_escalation_step {
	CONFIG_ESC_NEXT_MEMBER = 1,
	CONFIG_ESC_SUPERVISOR = 2,
	CONFIG_ESC_CONTROL_CENTER = 3,
};

struct config_deadlines {
	char *acknowledge, *arrive, *resolve; /* "10m", "2h", "90s", as written */
	char *follow_up;                      /* after resolution, when a follow-up is required */
	int64_t acknowledge_ms, arrive_ms, resolve_ms, follow_up_ms; /* parsed; 0 = none */
};

struct config_match {
	int *kinds; /* Dispatch__Kind values */
	unsigned kinds_count;
	char **categories;
	unsigned categories_count;
	char **tags; /* any one of them */
	unsigned tags_count;
	char **buildings;
	unsigned buildings_count;
	char **zones;
	unsigned zones_count;
	char **units; /* patterns: '*' matches any run, '?' one char */
	unsigned units_count;
	int *sources; /* Dispatch__Source values */
	unsigned sources_count;
	unsigned *priorities;
	unsigned priorities_count;
	unsigned days; /* CONFIG_DAY bits; 0 = any day */
	char *hours;
	struct config_window win;
};

struct config_rule {
	char *name;
	struct config_match *match; /* NULL: matches everything (a default rule) */
	char *crew;
	char *skill;       /* required skill, or NULL */
	unsigned priority; /* 1..5; 0 = keep the ticket's */
	struct config_deadlines *deadlines;
	int *escalation; /* enum config_escalation_step */
	unsigned escalation_count;
	char *escalation_every;      /* time each escalation step has to be acknowledged */
	int64_t escalation_every_ms; /* parsed; 0 = the acknowledge deadline again */
	bool follow_up;
	bool inspection;
	unsigned inspection_sample; /* percent of tickets picked for inspection (0..100) */
	bool cont;                  /* "continue": later rules may match too */
	char *calendar;             /* issue 19: deadlines count working time of this calendar; NULL: wall clock */
	const struct config_calendar *cal; /* resolved from calendar (not owned) */
};

struct config_listen {
	char *request; /* ROUTER endpoint */
	char *events;  /* PUB endpoint */
};

struct config_presence {
	bool require_online;    /* only members whose handheld was seen recently */
	unsigned online_window; /* seconds */
};

/* CURVE for tcp endpoints (daemon/auth.c). Relative paths are in the
 * state directory. */
struct config_security {
	char *server_key; /* the daemon's key pair, NAME.key from dispatchd --gen-keys */
	char *clients;    /* who may connect: PUBLIC-KEY ROLE IDENTITY lines */
	bool generate;    /* first run: create what is missing (a demo key set) */
};

/* The residents' pages (issue 17): served by the web gateway, which
 * calls the daemon with a resident key. */
struct config_residents {
	char *page_url;        /* "https://estate.example/help": links are page_url + "/r/" + token; NULL: none */
	bool show_member_name; /* the page names the technician, not only the crew */
};

/* One entry of the unit register (units:). Exactly one form: a unit in
 * full, a glob pattern, or a block "building, floors, flats" whose units
 * are BUILDING-FLOORFLAT ("12-1A") or, without flats, BUILDING-FLOOR
 * ("P-17", a car park space). Only a unit in full carries contact details. */
struct config_unit {
	char *unit;     /* "12-1A"; with resident/phone, the register's contact for it */
	char *pattern;  /* '*' any run, '?' one character: numbering no block can spell out */
	char *building; /* a block's building, e.g. "12" or "2A" */
	char *floors;   /* "1-20" or "7" */
	char *flats;    /* "A-H" or "A"; NULL: no flat letter */
	char *resident; /* the resident's name */
	char *phone;
	int floor_from, floor_to; /* parsed from floors */
	char flat_from, flat_to;  /* parsed from flats; 0: none */
};

/* ---- issue 19: working-hours calendars (daemon/calendar.c) ---- */
#define CONFIG_CALENDAR_WINDOWS 8    /* office-hour windows per weekday */
#define CONFIG_CALENDAR_HOLIDAYS 400 /* public holidays per calendar (some years' worth) */

struct config_calendar_hours {
	unsigned days; /* CONFIG_DAY bits; 0 in the file = every day */
	char *hours;   /* "HH:MM-HH:MM", not across midnight */
	struct config_window win;
};

struct config_calendar {
	char *id;
	struct config_calendar_hours *hours;
	unsigned hours_count;
	char **holidays; /* "YYYY-MM-DD" in the estate's zone */
	unsigned holidays_count;
	char *day;      /* what "1d" of a deadline counts, in working time; NULL: the longest day's hours */
	int64_t day_ms; /* parsed (or worked out) */
	/* parsed: each weekday's windows in order, merged; holidays as YYYYMMDD */
	struct config_window week[7][CONFIG_CALENDAR_WINDOWS];
	unsigned week_n[7];
	int holiday_ymd[CONFIG_CALENDAR_HOLIDAYS];
	unsigned holiday_n;
};

/* ---- issue 19: planned work (daemon/plan.c) ---- */
/* One schedule: an iCalendar RRULE from a first occurrence (DTSTART, the
 * estate's local time), and what each occurrence creates: one ticket per
 * target (a unit, a building, or an asset: by id, pattern or kind). With crew, the tickets go to that crew
 * under the schedule's own rule (its deadlines, skill, calendar); without,
 * the routing rules take them like any report of their kind and category. */
struct config_schedule {
	char *id;
	char *rrule; /* "FREQ=MONTHLY;BYDAY=1MO" */
	char *start; /* DTSTART, "YYYY-MM-DDTHH:MM" local */
	int kind;    /* Dispatch__Kind; 0: repair */
	char *category;
	char *text;        /* the ticket's text; NULL: "planned work: <id>" */
	unsigned priority; /* 0: the rule's */
	char *crew;        /* NULL: the routing rules decide */
	char *skill;
	char *calendar;
	struct config_deadlines *deadlines; /* with crew */
	char **units;
	unsigned units_count;
	char **buildings;
	unsigned buildings_count;
	char **assets; /* asset ids or patterns ("L*"), of the asset register */
	unsigned assets_count;
	char **asset_kinds; /* every asset of these kinds ("fire-extinguisher") */
	unsigned asset_kinds_count;
	/* parsed */
	int start_tm[5];         /* year, month, day, hour, minute */
	uint64_t digest;         /* of rrule and start: a changed schedule counts from its change */
	struct config_rule rule; /* with crew: the schedule's own routing rule */
	char rule_name[48];      /* "plan:<id>" */
	int escalation[2];
};

/* ---- the asset register and the parts list (issue 19; config_asset.c) ---- */

/* One asset of the estate's equipment (assets:). Its place is one of a
 * building, a unit or a zone; the building and zone it is in are derived
 * at load (a unit's building, a building's zone). */
struct config_asset {
	char *id;       /* unique across the estate, e.g. "L2" */
	char *kind;     /* "lift", "pump", "fire-extinguisher", ... (letters, digits, '-') */
	char *building; /* where it is: one of these three, as written */
	char *unit;
	char *zone;
	char *crew;  /* the responsible crew or vendor (a crew id; a vendor is an outsourced crew) */
	char *notes; /* NULL: none */
	/* derived at load, not in the file */
	char in_building[32]; /* the building it is in ("" for an asset of a zone) */
	const char *in_zone;  /* the zone it is in, or NULL */
	bool outsourced;      /* its crew is a vendor */
};

/* An entry of the parts price list (parts:). */
struct config_part {
	char *item;  /* e.g. "fuse-13a" (letters, digits, '-', '_', '.') */
	char *name;  /* what it is, for people; NULL: the item */
	char *price; /* HK$ as written: "12.50" */
	int64_t price_cents;
};

typedef struct config {
	char *estate;
	char *timezone; /* e.g. "Asia/Hong_Kong"; NULL: the system's */
	char *language; /* the pages' default language, "zh-Hant" or "en"; NULL: zh-Hant */
	struct config_listen *listen;
	struct config_presence *presence;
	char *duplicate_window; /* "30m"; NULL or "0": no duplicate linking */
	int64_t duplicate_window_ms;
	char *idempotency_window; /* how long a request id's reply is kept; "24h" */
	int64_t idempotency_window_ms;
	unsigned follow_up_threshold; /* a follow-up score at or below this reopens the ticket */
	char *desk_supervisor;        /* member id told of missed follow-ups; NULL: the control center */
	struct config_zone *zones;
	unsigned zones_count;
	struct config_crew *crews;
	unsigned crews_count;
	struct config_rule *rules;
	unsigned rules_count;
	struct config_security *security; /* CURVE keys (issue 7); NULL: none */
	struct config_unit *units;        /* the unit register; none: any unit is accepted */
	unsigned units_count;
	struct config_residents *residents; /* NULL: no page URL, no member names */
	struct config_calendar *calendars;  /* issue 19: working hours and public holidays */
	unsigned calendars_count;
	struct config_schedule *schedules; /* issue 19: planned work */
	unsigned schedules_count;
	/* issue 19: equipment and costs (config_asset.c) */
	struct config_asset *assets; /* the asset register; none: tickets name no asset */
	unsigned assets_count;
	struct config_part *parts; /* the parts price list; none: every part carries its price */
	unsigned parts_count;
	char *labour_rate; /* HK$ per hour of labour, as written ("180.00"); NULL: labour is not costed */
	int64_t labour_rate_cents;
	const struct config_asset **asset_index; /* by id, for config_asset_find (not in the file) */
} config_t;

/* Load from a file. On failure returns NULL and writes what is wrong into
 * err, one problem per line, "FILE:LINE:COLUMN: message". */
/* A configuration file larger than this is refused: an estate's whole file
 * (crews, members, rules, a unit register) is some kilobytes, and a read
 * with no bound would take an endless file (/dev/zero) to out of memory. */
#define CONFIG_MAX_BYTES (4 << 20)

config_t *config_load_file(const char *path, char *err, size_t errlen);
/* Load from memory; name stands for the file in messages. */
config_t *config_load_data(const char *name, const char *data, size_t len, char *err, size_t errlen);
/* The configuration built into the binary (daemon/sample-estate.yaml). */
config_t *config_load_default(char *err, size_t errlen);
void config_destroy(config_t **cfg);

const struct config_crew *config_crew(const config_t *cfg, const char *id);
/* Find a member anywhere in the estate; *crew_out gets its crew if non-NULL. */
const struct config_member *config_member(const config_t *cfg, const char *id, const struct config_crew **crew_out);
/* The zone a building belongs to, or NULL. */
const char *config_zone_of(const config_t *cfg, const char *building);
bool config_member_has_skill(const struct config_member *m, const char *skill);

/* Parse "90s", "10m", "2h", "1d" or a plain number of seconds; -1 if bad. */
int64_t config_parse_duration_ms(const char *s);
/* Parse "HH:MM-HH:MM"; -1 if bad. */
int config_parse_window(const char *s, struct config_window *w);
/* Is minute-of-day m inside w (handles windows across midnight)? */
bool config_window_contains(const struct config_window *w, int minute);
/* The building part of a unit: "12-1A" -> "12" (up to the first '-'). */
void config_unit_building(const char *unit, char *buf, size_t len);
/* Glob match for unit patterns: '*' any run, '?' one character. */
bool config_glob(const char *pattern, const char *s);

/* Is unit in the estate's register? Always true when there is none. */
bool config_unit_known(const config_t *cfg, const char *unit);
/* The register's entry for unit in full that carries a resident or a
 * phone, or NULL. Owned by cfg. */
const struct config_unit *config_unit_contact(const config_t *cfg, const char *unit);
/* For a unit not in the register: up to three registered units closest to
 * it ("12-1A", "12-1A or 1-21A") into buf; 0 if none is close. */
int config_unit_suggest(const config_t *cfg, const char *unit, char *buf, size_t len);
/* A block's floors, "7" or "1-20", into [from, to]; -1 if bad. */
int config_unit_parse_floors(const char *s, int *from, int *to);
/* A block's flats, "A" or "A-H" (capital letters), into [from, to]; -1 if bad. */
int config_unit_parse_flats(const char *s, char *from, char *to);

/* Issue 19: the calendar of that id, or NULL. */
const struct config_calendar *config_calendar(const config_t *cfg, const char *id);
/* Issue 19: the schedule of that id, or NULL. */
const struct config_schedule *config_schedule(const config_t *cfg, const char *id);
/* ---- the asset register (issue 19; config_asset.c) ---- */

/* The asset with this id, or NULL. O(log n). */
const struct config_asset *config_asset_find(const config_t *cfg, const char *id);
/* Does a match every filter given (NULL or "": any)? kind exact; building:
 * the building it is in; crew: its responsible crew or vendor; id: a glob
 * ('*', '?') on its id ("L*"). Walk cfg->assets[0..assets_count) with it
 * to enumerate the register by kind, building or crew, in file order. */
bool config_asset_matches(const struct config_asset *a, const char *id_glob, const char *kind, const char *building,
			  const char *crew);
/* The parts list's entry for item, or NULL. */
const struct config_part *config_part_find(const config_t *cfg, const char *item);
/* Parse a HK$ amount ("12", "12.5", "12.50", "HK$12.50") into cents; -1 if
 * bad or above 100,000,000.00. */
int64_t config_parse_cents(const char *s);

#endif
