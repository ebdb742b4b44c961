#!/usr/bin/env bash
# hq_bench.sh: the many-estates benchmark (issue 18); measures, asserts
# nothing. A 3-server JetStream cluster on loopback (ports 18271-18293),
# replicated 3 ways as in production, and in the same run:
#   1. one shipper catching up a backlog (gen-year: a 3,000-unit estate's
#      years; 1 million events, --quick about 70,000) beside nats.c's own
#      raw asynchronous JetStream publish rate, same cluster, same size;
#   2. head office's consumer catching up the same backlog into its copy;
#   3. lag from the estate's commit to head office's copy, p50/p99, with a
#      real dispatchd fed by parallel desks (the rate reached is printed:
#      on this 2-core machine the desks, not the shipping, set it);
#   4. head office's company-wide review over N estates' copies (copies
#      of the one generated estate, each its own store), time and memory.
# Usage: hq_bench.sh [--quick] (BUILD=dir for the programs).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
QUICK=0
[ "${1:-}" = --quick ] && QUICK=1
export TZ=Asia/Hong_Kong
W=$(mktemp -d "${TMPDIR:-/tmp}/hq-bench.XXXXXX")
NATS=$W/nats
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	wait 2>/dev/null
	"$ROOT/scripts/hq-cluster.sh" stop "$NATS" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
# arithmetic without bc (not on every machine)
calc() { python3 -c "print($1)"; }
command -v nats-server >/dev/null || { echo "hq bench: nats-server is not installed; skipped"; exit 0; }

if [ $QUICK = 1 ]; then TICKETS=10000 COPIES=4 LAGSECS=8; else TICKETS=146000 COPIES=20 LAGSECS=20; fi
echo "== many estates (issue 18): 3 nats-server on loopback, streams of 3 replicas"
"$ROOT/scripts/hq-cluster.sh" config "$NATS" 18270 backlog raw live >/dev/null
"$ROOT/scripts/hq-cluster.sh" start "$NATS"
"$ROOT/scripts/hq-cluster.sh" wait "$NATS" 30 || { echo "hq bench: the cluster did not start"; exit 1; }
urls=$("$ROOT/scripts/hq-cluster.sh" urls "$NATS")
for who in hq hq-admin; do
	cat >"$W/$who.conf" <<EOF
servers = $urls
user = $who
password-file = $NATS/pass/$who
store = $W/store
estate = backlog Backlog Estate
estate = raw raw publish (no shipper)
estate = live Live Estate
EOF
done
"$B/dispatch-hq" --config "$W/hq-admin.conf" init >/dev/null || { echo "hq bench: init failed"; exit 1; }
for e in backlog raw live; do
	cat >"$W/ship-$e.conf" <<EOF
servers = $urls
estate = $e
user = $e
password-file = $NATS/pass/$e
state-dir = $W/estate-$e
request = ipc://$W/$e.req
events = ipc://$W/$e.ev
EOF
done

