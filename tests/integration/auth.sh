#!/usr/bin/env bash
# auth.sh: CURVE encryption, key-based authentication and roles (issue 7),
# against the real daemon on tcp loopback (random free ports) with the
# real clients. The sample estate's `security.generate` makes a demo key
# set in the state directory on the first start: one key pair per role
# and per crew member, listed in $STATE/keys/clients.
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

# as NAME CMD...: run CMD with the key pair NAME (desk, monitor, T07, ...).
as() {
	local k=$1
	shift
	DISPATCH_KEY=$KEYS/$k.key "$@"
}

# wait_for_text FILE TEXT SECONDS: wait_for with a fixed string (keys hold
# characters that mean something in a regular expression).
wait_for_text() {
	local tries=$(($3 * 10))
	until grep -qF -- "$2" "$1" 2>/dev/null; do
		tries=$((tries - 1))
		[ $tries -le 0 ] && return 1
		sleep 0.1
	done
}

# ticket_member ID: the member a ticket is assigned to ("-" if none).
ticket_member() {
	as desk desk show "$1" | awk '$1 == "member" { print $2; exit }'
}

test_tcp_needs_keys_in_the_config() {
	local cfg=$TMP/nokeys.yaml
	# the sample estate without its security: section
	awk '/^security:/ { skip = 1; next } skip && /^  / { next } { skip = 0; print }' "$CONFIG" >"$cfg"
	grep -q server_key "$cfg" && { fail "could not strip the security section"; return 1; }
	run timeout 20 "$B/dispatchd" --config "$cfg" --state-dir "$TMP/nokeys" --request "tcp://127.0.0.1:$(free_port)" \
		--events "ipc://$TMP/nokeys.ev"
	[ "$RC" = 1 ] || fail "expected exit 1, got $RC" || return 1
	[[ $ERR == *"every TCP endpoint is encrypted and authenticated (CURVE)"*"security:"* ]] ||
		fail "no clear message: $ERR"
}

test_gen_keys() {
	run "$B/dispatchd" --gen-keys "$TMP/gk" --name desk-2
	[ "$RC" = 0 ] || fail "exit $RC: $ERR" || return 1
	[ "$(stat -c %a "$TMP/gk/desk-2.key")" = 600 ] || fail "secret key mode $(stat -c %a "$TMP/gk/desk-2.key")" || return 1
	grep -q '^public-key = ' "$TMP/gk/desk-2.pub" || fail "no public key in desk-2.pub" || return 1
	grep -q 'secret-key' "$TMP/gk/desk-2.pub" && { fail "the .pub file holds the secret key"; return 1; }
	[[ $OUT == *"ROLE  desk-2"* ]] || fail "no clients-file line printed: $OUT" || return 1
	run "$B/dispatchd" --gen-keys "$TMP/gk" --name desk-2
	[ "$RC" = 1 ] || fail "overwrote an existing key (exit $RC)" || return 1
	[[ $ERR == *"desk-2.key"*"never overwrites"* ]] || fail "unclear refusal: $ERR"
}

test_demo_keys_made_on_first_start() {
	[ -s "$KEYS/clients" ] || fail "no $KEYS/clients" || return 1
	[ "$(stat -c %a "$KEYS/server.key")" = 600 ] || fail "server.key mode $(stat -c %a "$KEYS/server.key")" || return 1
	grep -q ' crew .*T07$' "$KEYS/clients" || fail "no key for T07" || return 1
	grep -q 'DISPATCH_SERVER_KEY=.*server.pub DISPATCH_KEY=.*desk.key' "$DAEMON_LOG" ||
		fail "the daemon did not say how clients use the keys"
}

test_client_without_keys_is_told_what_to_do() {
	run desk ping
	[ "$RC" = 2 ] || fail "expected exit 2, got $RC" || return 1
	[[ $ERR == *"--key FILE"*"DISPATCH_KEY"*"--server-key"* ]] || fail "unclear: $ERR" || return 1
	run env DISPATCH_KEY="$KEYS/nobody.key" "$B/dispatch-desk" ping
	[ "$RC" = 2 ] && [[ $ERR == *"$KEYS/nobody.key: cannot open"* ]] || fail "missing key file: $RC $ERR" || return 1
	cp "$KEYS/desk.key" "$TMP/loose.key" && chmod 644 "$TMP/loose.key"
	run env DISPATCH_KEY="$TMP/loose.key" "$B/dispatch-desk" ping
	[ "$RC" = 2 ] && [[ $ERR == *"$TMP/loose.key"*"readable by others"*"chmod 600"* ]] ||
		fail "loose key file: $RC $ERR"
}

test_known_key_gets_in() {
	run as desk desk ping
	[ "$RC" = 0 ] || fail "desk ping exit $RC: $ERR"
}

