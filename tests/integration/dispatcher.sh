#!/usr/bin/env bash
# dispatcher.sh: integration tests of routing against the sample estate
# (issue 3): the roster decides who gets a ticket as members come online
# and go off shift; several crews for one report; duplicate reports; the
# configuration check; reloads under load. The daemon's clock is pinned
# with --clock-at so the shift calendar does not depend on when CI runs.
. "$(dirname "$0")/lib.sh"

MONDAY_10=2026-11-30T10:00:00   # day shifts on
MONDAY_1930=2026-11-30T19:30:00 # day shifts over
TUESDAY_0930=2026-12-01T09:30:00

# submit ARGS...: TID is the new ticket's id, OUT the desk's line.
submit() {
	run desk submit "$@"
	[ "$RC" = 0 ] || fail "submit exited $RC: $ERR" || return 1
	TID=$(printf '%s\n' "$OUT" | sed -n 's/^ticket \([0-9]*\) .*/\1/p' | head -n 1)
	[ -n "$TID" ] || fail "no ticket id in: $OUT"
}

# ticket_field ID NAME: a field of `dispatch-desk show ID` ("-" if empty).
ticket_field() {
	desk show "$1" | awk -v k="$2" '$1 == k { print $2; exit }'
}

# ticket_state ID: the state `dispatch-desk show ID` heads with.
ticket_state() {
	desk show "$1" | sed -n '1s/^ticket [0-9]*: [a-z]*, //p'
}

test_queue_until_someone_comes_online() {
	fresh_store
	start_daemon --clock-at "$MONDAY_10" || return 1
	bg "$TMP/watch1.json" "$B/dispatch-watch" --json --from-seq 1
	# nobody's handheld is on: the ticket waits for the crew
	submit --unit 12-1A --kind repair --category lighting --text "corridor light out" || return 1
	[[ $OUT == *queued* ]] || fail "expected a queued ticket, got: $OUT" || return 1
	[ "$(ticket_field "$TID" member)" = - ] || fail "queued ticket has a member" || return 1
	# ... and the technical supervisor hears at once
	wait_for "$TMP/watch1.json" "\"ticket_id\":$TID,.*\"member\":\"T01\"" 10 ||
		fail "no event addressed to supervisor T01: $(cat "$TMP/watch1.json")" || return 1
	# T07 switches the handheld on: the queued ticket goes to T07
	follow T07 || return 1
	wait_for "$FOLLOW" "ticket $TID" 10 || fail "T07 never got ticket $TID: $(cat "$FOLLOW")" || return 1
	[ "$(ticket_field "$TID" member)" = T07 ] || fail "ticket $TID member is $(ticket_field "$TID" member)" || return 1
	grep -q 'T07 of technical is online' "$DAEMON_LOG" || fail "daemon did not log T07 online"
}

test_shift_calendar_decides() {
	fresh_store
	start_daemon --clock-at "$MONDAY_1930" || return 1
	follow T08 || return 1  # plumber, weekdays 08:00-18:00: off shift now
	follow T07 || return 1  # electrician on call around the clock
	submit --unit 5-1A --kind repair --category plumbing --text "burst pipe under the sink" || return 1
	local plumbing=$TID
	[[ $OUT == *queued* ]] || fail "plumbing at 19:30 should wait for a plumber on shift: $OUT" || return 1
	submit --unit 5-2A --kind repair --category electrical --text "sparking socket" || return 1
	[ "$(ticket_field "$TID" member)" = T07 ] || fail "electrical at 19:30 went to $(ticket_field "$TID" member)" ||
		return 1
	# Tuesday morning: T08 is on shift; when the handheld checks in, the queue moves
	fresh_processes_keep_store
	start_daemon --clock-at "$TUESDAY_0930" || return 1
	follow T08 || return 1
	wait_for "$FOLLOW" "ticket $plumbing" 10 || fail "T08 never got ticket $plumbing: $(cat "$FOLLOW")" || return 1
	[ "$(ticket_field "$plumbing" member)" = T08 ] || fail "plumbing went to $(ticket_field "$plumbing" member)"
}

