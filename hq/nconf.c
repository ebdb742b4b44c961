/* nconf: see nconf.h. */
#include "nconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int read_first_line(const char *path, char **out, char *err, size_t errlen)
{
	char buf[1024];
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(buf, sizeof buf, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	free(*out);
	*out = strdup(trim(buf));
	return 0;
}

int nconf_read(const char *path, struct nconf *c, nconf_fn *fn, void *arg, char *err, size_t errlen)
{
	struct {
		const char *key;
		char **val;
	} keys[] = {
		{ "servers", &c->servers },   { "user", &c->user },           { "password", &c->password },
		{ "creds", &c->creds },       { "nkey-seed", &c->nkey_seed }, { "tls-ca", &c->tls_ca },
		{ "tls-cert", &c->tls_cert }, { "tls-key", &c->tls_key },     { "tls-hostname", &c->tls_hostname },
	};
	char line[4096], why[512];
	unsigned n = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, errlen, "cannot read the configuration %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		char *s, *eq, *key, *val, *hash;
		size_t i;
		int rc;

		n++;
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		s = trim(line);
		if (*s == '\0')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			snprintf(err, errlen, "%s:%u: want \"key = value\", got \"%.80s\"", path, n, s);
			goto fail;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		if (strcmp(key, "password-file") == 0) {
			if (read_first_line(val, &c->password, why, sizeof why) != 0) {
				snprintf(err, errlen, "%s:%u: %s", path, n, why);
				goto fail;
			}
			continue;
		}
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (strcmp(key, keys[i].key) == 0)
				break;
		if (i < sizeof keys / sizeof keys[0]) {
			free(*keys[i].val);
			*keys[i].val = strdup(val);
			continue;
		}
		why[0] = '\0';
		rc = fn ? fn(key, val, arg, why, sizeof why) : -1;
		if (rc == -1) {
			snprintf(err, errlen, "%s:%u: unknown key \"%.60s\"", path, n, key);
			goto fail;
		}
		if (rc != 0) {
			snprintf(err, errlen, "%s:%u: %s", path, n, why);
			goto fail;
		}
	}
	fclose(f);
	if (c->servers) { /* "a, b" -> "a,b" */
		char *w = c->servers;
		for (char *r = c->servers; *r; r++)
			if (!isspace((unsigned char)*r))
				*w++ = *r;
		*w = '\0';
	}
	if (c->servers == NULL || c->servers[0] == '\0') {
		snprintf(err, errlen, "%s: no \"servers = nats://HOST:PORT\" line (head office's NATS servers)", path);
		return -1;
	}
	if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		snprintf(err, errlen, "%s: tls-cert and tls-key go together", path);
		return -1;
	}
	return 0;
fail:
	fclose(f);
	return -1;
}

void nconf_free(struct nconf *c)
{
	free(c->servers);
	free(c->user);
	free(c->password);
	free(c->creds);
	free(c->nkey_seed);
	free(c->tls_ca);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_hostname);
	memset(c, 0, sizeof *c);
}

int nconf_connect(const struct nconf *c, const char *name, const char *inbox, natsConnection **nc, char *err,
		  size_t errlen)
{
	natsOptions *o = NULL;
	natsStatus s;
	const char *what = "set up the connection options";

	*nc = NULL;
	if ((s = natsOptions_Create(&o)) != NATS_OK)
		goto fail;
	what = "use the servers";
	{
		char *copy = strdup(c->servers), *save = NULL, *u;
		const char *urls[16];
		int n = 0;

		for (u = strtok_r(copy, ",", &save); u && n < 16; u = strtok_r(NULL, ",", &save))
			urls[n++] = u;
		s = n ? natsOptions_SetServers(o, urls, n) : NATS_INVALID_ARG;
		free(copy);
		if (s != NATS_OK)
			goto fail;
	}
	natsOptions_SetName(o, name);
	what = "set the inbox prefix";
	if (inbox && (s = natsOptions_SetCustomInboxPrefix(o, inbox)) != NATS_OK)
		goto fail;
	natsOptions_SetMaxReconnect(o, -1);
	natsOptions_SetReconnectWait(o, 500);
	natsOptions_SetTimeout(o, 3000);
	natsOptions_SetPingInterval(o, 5000);
	natsOptions_SetMaxPingsOut(o, 2);
	/* a publish made while disconnected fails at once (and the shipper
	 * starts over from where the server says), not after a buffer fills */
	natsOptions_SetReconnectBufSize(o, 0);
	what = "use the user and password";
	if (c->user && (s = natsOptions_SetUserInfo(o, c->user, c->password ? c->password : "")) != NATS_OK)
		goto fail;
	what = "read the credentials file";
	if (c->creds && (s = natsOptions_SetUserCredentialsFromFiles(o, c->creds, NULL)) != NATS_OK)
		goto fail;
	what = "read the nkey seed file";
	if (c->nkey_seed && (s = natsOptions_SetNKeyFromSeed(o, NULL, c->nkey_seed)) != NATS_OK)
		goto fail;
	if (c->tls_ca || c->tls_cert) {
		what = "turn TLS on";
		if ((s = natsOptions_SetSecure(o, true)) != NATS_OK)
			goto fail;
		what = "read tls-ca";
		if (c->tls_ca && (s = natsOptions_LoadCATrustedCertificates(o, c->tls_ca)) != NATS_OK)
			goto fail;
		what = "read tls-cert and tls-key";
		if (c->tls_cert && (s = natsOptions_LoadCertificatesChain(o, c->tls_cert, c->tls_key)) != NATS_OK)
			goto fail;
		what = "set tls-hostname";
		if (c->tls_hostname && (s = natsOptions_SetExpectedHostname(o, c->tls_hostname)) != NATS_OK)
			goto fail;
	}
	what = "connect";
	s = natsConnection_Connect(nc, o);
	if (s != NATS_OK)
		goto fail;
	natsOptions_Destroy(o);
	return 0;
fail:
	snprintf(err, errlen, "cannot %s (%s): %s", what, c->servers,
		 nats_GetLastError(NULL) ? nats_GetLastError(NULL) : natsStatus_GetText(s));
	natsOptions_Destroy(o);
	return -1;
}

int nconf_valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 64)
		return 0;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return 0;
	return 1;
}

void nconf_stream(char *buf, size_t len, const char *id)
{
	snprintf(buf, len, "ESTATE_%s", id);
}

void nconf_subject(char *buf, size_t len, const char *id)
{
	snprintf(buf, len, "estate.%s.events", id);
}
