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

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${BUILD:-build} # the Makefile passes BUILD=build/asan for the sanitizer run
case $B in /*) ;; *) B=$ROOT/$B ;; esac
CONFIG=$ROOT/daemon/sample-estate.yaml
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dispatchd-it.XXXXXX")
STATE=$TMP/state
REQ=ipc://$TMP/req
EV=ipc://$TMP/ev
export DISPATCH_ENDPOINT=$REQ DISPATCH_EVENTS=$EV

CMD_TIMEOUT=30       # any single client command; unreachable needs ~7.5 s
READY_TIMEOUT=15     # daemon start, follow start
DAEMON_PID=""
DAEMON_STARTS=0
BG_PIDS=()
PASSED=0
FAILED=0
REASON=""

# ---- process control --------------------------------------------------------

cleanup() {
	local p
	for p in "${BG_PIDS[@]}" $DAEMON_PID; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${BG_PIDS[@]}" $DAEMON_PID; do
		wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ]; then
		echo "# kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_gone PID SECONDS: 0 once the process has exited, 1 if still running.
wait_gone() {
	local pid=$1 tries=$(($2 * 10))
	while kill -0 "$pid" 2>/dev/null; do
		tries=$((tries - 1))
		[ $tries -le 0 ] && return 1
		sleep 0.1
	done
	return 0
}

# wait_for FILE REGEX SECONDS: 0 once a line of FILE matches.
wait_for() {
	local file=$1 re=$2 tries=$(($3 * 10))
	until grep -Eq -- "$re" "$file" 2>/dev/null; do
		tries=$((tries - 1))
		[ $tries -le 0 ] && return 1
		sleep 0.1
	done
	return 0
}

# bg OUT CMD...: start CMD in the background (bounded to 5 minutes by
# timeout(1) even if cleanup never runs), stdout to OUT, stderr to OUT.err.
# Sets BG to its pid.
bg() {
	local out=$1
	shift
	timeout -k 2 300 "$@" >"$out" 2>"$out.err" &
	BG=$!
	BG_PIDS+=("$BG")
}

start_daemon() {
	DAEMON_STARTS=$((DAEMON_STARTS + 1))
	DAEMON_LOG=$TMP/daemon.$DAEMON_STARTS.log
	mkdir -p "$STATE"
	# DISPATCHD_WRAP, e.g. "valgrind -q", runs the daemon under a tool.
	# A Monday morning, so the sample estate's shift calendar does not
	# depend on when the tests run.
	${DISPATCHD_WRAP:-} "$B/dispatchd" --config "$CONFIG" --state-dir "$STATE" \
		--request "$REQ" --events "$EV" --clock-at 2026-11-30T10:00:00 2>"$DAEMON_LOG" &
	DAEMON_PID=$!
	if ! wait_for "$DAEMON_LOG" 'ready' "$READY_TIMEOUT"; then
		echo "# dispatchd did not say 'ready' within ${READY_TIMEOUT}s; its log:" >&2
		sed 's/^/#   /' "$DAEMON_LOG" >&2
		return 1
	fi
}

# stop_daemon: SIGTERM, bounded wait; sets DAEMON_RC (124 if it hung).
stop_daemon() {
	kill -TERM "$DAEMON_PID" 2>/dev/null
	if wait_gone "$DAEMON_PID" 10; then
		wait "$DAEMON_PID"
		DAEMON_RC=$?
	else
		kill -KILL "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_RC=124
	fi
	DAEMON_PID=""
}

# ---- the clients, each bounded ----------------------------------------------

desk() { timeout -k 2 "$CMD_TIMEOUT" "$B/dispatch-desk" --actor it-desk "$@"; }
crew() { timeout -k 2 "$CMD_TIMEOUT" "$B/dispatch-crew" "$@"; }
raw() { timeout -k 2 "$CMD_TIMEOUT" "$B/dispatch-raw" "$@"; }

# run CMD...: capture stdout in OUT, stderr in ERR, exit status in RC.
run() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

fail() {
	REASON=$*
	return 1
}

# daemon_died: if dispatchd is gone, say how and start a new one so that
# the remaining tests are independent of this failure.
daemon_died() {
	[ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null && return 1
	local rc=none
	if [ -n "$DAEMON_PID" ]; then
		wait "$DAEMON_PID" 2>/dev/null
		rc=$?
		[ "$rc" -gt 128 ] && rc="signal $((rc - 128))"
	fi
	DIED="dispatchd died ($rc); see $(basename "$DAEMON_LOG")"
	DAEMON_PID=""
	start_daemon
	return 0
}

t() {
	local name=$1
	shift
	REASON=""
	DIED=""
	"$@"
	local rc=$?
	daemon_died && REASON="${REASON:+$REASON; }$DIED" && rc=1
	if [ "$rc" = 0 ]; then
		echo "ok - $name"
		PASSED=$((PASSED + 1))
	else
		echo "not ok - $name${REASON:+: $REASON}"
		FAILED=$((FAILED + 1))
	fi
}

# submit ARGS...: desk submit; sets TID, TCREW, TMEMBER from its output
# (TMEMBER is empty when nobody online could take it and it is queued).
submit() {
	run desk submit "$@"
	[ "$RC" = 0 ] || fail "submit exited $RC: $ERR" || return 1
	local re='^ticket ([0-9]+) submitted: [a-z]+ at [^ ]+ -> ([a-z-]+)/([A-Za-z0-9_-]+) \(rule ([^)]+)\)$'
	local queued='^ticket ([0-9]+) submitted: [a-z]+ at [^ ]+ -> queued for ([a-z-]+) '
	if [[ $OUT =~ $re ]]; then
		TMEMBER=${BASH_REMATCH[3]}
	elif [[ $OUT =~ $queued ]]; then
		TMEMBER=""
	else
		fail "unexpected submit output: $OUT" || return 1
	fi
	TID=${BASH_REMATCH[1]}
	TCREW=${BASH_REMATCH[2]}
}

# The event column of `show`'s history, one per line.
history_events() {
	awk '/^history/ { h = 1; next } h { e = substr($0, 24, 10); sub(/ +$/, "", e); print e }'
}

# Number of open tickets in `desk list` (every ticket these tests make
# while counting stays open).
ticket_count() {
	desk list --limit 1000 2>/dev/null | grep -Ec '^[0-9]+ '
}

raw_field() { # raw_field KEY: the value of "KEY: value" in OUT
	printf '%s\n' "$OUT" | sed -n "s/^$1: //p" | head -n 1
}

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
	bg "$TMP/watch.json" "$B/dispatch-watch" --json --from-seq 1 --count 6
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
	run desk close "$TID" --note "resident satisfied"
	[ "$RC" = 0 ] || fail "close exited $RC: $ERR" || return 1
	[[ $OUT == *"is now closed"* ]] || fail "close said: $OUT" || return 1

	# The follower sees the later events of its ticket too.
	wait_for "$follow" "ticket $TID resolved" 10 ||
		fail "follow did not print the resolution: $(cat "$follow")" || return 1

	run desk show "$TID"
	[ "$RC" = 0 ] || fail "show exited $RC: $ERR" || return 1
	got=$(printf '%s\n' "$OUT" | history_events | paste -sd,)
	want="submitted,assigned,accepted,on site,resolved,closed"
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
	[ "$rc" = 0 ] || fail "follow exited $rc after SIGTERM" || return 1
}

test_watch_json() {
	[ -n "${WATCH_PID:-}" ] || fail "no watch process (lifecycle failed)" || return 1
	wait_gone "$WATCH_PID" 15 || fail "watch --count 6 still running: $(cat "$TMP/watch.json")" || return 1
	wait "$WATCH_PID"
	local rc=$?
	[ "$rc" = 0 ] || fail "watch exited $rc: $(cat "$TMP/watch.json.err")" || return 1
	python3 - "$TMP/watch.json" "$LIFE_ID" <<'EOF' >"$TMP/py.err" 2>&1 || fail "$(tail -n 1 "$TMP/py.err")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
want = ["submitted", "assigned", "accepted", "on site", "resolved", "closed"]
assert len(lines) == len(want), "expected %d lines, got %d" % (len(want), len(lines))
events = [json.loads(l) for l in lines]
got = [e["type"] for e in events]
assert got == want, "types %s" % got
seqs = [e["seq"] for e in events]
assert seqs == list(range(1, 7)), "seqs %s" % seqs
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
	sleep 0.5
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
	before=$(desk show "$LIFE_ID") || fail "show before restart failed" || return 1
	# Clients that live through the restart: a handheld and a monitor.
	bg "$follow" "$B/dispatch-crew" --member S01 follow
	fpid=$BG
	wait_for "$follow" 'waiting for new assignments' "$READY_TIMEOUT" ||
		fail "follow S01 did not start: $(cat "$follow.err")" || return 1
	bg "$watch" "$B/dispatch-watch" --count 2
	wpid=$BG
	sleep 0.5

	stop_daemon
	[ "$DAEMON_RC" = 0 ] || fail "dispatchd exited $DAEMON_RC on SIGTERM" || return 1
	start_daemon || fail "dispatchd did not restart" || return 1
	after=$(desk show "$LIFE_ID") || fail "show after restart failed" || return 1
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
	before=$(desk show "$TID")
	run crew --member "$member" resolve "$TID"
	[ "$RC" = 1 ] || fail "resolve of an assigned ticket: exit $RC, expected 1" || return 1
	[[ $ERR == dispatch-crew:* ]] || fail "no error line: '$ERR'" || return 1
	after=$(desk show "$TID")
	[ "$before" = "$after" ] || fail "the refused resolve changed the ticket" || return 1
	printf '%s\n' "$after" | grep -q "^ticket $TID: repair, assigned$" ||
		fail "ticket is not assigned any more" || return 1
	# Someone else's ticket.
	local other=T08
	[ "$member" = T08 ] && other=T12
	run crew --member "$other" accept "$TID"
	[ "$RC" = 1 ] || fail "accept by $other of $member's ticket: exit $RC, expected 1" || return 1
	[ "$before" = "$(desk show "$TID")" ] || fail "the refused accept changed the ticket" || return 1
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
	printf '%s\n' "$OUT" | grep -Eq "^$TID " && fail "cancelled ticket still listed as open" && return 1
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
	printf '%s\n' "$OUT" | grep -Eq "^$LIFE_ID +closed " && fail "closed ticket listed as open" && return 1
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
	for p in dispatch-desk dispatch-crew dispatch-watch dispatch-raw client-example; do
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

# ---- main -------------------------------------------------------------------

for p in dispatchd dispatch-desk dispatch-crew dispatch-watch dispatch-raw client-example; do
	if [ ! -x "$B/$p" ]; then
		echo "not ok - setup: $B/$p is missing; run make first"
		echo "0 passed, 1 failed"
		exit 1
	fi
done
if ! start_daemon; then
	echo "not ok - setup: dispatchd did not start"
	echo "0 passed, 1 failed"
	exit 1
fi

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

if [ -n "$DAEMON_PID" ]; then
	stop_daemon
	if [ "$DAEMON_RC" = 0 ]; then
		echo "ok - dispatchd exits 0 on SIGTERM"
		PASSED=$((PASSED + 1))
	else
		echo "not ok - dispatchd exits 0 on SIGTERM: exit $DAEMON_RC"
		FAILED=$((FAILED + 1))
	fi
fi
if [ "$FAILED" -gt 0 ]; then
	for f in "$TMP"/daemon.*.log; do
		echo "# --- $(basename "$f") (last 20 lines)"
		tail -n 20 "$f" | sed 's/^/#   /'
	done
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