# Restart the daemon on the same store (handhelds stop too).
fresh_processes_keep_store() {
	local p
	stop_daemon
	for p in "${BG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	BG_PIDS=()
}

test_fire_alarm_reaches_two_crews() {
	fresh_store
	start_daemon --clock-at "$MONDAY_10" || return 1
	follow S02 || return 1
	follow T07 || return 1
	submit --unit 12-3C --kind security --category fire-alarm --source sensor --text "smoke detector, 12/F lobby" ||
		return 1
	local first=$TID second=$((TID + 1))
	[ "$(ticket_field "$first" crew)" = security ] || fail "first part went to $(ticket_field "$first" crew)" || return 1
	[ "$(ticket_field "$first" member)" = S02 ] || fail "security part went to $(ticket_field "$first" member)" ||
		return 1
	[ "$(ticket_field "$second" crew)" = technical ] || fail "second part: crew $(ticket_field "$second" crew)" ||
		return 1
	[ "$(ticket_field "$second" member)" = T07 ] || fail "technical part went to $(ticket_field "$second" member)"
}

test_duplicate_reports_are_linked() {
	fresh_store
	start_daemon --clock-at "$MONDAY_10" || return 1
	follow T08 || return 1
	submit --unit 2A-1B --kind repair --category plumbing --text "no water in the kitchen" || return 1
	local first=$TID
	[ "$(ticket_field "$first" member)" = T08 ] || fail "first report went to $(ticket_field "$first" member)" ||
		return 1
	submit --unit 2A-1B --kind repair --category plumbing --text "still no water" || return 1
	[ "$(ticket_field "$TID" member)" = - ] || fail "the duplicate was dispatched again" || return 1
	desk show "$first" | grep -q "ticket $TID reports the same problem" ||
		fail "the first ticket's history does not show the link: $(desk show "$first")" || return 1
	# a different unit is not a duplicate
	submit --unit 2A-1C --kind repair --category plumbing --text "no water either" || return 1
	[ "$(ticket_field "$TID" member)" = T08 ] || fail "a report from another unit was linked"
}

# Issue 21: a corrected report is not a duplicate. The desk resubmits a
# misrouted report for the same unit and kind: marked --replaces, the new
# one is dispatched and the first is cancelled; a duplicate link says how
# to undo it; cancelling the first dispatches its duplicate; unlink
# dispatches a duplicate that is another problem after all.
test_corrected_report_replaces_the_first() {
	fresh_store
	start_daemon --clock-at "$MONDAY_10" || return 1
	follow T08 || return 1
	submit --unit 2A-1B --kind repair --category plumbing --text "no water in the kitchen" || return 1
	local first=$TID
	submit --unit 2A-1B --kind repair --category plumbing --priority 1 --replaces "$first" \
		--text "no water in the whole flat; elderly resident" || return 1
	[ "$(ticket_field "$TID" member)" = T08 ] || fail "the corrected report was not dispatched: $(desk show "$TID")" || return 1
	[ "$(ticket_state "$first")" = cancelled ] || fail "the first one is not cancelled: $(desk show "$first")" || return 1
	desk show "$first" | grep -q "replaced by ticket $TID" || fail "the first one does not say what replaced it" || return 1
	# bad input changes nothing: no such ticket, or one already closed
	local n
	n=$(ticket_count)
	run desk submit --unit 2A-1B --kind repair --text "x" --replaces 999
	[ "$RC" = 1 ] && [[ $ERR == *"no such ticket 999"* ]] || fail "--replaces 999: $RC $ERR" || return 1
	run desk submit --unit 2A-1B --kind repair --text "x" --replaces "$first"
	[ "$RC" = 1 ] && [[ $ERR == *"cancelled"* ]] || fail "--replaces a cancelled ticket: $RC $ERR" || return 1
	[ "$(ticket_count)" = "$n" ] || fail "a refused --replaces stored a ticket" || return 1
}

