/*
 * report: the office's two period reports, read from one LMDB snapshot
 * while the daemon may keep serving.
 *
 *   daily work report (工作日報): one local day, per crew and member:
 *     received, dispatched, resolved, still open and overdue at the end of
 *     the day, escalations, complaints and their state, follow-ups and the
 *     satisfaction average, and the residents' follow-up remarks. Built
 *     from the event log: a cheap scan of every record's header fields
 *     (no ticket snapshot decoded) finds each ticket's state at the end of
 *     the day; only the day's own events and the tickets still open are
 *     decoded in full.
 *   management review (管理評審, clause 4.6): the tickets created in a
 *     period, from the tickets table: volumes, response times, deadline
 *     compliance, satisfaction, complaints, reopen rate, paid services,
 *     vendor incidents, repeat problems.
 *
 * Both are stamped with the log position they cover (last seq) and the
 * hash chain's head there (chain.h), so the figures can be reproduced from
 * a backup and shown to be of an untouched log.
 *
 * Formats: aligned text, CSV (one table, first column the section), a wide
 * CSV (one row per crew and member, and for the review per month), JSON;
 * the review also as one self-contained HTML page or one SVG picture. The
 * review compares its headline figures with the period of the same length
 * just before it.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "store.h"

/* csv-wide: one rectangular table, one row per month, crew, member (and
 * the total), one column per figure; a spreadsheet opens it as it is. */
enum report_format { REPORT_TEXT, REPORT_CSV, REPORT_JSON, REPORT_HTML, REPORT_SVG, REPORT_CSV_WIDE };

struct report_opts {
	int64_t from_ms, to_ms; /* [from, to): local midnights */
	int64_t now_ms;         /* the daemon's clock: a day not over yet is judged as of now */
	const char *estate;     /* the estate's name, for the title */
	enum report_format format;
	FILE *out;
};

/* "text", "csv", ... -> *f; -1 for an unknown name. */
int report_format_parse(const char *name, enum report_format *f);

/* Each returns 0, or a negative store error (store_strerror) with nothing
 * useful written. The daily report takes one day, from_ms to to_ms, and
 * refuses html and svg (-EINVAL). */
int report_daily(store_t *s, const struct report_opts *o);
int report_review(store_t *s, const struct report_opts *o);

#endif
