#!/usr/bin/env bash
# reliability.sh: nothing acknowledged is ever lost (issue 5). SIGKILL at
# random moments under concurrent writers; a full store; map growth; the
# idempotency window. dispatchd --verify checks the store after each.
. "$(dirname "$0")/lib.sh"

KILL_ROUNDS=${KILL_ROUNDS:-8}
WRITERS=4

# acked FILES...: the ticket ids the daemon acknowledged, sorted.
acked() { cat "$@" 2>/dev/null | sed -n 's/^ticket \([0-9]*\) submitted.*/\1/p' | sort -n; }

verify_store() {
	run "$B/dispatchd" --verify --state-dir "$STATE"
	[ "$RC" = 0 ] || fail "--verify found problems: $OUT $ERR"
}

test_sigkill_loses_nothing() {
	local w pids=() round ids n missing=0 i
	fresh_store
	start_daemon --clock-at 2026-11-30T10:00:00 || return 1
	rm -f "$TMP"/kill.writer.* "$TMP/stop"
	for w in $(seq 1 $WRITERS); do
		(i=0
		 while [ ! -e "$TMP/stop" ] && [ $i -lt 2000 ]; do
			i=$((i + 1))
			desk submit --unit "K$w-$i" --kind inquiry --text "kill test $w/$i" || echo "FAILED $w/$i"
		 done) >"$TMP/kill.writer.$w" 2>&1 &
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
	ids=$(acked "$TMP"/kill.writer.*)
	n=$(printf '%s\n' "$ids" | grep -c .)
	echo "# $KILL_ROUNDS kill rounds, $n tickets acknowledged"
	[ "$n" -gt 0 ] || fail "no ticket was acknowledged" || return 1
	# every acknowledged ticket is there, with its history
	for i in $ids; do
		desk show "$i" 2>/dev/null | grep -q ' submitted ' || { missing=$((missing + 1)); echo "# lost ticket $i"; }
	done
	echo "# tickets lost: $missing"
	[ "$missing" = 0 ] || fail "$missing acknowledged ticket(s) lost" || return 1
	# a retry never made a second ticket: as many tickets as acknowledgements
	[ "$(printf '%s\n' "$ids" | sort -u | grep -c .)" = "$n" ] || fail "an id was acknowledged twice" || return 1
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

t "SIGKILL at random moments under $WRITERS writers: no acknowledged ticket lost, --verify clean" \
	test_sigkill_loses_nothing
t "the LMDB map grows when full and the batch is applied again" test_map_grows_when_full
t "a full store: a clear 'storage full' error, reads go on, nothing half-written" \
	test_storage_full_is_clear_and_harmless
t "stored replies expire after the idempotency window" test_stored_replies_expire
finish