test_cancelling_the_first_dispatches_its_duplicate() {
	fresh_store
	start_daemon --clock-at "$MONDAY_10" || return 1
	follow T08 || return 1
	submit --unit 2A-1B --kind repair --category plumbing --text "no water in the kitchen" || return 1
	local first=$TID
	run desk submit --unit 2A-1B --kind repair --category plumbing --text "no water: it is the bathroom"
	[ "$RC" = 0 ] || fail "second submit: $RC $ERR" || return 1
	local second
	second=$(printf '%s\n' "$OUT" | sed -n 's/^ticket \([0-9]*\) .*/\1/p' | head -n 1)
	[[ $OUT == *"dispatch-desk unlink $second"* ]] || fail "the duplicate link does not say how to undo it: $OUT" || return 1
	desk show "$second" | grep -q "dispatch-desk unlink $second" || fail "show does not say how to undo the link" || return 1
	run desk cancel "$first" --reason "misrouted; the resident corrected it"
	[ "$RC" = 0 ] || fail "cancel: $RC $ERR" || return 1
	[ "$(ticket_state "$second")" = assigned ] && [ "$(ticket_field "$second" member)" = T08 ] ||
		fail "the duplicate was not dispatched when the first was cancelled: $(desk show "$second")" || return 1
}

test_unlink_dispatches_a_duplicate() {
	fresh_store
	start_daemon --clock-at "$MONDAY_10" || return 1
	follow T08 || return 1
	submit --unit 2A-1B --kind repair --category plumbing --text "no water in the kitchen" || return 1
	local first=$TID
	submit --unit 2A-1B --kind repair --category plumbing --text "the balcony drain is blocked" || return 1
	[ "$(ticket_field "$TID" member)" = - ] || fail "expected a duplicate link first" || return 1
	run desk unlink "$TID"
	[ "$RC" = 0 ] || fail "unlink: $RC $ERR" || return 1
	[ "$(ticket_field "$TID" member)" = T08 ] || fail "unlink did not dispatch it: $(desk show "$TID")" || return 1
	[ "$(ticket_state "$first")" = assigned ] || fail "the first one changed: $(desk show "$first")" || return 1
	run desk unlink "$first"
	[ "$RC" = 1 ] || fail "unlinking a ticket that is no duplicate: exit $RC" || return 1
}

test_check_config_names_line_and_column() {
	cat >"$TMP/bad.yaml" <<'YAML'
estate: Broken Estate
crews:
  - id: technical
    name: Technical
    members: [{ id: T1, name: t }]
rules:
  - name: r
    crew: plumbing
YAML
	run "$B/dispatchd" --check-config --config "$TMP/bad.yaml"
	[ "$RC" = 1 ] || fail "--check-config exited $RC on a bad file" || return 1
	[[ $ERR == *"$TMP/bad.yaml:8:11: crew 'plumbing' is not defined under crews"* ]] ||
		fail "unexpected message: $ERR" || return 1
	run "$B/dispatchd" --check-config --config "$ROOT/daemon/sample-estate.yaml"
	[ "$RC" = 0 ] || fail "the sample estate does not pass --check-config: $ERR" || return 1
	[[ $OUT == *"6 crew(s), 14 member(s), 15 rule(s)"* ]] || fail "unexpected summary: $OUT" || return 1
	# the daemon refuses to start on it, with the same message
	run timeout 10 "$B/dispatchd" --config "$TMP/bad.yaml" --state-dir "$TMP/nostate" --request "ipc://$TMP/x" \
		--events "ipc://$TMP/y"
	[ "$RC" = 1 ] || fail "dispatchd started (or hung) on a bad configuration: rc $RC" || return 1
	[[ $ERR == *"bad.yaml:8:11: crew 'plumbing' is not defined"* ]] || fail "start error was: $ERR"
}

