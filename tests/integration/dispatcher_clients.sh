#!/usr/bin/env bash
# dispatcher_clients.sh: the clients' side of the dispatcher (issue 3),
# against the real daemon: crews and presence, explain, queueing and
# escalation, reassignment, duty, declared outages, overdue deadlines, and
# the handheld UI's duty key and presence.
#
# It needs the daemon side of issue 3 (Explain, Duty, Crews, outages,
# ACTION_ASSIGN, presence and --clock-at), so `make integration` does not
# run it yet; run it with `make integration-dispatcher` (add SAN=1 for the
# sanitizer build). The daemon runs the sample estate with its clock at a
# Monday morning (DISPATCHD_ARGS, default --clock-at 2026-11-30T10:00:00),
# so shifts do not depend on the time of day. Which members are on shift,
# which crew a kind goes to and who supervises it are read from the
# daemon (crews, explain), not assumed.
#
# Prints "ok - name" / "not ok - name: reason", then "N passed, M failed".
set -u

DISPATCHD_ARGS=${DISPATCHD_ARGS:---clock-at 2026-11-30T10:00:00}
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

watch() { timeout -k 2 "$CMD_TIMEOUT" "$B/dispatch-watch" "$@"; }

# jq-like look-ups with python: crews JSON in $TMP/crews.json.
crews_json() {
	desk crews --json >"$TMP/crews.json" 2>"$TMP/crews.err" ||
		fail "crews --json exited $?: $(cat "$TMP/crews.err")"
}
# py EXPR: evaluate EXPR with `crews` bound to the crews JSON; prints it.
py() {
	python3 -c '
import json, sys
crews = json.load(open(sys.argv[1]))
members = {m["id"]: m for c in crews for m in c["members"]}
print(eval(sys.argv[2]))' "$TMP/crews.json" "$1"
}

# The crew a kind goes to, by a dry run.
crew_of() {
	desk explain --unit 1-1A --kind "$1" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["crew"])'
}

REPAIR_CREW=""
TECH=""       # a member of REPAIR_CREW on shift now, not its supervisor
QUEUE_CREW="" # a crew nobody here keeps online
QSUP=""
QMEMBER=""

test_crews_before_any_handheld() {
	crews_json || return 1
	[ "$(py 'len(crews) > 0')" = True ] || fail "no crews" || return 1
	[ "$(py 'all(not m["online"] for m in members.values())')" = True ] ||
		fail "a member is online before any handheld pinged" || return 1
	[ "$(py 'all(m["last_seen_ms"] == 0 for m in members.values())')" = True ] ||
		fail "a member was seen before any handheld pinged" || return 1
	run desk crews
	[ "$RC" = 0 ] || fail "crews exited $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | grep -Eq '^  MEMBER +NAME +SHIFT +ONLINE +LAST SEEN +DUTY +AVAILABLE +OPEN +SKILLS$' ||
		fail "no member table header: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -Eq 'never' || fail "no 'never' last seen: $OUT" || return 1
	REPAIR_CREW=$(crew_of repair) || fail "explain repair failed" || return 1
	TECH=$(py "([m['id'] for c in crews if c['id'] == '$REPAIR_CREW' for m in c['members'] if m['on_shift'] and m['id'] != c['supervisor']] + [''])[0]")
	[ -n "$TECH" ] || fail "nobody of $REPAIR_CREW is on shift at the test clock's Monday 10:00" || return 1
	QUEUE_CREW=$(crew_of cleaning) || fail "explain cleaning failed" || return 1
	[ "$QUEUE_CREW" != "$REPAIR_CREW" ] || fail "repair and cleaning go to one crew" || return 1
	QSUP=$(py "[c['supervisor'] for c in crews if c['id'] == '$QUEUE_CREW'][0]")
	QMEMBER=$(py "([m['id'] for c in crews if c['id'] == '$QUEUE_CREW' for m in c['members'] if m['id'] != c['supervisor']] + [''])[0]")
	[ -n "$QMEMBER" ] || fail "$QUEUE_CREW has no member besides its supervisor" || return 1
}

