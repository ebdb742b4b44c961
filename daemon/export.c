/* export: NDJSON of the event log for a period (see export.h). */
#include "export.h"

#include <ctype.h>
#include <jansson.h>
#include <string.h>
#include <time.h>

/* "EVENT_ON_SITE" -> "on_site": the enum's own name, without its prefix. */
static json_t *export_enum(const ProtobufCEnumDescriptor *d, int value, const char *prefix)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
	char buf[64];
	size_t n = strlen(prefix), i;

	if (v == NULL)
		return json_integer(value);
	snprintf(buf, sizeof buf, "%s", strncmp(v->name, prefix, n) == 0 ? v->name + n : v->name);
	for (i = 0; buf[i]; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	return json_string(buf);
}

static json_t *export_time(int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char buf[40];

	localtime_r(&secs, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm);
	return json_string(buf);
}

static json_t *export_ticket(const Dispatch__Ticket *t)
{
	json_t *o = json_object(), *tags = json_array();

	for (size_t i = 0; i < t->n_tags; i++)
		json_array_append_new(tags, json_string(t->tags[i]));
	json_object_set_new(o, "id", json_integer((json_int_t)t->id));
	json_object_set_new(o, "kind", export_enum(&dispatch__kind__descriptor, t->kind, "KIND_"));
	json_object_set_new(o, "state", export_enum(&dispatch__state__descriptor, t->state, "STATE_"));
	json_object_set_new(o, "unit", json_string(t->unit));
	json_object_set_new(o, "building", json_string(t->building));
	json_object_set_new(o, "person", json_string(t->person));
	json_object_set_new(o, "phone", json_string(t->phone));
	json_object_set_new(o, "source", export_enum(&dispatch__source__descriptor, t->source, "SOURCE_"));
	json_object_set_new(o, "text", json_string(t->text));
	json_object_set_new(o, "priority", json_integer(t->priority));
	json_object_set_new(o, "category", json_string(t->category));
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "crew", json_string(t->crew));
	json_object_set_new(o, "member", json_string(t->member));
	json_object_set_new(o, "rule", json_string(t->rule));
	json_object_set_new(o, "created", export_time(t->created_ms));
	json_object_set_new(o, "note", json_string(t->note));
	json_object_set_new(o, "cancel_reason", json_string(t->cancel_reason));
	json_object_set_new(o, "linked_to", json_integer((json_int_t)t->linked_to));
	json_object_set_new(o, "outage_id", json_integer((json_int_t)t->outage_id));
	return o;
}

struct export_run {
	int64_t from_ms, to_ms;
	FILE *out;
	long n;
};

static int export_one(Dispatch__Event *ev, void *arg)
{
	struct export_run *r = arg;
	json_t *o;

	if (ev->time_ms < r->from_ms || ev->time_ms >= r->to_ms) {
		dispatch__event__free_unpacked(ev, NULL);
		return 0;
	}
	o = json_object();
	json_object_set_new(o, "seq", json_integer((json_int_t)ev->seq));
	json_object_set_new(o, "time", export_time(ev->time_ms));
	json_object_set_new(o, "time_ms", json_integer(ev->time_ms));
	json_object_set_new(o, "type", export_enum(&dispatch__event_type__descriptor, ev->type, "EVENT_"));
	json_object_set_new(o, "ticket_id", json_integer((json_int_t)ev->ticket_id));
	json_object_set_new(o, "actor", json_string(ev->actor));
	json_object_set_new(o, "actor_role", export_enum(&dispatch__role__descriptor, ev->actor_role, "ROLE_"));
	json_object_set_new(o, "from_state", export_enum(&dispatch__state__descriptor, ev->from_state, "STATE_"));
	json_object_set_new(o, "to_state", export_enum(&dispatch__state__descriptor, ev->to_state, "STATE_"));
	json_object_set_new(o, "crew", json_string(ev->crew));
	json_object_set_new(o, "member", json_string(ev->member));
	json_object_set_new(o, "note", json_string(ev->note));
	json_object_set_new(o, "rule", json_string(ev->rule));
	json_object_set_new(o, "reason", json_string(ev->reason));
	if (ev->ticket)
		json_object_set_new(o, "ticket", export_ticket(ev->ticket));
	/* Strings were checked as UTF-8 on the way in; json_string() returns
	 * NULL otherwise and the key is simply left out. */
	json_dumpf(o, r->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', r->out);
	json_decref(o);
	dispatch__event__free_unpacked(ev, NULL);
	r->n++;
	return 0;
}

long export_events(store_t *s, int64_t from_ms, int64_t to_ms, FILE *out)
{
	struct export_run r = { .from_ms = from_ms, .to_ms = to_ms, .out = out };
	MDB_txn *txn;
	int rc;

	if ((rc = store_txn_begin(s, NULL, 1, &txn)) != 0)
		return rc < 0 ? rc : -rc;
	rc = store_events_from(s, txn, 1, export_one, &r);
	store_txn_abort(txn);
	if (rc != 0)
		return rc < 0 ? rc : -rc;
	return r.n;
}