# broken_config CASE FILE: write one of the broken configurations an
# administrator can leave behind (issue 23); FILE may become a directory or
# a link to /dev/zero. Prints what the refusal must contain.
BROKEN_CASES="empty comments directory endless nul list scalar bad-bool zone-region zone-not-a-zone"
broken_config() {
	local case=$1 f=$2 sample=$ROOT/daemon/sample-estate.yaml
	rm -rf "$f"
	case $case in
	empty) : >"$f"; echo "$f: the file holds no settings" ;;
	comments) printf '# estate: gone\n\n   # nothing else\n' >"$f"; echo "$f: the file holds no settings" ;;
	directory) mkdir "$f"; echo "$f: is a directory" ;;
	endless) ln -s /dev/zero "$f"; echo "$f: larger than 4 MiB, the limit" ;;
	nul) printf 'estate: X\ncrews:\0\n' >"$f"; echo "$f:2:7: " ;;
	list) printf -- '- estate: X\n- crews: []\n' >"$f"; echo "$f:1:1: expected a mapping" ;;
	scalar) printf 'just some words\n' >"$f"; echo "$f:1:1: expected a mapping" ;;
	bad-bool) sed 's/^  require_online: .*/  require_online: flase/' "$sample" >"$f"
		echo "$f:$(grep -n 'require_online' "$f" | cut -d: -f1):19: expected true or false, not 'flase'" ;;
	zone-region) sed 's/^timezone: .*/timezone: Asia/' "$sample" >"$f"
		echo "$f:$(grep -n '^timezone' "$f" | cut -d: -f1):11: unknown time zone 'Asia'" ;;
	zone-not-a-zone) sed 's/^timezone: .*/timezone: zone.tab/' "$sample" >"$f"
		echo "$f:$(grep -n '^timezone' "$f" | cut -d: -f1):11: unknown time zone 'zone.tab'" ;;
	esac
}

test_check_config_refuses_every_broken_file() {
	local case want f=$TMP/broken.yaml bad=""
	for case in $BROKEN_CASES; do
		want=$(broken_config "$case" "$f")
		run timeout 20 "$B/dispatchd" --check-config --config "$f"
		if [ "$RC" != 1 ] || [[ $ERR != *"$want"* ]]; then
			bad="$bad [$case: rc $RC, wanted '$want', got '${ERR:0:200}']"
		fi
	done
	rm -rf "$f"
	[ -z "$bad" ] || fail "not refused as it should be:$bad"
}

test_reload_of_a_broken_file_keeps_the_daemon() {
	local cfg=$TMP/reload-broken.yaml case n=0 bad=""
	cp "$ROOT/daemon/sample-estate.yaml" "$cfg"
	fresh_store
	CONFIG=$cfg start_daemon --clock-at "$MONDAY_10" || return 1
	for case in $BROKEN_CASES; do
		broken_config "$case" "$cfg" >/dev/null
		kill -HUP "$DAEMON_PID"
		n=$((n + 1))
		local tries=100
		until [ "$(grep -c 'keeping the running configuration' "$DAEMON_LOG")" -ge $n ]; do
			kill -0 "$DAEMON_PID" 2>/dev/null || break
			tries=$((tries - 1))
			[ $tries -le 0 ] && break
			sleep 0.1
		done
		kill -0 "$DAEMON_PID" 2>/dev/null || { fail "SIGHUP on the '$case' file stopped the daemon: $(tail -n 3 "$DAEMON_LOG")"; return 1; }
		[ "$(grep -c 'keeping the running configuration' "$DAEMON_LOG")" -ge $n ] || bad="$bad $case"
	done
	[ -z "$bad" ] || fail "no refusal logged for:$bad" || return 1
	# still the running configuration: the sample's routing
	rm -rf "$cfg"
	cp "$ROOT/daemon/sample-estate.yaml" "$cfg"
	submit --unit 1-1A --kind repair --text "after ten bad reloads" || return 1
	[ "$(ticket_field "$TID" crew)" = technical ] ||
		fail "after the refused reloads: crew $(ticket_field "$TID" crew)" || return 1
	kill -HUP "$DAEMON_PID"
	wait_for "$DAEMON_LOG" 'configuration reloaded' 10 || fail "a good file was not reloaded after the bad ones"
}

