#!/usr/bin/env python3
"""report_check.py TRUTH REVIEW.json DAILY.json DATE FROM TO [WIDE.csv]

Computes, from what gen-year says it generated (TRUTH, NDJSON), every
figure the review (tickets reported in [FROM, TO)) and the daily report of
DATE must show, by the definitions in dispatchd(8), without any of
report.c, and compares them with the reports' JSON. Prints one line per
difference; exit 0 when there is none. Dates are local (TZ).

The review's figures per crew, member and month, and its comparison with
the period of the same length just before, are checked the same way; so
is the wide CSV of the same review, when given."""
import collections
import datetime
import json
import math
import os
import sys
from zoneinfo import ZoneInfo

TZ = ZoneInfo(os.environ.get("TZ", "Asia/Hong_Kong"))
KINDS = {0: "unspecified", 1: "repair", 2: "complaint", 3: "special", 4: "security", 5: "cleaning", 6: "inquiry"}
OPEN = {1, 2, 3, 4, 8}
STATES = {1: "new", 2: "assigned", 3: "accepted", 4: "on_site", 5: "resolved", 6: "closed", 7: "cancelled", 8: "on_hold"}
EV_ASSIGNED, EV_RESOLVED, EV_ESCALATED, EV_FOLLOWED_UP, EV_SUBMITTED = 2, 6, 9, 17, 1

truth_path, review_path, daily_path, date, dfrom, dto = sys.argv[1:7]
tickets, events = [], []
for line in open(truth_path):
    o = json.loads(line)
    (tickets if "t" in o else events).append(o)
review = json.load(open(review_path))
daily = json.load(open(daily_path))
bad = []


def check(what, got, want):
    if got == want:
        return
    if isinstance(got, dict) and isinstance(want, dict):
        for k in sorted(set(got) | set(want), key=str):
            if got.get(k) != want.get(k):
                bad.append(f"{what}[{k}]: report says {got.get(k)!r}, expected {want.get(k)!r}")
    else:
        bad.append(f"{what}: report says {got!r}, expected {want!r}")


def midnight(d):
    return int(datetime.datetime.strptime(d, "%Y-%m-%d").replace(tzinfo=TZ).timestamp() * 1000)


def month(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, TZ).strftime("%Y-%m")


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    rank = math.ceil(p * len(v) / 100)
    return v[max(rank, 1) - 1]


# ---- the review ----
lo, hi = midnight(dfrom), midnight(dto)
ts = [t for t in tickets if lo <= t["created"] < hi]
check("tickets.total", review["tickets"]["total"], len(ts))
check("tickets.open", review["tickets"]["open"], sum(t["state"] in OPEN for t in ts))
check("tickets.closed", review["tickets"]["closed"], sum(t["state"] == 6 for t in ts))
check("tickets.cancelled", review["tickets"]["cancelled"], sum(t["state"] == 7 for t in ts))
check("by_kind", review["by_kind"], dict(collections.Counter(KINDS[t["kind"]] for t in ts)))
check("by_category", review["by_category"], dict(collections.Counter(t["category"] or "(none)" for t in ts)))
check("by_building", review["by_building"], dict(collections.Counter(t["building"] or "(none)" for t in ts)))
months = collections.Counter(month(t["created"]) for t in ts)
check("by_month", {m["month"]: m["tickets"] for m in review["by_month"] if m["tickets"]}, dict(months))

for name, field in (("acknowledge", "ack"), ("arrive", "arrived"), ("resolve", "resolved")):
    d = []
    for t in ts:
        start = max(t["consent"], t["created"])
        if t[field] and t[field] >= start:
            d.append(t[field] - start)
    got = review["times"][name]
    check(f"times.{name}.n", got["n"], len(d))
    check(f"times.{name}.median_ms", got["median_ms"], pct(d, 50))
    check(f"times.{name}.p90_ms", got["p90_ms"], pct(d, 90))

# a deadline counts once it was missed (Ticket.missed) or its milestone was reached
DL = (("acknowledge", 1, "ack_by", "ack"), ("arrive", 2, "arrive_by", "arrived"),
      ("resolve", 4, "resolve_by", "resolved"), ("follow-up", 8, "follow_by", "followed"))
