#!/usr/bin/env bash
# ops.sh: running dispatchd for years (issue 8): the systemd notify
# protocol against a fake NOTIFY_SOCKET, install and uninstall, the unit
# checked by systemd-analyze, hot backup and restore, export, log levels.
. "$(dirname "$0")/lib.sh"

# A stand-in for systemd: prints every datagram received on argv[1], a line each.
NOTIFY_LISTENER='
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    print(s.recv(4096).decode(), flush=True)
'

test_notify_protocol() {
	local sock=$TMP/notify.sock out=$TMP/notify.out
	fresh_store
	bg "$out" python3 -u -c "$NOTIFY_LISTENER" "$sock"
	wait_for_socket "$sock" || fail "the fake systemd did not start" || return 1
	NOTIFY_SOCKET=$sock WATCHDOG_USEC=400000 start_daemon || return 1
	wait_for "$out" '^READY=1$' 5 || fail "no READY=1: $(cat "$out")" || return 1
	wait_for "$out" '^STATUS=serving Harbour View Gardens: 0 tickets' 5 || fail "no STATUS=: $(cat "$out")" || return 1
	sleep 1
	[ "$(grep -c '^WATCHDOG=1$' "$out")" -ge 3 ] ||
		fail "fewer than 3 WATCHDOG=1 in a second at WATCHDOG_USEC=0.4s: $(cat "$out")" || return 1
	kill -HUP "$DAEMON_PID"
	wait_for "$out" '^RELOADING=1$' 5 || fail "no RELOADING=1 on SIGHUP" || return 1
	stop_daemon
	[ "$DAEMON_RC" = 0 ] || fail "exit $DAEMON_RC" || return 1
	wait_for "$out" '^STOPPING=1$' 5 || fail "no STOPPING=1: $(cat "$out")"
}

# An ipc socket is guarded by its directory: one anyone may write lets
# another user delete or replace it (issue 24). The daemon warns at start.
test_world_writable_ipc_dir_warned() {
	local d=$TMP/open-ipc log=$TMP/open-ipc.log
	mkdir -p "$d" && chmod 0777 "$d"
	# shellcheck disable=SC2086 # the option list is split on purpose
	bg "$log.out" ${DISPATCHD_WRAP:-} "$B/dispatchd" --config "$CONFIG" --state-dir "$TMP/open-state" \
		--request "ipc://$d/req" --events "ipc://$d/ev" ${DISPATCHD_ARGS:-}
	local pid=$BG
	wait_for "$log.out.err" 'ready' "$READY_TIMEOUT" || fail "no ready: $(cat "$log.out.err")" || return 1
	kill -TERM "$pid"
	wait_gone "$pid" 10
	grep -qF "<4>dispatchd: the directory $d of ipc://$d/req is writable by any user (mode 0777)" "$log.out.err" ||
		fail "no warning about the 0777 ipc directory: $(head -n 5 "$log.out.err")" || return 1
	grep -qF "chmod 0700 $d" "$log.out.err" || fail "the warning does not say what to do: $(grep "$d" "$log.out.err")" ||
		return 1
	# the tests' own directory (0700) gives no such warning
	grep -q 'writable by any user' "$DAEMON_LOG" && fail "warned about a 0700 directory: $(grep 'writable' "$DAEMON_LOG")"
	return 0
}

wait_for_socket() {
	local n=50
	until [ -S "$1" ]; do n=$((n - 1)); [ $n -le 0 ] && return 1; sleep 0.1; done
}

# install_to DIR: make install with every path under DIR.
install_to() {
	local san=""
	[[ $B == */asan ]] && san=SAN=1
	make --no-print-directory -C "$ROOT" $san install PREFIX="$1/usr" SYSCONFDIR="$1/etc" UNITDIR="$1/units" \
		SYSUSERSDIR="$1/sysusers" >"$TMP/install.out" 2>&1
}

