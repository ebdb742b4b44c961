/* export: NDJSON of the event log for a period (see export.h). */
#include "export.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Every field of a record, by its name in dispatch.proto, walked from the
 * generated descriptors, so that a field added to the protocol is exported
 * without anyone remembering to (a hand-written list had fallen behind:
 * satisfaction, cause and corrective action, fees and consent, holds,
 * inspections, escalations were missing). Enums by name, in lower case and
 * without their common prefix ("EVENT_ON_SITE" -> "on_site"); bytes (the
 * hash chain's links) in hex; a nested message as an object, null when it
 * is not set; repeated fields as arrays; every key always there. Times stay in milliseconds under their own names, and
 * the event's and the ticket's own time also in local ISO 8601 ("time",
 * "created"), as before.
 */

/* The part of an enum's value names that all of them share, up to and
 * including its last '_': "KIND_" for KIND_REPAIR, KIND_COMPLAINT, ... */
static size_t export_enum_prefix(const ProtobufCEnumDescriptor *d)
{
	size_t n;

	if (d->n_values == 0)
		return 0;
	n = strlen(d->values[0].name);
	for (unsigned i = 1; i < d->n_values; i++) {
		size_t k = 0;
		while (k < n && d->values[i].name[k] == d->values[0].name[k])
			k++;
		n = k;
	}
	while (n > 0 && d->values[0].name[n - 1] != '_')
		n--;
	return n;
}

static json_t *export_enum(const ProtobufCEnumDescriptor *d, int value)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
	char buf[96];

	if (v == NULL)
		return json_integer(value);
	snprintf(buf, sizeof buf, "%s", v->name + export_enum_prefix(d));
	for (size_t i = 0; buf[i]; i++)
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

static json_t *export_message(const ProtobufCMessage *m);

/* One value of field f at p. */
static json_t *export_value(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32: return json_integer(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32: return json_integer(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64: return json_integer(*(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: return json_integer((json_int_t) * (const uint64_t *)p);
	case PROTOBUF_C_TYPE_FLOAT: return json_real(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE: return json_real(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL: return json_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM: return export_enum(f->descriptor, *(const int *)p);
	case PROTOBUF_C_TYPE_STRING: return json_string(*(char *const *)p ? *(char *const *)p : "");
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		char *hex = malloc(2 * b->len + 1);
		json_t *j;
		if (hex == NULL)
			return NULL;
		for (size_t i = 0; i < b->len; i++)
			snprintf(hex + 2 * i, 3, "%02x", b->data[i]);
		hex[2 * b->len] = '\0';
		j = json_string(hex);
		free(hex);
		return j;
	}
	case PROTOBUF_C_TYPE_MESSAGE: return export_message(*(ProtobufCMessage *const *)p);
	}
	return NULL;
}

static size_t export_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: return 8;
	case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM: return sizeof(int);
	case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
	default: return 4;
	}
}

static json_t *export_message(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d;
	json_t *o;

	if (m == NULL)
		return json_null();
	d = m->descriptor;
	o = json_object();
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *at = (const char *)m + f->offset;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
			const char *v = *(const char *const *)at;
			json_t *a = json_array();
			for (size_t k = 0; k < n; k++)
				json_array_append_new(a, export_value(f, v + k * export_size(f)));
			json_object_set_new(o, f->name, a);
			continue;
		}
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)((const char *)m + f->quantifier_offset) != f->id)
			continue; /* another member of its oneof is set */
		json_object_set_new(o, f->name, export_value(f, at));
	}
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
	o = export_message(&ev->base);
	json_object_set_new(o, "time", export_time(ev->time_ms));
	if (ev->ticket)
		json_object_set_new(json_object_get(o, "ticket"), "created", export_time(ev->ticket->created_ms));
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
