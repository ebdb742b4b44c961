/*
 * handle: the request handlers, a check and an apply per Request body
 * (the request table, command.c, names them), over a store transaction.
 * They know nothing of sockets: ingest decodes, checks the envelope,
 * opens the transaction, calls the check and the apply, and hands the
 * outbox the apply filled to publish once the batch is on disk (one
 * direction: no handler calls back into ingest). Tests and fuzzers can
 * drive the handlers directly.
 *
 * A handler returns 0 with rep->status OK, or -1 with rep filled by
 * handle_fail() (the caller then aborts the request's transaction, so a
 * failed request changes nothing). Everything a handler puts in rep comes
 * from the arena or lives until the arena is reset.
 */
#ifndef HANDLE_H
#define HANDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "config.h"
#include "dispatch.pb-c.h"
#include "publish.h"
#include "roster.h"
#include "store.h"

struct handle_ctx {
	store_t *store;
	const config_t *cfg;
	roster_t *roster;
	MDB_txn *txn;                 /* the request's own (nested) write transaction */
	const Dispatch__Request *req; /* the decoded request, never changed (NULL for the daemon's own work) */
	Dispatch__Role role;          /* who acts: over CURVE the key's role, else the role the request states */
	const char *actor;            /* ... and identity (DISPATCH's own work: system, "dispatchd") */
	Dispatch__Reply *rep;
	arena_t *a;
	int64_t now;
	struct roster_time rt;      /* now, in local weekday and minute */
	struct publish_outbox *out; /* what is stored goes here, published after the commit */
	int store_rc;               /* the last store error met (MDB_MAP_FULL: grow, retry) */
	const char *scope_member;   /* a crew key's member: replay only this member's events (else NULL) */
	void *state;                /* what the request's check found, for its apply (arena) */
	/* the estate notices in force (notices.h), for the residents' pages; NULL: none */
	const struct notices *notices;
	/* rep->ticket is the snapshot its latest event stored, unchanged since
	 * (set by a handler that knows): the reply takes those packed bytes
	 * (store_snapshot_of()) instead of packing the ticket again */
	bool rep_ticket_stored;
};

typedef int(handle_fn)(struct handle_ctx *c);

/* Each request type's two steps (their row: command.c). A check only
 * reads, and may leave what it found in c->state for its apply; an apply
 * runs only after its check passed. */
int handle_submit_check(struct handle_ctx *c);
int handle_submit_apply(struct handle_ctx *c);
int handle_transition_check(struct handle_ctx *c);
int handle_transition_apply(struct handle_ctx *c);
int handle_get_check(struct handle_ctx *c);
int handle_get_apply(struct handle_ctx *c);
int handle_list_check(struct handle_ctx *c);
int handle_list_apply(struct handle_ctx *c);
int handle_replay_apply(struct handle_ctx *c);
int handle_ping_apply(struct handle_ctx *c);
int handle_explain_check(struct handle_ctx *c);
int handle_explain_apply(struct handle_ctx *c);
int handle_duty_check(struct handle_ctx *c);
int handle_duty_apply(struct handle_ctx *c);
int handle_crews_check(struct handle_ctx *c);
int handle_crews_apply(struct handle_ctx *c);
int handle_declare_outage_check(struct handle_ctx *c);
int handle_declare_outage_apply(struct handle_ctx *c);
int handle_end_outage_check(struct handle_ctx *c);
int handle_end_outage_apply(struct handle_ctx *c);
int handle_list_outages_apply(struct handle_ctx *c);
int handle_notice_check(struct handle_ctx *c);
int handle_notice_apply(struct handle_ctx *c);
int handle_vendor_incidents_check(struct handle_ctx *c);
int handle_vendor_incidents_apply(struct handle_ctx *c);
/* The residents' pages (issue 17, handle_resident.c): a submission whose
 * OK reply carries the resident's token (and page), a get that carries it
 * to the desk's roles, a resident's view of the ticket a token names, and
 * the resident's rating of the work. */
int handle_submit_resident_apply(struct handle_ctx *c);
int handle_get_resident_apply(struct handle_ctx *c);
int handle_notice_resident_apply(struct handle_ctx *c);
int handle_resident_view_check(struct handle_ctx *c);
int handle_resident_view_apply(struct handle_ctx *c);
int handle_resident_rate_check(struct handle_ctx *c);
int handle_resident_rate_apply(struct handle_ctx *c);

/* For the workflows built on the handlers (deadline.c). */
struct route_assignment;
struct config_rule;
/* Record t's move to `to` with ev; into the outbox; report in the reply.
 * With also_member (not NULL or ""), the event goes to that member of
 * also_crew too (the one a reassignment or an escalation took it from). */
int handle_record(struct handle_ctx *c, Dispatch__Ticket *t, Dispatch__State to, Dispatch__Event *ev,
		  const char *also_crew, const char *also_member);
/* An event by the daemon itself (actor "dispatchd", role system). */
void handle_system_event(Dispatch__Event *ev, Dispatch__EventType type);
/* Replace a string field of a heap-owned (unpacked) message. */
void handle_set_string(char **field, const char *value);
/* The rule t was routed by, in the running config (NULL if gone). */
const struct config_rule *handle_rule_of(const config_t *cfg, const Dispatch__Ticket *t);
/* Issue 19: when a deadline span_ms after now falls under rule r (working
 * time of its calendar, else the wall clock); 0 for no span. */
int64_t handle_due_after(const struct config_rule *r, int64_t now, int64_t span_ms);
/* Issue 19 (handle_visit.c): a visit window [from, to) as a request gives
 * it: 0 (none, or a sane one that ends in the future), or -1 with the
 * reply filled, naming field. */
int handle_check_visit(struct handle_ctx *c, const char *field, int64_t from, int64_t to);
/* Put t with decision a: assigned to its member, or queued and escalated. */
int handle_assign(struct handle_ctx *c, Dispatch__Ticket *t, const struct route_assignment *a);
/* Send t back to dispatch (a low follow-up score, a failed inspection):
 * reopen count, REOPENED event, routed again. */
int handle_reopen(struct handle_ctx *c, Dispatch__Ticket *t, const char *why);

/* Offer a crew's queued tickets to its members again (someone came online
 * or on duty). Returns 0 or a store error. */
int handle_drain_queue(struct handle_ctx *c, const struct config_crew *crew);

/* What a request is told when the store is full. */
#define HANDLE_STORAGE_FULL                                                                                            \
	"storage full: the request was not stored and nothing was changed; tell the administrator (free disk "         \
	"space or raise --map-max), then retry"

/* A store error rc met while handling: a STORAGE reply (and rc recorded). */
int handle_store_fail(struct handle_ctx *c, int rc);

int handle_fail(struct handle_ctx *c, Dispatch__Status status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int handle_check_text(struct handle_ctx *c, const char *field, const char *s, size_t min, size_t max);
int handle_check_id(struct handle_ctx *c, const char *field, const char *s, size_t min, size_t max);
int handle_check_enum(struct handle_ctx *c, const char *field, int value, int lo, int hi, const char *hint);
bool handle_utf8_ok(const char *s);
/* Issue 19 (handle_asset.c): an asset id a request names ("" allowed:
 * none): one of the estate's register, else STATUS_INVALID naming field. */
int handle_check_asset(struct handle_ctx *c, const char *field, const char *asset);
int handle_asset_list_check(struct handle_ctx *c);
int handle_asset_list_apply(struct handle_ctx *c);
int handle_asset_history_check(struct handle_ctx *c);
int handle_asset_history_apply(struct handle_ctx *c);

#endif
