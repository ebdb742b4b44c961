#!/usr/bin/env bash
# reliability.sh: nothing acknowledged is ever lost (issue 5). SIGKILL at
# random moments under concurrent writers; a full store; map growth; the
# idempotency window. dispatchd --verify checks the store after each.
. "$(dirname "$0")/lib.sh"

KILL_ROUNDS=${KILL_ROUNDS:-8}
WRITERS=4

verify_store() {
	run "$B/dispatchd" --verify --state-dir "$STATE"
	[ "$RC" = 0 ] || fail "--verify found problems: $OUT $ERR"
}

# kill_writer W: submissions K<W>-1, K<W>-2, ... until $TMP/stop, each
# with its own request id, sent again (same id, same request) until it is
# answered, as a desk whose daemon went away would. One line per request:
# "acked REQUEST_ID <desk's answer>" or "unanswered REQUEST_ID".
kill_writer() {
	local w=$1 i=0 out
	while [ ! -e "$TMP/stop" ] && [ $i -lt 2000 ]; do
		i=$((i + 1))
		for _ in 1 2 3 4 5; do
			out=$(desk submit --request-id "kill-$w-$i" --unit "K$w-$i" --kind inquiry --text "kill test $w/$i" 2>&1) &&
				break
			out=""
		done
		if [ -n "$out" ]; then echo "acked kill-$w-$i $out"; else echo "unanswered kill-$w-$i"; fi
	done
}

# stored_vs_acked WRITER_FILES...: read the whole store (the export: the
# list stops at 1000 tickets) and hold it to what was acknowledged:
# each request made at most one ticket, each acknowledged one is there
# with the id its answer gave, and no ticket came from nowhere.
stored_vs_acked() {
	run "$B/dispatchd" --state-dir "$STATE" export
	[ "$RC" = 0 ] || fail "export failed: $ERR" || return 1
	printf '%s\n' "$OUT" >"$TMP/kill.export"
	python3 - "$TMP/kill.export" "$@" <<-'EOF' >"$TMP/kill.check" 2>&1
		import collections, json, re, sys
		tickets = collections.defaultdict(set)  # unit -> ticket ids that hold it
		submitted = set()
		for line in open(sys.argv[1]):
		    if line.strip():
		        e = json.loads(line)
		        if e["ticket"]["unit"].startswith("K"):
		            tickets[e["ticket"]["unit"]].add(e["ticket_id"])
		            if e["type"] == "submitted":
		                submitted.add(e["ticket_id"])
		acked, unanswered, bad = {}, set(), []
		for f in sys.argv[2:]:
		    for line in open(f):
		        m = re.match(r"acked kill-(\d+)-(\d+) ticket (\d+) submitted: \S+ at (\S+) ", line)
		        if m:
		            acked["K%s-%s" % m.group(1, 2)] = int(m.group(3))
		            if m.group(4) != "K%s-%s" % m.group(1, 2):
		                bad.append("request kill-%s-%s answered with unit %s" % (m.group(1), m.group(2), m.group(4)))
		        elif line.startswith("unanswered "):
		            unanswered.add("K" + line.split()[1][len("kill-"):])
		        elif line.startswith("acked "):
		            bad.append("answer not understood: " + line.strip())
		stored = sum(len(v) for v in tickets.values())
		print("# %d requests acknowledged, %d unanswered; %d tickets in the store" % (len(acked), len(unanswered), stored))
		if len(set(acked.values())) != len(acked):
		    bad.append("one ticket id acknowledged for two requests")
		for unit, ids in sorted(tickets.items()):
		    if len(ids) > 1:
		        bad.append("request for %s made %d tickets: %s" % (unit, len(ids), sorted(ids)))
		    if unit not in acked and unit not in unanswered:
		        bad.append("ticket(s) %s for %s, a request never sent" % (sorted(ids), unit))
		for unit, tid in sorted(acked.items()):
		    if tickets.get(unit) != {tid} or tid not in submitted:
		        bad.append("%s acknowledged as ticket %d, the store has %s" % (unit, tid, sorted(tickets.get(unit, ()))))
		for b in bad[:5]:
		    print("# " + b)
		if bad:
		    print("# %d problem(s)" % len(bad))
		sys.exit(1 if bad or not acked else 0)
	EOF
	local rc=$?
	cat "$TMP/kill.check"
	[ $rc = 0 ] || fail "the store does not hold one ticket per acknowledged request: $(sed -n '2s/^# //p' "$TMP/kill.check")"
}

