#!/usr/bin/env bash
# register.sh: the estate's unit register and the safety of the store
# (issue 22). A report for a unit the register does not list is refused
# with the closest units it does list, and changes nothing; a unit that
# carries its resident's contact gives it to a report that named nobody;
# --check-config names every problem of a file at once, each at its line
# and column; a second dispatchd on a store in use refuses to start and
# names the process that holds it.
. "$(dirname "$0")/lib.sh"
setup

# last_seq: the event log's last sequence number, read from the store
# (export is a reader: it runs beside the daemon).
last_seq() { "$B/dispatchd" --state-dir "$STATE" export | tail -n 1 | sed -n 's/.*"seq":\([0-9]*\).*/\1/p'; }

test_unknown_unit_is_refused_with_a_suggestion() {
	local before seq
	submit --unit 12-1A --kind repair --text "a unit the register lists" || return 1
	before=$TID
	seq=$(last_seq)
	run desk submit --unit 121A --kind repair --text "basement lights out"
	[ "$RC" = 1 ] || fail "an unknown unit: exit $RC, expected 1 (not found): $OUT $ERR" || return 1
	[[ $ERR == *"no unit 121A in this estate; did you mean 12-1A?"* ]] || fail "unexpected refusal: $ERR" || return 1
	run desk submit --unit 12-21A --kind repair --text "floor 21 of a 20-floor tower"
	[ "$RC" = 1 ] && [[ $ERR == *"no unit 12-21A in this estate; did you mean "*"12-1A"* ]] ||
		fail "floor 21: exit $RC, $ERR" || return 1
	run desk submit --unit Q-500X --kind repair --text "nothing like it"
	[ "$RC" = 1 ] && [[ $ERR == *"no unit Q-500X in this estate (the units are listed under units: in the configuration)"* ]] ||
		fail "no close unit: exit $RC, $ERR" || return 1
	# nothing changed: no event, no ticket number used
	[ "$(last_seq)" = "$seq" ] || fail "a refused report wrote events: $seq -> $(last_seq)" || return 1
	submit --unit 12-1B --kind repair --text "the next one" || return 1
	[ "$TID" = $((before + 1)) ] || fail "ticket $TID after $before: a refusal used a number" || return 1
	# a dry run (explain) is checked the same way
	run desk explain --unit 121A --kind repair --text "where would it go"
	[ "$RC" = 1 ] && [[ $ERR == *"did you mean 12-1A?"* ]] || fail "explain of an unknown unit: exit $RC, $ERR"
}

test_import_refuses_unknown_units() {
	local f=$TMP/import.ndjson
	printf '%s\n' '{"unit": "12-3A", "kind": "repair", "text": "a listed unit"}' \
		'{"unit": "12-3a", "kind": "repair", "text": "a slip of the shift key"}' \
		'{"unit": "5-1C", "kind": "cleaning", "text": "another listed one"}' >"$f"
	run desk import "$f"
	[ "$RC" = 1 ] || fail "an import with an unknown unit: exit $RC: $OUT $ERR" || return 1
	[[ "$OUT$ERR" == *"line 2: failed: no unit 12-3a in this estate; did you mean 12-3A?"* ]] ||
		fail "line 2 not refused as it should be: $OUT $ERR" || return 1
	[[ "$OUT$ERR" == *"3 lines, 2 submitted, 1 failed"* ]] || fail "unexpected summary: $OUT $ERR"
}