test_reload_under_load_loses_nothing() {
	local cfg=$TMP/reload.yaml i w pids=() ok=0 bad=0 ids
	cp "$ROOT/daemon/sample-estate.yaml" "$cfg"
	fresh_store
	CONFIG=$cfg start_daemon --clock-at "$MONDAY_10" || return 1
	# four writers, 40 submits each, while the configuration is reloaded
	for w in 1 2 3 4; do
		(for i in $(seq 1 40); do
			desk submit --unit "9-$w$i" --kind inquiry --text "reload load $w/$i" || echo FAIL
		done) >"$TMP/writer.$w" 2>&1 &
		pids+=($!)
	done
	for i in 1 2 3 4 5 6; do
		if [ $((i % 2)) = 0 ]; then
			printf 'estate: [not valid\n' >"$cfg" # a broken file: must be refused
		else
			cp "$ROOT/daemon/sample-estate.yaml" "$cfg"
		fi
		kill -HUP "$DAEMON_PID"
		sleep 0.2
	done
	cp "$ROOT/daemon/sample-estate.yaml" "$cfg"
	kill -HUP "$DAEMON_PID"
	for w in "${pids[@]}"; do wait "$w"; done
	grep -q FAIL "$TMP"/writer.* && fail "a submit failed during reloads: $(grep -h -B1 FAIL "$TMP"/writer.* | head -5)" &&
		return 1
	ids=$(cat "$TMP"/writer.* | sed -n 's/^ticket \([0-9]*\) .*/\1/p' | sort -n)
	[ "$(printf '%s\n' "$ids" | wc -l)" = 160 ] || fail "expected 160 acknowledged tickets" || return 1
	for i in $ids; do
		if desk show "$i" >/dev/null 2>&1; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
	done
	[ "$ok" = 160 ] || fail "$bad acknowledged tickets are missing" || return 1
	grep -q 'configuration reloaded' "$DAEMON_LOG" || fail "no successful reload logged" || return 1
	grep -q 'keeping the running configuration' "$DAEMON_LOG" || fail "the broken file was not refused"
}

test_reload_changes_routing() {
	local cfg=$TMP/reload2.yaml
	sed 's/^  - name: everything-else-to-customer-service$/  - name: inquiries-to-security\n    match: { kinds: [inquiry] }\n    crew: security\n&/' \
		"$ROOT/daemon/sample-estate.yaml" >"$cfg.new"
	cp "$ROOT/daemon/sample-estate.yaml" "$cfg"
	fresh_store
	CONFIG=$cfg start_daemon --clock-at "$MONDAY_10" || return 1
	submit --unit 1-1A --kind inquiry --text "when is the pool open" || return 1
	[ "$(ticket_field "$TID" crew)" = customer-service ] || fail "before: crew $(ticket_field "$TID" crew)" || return 1
	mv "$cfg.new" "$cfg"
	kill -HUP "$DAEMON_PID"
	wait_for "$DAEMON_LOG" 'configuration reloaded' 10 || fail "no reload logged" || return 1
	submit --unit 1-1B --kind inquiry --text "when is the gym open" || return 1
	[ "$(ticket_field "$TID" crew)" = security ] || fail "after reload: crew $(ticket_field "$TID" crew)"
}

t "a queued ticket goes to the first member who comes online; the supervisor hears at once" \
	test_queue_until_someone_comes_online
t "the shift calendar decides, and the queue moves when the shift starts" test_shift_calendar_decides
t "a fire alarm reaches security and technical as linked tickets" test_fire_alarm_reaches_two_crews
t "a duplicate report is linked to the first and not dispatched again" test_duplicate_reports_are_linked
t "a corrected report (--replaces) is dispatched and the first cancelled (issue 21)" test_corrected_report_replaces_the_first
t "cancelling the first report dispatches its duplicate; the link says how to undo it (issue 21)" test_cancelling_the_first_dispatches_its_duplicate
t "unlink dispatches a duplicate that is another problem (issue 21)" test_unlink_dispatches_a_duplicate
t "--check-config names file, line and column; the daemon refuses a bad file" \
	test_check_config_names_line_and_column
t "--check-config: every broken file gets exit 1 and a message naming it" \
	test_check_config_refuses_every_broken_file
t "SIGHUP on an emptied, endless or broken file: refused, the daemon runs on" \
	test_reload_of_a_broken_file_keeps_the_daemon
t "SIGHUP under load: no request lost, a broken file refused" test_reload_under_load_loses_nothing
t "SIGHUP applies new routing rules" test_reload_changes_routing
finish
