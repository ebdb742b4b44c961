/*
 * nats-pub: publish to a JetStream subject as a given user, for the tests
 * and the benchmark of issue 18 (never installed).
 *
 *   nats-pub --config FILE --subject S [--count N] [--size B] [--async]
 *            [--window W] [--expect-seq]
 *
 * FILE is a dispatch-ship/dispatch-hq style configuration (servers, user,
 * password-file, ...; other keys are ignored). Each message is published
 * to JetStream and its acknowledgement awaited (sync), or N messages are
 * published asynchronously with W in flight (async: nats.c's own raw rate,
 * the benchmark's limit). --inbox P: reply subjects under P (an estate's
 * user may only receive its own, _INBOX_<id>). Prints
 * "stored N in S s (R msg/s)"; exit 0 when all were stored, 1 when the
 * server refused or did not acknowledge any (a permission denied shows as
 * no acknowledgement), 2 usage, 3 no connection.
 */
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nconf.h"

static atomic_int failures;
static atomic_long acks;

static int ignore_key(const char *key, const char *val, void *arg, char *err, size_t errlen)
{
	(void)key;
	(void)val;
	(void)arg;
	(void)err;
	(void)errlen;
	return 0;
}

static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	(void)js;
	(void)closure;
	if (pae)
		atomic_fetch_add(&failures, 1);
	else if (pa)
		atomic_fetch_add(&acks, 1);
	natsMsg_Destroy(msg);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "subject", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 'b' },
		{ "async", no_argument, NULL, 'a' },
		{ "window", required_argument, NULL, 'w' },
		{ "inbox", required_argument, NULL, 'i' },
		{ "wait", required_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *subject = NULL, *inbox = NULL;
	long count = 1, size = 600, window = 4096, wait_ms = 3000, stored = 0;
	int c, async = 0, rc = 0;
	struct nconf nc = { 0 };
	natsConnection *conn = NULL;
	jsCtx *js = NULL;
	jsOptions jo;
	char err[1024], *payload;
	double t0, t1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 's': subject = optarg; break;
		case 'n': count = atol(optarg); break;
		case 'b': size = atol(optarg); break;
		case 'a': async = 1; break;
		case 'w': window = atol(optarg); break;
		case 'i': inbox = optarg; break;
		case 'W': wait_ms = atol(optarg); break;
		default: return 2;
		}
	}
	if (!config || !subject || count < 1 || size < 0 || window < 1) {
		fprintf(stderr, "usage: nats-pub --config FILE --subject S [--count N] [--size B] [--async] "
				"[--window W] [--inbox P] [--wait MS]\n");
		return 2;
	}
	if (nconf_read(config, &nc, ignore_key, NULL, err, sizeof err) != 0) {
		fprintf(stderr, "nats-pub: %s\n", err);
		return 2;
	}
	if (nconf_connect(&nc, "nats-pub", inbox, &conn, err, sizeof err) != 0) {
		fprintf(stderr, "nats-pub: %s\n", err);
		nconf_free(&nc);
		return 3;
	}
	jsOptions_Init(&jo);
	jo.Wait = wait_ms;
	jo.PublishAsync.MaxPending = window;
	jo.PublishAsync.AckHandler = on_ack;
	natsConnection_JetStream(&js, conn, &jo);
	payload = calloc(1, (size_t)size + 1);
	memset(payload, 'x', (size_t)size);
	t0 = now_s();
	for (long i = 0; i < count; i++) {
		if (async) {
			if (js_PublishAsync(js, subject, payload, (int)size, NULL) != NATS_OK) {
				rc = 1;
				break;
			}
		} else {
			jsPubAck *pa = NULL;
			jsErrCode jerr = 0;
			natsStatus s = js_Publish(&pa, js, subject, payload, (int)size, NULL, &jerr);

			if (s != NATS_OK) {
				const char *why = NULL;

				/* a refusal by the server's permissions comes as the
				 * connection's error; the publish itself only times out */
				natsConnection_GetLastError(conn, &why);
				fprintf(stderr, "nats-pub: not stored: %s%s%s\n",
					nats_GetLastError(NULL) ? nats_GetLastError(NULL) : natsStatus_GetText(s),
					why && *why ? "; the server said: " : "", why ? why : "");
				rc = 1;
				break;
			}
			jsPubAck_Destroy(pa);
			stored++;
		}
	}
	if (async) {
		jsPubOptions po;

		jsPubOptions_Init(&po);
		po.MaxWait = 60000;
		if (js_PublishAsyncComplete(js, &po) != NATS_OK)
			rc = 1;
		stored = atomic_load(&acks);
		if (atomic_load(&failures) || stored != count)
			rc = 1;
	}
	t1 = now_s();
	printf("stored %ld in %.3f s (%.0f msg/s)\n", stored, t1 - t0, (double)stored / (t1 - t0));
	free(payload);
	jsCtx_Destroy(js);
	natsConnection_Close(conn);
	natsConnection_Destroy(conn);
	nconf_free(&nc);
	/* no nats_Close(): with TLS it frees OpenSSL's state, and libcrypto's
	 * own exit handler then crashes on it (nats.c 3.4 with OpenSSL 3);
	 * the process ends here anyway */
	return rc;
}
