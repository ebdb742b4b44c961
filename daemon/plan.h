/*
 * plan: planned work (issue 19). Each schedule of the configuration
 * (config.h, struct config_schedule) is an iCalendar RRULE (RFC 5545,
 * expanded by libical) from a first occurrence in the estate's local
 * time; each occurrence creates one ticket per target, marked planned,
 * and routed, deadlined and escalated like any report.
 *
 * Exactly once. The store keeps, per schedule, a high-water mark in meta
 * ("plan/<id>": the last occurrence done, unix ms) written in the same
 * transaction as that occurrence's tickets: an occurrence is either done
 * with all its tickets or not at all, and never twice. So:
 *   - an occurrence that passed while the daemon was down is done at
 *     start, once;
 *   - a reload (SIGHUP) or a restart with the same schedule creates
 *     nothing again;
 *   - a schedule seen for the first time starts from then: occurrences
 *     before it was configured are not made up ("every March" added in
 *     December does not create last March's inspection);
 *   - a schedule whose rule or start changed (meta "plan#/<id>": a
 *     digest) counts from the change: the old rule's occurrences up to
 *     then are not created again under the new one's times;
 *   - catch-up is bounded: after a long downtime, at most
 *     PLAN_CATCHUP_MAX occurrences of a schedule (the latest) are
 *     created, with a log line naming how many were skipped.
 * Renaming a schedule makes it a new one (from then on).
 */
#ifndef PLAN_H
#define PLAN_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "handle.h"

#define PLAN_CATCHUP_MAX 31        /* occurrences of one schedule made after a downtime */
#define PLAN_TICKETS_PER_PASS 5000 /* tickets one pass creates; the rest follow at the next */
#define PLAN_ACTOR "dispatchd"

/* Configuration check of one schedule's rule and start: 0, or -1 with
 * why (a sentence) and which ("rrule" or "start"). Fills s->start_tm and
 * s->digest. */
int plan_check(struct config_schedule *s, char *why, size_t len, const char **which);

/* Up to max occurrences of s in (after_ms, upto_ms], in order, into out;
 * returns how many there are in all (may exceed max: the first max are
 * given unless latest, then the last max). */
unsigned plan_occurrences(const struct config_schedule *s, int64_t after_ms, int64_t upto_ms, int64_t *out,
			  unsigned max, bool latest);
/* The first occurrence of s after after_ms (0: none). */
int64_t plan_next(const struct config_schedule *s, int64_t after_ms);

typedef struct plan_timer plan_timer_t;

/* wake(arg) runs a batch of no requests when an occurrence is due. loop
 * may be NULL (no timer: tests; plan_run still acts in each batch). The
 * timer starts at once: occurrences missed while down are made now. */
plan_timer_t *plan_timer_new(struct ev_loop *loop, void (*wake)(void *arg), void *arg);
void plan_timer_destroy(plan_timer_t **p);
/* The configuration changed (a reload), or a batch failed: look again. */
void plan_timer_reset(plan_timer_t *p);
/* Within a batch's write transaction: create the occurrences due. */
void plan_run(plan_timer_t *p, const struct handle_ctx *base, MDB_txn *batch_txn, bool *map_full);
/* After the batch: arm the timer for the next occurrence. */
void plan_timer_arm(plan_timer_t *p);

#endif
