#!/usr/bin/env bash
# run.sh: black-box integration tests. Starts the real dispatchd in a fresh
# temporary directory on ipc endpoints and drives it with the real client
# programs, as an operator and a crew member would.
#
# Each test is a function; the script prints "ok - name" or
# "not ok - name: reason", then "N passed, M failed", and exits non-zero if
# any failed. Every wait is bounded; every process started here is killed
# on exit. KEEP=1 keeps the temporary directory for a post-mortem;
# DISPATCHD_WRAP="valgrind -q" (say) runs the daemon under a tool;
# BUILD=dir takes the programs from dir instead of build/.
set -u

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# ---- tests ------------------------------------------------------------------

LIFE_ID=""

test_lifecycle() {
	local follow want got
	# Started before anything exists: on a fresh daemon every technical
	# member has 0 open tickets and T07 comes first in the configuration.
	follow=$TMP/follow.out
	bg "$follow" "$B/dispatch-crew" --member T07 follow
	FOLLOW_PID=$BG
	wait_for "$follow" 'waiting for new assignments' "$READY_TIMEOUT" ||
		fail "follow did not start: $(cat "$follow.err")" || return 1
	bg "$TMP/watch.json" "$B/dispatch-watch" --json --from-seq 1 --count 7
	WATCH_PID=$BG

	submit --unit 12-1A --kind repair --source intercom --text "basement lights out" || return 1
	LIFE_ID=$TID
	[ "$TCREW/$TMEMBER" = technical/T07 ] ||
		fail "repair went to $TCREW/$TMEMBER, expected technical/T07" || return 1
	wait_for "$follow" "NEW ASSIGNMENT \\*\\*\\* ticket $TID:" 10 ||
		fail "follow did not print the assignment: $(cat "$follow")" || return 1

	run crew --member T07 accept "$TID"
	[ "$RC" = 0 ] || fail "accept exited $RC: $ERR" || return 1
	run crew --member T07 arrive "$TID" --note "at the switchboard"
	[ "$RC" = 0 ] || fail "arrive exited $RC: $ERR" || return 1
	run crew --member T07 resolve "$TID" --note "breaker replaced"
	[ "$RC" = 0 ] || fail "resolve exited $RC: $ERR" || return 1
	# the repair rule wants the call back before closing
	run desk close "$TID"
	[ "$RC" = 1 ] || fail "closed before the follow-up: exit $RC: $OUT" || return 1
	[[ $ERR == *"needs a follow-up call"* ]] || fail "close refused with: $ERR" || return 1
	run desk follow-up "$TID" --score 5 --remark "resident satisfied"
	[ "$RC" = 0 ] || fail "follow-up exited $RC: $ERR" || return 1
	run desk close "$TID" --note "resident satisfied"
	[ "$RC" = 0 ] || fail "close exited $RC: $ERR" || return 1
	[[ $OUT == *"is now closed"* ]] || fail "close said: $OUT" || return 1

	# The follower sees the later events of its ticket too.
	wait_for "$follow" "ticket $TID resolved" 10 ||
		fail "follow did not print the resolution: $(cat "$follow")" || return 1

	run desk show "$TID"
	[ "$RC" = 0 ] || fail "show exited $RC: $ERR" || return 1
	got=$(printf '%s\n' "$OUT" | history_events | paste -sd,)
	want="submitted,assigned,accepted,on site,resolved,followed up,closed"
	[ "$got" = "$want" ] || fail "history is [$got], expected [$want]" || return 1
	printf '%s\n' "$OUT" | grep -Eq '^  [0-9-]+ [0-9:]+  submitted +it-desk \(desk\)' ||
		fail "submitted is not by it-desk (desk)" || return 1
	for e in accepted "on site" resolved; do
		printf '%s\n' "$OUT" | grep -Eq "^  [0-9-]+ [0-9:]+  $e +T07 \\(crew\\)" ||
			fail "$e is not by T07 (crew)" || return 1
	done
	printf '%s\n' "$OUT" | grep -Eq '^  [0-9-]+ [0-9:]+  closed +it-desk \(desk\) +resolved -> closed' ||
		fail "closed is not by it-desk (desk) from resolved" || return 1
	printf '%s\n' "$OUT" | grep -q 'note "breaker replaced"' ||
		fail "the resolve note is not in the history" || return 1
}

test_follow_stops_on_sigterm() {
	[ -n "${FOLLOW_PID:-}" ] || fail "no follow process (lifecycle failed)" || return 1
	kill -TERM "$FOLLOW_PID"
	wait_gone "$FOLLOW_PID" 5 || fail "follow still running 5 s after SIGTERM" || return 1
	wait "$FOLLOW_PID"
	local rc=$?
	[ "$rc" = 0 ] || fail "follow exited $rc after SIGTERM: $(tail -n 3 "$TMP/follow.out.err")" || return 1
}

