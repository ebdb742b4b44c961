/*
 * dc_subscribe: the events (PUB) side of libdispatchclient: a SUB socket
 * on a dc_t, with gap detection and replay.
 *
 * PUB drops messages silently (slow joiners, full queues), so for an
 * unfiltered subscription ("") dc_next_event() tracks the global seq and
 * fills any gap, or any lag a heartbeat reveals, with Replay requests over
 * the request socket (dc_request.h): events come out dense and in order,
 * never twice. A member-filtered subscription sees a sparse subset of seqs
 * and cannot detect gaps; its program re-fetches open assignments instead,
 * when dc_resubscribed() reports a reconnect (the SUB socket is monitored)
 * or Event.member_seq jumps.
 *
 * Wire facts relied on (see proto/dispatch.proto): events are two frames
 * [topic][packed Event]; topics "crew.<crew>.<member>." ("-" for a queued
 * ticket), "desk.", "hb.".
 *
 * Ownership: every Dispatch__Event returned by dc_next_event() is owned by
 * the caller and freed with dispatch__event__free_unpacked(e, NULL).
 */
#ifndef DC_SUBSCRIBE_H
#define DC_SUBSCRIBE_H

#include <stdint.h>

#include "dc_request.h"

/*
 * Open the SUB socket and subscribe to each prefix in prefixes[0..n-1]
 * (n may be 0) and always to "hb.". Only one subscription per dc_t.
 *
 * If one prefix is "" (everything), gap detection is on: from_seq 0 means
 * "events after now" (the current last seq is learned with a Ping, which
 * fails with DC_ERR_UNREACHABLE if the daemon is down); from_seq N > 0
 * means "start at seq N": events N.. are replayed before live ones.
 * Without "", from_seq must be 0 and events are delivered as they come.
 */
int dc_subscribe(dc_t *dc, const char *const *prefixes, size_t n, uint64_t from_seq);

/* Whether dc_next_event() returns heartbeats too (default: no). */
void dc_set_heartbeats(dc_t *dc, int want);

/*
 * Wait until the subscription is live, i.e. the first message (at the
 * latest the once-a-second heartbeat) has arrived, so that events published
 * from now on will be seen. Messages received meanwhile are kept for
 * dc_next_event(). DC_ERR_TIMEOUT if nothing came within timeout_ms.
 */
int dc_wait_ready(dc_t *dc, int timeout_ms);

/*
 * The next event: DC_OK with *event set (owned by the caller; free with
 * dispatch__event__free_unpacked(*event, NULL)). timeout_ms < 0 waits for
 * ever. DC_ERR_TIMEOUT when nothing arrived in time, DC_ERR_INTERRUPTED
 * when a signal arrived (check your flag and call again), other negative
 * codes when a gap could not be filled (the events after the gap are kept
 * and come out on the next call once the replay works).
 */
int dc_next_event(dc_t *dc, int timeout_ms, Dispatch__Event **event);

/*
 * As dc_next_event(), but also wait for fd (e.g. a terminal's stdin, for a
 * program that reads keys while it follows events): DC_FD_READY, with
 * *event NULL, when fd became readable and no event is waiting. fd < 0
 * behaves exactly like dc_next_event().
 */
int dc_next_event_fd(dc_t *dc, int timeout_ms, int fd, Dispatch__Event **event);

/*
 * The daemon's "now" in unix ms: this machine's clock corrected by the
 * difference seen in the last heartbeat (the daemon's clock may be set
 * apart, in tests, or this machine's may be off). Without a heartbeat yet,
 * corrected by the first dc_ping()'s reply (Reply.now_ms); without either,
 * this machine's clock. Deadlines are in the daemon's clock, so count down
 * against this.
 */
int64_t dc_daemon_now_ms(const dc_t *dc);

/*
 * 1 once after the events socket has re-established its connection (a
 * daemon restart, a network break), else 0. Whatever was published while
 * it was down is lost to a member-filtered subscription, so its program
 * fetches its state again when this says so. Checked and reset; updated
 * while dc_next_event() waits, so call it after every return of that.
 */
int dc_resubscribed(dc_t *dc);

/* The last seq delivered (or the baseline), with gap detection on. */
uint64_t dc_last_seq(const dc_t *dc);

#endif
