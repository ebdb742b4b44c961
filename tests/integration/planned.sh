#!/usr/bin/env bash
# planned.sh: issue 19's planned work, appointments and working-hours
# deadlines through the real daemon and the real clients. The daemon's
# clock is set with --clock-at (a restart moves it on), so an occurrence
# due next month or a deadline three working days away is tested in
# seconds; times are the estate's (Asia/Hong_Kong, lib.sh).
. "$(dirname "$0")/lib.sh"

sel_id() { screen "$1" | sed -n 's/^>#\([0-9]*\) .*/\1/p' | head -n 1; }

# wait_show ID TEXT: until `desk show ID` holds TEXT (5 s at most).
wait_show() {
	local i
	for i in $(seq 50); do
		run desk show "$1"
		[[ $OUT == *"$2"* ]] && return 0
		sleep 0.1
	done
	return 1
}

# submit ARGS...: TID is the new ticket's id, OUT the desk's line.
submit() {
	run desk submit "$@"
	[ "$RC" = 0 ] || fail "submit exited $RC: $ERR" || return 1
	TID=$(printf '%s\n' "$OUT" | sed -n 's/^ticket \([0-9]*\) .*/\1/p' | head -n 1)
	[ -n "$TID" ] || fail "no ticket id in: $OUT"
}

# tj ID EXPR: EXPR evaluated on ticket ID as `desk show --json` gives it
# (t: the ticket, h: the history's event types).
tj() {
	desk show "$1" --json 2>"$TMP/tj.err" | python3 -c '
import json, sys
d = json.load(sys.stdin)
t, h = d["ticket"], [e["type"] for e in d["history"]]
print(eval(sys.argv[1]))' "$2"
}

# ms LOCAL: unix ms of a local time YYYY-MM-DDTHH:MM in the estate's zone.
ms() { echo $(($(date -d "${1/T/ } +0800" +%s) * 1000)); }

# minute ID FIELD: ticket ID's FIELD (unix ms) as local YYYY-MM-DDTHH:MM
# (the daemon's clock started at --clock-at runs on: seconds are not
# the point, the minute is: to the nearest).
minute() {
	local v
	v=$(tj "$1" "t[\"$2\"]")
	[ "${v:-0}" -gt 0 ] 2>/dev/null || { echo "none"; return; }
	date -d "@$(((v + 30000) / 1000))" +%Y-%m-%dT%H:%M
}

