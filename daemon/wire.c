/*
 * wire: reading protobuf's wire format directly, for the two places where
 * unpacking a whole message would cost more than the answer is worth (see
 * wire.h). Kept to what the encoding itself defines: varints, the four
 * wire types, top-level records.
 */
#include "wire.h"

#include <string.h>

/* A protobuf varint at p[*i..len) into *v; false if cut short or too long. */
bool wire_varint(const uint8_t *p, size_t len, size_t *i, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; *i < len && shift <= 63; shift += 7) {
		uint8_t b = p[(*i)++];
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/* Past the value of a field of wire type wire at p[*i..len); false if the
 * bytes are cut short or of no known type. */
bool wire_skip_value(const uint8_t *p, size_t len, size_t *i, unsigned wire)
{
	uint64_t v;

	switch (wire) {
	case 0: /* varint */ return wire_varint(p, len, i, &v);
	case 2: /* length, then that many bytes */
		if (!wire_varint(p, len, i, &v) || v > len - *i)
			return false;
		*i += (size_t)v;
		return true;
	case 1: *i += 8; return *i <= len;
	case 5: *i += 4; return *i <= len;
	default: return false;
	}
}

/* Copy the packed message p[0..len) into out, leaving out every top-level
 * record whose field number f (< 64) has bit f set in drop; the bytes
 * copied, or 0 if p is not well-formed protobuf. Filtering the packed
 * Reply costs a scan; packing it again without its events cost a sixth of
 * a submission's instructions, the ticket in it packed a second time. */
size_t wire_strip_fields(const uint8_t *p, size_t len, uint64_t drop, uint8_t *out)
{
	size_t i = 0, n = 0;

	while (i < len) {
		size_t at = i;
		uint64_t key;
		if (!wire_varint(p, len, &i, &key) || !wire_skip_value(p, len, &i, (unsigned)(key & 7)))
			return 0;
		if ((key >> 3) >= 64 || !(drop & ((uint64_t)1 << (key >> 3)))) {
			memcpy(out + n, p + at, i - at);
			n += i - at;
		}
	}
	return n;
}

unsigned wire_first_field(const uint8_t *p, size_t len, unsigned min)
{
	size_t i = 0;

	while (i < len) {
		uint64_t key;
		if (!wire_varint(p, len, &i, &key))
			return 0;
		if ((key >> 3) >= min)
			return (unsigned)(key >> 3);
		if (!wire_skip_value(p, len, &i, (unsigned)(key & 7)))
			return 0;
	}
	return 0;
}

size_t wire_field_at(const uint8_t *p, size_t len, unsigned min)
{
	size_t i = 0;

	while (i < len) {
		size_t at = i;
		uint64_t key;
		if (!wire_varint(p, len, &i, &key))
			return SIZE_MAX;
		if ((key >> 3) >= min)
			return at;
		if (!wire_skip_value(p, len, &i, (unsigned)(key & 7)))
			return SIZE_MAX;
	}
	return len;
}

size_t wire_put_varint(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

size_t wire_varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

size_t wire_splice_size(size_t rest_len, unsigned field, size_t sub_len)
{
	return rest_len + wire_varint_len((uint64_t)field << 3 | 2) + wire_varint_len(sub_len) + sub_len;
}

size_t wire_splice(uint8_t *out, const uint8_t *rest, size_t rest_len, unsigned field, const uint8_t *sub,
		   size_t sub_len)
{
	size_t split = wire_field_at(rest, rest_len, field + 1), n;

	if (split == SIZE_MAX)
		return 0;
	memcpy(out, rest, split);
	n = split;
	n += wire_put_varint(out + n, (uint64_t)field << 3 | 2); /* length-delimited */
	n += wire_put_varint(out + n, sub_len);
	memcpy(out + n, sub, sub_len);
	n += sub_len;
	memcpy(out + n, rest + split, rest_len - split);
	return n + rest_len - split;
}
