#!/usr/bin/env bash
# hq.sh: many estates and head office (issue 18), all real: a 3-server NATS
# JetStream cluster on loopback (nats-server, ports 18200-18299), two real
# estates (dispatchd, each with its own store and sockets), the real
# dispatch-ship at each and the real dispatch-hq consuming. Head office's
# copy of each estate is compared with the estate's log record by record,
# byte for byte (mdb_dump of the events database), after shipper kills,
# a cluster outage, a dead server, a dead consumer and a purge.
. "$(dirname "$0")/lib.sh"

H=$TMP/hq
NATS=$H/nats
BASE=18200
ESTATES="e1 e2"
declare -A EPID SHIP CONS_PID
CONS=""
LOAD=""
TLS_PID=""

if ! command -v nats-server >/dev/null 2>&1; then
	echo "skip - head office over NATS JetStream: nats-server is not installed (scripts/deps.sh test)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

hq_cleanup() {
	[ -n "$LOAD" ] && kill "$LOAD" 2>/dev/null
	[ -n "$TLS_PID" ] && kill -KILL "$TLS_PID" 2>/dev/null
	[ -n "$CONS" ] && kill -KILL "$CONS" 2>/dev/null
	for e in $ESTATES; do
		[ -n "${SHIP[$e]:-}" ] && kill -KILL "${SHIP[$e]}" 2>/dev/null
		[ -n "${EPID[$e]:-}" ] && kill -TERM "${EPID[$e]}" 2>/dev/null
	done
	[ -d "$NATS" ] && "$ROOT/scripts/hq-cluster.sh" stop "$NATS"
	cleanup
}
trap hq_cleanup EXIT

estate_state() { echo "$H/estate-$1"; }
edesk() { # edesk ESTATE ARGS...: dispatch-desk at that estate
	local e=$1
	shift
	DISPATCH_ENDPOINT=ipc://$H/$e.req DISPATCH_EVENTS=ipc://$H/$e.ev desk "$@"
}

start_estate() {
	local e=$1
	${DISPATCHD_WRAP:-} "$B/dispatchd" --config "$CONFIG" --state-dir "$(estate_state "$e")" \
		--request "ipc://$H/$e.req" --events "ipc://$H/$e.ev" --clock-at 2026-11-30T10:00:00 \
		2>>"$H/$e.daemon.log" &
	EPID[$e]=$!
	wait_for "$H/$e.daemon.log" 'ready' "$READY_TIMEOUT" || { cat "$H/$e.daemon.log" >&2; return 1; }
}

start_ship() {
	local e=$1
	case $B in
	*asan*) ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$B/dispatch-ship" --config "$H/ship-$e.conf" --idle 2 2>>"$H/ship-$e.log" & ;;
	*) "$B/dispatch-ship" --config "$H/ship-$e.conf" --idle 2 2>>"$H/ship-$e.log" & ;;
	esac
	SHIP[$e]=$!
}

start_consume() {
	case $B in
	*asan*) ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$B/dispatch-hq" --config "$H/hq.conf" consume >>"$H/consume.out" 2>>"$H/consume.log" & ;;
	*) "$B/dispatch-hq" --config "$H/hq.conf" consume >>"$H/consume.out" 2>>"$H/consume.log" & ;;
	esac
	CONS=$!
}

hq() { timeout -k 2 60 "$B/dispatch-hq" --config "$H/hq.conf" "$@"; }