test_sigkill_loses_nothing() {
	local w pids=() round
	fresh_store
	start_daemon --clock-at 2026-11-30T10:00:00 || return 1
	rm -f "$TMP"/kill.writer.* "$TMP"/kill.again.* "$TMP/stop"
	for w in $(seq 1 $WRITERS); do
		kill_writer "$w" >"$TMP/kill.writer.$w" 2>&1 &
		pids+=($!)
	done
	for round in $(seq 1 "$KILL_ROUNDS"); do
		sleep "0.$((RANDOM % 9 + 2))"
		kill -KILL "$DAEMON_PID"
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=""
		start_daemon --clock-at 2026-11-30T10:00:00 || { touch "$TMP/stop"; fail "no restart after kill $round"; return 1; }
	done
	sleep 0.5
	touch "$TMP/stop"
	for w in "${pids[@]}"; do wait "$w"; done
	echo "# $KILL_ROUNDS kill rounds"
	# every acknowledged ticket is there, with its history; no request
	# made a second ticket, however often it was sent
	stored_vs_acked "$TMP"/kill.writer.* || return 1
	# a retry after the kills (the same request id, the same request) is
	# answered from the stored reply: the same ticket, and nothing new
	pids=()
	for w in $(seq 1 $WRITERS); do
		sed -n 's/^acked kill-\([0-9]*\)-\([0-9]*\) .*/\1 \2/p' "$TMP/kill.writer.$w" |
			while read -r ww i; do
				echo "acked kill-$ww-$i $(desk submit --request-id "kill-$ww-$i" --unit "K$ww-$i" --kind inquiry \
					--text "kill test $ww/$i" 2>&1)"
			done >"$TMP/kill.again.$w" &
		pids+=($!)
	done
	for w in "${pids[@]}"; do wait "$w"; done
	for w in $(seq 1 $WRITERS); do
		# every line of each answer (the resident's page too: the same token)
		cmp -s <(grep -v '^unanswered' "$TMP/kill.writer.$w") "$TMP/kill.again.$w" ||
			fail "a retry after the kills got another answer: $(diff <(grep -v '^unanswered' "$TMP/kill.writer.$w") \
				"$TMP/kill.again.$w" | sed -n 's/^> //p' | head -n 1)" || return 1
	done
	stored_vs_acked "$TMP"/kill.writer.* || return 1
	stop_daemon
	verify_store
}

test_map_grows_when_full() {
	local i
	fresh_store
	start_daemon --map-size 1 || return 1
	# until the map has grown (a few hundred tickets; how many depends on
	# how compactly a ticket is stored), every submission acknowledged
	for i in $(seq 1 3000); do
		desk submit --unit "M-$i" --kind inquiry --text "filling the map, report number $i" >/dev/null ||
			fail "submit $i failed: $(desk submit --unit "M-x$i" --kind inquiry --text x 2>&1)" || return 1
		[ $((i % 50)) = 0 ] && grep -q 'store map grown' "$DAEMON_LOG" && break
	done
	echo "# the map grew within $i tickets"
	grep -q 'store map grown' "$DAEMON_LOG" || fail "the map never grew (1 MiB held $i tickets?)" || return 1
	stop_daemon
	verify_store
}

test_storage_full_is_clear_and_harmless() {
	local i first_fail=""
	fresh_store
	start_daemon --map-size 1 --map-max 1 || return 1
	for i in $(seq 1 1000); do
		run desk submit --unit "F-$i" --kind inquiry --text "filling the store, report number $i"
		if [ "$RC" != 0 ]; then first_fail=$i; break; fi
	done
	[ -n "$first_fail" ] || fail "1000 tickets fitted in 1 MiB" || return 1
	[ "$RC" = 3 ] || fail "a full store gave exit $RC, expected 3" || return 1
	[[ $ERR == *"storage full"* ]] || fail "unclear error: $ERR" || return 1
	# reads still work, and nothing half-written remains
	desk show 1 >/dev/null || fail "show failed on a full store" || return 1
	desk list >/dev/null || fail "list failed on a full store" || return 1
	stop_daemon
	verify_store || return 1
	# room again: the same store takes new tickets
	start_daemon --map-size 4 || return 1
	desk submit --unit F-again --kind inquiry --text "there is room again" >/dev/null ||
		fail "no submit after the map was made larger"
}

# acked_present IDS_FILE: every ticket id in IDS_FILE is in the store, read
# whole by the export (the list stops at 1000 tickets).
acked_present() {
	run "$B/dispatchd" --state-dir "$STATE" export
	[ "$RC" = 0 ] || { fail "export failed: $ERR"; return 1; }
	printf '%s\n' "$OUT" | python3 -c '
import json, sys
stored = {json.loads(l)["ticket"]["id"] for l in sys.stdin if l.strip()}
acked = {int(l) for l in open(sys.argv[1]) if l.strip()}
missing = sorted(acked - stored)
print("# %d acknowledged, %d tickets in the store" % (len(acked), len(stored)))
if missing:
    print("# acknowledged but missing:", missing[:10], "of", len(missing))
    sys.exit(1)
' "$1" || { fail "an acknowledged ticket is missing"; return 1; }
}

