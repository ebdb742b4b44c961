/* deadline: missed deadlines and the escalation chain (see deadline.h). */
#include "deadline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "due.h"
#include "log.h"
#include "publish.h"
#include "route.h"
#include "ticket.h"
#include "xalloc.h"

#define DEADLINE_DEFAULT_EVERY (10 * 60 * 1000) /* a chain step's time when the rule gives none */
#define DEADLINE_PER_PASS 64                    /* deadlines fired per batch; more wait for the next pass */

struct deadline_timer {
	struct ev_loop *loop;    /* NULL: no timer (detached) */
	ev_timer timer;          /* the earliest entry of the deadlines index */
	void (*wake)(void *arg); /* runs a batch of no requests */
	void *arg;
	int64_t next_due; /* what the timer is armed for (0: nothing) */
	bool failed;      /* the last pass could not fire one: wait a second before trying again */
};

static void deadline_free_ticket(void *p)
{
	dispatch__ticket__free_unpacked(p, NULL);
}

/* "10 min", "90 s", "2 h" for messages. */
static void deadline_span(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms / 1000;

	if (s % 3600 == 0 && s >= 3600)
		snprintf(buf, len, "%lld h", (long long)(s / 3600));
	else if (s % 60 == 0 && s >= 60)
		snprintf(buf, len, "%lld min", (long long)(s / 60));
	else
		snprintf(buf, len, "%lld s", (long long)s);
}

static void deadline_pass_over(Dispatch__Ticket *t, const char *member)
{
	if (member == NULL || member[0] == '\0')
		return;
	for (size_t i = 0; i < t->n_passed_over; i++)
		if (strcmp(t->passed_over[i], member) == 0)
			return;
	t->passed_over = xrealloc(t->passed_over, (t->n_passed_over + 1) * sizeof *t->passed_over);
	t->passed_over[t->n_passed_over++] = xstrdup(member);
}

/* Record one escalation step of t, addressed to `to` (a member, or the
 * control center); previous, if not NULL, hears that it moved away. */
static int deadline_record(struct handle_ctx *c, Dispatch__Ticket *t, Dispatch__Deadline which, const char *to,
			   const char *previous, const char *note)
{
	Dispatch__Event ev;

	handle_system_event(&ev, DISPATCH__EVENT_TYPE__EVENT_ESCALATED);
	ev.deadline = which;
	ev.member = arena_strdup(c->a, to);
	ev.note = arena_strdup(c->a, note);
	ev.rule = t->rule;
	return handle_record(c, t, t->state, &ev, t->crew,
			     previous && previous[0] && strcmp(previous, to) != 0 ? previous : NULL);
}

/* Nobody took a queued ticket by its acknowledge deadline: the rule's
 * chain, one step, as for an assignee who did not acknowledge. The ticket
 * stays in the crew queue (a member who comes online still gets it); each
 * step tells someone: a member who qualifies now takes it, the supervisor
 * (unless told when it was queued), then the control center. */
static int deadline_escalate_queued(struct handle_ctx *c, Dispatch__Ticket *t, const struct config_rule *rule,
				    const struct config_crew *crew, const int *steps, unsigned nsteps, int64_t every,
				    const char *span)
{
	char note[1600];
	int rc;

	while (t->escalation_step < nsteps) {
		int step = steps[t->escalation_step++];
		if (step == CONFIG_ESC_NEXT_MEMBER && crew && rule) {
			struct route_assignment a;
			if ((rc = route_member(c->cfg, c->store, c->txn, c->roster, &c->rt, t, rule, crew, true, &a)) !=
			    0)
				return handle_store_fail(c, rc);
			if (a.member == NULL)
				continue; /* still nobody: the next step */
			return handle_assign(c, t, &a);
		}
		if (step == CONFIG_ESC_SUPERVISOR && crew && crew->supervisor &&
		    strcmp(crew->supervisor, t->about_member) != 0) {
			const struct config_member *sup = config_member(c->cfg, crew->supervisor, NULL);
			if (strcmp(t->escalated_to, crew->supervisor) == 0)
				continue; /* told when it was queued, and did not act on it */
			handle_set_string(&t->escalated_to, crew->supervisor);
			t->acknowledge_by_ms = c->now + every;
			snprintf(note, sizeof note,
				 "nobody in %s has taken ticket %llu in %s; the supervisor %s (%s) must "
				 "assign it",
				 crew->id, (unsigned long long)t->id, span, crew->supervisor, sup ? sup->name : "");
			return deadline_record(c, t, DISPATCH__DEADLINE__DEADLINE_ACKNOWLEDGE, crew->supervisor, NULL,
					       note);
		}
		if (step == CONFIG_ESC_CONTROL_CENTER)
			break;
	}
	handle_set_string(&t->escalated_to, TOPIC_CONTROL_CENTER);
	t->acknowledge_by_ms = 0;
	t->escalation_step = nsteps;
	snprintf(note, sizeof note,
		 "nobody in %s could take ticket %llu in %s; the control center must page someone "
		 "for ticket %llu (%s, unit %s)",
		 t->crew, (unsigned long long)t->id, span, (unsigned long long)t->id, t->crew, t->unit);
	return deadline_record(c, t, DISPATCH__DEADLINE__DEADLINE_ACKNOWLEDGE, TOPIC_CONTROL_CENTER, NULL, note);
}

