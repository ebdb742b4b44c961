/*
 * pbcopy: a deep copy of a protobuf-c message, walked by its descriptor.
 * Packing and unpacking again did the same at several times the cost (a
 * submission copies its ticket once: 13k of its 212k instructions).
 */
#ifndef PBCOPY_H
#define PBCOPY_H

#include <protobuf-c/protobuf-c.h>

/* A copy of m owning all it points to (strings, bytes, repeated fields,
 * sub-messages, unknown fields), to be freed with
 * protobuf_c_message_free_unpacked(copy, NULL). Out of memory: exits, as
 * xalloc does. */
ProtobufCMessage *pb_copy(const ProtobufCMessage *m);

#endif