test_watch_json() {
	[ -n "${WATCH_PID:-}" ] || fail "no watch process (lifecycle failed)" || return 1
	wait_gone "$WATCH_PID" 15 || fail "watch --count 7 still running: $(cat "$TMP/watch.json")" || return 1
	wait "$WATCH_PID"
	local rc=$?
	[ "$rc" = 0 ] || fail "watch exited $rc: $(cat "$TMP/watch.json.err")" || return 1
	python3 - "$TMP/watch.json" "$LIFE_ID" <<'EOF' >"$TMP/py.err" 2>&1 || fail "$(tail -n 1 "$TMP/py.err")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
want = ["submitted", "assigned", "accepted", "on site", "resolved", "followed up", "closed"]
assert len(lines) == len(want), "expected %d lines, got %d" % (len(want), len(lines))
events = [json.loads(l) for l in lines]
got = [e["type"] for e in events]
assert got == want, "types %s" % got
seqs = [e["seq"] for e in events]
assert seqs == list(range(1, 8)), "seqs %s" % seqs
assert all(e["ticket_id"] == int(sys.argv[2]) for e in events), "ticket ids differ"
assert events[1]["member"] == "T07" and events[1]["crew"] == "technical", "assigned to %r" % events[1]
assert events[2]["actor"] == "T07", "accepted by %r" % events[2]["actor"]
EOF
}

test_watch_from_seq() {
	# Pure replay from the event log, then exit.
	run timeout -k 2 "$CMD_TIMEOUT" "$B/dispatch-watch" --json --from-seq 2 --count 4
	[ "$RC" = 0 ] || fail "exit $RC: $ERR" || return 1
	local seqs
	seqs=$(printf '%s\n' "$OUT" | python3 -c 'import json, sys; print(",".join(str(json.loads(l)["seq"]) for l in sys.stdin))') ||
		fail "output is not JSON lines: $OUT" || return 1
	[ "$seqs" = "2,3,4,5" ] || fail "seqs [$seqs], expected [2,3,4,5]" || return 1
}

test_watch_live() {
	# A text-mode monitor started now sees only what happens from now on.
	local out=$TMP/watch-live.out
	bg "$out" "$B/dispatch-watch" --count 2
	local pid=$BG
	wait_for "$out.err" '^dispatch-watch: subscribed to ' "$READY_TIMEOUT" ||
		fail "watch never said it was subscribed: $(cat "$out.err")" || return 1
	submit --unit 3-2B --kind cleaning --text "spill in the lobby" || return 1
	wait_gone "$pid" 15 || fail "watch --count 2 still running: $(cat "$out")" || return 1
	wait "$pid" || fail "watch exited $?: $(cat "$out.err")" || return 1
	# nobody in cleaning has a handheld on: routed to the crew's queue
	if ! grep -Eq "submitted +ticket $TID " "$out" || ! grep -Eq "(assigned|queued) +ticket $TID .*cleaning" "$out"; then
		fail "watch printed: $(cat "$out")"
	fi
}

test_restart_keeps_everything() {
	local before after follow=$TMP/follow-s01.out watch=$TMP/watch-restart.out fpid wpid
	before=$(desk show "$LIFE_ID" --json) || fail "show before restart failed" || return 1
	# Clients that live through the restart: a handheld and a monitor.
	bg "$follow" "$B/dispatch-crew" --member S01 follow
	fpid=$BG
	wait_for "$follow" 'waiting for new assignments' "$READY_TIMEOUT" ||
		fail "follow S01 did not start: $(cat "$follow.err")" || return 1
	bg "$watch" "$B/dispatch-watch" --count 2
	wpid=$BG
	wait_for "$watch.err" '^dispatch-watch: subscribed to ' "$READY_TIMEOUT" ||
		fail "watch never said it was subscribed: $(cat "$watch.err")" || return 1

	stop_daemon
	[ "$DAEMON_RC" = 0 ] || fail "dispatchd exited $DAEMON_RC on SIGTERM" || return 1
	start_daemon || fail "dispatchd did not restart" || return 1
	after=$(desk show "$LIFE_ID" --json) || fail "show after restart failed" || return 1
	[ "$before" = "$after" ] || fail "ticket $LIFE_ID changed across the restart" || return 1
	local last=$TID
	# Submitted at once: the clients may not have reconnected yet, so the
	# monitor must replay and the handheld must fetch again.
	submit --unit 7-3C --kind security --text "gate left open" || return 1
	[ "$TID" -gt "$last" ] || fail "new ticket id $TID is not larger than $last" || return 1
	[ "$TCREW/$TMEMBER" = security/S01 ] ||
		fail "first security ticket went to $TCREW/$TMEMBER, expected security/S01" || return 1
	wait_for "$follow" "ticket ${TID}[: ]" 15 ||
		fail "follow S01 missed ticket $TID across the restart: $(cat "$follow")" || return 1
	wait_gone "$wpid" 15 || fail "watch missed events across the restart: $(cat "$watch")" || return 1
	if ! grep -Eq "submitted +ticket $TID " "$watch" || ! grep -Eq "assigned +ticket $TID " "$watch"; then
		fail "watch printed: $(cat "$watch")"
		return 1
	fi
	kill -TERM "$fpid"
	wait_gone "$fpid" 5 || fail "follow S01 did not stop" || return 1
}

test_idempotent_request_id() {
	local id1 id2 n1 n2 rid=it-fixed-$$
	run raw --request-id "$rid"
	[ "$RC" = 0 ] || fail "first raw exited $RC: $ERR" || return 1
	[ "$(raw_field status)" = STATUS_OK ] || fail "first: $OUT" || return 1
	[ "$(raw_field request_id)" = "$rid" ] || fail "reply does not echo the request id: $OUT" || return 1
	id1=$(raw_field ticket)
	n1=$(ticket_count)
	run raw --request-id "$rid"
	[ "$RC" = 0 ] || fail "second raw exited $RC: $ERR" || return 1
	[ "$(raw_field status)" = STATUS_OK ] || fail "second: $OUT" || return 1
	id2=$(raw_field ticket)
	n2=$(ticket_count)
	[ -n "$id1" ] && [ "$id1" = "$id2" ] || fail "ticket ids differ: '$id1' then '$id2'" || return 1
	[ "$n1" = "$n2" ] || fail "ticket count grew from $n1 to $n2" || return 1
}

