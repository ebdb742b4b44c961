/*
 * roster: who can work right now. Shift calendars come from the config;
 * presence (the last time a member's handheld was heard from) lives in
 * memory, written to the store only at a clean stop so that a restart
 * does not take every handheld offline; duty reports (on/off) are stored as events and
 * loaded at start; round-robin cursors per crew break ties.
 *
 * Ownership: roster_t is owned by whoever made it; member ids passed in
 * are copied.
 */
#ifndef ROSTER_H
#define ROSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

typedef struct roster roster_t;

enum roster_duty { ROSTER_DUTY_CALENDAR = -1, ROSTER_DUTY_OFF = 0, ROSTER_DUTY_ON = 1 };

/* Local time of day, for shifts and rule windows. */
struct roster_time {
	int64_t now_ms;
	int wday;   /* 0 = Sunday */
	int minute; /* minutes after local midnight */
};

roster_t *roster_new(void);
void roster_destroy(roster_t **r);

/* Break now_ms into local weekday and minute (the config's time zone is
 * applied process-wide through TZ at load). */
void roster_time(int64_t now_ms, struct roster_time *out);

/* Record that member's handheld was heard from; returns true if it was
 * not online before (so queued work can go to it). */
bool roster_seen(roster_t *r, const char *member, int64_t now_ms, unsigned window_s);
int64_t roster_last_seen(const roster_t *r, const char *member);
bool roster_online(const roster_t *r, const char *member, int64_t now_ms, unsigned window_s);

/* Call fn for every member ever seen, with the time last seen. */
typedef void(roster_seen_fn)(const char *member, int64_t last_seen_ms, void *arg);
void roster_each_seen(const roster_t *r, roster_seen_fn *fn, void *arg);
/* Restore a member's last-seen time (from a clean stop). */
void roster_restore_seen(roster_t *r, const char *member, int64_t last_seen_ms);

void roster_set_duty(roster_t *r, const char *member, enum roster_duty duty);
enum roster_duty roster_duty(const roster_t *r, const char *member);

/* By the shift calendar alone (no shifts = always). Handles shifts that
 * cross midnight: "mon 22:00-06:00" covers Tuesday 03:00. */
bool roster_on_shift(const struct config_member *m, const struct roster_time *t);
/* On shift, counting duty reports: an explicit report overrides the calendar. */
bool roster_working(const roster_t *r, const struct config_member *m, const struct roster_time *t);

/* Round robin: the index in its crew of the member last chosen (-1 none). */
int roster_rr_last(const roster_t *r, const char *crew);
void roster_rr_set(roster_t *r, const char *crew, int index);

#endif