/* The assignee did not acknowledge: the rule's chain, one step. */
static int deadline_escalate(struct handle_ctx *c, Dispatch__Ticket *t)
{
	static const int fallback[] = { CONFIG_ESC_SUPERVISOR, CONFIG_ESC_CONTROL_CENTER };
	const struct config_rule *rule = handle_rule_of(c->cfg, t);
	const struct config_crew *crew = config_crew(c->cfg, t->crew);
	const int *steps = rule && rule->escalation_count ? rule->escalation : fallback;
	unsigned nsteps = rule && rule->escalation_count ? rule->escalation_count : 2;
	int64_t every = rule && rule->escalation_every_ms                            ? rule->escalation_every_ms
			: rule && rule->deadlines && rule->deadlines->acknowledge_ms ? rule->deadlines->acknowledge_ms
										     : DEADLINE_DEFAULT_EVERY;
	char previous[64], span[32], note[1600];
	int rc;

	t->missed |= DUE_MISSED_ACKNOWLEDGE;
	snprintf(previous, sizeof previous, "%s", t->member);
	deadline_span(t->escalation_step == 0 && rule && rule->deadlines && rule->deadlines->acknowledge_ms
			      ? rule->deadlines->acknowledge_ms
			      : every,
		      span, sizeof span);
	if (t->state == DISPATCH__STATE__STATE_NEW && t->member[0] == '\0')
		return deadline_escalate_queued(c, t, rule, crew, steps, nsteps, every, span);
	while (t->escalation_step < nsteps) {
		int step = steps[t->escalation_step++];
		if (step == CONFIG_ESC_NEXT_MEMBER && crew && rule) {
			struct route_assignment a;
			deadline_pass_over(t, t->member);
			if ((rc = route_member(c->cfg, c->store, c->txn, c->roster, &c->rt, t, rule, crew, true, &a)) !=
			    0)
				return handle_store_fail(c, rc);
			if (a.member == NULL)
				continue; /* nobody else can take it: the next step */
			handle_set_string(&t->member, a.member->id);
			handle_set_string(&t->escalated_to, a.member->id);
			t->acknowledge_by_ms = c->now + every;
			snprintf(note, sizeof note,
				 "%s did not acknowledge in %s; moved to the next member, %s (%s). %s", previous, span,
				 a.member->id, a.member->name, a.reason);
			return deadline_record(c, t, DISPATCH__DEADLINE__DEADLINE_ACKNOWLEDGE, a.member->id, previous,
					       note);
		}
		if (step == CONFIG_ESC_SUPERVISOR && crew && crew->supervisor &&
		    strcmp(crew->supervisor, t->member) != 0 && strcmp(crew->supervisor, t->about_member) != 0) {
			const struct config_member *sup = config_member(c->cfg, crew->supervisor, NULL);
			deadline_pass_over(t, t->member);
			handle_set_string(&t->member, crew->supervisor);
			handle_set_string(&t->escalated_to, crew->supervisor);
			t->acknowledge_by_ms = c->now + every;
			snprintf(note, sizeof note,
				 "%s did not acknowledge in %s; moved to the supervisor of %s, %s (%s)",
				 previous[0] ? previous : "nobody", span, crew->id, crew->supervisor,
				 sup ? sup->name : "");
			return deadline_record(c, t, DISPATCH__DEADLINE__DEADLINE_ACKNOWLEDGE, crew->supervisor,
					       previous, note);
		}
		if (step == CONFIG_ESC_CONTROL_CENTER)
			break;
	}
	/* The end of the chain: the control center's duty operator pages
	 * someone; the ticket stays with its holder, and nothing more is timed. */
	handle_set_string(&t->escalated_to, TOPIC_CONTROL_CENTER);
	t->acknowledge_by_ms = 0;
	t->escalation_step = nsteps;
	snprintf(note, sizeof note,
		 "%s did not acknowledge in %s; the control center must page someone for ticket "
		 "%llu (%s, unit %s)",
		 previous[0] ? previous : "nobody", span, (unsigned long long)t->id, t->crew, t->unit);
	return deadline_record(c, t, DISPATCH__DEADLINE__DEADLINE_ACKNOWLEDGE, TOPIC_CONTROL_CENTER, NULL, note);
}

