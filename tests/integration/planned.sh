#!/usr/bin/env bash
# planned.sh: issue 19's planned work, appointments and working-hours
# deadlines through the real daemon and the real clients. The daemon's
# clock is set with --clock-at (a restart moves it on), so an occurrence
# due next month or a deadline three working days away is tested in
# seconds; times are the estate's (Asia/Hong_Kong, lib.sh).
. "$(dirname "$0")/lib.sh"

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

t "a working-hours deadline over a weekend and a holiday lands on the right minute; holds pause it" \
	test_working_hours_deadline_over_weekend_and_holiday
finish
