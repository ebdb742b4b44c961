#!/usr/bin/env bash
# resident.sh: the daemon's side of the residents' pages (issue 17), over
# CURVE on tcp loopback with the demo key set (as auth.sh): the desk's
# submit prints the resident's page, the resident key (the web gateway's)
# views the ticket its token names and rates the work, and can do nothing
# else; a wrong token gets nothing; the token stays out of the log's
# export and the event stream; the estate's notices for the unit's
# building are on the page. dispatch-raw plays the gateway.
. "$(dirname "$0")/lib.sh"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT_REQ=$(free_port)
PORT_EV=$(free_port)
while [ "$PORT_EV" = "$PORT_REQ" ]; do PORT_EV=$(free_port); done
REQ=tcp://127.0.0.1:$PORT_REQ
EV=tcp://127.0.0.1:$PORT_EV
export DISPATCH_ENDPOINT=$REQ DISPATCH_EVENTS=$EV
KEYS=$STATE/keys
export DISPATCH_SERVER_KEY=$KEYS/server.pub
unset DISPATCH_KEY

PAGE=https://help.harbour-view.example/residents
# The sample estate with a residents' page; show_member_name is switched
# by residents_config and a SIGHUP.
CONFIG=$TMP/estate.yaml
sample_without_residents() { # the sample estate without its residents: block
	awk '/^residents:/ { skip = 1; next } skip && /^  / { next } { skip = 0; print }' "$ROOT/daemon/sample-estate.yaml"
}
residents_config() { # residents_config SHOW_MEMBER_NAME
	{
		sample_without_residents
		printf '\nresidents:\n  page_url: "%s/"\n  show_member_name: %s\n' "$PAGE" "$1"
	} >"$CONFIG"
}
residents_config false

as() { # as KEY CMD...: CMD with the demo key pair KEY (desk, resident, T07, ...)
	local k=$1
	shift
	DISPATCH_KEY=$KEYS/$k.key "$@"
}
gw() { as resident raw "$@"; } # the gateway: dispatch-raw with the resident key

