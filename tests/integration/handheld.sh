#!/usr/bin/env bash
# handheld.sh: the technician's handheld (issue 22), the full-screen
# dispatch-crew in a detached tmux of 40x20, driven by keys, against the
# real daemon: the detail view with the whole Chinese text, the P1 mark,
# what a short screen hides, where the cursor goes, keys that refuse at
# once, the duty question, messages that fit 40 columns, the truth about a
# missed acknowledge (also in `follow`), and a stale link line that clears.
. "$(dirname "$0")/lib.sh"

# The text the resident gave: longer than any row of a 40-column screen.
LONG_TEXT="電梯大堂燈全部熄滅，住客報稱有人被困在黑暗的三號電梯內，需要即時派技工到場並通知保安，請帶備電筒 bring a torch"

# fits40 NAME: every row of the screen fits 40 columns (wide characters
# count two).
fits40() {
	screen "$1" | python3 -c '
import sys, unicodedata
for l in sys.stdin.read().splitlines():
    w = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in l)
    assert w <= 40, "%d columns: %r" % (w, l)
' 2>"$TMP/py.err" || fail "$(tail -n 1 "$TMP/py.err")"
}

# sel_id NAME: the ticket id on the row the cursor is on (">#ID").
sel_id() { screen "$1" | sed -n 's/^>#\([0-9]*\) .*/\1/p' | head -n 1; }

# state_of ID: the ticket's state as `desk show` says it.
state_of() { desk show "$1" | sed -n "s/^ticket $1: [a-z]*, //p" | head -n 1; }

# submit_to MEMBER ARGS...: a repair that must go to MEMBER; TID is its id.
submit_to() {
	local m=$1
	shift
	submit --kind repair --category lighting "$@" || return 1
	[ "$TMEMBER" = "$m" ] || fail "ticket $TID went to '$TMEMBER', not $m" || return 1
}

# T07 is on shift on Monday morning and an electrician: with only its
# handheld on, every lighting repair goes to it.
test_detail_view() {
	UI_ENV="NO_COLOR=1" ui_start hand 40 20 "$B/dispatch-crew" --member T07
	wait_screen hand "^T07 " 15 || fail "no handheld: $(screen hand; cat "$TMP/hand.err")" || return 1
	submit_to T07 --unit 12-1A --person "陳大文" --phone "9123 4567" --text "$LONG_TEXT" || return 1
	DETAIL_TID=$TID
	wait_screen hand "^>?#$TID NEW 12-1A" 10 || fail "not listed: $(screen hand)" || return 1
	# The list cuts the text; the detail shows all of it.
	screen hand | grep -q "bring a torch" && { fail "the list row was not cut: $(screen hand)"; return 1; }
	tm send-keys -t hand Enter
	wait_screen hand "^history \\([0-9]+\\):" 10 || fail "no history in the detail: $(screen hand)" || return 1
	local s
	s=$(screen hand)
	printf '%s\n' "$s" | grep -q "^#$TID repair NEW" || fail "no title: $s" || return 1
	printf '%s\n' "$s" | grep -q "^resident 陳大文$" || fail "no resident: $s" || return 1
	printf '%s\n' "$s" | grep -q "^phone 9123 4567$" || fail "no phone: $s" || return 1
	printf '%s\n' "$s" | grep -q "^unit 12-1A" || fail "no unit: $s" || return 1
	printf '%s\n' "$s" | grep -Eq "^acknowledge by [0-9:]+ \\(in " || fail "no deadline: $s" || return 1
	printf '%s\n' "$s" | grep -Eq "^  [0-9:]+ assigned to T07" || fail "no assignment in the history: $s" || return 1
	# The wrapped rows of the text, joined, are the whole text.
	printf '%s\n' "$s" | TEXT="$LONG_TEXT" python3 -c '
import os, sys
rows = sys.stdin.read().splitlines()
i = rows.index("text:")
part = []
for r in rows[i + 1:]:
    if not r.startswith("  "):
        break
    part.append(r[2:])
assert len(part) >= 3, "not wrapped: %r" % part
# (a row breaks at a space, which it drops)
got = "".join(part)
want = os.environ["TEXT"]
assert got.replace(" ", "") == want.replace(" ", ""), "shown %r" % got
' 2>"$TMP/py.err" || fail "$(tail -n 1 "$TMP/py.err"): $s" || return 1
	fits40 hand || return 1
	tm send-keys -t hand Escape
	wait_screen hand "^>?#$TID NEW 12-1A" 5 || fail "Esc did not go back to the list: $(screen hand)" || return 1
}