# the estate's last seq, from its daemon
estate_seq() {
	edesk "$1" ping 2>/dev/null | sed -n 's/.*last seq \([0-9]*\).*/\1/p'
}
copy_seq() {
	hq status --estate "$1" 2>/dev/null | sed -n 's/.*seq \([0-9]*\).*/\1/p'
}
# wait_copy ESTATE SECONDS: head office's copy has reached the estate's last seq
wait_copy() {
	local e=$1 tries=$(($2 * 5)) want got
	want=$(estate_seq "$e")
	[ -n "$want" ] || { fail "estate $e does not answer a ping"; return 1; }
	while :; do
		got=$(copy_seq "$e")
		[ "${got:-0}" -ge "$want" ] && return 0
		tries=$((tries - 1))
		[ $tries -le 0 ] && { fail "head office's copy of $e at seq ${got:-?}, the estate at $want"; return 1; }
		sleep 0.2
	done
}
# the events database's records (seq -> bytes), without the header
dump_events() { mdb_dump -s events "$1" | sed -n '/^HEADER=END/,$p'; }
# same_log ESTATE: head office's copy equals the estate's log, record by record
same_log() {
	local e=$1
	dump_events "$(estate_state "$e")" >"$H/$e.estate.dump"
	dump_events "$H/store/$e" >"$H/$e.hq.dump"
	cmp -s "$H/$e.estate.dump" "$H/$e.hq.dump" ||
		fail "head office's copy of $e differs from its log: $(diff "$H/$e.estate.dump" "$H/$e.hq.dump" | head -4 | tr '\n' ' ')" || return 1
}
# stream_state ESTATE: "messages first last" of ESTATE_<e> as a server sees it
stream_state() {
	local n
	for n in 1 2 3; do
		python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' "http://127.0.0.1:$((BASE + 20 + n))/jsz?accounts=true&streams=true" 2>/dev/null |
			python3 -c '
import json, sys
d = json.load(sys.stdin)
for a in d.get("account_details", []):
    for s in a.get("stream_detail", []):
        if s["name"] == sys.argv[1]:
            st = s["state"]; print(st["messages"], st["first_seq"], st["last_seq"]); sys.exit(0)
sys.exit(1)' "ESTATE_$1" && return 0
	done
	return 1
}

# load ESTATE...: submissions, one after another, until killed
load() {
	local i=0 units=(12-1A 12-2B 12-3C 12-5E 12-6F 1-2A 3-3C 5-5E) kinds=(repair cleaning security)
	while :; do
		for e in "$@"; do
			edesk "$e" submit --unit "${units[$((i % 8))]}" --kind "${kinds[$((i % 3))]}" \
				--text "load $i" >/dev/null 2>&1
		done
		i=$((i + 1))
	done
}

test_setup() {
	mkdir -p "$H"
	"$ROOT/scripts/hq-cluster.sh" config "$NATS" $BASE $ESTATES || { fail "cluster config"; return 1; }
	"$ROOT/scripts/hq-cluster.sh" start "$NATS"
	"$ROOT/scripts/hq-cluster.sh" wait "$NATS" 30 || { fail "no JetStream meta leader in 30 s: $(tail -3 "$NATS/n1.log")"; return 1; }
	local urls
	urls=$("$ROOT/scripts/hq-cluster.sh" urls "$NATS")
	for who in hq hq-admin; do
		cat >"$H/$who.conf" <<EOF
servers = $urls
user = $who
password-file = $NATS/pass/$who
store = $H/store
estate = e1 Harbour View Gardens
estate = e2 Garden Court
group = east e1 e2
EOF
	done
	run timeout 60 "$B/dispatch-hq" --config "$H/hq-admin.conf" init
	[ "$RC" = 0 ] || fail "init exited $RC: $ERR" || return 1
	[[ $OUT == *"stream ESTATE_e1"*"3 replicas"* ]] || fail "init said: $OUT" || return 1
	for e in $ESTATES; do
		cat >"$H/ship-$e.conf" <<EOF
servers = $urls
estate = $e
user = $e
password-file = $NATS/pass/$e
state-dir = $(estate_state "$e")
request = ipc://$H/$e.req
events = ipc://$H/$e.ev
EOF
		start_estate "$e" || { fail "estate $e did not start"; return 1; }
	done
	# some history before shipping is turned on: it is shipped too
	for i in 1 2 3; do edesk e1 submit --unit 12-1A --kind repair --text "before shipping $i" >/dev/null; done
	for e in $ESTATES; do start_ship "$e"; done
	start_consume
	wait_for "$H/consume.log" 'consuming 2 estate' 20 || fail "consume did not start: $(cat "$H/consume.log")"
}

