/*
 * topic: the event socket's topics, in one place. A message on the PUB
 * socket is [topic][packed Event]; a subscriber filters on a prefix:
 *
 *   crew.<crew>.<member>.   events addressed to a member ("-" when queued)
 *   desk.                   before routing
 *   control.                escalations to the control center
 *   estate.                 estate-wide: outages, notices
 *   hb.                     the heartbeat
 *
 * Every level ends in '.', so a subscription to "crew.technical.T07."
 * never matches T070. Header-only (static inline, no daemon state) so
 * that the clients can build the same prefixes from the same code.
 */
#ifndef TOPIC_H
#define TOPIC_H

#include <stdio.h>
#include <string.h>

#include "dispatch.pb-c.h"

/* The member id an escalation to the control center is addressed to. */
#define TOPIC_CONTROL_CENTER "control-center"

#define TOPIC_DESK "desk."
#define TOPIC_CONTROL "control."
#define TOPIC_ESTATE "estate."
#define TOPIC_HEARTBEAT "hb."
#define TOPIC_MAX 160 /* room for "crew.<crew>.<member>." with ids of any sane length */

/* "crew.<crew>.<member>." (member NULL or "": "-", the crew's queue). */
static inline void topic_member(char *buf, size_t len, const char *crew, const char *member)
{
	snprintf(buf, len, "crew.%s.%s.", crew ? crew : "", member && member[0] ? member : "-");
}

/* "crew.<crew>.": everything addressed to a crew and its members. */
static inline void topic_crew(char *buf, size_t len, const char *crew)
{
	snprintf(buf, len, "crew.%s.", crew ? crew : "");
}

/* The topic an event is published under. */
static inline void topic_event(char *buf, size_t len, Dispatch__EventType type, const char *crew, const char *member)
{
	if (type == DISPATCH__EVENT_TYPE__EVENT_OUTAGE || type == DISPATCH__EVENT_TYPE__EVENT_NOTICE)
		snprintf(buf, len, TOPIC_ESTATE);
	else if (type == DISPATCH__EVENT_TYPE__EVENT_ESCALATED &&
		 (member == NULL || member[0] == '\0' || strcmp(member, TOPIC_CONTROL_CENTER) == 0))
		snprintf(buf, len, TOPIC_CONTROL);
	else if ((member && member[0]) || (crew && crew[0]))
		topic_member(buf, len, crew, member);
	else
		snprintf(buf, len, TOPIC_DESK);
}

#endif