per_month = collections.defaultdict(lambda: [0, 0])
for t in ts:
    decided = missed = False
    for name, bit, by, done in DL:
        if t["missed"] & bit:
            decided = missed = True
        elif t[by] and t[done]:
            decided = True
    if decided:
        per_month[month(t["created"])][0] += 1
        per_month[month(t["created"])][1] += not missed
for name, bit, by, done in DL:
    dec = sum(1 for t in ts if (t["missed"] & bit) or (t[by] and t[done]))
    met = sum(1 for t in ts if not (t["missed"] & bit) and t[by] and t[done])
    check(f"deadline_compliance.{name}.decided", review["deadline_compliance"][name]["decided"], dec)
    check(f"deadline_compliance.{name}.met", review["deadline_compliance"][name]["met"], met)
check("by_month deadlines", {m["month"]: [m["with_deadline"], m["deadlines_met"]] for m in review["by_month"]
                             if m["with_deadline"]}, {k: v for k, v in per_month.items()})

# satisfaction: every follow-up recorded in the period
sat = collections.Counter(e["sat"] for e in events if e["type"] == EV_FOLLOWED_UP and lo <= e["time"] < hi)
check("satisfaction.distribution", review["satisfaction"]["distribution"], {str(i): sat.get(i, 0) for i in range(1, 6)})
complaints = [t for t in ts if t["kind"] == 2]
check("complaints.n", review["complaints"]["n"], len(complaints))
check("complaints.by_cause", review["complaints"]["by_cause"],
      dict(collections.Counter(t["cause"] or "(not yet recorded)" for t in complaints)))
check("complaints.list", sorted((c["ticket"], c["cause"], c["state"]) for c in review["complaints"]["list"]),
      sorted((t["t"], t["cause"], STATES[t["state"]]) for t in complaints))
check("reopen.resolved", review["reopen"]["resolved"], sum(1 for t in ts if t["resolved"]))
check("reopen.reopened", review["reopen"]["reopened"], sum(1 for t in ts if t["reopen"]))
check("reopen.reopens", review["reopen"]["reopens"], sum(t["reopen"] for t in ts))
paid = [t for t in ts if t["kind"] == 3 and t["fee"] > 0]
check("paid.count", review["paid_services"]["count"], len(paid))
check("paid.consented", review["paid_services"]["consented"], sum(1 for t in paid if t["consent"]))
check("paid.quoted", review["paid_services"]["quoted_cents"], sum(t["fee"] for t in paid))
check("paid.charged", review["paid_services"]["charged_cents"], sum(t["charged"] for t in paid))
check("vendors.tickets", review["vendors"]["tickets"], dict(collections.Counter(t["vendor"] for t in ts if t["vendor"])))
check("vendors.incidents", sorted((i["vendor"], i["ticket"], i["review"]) for i in review["vendors"]["incidents"]),
      sorted((t["vendor"], t["t"], t["review"]) for t in ts if t["incident"]))
pairs = collections.defaultdict(list)
for t in ts:
    pairs[(t["unit"], t["category"] or KINDS[t["kind"]])].append(t["t"])
check("repeat_problems", sorted((p["unit"], p["category"], p["count"]) for p in review["repeat_problems"]),
      sorted((u, c, len(v)) for (u, c), v in pairs.items() if len(v) >= 3))

# ---- figures per group: the whole period, each month, crew and member ----
def figures(group, follow_ups):
    """What review_group_json must show for these tickets and follow-up events."""
    f = dict(tickets=len(group), open=sum(t["state"] in OPEN for t in group),
             closed=sum(t["state"] == 6 for t in group), cancelled=sum(t["state"] == 7 for t in group),
             resolved=sum(1 for t in group if t["resolved"]), reopened=sum(1 for t in group if t["reopen"]),
             complaints=sum(t["kind"] == 2 for t in group))
    times = {}
    for name, field in (("acknowledge", "ack"), ("arrive", "arrived"), ("resolve", "resolved")):
        d = [t[field] - max(t["consent"], t["created"]) for t in group
             if t[field] and t[field] >= max(t["consent"], t["created"])]
        times[name] = dict(n=len(d), median_ms=pct(d, 50), p90_ms=pct(d, 90))
    f["times"] = times
    dl = {}
    for name, bit, by, done in DL:
        dec = sum(1 for t in group if (t["missed"] & bit) or (t[by] and t[done]))
        met = sum(1 for t in group if not (t["missed"] & bit) and t[by] and t[done])
        dl[name] = dict(decided=dec, met=met, rate=met / dec if dec else 0.0)
    dec = met = 0
    for t in group:
        decided = any((t["missed"] & bit) or (t[by] and t[done]) for _, bit, by, done in DL)
        dec += decided
        met += decided and not t["missed"]
    dl["every"] = dict(decided=dec, met=met, rate=met / dec if dec else 0.0)
    f["deadline_compliance"] = dl
    n = len(follow_ups)
    f["satisfaction"] = dict(n=n, average=sum(e["sat"] for e in follow_ups) / n if n else None)
    f["paid_charged_cents"] = sum(t["charged"] for t in group if t["kind"] == 3 and t["fee"] > 0 and t["charged"] > 0)
    return f


