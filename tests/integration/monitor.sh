#!/usr/bin/env bash
# monitor.sh: monitors that notice. The live summary (dispatch-watch
# --summary, captured from tmux) starts from the daemon's state, counts
# "open" as `dispatch-desk list` does, shows every crew with who is on
# shift and online, and the outages with their text. dispatch-watch and the
# summary say "link lost since HH:MM:SS" within the heartbeat window when
# the daemon stops, come back by themselves when it is started again, and
# show what was committed while they could not hear it.
set -u

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

SILENCE_S=6 # the clients' window (3.5 s without a heartbeat), plus a second's check, plus slack

# The counts of `desk list` by state, "assigned=2 new=1 ...".
list_states() {
	desk list --limit 1000 --json | python3 -c '
import collections, json, sys
n = collections.Counter(t["state"] for t in json.load(sys.stdin))
print(" ".join("%s=%d" % kv for kv in sorted(n.items())))'
}

# The same from the summary's second line ("open 5: new 1  assigned 2 ...").
summary_states() {
	screen sum | python3 -c '
import re, sys
for l in sys.stdin:
    if l.startswith("open "):
        pairs = re.findall(r"([a-z][a-z ]*?) (\d+)(?:  |$)", l.split(": ", 1)[1].rstrip())
        n = {("on hold" if k == "held" else k): int(v) for k, v in pairs if int(v)}
        print(" ".join("%s=%d" % kv for kv in sorted(n.items())))
        break'
}

test_summary_from_state() {
	local n want got
	follow T07 || return 1
	submit --unit 12-1A --kind repair --category lighting --text "corridor light out" || return 1
	run crew --member T07 accept "$TID"
	[ "$RC" = 0 ] || fail "accept exited $RC: $ERR" || return 1
	submit --unit 5-2B --kind cleaning --text "spill in the lobby" || return 1
	submit --unit 7-1A --kind security --text "gate left open" || return 1
	submit --unit 3-3C --kind repair --category plumbing --text "tap drips" || return 1
	CANCELLED=$TID
	run desk cancel "$TID" --reason "resident fixed it"
	[ "$RC" = 0 ] || fail "cancel exited $RC: $ERR" || return 1
	run desk outage declare --building 12 --text "水務停水 water off in tower 12" --until 18:00
	[ "$RC" = 0 ] || fail "outage exited $RC: $ERR" || return 1
	# Started after all that: the counts are the daemon's, not "since start".
	UI_ENV="NO_COLOR=1" ui_start sum 100 36 "$B/dispatch-watch" --summary
	wait_screen sum '^CREW ' 15 || fail "no summary: $(screen sum; cat "$TMP/sum.err")" || return 1
	# by the daemon's clock from the first screen on: nothing is late at 10:00
	screen sum | grep -q '^today: .* overdue 0 ' || fail "overdue by this machine's clock: $(screen sum)" ||
		return 1
	# today's log, also from before the start: the cancellation, and in RECENT
	screen sum | grep -q '^today: closed 0  cancelled 1  ' ||
		fail "today's cancellation (before the start) is not counted: $(screen sum)" || return 1
	screen sum | grep -Eq "^  10:[0-9:]{5} cancelled +#$CANCELLED 3-3C" ||
		fail "today's events before the start are not under RECENT: $(screen sum)" || return 1
	n=$(ticket_count)
	wait_screen sum "^open $n: " 5 || fail "the summary's total is not list's $n: $(screen sum)" || return 1
	want=$(list_states)
	got=$(summary_states)
	[ "$want" = "$got" ] || fail "per state, list says $(echo $want), the summary $(echo $got)" || return 1
	# Every crew, also those with nothing open; who is on shift, + online.
	screen sum | grep -Eq '^van-hire +0 +0 +0 +0 +0 +0 +0 ' ||
		fail "no row for van-hire, which has nothing open: $(screen sum)" || return 1
	screen sum | grep -Eq '^customer-service +0 +0 +0 +0 +0 +0 +0 ' ||
		fail "no row for customer-service: $(screen sum)" || return 1
	screen sum | grep -Eq '^technical +.* T07\+ ' ||
		fail "T07 (on call, handheld on) is not shown on shift and online: $(screen sum)" || return 1
	screen sum | grep -E '^security ' | grep -Eq ' S02( |$)' ||
		fail "S02 (on shift, no handheld) is not shown on shift and offline: $(screen sum)" || return 1
	screen sum | grep -E '^security ' | grep -q 'S03' &&
		{ fail "S03 (night shift) is shown on shift at 10:00: $(screen sum)"; return 1; }
	# The outage, with its text.
	screen sum | grep -q '^OUTAGES (1)' || fail "no outages heading: $(screen sum)" || return 1
	screen sum | grep -Eq '^  #1 .*bldg 12: 水務停水 water off in tower 12' ||
		fail "the outage's text is not shown: $(screen sum)" || return 1
	# Kept up from events: a new outage and a ticket.
	run desk outage declare --unit 2A-1B --text "lift 2 stopped for repair" --until 17:00
	[ "$RC" = 0 ] || fail "outage exited $RC: $ERR" || return 1
	wait_screen sum '^  #2 .*units 2A-1B: lift 2 stopped for repair' 5 ||
		fail "the new outage is not shown: $(screen sum)" || return 1
	submit --unit 2A-1C --kind inquiry --text "fee question" || return 1
	n=$(ticket_count)
	wait_screen sum "^open $n: " 5 || fail "the total did not follow to $n: $(screen sum)" || return 1
}