test_register_gives_the_residents_contact() {
	local hist
	submit --unit 12-20H --kind repair --text "no hot water" || return 1
	run desk show "$TID"
	[ "$RC" = 0 ] || fail "show: $RC $ERR" || return 1
	printf '%s\n' "$OUT" | grep -q '^  person     Chan Tai-man$' || fail "no resident from the register: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -q '^  phone      +852 9123 4567$' || fail "no phone from the register: $OUT" || return 1
	hist=$(printf '%s\n' "$OUT" | grep ' submitted ')
	[[ $hist == *"the resident's contact is from the unit register"* ]] || fail "the history does not say: $hist" ||
		return 1
	# the ticket as stored carries it (the export is the store's record)
	"$B/dispatchd" --state-dir "$STATE" export | grep '"type":"submitted"' | grep "\"id\":$TID," |
		grep -q '"phone":"+852 9123 4567"' || fail "the stored ticket has no phone" || return 1
	# a report that names someone keeps them, and gets no phone of another
	submit --unit 12-20H --kind repair --category plumbing --text "the tap drips" --person "Lee (visitor)" || return 1
	run desk show "$TID"
	printf '%s\n' "$OUT" | grep -q '^  person     Lee (visitor)$' || fail "the named person was replaced: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -q '^  phone      -$' || fail "a phone was added to a named person: $OUT" || return 1
	# Chinese names too, and a unit with no contact gets none
	submit --unit 2A-20A --kind cleaning --text "corridor" || return 1
	desk show "$TID" | grep -q '^  person     何美玲$' || fail "no Chinese resident name" || return 1
	submit --unit 12-5C --kind cleaning --text "stairs" || return 1
	desk show "$TID" | grep -q '^  person     -$' || fail "a contact for a unit that has none" || return 1
}

test_no_register_accepts_any_unit() {
	local cfg=$TMP/noregister.yaml
	sed '/^units:/,$d' "$ROOT/daemon/sample-estate.yaml" >"$cfg"
	# issue 19: a rule above counts working hours of the office calendar
	sed -n '/^calendars:/,/^$/p' "$ROOT/daemon/sample-estate.yaml" >>"$cfg"
	grep -q '^units:' "$cfg" && { fail "could not remove the register"; return 1; }
	fresh_store
	CONFIG=$cfg start_daemon || return 1
	submit --unit 121A --kind repair --text "any unit, as before the register" || return 1
	submit --unit lobby-east --kind cleaning --text "a unit no register would list" || return 1
	fresh_store
	start_daemon
}

test_check_config_names_every_problem() {
	local f=$TMP/many.yaml want bad="" n
	cat >"$f" <<'YAML'
estate: Many Mistakes
timezone: Asia/Nowhere
presence: { require_online: flase, online_window: 90 }
crews:
  - id: technical
    name: Technical
    supervisor: T9
    colour: red
    members:
      - { id: T1, name: Tam, shifts: [{ days: [mon, funday], hours: "8:00-17:00" }] }
      - { id: T1, name: Tse }
  - id: cleaning
    members: [{ id: C1, name: Ho }]
rules:
  - name: lifts
    crew: plumbing
    match: { kinds: [repiar] }
    deadlines: { acknowledge: 10 minutes }
  - name: everything-else
    crew: technical
units:
  - { building: "12", floors: 20-1, flats: A-H }
  - { pattern: "P-*", resident: Chan }
YAML
	run "$B/dispatchd" --check-config --config "$f"
	[ "$RC" = 1 ] || fail "--check-config exited $RC on a file with mistakes" || return 1
	while IFS= read -r want; do
		[[ $ERR == *"$f:$want"* ]] || bad="$bad [$want]"
	done <<'WANT'
2:11: unknown time zone 'Asia/Nowhere'
3:29: expected true or false, not 'flase'
7:17: supervisor 'T9' is not a member of any crew
8:5: unknown setting 'colour' here; expected one of: id, name, supervisor, outsourced, phone, members
10:53: unknown day 'funday'
10:69: expected hours as HH:MM-HH:MM (e.g. 08:00-20:00 or 22:00-06:00), not '8:00-17:00'
11:15: member id 'T1' is used twice
12:5: 'name' is missing here (it is required)
16:11: crew 'plumbing' is not defined under crews
17:22: unknown value 'repiar'; expected one of: repair, complaint
18:31: expected a duration such as 90s, 10m, 2h or 1d, not '10 minutes'
22:31: expected floors as FROM-TO or one floor (e.g. 1-20 or 7), not '20-1'
23:33: a resident and a phone belong to one unit
WANT
	[ -z "$bad" ] || fail "not reported:$bad; got: $ERR" || return 1
	n=$(printf '%s\n' "$ERR" | grep -c "^$f:[0-9]*:[0-9]*: ")
	[ "$n" = 13 ] || fail "$n problems reported, expected 13: $ERR" || return 1
	# in the file's order, and never in libcyaml's words
	printf '%s\n' "$ERR" | sed -n "s|^$f:\([0-9]*\):.*|\1|p" | sort -nc || fail "not in line order: $ERR" || return 1
	[[ $ERR != *"STRING length"* && $ERR != *"Unexpected key"* && $ERR != *"Invalid"* ]] ||
		fail "a raw libcyaml message: $ERR"
}

