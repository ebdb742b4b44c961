#!/usr/bin/env python3
"""report_reading.py TRUTH FROM TO REVIEW.txt REVIEW.html REVIEW.svg REVIEW.csv

The management review as a manager reads it, against what gen-year says
it generated (TRUTH): amounts as HK$ with thousands separators in the text
and the HTML (plain numbers in the CSV); months labelled YYYY-MM in the
tables and the charts; long lists (complaints, vendor incidents, repeat problems) cut to the
first ten in the body with "and N more", and given whole in the appendix;
and the headline "resolved by the deadline" equal to its chart, month by
month. Prints one line per difference; exit 0 when there is none."""
import collections
import datetime
import os
import re
import sys
from zoneinfo import ZoneInfo

TZ = ZoneInfo(os.environ.get("TZ", "Asia/Hong_Kong"))
TOP = 10
truth, dfrom, dto, txt_path, html_path, svg_path, csv_path = sys.argv[1:8]
tickets = [o for o in map(__import__("json").loads, open(truth)) if "t" in o]
txt, html, svg, csv_text = (open(p, encoding="utf-8").read() for p in (txt_path, html_path, svg_path, csv_path))
bad = []


def check(what, got, want):
    if got != want:
        bad.append(f"{what}: report says {got!r}, expected {want!r}")


def midnight(d):
    return int(datetime.datetime.strptime(d, "%Y-%m-%d").replace(tzinfo=TZ).timestamp() * 1000)


def month(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, TZ).strftime("%Y-%m")


lo, hi = midnight(dfrom), midnight(dto)
ts = [t for t in tickets if lo <= t["created"] < hi]

# ---- amounts ----
paid = [t for t in ts if t["kind"] == 3 and t["fee"] > 0]
quoted, charged = sum(t["fee"] for t in paid), sum(t["charged"] for t in paid if t["charged"] > 0)
hk = lambda cents: f"HK${cents // 100:,}.{cents % 100:02d}"
if quoted < 100000:
    bad.append(f"the fixture's paid services come to {quoted} cents: too little to show a thousands separator")
check("text: paid services", re.search(r"quoted (\S+), charged (\S+) on", txt).groups() if "quoted" in txt else None,
      (hk(quoted), hk(charged)))
check("text: headline charged", bool(re.search(r"charged for paid services +" + re.escape(hk(charged)), txt)), True)
check("html: paid services", re.search(r"quoted (\S+), charged (\S+) on", html).groups() if "quoted" in html else None,
      (hk(quoted), hk(charged)))
check("csv: charged, a plain number", re.search(r"^paid,charged,([^,]*),", csv_text, re.M).group(1),
      f"{charged // 100}.{charged % 100:02d}")

