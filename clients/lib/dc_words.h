/*
 * dc_words: what people read and type: enum words, money, times and text
 * that fits a terminal's columns, and the one-line report of a refused
 * request with its exit code. Part of libdispatchclient.
 *
 * Strings returned by the dc_*_name() helpers are static.
 */
#ifndef DC_WORDS_H
#define DC_WORDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dc_request.h"

/* Readable words for enums, derived from the protobuf descriptors (see
 * dc_words.c for the few exceptions). Unknown values give "unknown". */
#define DC_EVENT_NAME_WIDTH 15 /* columns of the longest event type name */
const char *dc_kind_name(int kind);
const char *dc_state_name(int state);
const char *dc_event_type_name(int type);
const char *dc_status_name(int status);
const char *dc_source_name(int source);
const char *dc_role_name(int role);
const char *dc_action_name(int action);
const char *dc_link_name(int link);
/* Words for the procedure's enums: hold reasons "parts", "resident-away",
 * "no-access", "consent", "other"; inspections "none", "pass", "fail";
 * deadlines "acknowledge", "arrive", "resolve", "follow-up"; notice kinds
 * "general", "activity", "works". */
const char *dc_hold_reason_name(int reason);
const char *dc_inspection_name(int result);
const char *dc_deadline_name(int deadline);
const char *dc_notice_kind_name(int kind);

/* Whether a ticket in this state is open: what the daemon's List without
 * include_closed returns (its open index), so what `dispatch-desk list`
 * shows: every state of the procedure but closed and cancelled. */
int dc_state_open(int state);

/*
 * Parse words (case-insensitive) into enums for command lines: kinds
 * "repair", "complaint", "special", "security", "cleaning", "inquiry", "suggestion";
 * sources "intercom", "phone", "walk-in", "app", "sensor". Return 0 and set
 * *out, or DC_ERR_ARG for an unknown word.
 */
int dc_kind_parse(const char *word, Dispatch__Kind *out);
int dc_source_parse(const char *word, Dispatch__Source *out);
/* Roles a client may act as: desk, crew, monitor, qc, supervisor, admin. */
int dc_role_parse(const char *word, Dispatch__Role *out);
/* Hold reasons a person may give: parts, resident-away, no-access, other
 * ("consent" is the daemon's own, for a paid service awaiting consent). */
int dc_hold_reason_parse(const char *word, Dispatch__HoldReason *out);
/* Notice kinds: general, activity, works. */
int dc_notice_kind_parse(const char *word, Dispatch__NoticeKind *out);

/*
 * Money, in Hong Kong dollars and cents on the wire. dc_cents_parse()
 * takes "350", "350.5", "350.50", optionally after "HK$" or "$": no sign,
 * at most two decimals, at most 10 digits of dollars. 0 with *out in
 * cents, or DC_ERR_ARG. dc_format_cents() writes "HK$350.50"; returns buf.
 */
int dc_cents_parse(const char *s, int64_t *out);
char *dc_format_cents(int64_t cents, char *buf, size_t size);

/*
 * Print a non-OK reply as one line on f: "<prog>: <message>", with
 * " (field: <field>)" on STATUS_INVALID; the daemon's message is meant for
 * people. Returns the exit code for the status (see dc_status_exit()).
 */
int dc_report(FILE *f, const char *prog, const Dispatch__Reply *reply);

/* Exit code for a reply status (DC_EXIT_OK for STATUS_OK). */
int dc_status_exit(int status);
/* Exit code for a negative dc_* return code. */
int dc_err_exit(int rc);

/*
 * Copy s (which may be NULL) into buf for display: control characters and
 * bytes of invalid UTF-8 become '?', so text from the network cannot drive
 * the terminal. Truncates to fit. Returns buf.
 */
char *dc_clean(const char *s, char *buf, size_t size);

/*
 * Terminal columns s takes once cleaned: East Asian wide characters count
 * two (units, names and texts may be in Chinese), combining marks zero.
 */
int dc_width(const char *s);
/* Print s cleaned, then spaces up to width columns. */
void dc_pad(FILE *f, const char *s, int width);

/* Format unix ms as local "YYYY-MM-DD HH:MM:SS" into buf. Returns buf. */
char *dc_format_time(int64_t ms, char *buf, size_t size);

/* This machine's clock, unix ms. */
int64_t dc_wall_ms(void);

#endif
