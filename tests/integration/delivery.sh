#!/usr/bin/env bash
# delivery.sh: a subscriber that stalls past its high-water mark still ends
# up with everything (issue 5, item 1). The daemon runs with a tiny
# --pub-hwm so that PUB really drops; a monitor (dispatch-watch) and a
# handheld (dispatch-crew follow) are stopped with SIGSTOP while tickets
# pour in, then resumed. The monitor must print every seq exactly once and
# in order; the handheld must list every assignment made meanwhile.
# Numbers worth a report are printed as "# ..." lines.
. "$(dirname "$0")/lib.sh"

HWM=20
# Enough, with 2 KB texts, to overrun the PUB queue and the kernel's
# socket buffer behind it; fewer than the 200 open assignments a
# handheld's fetch returns.
TICKETS=${TICKETS:-190}
TEXT_FRAME=2000 # the frame; its text stays under the 2000-byte limit
CATCH_UP_S=${CATCH_UP_S:-60}

# child_of PID: the program bg started (bg runs it under timeout(1), and
# SIGSTOP to timeout would stop only timeout).
child_of() {
	local c tries=50
	until c=$(pgrep -P "$1" | head -n 1) && [ -n "$c" ]; do
		tries=$((tries - 1))
		[ $tries -le 0 ] && return 1
		sleep 0.1
	done
	echo "$c"
}
last_seq() { desk ping 2>/dev/null | sed -n 's/.*last seq \([0-9]*\).*/\1/p'; }
# PUB drops without telling the sender, so whether a stall overflowed is
# a matter of sizes: a stopped subscriber holds at most the PUB queue
# (HWM messages) and the kernel's socket buffer (wmem_default, 208 KiB on
# Debian) plus libzmq's 8 KiB batch. Every event of these tickets carries
# the ticket and its ~1950-byte text.
EVENT_MIN=1900
overflowed() { # overflowed EVENTS: 0 if EVENTS such events cannot all fit
	local wmem
	wmem=$(cat /proc/sys/net/core/wmem_default 2>/dev/null || echo 212992)
	HELD_MAX=$(((HWM * (TEXT_FRAME + 500) + wmem + 8192) / EVENT_MIN))
	[ "$1" -gt "$HELD_MAX" ]
}

# flood_tickets KIND: TICKETS submits (one unit each) with long texts; the
# new ticket ids go to $TMP/ids.
flood_tickets() {
	run raw --flood "$TICKETS" --window 16 --flood-body submit --kind "$1" --size "$TEXT_FRAME" --timeout 5000
	[ "$(raw_field ok)" = "$TICKETS" ] || fail "could not make $TICKETS tickets: $(printf '%s\n' "$OUT" | tail -n 4) $ERR" || return 1
	printf '%s\n' "$OUT" | sed -n 's/^ticket: //p' | sort -n >"$TMP/ids"
}

test_monitor_overflow() {
	local watch=$TMP/watch.json wpid last before got
	submit --unit 6-3A --kind inquiry --text "before the stall" || return 1
	bg "$watch" "$B/dispatch-watch" --json --from-seq 1
	wpid=$(child_of "$BG") || fail "dispatch-watch did not start" || return 1
	wait_for "$watch" '"seq": *1[,}]' "$READY_TIMEOUT" || fail "watch did not start: $(cat "$watch.err")" || return 1
	wait_for "$watch.err" '^dispatch-watch: subscribed to ' "$READY_TIMEOUT" ||
		fail "watch never said it was subscribed: $(cat "$watch.err")" || return 1
	before=$(last_seq)
	kill -STOP "$wpid"
	flood_tickets 6 || { kill -CONT "$wpid"; return 1; }
	last=$(last_seq)
	sleep 1.5 # a heartbeat or two to drop as well
	kill -CONT "$wpid"
	overflowed $((last - before))
	local over=$?
	echo "# monitor: stopped while $TICKETS tickets made events $((before + 1))..$last;" \
		"it could hold at most $HELD_MAX of those $((last - before)) (--pub-hwm $HWM)"
	[ $over = 0 ] || fail "$((last - before)) events may all have fit: the test did not overflow the queue" || return 1
	wait_for "$watch" "\"seq\": *$last[,}]" "$CATCH_UP_S" ||
		fail "watch did not reach seq $last within ${CATCH_UP_S}s: $(tail -c 300 "$watch") $(cat "$watch.err")" || return 1
	python3 - "$watch" "$last" <<'EOF' >"$TMP/py.out" 2>&1 || fail "$(tail -n 1 "$TMP/py.out")" || return 1
import json, sys
seqs = [json.loads(l)["seq"] for l in open(sys.argv[1]) if l.strip()]
last = int(sys.argv[2])
seqs = [s for s in seqs if s <= last]
want = list(range(1, last + 1))
if seqs != want:
    dup = len(seqs) - len(set(seqs))
    missing = sorted(set(want) - set(seqs))[:10]
    order = next((i for i in range(1, len(seqs)) if seqs[i] <= seqs[i - 1]), None)
    sys.exit(f"seqs 1..{last} wanted; got {len(seqs)}: {dup} twice, missing {missing}, first out of order at {order}")
print(f"{len(seqs)} events, 1..{last}, each once, in order")
EOF
	echo "# monitor: $(cat "$TMP/py.out")"
	kill -TERM "$wpid"
}

test_handheld_overflow() {
	local follow=$TMP/follow.T07.out fpid missing n
	follow T07 || return 1
	fpid=$(child_of "$BG") || fail "dispatch-crew did not start" || return 1
	sleep 1.5
	kill -STOP "$fpid"
	flood_tickets 1 || { kill -CONT "$fpid"; return 1; }
	# Only T07's handheld is on: every repair is assigned to it.
	n=$(desk list --member T07 --limit 1000 2>/dev/null | grep -Ec '^[0-9]+ ')
	sleep 4 # longer than the handheld's silence limit, as on a real dead link
	kill -CONT "$fpid"
	overflowed "$TICKETS"
	local over=$?
	echo "# handheld: stopped while $TICKETS repairs were assigned to T07 ($n open);" \
		"it could hold at most $HELD_MAX of those assignments"
	[ $over = 0 ] || fail "$TICKETS assignments may all have fit: the test did not overflow the queue" || return 1
	local tries=$((CATCH_UP_S * 10))
	while :; do
		missing=$(grep -oE 'ticket [0-9]+' "$follow" | awk '{ print $2 }' | sort -nu | comm -13 - "$TMP/ids" | wc -l)
		[ "$missing" = 0 ] && break
		tries=$((tries - 1))
		[ $tries -le 0 ] && break
		sleep 0.1
	done
	local why
	why=$(sed -n 's/; fetching open assignments again$//p' "$follow" | sort | uniq -c | sed 's/^ *//' | paste -sd, -)
	echo "# handheld: listed $(($(wc -l <"$TMP/ids") - missing)) of $TICKETS assignments made while stopped;" \
		"refetched: ${why:-never}"
	[ "$missing" = 0 ] || fail "$missing assignments never listed: $(grep -E 'again|nothing' "$follow" | head -3)" || return 1
	# Stopped longer than its silence limit, it must have noticed.
	[ -n "$why" ] || fail "the handheld never fetched its assignments again"
}

setup dispatch-raw
# The stall tests need their own daemon, with a tiny queue.
stop_daemon
start_daemon --pub-hwm "$HWM" || { echo "not ok - dispatchd --pub-hwm $HWM did not start"; exit 1; }
t "a monitor stalled past the HWM gets every event once, in order" test_monitor_overflow
t "a handheld stalled past the HWM lists every assignment made meanwhile" test_handheld_overflow
finish