# ---- month labels ----
months = sorted({month(t["created"]) for t in ts})
body = txt.split("\nBy month", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
check("text: By month labels", [line.split()[0] for line in body], months)
for name, doc in (("html", html), ("svg", svg)):
    for chart in ("chart-volume", "chart-resolved"):
        g = re.search(r'<g id="%s".*?</g>' % chart, doc, re.S)
        labels = re.findall(r'<text class="label"[^>]*>([^<]*)</text>', g.group(0)) if g else None
        check(f"{name}: {chart} month labels", labels, months)

# ---- "resolved by the deadline": the headline and its chart, one definition ----
def resolve_rate(group):
    dec = [t for t in group if (t["missed"] & 4) or (t["resolve_by"] and t["resolved"])]
    met = [t for t in dec if not t["missed"] & 4]
    return f"{100 * len(met) / len(dec):.1f}%" if dec else "-"


card = re.search(r'id="card-resolved_by_deadline"><b>([^<]*)</b>', html)
check("html: the headline card", card.group(1) if card else None, resolve_rate(ts))
check("text: the headline", bool(re.search(r"resolved by the deadline +" + re.escape(resolve_rate(ts)), txt)), True)
g = re.search(r'<g id="chart-resolved".*?</g>', html, re.S)
values = re.findall(r'<text class="value"[^>]*>([^<]*)</text>', g.group(0)) if g else None
check("html: the chart, month by month", values, [resolve_rate([t for t in ts if month(t["created"]) == m])
                                                  for m in months])
check("html: the chart is titled as the headline", bool(g and "Resolved by the deadline" in g.group(0)), True)
check("html: both definitions explained", "Resolved by the deadline: of the tickets" in html and
      "Met every deadline: of the tickets" in html, True)

# ---- long lists: the first ten in the body, all in the appendix ----
complaints = [t for t in ts if t["kind"] == 2]
pairs = collections.defaultdict(list)
for t in ts:
    pairs[(t["unit"], t["category"])].append(t["t"])
repeats = sorted(((u, c, len(v)) for (u, c), v in pairs.items() if len(v) >= 3), key=lambda x: (-x[2], x[0], x[1]))
if len(complaints) <= TOP or len(repeats) <= TOP:
    bad.append(f"the fixture has {len(complaints)} complaints and {len(repeats)} repeat problems: too few to cut")
main, _, appendix = txt.partition("\nAppendix: the full lists\n")
check("text: an appendix", bool(appendix), True)


def section(text, head):
    """The lines of the section whose first line starts with head."""
    part = text.split("\n" + head + "\n", 1)
    return part[1].split("\n\n", 1)[0].splitlines() if len(part) == 2 else []


# the body: the ten that most need attention (still open, then the lowest scores, then the newest)
is_open = lambda t: t["resolved"] == 0 and t["state"] != 7
attention = sorted(complaints, key=lambda t: (not is_open(t), t["sat"] or 6, -t["t"]))[:TOP]
lines = section(main, "Complaints: %d" % len(complaints))
listed = [int(m.group(1)) for m in (re.match(r"  #(\d+) ", x) for x in lines) if m]
check("text: complaints in the body", listed, [t["t"] for t in attention])
check("text: complaints, the rest", lines[-1] if lines else None,
      f"  ... and {len(complaints) - TOP} more (all {len(complaints)} in the appendix)")
lines = section(main, "Repeat problems (same unit and category 3 or more times): %d" % len(repeats))
check("text: repeat problems in the body", len([x for x in lines if " times: tickets " in x]), TOP)
check("text: repeat problems, the rest", lines[-1] if lines else None,
      f"  ... and {len(repeats) - TOP} more (all {len(repeats)} in the appendix)")
lines = section(appendix, "All complaints (%d), by ticket" % len(complaints))
check("text: the appendix's complaints", [int(re.match(r"  #(\d+) ", x).group(1)) for x in lines],
      sorted(t["t"] for t in complaints))
lines = section(appendix, "All repeat problems (%d)" % len(repeats))
got = [re.match(r"  (\S+) (\S+) +(\d+) times", x).groups() for x in lines]
check("text: the appendix's repeat problems", [(u, c, int(n)) for u, c, n in got], repeats)

# vendor incidents: those not reviewed yet first, then by vendor and ticket
incidents = sorted((t for t in ts if t["incident"]), key=lambda t: (t["review"] != "", t["vendor"], t["t"]))
lines = section(main, "Vendors (outsourced crews): tickets handled, incidents")
listed = [int(m.group(1)) for m in (re.match(r"  \S+ #(\d+) ", x) for x in lines) if m]
check("text: vendor incidents in the body", listed, [t["t"] for t in incidents[:TOP]])
if len(incidents) > TOP:
    check("text: vendor incidents, the rest", lines[-1],
          f"  ... and {len(incidents) - TOP} more (all {len(incidents)} in the appendix)")
    lines = section(appendix, "All vendor incidents (%d)" % len(incidents))
    check("text: the appendix's vendor incidents",
          [int(m.group(1)) for m in (re.match(r"  \S+ #(\d+) ", x) for x in lines) if m], [t["t"] for t in incidents])

hmain, _, happ = html.partition('<h2 id="appendix">')
check("html: an appendix", bool(happ), True)
check("html: complaints cut", f"... and {len(complaints) - TOP} more (all {len(complaints)} in the appendix)" in hmain,
      True)
check("html: repeat problems cut", f"... and {len(repeats) - TOP} more (all {len(repeats)} in the appendix)" in hmain,
      True)
tab = happ.split("<h3>All complaints (%d), by ticket</h3>" % len(complaints), 1)[-1].split("</table>", 1)[0]
check("html: the appendix's complaints", [int(x) for x in re.findall(r"<tr><td>(\d+)</td><td>\d{4}-", tab)],
      sorted(t["t"] for t in complaints))
tab = happ.split("<h3>All repeat problems (%d)</h3>" % len(repeats), 1)[-1].split("</table>", 1)[0]
check("html: the appendix's repeat problems", len(re.findall(r"<tr><td>", tab)), len(repeats))
# and the CSV keeps them all
check("csv: every complaint", len(re.findall(r"^complaint,", csv_text, re.M)), len(complaints))
check("csv: every repeat problem", len(re.findall(r"^repeat,", csv_text, re.M)), len(repeats))

for b in bad:
    print(b)
print(f"{len(bad)} difference(s); {len(ts)} tickets, {len(complaints)} complaints, {len(repeats)} repeat problems, "
      f"charged {hk(charged)}")
sys.exit(1 if bad else 0)