test_in_order() {
	local i
	for i in $(seq 10); do
		edesk e1 submit --unit 12-2B --kind cleaning --text "e1 ticket $i" >/dev/null || { fail "submit e1"; return 1; }
	done
	for i in $(seq 5); do
		edesk e2 submit --unit 3-3C --kind repair --text "e2 ticket $i" >/dev/null || { fail "submit e2"; return 1; }
	done
	wait_copy e1 20 && wait_copy e2 20 || return 1
	same_log e1 && same_log e2 || return 1
	run hq verify
	[ "$RC" = 0 ] || fail "verify exited $RC: $OUT" || return 1
	# the stream holds each seq once: as many messages as the last seq
	local st
	st=$(stream_state e1) || { fail "no stream state for ESTATE_e1"; return 1; }
	set -- $st
	[ "$1" = "$3" ] && [ "$2" = 1 ] && [ "$3" = "$(estate_seq e1)" ] ||
		fail "stream ESTATE_e1: $1 messages, seqs $2..$3; estate at $(estate_seq e1)" || return 1
}

test_shipper_killed() {
	load e1 e2 &
	LOAD=$!
	local k
	for k in $(seq 22); do
		sleep "0.$((RANDOM % 4 + 1))"
		kill -KILL "${SHIP[e1]}" 2>/dev/null
		wait "${SHIP[e1]}" 2>/dev/null
		[ $((k % 3)) = 0 ] && { kill -KILL "${SHIP[e2]}" 2>/dev/null; wait "${SHIP[e2]}" 2>/dev/null; start_ship e2; }
		start_ship e1
	done
	kill "$LOAD" 2>/dev/null
	wait "$LOAD" 2>/dev/null
	LOAD=""
	wait_copy e1 30 && wait_copy e2 30 || return 1
	same_log e1 && same_log e2 || return 1
	local st
	st=$(stream_state e1)
	set -- $st
	[ "$1" = "$3" ] && [ "$3" = "$(estate_seq e1)" ] ||
		fail "stream ESTATE_e1 after the kills: $1 messages, seqs $2..$3; estate at $(estate_seq e1)" || return 1
	echo "# e1 at seq $(estate_seq e1), e2 at $(estate_seq e2) after 22 kills"
}

test_cluster_down() {
	"$ROOT/scripts/hq-cluster.sh" stop "$NATS"
	local i
	for i in $(seq 6); do
		edesk e1 submit --unit 12-3C --kind security --text "while head office is down $i" >/dev/null
		edesk e2 submit --unit 5-5E --kind repair --text "while head office is down $i" >/dev/null
	done
	sleep 2
	"$ROOT/scripts/hq-cluster.sh" start "$NATS"
	"$ROOT/scripts/hq-cluster.sh" wait "$NATS" 30 || { fail "the cluster did not come back"; return 1; }
	wait_copy e1 60 && wait_copy e2 60 || return 1
	same_log e1 && same_log e2
}

test_one_server_dead() {
	"$ROOT/scripts/hq-cluster.sh" kill "$NATS" 1
	local i
	for i in $(seq 6); do
		edesk e1 submit --unit 12-5E --kind cleaning --text "one server dead $i" >/dev/null
	done
	wait_copy e1 40 || { "$ROOT/scripts/hq-cluster.sh" start "$NATS" 1; return 1; }
	same_log e1
	local rc=$?
	"$ROOT/scripts/hq-cluster.sh" start "$NATS" 1
	return $rc
}

test_consumer_killed() {
	load e1 &
	LOAD=$!
	sleep 1
	kill -KILL "$CONS"
	wait "$CONS" 2>/dev/null
	sleep 1
	kill "$LOAD" 2>/dev/null
	wait "$LOAD" 2>/dev/null
	LOAD=""
	start_consume
	wait_copy e1 40 && wait_copy e2 20 || return 1
	same_log e1 && same_log e2 || return 1
	# counted once: the report over head office's copy is the estate's
	report_equal daily --date 2026-11-30
}

