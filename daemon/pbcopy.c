/*
 * pbcopy: a deep copy of a protobuf-c message (see pbcopy.h). The copy is
 * laid out as protobuf_c_message_unpack() lays out its own: every string,
 * byte string, array and sub-message in its own malloc'd block, except
 * defaults, which point at the descriptor's default as unpack leaves them,
 * so that protobuf_c_message_free_unpacked() frees it.
 */
#include "pbcopy.h"

#include <string.h>

#include "xalloc.h"

static size_t pb_elem_size(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM: return 4;
	case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE: return 8;
	case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
	}
	return 0;
}

static void *pb_dup(const void *p, size_t n)
{
	void *q = xmalloc(n ? n : 1);
	if (n)
		memcpy(q, p, n);
	return q;
}

/* Make the value at v (of field f's type) own what it points to; dflt:
 * the descriptor's default, left shared (a single value only). */
static void pb_own(const ProtobufCFieldDescriptor *f, void *v, const void *dflt)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		char **s = v;
		if (*s && *s != (const char *)dflt)
			*s = xstrdup(*s);
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = v;
		const ProtobufCBinaryData *d = dflt;
		if (b->data && !(d && b->data == d->data))
			b->data = pb_dup(b->data, b->len);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		ProtobufCMessage **m = v;
		if (*m)
			*m = pb_copy(*m);
		break;
	}
	default: break;
	}
}

ProtobufCMessage *pb_copy(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *desc = m->descriptor;
	ProtobufCMessage *c = pb_dup(m, desc->sizeof_message);

	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];
		char *at = (char *)c + f->offset;

		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			/* only the member the case names holds a value */
			if (*(const uint32_t *)((const char *)c + f->quantifier_offset) != f->id)
				continue;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)c + f->quantifier_offset),
			       es = pb_elem_size(f->type);
			void **arr = (void **)at;
			if (*arr == NULL || n == 0) {
				*arr = NULL;
				continue;
			}
			*arr = pb_dup(*arr, n * es);
			for (size_t j = 0; j < n; j++)
				pb_own(f, (char *)*arr + j * es, NULL);
			continue;
		}
		pb_own(f, at, f->default_value);
	}
	if (m->n_unknown_fields) {
		c->unknown_fields = pb_dup(m->unknown_fields, m->n_unknown_fields * sizeof *m->unknown_fields);
		for (unsigned j = 0; j < m->n_unknown_fields; j++)
			c->unknown_fields[j].data = pb_dup(m->unknown_fields[j].data, m->unknown_fields[j].len);
	} else {
		c->unknown_fields = NULL;
	}
	return c;
}
