#!/usr/bin/env python3
"""assets_check.py TRUTH REVIEW.json DAILY.json DATE FROM TO

Issue 19: computes, from what gen-year says it generated (TRUTH, NDJSON),
what the work cost by crew, kind, building, asset and vendor (the review:
tickets reported in [FROM, TO); the daily report: the resolutions of
DATE), and the repeat failures per asset (an asset named by 3 or more
repair tickets of the period), without any of report.c, and compares them
with the reports' JSON. Prints one line per difference; exit 0 when there
is none. Dates are local (TZ)."""
import collections
import datetime
import json
import os
import sys
from zoneinfo import ZoneInfo

TZ = ZoneInfo(os.environ.get("TZ", "Asia/Hong_Kong"))
KINDS = {1: "repair", 2: "complaint", 3: "special", 4: "security", 5: "cleaning", 6: "inquiry", 7: "suggestion"}
EV_RESOLVED = 6

truth_path, review_path, daily_path, date, dfrom, dto = sys.argv[1:7]
tickets, events = [], []
for line in open(truth_path):
    o = json.loads(line)
    (tickets if "t" in o else events).append(o)
review = json.load(open(review_path))
daily = json.load(open(daily_path))
bad = []


def midnight(d):
    return int(datetime.datetime.strptime(d, "%Y-%m-%d").replace(tzinfo=TZ).timestamp() * 1000)


def check(what, got, want):
    if got != want:
        bad.append(f"{what}: report says {got!r}, expected {want!r}")


lo, hi = midnight(dfrom), midnight(dto)
period = [t for t in tickets if lo <= t["created"] < hi]
costed = [t for t in period if t["cost"] > 0 or t["minutes"] > 0]
if not costed:
    bad.append("the fixture has no costs in the period: nothing is checked")
c = review["costs"]
check("review cost total", c["cost_cents"], sum(t["cost"] for t in costed))
check("review cost tickets", c["tickets"], len(costed))
check("review parts", c["parts_cents"], sum(t["parts_c"] for t in costed))
check("review labour", c["labour_cents"], sum(t["labour_c"] for t in costed))
check("review labour minutes", c["labour_minutes"], sum(t["minutes"] for t in costed))
check("review invoices", c["invoice_cents"], sum(t["invoice"] for t in costed))
for by, key in (("crew", lambda t: t["crew"] or "(none)"), ("kind", lambda t: KINDS[t["kind"]]),
                ("building", lambda t: t["building"] or "(none)"), ("asset", lambda t: t["asset"]),
                ("vendor", lambda t: t["vendor"])):
    want = collections.defaultdict(lambda: [0, 0])
    for t in costed:
        k = key(t)
        if k:
            want[k][0] += t["cost"]
            want[k][1] += 1
    got = {x[by]: [x["cost_cents"], x["tickets"]] for x in c["by_" + by]}
    check(f"review cost by {by}", got, dict(want))
    if by in ("asset", "crew") and not want:
        bad.append(f"the fixture has no costs by {by}: nothing is checked")
# repeat failures per asset
runs = collections.defaultdict(list)
for t in period:
    if t["asset"] and t["kind"] == 1:
        runs[t["asset"]].append(t["t"])
want = {a: sorted(ids) for a, ids in runs.items() if len(ids) >= 3}
got = {x["asset"]: [int(i) for i in x["tickets"].split()] for x in review["repeat_failures_per_asset"]}
check("repeat failures per asset", got, want)
counts = [x["count"] for x in review["repeat_failures_per_asset"]]
check("repeat failures most first", counts, sorted(counts, reverse=True))
# the daily report: what the day's resolutions added
dlo = midnight(date)
dhi = int((datetime.datetime.fromtimestamp(dlo / 1000, TZ) + datetime.timedelta(days=1)).timestamp() * 1000)
day = [e for e in events if e["type"] == EV_RESOLVED and dlo <= e["time"] < dhi and e["round"] > 0]
d = daily["costs"]
check("daily cost total", d["cost_cents"], sum(e["round"] for e in day))
check("daily resolutions with costs", d["resolutions"], len(day))
for by, key in (("crew", lambda e: e["crew"] or "(none)"), ("kind", lambda e: KINDS[e["kind"]]),
                ("building", lambda e: e["building"] or "(none)"), ("asset", lambda e: e["asset"]),
                ("vendor", lambda e: e["vendor"])):
    want = collections.defaultdict(int)
    for e in day:
        if key(e):
            want[key(e)] += e["round"]
    check(f"daily cost by {by}", {x[by]: x["cost_cents"] for x in d["by_" + by]}, dict(want))
for line in bad:
    print(line)
print(f"{len(costed)} costed tickets, HK${c['cost_cents'] / 100:,.2f}; {len(want)} daily {by} keys; "
      f"{len(got)} assets with repeat failures; {len(bad)} differences")
sys.exit(1 if bad else 0)
