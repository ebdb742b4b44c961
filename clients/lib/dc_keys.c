/*
 * dc_keys: this client's CURVE keys, for tcp endpoints (issue 7).
 *
 * Design: the files are named by --key / --server-key or $DISPATCH_KEY /
 * $DISPATCH_SERVER_KEY and read once, when a tcp socket first needs them
 * (or at once by dc_set_keys(), so that a program can say what is wrong
 * before it does anything else). ipc endpoints rely on file permissions
 * and need no keys. The files are read by keyfile.c, the daemon's reader
 * too, so both sides accept the same files; every message names the file
 * and says what to do.
 */
#include "dc_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keyfile.h"

static int is_tcp(const char *endpoint)
{
	return endpoint && strncmp(endpoint, "tcp://", 6) == 0;
}

/* One key file through the reader the daemon uses too (keyfile.c);
 * what says which file it is to the person reading the message. sec NULL:
 * only the public key is wanted (the daemon's .pub). */
static int read_key_file(dc_t *dc, const char *what, const char *path, char *pub, char *sec)
{
	struct keyfile_pair kp;
	char err[sizeof dc->err - 16];

	if (keyfile_read(path, sec != NULL, &kp, err, sizeof err) != 0) {
		dc_fail(dc, "%s %s", what, err);
		return DC_ERR_ARG;
	}
	memcpy(pub, kp.public_key, sizeof kp.public_key);
	if (sec)
		memcpy(sec, kp.secret_key, sizeof kp.secret_key);
	explicit_bzero(&kp, sizeof kp);
	return DC_OK;
}

static int load_keys(dc_t *dc)
{
	int rc;

	if (dc->keys_loaded)
		return DC_OK;
	if (!dc->key_file || !dc->server_key_file) {
		dc_fail(dc,
			"%s is encrypted (CURVE): name this client's key pair with --key FILE (or DISPATCH_KEY) "
			"and the daemon's public key with --server-key FILE (or DISPATCH_SERVER_KEY); "
			"the daemon prints where its keys are when it starts",
			is_tcp(dc->req_ep) ? dc->req_ep : dc->ev_ep);
		return DC_ERR_ARG;
	}
	if ((rc = read_key_file(dc, "key", dc->key_file, dc->pub, dc->sec)) != DC_OK ||
	    (rc = read_key_file(dc, "server key", dc->server_key_file, dc->srv, NULL)) != DC_OK)
		return rc;
	dc->keys_loaded = 1;
	return DC_OK;
}

int dc_set_keys(dc_t *dc, const char *key_file, const char *server_key_file)
{
	if (!dc)
		return DC_ERR_ARG;
	if (key_file) {
		free(dc->key_file);
		if (!(dc->key_file = strdup(key_file)))
			return DC_ERR_SYSTEM;
	}
	if (server_key_file) {
		free(dc->server_key_file);
		if (!(dc->server_key_file = strdup(server_key_file)))
			return DC_ERR_SYSTEM;
	}
	dc->keys_loaded = 0;
	if (is_tcp(dc->req_ep) || is_tcp(dc->ev_ep) || key_file || server_key_file)
		return load_keys(dc);
	return DC_OK;
}

/* Before connect: a tcp endpoint is CURVE with this client's keys. */
int dc_keys_secure(dc_t *dc, void *s, const char *endpoint)
{
	int rc;

	if (!is_tcp(endpoint))
		return DC_OK;
	if ((rc = load_keys(dc)) != DC_OK)
		return rc;
	if (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, dc->srv, 40) < 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, dc->pub, 40) < 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, dc->sec, 40) < 0) {
		dc_fail(dc, "cannot set the CURVE keys: %s", zmq_strerror(errno));
		return DC_ERR_SYSTEM;
	}
	return DC_OK;
}

void dc_keys_free(dc_t *dc)
{
	free(dc->key_file);
	free(dc->server_key_file);
	dc->key_file = dc->server_key_file = NULL;
	memset(dc->sec, 0, sizeof dc->sec);
}