/* A missed arrive, resolve or follow-up: tell who answers for it, once. */
static int deadline_alert(struct handle_ctx *c, Dispatch__Ticket *t, Dispatch__Deadline which)
{
	const struct config_crew *crew = config_crew(c->cfg, t->crew);
	const char *to, *what;
	char note[512];

	switch (which) {
	case DISPATCH__DEADLINE__DEADLINE_ARRIVE:
		t->missed |= DUE_MISSED_ARRIVE;
		what = "arrival";
		to = crew ? crew->supervisor : NULL;
		break;
	case DISPATCH__DEADLINE__DEADLINE_RESOLVE:
		t->missed |= DUE_MISSED_RESOLVE;
		what = "resolution";
		to = crew ? crew->supervisor : NULL;
		break;
	default:
		t->missed |= DUE_MISSED_FOLLOW_UP;
		what = "follow-up call";
		to = c->cfg->desk_supervisor;
		break;
	}
	if (to == NULL || to[0] == '\0')
		to = TOPIC_CONTROL_CENTER;
	snprintf(note, sizeof note, "ticket %llu (%s, unit %s) is past its %s deadline%s%s", (unsigned long long)t->id,
		 t->crew, t->unit, what, t->member[0] ? "; held by " : "", t->member);
	if (which == DISPATCH__DEADLINE__DEADLINE_ARRIVE && t->visit_to_ms > 0 && t->visit_to_ms == t->arrive_by_ms) {
		/* issue 19: the crew missed the visit booked with the resident */
		char a[32], b[32];
		time_t fs = (time_t)(t->visit_from_ms / 1000), ts = (time_t)(t->visit_to_ms / 1000);
		struct tm tm;
		localtime_r(&fs, &tm);
		strftime(a, sizeof a, "%Y-%m-%d %H:%M", &tm);
		localtime_r(&ts, &tm);
		strftime(b, sizeof b, "%H:%M", &tm);
		snprintf(note + strlen(note), sizeof note - strlen(note),
			 "; the crew missed the visit %s-%s booked with the resident", a, b);
	}
	return deadline_record(c, t, which, to, NULL, note);
}

int deadline_fire(struct handle_ctx *c, uint64_t id, int64_t due_ms)
{
	Dispatch__Ticket *t = NULL;
	Dispatch__Deadline which;
	int rc = store_get_ticket(c->store, c->txn, id, &t);

	if (rc == STORE_NOTFOUND || (rc == 0 && t->due_ms != due_ms)) {
		/* purged, or moved on since: the entry is stale */
		if (t)
			dispatch__ticket__free_unpacked(t, NULL);
		if ((rc = store_drop_due(c->store, c->txn, due_ms, id)) != 0)
			return handle_store_fail(c, rc);
		return 0;
	}
	if (rc == STORE_CORRUPT) {
		/* Nothing can be done for it here, and it must not hold up every
		 * later deadline: drop the entry; --verify reports the record. */
		log_err("ticket %llu cannot be decoded; its deadline is dropped (run dispatchd --verify)",
			(unsigned long long)id);
		if ((rc = store_drop_due(c->store, c->txn, due_ms, id)) != 0)
			return handle_store_fail(c, rc);
		return 0;
	}
	if (rc != 0)
		return handle_store_fail(c, rc);
	arena_defer(c->a, deadline_free_ticket, t);
	due_next_ms(t, &which);
	log_info("ticket %llu: %s deadline passed", (unsigned long long)id,
		 which == DISPATCH__DEADLINE__DEADLINE_ACKNOWLEDGE ? "acknowledge"
		 : which == DISPATCH__DEADLINE__DEADLINE_ARRIVE    ? "arrive"
		 : which == DISPATCH__DEADLINE__DEADLINE_RESOLVE   ? "resolve"
								   : "follow-up");
	switch (which) {
	case DISPATCH__DEADLINE__DEADLINE_ACKNOWLEDGE: return deadline_escalate(c, t);
	case DISPATCH__DEADLINE__DEADLINE_ARRIVE:
	case DISPATCH__DEADLINE__DEADLINE_RESOLVE:
	case DISPATCH__DEADLINE__DEADLINE_FOLLOW_UP: return deadline_alert(c, t, which);
	default:
		/* nothing due after all (an older store's field): just re-index */
		t->due_ms = 0;
		if ((rc = store_drop_due(c->store, c->txn, due_ms, id)) != 0 ||
		    (rc = store_put_ticket(c->store, c->txn, t)))
			return handle_store_fail(c, rc);
		return 0;
	}
}

