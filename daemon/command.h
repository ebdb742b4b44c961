/*
 * command: the request table. One row per Request body says everything
 * the daemon knows about that request type: its name, whether it mutates
 * (needs a request_id; its OK reply is stored for retries), its weight in
 * a batch, which roles may send it over ipc (where the sender states its
 * role) and with a CURVE key (where the key says it), and its two steps:
 * `check`, which only reads, and `apply`, which writes and runs only once
 * check has passed (so a refused request changes nothing, by structure).
 *
 * Auth (command_allow_key), batching (command_weight) and dispatch
 * (ingest) all read this one table: adding a request type is one row here
 * plus its check and apply functions (DESIGN: "a table from request type
 * to {name, check, handler}").
 */
#ifndef COMMAND_H
#define COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "auth.h"
#include "dispatch.pb-c.h"
#include "handle.h"

/* A request whose answer is a collection (a list, a replay, a ticket's
 * history, the crews): its reply may be large, and a batch holds every
 * reply until it commits, so it weighs this much against INGEST_BATCH. */
#define COMMAND_HEAVY 16

struct command {
	Dispatch__Request__BodyCase body;
	const char *name;     /* "the desk role may not <name>", "<name> needs a request_id" */
	bool mutating;        /* needs a request_id; its OK reply is stored */
	unsigned weight;      /* 1, or COMMAND_HEAVY */
	unsigned ipc_roles;   /* TICKET_ROLE() bits a stated role may be; 0: any */
	unsigned key_roles;   /* TICKET_ROLE() bits a CURVE key's role may be; 0: no key may */
	const char *key_what; /* "<identity> (role r) may not <key_what>" */
	handle_fn *check;     /* reads only; NULL: nothing to check */
	handle_fn *apply;     /* the request's effect, after check passed */
};

/* The row of body, or NULL for a body this daemon does not know. */
const struct command *command_find(Dispatch__Request__BodyCase body);

/* A request's weight in a batch by its body's field number (as peeked
 * off the wire; unknown or 0: 1). */
unsigned command_weight(unsigned body_field);

/* May an authenticated sender do req? 0, or -1 with the reason in msg.
 * Request types missing from the table are refused while keys are in use
 * (default deny); without a key (ipc) this says yes and the envelope check
 * applies the ipc roles. */
int command_allow_key(const struct auth_who *who, const Dispatch__Request *req, char *msg, size_t msglen);

#endif
