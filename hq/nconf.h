/*
 * nconf: the small configuration files of dispatch-ship and dispatch-hq
 * (issue 18), and the NATS connection both make from them.
 *
 * A file is lines of "key = value"; '#' starts a comment; blank lines are
 * skipped. Keys both programs read:
 *
 *   servers      = nats://h1:4222, nats://h2:4222   head office's NATS servers
 *   user         = NAME          with password or password-file
 *   password     = SECRET
 *   password-file = FILE         the password's first line (keeps it out of the config)
 *   creds        = FILE          a NATS credentials file (JWT and nkey seed) instead
 *   nkey-seed    = FILE          an nkey seed file instead
 *   tls-ca       = FILE          verify the servers against this CA (turns TLS on)
 *   tls-cert     = FILE          this side's certificate chain (mutual TLS)
 *   tls-key      = FILE
 *   tls-hostname = NAME          expected name in the servers' certificates
 *
 * Every other key is handed to the program's own callback, which says
 * whether it knows it; an unknown key is an error naming file and line.
 */
#ifndef NCONF_H
#define NCONF_H

#include <nats/nats.h>
#include <stddef.h>

struct nconf {
	char *servers, *user, *password, *creds, *nkey_seed;
	char *tls_ca, *tls_cert, *tls_key, *tls_hostname;
};

/* key/value of a line the common part does not know: 0 taken, -1 unknown
 * key (the parser reports it), -2 bad value (the callback wrote err). */
typedef int(nconf_fn)(const char *key, const char *value, void *arg, char *err, size_t errlen);

/* Read path; 0, or -1 with err ("FILE:LINE: why"). */
int nconf_read(const char *path, struct nconf *c, nconf_fn *fn, void *arg, char *err, size_t errlen);
void nconf_free(struct nconf *c);

/* Connect with the servers, credentials and TLS of c; name is the
 * connection's name in the servers' monitoring; inbox (NULL: "_INBOX")
 * the prefix of the reply subjects, so that a server's permissions can
 * give each estate replies of its own only. Reconnects for ever.
 * 0, or -1 with err. */
int nconf_connect(const struct nconf *c, const char *name, const char *inbox, natsConnection **nc, char *err,
		  size_t errlen);

/* An estate id is a NATS subject token and a stream name's part:
 * letters, digits, '-' and '_', 1..64 of them. */
int nconf_valid_id(const char *id);

/* The stream and subject of an estate: ESTATE_<id>, estate.<id>.events. */
void nconf_stream(char *buf, size_t len, const char *id);
void nconf_subject(char *buf, size_t len, const char *id);

/* The header that carries the estate's sequence number on each message. */
#define NCONF_SEQ_HEADER "Dispatch-Seq"

#endif