# 1. the backlog
t0=$(date +%s.%N)
"$B/gen-year" --seed 2026 --tickets $TICKETS "$W/estate-backlog" >"$W/gen.log" 2>&1 || { cat "$W/gen.log"; exit 1; }
t1=$(date +%s.%N)
N=$(mdb_stat -s events "$W/estate-backlog" | sed -n 's/ *Entries: //p')
printf "  backlog: %d events of %d tickets (gen-year, %.1f s)\n" "$N" "$TICKETS" "$(calc "$t1 - $t0")"
t0=$(date +%s.%N)
"$B/dispatch-ship" --config "$W/ship-backlog.conf" --once 2>"$W/ship.log" || { tail -3 "$W/ship.log"; exit 1; }
t1=$(date +%s.%N)
ship_s=$(calc "$t1 - $t0")
bytes=$(python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' "http://127.0.0.1:18291/jsz?accounts=true&streams=true" | python3 -c '
import json, sys
for a in json.load(sys.stdin).get("account_details", []):
    for s in a.get("stream_detail", []):
        if s["name"] == "ESTATE_backlog": print(s["state"]["bytes"] // max(1, s["state"]["messages"]))')
size=$((bytes > 120 ? bytes - 120 : 500)) # the stream's bytes per message less headers and framing, about
raw=$("$B/nats-pub" --config "$W/ship-raw.conf" --inbox _INBOX_raw --subject estate.raw.events --async \
	--count "$N" --size "$size" --window 4096 --wait 15000 2>&1 | sed -n 's/.*(\([0-9]*\) msg\/s).*/\1/p')
ship_rate=$(calc "int($N / $ship_s)")
printf "  shipper catching up:   %8d events/s (%d events in %.1f s)\n" "$ship_rate" "$N" "$ship_s"
printf "  raw async publish:     %8d msg/s    (nats.c js_PublishAsync, %d bytes, 4096 in flight)\n" "${raw:-0}" "$size"
[ -n "$raw" ] && [ "$raw" -gt 0 ] && printf "  shipper / raw:         %8.2f\n" "$(calc "$ship_rate / $raw")"

# 2. head office's consumer over the same backlog
t0=$(date +%s.%N)
"$B/dispatch-hq" --config "$W/hq.conf" consume >"$W/consume.out" 2>"$W/consume.log" &
CONS=$!
PIDS+=($CONS)
while :; do
	got=$("$B/dispatch-hq" --config "$W/hq.conf" status --estate backlog | sed -n 's/.*seq \([0-9]*\).*/\1/p')
	[ "${got:-0}" -ge "$N" ] && break
	kill -0 $CONS 2>/dev/null || { echo "  consume died: $(tail -2 "$W/consume.log")"; exit 1; }
	sleep 0.2
done
t1=$(date +%s.%N)
cons_s=$(calc "$t1 - $t0")
printf "  head office consuming: %8d events/s (%d events into its copy in %.1f s)\n" "$(calc "int($N / $cons_s)")" "$N" "$cons_s"
kill -TERM $CONS
wait $CONS 2>/dev/null

# 3. lag commit -> head office's copy, with a real daemon and parallel desks
"$B/dispatchd" --state-dir "$W/estate-live" --request "ipc://$W/live.req" --events "ipc://$W/live.ev" 2>"$W/live.log" &
PIDS+=($!)
sleep 1
"$B/dispatch-ship" --config "$W/ship-live.conf" 2>"$W/ship-live.log" &
PIDS+=($!)
"$B/dispatch-hq" --config "$W/hq.conf" consume --lag-log "$W/lag.log" >/dev/null 2>>"$W/consume.log" &
CONS=$!
PIDS+=($CONS)
sleep 1
desks=()
end=$(($(date +%s) + LAGSECS))
units=(12-1A 12-2B 12-3C 12-5E 12-6F 1-2A 3-3C 5-5E)
for d in 1 2 3 4; do
	(
		i=0
		while [ "$(date +%s)" -lt $end ]; do
			DISPATCH_ENDPOINT=ipc://$W/live.req DISPATCH_EVENTS=ipc://$W/live.ev "$B/dispatch-desk" --actor bench \
				submit --unit "${units[$(((i + d) % 8))]}" --kind cleaning --text "bench $d $i" >/dev/null 2>&1
			i=$((i + 1))
		done
	) &
	desks+=($!)
done
wait "${desks[@]}"
sleep 3
kill -TERM $CONS
wait $CONS 2>/dev/null
python3 - "$W/lag.log" "$LAGSECS" <<'EOF'
import sys
lags = sorted(int(l.split()[2]) for l in open(sys.argv[1]) if l.strip())
if not lags:
    print("  lag: no events reached head office"); sys.exit(0)
p = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))]
print("  lag commit -> copy:    p50 %d ms, p99 %d ms, max %d ms over %d events (%.0f events/s reached by 4 desks)"
      % (p(0.5), p(0.99), lags[-1], len(lags), len(lags) / float(sys.argv[2])))
EOF

# 4. the company-wide review over N estates' copies
cp "$W/hq.conf" "$W/company.conf"
sed -i '/^estate = /d' "$W/company.conf"
for i in $(seq $COPIES); do
	cp -r "$W/store/backlog" "$W/store/c$i"
	echo "estate = c$i Copy $i of the backlog estate" >>"$W/company.conf"
done
python3 - "$W" "$B/dispatch-hq" <<'EOF' >"$W/time"
import resource, subprocess, sys, time
w, hq = sys.argv[1], sys.argv[2]
t0 = time.monotonic()
with open(w + "/review.json", "w") as out:
    subprocess.run([hq, "--config", w + "/company.conf", "report", "review", "--from", "2026-01-01",
                    "--to", "2027-01-01", "--format", "json"], stdout=out, check=False)
print("%.2f %d" % (time.monotonic() - t0, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
EOF
read -r secs kb <"$W/time"
printf "  company review:        %d estates of %d events each, a year: %.1f s, max RSS %d MB (%d bytes of JSON)\n" \
	"$COPIES" "$N" "$secs" $((kb / 1024)) "$(stat -c %s "$W/review.json")"