# flood_full N: N pipelined submissions into a store with no room for them
# all; every refusal must be the one clear "storage full" message (issue
# 23: a batch after MDB_MAP_FULL told its other requests MDB_BAD_TXN, and
# a full disk's EIO said "Input/output error ... please retry").
flood_full() {
	local refused other
	run raw --flood "$1" --window 200 --flood-body submit --kind 6 --timeout 5000
	[ "$RC" = 0 ] || { fail "the flood did not get through: rc $RC $ERR"; return 1; }
	printf '%s\n' "$OUT" | sed -n 's/^ticket: //p' >"$TMP/acked"
	refused=$(printf '%s\n' "$OUT" | grep -c '^refused: ')
	other=$(printf '%s\n' "$OUT" | grep '^refused: ' | grep -v 'refused: storage full: ' | sort | uniq -c | sort -rn)
	echo "# $(wc -l <"$TMP/acked") stored, $refused refused"
	[ "$refused" -gt 0 ] || { fail "the store never filled"; return 1; }
	[ -z "$other" ] || { fail "refusals that are not 'storage full': $(printf '%s' "$other" | head -3)"; return 1; }
	[[ $OUT == *"replies: $1"* ]] || { fail "not every request was answered: $OUT"; return 1; }
}

test_full_map_every_refusal_says_storage_full() {
	fresh_store
	start_daemon --map-size 1 --map-max 1 || return 1
	flood_full 2000 || return 1
	desk list >/dev/null || fail "list failed on a full store" || return 1
	acked_present "$TMP/acked" || return 1
	stop_daemon
	verify_store
}

test_full_disk_every_refusal_says_storage_full() {
	local disk=$TMP/disk
	fresh_store
	mkdir -p "$disk"
	mount -t tmpfs -o size=3m dispatchd-it "$disk" 2>/dev/null ||
		{ skip "cannot mount a small tmpfs here (needs root)"; return 77; }
	# the map (64 MiB) is larger than the disk (3 MiB): the disk fills first
	local state=$STATE
	STATE=$disk/state
	start_daemon --map-size 64 || { STATE=$state; umount "$disk"; return 1; }
	flood_full 3000
	local rc=$?
	if [ $rc = 0 ]; then
		desk list >/dev/null || { fail "list failed on a full disk"; rc=1; }
	fi
	# room again: every acknowledged ticket is there, and --verify is clean
	mount -o remount,size=64m "$disk"
	if [ $rc = 0 ]; then
		acked_present "$TMP/acked" || rc=1
		desk submit --unit D-again --kind inquiry --text "there is room again" >/dev/null ||
			{ fail "no submit once the disk had room"; rc=1; }
	fi
	stop_daemon
	[ $rc = 0 ] && { verify_store || rc=1; }
	STATE=$state
	umount "$disk"
	return $rc
}

test_stored_replies_expire() {
	local cfg=$TMP/expire.yaml first second i
	sed 's/^idempotency_window: .*/idempotency_window: 10m/' "$ROOT/daemon/sample-estate.yaml" >"$cfg"
	fresh_store
	# the daemon's clock runs 1000 times faster: 10 minutes pass in 0.6 s
	CONFIG=$cfg start_daemon --clock-scale 1000 || return 1
	run "$B/dispatch-raw" --request-id expire-me
	first=$(printf '%s\n' "$OUT" | sed -n 's/^ticket: //p')
	run "$B/dispatch-raw" --request-id expire-me
	[ "$(printf '%s\n' "$OUT" | sed -n 's/^ticket: //p')" = "$first" ] || fail "a retry made a new ticket" || return 1
	# the expiry pass runs a second after start, then every 10 s (real time);
	# until it has run, the same id still gets the first answer
	for i in $(seq 1 30); do
		sleep 1
		run "$B/dispatch-raw" --request-id expire-me
		second=$(printf '%s\n' "$OUT" | sed -n 's/^ticket: //p')
		[ -n "$second" ] && [ "$second" != "$first" ] && break
	done
	[ -n "$first" ] && [ -n "$second" ] && [ "$second" != "$first" ] ||
		fail "after the window the same id still gave ticket '$second' (first '$first')"
}

t "SIGKILL at random moments under $WRITERS writers: no acknowledged ticket lost, one ticket per request however often sent, --verify clean" \
	test_sigkill_loses_nothing
t "the LMDB map grows when full and the batch is applied again" test_map_grows_when_full
t "a full store: a clear 'storage full' error, reads go on, nothing half-written" \
	test_storage_full_is_clear_and_harmless
t "a full map under a flood: every refusal says 'storage full', nothing acknowledged lost" \
	test_full_map_every_refusal_says_storage_full
t "a full disk under a flood: every refusal says 'storage full', nothing acknowledged lost" \
	test_full_disk_every_refusal_says_storage_full
t "stored replies expire after the idempotency window" test_stored_replies_expire
finish
