/*
 * keys: CURVE key files and the list of client keys (issue 7).
 *
 * A key pair file (NAME.key, mode 0600) and its public half (NAME.pub) are
 * text, one "name = value" per line, the keys in Z85 (40 characters); the
 * format and its one reader, which the client library uses too, are in
 * clients/lib/keyfile.h. keys_read_pair() is that reader.
 *
 * The clients file lists who may connect over CURVE, one key a line:
 *
 *   # PUBLIC-KEY                               ROLE     IDENTITY
 *   rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7   desk     desk-1
 *
 * ROLE is desk, crew, monitor, qc, supervisor or admin; a crew key's
 * IDENTITY is the member id. '#' starts a comment only at the start of a
 * line (Z85 uses '#'). Parsing is pure, so tests drive it from memory.
 *
 * Ownership: keys_list_t is owned by whoever loaded it (keys_destroy);
 * keys_find() returns a pointer into it.
 */
#ifndef KEYS_H
#define KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "dispatch.pb-c.h"
#include "keyfile.h"

#define KEYS_Z85_LEN KEYFILE_Z85_LEN /* a 32-byte CURVE key in Z85 */
#define KEYS_IDENTITY_MAX 32         /* like Request.actor */

struct keys_pair {
	char public_key[KEYS_Z85_LEN + 1];
	char secret_key[KEYS_Z85_LEN + 1]; /* "" when only the public half was read */
};

struct keys_client {
	char public_key[KEYS_Z85_LEN + 1];
	Dispatch__Role role;
	char identity[KEYS_IDENTITY_MAX + 1];
	unsigned line; /* where it was listed, for messages */
};

typedef struct keys_list {
	struct keys_client *v;
	size_t n;
} keys_list_t;

/* A fresh key pair written to DIR/NAME.key (0600) and DIR/NAME.pub (0644);
 * DIR is created (0700) if missing. Never overwrites: an existing file is
 * an error. */
int keys_generate(const char *dir, const char *name, struct keys_pair *out, char *err, size_t errlen);

/* Read a key file; need_secret: it must hold the secret key too (and not
 * be readable by group or others). Errors name the file and the line. */
int keys_read_pair(const char *path, bool need_secret, struct keys_pair *out, char *err, size_t errlen);

/* Parse a clients list; name stands for the file in messages. On failure
 * NULL, and one "NAME:LINE: problem" per line in err. */
keys_list_t *keys_parse(const char *name, const char *data, size_t len, char *err, size_t errlen);
keys_list_t *keys_load(const char *path, char *err, size_t errlen);
void keys_destroy(keys_list_t **k);

/* The entry for public_key, or NULL: a binary search (the list is kept
 * sorted by key, not in the file's order). */
const struct keys_client *keys_find(const keys_list_t *k, const char *public_key);

/* "desk", "crew", "monitor", "qc", "supervisor", "admin". */
int keys_role_parse(const char *word, Dispatch__Role *out);
const char *keys_role_word(Dispatch__Role role);

/* Is s a well-formed Z85 CURVE key (40 characters that decode)? */
bool keys_z85_ok(const char *s);

#endif