# still_serves: a normal submit works after a bad request.
SERVES=0
still_serves() {
	# a new unit each time: the same report twice would be linked as a duplicate
	SERVES=$((SERVES + 1))
	submit --unit "88-${SERVES}S" --kind repair --text "after bad input" ||
		fail "daemon no longer serves after $1: $REASON"
}

test_bad_input() {
	local n1 n2
	n1=$(ticket_count)
	run raw --garbage
	[ "$RC" = 0 ] || fail "garbage: raw exited $RC: $ERR" || return 1
	[ "$(raw_field status)" = STATUS_INVALID ] || fail "garbage: $OUT" || return 1
	run raw --kind 99
	[ "$(raw_field status)" = STATUS_INVALID ] || fail "kind 99: $OUT" || return 1
	[[ $(raw_field field) == *kind* ]] || fail "kind 99: field is '$(raw_field field)'" || return 1
	run raw --version 7
	[ "$(raw_field status)" = STATUS_UNSUPPORTED_VERSION ] || fail "version 7: $OUT" || return 1
	[[ $(raw_field message) == *version* ]] || fail "version 7: message '$(raw_field message)'" || return 1
	run raw --no-body
	[ "$(raw_field status)" = STATUS_INVALID ] || fail "no body: $OUT" || return 1
	n2=$(ticket_count)
	[ "$n1" = "$n2" ] || fail "bad requests changed the ticket count from $n1 to $n2" || return 1
	still_serves "bad requests" || return 1
	# What the desk can check itself never reaches the daemon: usage error.
	run desk submit --unit "" --kind repair --text x
	[ "$RC" = 2 ] || fail "empty --unit: exit $RC, expected usage error 2" || return 1
}

test_bad_transition() {
	local before after member
	# a handheld must be on for the ticket to be assigned rather than queued
	bg "$TMP/follow.bad.out" "$B/dispatch-crew" --member T07 follow
	wait_for "$TMP/follow.bad.out" 'waiting for new assignments' "$READY_TIMEOUT" ||
		fail "follow did not start: $(cat "$TMP/follow.bad.out.err")" || return 1
	submit --unit 8-8A --kind repair --text "dripping tap" || return 1
	member=$TMEMBER
	[ -n "$member" ] || fail "the ticket was queued although T07 is online: $OUT" || return 1
	# JSON: the text counts deadlines down by the second.
	before=$(desk show "$TID" --json)
	run crew --member "$member" resolve "$TID"
	[ "$RC" = 1 ] || fail "resolve of an assigned ticket: exit $RC, expected 1" || return 1
	[[ $ERR == dispatch-crew:* ]] || fail "no error line: '$ERR'" || return 1
	after=$(desk show "$TID" --json)
	[ "$before" = "$after" ] || fail "the refused resolve changed the ticket" || return 1
	desk show "$TID" | grep -q "^ticket $TID: repair, assigned$" ||
		fail "ticket is not assigned any more" || return 1
	# Someone else's ticket.
	local other=T08
	[ "$member" = T08 ] && other=T12
	run crew --member "$other" accept "$TID"
	[ "$RC" = 1 ] || fail "accept by $other of $member's ticket: exit $RC, expected 1" || return 1
	[ "$before" = "$(desk show "$TID" --json)" ] || fail "the refused accept changed the ticket" || return 1
}

test_unknown_ticket() {
	run desk show 999999
	[ "$RC" = 1 ] || fail "exit $RC, expected 1" || return 1
	[[ $ERR == "dispatch-desk: "*"no such ticket"* ]] || fail "stderr: '$ERR'" || return 1
	run crew --member T07 accept 999999
	[ "$RC" = 1 ] || fail "crew accept: exit $RC, expected 1" || return 1
	[[ $ERR == *"no such ticket"* ]] || fail "crew stderr: '$ERR'" || return 1
}

test_unknown_member() {
	run crew --member X99 follow
	[ "$RC" = 1 ] || fail "exit $RC, expected 1 ($ERR)" || return 1
	[[ $ERR == dispatch-crew:* ]] || fail "stderr: '$ERR'" || return 1
}

test_cancel() {
	submit --unit 5-1D --kind security --text "stranger at the car park" || return 1
	[ "$TCREW" = security ] || fail "security ticket went to $TCREW" || return 1
	run desk cancel "$TID"
	[ "$RC" = 2 ] || [ "$RC" = 1 ] || fail "cancel without --reason: exit $RC" || return 1
	run desk cancel "$TID" --reason "resident called back: false alarm"
	[ "$RC" = 0 ] || fail "cancel exited $RC: $ERR" || return 1
	run desk show "$TID"
	printf '%s\n' "$OUT" | grep -q "^ticket $TID: security, cancelled$" ||
		fail "not cancelled: $OUT" || return 1
	printf '%s\n' "$OUT" | history_events | tail -n 1 | grep -qx cancelled ||
		fail "last history event is not cancelled" || return 1
	printf '%s\n' "$OUT" | grep -q "false alarm" || fail "reason not shown" || return 1
	run desk list
	printf '%s\n' "$OUT" | grep -Eq "^$TID " && { fail "cancelled ticket still listed as open"; return 1; }
	return 0
}

