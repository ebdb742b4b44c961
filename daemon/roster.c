/* roster: presence, duty, shifts and round-robin cursors (see roster.h). */
#include "roster.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xalloc.h"

/* One member's or crew's runtime state, in a small open-addressing table. */
struct roster_entry {
	char *key;
	int64_t last_seen_ms;
	int duty; /* enum roster_duty */
	int rr_last;
};

struct roster {
	struct roster_entry *v;
	size_t cap, n;
};

static uint64_t roster_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct roster_entry *roster_find(const roster_t *r, const char *key)
{
	if (r->cap == 0)
		return NULL;
	for (size_t i = roster_hash(key) & (r->cap - 1);; i = (i + 1) & (r->cap - 1)) {
		if (r->v[i].key == NULL)
			return NULL;
		if (strcmp(r->v[i].key, key) == 0)
			return &r->v[i];
	}
}

static struct roster_entry *roster_get(roster_t *r, const char *key)
{
	struct roster_entry *e = roster_find(r, key);
	size_t i;

	if (e)
		return e;
	if ((r->n + 1) * 2 > r->cap) {
		struct roster_entry *old = r->v;
		size_t oldcap = r->cap;
		r->cap = r->cap ? r->cap * 2 : 64;
		r->v = xcalloc(r->cap, sizeof *r->v);
		for (size_t k = 0; k < oldcap; k++) {
			if (old[k].key == NULL)
				continue;
			for (i = roster_hash(old[k].key) & (r->cap - 1); r->v[i].key; i = (i + 1) & (r->cap - 1))
				;
			r->v[i] = old[k];
		}
		free(old);
	}
	for (i = roster_hash(key) & (r->cap - 1); r->v[i].key; i = (i + 1) & (r->cap - 1))
		;
	r->v[i].key = xstrdup(key);
	r->v[i].duty = ROSTER_DUTY_CALENDAR;
	r->v[i].rr_last = -1;
	r->n++;
	return &r->v[i];
}

roster_t *roster_new(void)
{
	return xcalloc(1, sizeof(roster_t));
}

void roster_destroy(roster_t **rp)
{
	if (rp == NULL || *rp == NULL)
		return;
	for (size_t i = 0; i < (*rp)->cap; i++)
		free((*rp)->v[i].key);
	free((*rp)->v);
	free(*rp);
	*rp = NULL;
}

void roster_time(int64_t now_ms, struct roster_time *out)
{
	time_t secs = (time_t)(now_ms / 1000);
	struct tm tm;

	localtime_r(&secs, &tm);
	out->now_ms = now_ms;
	out->wday = tm.tm_wday;
	out->minute = tm.tm_hour * 60 + tm.tm_min;
}

bool roster_online(const roster_t *r, const char *member, int64_t now_ms, unsigned window_s)
{
	const struct roster_entry *e = roster_find(r, member);
	/* Within the window either way: a clock stepped back a little (or a
	 * restart with a test clock) does not take a handheld offline. */
	return e && e->last_seen_ms > 0 && llabs(now_ms - e->last_seen_ms) <= (int64_t)window_s * 1000;
}

bool roster_seen(roster_t *r, const char *member, int64_t now_ms, unsigned window_s)
{
	bool was = roster_online(r, member, now_ms, window_s);
	roster_get(r, member)->last_seen_ms = now_ms;
	return !was;
}

int64_t roster_last_seen(const roster_t *r, const char *member)
{
	const struct roster_entry *e = roster_find(r, member);
	return e ? e->last_seen_ms : 0;
}

void roster_each_seen(const roster_t *r, roster_seen_fn *fn, void *arg)
{
	for (size_t i = 0; i < r->cap; i++)
		if (r->v[i].key && r->v[i].key[0] != '\x01' && r->v[i].last_seen_ms > 0)
			fn(r->v[i].key, r->v[i].last_seen_ms, arg);
}

void roster_restore_seen(roster_t *r, const char *member, int64_t last_seen_ms)
{
	roster_get(r, member)->last_seen_ms = last_seen_ms;
}

void roster_set_duty(roster_t *r, const char *member, enum roster_duty duty)
{
	roster_get(r, member)->duty = duty;
}

enum roster_duty roster_duty(const roster_t *r, const char *member)
{
	const struct roster_entry *e = roster_find(r, member);
	return e ? (enum roster_duty)e->duty : ROSTER_DUTY_CALENDAR;
}

bool roster_on_shift(const struct config_member *m, const struct roster_time *t)
{
	int yesterday = (t->wday + 6) % 7;

	if (m->shifts_count == 0)
		return true;
	for (unsigned i = 0; i < m->shifts_count; i++) {
		const struct config_shift *s = &m->shifts[i];
		if (s->win.from < s->win.to) {
			if ((s->days & CONFIG_DAY(t->wday)) && t->minute >= s->win.from && t->minute < s->win.to)
				return true;
		} else {
			/* Across midnight: the evening belongs to today's shift, the
			 * small hours to yesterday's. */
			if ((s->days & CONFIG_DAY(t->wday)) && t->minute >= s->win.from)
				return true;
			if ((s->days & CONFIG_DAY(yesterday)) && t->minute < s->win.to)
				return true;
		}
	}
	return false;
}

bool roster_working(const roster_t *r, const struct config_member *m, const struct roster_time *t)
{
	switch (roster_duty(r, m->id)) {
	case ROSTER_DUTY_ON: return true;
	case ROSTER_DUTY_OFF: return false;
	default: return roster_on_shift(m, t);
	}
}

int roster_rr_last(const roster_t *r, const char *crew)
{
	char key[80];
	const struct roster_entry *e;

	key[0] = '\x01'; /* crews and members share the table: keep keys apart */
	strncpy(key + 1, crew, sizeof key - 2);
	key[sizeof key - 1] = '\0';
	e = roster_find(r, key);
	return e ? e->rr_last : -1;
}

void roster_rr_set(roster_t *r, const char *crew, int index)
{
	char key[80];

	key[0] = '\x01';
	strncpy(key + 1, crew, sizeof key - 2);
	key[sizeof key - 1] = '\0';
	roster_get(r, key)->rr_last = index;
}
