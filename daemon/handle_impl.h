/*
 * handle_impl: what the handler families (handle_*.c) share with each
 * other and no other module uses: the reply helpers, the arena-owned
 * copies and the dispatch steps that more than one family ends in.
 */
#ifndef HANDLE_IMPL_H
#define HANDLE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "handle.h"
#include "route.h"

#define HANDLE_LIST_DEFAULT 200
#define HANDLE_LIST_MAX 1000
#define HANDLE_REPLAY_DEFAULT 200
#define HANDLE_REPLAY_MAX 500
#define HANDLE_REPLAY_BYTES (1024 * 1024)
#define HANDLE_REPLY_EVENTS 32 /* events one mutating request reports back */
#define HANDLE_DRAIN_MAX 100   /* queued tickets offered per drain */
#define HANDLE_OUTAGE_TICKETS 10000

/* rep->status OK with a message (arena); returns 0. */
int handle_ok(struct handle_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* arena_defer() destructors for unpacked messages. */
void handle_free_ticket(void *p);
void handle_free_event(void *p);
void handle_free_outage(void *p);
/* Append id to a heap-owned repeated field. */
void handle_push_id(uint64_t **v, size_t *n, uint64_t id);
/* A heap-owned copy of t, freed when the arena resets. */
Dispatch__Ticket *handle_own(struct handle_ctx *c, const Dispatch__Ticket *t);
/* Load ticket id (freed with the arena); NOT_FOUND names field. */
int handle_load(struct handle_ctx *c, uint64_t id, const char *field, Dispatch__Ticket **out);
/* Add a copy of ev (without its ticket snapshot) to the reply. */
void handle_reply_event(struct handle_ctx *c, const Dispatch__Event *ev);
/* Append an event that moves no ticket, into the outbox and the reply. */
int handle_append(struct handle_ctx *c, Dispatch__Event *ev);

/* Dispatch steps (handle_submit.c) the transitions use too. */
void handle_complaint_route(struct handle_ctx *c, const Dispatch__Ticket *t, struct route_result *res);
int handle_hold_for_consent(struct handle_ctx *c, Dispatch__Ticket *t);
int handle_dispatch(struct handle_ctx *c, Dispatch__Ticket *t);
int handle_release_duplicates(struct handle_ctx *c, const Dispatch__Ticket *t, Dispatch__Ticket *into, const char *why);

/* Issue 19 (handle_cost.c): the costs a transition carries (parts,
 * labour, an invoice): refused unless it resolves and they are sane;
 * priced and added to t at the resolve. */
bool handle_has_costs(const Dispatch__Transition *tr);
int handle_check_costs(struct handle_ctx *c, const Dispatch__Transition *tr);
void handle_apply_costs(struct handle_ctx *c, Dispatch__Ticket *t, const Dispatch__Transition *tr);

#endif
