#!/usr/bin/env bash
# deadlines.sh: deadlines and escalation (issue 4) through the real daemon
# and the real clients. The daemon's clock runs fast (--clock-scale) or
# jumps between starts (--clock-at), so a ten-minute deadline passes in a
# second; the escalation chain and its timings come from the sample
# estate's rules (electrical repairs: acknowledge 10 min, then 5 min per
# step: next member, supervisor, control center).
. "$(dirname "$0")/lib.sh"

# With the clock 600 times faster a handheld's ping every 20 s real is
# 3 h of daemon time: keep members online for the whole test instead.
sed 's/online_window: 90/online_window: 1000000/' "$ROOT/daemon/sample-estate.yaml" >"$TMP/fast.yaml"
CONFIG=$TMP/fast.yaml

TUESDAY_2230=2026-12-01T22:30:00 # night: only T07 is on shift in technical
TUESDAY_2130=2026-12-01T21:30:00

# submit ARGS...: TID is the new ticket's id, OUT the desk's line.
submit() {
	run desk submit "$@"
	[ "$RC" = 0 ] || fail "submit exited $RC: $ERR" || return 1
	TID=$(printf '%s\n' "$OUT" | sed -n 's/^ticket \([0-9]*\) .*/\1/p' | head -n 1)
	[ -n "$TID" ] || fail "no ticket id in: $OUT"
}

ticket_field() { desk show "$1" | awk -v k="$2" '$1 == k { print $2; exit }'; }

# wait_show ID TEXT: until `desk show ID` holds TEXT (5 s at most); OUT
# is the last show.
wait_show() {
	local i
	for i in $(seq 50); do
		run desk show "$1"
		[[ $OUT == *"$2"* ]] && return 0
		sleep 0.1
	done
	return 1
}

# The customer's own story: at night a resident of 12-1A reports the
# basement lights out over the intercom; the technician on shift does not
# acknowledge. It goes to the next technician, then the supervisor, then
# the control center's duty operator, each within its deadline, and the
# ticket's history shows the whole path.
test_night_escalation_story() {
	fresh_store
	start_daemon --clock-at "$TUESDAY_2230" --clock-scale 600 || return 1
	bg "$TMP/all.json" "$B/dispatch-watch" --json
	wait_for "$TMP/all.json.err" '^dispatch-watch: subscribed to ' "$READY_TIMEOUT" ||
		fail "watch never said it was subscribed: $(cat "$TMP/all.json.err")" || return 1
	follow T07 || return 1
	local t07=$FOLLOW
	# T12 (an electrician too) covers the night on call: on duty off the calendar, handheld on
	run crew --member T12 duty on
	[ "$RC" = 0 ] || fail "T12 duty on exited $RC: $ERR" || return 1
	follow T12 || return 1
	local t12=$FOLLOW
	follow T01 || return 1
	submit --unit 12-1A --kind repair --category lighting --source intercom \
		--text "basement lights out before tomorrow's open day" || return 1
	# (from the submit's own answer: at this clock speed a later look may
	# already find it moved on)
	[[ $OUT == *"-> technical/T07 "* ]] || fail "ticket did not go to T07: $OUT" || return 1
	wait_for "$t07" "ticket $TID" 5 || fail "T07's handheld never showed ticket $TID" || return 1
	# nobody acknowledges: 10 min (1 s) to T12, 5 min each to T01, then the control center
	wait_for "$TMP/all.json" "\"ticket_id\":$TID,.*\"member\":\"control-center\"" 20 ||
		fail "no escalation reached the control center: $(desk show "$TID")" || return 1
	wait_for "$t12" "ticket $TID" 5 || fail "T12's handheld never showed ticket $TID: $(cat "$t12")" || return 1
	run desk show "$TID"
	local path
	path=$(printf '%s\n' "$OUT" | grep -o 'moved to the next member, T12\|moved to the supervisor of technical, T01\|the control center must page someone' | tr '\n' '|')
	[ "$path" = "moved to the next member, T12|moved to the supervisor of technical, T01|the control center must page someone|" ] ||
		fail "history does not show T07 -> T12 -> T01 -> control center in order: $OUT" || return 1
	[ "$(ticket_field "$TID" member)" = T01 ] || fail "the supervisor does not hold it: $OUT" || return 1
	# the escalations are events in the log, each naming the deadline
	[ "$(grep "\"ticket_id\":$TID," "$TMP/all.json" | grep '"type":"escalated"' | grep -c 'did not acknowledge')" = 3 ] ||
		fail "expected 3 acknowledge escalations in the stream: $(grep "\"ticket_id\":$TID" "$TMP/all.json")" || return 1
}

# Each step takes its own deadline: acknowledging stops the chain.
test_acknowledge_stops_the_chain() {
	fresh_store
	start_daemon --clock-at "$TUESDAY_2230" --clock-scale 60 || return 1
	follow T07 || return 1
	run crew --member T12 duty on
	follow T12 || return 1
	submit --unit 12-1A --kind repair --category lighting --text "stairwell light flickers" || return 1
	# T12 gets it after 10 minutes (10 s; slow enough for a loaded
	# sanitizer build to see it there before the next 5 minutes pass) ...
	local i
	for i in $(seq 200); do
		[ "$(ticket_field "$TID" member)" = T12 ] && break
		sleep 0.1
	done
	[ "$(ticket_field "$TID" member)" = T12 ] || fail "never moved to T12: $(desk show "$TID")" || return 1
	# ... and accepts in time: nothing moves any more
	run crew --member T12 accept "$TID"
	[ "$RC" = 0 ] || fail "T12 accept exited $RC: $ERR $OUT" || return 1
	sleep 6 # 6 min of daemon time: past the next step's 5 min
	run desk show "$TID"
	[[ $OUT != *"supervisor of technical"* ]] || fail "escalated after the acknowledgement: $OUT" || return 1
	[[ $OUT == "ticket $TID: repair, accepted"* ]] || fail "not accepted: $OUT" || return 1
}