# The sample estate's non-urgent repairs (carpentry, painting, tiling)
# count "resolve within 3 working days" in the office calendar: weekdays
# 09:00-18:00, a working day of 9 h, Hong Kong's holidays. Reported on
# Christmas Eve (Thursday) at 15:30: 2.5 h that day, Christmas (Friday)
# and the day after (Saturday) are holidays, Sunday has no hours, 9 h
# Monday and Tuesday, 6.5 h Wednesday: due Wednesday 30 December at
# 15:30. The acknowledge deadline (2 h) is 17:30. An urgent repair
# (lighting: resolve 4 h) reported at the same minute keeps the wall
# clock: 19:30 the same evening.
test_working_hours_deadline_over_weekend_and_holiday() {
	fresh_store
	start_daemon --clock-at 2026-12-24T15:30:00 || return 1
	follow T12 || return 1
	submit --unit 12-1A --kind repair --category carpentry --text "kitchen cabinet hinge broken" || return 1
	local slow=$TID
	[ "$(tj "$slow" 't["rule"]')" = non-urgent-repairs ] || fail "routed by $(tj "$slow" 't["rule"]')" || return 1
	[ "$(minute "$slow" resolve_by_ms)" = 2026-12-30T15:30 ] ||
		fail "resolve by $(minute "$slow" resolve_by_ms), expected 2026-12-30T15:30" || return 1
	[ "$(minute "$slow" acknowledge_by_ms)" = 2026-12-24T17:30 ] ||
		fail "ack by $(minute "$slow" acknowledge_by_ms), expected 2026-12-24T17:30" || return 1
	run desk show "$slow"
	[[ $OUT == *"resolve by 2026-12-30 15:30:"* && $OUT == *"working hours of calendar office"* ]] ||
		fail "desk show does not say it: $OUT" || return 1
	submit --unit 12-1A --kind repair --category lighting --text "kitchen light out" || return 1
	[ "$(minute "$TID" resolve_by_ms)" = 2026-12-24T19:30 ] ||
		fail "the urgent repair's deadline is not wall clock: $(minute "$TID" resolve_by_ms)" || return 1
	[ "$(tj "$TID" 't["calendar"]')" = "" ] || fail "the urgent repair got a calendar" || return 1

	# A hold pauses the working clock: held at once (27 working hours
	# left), resumed Monday 28 December 10:00: 8 h Monday, 9 h Tuesday, 9 h
	# Wednesday, 1 h Thursday: due Thursday 31 December 10:00.
	run desk hold "$slow" --reason parts --note "hinge on order"
	[ "$RC" = 0 ] || fail "hold exited $RC: $ERR" || return 1
	[ "$(tj "$slow" 'round(t["resolve_left_ms"] / 60000)')" = $((27 * 60)) ] ||
		fail "27 working hours should be left, not $(tj "$slow" 't["resolve_left_ms"]') ms" || return 1
	stop_background
	start_daemon --clock-at 2026-12-28T10:00:00 || return 1
	run desk resume "$slow"
	[ "$RC" = 0 ] || fail "resume exited $RC: $ERR" || return 1
	[ "$(minute "$slow" resolve_by_ms)" = 2026-12-31T10:00 ] ||
		fail "after the hold: resolve by $(minute "$slow" resolve_by_ms), expected 2026-12-31T10:00" || return 1
}

# plan_config FILE [SCHEDULES-YAML]: the sample estate with its schedules
# replaced by the given block (the block is the file's last section).
plan_config() {
	sed '/^schedules:/,$d' "$ROOT/daemon/sample-estate.yaml" >"$1"
	printf '%s\n' "${2:-}" >>"$1"
}

# planned_count [SCHEDULE]: planned tickets in the store (of SCHEDULE).
planned_count() {
	desk list --all --json | python3 -c '
import json, sys
s = sys.argv[1]
print(sum(1 for t in json.load(sys.stdin) if t["planned"] and (not s or t["schedule"] == s)))' "${1:-}"
}

# The daily check of building 12's lifts L1 and L2 and of unit 12-1A,
# at 10:00, by the technical crew, resolve within 4 h.
DAILY='schedules:
  - id: daily-check
    rrule: FREQ=DAILY
    start: 2026-12-01T10:00
    assets: [L1, L2]
    units: [12-1A]
    category: daily-check
    text: "daily check"
    crew: technical
    deadlines: { resolve: 4h }'

