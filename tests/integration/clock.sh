#!/usr/bin/env bash
# clock.sh: one clock. The estate (the sample one) is in Hong Kong; the
# clients here run on a machine whose TZ is UTC, or New York: every time
# they show or read is still the estate's, taken from the daemon's replies
# (Reply.timezone). The daemon's clock is pinned to Monday 10:00 in the
# estate (lib.sh), which is 02:00 UTC and 21:00 the day before in New York,
# so a client that used its own zone would show another hour.
set -u

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# The machine's zone, unlike the estate's.
export TZ=UTC

# epoch ms of an estate wall time (date(1) with the estate's zone)
estate_ms() { echo $(($(TZ=Asia/Hong_Kong date -d "$1" +%s) * 1000)); }

test_show_and_list() {
	follow T07 || return 1
	submit --unit 12-1A --kind repair --text "corridor lights out" || return 1
	CLOCK_TID=$TID
	run desk show "$TID"
	printf '%s\n' "$OUT" | grep -Eq '^  created +2026-11-30 10:0[0-9]:[0-9]{2}$' ||
		fail "show's created time is not the estate's 10:0x: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -Eq '^  ack by +2026-11-30 10:[0-9]{2}:[0-9]{2}  \(in ' ||
		fail "show's deadline is not in estate time: $OUT" || return 1
	run desk list
	printf '%s\n' "$OUT" | grep -Eq "^$TID +assigned .* 2026-11-30 10:0[0-9] " ||
		fail "list's CREATED is not the estate's 10:0x: $OUT" || return 1
	# and another machine zone, the day before in New York
	TZ=America/New_York run desk list
	printf '%s\n' "$OUT" | grep -Eq "^$TID +assigned .* 2026-11-30 10:0[0-9] " ||
		fail "list's CREATED under New York's TZ: $OUT" || return 1
}

test_crews_last_seen() {
	run desk crews --crew technical
	printf '%s\n' "$OUT" | grep -Eq '^  T07 .* yes +10:0[0-9] ' ||
		fail "T07's LAST SEEN is not the estate's 10:0x: $OUT" || return 1
}

test_outage_until() {
	local want
	want=$(estate_ms "2026-11-30 12:00")
	run desk outage declare --building 12 --text "water off 停水" --until 12:00 --json
	[ "$RC" = 0 ] || fail "declare exited $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | grep -q "\"to_ms\": $want," ||
		fail "--until 12:00 is not noon in the estate ($want): $OUT" || return 1
	TZ=America/New_York run desk outage declare --building 2A --text "gas off" --from 11:00 --until 12:00 --json
	[ "$RC" = 0 ] || fail "declare (New York) exited $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | grep -q "\"to_ms\": $want," ||
		fail "--until 12:00 under New York's TZ is not noon in the estate: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -q "\"from_ms\": $(estate_ms "2026-11-30 11:00")," ||
		fail "--from 11:00 under New York's TZ is not 11:00 in the estate: $OUT" || return 1
	TZ=America/New_York run desk outage list
	printf '%s\n' "$OUT" | grep -Eq '^1 +active +10:0[0-9] +12:00 .*water off 停水' ||
		fail "outage list is not in estate time: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -Eq '^2 +planned +11:00 +12:00 .*gas off' ||
		fail "the planned outage is not 11:00..12:00: $OUT" || return 1
}

test_notice_times() {
	local w=$TMP/clock-watch.out
	bg "$w" "$B/dispatch-watch"
	wait_for "$w.err" '^dispatch-watch: subscribed to ' "$READY_TIMEOUT" ||
		fail "watch never said it was subscribed: $(cat "$w.err")" || return 1
	run desk notice --text "lift maintenance" --from 13:00 --until 15:00
	[ "$RC" = 0 ] || fail "notice exited $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | grep -q 'when     2026-11-30 13:00:00 .. 2026-11-30 15:00:00' ||
		fail "the desk's notice is not 13:00..15:00 estate time: $OUT" || return 1
	wait_for "$w" 'NOTICE' 10 || fail "watch did not show the notice: $(cat "$w")" || return 1
	grep -Eq '^2026-11-30 10:[0-9]{2}:[0-9]{2} .*NOTICE .*2026-11-30 13:00:00..2026-11-30 15:00:00' "$w" ||
		fail "watch's notice line is not in estate time: $(grep NOTICE "$w")" || return 1
}

test_list_at() {
	# --at 12:00 is noon in the estate: the ticket's acknowledge deadline
	# (15 minutes after 10:0x) is past then, and not at 10:05.
	run desk list --overdue --at 12:00
	printf '%s\n' "$OUT" | grep -Eq "^$CLOCK_TID " || fail "not overdue at the estate's noon: $OUT $ERR" || return 1
	TZ=America/New_York run desk list --overdue --at 10:05
	printf '%s\n' "$OUT" | grep -Eq "^$CLOCK_TID " && { fail "overdue at the estate's 10:05: $OUT"; return 1; }
	return 0
}

test_time_words_before_the_daemon() {
	# A time that is not one is a usage error before anything is asked ...
	DISPATCH_ENDPOINT=ipc://$TMP/nobody-listens run desk outage declare --text x --building 3 --until 25:00
	[ "$RC" = 2 ] || fail "--until 25:00 with no daemon: exit $RC, expected 2 ($ERR)" || return 1
	# ... and a right one needs the daemon's clock: unreachable, exit 3.
	DISPATCH_ENDPOINT=ipc://$TMP/nobody-listens run desk notice --text x --from 13:00
	[ "$RC" = 3 ] && [[ $ERR == *"not reachable"* ]] || fail "--from 13:00 with no daemon: exit $RC: $ERR" || return 1
}

test_handheld_clock() {
	UI_ENV="NO_COLOR=1 TZ=UTC" ui_start clockhand 40 12 "$B/dispatch-crew" --member T08
	wait_screen clockhand '^T08 ' 15 || fail "no handheld: $(screen clockhand; cat "$TMP/clockhand.err")" || return 1
	wait_screen clockhand '^technical .* 10:[0-5][0-9]:[0-9]{2}$' 5 ||
		fail "the handheld's clock is not the estate's 10:xx: $(screen clockhand)" || return 1
	tm send-keys -t clockhand q
	ui_exit clockhand 10 || fail "the handheld did not quit" || return 1
}

test_summary_clock() {
	UI_ENV="NO_COLOR=1 TZ=America/New_York" ui_start clocksum 80 24 "$B/dispatch-watch" --summary
	wait_screen clocksum 'live summary.* 10:[0-5][0-9]:[0-9]{2}$' 15 ||
		fail "the summary's clock is not the estate's 10:xx: $(screen clocksum; cat "$TMP/clocksum.err")" || return 1
	tm send-keys -t clocksum q
	ui_exit clocksum 10 || fail "the summary did not quit" || return 1
}

setup
t "show and list: estate time on a UTC (and a New York) machine" test_show_and_list
t "crews: last seen in estate time" test_crews_last_seen
t "outages: --from/--until read and shown in estate time" test_outage_until
t "notices: desk and watch show estate time" test_notice_times
t "list --at reads estate time" test_list_at
t "time words are checked before the daemon is asked for its clock" test_time_words_before_the_daemon
t "the handheld's clock is the estate's" test_handheld_clock
t "the summary's clock is the estate's" test_summary_clock
finish