test_second_daemon_is_refused() {
	local first=$DAEMON_PID lock=$STATE/dispatchd.lock
	fresh_store
	start_daemon || return 1
	first=$DAEMON_PID
	[ "$(cat "$lock")" = "$first" ] || fail "the lock file says '$(cat "$lock" 2>/dev/null)', not $first" || return 1
	run timeout 10 "$B/dispatchd" --config "$CONFIG" --state-dir "$STATE" --request "ipc://$TMP/req2" \
		--events "ipc://$TMP/ev2"
	[ "$RC" = 3 ] || fail "a second daemon on the store in use: exit $RC, expected 3: $ERR" || return 1
	[[ $ERR == *"the state directory $STATE is in use by another dispatchd (pid $first, lock $lock)"* ]] ||
		fail "the refusal does not name the holder: $ERR" || return 1
	# the same endpoints too: the refused one touches no socket of the first
	run timeout 10 "$B/dispatchd" --config "$CONFIG" --state-dir "$STATE" --request "$REQ" --events "$EV"
	[ "$RC" = 3 ] || fail "a second daemon on the same endpoints: exit $RC: $ERR" || return 1
	submit --unit 12-1A --kind repair --text "the first daemon still serves" || return 1
	# readers are not writers: --verify, export and --check-config run beside it
	run "$B/dispatchd" --verify --state-dir "$STATE"
	[ "$RC" = 0 ] || fail "--verify beside the daemon: exit $RC: $ERR" || return 1
	run "$B/dispatchd" --state-dir "$STATE" export
	[ "$RC" = 0 ] && [[ $OUT == *'"the first daemon still serves"'* ]] || fail "export beside the daemon: $RC $ERR" ||
		return 1
	run "$B/dispatchd" --check-config --config "$CONFIG"
	[ "$RC" = 0 ] || fail "--check-config beside the daemon: exit $RC: $ERR" || return 1
	# a daemon that died leaves its lock file, but no lock: the next one starts
	kill -KILL "$first"
	wait "$first" 2>/dev/null
	DAEMON_PID=""
	[ "$(cat "$lock")" = "$first" ] || fail "the dead daemon's lock file is gone (the test proves nothing)" || return 1
	start_daemon || fail "a stale lock file of a dead daemon blocked the start: $(cat "$DAEMON_LOG")" || return 1
	[ "$(cat "$lock")" = "$DAEMON_PID" ] || fail "the lock file names $(cat "$lock"), not $DAEMON_PID" || return 1
	run desk show "$TID"
	[ "$RC" = 0 ] || fail "the ticket of the killed daemon is gone: $ERR"
}

t "a report for a unit not in the register is refused with the closest units, and changes nothing" \
	test_unknown_unit_is_refused_with_a_suggestion
t "desk import refuses the lines whose unit is not in the register" test_import_refuses_unknown_units
t "a report that names nobody gets the resident's contact from the register (show, store, history)" \
	test_register_gives_the_residents_contact
t "an estate without a register accepts any unit" test_no_register_accepts_any_unit
t "--check-config names every problem in one pass, at FILE:LINE:COLUMN, in our words" \
	test_check_config_names_every_problem
t "a second dispatchd on a store in use refuses (exit 3) and names the holder; a stale lock does not block" \
	test_second_daemon_is_refused
finish
