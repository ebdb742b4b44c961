#!/usr/bin/env bash
# lib.sh: what the integration scripts share: a real dispatchd in a fresh
# temporary directory on ipc endpoints, the real clients bounded by
# timeout(1), full-screen clients in a detached tmux of fixed size, and
# the "ok - name" / "not ok - name: reason" bookkeeping. Sourced, not run.
#
# Every wait is bounded; every process started here is killed on exit.
# KEEP=1 keeps the temporary directory for a post-mortem;
# DISPATCHD_WRAP="valgrind -q" (say) runs the daemon under a tool;
# DISPATCHD_ARGS="..." adds daemon options (default: a pinned clock, a
# Monday morning, so the sample estate's shifts do not depend on when the
# tests run); start_daemon's own arguments are added after them;
# BUILD=dir takes the programs from dir instead of build/.
# shellcheck disable=SC2034 # TID, TCREW, UI_RC... are for the scripts that source this
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${BUILD:-build} # the Makefile passes BUILD=build/asan for the sanitizer run
case $B in /*) ;; *) B=$ROOT/$B ;; esac
CONFIG=${CONFIG:-$ROOT/daemon/sample-estate.yaml}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dispatchd-it.XXXXXX")
STATE=$TMP/state
REQ=ipc://$TMP/req
EV=ipc://$TMP/ev
export DISPATCH_ENDPOINT=$REQ DISPATCH_EVENTS=$EV
# The clients show and read times in local time; the sample estate's local
# time is Hong Kong's. (A desk in the estate has the same time zone.)
export TZ=Asia/Hong_Kong

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
	[ -S "$TMUX_SOCK" ] && tm kill-server 2>/dev/null
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
# Sets BG to its pid. A SIGTERM sent to BG reaches CMD through timeout(1),
# which kills CMD 10 s later if it still runs: longer than any test waits
# for a stop, so a slow stop fails as "still running", not as exit 137.
bg() {
	local out=$1
	shift
	# Emptied here, not by the background shell's redirection, which may
	# run later: a wait_for on a file an earlier process wrote (the same
	# member followed in an earlier test) would otherwise match at once.
	: >"$out"
	: >"$out.err"
	# Under the sanitizers, LeakSanitizer's check at exit now and then
	# (about one process in some hundreds) spun for seconds in a follower
	# or a watcher stopped by SIGTERM, so that timeout(1) killed it: seen in
	# CI and twice beside it (such hangs: google/sanitizers#1330). The
	# background clients keep ASan and UBSan but skip the leak check; the
	# daemon and every command a test runs to its end keep it.
	case $B in
	*asan*) ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" timeout -k 10 300 "$@" >"$out" 2>"$out.err" & ;;
	*) timeout -k 10 300 "$@" >"$out" 2>"$out.err" & ;;
	esac
	BG=$!
	BG_PIDS+=("$BG")
}

DISPATCHD_ARGS=${DISPATCHD_ARGS:---clock-at 2026-11-30T10:00:00}

# start_daemon [OPTION...]: a daemon on this script's store.
start_daemon() {
	DAEMON_STARTS=$((DAEMON_STARTS + 1))
	DAEMON_LOG=$TMP/daemon.$DAEMON_STARTS.log
	mkdir -p "$STATE"
	# DISPATCHD_WRAP, e.g. "valgrind -q", runs the daemon under a tool.
	# shellcheck disable=SC2086 # the option lists are split on purpose
	${DISPATCHD_WRAP:-} "$B/dispatchd" --config "$CONFIG" --state-dir "$STATE" \
		--request "$REQ" --events "$EV" ${DISPATCHD_ARGS:-} "$@" 2>"$DAEMON_LOG" &
	DAEMON_PID=$!
	if ! wait_for "$DAEMON_LOG" 'ready' "$READY_TIMEOUT"; then
		echo "# dispatchd did not say 'ready' within ${READY_TIMEOUT}s; its log:" >&2
		sed 's/^/#   /' "$DAEMON_LOG" >&2
		return 1
	fi
}

# stop_daemon: SIGTERM, bounded wait; sets DAEMON_RC (124 if it hung).
stop_daemon() {
	[ -n "$DAEMON_PID" ] || { DAEMON_RC=0; return 0; }
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

# fresh_store: stop the daemon and the background clients; forget the store.
fresh_store() {
	stop_background
	rm -rf "$STATE"
}

# stop_background: stop the daemon and the background clients, keep the store.
stop_background() {
	local p
	stop_daemon
	for p in "${BG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${BG_PIDS[@]}"; do wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null; done
	BG_PIDS=()
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

# skip REASON: the test cannot run on this machine (t reports "skip", not "ok").
skip() {
	REASON=$*
	return 77
}

# daemon_died: if dispatchd is gone, say how and start a new one so that
# the remaining tests are independent of this failure.
daemon_died() {
	[ -z "$DAEMON_PID" ] && return 1 # stopped on purpose (stop_daemon clears it)
	kill -0 "$DAEMON_PID" 2>/dev/null && return 1
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
	# A fail anywhere fails the test, also one written "cond && fail MSG &&
	# return 1", which went on past it (fail returns 1) and could end "ok".
	[ "$rc" = 0 ] && [ -n "$REASON" ] && rc=1
	daemon_died && REASON="${REASON:+$REASON; }$DIED" && rc=1
	# Whatever the test did, the store it leaves keeps its invariants (the
	# log, its hash chain, every ticket's history, the indexes); a test
	# that damages a store on purpose sets VERIFY_AFTER=no.
	if [ "$rc" = 0 ] && [ "${VERIFY_AFTER:-yes}" = yes ] && [ -f "$STATE/data.mdb" ] &&
		! "$B/dispatchd" --state-dir "$STATE" --verify >"$TMP/verify-after.out" 2>&1; then
		REASON="dispatchd --verify after the test: $(grep -v '^ok' "$TMP/verify-after.out" | head -3 | tr '\n' ' ')"
		rc=1
	fi
	VERIFY_AFTER=yes
	if [ "$rc" = 0 ]; then
		echo "ok - $name"
		PASSED=$((PASSED + 1))
	elif [ "$rc" = 77 ] && [ -z "$DIED" ]; then
		# skip REASON: the check could not run here; never an "ok"
		echo "skip - $name: $REASON"
		SKIPPED=$((SKIPPED + 1))
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
	local re='^ticket ([0-9]+) submitted: [a-z]+ at [^ ]+ -> ([a-z-]+)/([A-Za-z0-9_-]+) \(rule ([^)]+)\)'
	local queued='^ticket ([0-9]+) submitted: [a-z]+ at [^ ]+ -> queued for ([a-z-]+)'
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

# follow MEMBER: a handheld in line mode, started and listening (so the
# daemon counts the member online). FOLLOW is its output file.
follow() {
	FOLLOW=$TMP/follow.$1.out
	bg "$FOLLOW" "$B/dispatch-crew" --member "$1" follow
	wait_for "$FOLLOW" 'waiting for new assignments' "$READY_TIMEOUT" ||
		fail "follow $1 did not start: $(cat "$FOLLOW.err")"
}

# The event column of `show`'s history, one per line (15 columns: the
# longest event name, "vendor reviewed").
history_events() {
	awk '/^history/ { h = 1; next } h { e = substr($0, 24, 15); sub(/ +$/, "", e); print e }'
}

# Number of open tickets in `desk list` (every ticket these tests make
# while counting stays open).
ticket_count() {
	desk list --limit 1000 2>/dev/null | grep -Ec '^[0-9]+ '
}

raw_field() { # raw_field KEY: the value of "KEY: value" in OUT
	printf '%s\n' "$OUT" | sed -n "s/^$1: //p" | head -n 1
}

# ---- full-screen clients in tmux ---------------------------------------------

TMUX_SOCK=$TMP/tmux.sock
TMUX_CONF=$TMP/tmux.conf
# No status line (the program gets the whole size), a terminfo entry every
# Debian has, and every bell recorded in a file the tests can read.
cat >"$TMUX_CONF" <<EOF
set -g status off
set -g default-terminal screen
set -g bell-action any
set -g monitor-bell on
set-hook -g alert-bell 'run-shell "echo bell >> $TMP/bells"'
EOF
tm() { tmux -S "$TMUX_SOCK" -f "$TMUX_CONF" "$@"; }

# ui_start NAME COLS ROWS CMD...: run CMD in a detached tmux session NAME of
# that size, in a UTF-8 locale, with this script's endpoints. Its exit
# status goes to $TMP/NAME.rc, its stderr to $TMP/NAME.err. Extra
# environment: UI_ENV="NO_COLOR=1 ..." before the call.
ui_start() {
	local name=$1 cols=$2 rows=$3 script=$TMP/$1.sh
	shift 3
	rm -f "$TMP/$name.rc" "$TMP/$name.err"
	{
		echo "export LANG=C.UTF-8 LC_ALL=C.UTF-8 DISPATCH_ENDPOINT='$REQ' DISPATCH_EVENTS='$EV' ${UI_ENV:-}"
		printf 'timeout --foreground -k 2 300 '
		printf '%q ' "$@"
		echo "2>'$TMP/$name.err'"
		echo "echo \$? >'$TMP/$name.rc'"
		echo "exec sleep 300" # keep the pane for a last look
	} >"$script"
	tm new-session -d -s "$name" -x "$cols" -y "$rows" "bash $script"
}

# screen NAME: what a person sees now; screen_attrs NAME: with attributes.
screen() { tm capture-pane -p -t "$1" 2>/dev/null; }
screen_attrs() { tm capture-pane -p -e -t "$1" 2>/dev/null; }

# wait_screen NAME REGEX SECONDS: 0 once a line on the screen matches.
wait_screen() {
	local name=$1 re=$2 tries=$(($3 * 10))
	until screen "$name" | grep -Eq -- "$re"; do
		tries=$((tries - 1))
		[ $tries -le 0 ] && return 1
		sleep 0.1
	done
	return 0
}

# ui_exit NAME SECONDS: wait for the program to end; sets UI_RC.
ui_exit() {
	local tries=$(($2 * 10))
	until [ -s "$TMP/$1.rc" ]; do
		tries=$((tries - 1))
		[ $tries -le 0 ] && UI_RC=timeout && return 1
		sleep 0.1
	done
	UI_RC=$(cat "$TMP/$1.rc")
}

# bells: how many bells rang in any tmux window so far.
bells() {
	if [ -f "$TMP/bells" ]; then
		wc -l <"$TMP/bells"
	else
		echo 0
	fi
}

# finish: the closing lines; exits non-zero if any test failed.
finish() {
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
	echo "$PASSED passed, $FAILED failed${SKIPPED:+, $SKIPPED skipped}"
	[ "$FAILED" = 0 ]
}

# setup [PROGRAM...]: the programs are there and a daemon runs, or exit.
setup() {
	local p
	for p in dispatchd dispatch-desk dispatch-crew dispatch-watch dispatch-raw client-example "$@"; do
		if [ ! -x "$B/$p" ]; then
			echo "not ok - setup: $B/$p is missing; run make first"
			echo "0 passed, 1 failed"
			exit 1
		fi
	done
	if ! command -v tmux >/dev/null; then
		echo "not ok - setup: tmux is missing; run scripts/deps.sh test"
		echo "0 passed, 1 failed"
		exit 1
	fi
	if ! start_daemon; then
		echo "not ok - setup: dispatchd did not start"
		echo "0 passed, 1 failed"
		exit 1
	fi
}