# `s` on a job not yet accepted says so at once: no note is asked for.
test_resolve_refused_at_once() {
	[ -n "$DETAIL_TID" ] || fail "no handheld (the first test failed)" || return 1
	[ "$(sel_id hand)" = "$DETAIL_TID" ] || fail "cursor not on #$DETAIL_TID: $(screen hand)" || return 1
	tm send-keys -t hand s
	wait_screen hand "accept and arrive first" 5 || fail "no refusal after 's': $(screen hand)" || return 1
	screen hand | grep -q "^note #" && { fail "a note was asked for: $(screen hand)"; return 1; }
	fits40 hand || return 1
	# The hold menu fits too: every choice whole.
	tm send-keys -t hand h
	wait_screen hand "^hold #$DETAIL_TID: p parts" 5 || fail "no hold menu: $(screen hand)" || return 1
	screen hand | grep -q "n no-access" || fail "hold menu cut: $(screen hand)" || return 1
	screen hand | grep -q "o other" || fail "hold menu cut: $(screen hand)" || return 1
	fits40 hand || return 1
	tm send-keys -t hand Escape
	wait_screen hand "hold cancelled" 5 || fail "Esc did not cancel the hold: $(screen hand)" || return 1
	[ "$(state_of "$DETAIL_TID")" = assigned ] || fail "the daemon says $(state_of "$DETAIL_TID")" || return 1
}

test_p1_marked() {
	[ -n "$DETAIL_TID" ] || fail "no handheld (the first test failed)" || return 1
	submit_to T07 --unit 12-2B --priority 1 --text "urgent: sparks from the meter box" || return 1
	P1_TID=$TID
	wait_screen hand "#$TID P1 NEW 12-2B" 10 || fail "no P1 mark: $(screen hand)" || return 1
	screen hand | grep -q "#$DETAIL_TID P1" && { fail "a default-priority job is marked P1: $(screen hand)"; return 1; }
	return 0
}

# The list re-sorts under the cursor (a more urgent job arrives, the
# member's own accept moves a job down): the cursor stays on its ticket,
# and a second 'a' on the job just accepted is refused at once, sending
# nothing, so the other new job is untouched.
test_cursor_keeps_its_place() {
	[ -n "$P1_TID" ] || fail "no handheld (an earlier test failed)" || return 1
	local first
	# Cursor on the lower of the two NEW jobs.
	tm send-keys -t hand j
	sleep 0.3
	first=$(sel_id hand)
	[ -n "$first" ] || fail "no cursor: $(screen hand)" || return 1
	submit_to T07 --unit 12-3C --priority 1 --text "second urgent job" || return 1
	wait_screen hand "#$TID P1 NEW 12-3C" 10 || fail "not listed: $(screen hand)" || return 1
	[ "$(sel_id hand)" = "$first" ] || fail "cursor moved from #$first to #$(sel_id hand): $(screen hand)" || return 1
	# Now to the top: accept, which sorts the job below the new ones.
	tm send-keys -t hand k k k
	sleep 0.3
	first=$(sel_id hand)
	tm send-keys -t hand a
	wait_screen hand "ticket $first is now accepted" 10 || fail "not accepted: $(screen hand)" || return 1
	[ "$(sel_id hand)" = "$first" ] || fail "the cursor left #$first for #$(sel_id hand): $(screen hand)" || return 1
	screen hand | sed -n 3p | grep -q "^>#$first " && { fail "#$first did not move down: $(screen hand)"; return 1; }
	tm send-keys -t hand a
	wait_screen hand "#$first is already accepted" 5 || fail "second 'a' not refused at once: $(screen hand)" || return 1
	[ "$(state_of "$TID")" = assigned ] && [ "$(state_of "$DETAIL_TID")" = assigned ] ||
		fail "another job changed: #$TID $(state_of "$TID"), #$DETAIL_TID $(state_of "$DETAIL_TID")" || return 1
}