# submit_12 TEXT [UNIT]: the desk files a repair; TID and TOKEN from its output.
submit_12() {
	run as desk desk submit --unit "${2:-12-1A}" --kind repair --source intercom --text "$1"
	[ "$RC" = 0 ] || fail "submit exited $RC: $ERR" || return 1
	TID=$(printf '%s\n' "$OUT" | sed -n 's/^ticket \([0-9]*\) submitted.*/\1/p')
	TOKEN=$(printf '%s\n' "$OUT" | sed -n 's|^  resident page: '"$PAGE"'/r/\([A-Za-z0-9_-]*\)$|\1|p')
	[ -n "$TID" ] && [ ${#TOKEN} = 32 ] || fail "no ticket id or resident page in: $OUT"
}

# view TOKEN: the gateway's view of the page; OUT holds "key: value" lines.
view() { run gw --resident-view "$1"; }

# No ticket data in OUT: a refusal names no ticket, unit, text, crew.
no_ticket_data() {
	printf '%s\n' "$OUT" | grep -Eq '^(resident_[a-z_]+|step|notice|ticket|event): ' &&
		{ fail "the refusal carries ticket data: $OUT"; return 1; }
	[[ $OUT == *12-1A* || $OUT == *Technical* || $OUT == *"ticket $TID"* ]] &&
		{ fail "the refusal names the ticket: $OUT"; return 1; }
	return 0
}

test_submit_prints_the_page() {
	as T07 follow T07 || return 1
	submit_12 "the corridor light flickers" || return 1
	RTID=$TID RTOKEN=$TOKEN
	# --json has it too, and the token alone when no URL is set is the
	# daemon's: the desk has no configuration of its own
	run as desk desk submit --unit 2-3C --kind repair --text "json submit" --json
	[ "$RC" = 0 ] || fail "submit --json exited $RC: $ERR" || return 1
	python3 -c 'import json, sys
d = json.loads(sys.argv[1])
assert len(d["resident_token"]) == 32, d
assert d["resident_url"] == sys.argv[2] + "/r/" + d["resident_token"], d
assert d["ticket"]["id"] > 0' "$OUT" "$PAGE" || fail "submit --json lacks the page: $OUT"
}

test_view_received_and_assigned() {
	view "$RTOKEN"
	[ "$(raw_field status)" = STATUS_OK ] || fail "view: $OUT" || return 1
	[ "$(raw_field resident_id)" = "$RTID" ] || fail "wrong ticket: $OUT" || return 1
	[ "$(raw_field resident_state)" = STATE_ASSIGNED ] || fail "state: $OUT" || return 1
	[ "$(raw_field resident_crew)" = Technical ] || fail "crew name: $OUT" || return 1
	[ "$(raw_field resident_text)" = "the corridor light flickers" ] || fail "text: $OUT" || return 1
	[[ $OUT == *"step: EVENT_SUBMITTED STATE_NEW"* ]] || fail "no received step: $OUT" || return 1
	[[ $OUT == *"step: EVENT_ASSIGNED STATE_ASSIGNED Technical||"* ]] ||
		fail "no assigned step with the crew's name: $OUT" || return 1
	# the member's name and id are not the resident's by default, nor
	# the person, the phone or the rule
	[ -z "$(raw_field resident_member)" ] || fail "member named by default: $OUT" || return 1
	[[ $OUT == *"Chan Chi-keung"* || $OUT == *T07* ]] && { fail "the member leaked: $OUT"; return 1; }
	[[ $OUT == *repairs-to* ]] && { fail "the rule leaked: $OUT"; return 1; }
	[ "$(raw_field resident_can_rate)" = 0 ] || fail "rateable before resolution: $OUT"
}

test_member_name_when_the_estate_allows() {
	residents_config true
	kill -HUP "$DAEMON_PID"
	wait_for "$DAEMON_LOG" 'SIGHUP: configuration reloaded' 10 || fail "no reload: $(tail -3 "$DAEMON_LOG")" || return 1
	view "$RTOKEN"
	[ "$(raw_field resident_member)" = "Chan Chi-keung" ] || fail "no member name with the flag: $OUT" || return 1
	[[ $OUT == *"step: EVENT_ASSIGNED STATE_ASSIGNED Technical|Chan Chi-keung|"* ]] ||
		fail "the assigned step lacks the name: $OUT" || return 1
	residents_config false
	kill -HUP "$DAEMON_PID"
	wait_for "$DAEMON_LOG" 'SIGHUP: configuration reloaded.*' 10
	sleep 0.2
}

test_crew_steps_appear() {
	run as T07 crew --member T07 accept "$RTID"
	[ "$RC" = 0 ] || fail "accept: $ERR" || return 1
	run as T07 crew --member T07 arrive "$RTID"
	[ "$RC" = 0 ] || fail "arrive: $ERR" || return 1
	view "$RTOKEN"
	[ "$(raw_field resident_state)" = STATE_ON_SITE ] || fail "state: $OUT" || return 1
	[[ $OUT == *"step: EVENT_ACCEPTED STATE_ACCEPTED"* ]] || fail "no accepted step: $OUT" || return 1
	[[ $OUT == *"step: EVENT_ON_SITE STATE_ON_SITE"* ]] || fail "no on-site step: $OUT" || return 1
	run as T07 crew --member T07 hold "$RTID" --reason parts --note "internal: supplier invoice 4711"
	[ "$RC" = 0 ] || fail "hold: $ERR" || return 1
	view "$RTOKEN"
	[ "$(raw_field resident_hold)" = HOLD_PARTS ] || fail "no hold reason: $OUT" || return 1
	[[ $OUT == *"step: EVENT_ON_HOLD STATE_ON_HOLD ||HOLD_PARTS|"* ]] || fail "no hold step: $OUT" || return 1
	[[ $OUT == *4711* ]] && { fail "a staff note reached the resident: $OUT"; return 1; }
	run as T07 crew --member T07 resume "$RTID"
	[ "$RC" = 0 ] || fail "resume: $ERR"
}

test_rate_before_resolution_refused() {
	run gw --resident-rate "$RTOKEN" --score 4 --remark "early"
	[ "$(raw_field status)" = STATUS_CONFLICT ] || fail "rate before resolve: $OUT" || return 1
	[[ $(raw_field message) == "not resolved yet"* ]] || fail "unclear: $OUT" || return 1
	as desk desk show "$RTID" | history_events | grep -q '^followed up$' &&
		{ fail "a follow-up was recorded"; return 1; }
	return 0
}

test_rate_low_reopens_with_the_residents_follow_up() {
	run as T07 crew --member T07 resolve "$RTID" --note "replaced the starter"
	[ "$RC" = 0 ] || fail "resolve: $ERR" || return 1
	view "$RTOKEN"
	[ "$(raw_field resident_can_rate)" = 1 ] || fail "not rateable once resolved: $OUT" || return 1
	# bad fields first: named, nothing recorded
	run gw --resident-rate "$RTOKEN" --score 9
	[ "$(raw_field status)" = STATUS_INVALID ] && [ "$(raw_field field)" = resident_rate.satisfaction ] ||
		fail "score 9: $OUT" || return 1
	run gw --resident-rate "$RTOKEN" --score 2 --remark "$(printf 'x%.0s' $(seq 1 1001))"
	[ "$(raw_field field)" = resident_rate.remark ] || fail "long remark: $OUT" || return 1
	run gw --resident-rate "$RTOKEN" --score 2 --remark "still flickers at night" --request-id rate-1
	[ "$(raw_field status)" = STATUS_OK ] || fail "rate: $OUT" || return 1
	[[ $(raw_field message) == *"looked at again"* ]] || fail "no word of the reopening: $OUT" || return 1
	[[ $OUT == *"step: EVENT_FOLLOWED_UP STATE_RESOLVED |||2|1"* ]] || fail "no resident's step: $OUT" || return 1
	[[ $OUT == *"step: EVENT_REOPENED"* ]] || fail "no reopened step: $OUT" || return 1
	[[ $OUT == *"event: "* || $OUT == *"ticket: "* ]] && { fail "staff's reply parts sent: $OUT"; return 1; }
	# the desk's history: the resident's follow-up, then reopened
	run as desk desk show "$RTID"
	local re='followed up +resident \(resident\)'
	[[ $OUT =~ $re ]] || fail "history lacks the resident's follow-up: $OUT" || return 1
	[[ $OUT == *"still flickers at night"* ]] || fail "remark not in the history: $OUT" || return 1
	printf '%s\n' "$OUT" | history_events | grep -q '^reopened$' || fail "not reopened: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -q "^ticket $RTID: repair, assigned" || fail "not back to assigned: $OUT" || return 1
	# a retry gets the stored reply, and records nothing twice
	run gw --resident-rate "$RTOKEN" --score 2 --remark "still flickers at night" --request-id rate-1
	[ "$(raw_field status)" = STATUS_OK ] || fail "retry: $OUT" || return 1
	[ "$(as desk desk show "$RTID" | history_events | grep -c '^followed up$')" = 1 ] || fail "two follow-ups"
}

test_rate_again_refused() {
	# reopened: not resolved; resolved again: one rating, then no more
	run gw --resident-rate "$RTOKEN" --score 5
	[[ $(raw_field message) == "not resolved yet"* ]] || fail "rate while reopened: $OUT" || return 1
	run as T07 crew --member T07 accept "$RTID"
	run as T07 crew --member T07 arrive "$RTID"
	run as T07 crew --member T07 resolve "$RTID" --note "new fitting"
	[ "$RC" = 0 ] || fail "second resolve: $ERR" || return 1
	run gw --resident-rate "$RTOKEN" --score 5 --remark "好 thanks"
	[ "$(raw_field status)" = STATUS_OK ] || fail "rate after the second resolution: $OUT" || return 1
	[ "$(raw_field resident_satisfaction)" = 5 ] || fail "rating not shown: $OUT" || return 1
	run gw --resident-rate "$RTOKEN" --score 1
	[ "$(raw_field status)" = STATUS_CONFLICT ] || fail "a second rating: $OUT" || return 1
	[[ $(raw_field message) == "already rated"* ]] || fail "unclear: $OUT" || return 1
	[ "$(as desk desk show "$RTID" | history_events | grep -c '^followed up$')" = 2 ] || fail "follow-ups miscounted"
}

test_desk_reads_the_page_again() {
	run as desk desk show "$RTID"
	[[ $OUT == *"resident page: $PAGE/r/$RTOKEN"* ]] || fail "show lacks the page: $OUT" || return 1
	run as desk desk show "$RTID" --json
	[[ $OUT == *"\"resident_token\": \"$RTOKEN\""* ]] || fail "show --json lacks the token" || return 1
	# the roles that do not deal with residents never get it: a crew
	# member could rate their own work
	local k
	for k in T07 monitor qc; do
		run as "$k" raw --body get
		[ "$(raw_field status)" = STATUS_OK ] || fail "$k get: $OUT" || return 1
		[[ $OUT == *resident_* ]] && { fail "$k got the resident's token: $OUT"; return 1; }
	done
	run as desk raw --body get
	[ -n "$(raw_field resident_token)" ] || fail "the desk's get lacks the token: $OUT"
}

test_outage_text_on_the_page() {
	run as desk desk outage declare --text "Water is off in block 7 until noon" --building 7 \
		--until 2026-11-30T12:00
	[ "$RC" = 0 ] || fail "declare: $ERR" || return 1
	run as desk desk submit --unit 7-2B --kind repair --category plumbing --text "no water"
	[ "$RC" = 0 ] || fail "submit: $ERR" || return 1
	local tok
	tok=$(printf '%s\n' "$OUT" | sed -n 's|^  resident page: .*/r/\([A-Za-z0-9_-]*\)$|\1|p')
	view "$tok"
	[ "$(raw_field resident_outage)" = "Water is off in block 7 until noon" ] ||
		fail "no outage text on the page: $OUT" || return 1
	[[ $OUT == *"step: EVENT_LINKED"* ]] || fail "no linked step: $OUT"
}

test_paid_service_waits_for_consent() {
	run as desk desk submit --unit 5-3C --kind special --fee 350.50 --text "move a piano"
	[ "$RC" = 0 ] || fail "submit: $ERR" || return 1
	local tok
	tok=$(printf '%s\n' "$OUT" | sed -n 's|^  resident page: .*/r/\([A-Za-z0-9_-]*\)$|\1|p')
	view "$tok"
	[ "$(raw_field resident_state)" = STATE_ON_HOLD ] && [ "$(raw_field resident_hold)" = HOLD_CONSENT ] ||
		fail "not waiting for consent: $OUT" || return 1
	[ "$(raw_field resident_fee_cents)" = 35050 ] || fail "no quoted fee: $OUT"
}

test_a_corrected_report_points_to_its_page() {
	submit_12 "light out, wrong unit" 12-7G || return 1
	local old=$TOKEN oldid=$TID
	run as desk desk submit --unit 12-7F --kind repair --text "light out (corrected)" --replaces "$oldid"
	[ "$RC" = 0 ] || fail "corrected submit: $ERR" || return 1
	local new
	new=$(printf '%s\n' "$OUT" | sed -n 's|^  resident page: .*/r/\([A-Za-z0-9_-]*\)$|\1|p')
	view "$old"
	[ "$(raw_field resident_state)" = STATE_CANCELLED ] || fail "the first report is not cancelled: $OUT" || return 1
	[ "$(raw_field resident_replaced_by)" = "$new" ] || fail "no way to the corrected report's page: $OUT" || return 1
	[[ $OUT == *"replaced by ticket"* ]] && { fail "the cancel note reached the page: $OUT"; return 1; }
	return 0
}

test_wrong_tokens_get_nothing() {
	local t c alt other
	# one character changed (each position that is not the id's)
	c=${RTOKEN:5:1}
	[ "$c" = A ] && alt=B || alt=A
	t="${RTOKEN:0:5}$alt${RTOKEN:6}"
	view "$t"
	[ "$(raw_field status)" = STATUS_NOT_FOUND ] || fail "altered token: $OUT" || return 1
	no_ticket_data || return 1
	local msg1
	msg1=$(raw_field message)
	# random tokens of the right shape, and garbage
	for t in "$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
		"${RTOKEN}x" "short" "$RTOKEN="; do
		view "$t"
		[ "$(raw_field status)" = STATUS_NOT_FOUND ] || fail "token '$t': $OUT" || return 1
		no_ticket_data || return 1
		[ "$(raw_field message)" = "$msg1" ] || fail "the refusals differ: '$msg1' / '$(raw_field message)'" || return 1
	done
	# another ticket's id with this ticket's MAC: the id is 8 bytes at
	# the end of the 24 (base64url chars 22..31)
	other=$(python3 -c 'import base64, sys
t = sys.argv[1]
raw = bytearray(base64.urlsafe_b64decode(t + "="*(-len(t) % 4)))
raw[16:24] = (int(sys.argv[2])).to_bytes(8, "big")
print(base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("="))' "$RTOKEN" 2)
	view "$other"
	[ "$(raw_field status)" = STATUS_NOT_FOUND ] || fail "id 2 with ticket $RTID's MAC: $OUT" || return 1
	no_ticket_data || return 1
	run gw --resident-rate "$t" --score 1
	[ "$(raw_field status)" = STATUS_NOT_FOUND ] || fail "rate with a wrong token: $OUT"
}

test_resident_key_can_do_nothing_else() {
	local body
	for body in get list submit ping; do
		run gw --body "$body"
		[ "$(raw_field status)" = STATUS_FORBIDDEN ] || fail "resident key sent $body: $OUT" || return 1
		[[ $(raw_field message) == "the resident role may not "* ]] || fail "unclear ($body): $OUT" || return 1
	done
	run gw --replay 1
	[ "$(raw_field status)" = STATUS_FORBIDDEN ] || fail "resident key replayed: $OUT" || return 1
	run gw --accept "$RTID"
	[ "$(raw_field status)" = STATUS_FORBIDDEN ] || fail "resident key sent a transition: $OUT" || return 1
	# and nobody else views a resident's page: a desk key with a valid token
	run as desk raw --resident-view "$RTOKEN"
	[ "$(raw_field status)" = STATUS_FORBIDDEN ] || fail "the desk key viewed the page: $OUT" || return 1
	# nor does the resident key get the event stream (every ticket whole)
	local w=$TMP/watch.resident
	bg "$w" env DISPATCH_KEY="$KEYS/resident.key" "$B/dispatch-watch"
	wait_for "$DAEMON_LOG" 'refused resident \(resident\) from .* on dispatchd-events' 10 ||
		fail "the events socket let the resident key in: $(tail -3 "$DAEMON_LOG")" || return 1
	run as desk desk submit --unit 3-3C --kind repair --text "not for the resident stream"
	sleep 1
	grep -q "not for the resident stream" "$w" && { fail "the resident key received events"; return 1; }
	return 0
}

test_token_not_in_export_nor_stream() {
	local watch=$TMP/watch.out
	# the stream of everything so far, and a new ticket's live events
	bg "$watch" env DISPATCH_KEY="$KEYS/monitor.key" "$B/dispatch-watch" --json --from-seq 1
	sleep 1
	submit_12 "live stream ticket" 12-5E || return 1
	wait_for "$watch" "live stream ticket" 10 || fail "the watcher saw nothing: $(cat "$watch.err")" || return 1
	sleep 0.5
	grep -qF -- "$TOKEN" "$watch" && { fail "a token in the event stream"; return 1; }
	grep -qF -- "$RTOKEN" "$watch" && { fail "the first token in the event stream"; return 1; }
	run "$B/dispatchd" --state-dir "$STATE" export --from 2026-01-01
	[ "$RC" = 0 ] || fail "export exited $RC: $ERR" || return 1
	[[ $OUT == *"live stream ticket"* ]] || fail "the export lacks the ticket" || return 1
	[[ $OUT == *"$TOKEN"* || $OUT == *"$RTOKEN"* || $OUT == *resident_secret* ]] &&
		{ fail "a token (or the secret) in the export"; return 1; }
	return 0
}

test_notices_for_the_building() {
	run as desk desk notice --kind works --text "Building 12 water off Tue 10-12" --building 12 \
		--from 2026-12-01T10:00 --to 2026-12-01T12:00
	[ "$RC" = 0 ] || fail "notice: $ERR" || return 1
	run as desk desk notice --kind works --text "Building 2 lift service" --building 2
	run as desk desk notice --kind activity --text "Estate-wide mid-autumn lanterns"
	run as desk desk notice --kind works --text "Yesterday's 12 works" --building 12 \
		--from 2026-11-29T09:00 --to 2026-11-29T17:00
	view "$RTOKEN"
	[[ $OUT == *"notice: Building 12 water off"* ]] || fail "building 12's notice missing: $OUT" || return 1
	[[ $OUT == *"notice: Estate-wide mid-autumn lanterns"* ]] || fail "estate notice missing: $OUT" || return 1
	[[ $OUT == *"Building 2 lift"* ]] && { fail "another building's notice shown: $OUT"; return 1; }
	[[ $OUT == *"Yesterday's"* ]] && { fail "a past notice shown: $OUT"; return 1; }
	# a building-2 ticket sees its own
	run as desk desk submit --unit 2-3C --kind repair --text "b2 ticket"
	local t2
	t2=$(printf '%s\n' "$OUT" | sed -n 's|^  resident page: .*/r/\([A-Za-z0-9_-]*\)$|\1|p')
	view "$t2"
	[[ $OUT == *"notice: Building 2 lift service"* ]] || fail "b2 misses its notice: $OUT" || return 1
	[[ $OUT == *"Building 12"* ]] && { fail "b2 sees building 12's: $OUT"; return 1; }
	return 0
}

test_tokens_and_notices_outlive_a_restart() {
	stop_daemon
	[ "$DAEMON_RC" = 0 ] || fail "stop exit $DAEMON_RC" || return 1
	start_daemon || return 1
	view "$RTOKEN"
	[ "$(raw_field status)" = STATUS_OK ] || fail "the token died with the daemon: $OUT" || return 1
	[[ $OUT == *"notice: Building 12 water off"* ]] || fail "notices not rebuilt from the log: $OUT"
}

test_ipc_resident_role() {
	# over ipc the stated role: resident may view and rate, nothing else
	local ipc=ipc://$TMP/req2 out
	stop_daemon
	start_daemon --request "$ipc" || return 1
	# the second --request replaced the tcp one? then use it
	DISPATCH_ENDPOINT=$ipc run "$B/dispatch-raw" --role resident --resident-view "$RTOKEN"
	if [ "$(raw_field status)" != STATUS_OK ]; then
		fail "ipc view: $OUT $ERR"
		return 1
	fi
	DISPATCH_ENDPOINT=$ipc run "$B/dispatch-raw" --role resident --body list
	[ "$(raw_field status)" = STATUS_FORBIDDEN ] || fail "ipc resident listed: $OUT" || return 1
	DISPATCH_ENDPOINT=$ipc run "$B/dispatch-raw" --role desk --resident-view "$RTOKEN"
	[ "$(raw_field status)" = STATUS_FORBIDDEN ] || fail "ipc desk viewed: $OUT"
}

test_config_vetted() {
	local bad=$TMP/bad.yaml
	{
		sample_without_residents
		printf '\nresidents:\n  page_url: "ftp://x y"\n  show_member_name: maybe\n  colour: red\n'
	} >"$bad"
	run "$B/dispatchd" --config "$bad" --check-config
	[ "$RC" != 0 ] || fail "a bad residents block passed" || return 1
	[[ $ERR =~ bad.yaml:[0-9]+:[0-9]+:.*page_url ]] || fail "page_url not placed: $ERR" || return 1
	[[ $ERR == *show_member_name* ]] || fail "show_member_name not named: $ERR" || return 1
	[[ $ERR == *colour* ]] || fail "unknown key not named: $ERR"
}

setup
t "the desk's submit prints the resident's page (and --json carries it)" test_submit_prints_the_page
t "the page: received, assigned to the crew by name, no member name by default" test_view_received_and_assigned
t "the page names the member when the estate allows it" test_member_name_when_the_estate_allows
t "accepted, on site, on hold (the reason, not the note) appear as steps" test_crew_steps_appear
t "a rating before the work is resolved is refused" test_rate_before_resolution_refused
t "a rating of 2 is the resident's follow-up and reopens the ticket" test_rate_low_reopens_with_the_residents_follow_up
t "one rating per resolution" test_rate_again_refused
t "the desk (not the crew, monitors or qc) reads the page's link again" test_desk_reads_the_page_again
t "a report attached to an outage shows the outage's text" test_outage_text_on_the_page
t "a paid service's page shows the quoted fee awaiting consent" test_paid_service_waits_for_consent
t "a report replaced by a corrected one points to the corrected one's page" test_a_corrected_report_points_to_its_page
t "altered, random and forged tokens get NOT_FOUND and no ticket data" test_wrong_tokens_get_nothing
t "the resident key can view and rate only" test_resident_key_can_do_nothing_else
t "the token is not in the export nor the event stream" test_token_not_in_export_nor_stream
t "notices in force for the unit's building (not another's, not past ones)" test_notices_for_the_building
t "tokens and notices outlive a restart" test_tokens_and_notices_outlive_a_restart
t "over ipc the stated resident role views and rates only" test_ipc_resident_role
t "a bad residents: block is reported with file, line and column" test_config_vetted
finish