test_install_and_unit() {
	local r=$TMP/root score
	install_to "$r" || fail "make install failed: $(tail -5 "$TMP/install.out")" || return 1
	for f in usr/bin/dispatchd usr/bin/dispatch-desk usr/bin/dispatch-crew usr/bin/dispatch-watch \
		usr/share/man/man8/dispatchd.8 usr/share/man/man1/dispatch-desk.1 units/dispatchd.service \
		sysusers/dispatchd.conf etc/dispatchd/dispatchd.yaml; do
		[ -e "$r/$f" ] || fail "make install did not install $f" || return 1
	done
	grep -q "^ExecStart=$r/usr/bin/dispatchd --config $r/etc/dispatchd/dispatchd.yaml$" "$r/units/dispatchd.service" ||
		fail "the unit's ExecStart does not follow PREFIX/SYSCONFDIR" || return 1
	# an estate's own configuration survives a reinstall
	echo "# the estate's own edits" >>"$r/etc/dispatchd/dispatchd.yaml"
	install_to "$r" || fail "second make install failed" || return 1
	grep -q "the estate's own edits" "$r/etc/dispatchd/dispatchd.yaml" || fail "reinstall overwrote the configuration" ||
		return 1
	"$r/usr/bin/dispatchd" --check-config --config "$r/etc/dispatchd/dispatchd.yaml" >/dev/null ||
		fail "the installed configuration does not check" || return 1
	run systemd-analyze verify --man=no "$r/units/dispatchd.service"
	[ "$RC" = 0 ] || fail "systemd-analyze verify: $OUT $ERR" || return 1
	run systemd-analyze security --offline=yes "$r/units/dispatchd.service"
	score=$(printf '%s\n' "$OUT" | sed -n 's/.*Overall exposure level for dispatchd.service: \([0-9.]*\).*/\1/p')
	echo "# systemd-analyze security: $score"
	[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' ||
		fail "exposure score '$score' above 2.0" || return 1
	make --no-print-directory -C "$ROOT" uninstall PREFIX="$r/usr" SYSCONFDIR="$r/etc" UNITDIR="$r/units" \
		SYSUSERSDIR="$r/sysusers" >/dev/null 2>&1 || fail "make uninstall failed" || return 1
	[ ! -e "$r/usr/bin/dispatchd" ] && [ ! -e "$r/units/dispatchd.service" ] || fail "uninstall left files" || return 1
	[ -e "$r/etc/dispatchd/dispatchd.yaml" ] || fail "uninstall removed the estate's configuration"
}

test_backup_while_serving_and_restore() {
	local w pids=() i last
	fresh_store
	start_daemon || return 1
	for i in 1 2 3 4 5; do
		desk submit --unit "B-$i" --kind inquiry --text "before the backup $i" >/dev/null || fail "submit" || return 1
	done
	# writers keep going while the copy is taken
	for w in 1 2; do
		(for i in $(seq 1 30); do desk submit --unit "W$w-$i" --kind inquiry --text "during $i" >/dev/null; done) &
		pids+=($!)
	done
	run "$B/dispatchd" --state-dir "$STATE" backup "$TMP/backup"
	[ "$RC" = 0 ] || fail "backup exited $RC: $ERR" || return 1
	for w in "${pids[@]}"; do wait "$w"; done
	run "$B/dispatchd" --state-dir "$STATE" backup "$TMP/backup"
	[ "$RC" = 1 ] && [[ $ERR == *"already holds a store"* ]] || fail "a second backup over the first: $RC $ERR" ||
		return 1
	run "$B/dispatchd" --verify --state-dir "$TMP/backup"
	[ "$RC" = 0 ] || fail "the backup does not verify: $OUT" || return 1
	# restore, as the man page says: stop, put the copy in place, start
	stop_daemon
	rm -rf "$STATE"
	mkdir -p "$STATE"
	cp "$TMP/backup/data.mdb" "$STATE/data.mdb"
	start_daemon || fail "no start on the restored store" || return 1
	desk show 5 | grep -q 'before the backup 5' || fail "ticket 5 is not in the restored store" || return 1
	submit --unit B-after --kind inquiry --text "after the restore" || return 1
	[ "$TID" -gt 5 ] || fail "the restored store reissued id $TID"
}

test_export_period() {
	local out=$TMP/export.ndjson n
	fresh_store
	start_daemon || return 1
	desk submit --unit E-1 --kind repair --text "exported" >/dev/null || fail "submit" || return 1
	stop_daemon
	run "$B/dispatchd" --state-dir "$STATE" export --from 2026-11-30 --to 2026-12-01
	[ "$RC" = 0 ] || fail "export exited $RC: $ERR" || return 1
	printf '%s\n' "$OUT" >"$out"
	n=$(python3 -c '
import json, re, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert ev[0]["type"] == "submitted" and ev[0]["ticket"]["text"] == "exported", ev[0]
assert [e["seq"] for e in ev] == list(range(1, len(ev) + 1))
# every field of the Ticket and the Event in the wire contract is in the
# record (an archive that leaves out satisfaction or a fee is not one)
proto = open(sys.argv[2]).read()
def fields(msg):
    body = re.search(r"^message " + msg + r" \{(.*?)^\}", proto, re.S | re.M).group(1)
    return set(re.findall(r"^\s*(?:repeated\s+)?\w+\s+(\w+)\s*=\s*\d+;", body, re.M))
for name, have in (("Event", ev[-1]), ("Ticket", ev[-1]["ticket"])):
    missing = fields(name) - set(have)
    assert not missing, f"{name} fields not exported: {sorted(missing)}"
assert len(ev[-1]["prev_hash"]) == 64, ev[-1]["prev_hash"]
print(len(ev))' "$out" "$ROOT/proto/dispatch.proto" 2>"$TMP/export.err") ||
		fail "the export is not the log as JSON: $(tail -n 1 "$TMP/export.err"); $(head -c 300 "$out")" || return 1
	[ "$n" -ge 2 ] || fail "only $n events exported" || return 1
	run "$B/dispatchd" --state-dir "$STATE" export --from 2026-12-01
	[ "$RC" = 0 ] && [ -z "$OUT" ] || fail "a later period is not empty: $OUT" || return 1
	run "$B/dispatchd" --state-dir "$STATE" export --from yesterday
	[ "$RC" = 2 ] || fail "a bad date: exit $RC"
}

test_retention_purge() {
	local gone kept
	fresh_store
	start_daemon || return 1
	submit --unit P-1 --kind inquiry --text "an old question, cancelled" || return 1
	gone=$TID
	desk cancel "$gone" --reason "answered on the phone" >/dev/null || fail "cancel failed" || return 1
	submit --unit P-2 --kind inquiry --text "still open" || return 1
	kept=$TID
	stop_daemon
	# five days on, purge what was finished more than a day before
	run "$B/dispatchd" --state-dir "$STATE" --clock-at 2026-12-05T10:00:00 purge --older-than 1d
	[ "$RC" = 1 ] && [[ $OUT == *"would purge: 1 ticket(s)"* ]] || fail "dry run: $RC $OUT $ERR" || return 1
	run "$B/dispatchd" --state-dir "$STATE" --clock-at 2026-12-05T10:00:00 purge --older-than 1d --yes
	[ "$RC" = 0 ] && [[ $OUT == *"1 ticket(s) closed or cancelled before"* ]] || fail "purge: $RC $OUT $ERR" || return 1
	run "$B/dispatchd" --verify --state-dir "$STATE"
	[ "$RC" = 0 ] || fail "--verify after the purge: $OUT" || return 1
	run "$B/dispatchd" --state-dir "$STATE" export
	printf '%s\n' "$OUT" | grep -q '"type":"retention_purge"' || fail "the purge is not in the log" || return 1
	printf '%s\n' "$OUT" | python3 -c '
import json, sys
sys.exit(not any(e["type"] == "purged" and e["ticket_id"] == int(sys.argv[1]) for e in map(json.loads, sys.stdin)))' "$gone" ||
		fail "no tombstone for $gone" || return 1
	printf '%s\n' "$OUT" | grep -q 'an old question' && { fail "the purged text is still in the log"; return 1; }
	start_daemon || return 1
	run desk show "$gone"
	[ "$RC" = 1 ] || fail "the purged ticket is still there" || return 1
	desk show "$kept" | grep -q "still open" || fail "an open ticket was purged"
}

test_log_levels() {
	local log=$TMP/quiet.log pid
	fresh_store
	"$B/dispatchd" --state-dir "$STATE" --request "$REQ" --events "$EV" --log-level warning 2>"$log" &
	pid=$!
	sleep 1
	kill -TERM "$pid"
	wait "$pid" || fail "exit $? with --log-level warning" || return 1
	grep -q '<6>' "$log" && { fail "info lines at --log-level warning: $(cat "$log")"; return 1; }
	run "$B/dispatchd" --log-level chatty
	[ "$RC" = 2 ] && [[ $ERR == *"unknown log level"* ]] || fail "a bad level: $RC $ERR" || return 1
	# and at the default, every line carries a syslog priority
	fresh_store
	start_daemon || return 1
	grep -vq '^<[0-7]>dispatchd: ' "$DAEMON_LOG" && fail "a line without a priority: $(cat "$DAEMON_LOG")"
	return 0
}

# The web gateway's unit (issue 17), installed beside dispatchd's and as
# sandboxed: verify, and an exposure of at most 2.0.
test_board_unit() {
	local r=$TMP/root-board score f
	install_to "$r" || fail "make install failed: $(tail -5 "$TMP/install.out")" || return 1
	for f in usr/bin/dispatch-board usr/share/dispatch-board/static/board.html usr/share/man/man1/dispatch-board.1 \
		units/dispatch-board.service sysusers/dispatch-board.conf; do
		[ -e "$r/$f" ] || fail "make install did not install $f" || return 1
	done
	grep -q -- "--static-dir $r/usr/share/dispatch-board/static" "$r/units/dispatch-board.service" ||
		fail "the unit's pages do not follow PREFIX" || return 1
	run systemd-analyze verify --man=no "$r/units/dispatch-board.service"
	[ "$RC" = 0 ] || fail "systemd-analyze verify: $OUT $ERR" || return 1
	run systemd-analyze security --offline=yes "$r/units/dispatch-board.service"
	score=$(printf '%s\n' "$OUT" | sed -n 's/.*Overall exposure level for dispatch-board.service: \([0-9.]*\).*/\1/p')
	echo "# systemd-analyze security (dispatch-board): $score"
	[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' ||
		fail "exposure score '$score' above 2.0" || return 1
	make --no-print-directory -C "$ROOT" uninstall PREFIX="$r/usr" SYSCONFDIR="$r/etc" UNITDIR="$r/units" \
		SYSUSERSDIR="$r/sysusers" >/dev/null 2>&1 || fail "make uninstall failed" || return 1
	[ ! -e "$r/usr/bin/dispatch-board" ] && [ ! -e "$r/units/dispatch-board.service" ] &&
		[ ! -e "$r/usr/share/dispatch-board" ] || fail "uninstall left the gateway's files" || return 1
}

t "systemd notify: READY, STATUS, WATCHDOG from the loop, RELOADING, STOPPING" test_notify_protocol
t "make install/uninstall; the unit passes systemd-analyze verify and scores <= 2.0" test_install_and_unit
t "a hot backup under writers verifies, and a restored copy serves" test_backup_while_serving_and_restore
t "export writes a period of the log as NDJSON" test_export_period
t "a retention purge, only when asked: tombstones, recorded, --verify clean" test_retention_purge
t "log lines carry syslog priorities; --log-level sets the threshold" test_log_levels
t "an ipc directory anyone may write (0777) is warned about at start" test_world_writable_ipc_dir_warned
t "make install installs dispatch-board's unit; verify, and it scores <= 2.0" test_board_unit
finish