# A deadline that passed while the daemon was down fires at start.
test_deadline_passed_while_down_fires_at_start() {
	fresh_store
	start_daemon --clock-at 2026-11-30T10:00:00 || return 1
	follow T07 || return 1
	submit --unit 12-1A --kind repair --category lighting --text "lobby light out" || return 1
	[ "$(ticket_field "$TID" member)" = T07 ] || fail "went to $(ticket_field "$TID" member)" || return 1
	stop_background
	# 20 minutes later the daemon starts again: the acknowledge deadline
	# (10 min) has passed, and the chain moves at once
	start_daemon --clock-at 2026-11-30T10:20:00 || return 1
	wait_show "$TID" "T07 did not acknowledge in 10 min" || fail "no escalation after the restart: $OUT" || return 1
}

# The resolve deadline alerts the supervisor; a follow-up not made in time
# goes to the desk supervisor (K01).
test_missed_resolve_and_follow_up_are_escalated() {
	fresh_store
	start_daemon --clock-at 2026-11-30T10:00:00 || return 1
	follow T07 || return 1
	submit --unit 12-1A --kind repair --category lighting --text "car park light out" || return 1
	run crew --member T07 accept "$TID"
	run crew --member T07 arrive "$TID"
	[ "$RC" = 0 ] || fail "arrive exited $RC: $ERR" || return 1
	stop_background
	# 5 hours later: past the 4 h resolve deadline
	start_daemon --clock-at 2026-11-30T15:00:00 || return 1
	wait_show "$TID" "past its resolution deadline" || fail "no resolve alert: $OUT" || return 1
	follow T07 || return 1
	run crew --member T07 resolve "$TID" --note "replaced the fitting"
	[ "$RC" = 0 ] || fail "resolve exited $RC: $ERR" || return 1
	stop_background
	# two days later nobody has called the resident back (24 h deadline)
	start_daemon --clock-at 2026-12-02T15:30:00 || return 1
	bg "$TMP/k01.json" "$B/dispatch-watch" --json --from-seq 1 --member K01
	wait_show "$TID" "past its follow-up call deadline" || fail "no follow-up alert: $OUT" || return 1
	wait_for "$TMP/k01.json" "\"ticket_id\":$TID,.*follow-up" 10 ||
		fail "the desk supervisor K01 was not told: $(cat "$TMP/k01.json")" || return 1
	# it fires once, not again at every start
	stop_background
	start_daemon --clock-at 2026-12-03T15:30:00 || return 1
	sleep 0.5
	[ "$(desk show "$TID" | grep -c 'past its follow-up call deadline')" = 1 ] ||
		fail "the follow-up alert fired more than once: $(desk show "$TID")" || return 1
}

# Issue 21: the same night, but nobody can take it: no technician's
# handheld is on and the supervisor is off shift. The ticket waits in the
# queue, the supervisor is told at once, and on the acknowledge deadline
# it climbs the rest of the chain to the control center (topic
# "control."), which the daily report names as the target.
test_queued_ticket_climbs_to_control_center() {
	fresh_store
	start_daemon --clock-at "$TUESDAY_2130" --clock-scale 600 || return 1
	bg "$TMP/all.json" "$B/dispatch-watch" --json --from-seq 1
	submit --unit 12-1A --kind repair --category lighting --source intercom \
		--text "basement lights out before tomorrow's open day" || return 1
	[[ $OUT == *"queued for technical"* ]] || fail "expected it queued: $OUT" || return 1
	wait_for "$TMP/all.json" "\"type\":\"escalated\",.*\"ticket_id\":$TID,.*\"member\":\"control-center\"" 20 ||
		fail "the queued ticket never reached the control center: $(desk show "$TID")" || return 1
	run desk show "$TID"
	[[ $OUT == *"the control center must page someone"* ]] || fail "history does not show it: $OUT" || return 1
	run "$B/dispatchd" --config "$CONFIG" --state-dir "$STATE" report daily --date 2026-12-01
	[ "$RC" = 0 ] || fail "report daily exited $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | grep -Eq "#$TID 12-1A +technical/- -> T01 " ||
		fail "the report does not name the supervisor as the first target: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -Eq "#$TID 12-1A +technical/- -> control-center " ||
		fail "the report does not name the control center: $OUT" || return 1
}

t "the night story: T07 -> T12 -> supervisor -> control center, history shows the path" test_night_escalation_story
t "acknowledging stops the escalation chain" test_acknowledge_stops_the_chain
t "a deadline that passed while the daemon was down fires at start" test_deadline_passed_while_down_fires_at_start
t "missed resolve alerts the supervisor, missed follow-up the desk supervisor, once" test_missed_resolve_and_follow_up_are_escalated
t "a queued ticket nobody can take climbs the chain to the control center (issue 21)" test_queued_ticket_climbs_to_control_center
finish