test_list() {
	run desk list --crew technical
	[ "$RC" = 0 ] || fail "exit $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | head -n 1 | grep -q '^ID ' || fail "no header: $OUT" || return 1
	# Columns by the header's positions: a state such as "on site" has a blank.
	printf '%s\n' "$OUT" | awk 'NR == 1 { c = index($0, "CREW "); next }
		{ crew = substr($0, c); sub(/ .*/, "", crew); if (crew != "technical") bad = 1 }
		END { exit bad }' ||
		fail "list --crew technical shows other crews: $OUT" || return 1
}

test_list_all() {
	# LIFE_ID is closed, so only --all shows it.
	run desk list
	[ "$RC" = 0 ] || fail "list exited $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | grep -Eq "^$LIFE_ID +closed " && { fail "closed ticket listed as open"; return 1; }
	run desk list --all
	[ "$RC" = 0 ] || fail "list --all exited $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | grep -Eq "^$LIFE_ID +closed " || fail "closed ticket $LIFE_ID missing: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -Eq "^[0-9]+ +cancelled " || fail "no cancelled ticket: $OUT" || return 1
}

test_unreachable() {
	local start elapsed
	start=$(date +%s)
	DISPATCH_ENDPOINT=ipc://$TMP/nobody-listens run desk ping
	elapsed=$(($(date +%s) - start))
	[ "$RC" = 3 ] || fail "exit $RC, expected 3" || return 1
	[[ $ERR == *"not reachable at ipc://$TMP/nobody-listens after 3 tries"* ]] ||
		fail "stderr: '$ERR'" || return 1
	[ "$elapsed" -le 15 ] || fail "took ${elapsed}s" || return 1
}

test_help() {
	local p
	for p in dispatch-desk dispatch-crew dispatch-watch dispatch-raw client-example dc-selftest; do
		timeout 10 "$B/$p" --help >"$TMP/help.out" 2>&1 || fail "$p --help exited $?" || return 1
		grep -q usage "$TMP/help.out" || fail "$p --help prints no usage" || return 1
	done
	timeout 10 "$B/dispatch-desk" --no-such-option >/dev/null 2>&1
	[ $? = 2 ] || fail "unknown option is not exit 2" || return 1
}

test_ping() {
	run timeout 10 "$B/client-example"
	[ "$RC" = 0 ] || fail "client-example exited $RC: $ERR" || return 1
	[[ $OUT == *"estate: Harbour View Gardens"* ]] || fail "client-example said: $OUT" || return 1
}

# ---- the clients people work in all day (issue 6) -----------------------------

watch() { timeout -k 2 "$CMD_TIMEOUT" "$B/dispatch-watch" "$@"; }