# report_equal ARGS: dispatchd's report at the estate and dispatch-hq's over its copy of e1
report_equal() {
	local at=2026-11-30T18:00:00
	run "$B/dispatchd" --config "$CONFIG" --state-dir "$(estate_state e1)" --clock-at $at report "$@"
	[ "$RC" = 0 ] || fail "the estate's report exited $RC: $ERR" || return 1
	local want=$OUT
	run hq report "$@" --estate e1 --clock-at $at
	[ "$RC" = 0 ] || fail "head office's report exited $RC: $ERR" || return 1
	[ "$OUT" = "$want" ] || fail "head office's report differs: $(diff <(echo "$want") <(echo "$OUT") | head -6 | tr '\n' ' ')" || return 1
	[[ $OUT == *[0-9]* ]] || fail "an empty report" || return 1
}

test_reports_equal() {
	report_equal daily --date 2026-11-30 || return 1
	report_equal daily --date 2026-11-30 --format json || return 1
	report_equal review --from 2026-11-01 --to 2026-12-01 || return 1
	report_equal review --from 2026-11-01 --to 2026-12-01 --format csv || return 1
	# a group: one report per estate, each stamped with its own log position
	run hq report daily --group east --date 2026-11-30 --format json
	[ "$RC" = 0 ] || fail "group report exited $RC" || return 1
	[ "$(grep -c '"last_seq"' <<<"$OUT")" -ge 2 ] || fail "the group's report is not stamped per estate: ${OUT:0:200}" || return 1
}

test_purge_reaches_hq() {
	local id1 id2 out
	out=$(edesk e1 submit --unit 1-2A --kind inquiry --text "to be purged 1") || { fail "submit"; return 1; }
	id1=$(sed -n 's/^ticket \([0-9]*\) submitted.*/\1/p' <<<"$out")
	out=$(edesk e1 submit --unit 12-6F --kind inquiry --text "to be purged 2")
	id2=$(sed -n 's/^ticket \([0-9]*\) submitted.*/\1/p' <<<"$out")
	edesk e1 cancel "$id1" --reason "test" >/dev/null || { fail "cancel $id1"; return 1; }
	edesk e1 cancel "$id2" --reason "test" >/dev/null || { fail "cancel $id2"; return 1; }
	# the estate's clock is pinned at 2026-11-30; a purge of what is older than a day
	run "$B/dispatchd" --state-dir "$(estate_state e1)" purge --older-than 1d --yes
	[ "$RC" = 0 ] || fail "purge exited $RC: $ERR" || return 1
	[[ $OUT == *"reduced to tombstones"* ]] || fail "purge said: $OUT" || return 1
	# the purge event wakes nobody (it is not published); the shipper's idle look finds it
	wait_copy e1 30 || return 1
	same_log e1 || return 1
	run hq verify --estate e1
	[ "$RC" = 0 ] || fail "verify after the purge: $OUT" || return 1
	grep -q "could not be matched" "$H/consume.log" && { fail "consume: $(grep 'could not' "$H/consume.log")"; return 1; }
	return 0
}

test_cross_estate_refused() {
	local before after
	before=$(stream_state e2)
	run timeout 20 "$B/nats-pub" --config "$H/ship-e1.conf" --inbox _INBOX_e1 --subject estate.e2.events --wait 2000
	[ "$RC" = 1 ] || fail "e1's credentials publishing to e2's subject: exit $RC ($OUT $ERR)" || return 1
	[[ $ERR == *'Permissions Violation for Publish to "estate.e2.events"'* ]] ||
		fail "not refused by the server's permissions: $ERR" || return 1
	run timeout 20 "$B/nats-pub" --config "$H/hq.conf" --subject estate.e2.events --wait 2000
	[ "$RC" = 1 ] || fail "head office's reader publishing to e2's subject: exit $RC ($OUT)" || return 1
	[[ $ERR == *'Permissions Violation for Publish to "estate.e2.events"'* ]] ||
		fail "head office's reader not refused by the permissions: $ERR" || return 1
	after=$(stream_state e2)
	[ "$before" = "$after" ] || fail "ESTATE_e2 changed: $before -> $after" || return 1
	# an estate's shipper with another estate's id is refused too (it cannot even ask)
	sed -e 's/^estate = e1/estate = e2/' "$H/ship-e1.conf" >"$H/ship-wrong.conf"
	run timeout 60 "$B/dispatch-ship" --config "$H/ship-wrong.conf" --once
	[ "$RC" = 3 ] || fail "shipper as e2 with e1's credentials: exit $RC: $ERR" || return 1
	[ "$(stream_state e2)" = "$before" ] || fail "ESTATE_e2 changed by the wrong shipper" || return 1
}