# A schedule's occurrence creates its tickets once at its time; an
# occurrence missed while the daemon was down is created at start, once;
# restarts create nothing again.
test_schedule_fires_exactly_once_across_restarts() {
	plan_config "$TMP/plan.yaml" "$DAILY"
	CONFIG=$TMP/plan.yaml
	fresh_store
	# first seen at 09:59:50: it counts from then; 10:00 comes a second later
	start_daemon --clock-at 2026-12-07T09:59:50 --clock-scale 10 || return 1
	follow T07 || return 1
	wait_for "$DAEMON_LOG" 'schedule daily-check: 3 planned ticket' 10 ||
		fail "the 10:00 occurrence made nothing: $(cat "$DAEMON_LOG")" || return 1
	[ "$(planned_count daily-check)" = 3 ] || fail "expected 3 planned tickets, not $(planned_count)" || return 1
	# routed and deadlined like any ticket, marked planned
	local id
	id=$(desk list --all --json | python3 -c '
import json, sys
print(min(t["id"] for t in json.load(sys.stdin) if t["asset"] == "L1"))')
	[ "$(tj "$id" 't["crew"]')" = technical ] || fail "not routed to technical: $(desk show "$id")" || return 1
	[ "$(tj "$id" 't["rule"]')" = plan:daily-check ] || fail "not under the schedule's rule" || return 1
	[ "$(tj "$id" 't["member"]')" = T07 ] || fail "not assigned to T07: $(desk show "$id")" || return 1
	[ "$(minute "$id" resolve_by_ms)" = 2026-12-07T14:00 ] ||
		fail "resolve by $(minute "$id" resolve_by_ms), expected 14:00" || return 1
	[ "$(minute "$id" planned_for_ms)" = 2026-12-07T10:00 ] || fail "planned for $(minute "$id" planned_for_ms)" || return 1
	run desk show "$id"
	[[ $OUT == *"planned    schedule daily-check, L1, for 2026-12-07 10:00"* ]] ||
		fail "desk show does not mark it planned: $OUT" || return 1
	run desk list
	printf '%s\n' "$OUT" | grep -Eq "^$id .*planned" || fail "desk list does not mark it planned: $OUT" || return 1
	stop_background
	# the same day again: nothing new
	start_daemon --clock-at 2026-12-07T11:00:00 || return 1
	sleep 0.5
	[ "$(planned_count)" = 3 ] || fail "a restart created tickets again: $(planned_count)" || return 1
	stop_background
	# down over two occurrences (8th and 9th, 10:00): both at start, once
	start_daemon --clock-at 2026-12-09T10:30:00 || return 1
	wait_for "$DAEMON_LOG" 'schedule daily-check: 3 planned ticket' 10 || fail "nothing at start" || return 1
	sleep 0.5
	[ "$(planned_count)" = 9 ] || fail "expected 9 planned tickets after the downtime, not $(planned_count)" || return 1
	[ "$(desk list --all --json | python3 -c '
import json, sys
print(len(set(t["planned_for_ms"] for t in json.load(sys.stdin) if t["planned"])))')" = 3 ] ||
		fail "not three occurrences" || return 1
	stop_background
	start_daemon --clock-at 2026-12-09T10:31:00 || return 1
	sleep 0.5
	[ "$(planned_count)" = 9 ] || fail "the second start created tickets again: $(planned_count)" || return 1
	# the daily report tells planned from reported work; the export has the marks
	submit --unit 12-3C --kind repair --category plumbing --text "tap drips" || return 1
	run "$B/dispatchd" --config "$CONFIG" --state-dir "$STATE" report daily --date 2026-12-09
	[[ $OUT == *"received: 1 reported, 6 planned"* ]] || fail "the daily report does not count planned work: $OUT" || return 1
	run "$B/dispatchd" --config "$CONFIG" --state-dir "$STATE" export
	printf '%s\n' "$OUT" | grep -q '"planned":true' && printf '%s\n' "$OUT" | grep -q '"schedule":"daily-check"' ||
		fail "the export does not mark planned tickets" || return 1
	stop_background
}

# A reload (SIGHUP) with the schedule changed creates no duplicates: a
# new target gets nothing for occurrences already done, a changed time
# counts from the reload, and the changed schedule then fires at its new
# time.
test_reload_with_changed_schedule_does_not_duplicate() {
	plan_config "$TMP/plan.yaml" "$DAILY"
	CONFIG=$TMP/plan.yaml
	fresh_store
	start_daemon --clock-at 2026-12-07T09:59:55 --clock-scale 10 || return 1
	wait_for "$DAEMON_LOG" 'schedule daily-check: 3 planned ticket' 10 || fail "no first occurrence" || return 1
	stop_background
	start_daemon --clock-at 2026-12-07T10:30:00 || return 1
	# another target, and the same rule: nothing for 10:00 again
	plan_config "$TMP/plan.yaml" "${DAILY/units: \[12-1A\]/units: [12-1A, 12-2B]}"
	kill -HUP "$DAEMON_PID"
	wait_for "$DAEMON_LOG" 'configuration reloaded' 10 || fail "no reload: $(cat "$DAEMON_LOG")" || return 1
	run desk list --all
	sleep 0.5
	[ "$(planned_count)" = 3 ] || fail "the reload with a new target duplicated: $(planned_count)" || return 1
	# moved to 10:15, which passed before the reload: not created now
	plan_config "$TMP/plan.yaml" "${DAILY/2026-12-01T10:00/2026-12-01T10:15}"
	kill -HUP "$DAEMON_PID"
	wait_for "$DAEMON_LOG" 'schedule daily-check changed' 10 || fail "the change was not noticed: $(cat "$DAEMON_LOG")" || return 1
	run desk list --all
	sleep 0.5
	[ "$(planned_count)" = 3 ] || fail "the reload with a changed time duplicated: $(planned_count)" || return 1
	stop_background
	# the next day it fires at its new time, once
	start_daemon --clock-at 2026-12-08T10:20:00 || return 1
	wait_for "$DAEMON_LOG" 'schedule daily-check: 3 planned ticket' 10 || fail "no occurrence at 10:15" || return 1
	sleep 0.5
	[ "$(planned_count)" = 6 ] || fail "expected 6 planned tickets, not $(planned_count)" || return 1
	[ "$(desk list --all --json | python3 -c '
import json, sys, time
print(max(time.strftime("%H:%M", time.localtime(t["planned_for_ms"] // 1000)) for t in json.load(sys.stdin) if t["planned"] and t["planned_for_ms"] > 1796000000000 + 86400000 * 5))')" = 10:15 ] ||
		fail "the next occurrence was not at 10:15" || return 1
	stop_background
}

# Catch-up is bounded: a daily schedule down for 60 days creates its
# latest 31 occurrences, not 60, and says so in the log.
test_catch_up_is_bounded() {
	plan_config "$TMP/plan.yaml" 'schedules:
  - id: rota
    rrule: FREQ=DAILY
    start: 2026-01-01T08:00
    units: [12-1A]
    kind: cleaning
    text: "lobby rota"'
	CONFIG=$TMP/plan.yaml
	fresh_store
	start_daemon --clock-at 2026-10-01T09:00:00 || return 1
	sleep 0.3
	stop_background
	start_daemon --clock-at 2026-11-30T09:00:00 || return 1
	wait_for "$DAEMON_LOG" 'schedule rota: 60 occurrences missed since 2026-10-01 09:00; creating the latest 31, skipping 29' 10 ||
		fail "no log line for the cap: $(grep rota "$DAEMON_LOG")" || return 1
	sleep 0.5
	[ "$(planned_count rota)" = 31 ] || fail "expected 31 tickets, not $(planned_count rota)" || return 1
	# routed by the routing rules (no crew in the schedule): cleaning
	[ "$(desk list --all --json | python3 -c '
import json, sys
print(",".join(sorted(set(t["crew"] for t in json.load(sys.stdin) if t["planned"]))))')" = cleaning ] ||
		fail "not routed by the rules to cleaning" || return 1
	stop_background
}

# check-config names each impossible schedule at its place.
test_check_config_names_bad_schedules() {
	plan_config "$TMP/bad.yaml" 'schedules:
  - { id: a, rrule: "FREQ=MONTHLY;BYDAY=1MO", start: 2026-01-05T10:00, assets: [L9] }
  - { id: b, rrule: "FREQ=MONTHLY;BYDAI=1MO", start: 2026-01-05T10:00, units: [12-1A] }
  - { id: c, rrule: "BYDAY=1MO", start: 2026-01-05T10:00, units: [12-1A] }
  - { id: d, rrule: "FREQ=DAILY;UNTIL=20250101T000000", start: 2026-01-05T10:00, units: [12-1A] }
  - { id: e, rrule: "FREQ=DAILY", start: 2026-02-30T10:00, units: [12-1A] }
  - { id: f, rrule: "FREQ=DAILY", start: 2026-01-05T10:00, asset_kinds: [escalator] }
  - { id: g, rrule: "FREQ=DAILY", start: 2026-01-05T10:00, units: [12-1A], deadlines: { resolve: 1h } }'
	local base
	base=$(grep -n '^schedules:' "$TMP/bad.yaml" | cut -d: -f1)
	run "$B/dispatchd" --check-config -c "$TMP/bad.yaml"
	[ "$RC" = 1 ] || fail "check-config exited $RC: $OUT $ERR" || return 1
	local all="$OUT$ERR"
	for want in \
		"$((base + 1)):81: no asset 'L9' in the asset register" \
		"$((base + 2)):21: 'FREQ=MONTHLY;BYDAI=1MO' is not an iCalendar RRULE" \
		"$((base + 3)):21: the rule 'BYDAY=1MO' has no FREQ" \
		"$((base + 4)):21: the rule 'FREQ=DAILY;UNTIL=20250101T000000' has no occurrence from 2026-01-05T10:00 on" \
		"$((base + 5)):42: expected the first occurrence as local YYYY-MM-DDTHH:MM" \
		"$((base + 6)):74: no asset of kind 'escalator'" \
		"$((base + 7)):87: deadlines, skill and calendar go with a crew"; do
		[[ $all == *"bad.yaml:$want"* ]] || fail "missing '$want' in: $all" || return 1
	done
}

# ---- appointments --------------------------------------------------------

# Saturday 5 December 2026: T12 (electrician) works 09:00-13:00, T07 (on
# call) always, T01 only on weekdays. A visit booked 12:00-14:00 cannot
# go to T12 (the shift ends at 13:00) nor T01; one booked 10:00-12:00 can.
test_routing_honours_the_visit_window() {
	fresh_store
	start_daemon --clock-at 2026-12-05T08:00:00 || return 1
	follow T07 || return 1
	follow T12 || return 1
	submit --unit 5-5E --kind repair --category electrical --text "socket sparks" \
		--visit 2026-12-05T12:00/14:00 || return 1
	local late=$TID
	run desk show "$late"
	[[ $OUT == *"T12: shift does not cover the visit"* && $OUT == *"T01: shift does not cover the visit"* ]] ||
		fail "the routing did not skip T12 and T01: $OUT" || return 1
	[ "$(tj "$late" 't["member"]')" = T07 ] || fail "went to $(tj "$late" 't["member"]')" || return 1
	# the arrive deadline is the window's end
	[ "$(minute "$late" arrive_by_ms)" = 2026-12-05T14:00 ] ||
		fail "arrive by $(minute "$late" arrive_by_ms), expected the window's end 14:00" || return 1
	[[ $OUT == *"visit      2026-12-05 12:00-14:00  (starts in 3h59)"* ]] || fail "show does not give the window: $OUT" || return 1
	run desk list
	printf '%s\n' "$OUT" | grep -Eq "^$late .*\[visit 12-05 12:00-14:00\] socket sparks" ||
		fail "list does not show the window: $OUT" || return 1
	submit --unit 5-6F --kind repair --category electrical --text "light flickers" \
		--visit 2026-12-05T10:00/12:00 || return 1
	run desk show "$TID"
	[[ $OUT != *"T12: shift does not cover"* ]] || fail "T12 covers 10:00-12:00: $OUT" || return 1
	[ "$(tj "$TID" 't["member"]')" = T12 ] || fail "expected T12 (fewer open), not $(tj "$TID" 't["member"]')" || return 1
	[ "$(tj "$TID" 't["visit_from"]')" != None ] || fail "no visit in --json" || return 1
}

# A visit the crew missed escalates like a missed deadline, naming it; a
# visit the crew kept does not.
test_missed_visit_escalates() {
	fresh_store
	start_daemon --clock-at 2026-12-05T08:00:00 || return 1
	follow T07 || return 1
	submit --unit 12-1A --kind repair --category electrical --text "no power in the kitchen" \
		--visit 2026-12-05T10:00/12:00 || return 1
	local missed=$TID
	submit --unit 12-2B --kind repair --category electrical --text "no power in the bathroom" \
		--visit 2026-12-05T10:00/12:00 || return 1
	local kept=$TID
	run crew --member T07 accept "$missed"
	run crew --member T07 accept "$kept"
	run crew --member T07 arrive "$kept"
	[ "$RC" = 0 ] || fail "arrive exited $RC: $ERR" || return 1
	stop_background
	# 12:05: the window has closed and nobody came to 12-1A
	start_daemon --clock-at 2026-12-05T12:05:00 || return 1
	wait_show "$missed" "missed the visit 2026-12-05 10:00-12:00" ||
		fail "the missed visit did not escalate: $OUT" || return 1
	[ "$(tj "$missed" 'any(e["type"] == "escalated" and e.get("deadline") == "arrive" and "missed the visit" in e.get("note", "") for e in d["history"])')" = True ] ||
		fail "not escalated as the arrive deadline: $(tj "$missed" '[(e["type"], e.get("deadline")) for e in d["history"]]') $(cat $TMP/tj.err)" || return 1
	run desk show "$kept"
	[[ $OUT != *"missed the visit"* ]] || fail "a kept visit escalated: $OUT" || return 1
	run "$B/dispatchd" --config "$CONFIG" --state-dir "$STATE" report daily --date 2026-12-05
	[[ $OUT == *"visits booked with residents: 2, missed by the crew: 1"* ]] ||
		fail "the daily report does not count the missed visit: $OUT" || return 1
}

# Bad windows are refused with a clear error and change nothing; a good
# one is booked; a resident away proposes a new window with the hold.
test_bad_visit_windows_are_refused() {
	fresh_store
	start_daemon --clock-at 2026-12-05T08:00:00 || return 1
	follow T07 || return 1
	run desk submit --unit 12-1A --kind repair --category electrical --text x --visit 2026-12-05T14:00/13:00
	[ "$RC" = 1 ] && [[ $ERR == *"ends before it starts"* ]] || fail "backwards window: $RC $ERR" || return 1
	run desk submit --unit 12-1A --kind repair --category electrical --text x --visit 2026-12-04T10:00/12:00
	[ "$RC" = 1 ] && [[ $ERR == *"in the past"* ]] || fail "past window: $RC $ERR" || return 1
	run desk submit --unit 12-1A --kind repair --category electrical --text x --visit 2026-12-05T10:00/2026-12-07T10:00
	[ "$RC" = 1 ] && [[ $ERR == *"at most 24 hours"* ]] || fail "two-day window: $RC $ERR" || return 1
	run desk submit --unit 12-1A --kind repair --category electrical --text x --visit tomorrow
	[ "$RC" = 2 ] && [[ $ERR == *"expected a window FROM/TO"* ]] || fail "malformed window: $RC $ERR" || return 1
	run desk submit --unit 12-1A --kind repair --category electrical --text x --visit 14:00/16:00
	[ "$RC" = 2 ] && [[ $ERR == *"needs its day"* ]] || fail "a start without its day: $RC $ERR" || return 1
	[ "$(desk list --all --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] ||
		fail "a refused submit stored a ticket" || return 1

	submit --unit 12-1A --kind repair --category electrical --text "fan noisy" || return 1
	local before
	before=$(desk show "$TID" --json)
	run desk visit "$TID" 2026-12-05T16:00/15:00
	[ "$RC" = 1 ] && [[ $ERR == *"ends before it starts"* ]] || fail "visit backwards: $RC $ERR" || return 1
	run desk visit "$TID" 2026-12-01T16:00/17:00
	[ "$RC" = 1 ] && [[ $ERR == *"in the past"* ]] || fail "visit past: $RC $ERR" || return 1
	[ "$(desk show "$TID" --json)" = "$before" ] || fail "a refused visit changed the ticket" || return 1
	run desk visit "$TID" 2026-12-05T16:00/17:30
	[ "$RC" = 0 ] || fail "visit exited $RC: $ERR" || return 1
	[ "$(minute "$TID" arrive_by_ms)" = 2026-12-05T17:30 ] || fail "arrive by $(minute "$TID" arrive_by_ms)" || return 1
	[ "$(tj "$TID" 'h[-1]')" = "visit booked" ] || fail "no visit event: $(tj "$TID" 'h')" || return 1
	# the resident is away: held, with the window they proposed
	run desk hold "$TID" --reason parts --visit 2026-12-06T10:00/11:00
	[ "$RC" = 2 ] || fail "a parts hold took a window: $RC $ERR" || return 1
	run desk hold "$TID" --reason resident-away --note "nobody home" --visit 2026-12-06T10:00/11:00
	[ "$RC" = 0 ] || fail "hold exited $RC: $ERR" || return 1
	run desk resume "$TID"
	[ "$RC" = 0 ] || fail "resume exited $RC: $ERR" || return 1
	[ "$(minute "$TID" arrive_by_ms)" = 2026-12-06T11:00 ] ||
		fail "after the hold, arrive by $(minute "$TID" arrive_by_ms), expected the new window's end" || return 1
	[ "$(minute "$TID" visit_from_ms)" = 2026-12-06T10:00 ] || fail "the new window was not kept" || return 1
}

# The handheld shows the visit window with a countdown to its start, and
# marks planned work, in the list and in the detail.
test_handheld_shows_visits_and_planned_work() {
	plan_config "$TMP/plan.yaml" "$DAILY"
	CONFIG=$TMP/plan.yaml
	fresh_store
	start_daemon --clock-at 2026-12-07T09:59:57 || return 1
	UI_ENV="NO_COLOR=1" ui_start hand 80 24 "$B/dispatch-crew" --member T07
	wait_screen hand "^T07 " 15 || fail "no handheld: $(screen hand; cat "$TMP/hand.err")" || return 1
	submit --unit 5-5E --kind repair --category electrical --text "socket sparks" \
		--visit 2026-12-07T12:00/14:00 || return 1
	wait_screen hand '\[visit 12:00-14:00 in 1h5[0-9]\] socket sparks' 10 ||
		fail "the list does not show the window and its countdown: $(screen hand)" || return 1
	wait_screen hand '\[planned\] daily check' 15 || fail "planned work not marked: $(screen hand)" || return 1
	local row
	row=$(screen hand | grep -n '#'"$TID"' ' | head -n 1 | cut -d: -f1)
	# open the visit's detail
	while [ "$(sel_id hand)" != "$TID" ]; do
		tm send-keys -t hand Down
		sleep 0.2
		[ $((++row)) -lt 40 ] || { fail "cannot select #$TID: $(screen hand)"; return 1; }
	done
	tm send-keys -t hand Enter
	wait_screen hand '^visit 12:00-14:00 in 1h5[0-9] \(booked with the resident: arrive by its end\)' 10 ||
		fail "the detail does not show the window: $(screen hand)" || return 1
	tm kill-session -t hand 2>/dev/null
}

# The year generator makes planned work and visits; the daily report's
# planned and reported counts and its visits booked equal the
# generator's own record, day by day.
test_daily_report_counts_planned_work_as_generated() {
	rm -rf "$STATE" && mkdir -p "$STATE"
	run "$B/gen-year" --tickets 400 --days 10 --seed 7 --truth "$TMP/truth.ndjson" "$STATE"
	[ "$RC" = 0 ] || fail "gen-year: $ERR" || return 1
	local day
	for day in 2026-01-01 2026-01-04 2026-01-08; do
		"$B/dispatchd" --state-dir "$STATE" report daily --date "$day" --format json >"$TMP/daily.json" ||
			fail "daily $day failed" || return 1
		run python3 -c '
import json, sys, time
day = sys.argv[3]
t0 = int(time.mktime(time.strptime(day, "%Y-%m-%d"))) * 1000
t1 = t0 + 86400000
made = [t for t in map(json.loads, open(sys.argv[1])) if "t" in t and t0 <= t["created"] < t1]
want = (sum(t["planned"] for t in made), len(made) - sum(t["planned"] for t in made), sum(1 for t in made if t["visit_to"]))
r = json.load(open(sys.argv[2]))
got = (r["planned"], r["reported"], r["visits_booked"])
assert want[0] > 0 or want[2] > 0, "the generator made no planned work or visits on %s" % day
print(day, "planned, reported, visits:", got, "generated:", want)
sys.exit(0 if got == want else 1)' "$TMP/truth.ndjson" "$TMP/daily.json" "$day"
		[ "$RC" = 0 ] || fail "the daily report differs from the generator: $OUT $ERR" || return 1
		echo "# $OUT"
	done	# and the review over the ten days
	"$B/dispatchd" --state-dir "$STATE" report review --from 2026-01-01 --to 2026-01-11 --format json \
		>"$TMP/review.json" || fail "review failed" || return 1
	run python3 -c '
import json, sys, time
t0 = int(time.mktime(time.strptime("2026-01-01", "%Y-%m-%d"))) * 1000
t1 = int(time.mktime(time.strptime("2026-01-11", "%Y-%m-%d"))) * 1000
made = [t for t in map(json.loads, open(sys.argv[1])) if "t" in t and t0 <= t["created"] < t1]
p = sum(t["planned"] for t in made)
v = [t for t in made if t["visit_to"]]
want = {"planned": p, "reported": len(made) - p, "visits_booked": len(v),
        "visits_missed": sum(1 for t in v if t["missed"] & 2 or t["arrived"] > t["visit_to"])}
got = json.load(open(sys.argv[2]))["planned_work"]
print("review:", got, "generated:", want)
sys.exit(0 if got == want else 1)' "$TMP/truth.ndjson" "$TMP/review.json"
	[ "$RC" = 0 ] || fail "the review differs from the generator: $OUT $ERR" || return 1
	echo "# $OUT"
	run "$B/dispatchd" --state-dir "$STATE" report review --from 2026-01-01 --to 2026-01-11
	[[ $OUT == *"Planned work: "*" planned, "*" reported; visits booked with residents: "* ]] ||
		fail "the review's text has no planned work: $OUT" || return 1
}

t "a working-hours deadline over a weekend and a holiday lands on the right minute; holds pause it" \
	test_working_hours_deadline_over_weekend_and_holiday
t "a schedule fires once at its time, missed ones at start once, restarts create nothing" \
	test_schedule_fires_exactly_once_across_restarts
t "a reload with a changed schedule creates no duplicates" test_reload_with_changed_schedule_does_not_duplicate
t "catch-up after a long downtime is bounded and logged" test_catch_up_is_bounded
t "check-config names impossible schedules at FILE:LINE:COLUMN" test_check_config_names_bad_schedules
t "routing skips a member whose shift does not cover the visit window" test_routing_honours_the_visit_window
t "a visit missed by the crew escalates; a kept one does not" test_missed_visit_escalates
t "bad visit windows are refused and change nothing; a resident away proposes a new one" \
	test_bad_visit_windows_are_refused
t "the handheld shows the visit window with a countdown, and marks planned work" \
	test_handheld_shows_visits_and_planned_work
t "the daily report's and the review's planned, reported and visit counts equal the year generator's" \
	test_daily_report_counts_planned_work_as_generated
finish