# open_count MEMBER: the member's open assignments.
open_count() {
	desk list --member "$1" --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

# next_member M1 M2...: the member of one crew the next ticket goes to:
# the fewest open assignments, ties in the order given (the file's).
next_member() {
	local m n best="" best_n=""
	for m in "$@"; do
		n=$(open_count "$m") || return 1
		if [ -z "$best_n" ] || [ "$n" -lt "$best_n" ]; then
			best=$m
			best_n=$n
		fi
	done
	echo "$best"
}

test_selftest() {
	run timeout 10 "$B/dc-selftest"
	[ "$RC" = 0 ] || fail "$OUT" || return 1
}

test_import() {
	local n1 n2 id1 f=$TMP/import.ndjson
	cat >"$f" <<'EOF'
{"unit": "4-2A", "kind": "repair", "text": "熱水爐壞了 water heater", "person": "陳大文", "source": "intercom", "priority": 2, "tags": ["water"], "request_id": "it-import-1"}
this is not json

{"unit": "4-2B", "kind": "plumbing", "text": "x"}
{"unit": "4-2C", "text": "no kind"}
{"unit": "4-2D", "kind": "cleaning", "text": "lobby", "colour": "red"}
{"unit": "4-2E", "kind": "cleaning", "text": "stairs", "category": "stairwell"}
EOF
	n1=$(ticket_count)
	run desk import "$f"
	[ "$RC" = 1 ] || fail "exit $RC with bad lines, expected 1: $OUT $ERR" || return 1
	printf '%s\n' "$OUT" | grep -Eq '^line 1: ticket [0-9]+ submitted: repair at 4-2A -> technical/' ||
		fail "line 1 not reported as submitted: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -q '^line 2: failed: not JSON' || fail "line 2: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -q '^line 3' && { fail "a blank line was reported: $OUT"; return 1; }
	printf '%s\n' "$OUT" | grep -q '^line 4: failed: unknown kind "plumbing"' || fail "line 4: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -q '^line 5: failed: "kind" is missing' || fail "line 5: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -q '^line 6: failed: unknown key "colour"' || fail "line 6: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -Eq '^line 7: ticket [0-9]+ submitted: cleaning at 4-2E' ||
		fail "the import stopped at a bad line: $OUT" || return 1
	printf '%s\n' "$OUT" | tail -n 1 | grep -qx 'import: 6 lines, 2 submitted, 4 failed' ||
		fail "summary: $(printf '%s\n' "$OUT" | tail -n 1)" || return 1
	n2=$(ticket_count)
	[ "$n2" = $((n1 + 2)) ] || fail "open tickets went from $n1 to $n2, expected +2" || return 1
	id1=$(printf '%s\n' "$OUT" | sed -n 's/^line 1: ticket \([0-9]*\) .*/\1/p')
	run desk show "$id1"
	printf '%s\n' "$OUT" | grep -q '^  person     陳大文$' || fail "person not kept: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -q '^  source     intercom$' || fail "source not kept: $OUT" || return 1

	# The same request_id again, from stdin and as JSON: the same ticket.
	head -n 1 "$f" | desk import --json >"$TMP/out" 2>"$TMP/err"
	RC=$?
	[ "$RC" = 0 ] || fail "re-import exited $RC: $(cat "$TMP/err")" || return 1
	python3 - "$TMP/out" "$id1" <<'EOF' >"$TMP/py.err" 2>&1 || fail "$(tail -n 1 "$TMP/py.err")" || return 1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 2, "expected a result and a summary, got %r" % lines
assert lines[0]["line"] == 1 and lines[0]["ok"] is True, lines[0]
assert lines[0]["ticket"]["id"] == int(sys.argv[2]), "a second ticket: %r" % lines[0]["ticket"]["id"]
assert lines[1]["summary"] == {"lines": 1, "submitted": 1, "failed": 0, "stopped": False}, lines[1]
EOF
	[ "$(ticket_count)" = "$n2" ] || fail "re-import made a second ticket" || return 1
	run desk import "$TMP/no-such-file"
	[ "$RC" = 2 ] || fail "missing file: exit $RC, expected 2" || return 1
	# No daemon: the first line waits out the retries, then the import
	# stops rather than wait as long again for every later line.
	{ tail -n 1 "$f"; tail -n 1 "$f"; } >"$TMP/two.ndjson"
	DISPATCH_ENDPOINT=ipc://$TMP/nobody-listens run desk import "$TMP/two.ndjson"
	[ "$RC" = 3 ] || fail "unreachable: exit $RC, expected 3: $OUT" || return 1
	printf '%s\n' "$OUT" | tail -n 1 | grep -q 'stopped: the daemon is unreachable' ||
		fail "unreachable: $OUT" || return 1
	[ "$(printf '%s\n' "$OUT" | grep -c '^line ')" = 1 ] || fail "went on after the daemon was unreachable: $OUT" || return 1
}

test_list_filters() {
	local tid
	follow C02 || return 1 # on shift on a Monday morning: the cleaning ticket goes to C02
	submit --unit 9-9Z --kind cleaning --text "filter me" || return 1
	tid=$TID
	run desk list --kind cleaning --json
	[ "$RC" = 0 ] || fail "list --json exited $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert t and all(x["kind"] == "cleaning" for x in t), [x["kind"] for x in t]
assert '"$tid"' in [x["id"] for x in t], "ticket missing"
assert all("overdue" in x for x in t), "no overdue flag"
' 2>"$TMP/py.err" || fail "list --kind cleaning --json: $(tail -n 1 "$TMP/py.err")" || return 1
	run desk list --unit '9-*'
	[ "$RC" = 0 ] || fail "list --unit exited $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | awk 'NR == 1 { c = index($0, "UNIT "); next }
		{ u = substr($0, c); sub(/ .*/, "", u); if (u !~ /^9-/) bad = 1 }
		END { exit bad }' || fail "list --unit 9-* shows other units: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -Eq "^$tid +assigned +cleaning " || fail "9-9Z missing: $OUT" || return 1
	run desk list --overdue
	[ "$RC" = 0 ] || fail "list --overdue exited $RC: $ERR" || return 1
	run desk list --at 12:00
	[ "$RC" = 2 ] || fail "--at without --overdue: exit $RC, expected 2" || return 1
	run desk list --kind plumbing
	[ "$RC" = 2 ] || fail "unknown kind: exit $RC, expected 2" || return 1
}

test_show_json() {
	run desk show "$LIFE_ID" --json
	[ "$RC" = 0 ] || fail "exit $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["ticket"]["id"] == '"$LIFE_ID"', j["ticket"]["id"]
got = [e["type"] for e in j["history"]]
assert got[:2] == ["submitted", "assigned"] and got[-1] == "closed", got
' 2>"$TMP/py.err" || fail "$(tail -n 1 "$TMP/py.err")" || return 1
}

test_utf8_width() {
	# 40 Chinese characters are 80 columns: the table cuts the text to
	# 60 columns by display width, never inside a character.
	local text="住戶報告地下停車場的燈全部不亮請盡快派技術員檢查電箱住戶報告地下停車場的燈全部不亮"
	submit --unit 6-1A --kind repair --text "$text" --person "李小龍" || return 1
	run desk list --unit 6-1A
	[ "$RC" = 0 ] || fail "exit $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | python3 -c '
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = sys.stdin.read().splitlines()
head, row = lines[0], lines[1]
col = head.index("TEXT")
assert width(row[:row.index("住")]) == col, "TEXT column at %d, text at %d" % (col, width(row[:row.index("住")]))
# 59 when the 60th column would split a wide character
assert width(row) - col in (59, 60) and row.endswith("~"), "text is %d columns: %r" % (width(row) - col, row[col:])
' 2>"$TMP/py.err" || fail "$(tail -n 1 "$TMP/py.err")" || return 1
}

test_color_only_on_terminal() {
	run desk list --color always
	[[ $OUT == *$'\e['* ]] || fail "--color always printed no colour" || return 1
	run desk list
	[[ $OUT == *$'\e'* ]] && { fail "colour codes in a pipe"; return 1; }
	ui_start colour 100 10 "$B/dispatch-desk" list --unit '9-*'
	wait_screen colour '^ID ' 10 || fail "desk list on a terminal printed nothing: $(screen colour)" || return 1
	screen_attrs colour | grep -q $'\e\\[' || fail "no colour on a terminal" || return 1
	UI_ENV="NO_COLOR=1" ui_start nocolour 100 10 "$B/dispatch-desk" list --unit '9-*'
	wait_screen nocolour '^ID ' 10 || fail "desk list with NO_COLOR printed nothing" || return 1
	screen_attrs nocolour | grep -q $'\e\\[' && { fail "colour despite NO_COLOR: $(screen_attrs nocolour | cat -v)"; return 1; }
	return 0
}

test_usage_errors() {
	local c
	for c in "outage declare --text x --building 3" "outage declare --until 12:00 --building 3" \
		"outage declare --text x --until 12:00" "outage declare --text x --building 3 --until 25:00" \
		"assign 5" "explain --unit 1-1A" "show 5 --crew x" "outage frobnicate" "import a b"; do
		# shellcheck disable=SC2086 # the words of each case
		run desk $c
		[ "$RC" = 2 ] || fail "desk $c: exit $RC, expected 2 ($ERR)" || return 1
	done
	# The procedure's commands: what the command line alone can tell.
	for c in "follow-up 1" "follow-up 1 --score 6" "follow-up 1 --score 0" "hold 1" \
		"hold 1 --reason lunch" "hold 1 --reason consent" "hold 1 --reason other" "inspect 1" \
		"inspect 1 --pass --fail" "inspect 1 --fail" "vendor-flag 1" "vendor-review 1" "notice" \
		"notice --text x --kind party" "close 1 --cause x" "resolve 1 --charged -5"; do
		# shellcheck disable=SC2086 # the words of each case
		run desk $c
		[ "$RC" = 2 ] || fail "desk $c: exit $RC, expected 2 ($ERR)" || return 1
	done
	for c in 3.505 -350 abc 350. 1e3 12345678901; do
		run desk submit --unit 1-1A --kind special --text x --fee "$c"
		[ "$RC" = 2 ] && [[ $ERR == *"HK dollars"* ]] || fail "--fee $c: exit $RC: $ERR" || return 1
	done
	run desk submit --unit 1-1A --kind repair --text x --fee 350
	[ "$RC" = 2 ] && [[ $ERR == *"special"* ]] || fail "--fee on a repair: exit $RC: $ERR" || return 1
	run crew --member T07 duty maybe
	[ "$RC" = 2 ] || fail "duty maybe: exit $RC, expected 2" || return 1
	run crew --member T07 </dev/null
	[ "$RC" = 2 ] && [[ $ERR == *terminal* ]] || fail "no command off a terminal: exit $RC: $ERR" || return 1
	run watch --summary </dev/null
	[ "$RC" = 2 ] || fail "watch --summary off a terminal: exit $RC, expected 2" || return 1
}

test_man_pages() {
	local m warn
	[ -n "${MANPAGES:-}" ] || MANPAGES="clients/man/dispatch-desk.1 clients/man/dispatch-crew.1 clients/man/dispatch-watch.1"
	for m in $MANPAGES; do
		[ -f "$ROOT/$m" ] || fail "$m is missing" || return 1
		warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$ROOT/$m" 2>&1)
		[ -z "$warn" ] || fail "$m: $warn" || return 1
		grep -q '^\.SH EXIT STATUS' "$ROOT/$m" ||
			fail "$m has no EXIT STATUS section" || return 1
	done
}

UI_MEMBER=""
UI_TID=""

test_crew_ui() {
	local b0 tid s
	UI_MEMBER=$(next_member K01 K02) || fail "cannot count open assignments" || return 1
	UI_ENV="NO_COLOR=1" ui_start hand 40 20 "$B/dispatch-crew" --member "$UI_MEMBER"
	wait_screen hand "^$UI_MEMBER " 15 || fail "no header: $(screen hand; cat "$TMP/hand.err")" || return 1
	b0=$(bells)
	submit --unit 2A-1B --kind inquiry --text "住戶查詢管理費 fee question" || return 1
	tid=$TID
	UI_TID=$tid
	[ "$TMEMBER" = "$UI_MEMBER" ] || fail "inquiry went to $TMEMBER, not $UI_MEMBER" || return 1
	wait_screen hand "^>?#$tid NEW 2A-1B" 10 || fail "no new assignment line: $(screen hand)" || return 1
	s=$(screen hand)
	printf '%s\n' "$s" | grep -q "住戶查詢管理費" || fail "the Chinese text is not shown: $s" || return 1
	printf '%s\n' "$s" | grep -q "NEW ASSIGNMENT: #$tid inquiry 2A-1B" ||
		fail "no new-assignment notice: $s" || return 1
	# Highlighted: reverse video on the ticket's line (no colour: NO_COLOR).
	screen_attrs hand | grep "#$tid NEW" | grep -q $'\e\\[[0-9;]*7m' ||
		fail "the new line is not highlighted: $(screen_attrs hand | grep "#$tid" | cat -v)" || return 1
	local tries=30
	while [ "$(bells)" -le "$b0" ] && [ $tries -gt 0 ]; do
		sleep 0.1
		tries=$((tries - 1))
	done
	[ "$(bells)" -gt "$b0" ] || fail "no bell rang" || return 1
	# Every line fits 40 columns (a wide character never overflows).
	screen hand | python3 -c '
import sys, unicodedata
for l in sys.stdin.read().splitlines():
    w = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in l)
    assert w <= 40, "%d columns: %r" % (w, l)
' 2>"$TMP/py.err" || fail "$(tail -n 1 "$TMP/py.err")" || return 1

	tm send-keys -t hand a
	wait_screen hand "#$tid accepted 2A-1B" 10 || fail "not accepted after 'a': $(screen hand)" || return 1
	screen_attrs hand | grep "#$tid accepted" | grep -q $'\e\\[[0-9;]*7m' &&
		{ fail "still highlighted after accepting"; return 1; }
	run desk show "$tid"
	printf '%s\n' "$OUT" | grep -q "^ticket $tid: inquiry, accepted$" || fail "daemon says: $OUT" || return 1
	return 0
}