test_live_and_summary() {
	bg "$TMP/live.out" "$B/dispatch-hq" --config "$H/hq.conf" live --estate e2
	wait_for "$TMP/live.out.err" 'live on 1 estate' 20 || { fail "live did not start: $(cat "$TMP/live.out.err")"; return 1; }
	edesk e2 submit --unit 3-3C --kind complaint --text "seen at head office" >/dev/null
	edesk e1 submit --unit 12-1A --kind repair --text "not in the e2 filter" >/dev/null
	wait_for "$TMP/live.out" 'Garden Court .*submitted.*unit 3-3C' 20 ||
		fail "no live line for e2: $(cat "$TMP/live.out")" || return 1
	sleep 1
	grep -q "Harbour View" "$TMP/live.out" && { fail "live --estate e2 showed e1"; return 1; }
	wait_copy e1 20 && wait_copy e2 20 || return 1
	run hq summary --once
	[ "$RC" = 0 ] || fail "summary exited $RC" || return 1
	[[ $OUT == *"Harbour View"*"Garden Court"* || $OUT == *"Garden Court"*"Harbour View"* ]] ||
		fail "summary: $OUT" || return 1
	run hq qc-sample --percent 100
	[ "$RC" = 0 ] || fail "qc-sample exited $RC: $ERR" || return 1
	[[ $OUT == *"to inspect across 2 estate(s)"* ]] || fail "qc-sample: $OUT" || return 1
}

test_tls() {
	command -v openssl >/dev/null || { skip "no openssl to make a CA"; return 77; }
	local T=$H/tls port=$((BASE + 50))
	mkdir -p "$T/js"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test CA" -keyout "$T/ca.key" -out "$T/ca.pem" \
		>/dev/null 2>&1 &&
		openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$T/server.key" -out "$T/server.csr" \
			>/dev/null 2>&1 &&
		printf 'subjectAltName=IP:127.0.0.1\n' >"$T/san" &&
		openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 2 \
			-extfile "$T/san" -out "$T/server.pem" >/dev/null 2>&1 || { fail "openssl could not make the certificates"; return 1; }
	cat >"$T/server.conf" <<EOF
server_name: hq-tls
listen: 127.0.0.1:$port
jetstream { store_dir: "$T/js", max_memory_store: 16MB, max_file_store: 1GB }
tls { cert_file: "$T/server.pem", key_file: "$T/server.key", ca_file: "$T/ca.pem" }
include "auth.conf"
EOF
	cp "$NATS/auth.conf" "$T/auth.conf" # an include is relative to the file
	nats-server -c "$T/server.conf" >"$T/server.log" 2>&1 &
	TLS_PID=$!
	wait_for "$T/server.log" "Server is ready" 15 || { fail "the TLS server did not start: $(tail -3 "$T/server.log")"; return 1; }
	sed -e "s|^servers = .*|servers = tls://127.0.0.1:$port|" -e "s|^store = .*|store = $T/store|" \
		-e '/^estate = e2/d' -e '/^group/d' "$H/hq-admin.conf" >"$T/hq-admin.conf"
	echo "replicas = 1" >>"$T/hq-admin.conf"
	echo "tls-ca = $T/ca.pem" >>"$T/hq-admin.conf"
	run timeout 30 "$B/dispatch-hq" --config "$T/hq-admin.conf" init
	[ "$RC" = 0 ] || fail "init over TLS: exit $RC: $ERR" || return 1
	sed -e "s|^servers = .*|servers = tls://127.0.0.1:$port|" "$H/ship-e1.conf" >"$T/ship-plain.conf"
	run timeout 60 "$B/dispatch-ship" --config "$T/ship-plain.conf" --once
	[ "$RC" = 3 ] || fail "a shipper without the CA reached the TLS server: exit $RC" || return 1
	{ cat "$T/ship-plain.conf"; echo "tls-ca = $T/ca.pem"; } >"$T/ship.conf"
	run timeout 60 "$B/dispatch-ship" --config "$T/ship.conf" --once
	[ "$RC" = 0 ] || fail "shipping over TLS: exit $RC: $ERR" || return 1
	[[ $ERR == *"events 1..$(estate_seq e1) at head office"* ]] || fail "over TLS: $ERR (estate at $(estate_seq e1))" || return 1
	kill -TERM $TLS_PID
	wait $TLS_PID 2>/dev/null
	TLS_PID=""
}