# Stop the daemon; let the summary and the watchers notice; commit an event
# on a daemon whose events go elsewhere (so no monitor can hear it live);
# start the daemon again as before. Sets MISSED to that ticket's id.
lose_the_link() {
	local t0
	stop_daemon
	[ "$DAEMON_RC" = 0 ] || fail "dispatchd exited $DAEMON_RC" || return 1
	t0=$(date +%s.%N)
	wait_screen sum 'link lost since [0-2][0-9]:[0-5][0-9]:[0-5][0-9]' "$SILENCE_S" ||
		fail "the summary did not say the link was lost within ${SILENCE_S}s: $(screen sum)" || return 1
	screen sum | grep -q '^.*live summary  LINK LOST since ' ||
		fail "the header does not say LINK LOST: $(screen sum)" || return 1
	wait_for "$WATCH.err" '^dispatch-watch: link lost since [0-2][0-9]:[0-5][0-9]:[0-5][0-9] ' \
		"$SILENCE_S" || fail "dispatch-watch did not say so: $(cat "$WATCH.err")" || return 1
	wait_for "$CWATCH.err" '^dispatch-watch: link lost since ' "$SILENCE_S" ||
		fail "dispatch-watch --crew did not say so: $(cat "$CWATCH.err")" || return 1
	echo "# link lost shown $(python3 -c "import time; print('%.1f' % (time.time() - $t0))") s after the stop"
	start_daemon --events "ipc://$TMP/ev-nobody-hears" || return 1
	submit --unit 1-2B --kind repair --category lighting --text "lamp out while the monitors were deaf" ||
		return 1
	MISSED=$TID
	stop_daemon
	start_daemon || return 1
}