test_crew_ui_resolve() {
	[ -n "$UI_TID" ] || fail "no UI (the previous test failed)" || return 1
	tm send-keys -t hand r
	wait_screen hand "#$UI_TID on site" 10 || fail "not on site after 'r': $(screen hand)" || return 1
	tm send-keys -t hand s
	wait_screen hand "^note #$UI_TID:" 5 || fail "no note prompt after 's': $(screen hand)" || return 1
	tm send-keys -t hand -l "已回覆住戶 answered"
	tm send-keys -t hand Enter
	# Then the parts used: Enter alone for none.
	wait_screen hand "^parts #$UI_TID:" 5 || fail "no parts prompt after the note: $(screen hand)" || return 1
	tm send-keys -t hand Enter
	wait_screen hand "ticket $UI_TID is now resolved" 10 || fail "not resolved: $(screen hand)" || return 1
	run desk show "$UI_TID"
	printf '%s\n' "$OUT" | grep -q "^ticket $UI_TID: inquiry, resolved$" || fail "daemon says: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -q 'note "已回覆住戶 answered"' || fail "note not kept: $OUT" || return 1
	# Closed, so that the member is again the one with the fewest open.
	run desk close "$UI_TID"
	[ "$RC" = 0 ] || fail "close exited $RC: $ERR" || return 1
}

