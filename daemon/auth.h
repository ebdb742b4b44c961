/*
 * auth: CURVE encryption and key-based authentication (ZAP) (issue 7).
 * What each key's role may send is the request table's (command.c).
 *
 * Every tcp:// endpoint is CURVE: auth_secure() makes the socket a CURVE
 * server with the daemon's secret key and a ZAP domain, with
 * ZMQ_ZAP_ENFORCE_DOMAIN so that no key gets in when the handler does not
 * answer. The ZAP handler (a REP socket on inproc://zeromq.zap.01, on the
 * libev loop) accepts a client only if its public key is in the clients
 * list, and gives the public key back as the connection's User-Id. Each
 * request's role and identity are then looked up from that key at the
 * time the request arrives (auth_identify), so whatever Request.role and
 * Request.actor say is ignored, and a key removed by a reload is refused
 * at once even on a connection that is still open. ipc:// endpoints are
 * not CURVE: they rely on the permissions of their directory, and their
 * requests keep the role and actor the client states.
 *
 * Revocation: auth_reload() (SIGHUP) reads the clients list again; if a
 * key was removed or changed, every secured socket is unbound and bound
 * again, which closes all its connections (libzmq cannot close one peer
 * of a bound socket); clients reconnect by themselves, and the revoked
 * key fails the handshake.
 *
 * Ownership: auth borrows the sockets given to auth_secure(); they must
 * outlive it or be gone before the next auth_reload().
 */
#ifndef AUTH_H
#define AUTH_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <zmq.h>

#include "config.h"
#include "dispatch.pb-c.h"
#include "keys.h"

typedef struct auth auth_t;

/* Who sent a request, as far as the connection proves it. */
struct auth_who {
	bool authenticated; /* came over CURVE; role and identity are the key's */
	Dispatch__Role role;
	char identity[KEYS_IDENTITY_MAX + 1];
	char key[KEYS_Z85_LEN + 1];
};

/* Is endpoint one that must be CURVE (tcp://)? */
bool auth_endpoint_needs_curve(const char *endpoint);

/* Read the server key pair and the clients list, and start the ZAP
 * handler on loop. Call before any secured socket binds. */
auth_t *auth_new(void *zmq_ctx, struct ev_loop *loop, const char *server_key, const char *clients, char *err,
		 size_t errlen);
void auth_destroy(auth_t **a);

/* Before bind: for a tcp endpoint, make socket a CURVE server in ZAP
 * domain "dispatchd-<name>". Returns 1 if secured, 0 if the endpoint is not
 * tcp (or a is NULL and it is not tcp), -1 with err if a tcp endpoint has
 * no keys to use. */
int auth_secure(auth_t *a, void *socket, const char *endpoint, const char *name, char *err, size_t errlen);

/* Who sent frame (the request's last frame). 0 with who filled in
 * (authenticated false without CURVE); -1 if its key is no longer listed. */
int auth_identify(const auth_t *a, const zmq_msg_t *frame, struct auth_who *who);

/* SIGHUP: read the clients list again (on errors keep the old one and say
 * why). Returns the number of keys revoked or changed, or -1. */
int auth_reload(auth_t *a);

/* First run with `security.generate`: create whichever of the server key
 * pair and the clients list is missing, with a client key pair for each
 * role and for each crew member of cfg. Says in log lines how clients use
 * them. 0, or -1 with err. */
int auth_generate_demo(const char *server_key, const char *clients, const config_t *cfg, char *err, size_t errlen);

#endif
