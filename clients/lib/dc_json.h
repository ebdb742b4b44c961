/*
 * dc_json: the wire messages as JSON (jansson), for --json output. Part of
 * libdispatchclient; link with jansson.
 *
 * Keys are the proto field names; enums are their readable words
 * ("repair", "on site"); times are unix milliseconds in *_ms keys, with
 * the local time as text beside the main ones; money is in *_cents keys
 * (Hong Kong cents, as on the wire). Text from the network that
 * is not valid UTF-8 is cleaned (dc_clean()) rather than dropped.
 *
 * Ownership: every function returns a new reference (free with
 * json_decref()), or NULL when out of memory.
 */
#ifndef DC_JSON_H
#define DC_JSON_H

#include <jansson.h>

#include "dispatch.pb-c.h"

json_t *dc_json_string(const char *s);
json_t *dc_json_ticket(const Dispatch__Ticket *t);
json_t *dc_json_event(const Dispatch__Event *e);
json_t *dc_json_outage(const Dispatch__Outage *o);
/* Issue 19: a ticket's parts, and an asset of the register. */
json_t *dc_json_cost_parts(Dispatch__CostPart *const *v, size_t n);
json_t *dc_json_asset(const Dispatch__AssetInfo *a);
json_t *dc_json_notice(const Dispatch__Notice *n);
json_t *dc_json_member(const Dispatch__Member *m);
json_t *dc_json_crew(const Dispatch__CrewInfo *c);
json_t *dc_json_decision(const Dispatch__Decision *d);

/* Print v compactly on one line, then a newline. 0 or -1. */
int dc_json_print(FILE *f, const json_t *v);

#endif