test_crew_ui_resync() {
	[ -n "$UI_MEMBER" ] || fail "no UI (an earlier test failed)" || return 1
	stop_daemon
	[ "$DAEMON_RC" = 0 ] || fail "dispatchd exited $DAEMON_RC on SIGTERM" || return 1
	start_daemon || fail "dispatchd did not restart" || return 1
	# At once: the handheld may not have reconnected yet; it must find
	# the assignment by fetching again.
	submit --unit 2A-1C --kind inquiry --text "after the restart" || return 1
	[ "$TMEMBER" = "$UI_MEMBER" ] || fail "inquiry went to $TMEMBER, not $UI_MEMBER" || return 1
	wait_screen hand "#$TID NEW 2A-1C" 15 || fail "the UI missed ticket $TID: $(screen hand)" || return 1
	tm send-keys -t hand q
	ui_exit hand 10 || fail "the UI did not quit on 'q'" || return 1
	[ "$UI_RC" = 0 ] || fail "the UI exited $UI_RC: $(cat "$TMP/hand.err")" || return 1
	[ ! -s "$TMP/hand.err" ] || fail "the UI wrote to stderr: $(cat "$TMP/hand.err")" || return 1
}

test_watch_summary() {
	local tid before
	ui_start summary 80 24 "$B/dispatch-watch" --summary
	wait_screen summary 'live summary' 15 || fail "no summary: $(screen summary; cat "$TMP/summary.err")" || return 1
	wait_screen summary '^CREW ' 5 || fail "no crew table: $(screen summary)" || return 1
	submit --unit 11-3F --kind security --text "suspicious parcel" || return 1
	tid=$TID
	wait_screen summary "assigned +#$tid 11-3F security/" 10 || fail "no recent event: $(screen summary)" || return 1
	screen summary | grep -Eq '^security +[0-9]+ +[1-9]' || fail "no assigned security ticket: $(screen summary)" || return 1
	# today's count, from the log: earlier tests cancelled too
	before=$(screen summary | sed -n 's/^today: .* cancelled \([0-9]*\) .*/\1/p')
	[ -n "$before" ] || fail "no today line: $(screen summary)" || return 1
	run desk cancel "$tid" --reason "false alarm"
	wait_screen summary "cancelled $((before + 1)) " 10 || fail "cancel not counted: $(screen summary)" || return 1
	tm send-keys -t summary q
	ui_exit summary 10 || fail "the summary did not quit on 'q'" || return 1
	[ "$UI_RC" = 0 ] || fail "the summary exited $UI_RC: $(cat "$TMP/summary.err")" || return 1
}