test_explain_nobody_online() {
	local n1 n2
	n1=$(desk list --all --limit 1000 --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
	run desk explain --unit 12-1A --kind repair
	[ "$RC" = 0 ] || fail "explain exited $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | grep -Eq "^  rule [^:]+: $REPAIR_CREW -> queued -> escalated to [A-Za-z0-9_-]+" ||
		fail "not queued and escalated: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -q '^    why: ' || fail "no reason: $OUT" || return 1
	n2=$(desk list --all --limit 1000 --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
	[ "$n1" = "$n2" ] || fail "explain stored a ticket ($n1 -> $n2)" || return 1
}

FOLLOW_PID=""

test_handheld_makes_member_online() {
	local follow=$TMP/follow-tech.out
	[ -n "$TECH" ] || fail "no member chosen (an earlier test failed)" || return 1
	bg "$follow" "$B/dispatch-crew" --member "$TECH" follow
	FOLLOW_PID=$BG
	wait_for "$follow" 'waiting for new assignments' "$READY_TIMEOUT" ||
		fail "follow did not start: $(cat "$follow.err")" || return 1
	crews_json || return 1
	[ "$(py "members['$TECH']['online']")" = True ] || fail "$TECH is not online after follow pinged" || return 1
	[ "$(py "members['$TECH']['last_seen_ms'] > 0")" = True ] || fail "$TECH has no last seen" || return 1
	[ "$(py "members['$TECH']['available']")" = True ] || fail "$TECH is online and on shift but not available" || return 1
}

test_explain_and_submit_to_online_member() {
	[ -n "$FOLLOW_PID" ] || fail "no handheld (an earlier test failed)" || return 1
	run desk explain --unit 12-1A --kind repair --json
	[ "$RC" = 0 ] || fail "explain exited $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)[0]
assert d["member"] == sys.argv[1] and not d["queued"] and d["reason"], d' "$TECH" 2>"$TMP/py.err" ||
		fail "explain: $(tail -n 1 "$TMP/py.err")" || return 1
	submit --unit 12-1A --kind repair --text "basement lights out" || return 1
	[ "$TCREW/$TMEMBER" = "$REPAIR_CREW/$TECH" ] || fail "went to $TCREW/$TMEMBER, not $REPAIR_CREW/$TECH" || return 1
	wait_for "$TMP/follow-tech.out" "NEW ASSIGNMENT \\*\\*\\* ticket $TID:" 10 ||
		fail "the handheld did not hear of it: $(cat "$TMP/follow-tech.out")" || return 1
}

QUEUED_TID=""

test_queued_and_escalated() {
	local out=$TMP/watch-esc.out pid
	[ -n "$QUEUE_CREW" ] || fail "no crew chosen (an earlier test failed)" || return 1
	bg "$out" "$B/dispatch-watch" --json
	pid=$BG
	wait_for "$out.err" '^dispatch-watch: subscribed to ' "$READY_TIMEOUT" ||
		fail "watch never said it was subscribed: $(cat "$out.err")" || return 1
	run desk submit --unit 3-2B --kind cleaning --text "spill in the lobby"
	[ "$RC" = 0 ] || fail "submit exited $RC: $ERR" || return 1
	[[ $OUT =~ ^ticket\ ([0-9]+)\ submitted:\ cleaning\ at\ 3-2B\ -\>\ queued\ for\ $QUEUE_CREW\ \(no\ member\ free\),\ escalated\ to\ ([A-Za-z0-9_-]+) ]] ||
		fail "not queued and escalated: $OUT" || return 1
	QUEUED_TID=${BASH_REMATCH[1]}
	[ "${BASH_REMATCH[2]}" = "$QSUP" ] || fail "escalated to ${BASH_REMATCH[2]}, not the supervisor $QSUP" || return 1
	wait_for "$out" "\"type\":\"escalated\".*\"ticket_id\":$QUEUED_TID," 10 ||
		fail "watch saw no escalation: $(cat "$out")" || return 1
	grep "\"type\":\"escalated\"" "$out" | grep -q "\"member\":\"$QSUP\"" ||
		fail "the escalation is not addressed to $QSUP: $(grep escalated "$out")" || return 1
	kill -TERM "$pid"
	run desk show "$QUEUED_TID"
	printf '%s\n' "$OUT" | grep -q "^ticket $QUEUED_TID: cleaning, new$" || fail "not new: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -Eq "^  [0-9-]+ [0-9:]+  escalated .* to $QSUP" ||
		fail "no escalation in the history: $OUT" || return 1
	run desk list --crew "$QUEUE_CREW"
	printf '%s\n' "$OUT" | grep -Eq "^$QUEUED_TID +new +cleaning .* $QUEUE_CREW +- " ||
		fail "not listed as queued: $OUT" || return 1
	run desk crews --crew "$QUEUE_CREW" --json
	printf '%s\n' "$OUT" | python3 -c 'import json, sys; c = json.load(sys.stdin); assert c[0]["queued"] >= 1, c[0]["queued"]' ||
		fail "crews shows nothing queued: $OUT" || return 1
}

test_assign() {
	[ -n "$QUEUED_TID" ] || fail "no queued ticket (an earlier test failed)" || return 1
	run desk --role monitor assign "$QUEUED_TID" --member "$QMEMBER"
	[ "$RC" = 1 ] || fail "a monitor could assign: exit $RC: $OUT" || return 1
	run desk assign "$QUEUED_TID" --member "$QMEMBER"
	[ "$RC" = 0 ] || fail "assign exited $RC: $ERR" || return 1
	[ "$OUT" = "ticket $QUEUED_TID is now assigned ($QUEUE_CREW/$QMEMBER)" ] || fail "assign said: $OUT" || return 1
	# A supervisor may reassign too.
	run desk --role supervisor --actor "$QSUP" assign "$QUEUED_TID" --member "$QSUP" --note "taking it myself"
	[ "$RC" = 0 ] || fail "the supervisor's reassign exited $RC: $ERR" || return 1
	run desk show "$QUEUED_TID"
	printf '%s\n' "$OUT" | grep -q "^  member     $QSUP$" || fail "not reassigned to $QSUP: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -Eq "^  [0-9-]+ [0-9:]+  assigned +$QSUP \\(supervisor\\)" ||
		fail "the reassignment is not in the history as $QSUP's: $OUT" || return 1
}

test_duty() {
	local out=$TMP/watch-duty.out pid
	[ -n "$FOLLOW_PID" ] || fail "no handheld (an earlier test failed)" || return 1
	bg "$out" "$B/dispatch-watch" --json
	pid=$BG
	wait_for "$out.err" '^dispatch-watch: subscribed to ' "$READY_TIMEOUT" ||
		fail "watch never said it was subscribed: $(cat "$out.err")" || return 1
	run crew --member "$TECH" duty off
	[ "$RC" = 0 ] || fail "duty off exited $RC: $ERR" || return 1
	[ "$OUT" = "$TECH is now off duty" ] || fail "duty off said: $OUT" || return 1
	crews_json || return 1
	[ "$(py "members['$TECH']['duty']")" = off ] || fail "crews shows duty $(py "members['$TECH']['duty']")" || return 1
	[ "$(py "members['$TECH']['available']")" = False ] || fail "off duty but available" || return 1
	run desk explain --unit 12-1A --kind repair --json
	printf '%s\n' "$OUT" | python3 -c 'import json, sys; d = json.load(sys.stdin)[0]; assert d["member"] != sys.argv[1], d' "$TECH" ||
		fail "explain still picks $TECH off duty: $OUT" || return 1
	wait_for "$out" "\"type\":\"duty\".*\"on_duty\":false" 10 || fail "watch saw no duty event: $(cat "$out")" || return 1
	wait_for "$TMP/follow-tech.out" "you are now off duty" 10 ||
		fail "the handheld did not show it: $(cat "$TMP/follow-tech.out")" || return 1
	run crew --member "$TECH" duty on
	[ "$RC" = 0 ] || fail "duty on exited $RC: $ERR" || return 1
	crews_json || return 1
	[ "$(py "members['$TECH']['available']")" = True ] || fail "back on duty but not available" || return 1
	kill -TERM "$pid"
}

test_import_dry_run() {
	local n1 n2
	n1=$(desk list --all --limit 1000 --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
	run desk import --dry-run <<'EOF'
{"unit": "12-1A", "kind": "repair", "text": "would go where?"}
{"unit": "12-1A", "kind": "nonsense", "text": "x"}
EOF
	[ "$RC" = 1 ] || fail "exit $RC with a bad line, expected 1: $OUT $ERR" || return 1
	printf '%s\n' "$OUT" | grep -Eq "^line 1: ok, would go to $REPAIR_CREW/" || fail "line 1: $OUT" || return 1
	printf '%s\n' "$OUT" | tail -n 1 | grep -qx 'import: 2 lines, 1 ok, 1 failed' || fail "summary: $OUT" || return 1
	n2=$(desk list --all --limit 1000 --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
	[ "$n1" = "$n2" ] || fail "a dry run stored a ticket ($n1 -> $n2)" || return 1
}

OUTAGE_ID=""

test_outage() {
	local tid
	run desk outage declare --text "Water is off in block 3 until noon" --building 3 --kind repair \
		--from 2026-11-30T09:00 --until 2026-11-30T12:00
	[ "$RC" = 0 ] || fail "declare exited $RC: $ERR" || return 1
	[[ $OUT =~ ^outage\ ([0-9]+)\ declared:\ Water\ is\ off ]] || fail "declare said: $OUT" || return 1
	OUTAGE_ID=${BASH_REMATCH[1]}
	printf '%s\n' "$OUT" | grep -q '^  area     building 3$' || fail "area: $OUT" || return 1
	run desk submit --unit 3-1A --kind repair --text "no water in the kitchen"
	[ "$RC" = 0 ] || fail "submit exited $RC: $ERR" || return 1
	[[ $OUT =~ ^ticket\ ([0-9]+)\ submitted:\ repair\ at\ 3-1A\ -\>\ attached\ to\ outage\ $OUTAGE_ID,\ no\ crew\ sent ]] ||
		fail "not attached to the outage: $OUT" || return 1
	tid=${BASH_REMATCH[1]}
	# Outside the area: dispatched as usual.
	submit --unit 5-1A --kind repair --text "no water either" || return 1
	run desk outage list --json
	[ "$RC" = 0 ] || fail "outage list exited $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | python3 -c '
import json, sys
o = [x for x in json.load(sys.stdin) if x["id"] == int(sys.argv[1])]
assert o and not o[0]["ended"] and int(sys.argv[2]) in o[0]["tickets"], o' "$OUTAGE_ID" "$tid" ||
		fail "outage list: $OUT" || return 1
	run desk outage list
	printf '%s\n' "$OUT" | grep -Eq "^$OUTAGE_ID +active " || fail "not listed as active: $OUT" || return 1
	run desk outage end "$OUTAGE_ID" --note "water is back"
	[ "$RC" = 0 ] || fail "end exited $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | grep -q "^outage $OUTAGE_ID ended" || fail "end said: $OUT" || return 1
	run desk show "$tid"
	printf '%s\n' "$OUT" | grep -q "^ticket $tid: repair, closed$" || fail "its report is not closed: $OUT" || return 1
	run desk outage list
	printf '%s\n' "$OUT" | grep -Eq "^$OUTAGE_ID " && { fail "an ended outage is listed as current: $OUT"; return 1; }
	run desk outage list --all
	printf '%s\n' "$OUT" | grep -Eq "^$OUTAGE_ID +ended " || fail "not listed with --all: $OUT" || return 1
}

test_overdue() {
	local n
	n=$(desk list --json | python3 -c '
import json, sys
print(sum(1 for t in json.load(sys.stdin) if t["acknowledge_by_ms"] or t["arrive_by_ms"] or t["resolve_by_ms"]))')
	[ "$n" -gt 0 ] || fail "no open ticket has a deadline: do the sample rules set none?" || return 1
	run desk list --overdue --at 2030-01-01T00:00
	[ "$RC" = 0 ] || fail "exit $RC: $ERR" || return 1
	[ "$(printf '%s\n' "$OUT" | grep -Ec '^[0-9]+ ')" = "$n" ] || fail "expected $n overdue a few years on: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -Eq ' (ack|arr|res) -[0-9]' || fail "no overdue deadline shown: $OUT" || return 1
	run desk list --overdue --at 2026-11-30T09:00
	printf '%s\n' "$OUT" | grep -Eq '^[0-9]+ ' && { fail "overdue before the tickets existed: $OUT"; return 1; }
	return 0
}

test_ui_duty_and_presence() {
	local m
	crews_json || return 1
	m=$(py "([m['id'] for c in crews if c['id'] == '$REPAIR_CREW' for m in c['members'] if not m['online'] and m['id'] != c['supervisor']] + [''])[0]")
	[ -n "$m" ] || fail "no offline member left in $REPAIR_CREW" || return 1
	UI_ENV="NO_COLOR=1" ui_start hand 40 20 "$B/dispatch-crew" --member "$m"
	wait_screen hand "^$m " 15 || fail "no UI: $(screen hand; cat "$TMP/hand.err")" || return 1
	crews_json || return 1
	[ "$(py "members['$m']['online']")" = True ] || fail "$m is not online with the UI open" || return 1
	# Following the calendar, 'd' first says the opposite of the shift.
	local first=OFF second=ON
	[ "$(py "members['$m']['on_shift']")" = True ] || { first=ON; second=OFF; }
	tm send-keys -t hand d
	wait_screen hand "go ${first,,} duty\\? y: yes" 5 || fail "no duty question after 'd': $(screen hand)" || return 1
	tm send-keys -t hand y
	wait_screen hand "$first DUTY" 10 || fail "no $first DUTY after 'd': $(screen hand)" || return 1
	crews_json || return 1
	[ "$(py "members['$m']['duty']")" = "${first,,}" ] ||
		fail "crews shows duty $(py "members['$m']['duty']")" || return 1
	tm send-keys -t hand d y
	wait_screen hand "$second DUTY" 10 || fail "no $second DUTY after 'd' again: $(screen hand)" || return 1
	tm send-keys -t hand q
	ui_exit hand 10 || fail "the UI did not quit" || return 1
	[ "$UI_RC" = 0 ] || fail "the UI exited $UI_RC: $(cat "$TMP/hand.err")" || return 1
}

test_summary_shows_escalations() {
	ui_start summary 80 30 "$B/dispatch-watch" --summary
	wait_screen summary 'live summary' 15 || fail "no summary: $(cat "$TMP/summary.err")" || return 1
	run desk submit --unit 3-3C --kind cleaning --text "another spill"
	[ "$RC" = 0 ] || fail "submit exited $RC: $ERR" || return 1
	wait_screen summary "^ESCALATIONS \\([1-9]" 10 || fail "no escalation shown: $(screen summary)" || return 1
	screen summary | grep -Eq "#[0-9]+ cleaning 3-3C -> $QSUP" || fail "escalation line: $(screen summary)" || return 1
	tm send-keys -t summary q
	ui_exit summary 10 || fail "the summary did not quit" || return 1
}

setup

t "crews: every member offline and never seen before any handheld" test_crews_before_any_handheld
t "explain with nobody online: queued, escalated, nothing stored" test_explain_nobody_online
t "a handheld's ping makes its member online and available" test_handheld_makes_member_online
t "explain and submit pick the online member; the handheld hears of it" test_explain_and_submit_to_online_member
t "nobody online: queued for the crew, escalated to its supervisor" test_queued_and_escalated
t "assign: desk and supervisor may, a monitor may not" test_assign
t "duty off/on: shown in crews, explain, watch and the handheld" test_duty
t "import --dry-run explains each line and stores nothing" test_import_dry_run
t "outage: declare, a report attaches, list, end closes it" test_outage
t "list --overdue by the tickets' deadlines" test_overdue
t "the handheld UI keeps its member online; 'd' toggles duty" test_ui_duty_and_presence
t "watch --summary shows escalations" test_summary_shows_escalations

finish
