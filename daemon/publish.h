/*
 * publish: the PUB events socket. Each message is [topic][packed Event];
 * topics are "crew.<crew>.<member>." (member "-" when queued), "desk."
 * before routing, "control." for escalations to the control center,
 * "estate." for estate-wide notices (outages, notices), and "hb." for the heartbeat. Every level ends in '.', so
 * a subscription to "crew.technical.T07." never matches T070.
 *
 * PUB drops when a subscriber is slow or absent; that is why every event
 * carries its seq and a heartbeat with the latest seq goes out every
 * second: subscribers detect gaps and replay from the log.
 */
#ifndef PUBLISH_H
#define PUBLISH_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "dispatch.pb-c.h"

typedef struct publish publish_t;

/* The member id an escalation to the control center is addressed to. */
#define PUBLISH_CONTROL_CENTER "control-center"

/* Bind a PUB socket on endpoint; NULL with a message in err on failure.
 * hwm: messages queued per subscriber before PUB drops (0: the default).
 * auth (may be NULL): a tcp endpoint is made CURVE by it (auth_secure). */
publish_t *publish_new(void *zmq_ctx, struct ev_loop *loop, const char *endpoint, int hwm, auth_t *auth,
		       char *err, size_t errlen);
void publish_destroy(publish_t **p);

/* Topic for an event, written into buf (NUL-terminated). */
void publish_topic(const Dispatch__Event *ev, char *buf, size_t len);
/* Send one already packed event under topic. Never blocks. */
void publish_send(publish_t *p, const char *topic, const void *data, size_t len);
/* The latest stored seq, announced by the heartbeat. */
void publish_set_last_seq(publish_t *p, uint64_t seq);

#endif