test_watch_filters() {
	local out=$TMP/watch-crew.out pid
	follow C03 || return 1 # a cleaner online, so the ticket is assigned, not queued
	bg "$out" "$B/dispatch-watch" --crew cleaning --count 1
	pid=$BG
	wait_for "$out.err" '^dispatch-watch: subscribed to ' "$READY_TIMEOUT" ||
		fail "watch never said it was subscribed: $(cat "$out.err")" || return 1
	submit --unit 7-7A --kind repair --text "not for cleaning" || return 1
	submit --unit 7-7B --kind cleaning --text "for cleaning" || return 1
	wait_gone "$pid" 15 || fail "watch --crew cleaning saw nothing: $(cat "$out" "$out.err")" || return 1
	grep -Eq "assigned +ticket $TID +cleaning +7-7B +cleaning/" "$out" || fail "printed: $(cat "$out")" || return 1
	grep -q "7-7A" "$out" && { fail "a technical event passed --crew cleaning: $(cat "$out")"; return 1; }
	run watch --json --from-seq 1 --kind cleaning --unit '7-*' --count 2
	[ "$RC" = 0 ] || fail "exit $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin]
assert [e["type"] for e in ev] == ["submitted", "assigned"], [e["type"] for e in ev]
assert all(e["unit"] == "7-7B" and e["kind"] == "cleaning" for e in ev), ev
assert ev[1]["ticket"]["text"] == "for cleaning", ev[1]["ticket"]
' 2>"$TMP/py.err" || fail "$(tail -n 1 "$TMP/py.err")" || return 1
}

test_watch_filtered_restart() {
	local out=$TMP/watch-sec.out pid
	bg "$out" "$B/dispatch-watch" --crew security --count 1
	pid=$BG
	wait_for "$out.err" '^dispatch-watch: subscribed to ' "$READY_TIMEOUT" ||
		fail "watch never said it was subscribed: $(cat "$out.err")" || return 1
	stop_daemon
	start_daemon || fail "dispatchd did not restart" || return 1
	submit --unit 5-5E --kind security --text "door forced" || return 1
	wait_gone "$pid" 15 || fail "watch --crew security missed ticket $TID across the restart: $(cat "$out")" || return 1
	grep -Eq "assigned +ticket $TID " "$out" || fail "printed: $(cat "$out")" || return 1
}

# ---- main -------------------------------------------------------------------

# Issue 21: Reply.last_seq is "the latest stored event's sequence" on every
# reply (a client uses it to know whether it has seen everything), not
# only on Ping and Replay.
test_last_seq_on_every_reply() {
	local body want got
	run desk submit --unit 12-1A --kind repair --text "last_seq check"
	[ "$RC" = 0 ] || fail "submit exited $RC: $ERR" || return 1
	for body in submit list get ping; do
		run raw --body "$body"
		[ "$(raw_field status)" = STATUS_OK ] || fail "$body: $OUT" || return 1
		got=$(raw_field last_seq)
		want=$(raw --body ping | sed -n 's/^last_seq: //p')
		[ -n "$got" ] && [ "$got" -gt 0 ] && [ "$got" = "$want" ] ||
			fail "$body reply: last_seq '$got', the log's last is $want" || return 1
	done
	run raw --kind 99
	[ "$(raw_field status)" = STATUS_INVALID ] || fail "kind 99 was not refused: $OUT" || return 1
	[ "$(raw_field last_seq)" = "$want" ] || fail "a refusal's last_seq is '$(raw_field last_seq)', not $want" || return 1
}

setup

t "submit reaches the follower; accept, arrive, resolve, close; show has the full history" test_lifecycle
t "crew follow exits 0 on SIGTERM" test_follow_stops_on_sigterm
t "watch --json sees those events as JSON" test_watch_json
t "watch --from-seq replays the log in order" test_watch_from_seq
t "watch prints live events" test_watch_live
t "restart keeps tickets, history and counters" test_restart_keeps_everything
t "the same request_id twice makes one ticket" test_idempotent_request_id
t "garbage, unknown kind, wrong version, no body are refused; daemon keeps serving" test_bad_input
t "a transition not allowed is refused and changes nothing" test_bad_transition
t "unknown ticket id: exit 1, no such ticket" test_unknown_ticket
t "unknown member: exit 1" test_unknown_member
t "cancel needs a reason; cancel with a reason works" test_cancel
t "list filters by crew" test_list
t "list --all shows closed and cancelled tickets" test_list_all
t "daemon unreachable: exit 3, not reachable, bounded" test_unreachable
t "--help of every program" test_help
t "client-example pings" test_ping
t "client library: widths, times, deadlines, JSON" test_selftest
t "man pages render without warnings and document exit codes" test_man_pages
t "desk import: a report per line, goes on past bad lines, request_id makes no duplicate" test_import
t "desk list filters by kind, unit and overdue, and speaks JSON" test_list_filters
t "desk show --json has the ticket and its history" test_show_json
t "desk list aligns and cuts Chinese text by display width" test_utf8_width
t "colours only on a terminal, and not with NO_COLOR" test_color_only_on_terminal
t "usage errors exit 2, before anything reaches the daemon" test_usage_errors
t "crew UI (tmux 40x20): a new assignment rings, is highlighted; 'a' accepts" test_crew_ui
t "crew UI: 'r' arrives, 's' resolves with a Chinese note" test_crew_ui_resolve
t "crew UI: resynchronises after a daemon restart; 'q' quits cleanly" test_crew_ui_resync
t "watch --summary (tmux 80x24): counts, recent events, cancellations" test_watch_summary
t "watch --crew subscribes to the crew; --kind/--unit filter the replayed log" test_watch_filters
t "watch --crew catches up after a daemon restart" test_watch_filtered_restart
t "Reply.last_seq is filled on submit, list, get, ping and refusals (issue 21)" test_last_seq_on_every_reply

finish