/* ---- the timer ------------------------------------------------------------ */

static void deadline_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	deadline_timer_t *d = w->data;

	(void)loop, (void)revents;
	d->wake(d->arg);
}

deadline_timer_t *deadline_timer_new(struct ev_loop *loop, void (*wake)(void *arg), void *arg)
{
	deadline_timer_t *d = xcalloc(1, sizeof *d);

	d->loop = loop;
	d->wake = wake;
	d->arg = arg;
	if (loop) {
		/* At once: deadlines that passed while the daemon was down fire now. */
		ev_timer_init(&d->timer, deadline_timer_cb, 0.0, 0.0);
		d->timer.data = d;
		ev_timer_start(loop, &d->timer);
	}
	return d;
}

void deadline_timer_destroy(deadline_timer_t **dp)
{
	if (dp == NULL || *dp == NULL)
		return;
	if ((*dp)->loop)
		ev_timer_stop((*dp)->loop, &(*dp)->timer);
	free(*dp);
	*dp = NULL;
}

void deadline_run(deadline_timer_t *d, const struct handle_ctx *base, MDB_txn *batch_txn, bool *map_full)
{
	Dispatch__Reply rep = DISPATCH__REPLY__INIT;
	struct handle_ctx c = {
		.store = base->store,
		.cfg = base->cfg,
		.roster = base->roster,
		.rep = &rep,
		.a = base->a,
		.role = DISPATCH__ROLE__ROLE_SYSTEM,
		.actor = DEADLINE_ACTOR,
		.out = base->out,
	};

	d->failed = false;
	c.now = clock_now_ms();
	roster_time(c.now, &c.rt);
	for (int i = 0; i < DEADLINE_PER_PASS; i++) {
		size_t mark = c.out->n;
		int64_t due;
		uint64_t id;
		int rc;
		if ((rc = store_first_due(c.store, batch_txn, &due, &id)) != 0 || due == 0 || due > c.now)
			break;
		arena_reset(c.a);
		dispatch__reply__init(&rep); /* its arrays were in the arena */
		if ((rc = store_txn_begin(c.store, batch_txn, 0, &c.txn)) != 0)
			break;
		rc = deadline_fire(&c, id, due);
		if (rc == 0)
			rc = store_txn_commit(c.txn);
		else
			store_txn_abort(c.txn);
		c.txn = NULL;
		if (rc != 0) {
			/* Try again at the next pass (after map growth, say). */
			if (c.store_rc == MDB_MAP_FULL || rc == MDB_MAP_FULL)
				*map_full = true;
			log_warn("deadline of ticket %llu not processed: %s", (unsigned long long)id,
				 rep.message ? rep.message : store_strerror(rc));
			publish_outbox_drop(c.out, mark);
			d->failed = true;
			break;
		}
	}
	arena_reset(c.a);
}

void deadline_note_next(deadline_timer_t *d, store_t *s, MDB_txn *txn)
{
	if (txn == NULL || store_first_due(s, txn, &d->next_due, &(uint64_t){ 0 }) != 0)
		d->next_due = clock_now_ms() + 1000; /* look again in a second */
}

void deadline_timer_arm(deadline_timer_t *d)
{
	double after;

	if (d->loop == NULL)
		return;
	ev_timer_stop(d->loop, &d->timer);
	if (d->next_due == 0)
		return;
	/* + 1 ms: never wake a hair early and find nothing due; after a
	 * failure, not at once: the same entry would fail in a tight loop */
	after = clock_seconds_until(d->next_due) + 0.001;
	if (d->failed && after < 1.0)
		after = 1.0;
	ev_timer_set(&d->timer, after, 0.0);
	ev_timer_start(d->loop, &d->timer);
}