test_unknown_key_refused_and_logged() {
	"$B/dispatchd" --gen-keys "$TMP/stranger" --name stranger >/dev/null || return 1
	local pub
	pub=$(sed -n 's/^public-key = //p' "$TMP/stranger/stranger.pub")
	run env DISPATCH_KEY="$TMP/stranger/stranger.key" "$B/dispatch-desk" ping
	[ "$RC" = 3 ] || fail "a stranger's ping: exit $RC (want 3, unreachable): $OUT $ERR" || return 1
	grep -qF "refused an unknown CURVE key $pub from 127.0.0.1 on dispatchd-request" "$DAEMON_LOG" ||
		fail "not logged with the peer address: $(grep -i curve "$DAEMON_LOG" | tail -n 3)"
}

test_monitor_cannot_submit() {
	run as monitor desk --role desk submit --unit 12-1A --kind repair --text "monitor tries"
	[ "$RC" = 1 ] || fail "exit $RC: $OUT $ERR" || return 1
	[[ $ERR == *"may not submit"* ]] || fail "unclear refusal: $ERR" || return 1
	run as qc desk submit --unit 12-1A --kind repair --text "qc tries"
	[ "$RC" = 1 ] || fail "qc submitted (exit $RC)" || return 1
	run as monitor desk list
	[ "$RC" = 0 ] || fail "a monitor cannot read: $ERR"
}

test_claimed_identity_ignored() {
	run as desk desk --actor mallory --role supervisor submit --unit 12-1A --kind repair --text "who am I"
	[ "$RC" = 0 ] || fail "submit exit $RC: $ERR" || return 1
	local tid
	tid=$(printf '%s\n' "$OUT" | sed -n 's/^ticket \([0-9]*\) .*/\1/p')
	run as desk desk show "$tid"
	local re='submitted +desk \(desk\)'
	[[ $OUT =~ $re ]] || fail "history does not name the key's identity: $OUT" || return 1
	[[ $OUT == *mallory* ]] && { fail "the claimed actor reached the record: $OUT"; return 1; }
	# a crew key claiming the desk role is still a crew member
	run as T08 desk --role desk --actor desk cancel "$tid" --reason "not mine"
	[ "$RC" = 1 ] || fail "a crew key cancelled (exit $RC)" || return 1
	[[ $ERR == *"T08 (role crew) may not"* ]] || fail "unclear refusal: $ERR"
}

test_crew_cannot_accept_anothers_ticket() {
	as T07 follow T07 || return 1
	run as desk desk submit --unit 1-2A --kind repair --text "lights out in B1"
	[ "$RC" = 0 ] || fail "submit exit $RC: $ERR" || return 1
	TID=$(printf '%s\n' "$OUT" | sed -n 's/^ticket \([0-9]*\) .*/\1/p')
	[ "$(ticket_member "$TID")" = T07 ] || fail "ticket $TID went to $(ticket_member "$TID"), not T07" || return 1
	# T08's handheld says it is T07: the key says T08
	run as T08 crew --member T07 accept "$TID"
	[ "$RC" = 1 ] || fail "T08 accepted T07's ticket (exit $RC): $OUT" || return 1
	run as T07 crew --member T07 accept "$TID"
	[ "$RC" = 0 ] || fail "T07 cannot accept its own ticket: $ERR"
}

test_replay_scoped_to_member() {
	run as T07 raw --replay 1
	[ "$RC" = 0 ] && [[ $OUT == *"status: STATUS_OK"* ]] || fail "T07 replay: $RC $OUT $ERR" || return 1
	local mine others all
	mine=$(printf '%s\n' "$OUT" | grep -c '^event: [0-9]* T07$')
	others=$(printf '%s\n' "$OUT" | grep '^event: ' | grep -vc ' T07$')
	[ "$mine" -ge 1 ] && [ "$others" = 0 ] || fail "T07 replay: $mine own, $others others" || return 1
	run as monitor raw --replay 1
	all=$(printf '%s\n' "$OUT" | grep -c '^event: ')
	[ "$all" -gt "$mine" ] || fail "a monitor replays $all events, T07 $mine"
}