test_link_lost_and_back() {
	local n
	WATCH=$TMP/watch.all
	CWATCH=$TMP/watch.tech
	bg "$WATCH" "$B/dispatch-watch"
	bg "$CWATCH" "$B/dispatch-watch" --crew technical
	wait_for "$WATCH.err" '^dispatch-watch: subscribed to ' "$READY_TIMEOUT" ||
		fail "watch never said it was subscribed: $(cat "$WATCH.err")" || return 1
	wait_for "$CWATCH.err" '^dispatch-watch: subscribed to ' "$READY_TIMEOUT" ||
		fail "watch --crew never said it was subscribed: $(cat "$CWATCH.err")" || return 1
	lose_the_link || return 1
	# back by themselves, with what they missed
	wait_screen sum "#$MISSED 1-2B +technical/" 15 ||
		fail "the summary did not show ticket $MISSED, committed while it was cut off: $(screen sum)" ||
		return 1
	screen sum | grep -q 'LINK LOST' && { fail "still LINK LOST after recovering: $(screen sum)"; return 1; }
	n=$(ticket_count)
	wait_screen sum "^open $n: " 5 || fail "after recovering, the total is not list's $n: $(screen sum)" || return 1
	wait_for "$WATCH" "ticket $MISSED +repair +1-2B" 15 ||
		fail "dispatch-watch did not show ticket $MISSED: $(tail -n 5 "$WATCH") $(cat "$WATCH.err")" || return 1
	grep -q '^dispatch-watch: link back at ' "$WATCH.err" ||
		fail "dispatch-watch did not say the link is back: $(cat "$WATCH.err")" || return 1
	wait_for "$CWATCH" "ticket $MISSED +repair +1-2B" 15 ||
		fail "dispatch-watch --crew did not show ticket $MISSED: $(cat "$CWATCH") $(cat "$CWATCH.err")" || return 1
	# and live again
	submit --unit 1-3C --kind repair --category lighting --text "after the restart" || return 1
	wait_screen sum "#$TID 1-3C +technical/" 10 || fail "not live after recovering: $(screen sum)" || return 1
	wait_for "$WATCH" "ticket $TID +repair +1-3C" 10 || fail "dispatch-watch not live again" || return 1
	tm send-keys -t sum q
	ui_exit sum 10 || fail "the summary did not quit on q" || return 1
	[ "$UI_RC" = 0 ] || fail "the summary exited $UI_RC: $(cat "$TMP/sum.err")" || return 1
}

# Today is the estate's day: yesterday's cancellation is not counted, the
# day's are, and at midnight the counts start again.
test_summary_today() {
	local a
	fresh_store
	start_daemon --clock-at 2026-11-30T15:00:00 || return 1
	submit --unit 5-3C --kind cleaning --text "yesterday's spill" || return 1
	run desk cancel "$TID" --reason "dried up"
	[ "$RC" = 0 ] || fail "cancel exited $RC: $ERR" || return 1
	stop_background
	start_daemon --clock-at 2026-12-01T23:59:45 || return 1
	submit --unit 5-3D --kind cleaning --text "tonight's spill" || return 1
	a=$TID
	run desk cancel "$a" --reason "mopped"
	[ "$RC" = 0 ] || fail "cancel exited $RC: $ERR" || return 1
	UI_ENV="NO_COLOR=1" ui_start day 100 36 "$B/dispatch-watch" --summary
	wait_screen day '^today: closed 0  cancelled 1  ' 15 ||
		fail "not today's one cancellation: $(screen day; cat "$TMP/day.err")" || return 1
	screen day | grep -Eq "cancelled +#$a 5-3D" || fail "tonight's cancellation not under RECENT: $(screen day)" ||
		return 1
	screen day | grep -q "5-3C" && { fail "yesterday's events under RECENT: $(screen day)"; return 1; }
	wait_screen day ' 00:00:[0-9]{2}$' 20 || fail "the clock did not pass midnight: $(screen day)" || return 1
	wait_screen day '^today: closed 0  cancelled 0  ' 3 ||
		fail "the counts did not start again at midnight: $(screen day)" || return 1
	tm send-keys -t day q
	ui_exit day 10 || fail "the summary did not quit on q" || return 1
}

setup
t "summary: the daemon's state at start, every crew, outages with text" test_summary_from_state
t "watch and summary: link lost within the window, back by themselves, catch up" test_link_lost_and_back
t "summary: today is the estate's day, from the log, and starts again at midnight" test_summary_today
finish