def close(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(a - b) < 1e-9
    return a == b


def check_close(what, got, want):
    if not close(got, want):
        if isinstance(got, dict) and isinstance(want, dict):
            for k in sorted(set(got) | set(want)):
                if not close(got.get(k), want.get(k)):
                    bad.append(f"{what}[{k}]: report says {got.get(k)!r}, expected {want.get(k)!r}")
        else:
            bad.append(f"{what}: report says {got!r}, expected {want!r}")


fus = [e for e in events if e["type"] == EV_FOLLOWED_UP and lo <= e["time"] < hi and 1 <= e["sat"] <= 5]
crews = sorted({t["crew"] or "(none)" for t in ts} | {e["crew"] or "(none)" for e in fus})
got_crews = {c["crew"]: c for c in review["by_crew"]}
check("by_crew crews", sorted(got_crews), crews)
for c in crews:
    if c not in got_crews:
        continue
    got = dict(got_crews[c])
    got.pop("crew")
    members = {m.pop("member"): m for m in got.pop("members")}
    check_close(f"by_crew[{c}]", got, figures([t for t in ts if (t["crew"] or "(none)") == c],
                                              [e for e in fus if (e["crew"] or "(none)") == c]))
    want_members = sorted({t["member"] for t in ts if (t["crew"] or "(none)") == c} |
                          {e["tmember"] for e in fus if (e["crew"] or "(none)") == c})
    check(f"by_crew[{c}] members", sorted(members), want_members)
    for m in want_members:
        if m in members:
            check_close(f"by_crew[{c}][{m or '(queue)'}]", members[m],
                        figures([t for t in ts if (t["crew"] or "(none)") == c and t["member"] == m],
                                [e for e in fus if (e["crew"] or "(none)") == c and e["tmember"] == m]))
for m in review["by_month"]:
    check_close(f"by_month[{m['month']}] figures", m["figures"],
                figures([t for t in ts if month(t["created"]) == m["month"]],
                        [e for e in fus if month(e["time"]) == m["month"]]))
    check(f"by_month[{m['month']}] resolve", (m["resolve_decided"], m["resolve_met"]),
          (m["figures"]["deadline_compliance"]["resolve"]["decided"],
           m["figures"]["deadline_compliance"]["resolve"]["met"]))
whole = figures(ts, fus)
rbd = review["resolved_by_deadline"]
check("resolved_by_deadline", (rbd["decided"], rbd["met"]),
      (whole["deadline_compliance"]["resolve"]["decided"], whole["deadline_compliance"]["resolve"]["met"]))


# ---- the comparison with the period of the same length just before ----
def local(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, TZ)


def prev_from(a, b):
    """Whole months back when both ends are the first of a month, else as many days back."""
    da, db = local(a), local(b)
    if da.day == 1 and db.day == 1:
        months = (db.year - da.year) * 12 + db.month - da.month
        y, mo = divmod(da.year * 12 + da.month - 1 - months, 12)
        d = datetime.datetime(y, mo + 1, 1)
    else:
        d = datetime.datetime(da.year, da.month, da.day) - datetime.timedelta(days=round((b - a) / 86400000))
    return int(d.replace(tzinfo=TZ).timestamp() * 1000)


def headline(a, b):
    g = [t for t in tickets if a <= t["created"] < b]
    f = figures(g, [e for e in events if e["type"] == EV_FOLLOWED_UP and a <= e["time"] < b and 1 <= e["sat"] <= 5])
    dl = f["deadline_compliance"]
    return dict(tickets=f["tickets"], acknowledge_median=f["times"]["acknowledge"]["median_ms"],
                arrive_median=f["times"]["arrive"]["median_ms"], resolve_median=f["times"]["resolve"]["median_ms"],
                resolved_by_deadline=dl["resolve"]["rate"] if dl["resolve"]["decided"] else None,
                every_deadline_met=dl["every"]["rate"] if dl["every"]["decided"] else None,
                satisfaction=f["satisfaction"]["average"], complaints=f["complaints"],
                reopen_rate=f["reopened"] / f["resolved"] if f["resolved"] else None,
                paid_charged=f["paid_charged_cents"])


plo = prev_from(lo, hi)
cmp_ = review["comparison"]
check("comparison.from", cmp_["from"], local(plo).strftime("%Y-%m-%d"))
check("comparison.to", cmp_["to"], dfrom)
now, before = headline(lo, hi), headline(plo, lo)
got = {x["figure"]: x for x in cmp_["figures"]}
check("comparison figures", list(got), list(now))
for k in now:
    if k not in got:
        continue
    change = None
    if now[k] is not None and before[k] is not None:
        change = now[k] - before[k]
    check_close(f"comparison.{k}", {x: got[k][x] for x in ("current", "previous", "change")},
                dict(current=now[k], previous=before[k], change=change))

# ---- the wide CSV: one row per month, crew and member, with the same figures ----
if len(sys.argv) > 7:
    import csv
    rows = list(csv.DictReader(open(sys.argv[7], newline="")))

    def approx(what, cell, want, places):
        if want is None:
            if cell != "":
                bad.append(f"wide {what}: {cell!r}, expected an empty cell")
        elif cell == "" or abs(float(cell) - want) > 0.5 * 10 ** -places + 1e-9:
            bad.append(f"wide {what}: {cell!r}, expected {want:.{places}f}")

    def wide(what, row, f):
        for k in ("tickets", "open", "closed", "cancelled", "resolved", "reopened", "complaints"):
            check(f"wide {what} {k}", int(row[k]), f[k])
        for name in ("acknowledge", "arrive", "resolve"):
            med = f["times"][name]["median_ms"]
            approx(f"{what} {name}_median_min", row[f"{name}_median_min"], None if med is None else med / 60000, 2)
        for name, col in (("acknowledge", "acknowledge"), ("arrive", "arrive"), ("resolve", "resolve"),
                          ("follow-up", "follow_up"), ("every", "every_deadline")):
            d = f["deadline_compliance"][name]
            check(f"wide {what} {col}", (int(row[col + "_decided"]), int(row[col + "_met"])), (d["decided"], d["met"]))
            approx(f"{what} {col}_met_pct", row[col + "_met_pct"], 100 * d["rate"] if d["decided"] else None, 1)
        check(f"wide {what} follow_ups", int(row["follow_ups"]), f["satisfaction"]["n"])
        approx(f"{what} satisfaction_avg", row["satisfaction_avg"], f["satisfaction"]["average"], 2)
        approx(f"{what} paid_charged", row["paid_charged"], f["paid_charged_cents"] / 100, 2)

    by = collections.defaultdict(list)
    for r in rows:
        by[r["row"]].append(r)
    check("wide row kinds", sorted(by), ["crew", "member", "month", "total"])
    check("wide totals", len(by["total"]), 1)
    wide("total", by["total"][0], whole)
    want_months = sorted({month(t["created"]) for t in ts} | {month(e["time"]) for e in fus})
    got_months = [r["month"] for r in by["month"]]
    check("wide months (one row each)", [m for m in got_months if any(
        int(r["tickets"]) or int(r["follow_ups"]) for r in by["month"] if r["month"] == m)], want_months)
    check("wide months unique", len(got_months), len(set(got_months)))
    for r in by["month"]:
        wide(f"month {r['month']}", r, figures([t for t in ts if month(t["created"]) == r["month"]],
                                                 [e for e in fus if month(e["time"]) == r["month"]]))
    check("wide crews (one row each)", [r["crew"] for r in by["crew"]], crews)
    for r in by["crew"]:
        wide(f"crew {r['crew']}", r, figures([t for t in ts if (t["crew"] or "(none)") == r["crew"]],
                                             [e for e in fus if (e["crew"] or "(none)") == r["crew"]]))
    for r in by["member"]:
        wide(f"member {r['crew']}/{r['member']}", r,
             figures([t for t in ts if (t["crew"] or "(none)") == r["crew"] and t["member"] == r["member"]],
                     [e for e in fus if (e["crew"] or "(none)") == r["crew"] and e["tmember"] == r["member"]]))
    check("wide members", sorted((r["crew"], r["member"]) for r in by["member"]),
          sorted({((t["crew"] or "(none)"), t["member"]) for t in ts} |
                 {((e["crew"] or "(none)"), e["tmember"]) for e in fus}))

# ---- the daily report ----
d0 = midnight(date)
d1 = int((datetime.datetime.fromtimestamp(d0 / 1000, TZ) + datetime.timedelta(days=1)).replace(
    hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)
rows = collections.defaultdict(lambda: collections.Counter())
last = {}
today = set()
for e in sorted(events, key=lambda e: e["e"]):
    if e["time"] < d1:
        last[e["ticket"]] = e
    if d0 <= e["time"] < d1:
        today.add(e["ticket"])
        if e["type"] == EV_ASSIGNED:
            rows[(e["crew"], e["member"])]["dispatched"] += 1
        elif e["type"] == EV_RESOLVED:
            rows[(e["crew"], e["member"])]["resolved"] += 1
        elif e["type"] == EV_ESCALATED:
            rows[(e["crew"], e["held"])]["escalations"] += 1
        elif e["type"] == EV_FOLLOWED_UP:
            rows[(e["crew"], e["tmember"])]["follow_ups"] += 1
            rows[(e["crew"], e["tmember"])]["sat_sum"] += e["sat"]
for tid, e in last.items():
    key = (e["crew"], e["tmember"])
    if d0 <= e["created"] < d1:
        rows[key]["received"] += 1
    if e["state"] in OPEN:
        rows[key]["open"] += 1
        if e["missed"] or (e["ack_by"] and not e["ack"] and e["ack_by"] < d1) or \
                (e["arrive_by"] and not e["arrived"] and e["arrive_by"] < d1) or \
                (e["resolve_by"] and not e["resolved"] and e["resolve_by"] < d1):
            rows[key]["overdue"] += 1
FIELDS = ("received", "dispatched", "resolved", "open", "overdue", "escalations", "follow_ups")
want = {f"{c}/{m}": {f: rows[(c, m)][f] for f in FIELDS} for (c, m) in rows if any(rows[(c, m)][f] for f in FIELDS)}
got = {}
for c in daily["crews"]:
    for m in c["members"]:
        got[f"{c['crew']}/{m['member']}"] = {f: m[f] for f in FIELDS}
check("daily rows", got, want)
check("daily totals", {f: daily["totals"][f] for f in FIELDS},
      {f: sum(r[f] for r in rows.values()) for f in FIELDS})
fu = [e for e in events if e["type"] == EV_FOLLOWED_UP and d0 <= e["time"] < d1]
avg = sum(e["sat"] for e in fu) / len(fu) if fu else None
got_avg = daily["totals"]["satisfaction_avg"]
if (avg is None) != (got_avg is None) or (avg is not None and abs(avg - got_avg) > 1e-9):
    bad.append(f"daily satisfaction_avg: report says {got_avg}, expected {avg}")
check("daily remarks", sorted(r["ticket"] for r in daily["remarks"]), sorted(e["ticket"] for e in fu))
check("daily complaints", sorted(c["ticket"] for c in daily["complaints"]),
      sorted(t for t in today if last[t]["kind"] == 2))
check("daily escalations", len(daily["escalations"]),
      sum(1 for e in events if e["type"] == EV_ESCALATED and d0 <= e["time"] < d1))

for b in bad:
    print(b)
print(f"{len(bad)} difference(s); review of {len(ts)} tickets, daily report of {date} "
      f"({sum(want[k]['dispatched'] for k in want)} dispatched, {len(fu)} follow-ups)")
sys.exit(1 if bad else 0)