test_revocation() {
	local pub
	pub=$(sed -n 's/^public-key = //p' "$KEYS/monitor.pub")
	DISPATCH_KEY=$KEYS/monitor.key bg "$TMP/rwatch.out" "$B/dispatch-watch"
	wait_for "$DAEMON_LOG" 'monitor \(monitor\) connected from 127.0.0.1 on dispatchd-events' 10 ||
		fail "the watch never connected" || return 1
	wait_for "$TMP/rwatch.out.err" '^dispatch-watch: subscribed to ' "$READY_TIMEOUT" ||
		fail "the watch never said it was subscribed: $(cat "$TMP/rwatch.out.err")" || return 1
	run as desk desk submit --unit 3-3C --kind cleaning --text "before revocation"
	wait_for "$TMP/rwatch.out" '3-3C' 10 || fail "the watch did not see the first ticket" || return 1
	grep -vF -e "$pub" "$KEYS/clients" >"$KEYS/clients.new" && mv "$KEYS/clients.new" "$KEYS/clients"
	kill -HUP "$DAEMON_PID"
	wait_for "$DAEMON_LOG" 'key of monitor \(monitor\) revoked' 10 || fail "revocation not logged" || return 1
	wait_for "$DAEMON_LOG" 'closed every connection on .*events' 10 || fail "connections not closed" || return 1
	# the watch tries again and is turned away; it sees nothing more
	wait_for_text "$DAEMON_LOG" "refused an unknown CURVE key $pub from 127.0.0.1 on dispatchd-events" 10 ||
		fail "the revoked watch was not refused on reconnect" || return 1
	run as desk desk submit --unit 5-5E --kind cleaning --text "after revocation"
	[ "$RC" = 0 ] || fail "the desk lost its way after the revocation: $ERR" || return 1
	sleep 2
	grep -q '5-5E' "$TMP/rwatch.out" && { fail "the revoked watch still receives events"; return 1; }
	run as monitor desk list
	[ "$RC" = 3 ] || fail "the revoked key still gets answers (exit $RC)" || return 1
	run as qc desk list
	[ "$RC" = 0 ] || fail "another key was refused after the revocation: $ERR"
}

test_traffic_encrypted() {
	if ! command -v tcpdump >/dev/null || ! tcpdump -D >/dev/null 2>&1; then
		skip "tcpdump missing or not allowed to capture here"
		return
	fi
	local canary="CANARY-$RANDOM-$RANDOM-plaintext" cap=$TMP/lo.pcap
	DISPATCH_KEY=$KEYS/supervisor.key bg "$TMP/cwatch.out" "$B/dispatch-watch"
	wait_for "$DAEMON_LOG" 'supervisor \(supervisor\) connected from 127.0.0.1 on dispatchd-events' 10 ||
		fail "the watch never connected" || return 1
	wait_for "$TMP/cwatch.out.err" '^dispatch-watch: subscribed to ' "$READY_TIMEOUT" ||
		fail "the watch never said it was subscribed: $(cat "$TMP/cwatch.out.err")" || return 1
	timeout -k 2 60 tcpdump -i lo -U -s 0 -w "$cap" "tcp port $PORT_REQ or tcp port $PORT_EV" 2>"$TMP/tcpdump.err" &
	local tpid=$!
	BG_PIDS+=("$tpid")
	wait_for "$TMP/tcpdump.err" 'listening on' 10 || fail "tcpdump: $(cat "$TMP/tcpdump.err")" || return 1
	run as desk desk submit --unit 12-2B --kind repair --text "$canary"
	[ "$RC" = 0 ] || fail "submit exit $RC: $ERR" || return 1
	wait_for "$TMP/cwatch.out" '12-2B' 10 || fail "the event never reached the watch" || return 1
	run as desk desk show "$(printf '%s\n' "$OUT" | sed -n 's/^ticket \([0-9]*\) .*/\1/p')"
	[[ $OUT == *"$canary"* ]] || fail "the text did not come back decrypted" || return 1
	# control: bytes sent in the clear to the same port do show in the capture
	printf 'CONTROL-%s' "$canary" >"/dev/tcp/127.0.0.1/$PORT_REQ" 2>/dev/null
	sleep 1
	kill -INT "$tpid" 2>/dev/null
	wait_gone "$tpid" 5
	grep -aq "CONTROL-$canary" "$cap" || fail "the capture does not work (no control bytes)" || return 1
	grep -a -- "$canary" "$cap" | grep -aqv "CONTROL-" && { fail "ticket text in the clear on the wire"; return 1; }
	[ "$(grep -ac -- "$canary" "$cap")" = 1 ] || fail "ticket text in the clear on the wire"
}