# Nine jobs at 40x20 show eight; the header says what is hidden, and a
# shorter screen keeps the most urgent job under the cursor.
test_hidden_jobs_signalled() {
	[ -n "$P1_TID" ] || fail "no handheld (an earlier test failed)" || return 1
	local n i top
	n=$(desk list --member T07 --limit 100 | grep -Ec '^[0-9]+ ')
	for i in $(seq $((n + 1)) 9); do
		submit_to T07 --unit "9-${i}A" --text "lamp $i" || return 1
	done
	wait_screen hand "9 open, 8 shown, ↑1 more" 10 || fail "no 'more' signal: $(screen hand)" || return 1
	# (the cursor is still on the job accepted last, at the bottom)
	tm send-keys -t hand k k k k k k k k k k
	wait_screen hand "9 open, 8 shown, ↓1 more" 5 || fail "no ↓ at the top: $(screen hand)" || return 1
	fits40 hand || return 1
	top=$(sel_id hand)
	screen hand | sed -n 3p | grep -q "^>#$top " || fail "cursor not on the first row: $(screen hand)" || return 1
	tm resize-window -t hand -x 40 -y 12
	wait_screen hand "9 open, 4 shown, ↓5 more" 5 || fail "no signal at 12 rows: $(screen hand)" || return 1
	[ "$(sel_id hand)" = "$top" ] || fail "after the resize the cursor is on #$(sel_id hand), not #$top: $(screen hand)" || return 1
	screen hand | sed -n 3p | grep -q "^>#$top " || fail "the most urgent job is not on top: $(screen hand)" || return 1
	tm resize-window -t hand -x 40 -y 20
	wait_screen hand "9 open, 8 shown, ↓1 more" 5 || fail "not back at 20 rows: $(screen hand)" || return 1
	[ "$(sel_id hand)" = "$top" ] || fail "after growing the cursor is on #$(sel_id hand)" || return 1
}

# 'd' asks; anything but 'y' leaves duty as it was.
test_duty_confirmation() {
	[ -n "$DETAIL_TID" ] || fail "no handheld (the first test failed)" || return 1
	tm send-keys -t hand d
	wait_screen hand "go off duty\\? y: yes" 5 || fail "no question after 'd': $(screen hand)" || return 1
	fits40 hand || return 1
	tm send-keys -t hand n
	wait_screen hand "duty unchanged" 5 || fail "no 'duty unchanged': $(screen hand)" || return 1
	screen hand | grep -q "OFF DUTY" && { fail "went off duty without a yes: $(screen hand)"; return 1; }
	tm send-keys -t hand d
	wait_screen hand "go off duty\\? y: yes" 5 || fail "no question after 'd': $(screen hand)" || return 1
	tm send-keys -t hand y
	wait_screen hand "OFF DUTY" 10 || fail "not off duty after 'y': $(screen hand)" || return 1
	tm send-keys -t hand d
	wait_screen hand "go on duty\\? y: yes" 5 || fail "no question to go back on: $(screen hand)" || return 1
	tm send-keys -t hand y
	wait_screen hand "ON DUTY" 10 || fail "not on duty after 'y': $(screen hand)" || return 1
}

# The daemon stops and comes back: the "not reachable" line goes.
test_stale_line_clears() {
	[ -n "$DETAIL_TID" ] || fail "no handheld (the first test failed)" || return 1
	tm send-keys -t hand q
	ui_exit hand 10 || fail "the UI did not quit" || return 1
	UI_ENV="NO_COLOR=1" ui_start link 40 20 "$B/dispatch-crew" --member T07 --ping-interval 1
	wait_screen link "^T07 " 15 || fail "no handheld: $(screen link; cat "$TMP/link.err")" || return 1
	stop_daemon
	wait_screen link "not reachable" 20 || fail "no 'not reachable' while the daemon is down: $(screen link)" || return 1
	fits40 link || return 1
	start_daemon || fail "dispatchd did not restart" || return 1
	local tries=150
	while screen link | grep -q "not reachable"; do
		tries=$((tries - 1))
		[ $tries -le 0 ] && { fail "the stale line stayed: $(screen link)"; return 1; }
		sleep 0.1
	done
	screen link | grep -Eq "link to the daemon is back|resynchronised" || fail "no word that the link is back: $(screen link)" || return 1
	tm send-keys -t link q
	ui_exit link 10 || fail "the UI did not quit" || return 1
	[ "$UI_RC" = 0 ] || fail "the UI exited $UI_RC: $(cat "$TMP/link.err")" || return 1
}

