/*
 * keyfile: the one reader of CURVE key files, compiled into both the
 * daemon (through daemon/keys.c) and the client library (dc_keys.c), so
 * that a file one side accepts the other side accepts too (issue 16).
 *
 * The format, as `dispatchd --gen-keys` writes it: text, one
 * "name = value" a line, the keys in Z85 (40 characters); blank lines and
 * lines starting with '#' are comments:
 *
 *   # dispatchd CURVE key pair "desk-1": keep it secret
 *   public-key = rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7
 *   secret-key = JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6
 *
 * NAME.key holds both lines (mode 0600), NAME.pub only the public one.
 * The reader is strict: an unknown name, a setting given twice, text after
 * the key, a NUL byte, a file larger than KEYFILE_MAX_BYTES, and a secret
 * key whose public half is not the one in the file are all errors. Every
 * message starts with the file's path (and line) and says what to do.
 *
 * No allocation and no global state: the daemon and the clients each keep
 * their own policy for memory and for how a message reaches a person.
 */
#ifndef KEYFILE_H
#define KEYFILE_H

#include <stdbool.h>
#include <stddef.h>

#define KEYFILE_Z85_LEN 40     /* a 32-byte CURVE key in Z85 */
#define KEYFILE_MAX_BYTES 8192 /* a key file is some 150 bytes */

struct keyfile_pair {
	char public_key[KEYFILE_Z85_LEN + 1];
	char secret_key[KEYFILE_Z85_LEN + 1]; /* "" when only the public half was read */
};

/*
 * Read the key file at path into *out. need_secret: it must hold the
 * secret key too, and must not be readable by group or others. Returns 0,
 * or -1 with *out zeroed and a message in err ("PATH:LINE: problem").
 */
int keyfile_read(const char *path, bool need_secret, struct keyfile_pair *out, char *err, size_t errlen);

/* Is s a well-formed Z85 CURVE key (40 characters that decode)? */
bool keyfile_z85_ok(const char *s);

/* The next line of the text at *p (changed in place: its end becomes NUL),
 * trimmed of blanks at both ends; NULL at the end of the text. Both the
 * key files and the daemon's clients list are read a line at a time. */
char *keyfile_next_line(char **p);

#endif