# Request ids are each key's own (issue 24): the stored reply belongs to
# the identity that sent the request, and to that request.
KEYED_TID=""
test_request_id_from_another_key_is_a_new_request() {
	run as desk desk submit --unit 2-3C --kind repair --text "for T08, accepted with id pre-1"
	[ "$RC" = 0 ] || fail "submit exit $RC: $ERR" || return 1
	KEYED_TID=$(printf '%s\n' "$OUT" | sed -n 's/^ticket \([0-9]*\) .*/\1/p')
	run as desk desk assign "$KEYED_TID" --member T08 --reason "T08 is in the building"
	[ "$RC" = 0 ] || fail "assign to T08 exit $RC: $ERR" || return 1
	run as T08 raw --accept "$KEYED_TID" --request-id pre-1
	[ "$(raw_field status)" = STATUS_OK ] || fail "T08's accept: $OUT $ERR" || return 1
	# the desk's own new report, by chance with the same id
	run as desk raw --request-id pre-1 --unit 6-1A --text "the desk's own report pre-1"
	[ "$(raw_field status)" = STATUS_OK ] || fail "the desk's submit: $OUT" || return 1
	local mine
	mine=$(raw_field ticket)
	[ -n "$mine" ] && [ "$mine" != "$KEYED_TID" ] ||
		fail "the desk's submit with id pre-1 got T08's stored reply (ticket $mine), no new ticket: $(raw_field message)" ||
		return 1
	run as desk desk show "$mine"
	[[ $OUT == *"the desk's own report pre-1"* ]] || fail "ticket $mine is not the desk's report: $OUT" || return 1
	# each key's retry still gets its own stored reply
	run as desk raw --request-id pre-1 --unit 6-1A --text "the desk's own report pre-1"
	[ "$(raw_field ticket)" = "$mine" ] || fail "the desk's retry: ticket $(raw_field ticket), not $mine: $OUT" || return 1
	run as T08 raw --accept "$KEYED_TID" --request-id pre-1
	[ "$(raw_field status)" = STATUS_OK ] && [ "$(raw_field ticket)" = "$KEYED_TID" ] ||
		fail "T08's retry: $OUT" || return 1
	local accepts
	accepts=$(as desk desk show "$KEYED_TID" | history_events | grep -c '^accepted$')
	[ "$accepts" = 1 ] || fail "ticket $KEYED_TID has $accepts accepted events after T08's retry"
}

test_a_key_cannot_read_anothers_reply_by_its_id() {
	run as desk raw --request-id desk-secret-1 --unit 8-2D --text "resident's private detail"
	[ "$(raw_field status)" = STATUS_OK ] || fail "the desk's submit: $OUT" || return 1
	local theirs
	theirs=$(raw_field ticket)
	# a request a crew key may send (an accept, of a ticket there is not),
	# under the desk's id: it is the crew key's own new request
	run as T08 raw --accept 999999 --request-id desk-secret-1
	[ "$(raw_field status)" = STATUS_NOT_FOUND ] ||
		fail "a crew key reusing the desk's id got $(raw_field status), ticket '$(raw_field ticket)' (the desk's is $theirs): $(raw_field message)" ||
		return 1
	[ -z "$(raw_field ticket)" ] || fail "the crew key got a ticket back: $OUT"
}

test_request_id_reused_for_another_request_is_refused() {
	local before after
	before=$(as desk desk list --all --limit 1000 | grep -Ec '^[0-9]+ ')
	run as desk raw --request-id pre-1 --unit 6-1A --text "another report, same id"
	[ "$(raw_field status)" = STATUS_CONFLICT ] || fail "same key, same id, other body: $OUT" || return 1
	[[ $(raw_field message) == "request id already used for a different request"* ]] ||
		fail "unclear refusal: $(raw_field message)" || return 1
	[ "$(raw_field field)" = request_id ] || fail "field '$(raw_field field)'" || return 1
	after=$(as desk desk list --all --limit 1000 | grep -Ec '^[0-9]+ ')
	[ "$before" = "$after" ] || fail "tickets $before -> $after"
}

setup
t "a tcp endpoint without keys in the configuration is refused" test_tcp_needs_keys_in_the_config
t "--gen-keys writes a 0600 secret key and never overwrites" test_gen_keys
t "the first start makes a demo key set and says how to use it" test_demo_keys_made_on_first_start
t "a client without keys is told which options and files" test_client_without_keys_is_told_what_to_do
t "a listed key gets in" test_known_key_gets_in
t "an unknown key is refused and logged with the peer address" test_unknown_key_refused_and_logged
t "a monitor (or qc) cannot submit, but can read" test_monitor_cannot_submit
t "the identity claimed in the payload is ignored" test_claimed_identity_ignored
t "a crew member cannot accept another member's ticket" test_crew_cannot_accept_anothers_ticket
t "a crew key replays only its own member's events" test_replay_scoped_to_member
t "revoking a key disconnects and refuses it; others go on" test_revocation
t "a request id used by another key is a new request (T08's pre-1, then the desk's)" test_request_id_from_another_key_is_a_new_request
t "a crew key reusing the desk's request id does not get the desk's reply" test_a_key_cannot_read_anothers_reply_by_its_id
t "the same key reusing a request id for another request: CONFLICT" test_request_id_reused_for_another_request_is_refused
t "traffic on the wire is encrypted (packet capture)" test_traffic_encrypted
finish