test_tamper_named() {
	kill -KILL "${SHIP[e2]}"
	wait "${SHIP[e2]}" 2>/dev/null
	edesk e2 submit --unit 5-5E --kind cleaning --text "to be edited" >/dev/null
	edesk e2 submit --unit 5-5E --kind repair --text "after the edit" >/dev/null
	local last
	last=$(estate_seq e2)
	local seq=$((last - 1))
	"$B/store-tamper" "$(estate_state e2)" note "$seq" "edited behind dispatchd's back" ||
		{ fail "store-tamper failed"; return 1; }
	start_ship e2
	wait_copy e2 30 || return 1
	run hq verify
	[ "$RC" = 1 ] || fail "verify exited $RC after an edit: $OUT" || return 1
	grep -q "^estate e2 (Garden Court): hash chain: first broken link at seq $((seq + 1))" <<<"$OUT" ||
		grep -q "^estate e2 (Garden Court): hash chain: first broken link at seq $seq" <<<"$OUT" ||
		fail "verify does not name e2 and seq $seq: $OUT" || return 1
	grep -q "^estate e1 (Harbour View Gardens): ok" <<<"$OUT" || fail "e1 is not ok: $OUT" || return 1
}

test_usage() {
	run "$B/dispatch-hq" --config "$H/hq.conf" frobnicate
	[ "$RC" = 2 ] || fail "unknown command: exit $RC" || return 1
	run "$B/dispatch-hq" --config "$H/hq.conf" report daily --estate nowhere
	[ "$RC" = 1 ] || fail "unknown estate: exit $RC" || return 1
	run "$B/dispatch-ship" --config /nonexistent
	[ "$RC" = 2 ] && [[ $ERR == *"/nonexistent"* ]] || fail "missing config: exit $RC: $ERR" || return 1
	run "$B/dispatch-ship" --help
	[ "$RC" = 0 ] && [[ $OUT == *"--config FILE"* ]] || fail "--help: $RC" || return 1
	run "$B/dispatch-hq" --help
	[ "$RC" = 0 ] && [[ $OUT == *"qc-sample"* ]] || fail "--help: $RC" || return 1
	local m warn
	for m in hq/dispatch-ship.8 hq/dispatch-hq.8; do
		warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$ROOT/$m" 2>&1)
		[ -z "$warn" ] || fail "$m: $warn" || return 1
		grep -q '^\.SH EXIT STATUS' "$ROOT/$m" || fail "$m has no EXIT STATUS" || return 1
	done
}

t "a 3-server JetStream cluster, two estates, their shippers and head office's consumer start" test_setup
t "every event arrives, in order, once, byte for byte; the chain verifies at head office" test_in_order
t "the shipper SIGKILLed 22 times under load: no gap, no duplicate, byte for byte" test_shipper_killed
t "the whole cluster down while tickets come in: everything arrives when it is back" test_cluster_down
t "one server of three dead: shipping goes on" test_one_server_dead
t "head office's consumer killed and restarted: nothing missed, nothing counted twice" test_consumer_killed
t "head office's reports over an estate equal the estate's own" test_reports_equal
t "a purge at the estate reaches head office's copy, byte for byte" test_purge_reaches_hq
t "an estate's credentials cannot publish to another estate's subject; head office only reads" test_cross_estate_refused
t "the live stream by estate, the summary and the QC sample" test_live_and_summary
t "TLS: the shipper reaches head office's server with its CA, and not without" test_tls
t "an event edited at an estate: head office's verify names the estate and the event" test_tamper_named
t "usage errors, --help and the manual pages" test_usage
finish
