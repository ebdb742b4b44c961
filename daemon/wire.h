/*
 * wire: protobuf's wire format read without unpacking (the encoding, not
 * our messages). Batching peeks at a Request's body field to weigh it
 * before decoding; a stored reply and a request's digest leave out some
 * top-level fields by copying the packed bytes around them, which costs a
 * scan where packing again cost a sixth of a submission's instructions.
 */
#ifndef WIRE_H
#define WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A varint at p[*i..len) into *v, *i moved past it; false if cut short
 * or too long. */
bool wire_varint(const uint8_t *p, size_t len, size_t *i, uint64_t *v);
/* Past the value of a field of wire type `wire` at p[*i..len); false if
 * the bytes are cut short or of no known type. */
bool wire_skip_value(const uint8_t *p, size_t len, size_t *i, unsigned wire);
/* Copy the packed message p[0..len) into out (room for len bytes),
 * leaving out every top-level record whose field number f (< 64) has bit
 * f set in drop; the bytes copied, or 0 if p is not well-formed. */
size_t wire_strip_fields(const uint8_t *p, size_t len, uint64_t drop, uint8_t *out);
/* The number of the first top-level field numbered min or more (a oneof
 * body's case); 0 if there is none or the bytes are not protobuf. */
unsigned wire_first_field(const uint8_t *p, size_t len, unsigned min);
/* The offset of the first top-level record numbered min or more in
 * p[0..len) (len if there is none), or SIZE_MAX if p is not well-formed:
 * where a field numbered min - 1 goes in bytes protobuf-c packed, since it
 * writes the fields in the order of their numbers. */
size_t wire_field_at(const uint8_t *p, size_t len, unsigned min);
/* Write v as a varint at out (room for 10 bytes); the bytes written. */
size_t wire_put_varint(uint8_t *out, uint64_t v);
/* The bytes of v as a varint. */
size_t wire_varint_len(uint64_t v);
/* A packed message with one length-delimited field put back: rest is the
 * message packed without field `field`, sub the field's packed value.
 * wire_splice_size() is the room it takes; wire_splice() writes it to
 * out where protobuf-c would have (before the first field numbered
 * higher), so that the bytes are those of packing the message whole, and
 * returns how many it wrote, or 0 if rest is not well-formed. */
size_t wire_splice_size(size_t rest_len, unsigned field, size_t sub_len);
size_t wire_splice(uint8_t *out, const uint8_t *rest, size_t rest_len, unsigned field, const uint8_t *sub,
		   size_t sub_len);

#endif