# At night only T07 is on shift; T12 is on duty by hand. T07 does not
# acknowledge within 10 minutes (10 s at 60 times the speed): the ticket
# moves to T12, and T07 is told the truth, on the screen and in follow.
test_missed_acknowledge_told() {
	fresh_store
	sed 's/online_window: 90/online_window: 1000000/' "$CONFIG" >"$TMP/fast.yaml"
	CONFIG=$TMP/fast.yaml start_daemon --clock-at 2026-12-01T22:30:00 --clock-scale 60 || return 1
	run crew --member T12 duty on
	[ "$RC" = 0 ] || fail "T12 duty on: exit $RC: $ERR" || return 1
	follow T12 || return 1
	follow T07 || return 1
	local t07=$FOLLOW id line
	UI_ENV="NO_COLOR=1" ui_start lost 40 20 "$B/dispatch-crew" --member T07
	wait_screen lost "^T07 " 15 || fail "no handheld for T07: $(screen lost; cat "$TMP/lost.err")" || return 1
	run desk submit --unit 12-1A --kind repair --category lighting --text "basement lights out"
	[[ $OUT =~ ^ticket\ ([0-9]+)\ submitted:.*technical/T07 ]] || fail "not sent to T07: $OUT $ERR" || return 1
	id=${BASH_REMATCH[1]}
	wait_screen lost "#$id NEW 12-1A" 10 || fail "T07's handheld did not show #$id: $(screen lost)" || return 1
	line="ticket $id taken from you (acknowledge deadline missed), now with T12"
	# At 40 columns the line wraps: join the bottom rows to read it.
	local tries=300
	until screen lost | tail -n 3 | tr '\n' ' ' | sed 's/  */ /g' | grep -qF "$line"; do
		tries=$((tries - 1))
		[ $tries -le 0 ] && { fail "T07's screen did not say '$line': $(screen lost)"; return 1; }
		sleep 0.1
	done
	screen lost | grep -q "#$id " && { fail "#$id is still listed on T07's screen: $(screen lost)"; return 1; }
	screen lost | grep -q "ESCALATED TO YOU" && { fail "T07 was told ESCALATED TO YOU: $(screen lost)"; return 1; }
	fits40 lost || return 1
	local re=${line//(/\\(}
	re=${re//)/\\)}
	wait_for "$t07" "  $re\$" 5 || fail "T07's follow did not say it: $(cat "$t07")" || return 1
	grep "ticket $id" "$t07" | grep -q "ESCALATED TO YOU" && { fail "T07's follow said ESCALATED TO YOU: $(cat "$t07")"; return 1; }
	tm send-keys -t lost q
	ui_exit lost 10 || fail "the UI did not quit" || return 1
	[ "$UI_RC" = 0 ] || fail "the UI exited $UI_RC: $(cat "$TMP/lost.err")" || return 1
	[ ! -s "$TMP/lost.err" ] || fail "the UI wrote to stderr: $(cat "$TMP/lost.err")"
}

setup

t "handheld (40x20): Enter shows the whole Chinese text wrapped, resident, phone, deadlines, history" test_detail_view
t "handheld: 's' on a new job refuses at once (no note asked); the hold menu fits 40 columns" test_resolve_refused_at_once
t "handheld: priority 1 is marked P1" test_p1_marked
t "handheld: the cursor keeps its ticket on a re-sort; a second 'a' on it is refused at once" test_cursor_keeps_its_place
t "handheld: '9 open, 8 shown, ↓1 more'; after a resize the most urgent job keeps the cursor" test_hidden_jobs_signalled
t "handheld: duty asks for a confirmation" test_duty_confirmation
t "handheld: a stale 'not reachable' line clears once the daemon is back" test_stale_line_clears
t "handheld and follow: a missed acknowledge says 'taken from you ..., now with T12'" test_missed_acknowledge_told

finish
