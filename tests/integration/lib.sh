# lib.sh: the harness shared by the integration test scripts. Source it,
# define test functions, call `t NAME FUNCTION` for each, then `finish`.
#
# Every test talks to the real dispatchd over ipc endpoints in a fresh
# temporary directory, through the real client programs. Every wait is
# bounded, every process started here is killed on exit, and `finish`
# prints "N passed, M failed" and exits non-zero if any failed.
# BUILD=dir takes the programs from dir (the Makefile passes build/asan for
# the sanitizer run); KEEP=1 keeps the temporary directory;
# DISPATCHD_WRAP="valgrind -q" runs the daemon under a tool.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
CONFIG=${CONFIG:-$ROOT/daemon/sample-estate.yaml}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dispatchd-it.XXXXXX")
STATE=$TMP/state
REQ=ipc://$TMP/req
EV=ipc://$TMP/ev
export DISPATCH_ENDPOINT=$REQ DISPATCH_EVENTS=$EV
CMD_TIMEOUT=30
READY_TIMEOUT=15
DAEMON_PID=""
DAEMON_LOG=""
DAEMON_N=0
BG_PIDS=()
PASSED=0
FAILED=0
REASON=""

lib_cleanup() {
	local p
	for p in "${BG_PIDS[@]}" $DAEMON_PID; do kill -TERM "$p" 2>/dev/null; done
	for p in "${BG_PIDS[@]}" $DAEMON_PID; do wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null; done
	if [ "${KEEP:-0}" = 1 ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
}
trap lib_cleanup EXIT
trap 'exit 130' INT TERM

# wait_gone PID SECONDS
wait_gone() {
	local pid=$1 n=$(($2 * 10))
	while kill -0 "$pid" 2>/dev/null; do
		n=$((n - 1)); [ $n -le 0 ] && return 1
		sleep 0.1
	done
}

# wait_for FILE REGEX SECONDS: until a line of FILE matches.
wait_for() {
	local n=$(($3 * 10))
	until grep -Eq -- "$2" "$1" 2>/dev/null; do
		n=$((n - 1)); [ $n -le 0 ] && return 1
		sleep 0.1
	done
}

# bg OUT CMD...: run CMD in the background (at most 5 minutes); BG is its pid.
bg() {
	local out=$1
	shift
	timeout -k 2 300 "$@" >"$out" 2>"$out.err" &
	BG=$!
	BG_PIDS+=("$BG")
}

# start_daemon [DISPATCHD OPTIONS...]: a daemon on this test's store.
start_daemon() {
	DAEMON_N=$((DAEMON_N + 1))
	DAEMON_LOG=$TMP/daemon.$DAEMON_N.log
	${DISPATCHD_WRAP:-} "$B/dispatchd" --config "$CONFIG" --state-dir "$STATE" \
		--request "$REQ" --events "$EV" "$@" 2>"$DAEMON_LOG" &
	DAEMON_PID=$!
	wait_for "$DAEMON_LOG" 'ready' "$READY_TIMEOUT" && return 0
	echo "# dispatchd did not start; its log:" >&2
	sed 's/^/#   /' "$DAEMON_LOG" >&2
	return 1
}

# stop_daemon: SIGTERM and a bounded wait; DAEMON_RC is its exit status.
stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	if wait_gone "$DAEMON_PID" 10; then
		wait "$DAEMON_PID"; DAEMON_RC=$?
	else
		kill -KILL "$DAEMON_PID" 2>/dev/null; wait "$DAEMON_PID" 2>/dev/null; DAEMON_RC=124
	fi
	DAEMON_PID=""
}

# fresh_store: stop the daemon and forget its store and processes.
fresh_store() {
	local p
	stop_daemon
	for p in "${BG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	BG_PIDS=()
	rm -rf "$STATE"
}

desk() { timeout -k 2 "$CMD_TIMEOUT" "$B/dispatch-desk" --actor it-desk "$@"; }
crew() { timeout -k 2 "$CMD_TIMEOUT" "$B/dispatch-crew" "$@"; }

# run CMD...: stdout in OUT, stderr in ERR, exit status in RC.
run() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

fail() { REASON=$*; return 1; }

# follow MEMBER: a handheld in line mode; waits until it listens (and so
# has told the daemon it is online). FOLLOW is its output file.
follow() {
	FOLLOW=$TMP/follow.$1.out
	bg "$FOLLOW" "$B/dispatch-crew" --member "$1" follow
	wait_for "$FOLLOW" 'waiting for new assignments' "$READY_TIMEOUT" ||
		fail "follow $1 did not start: $(cat "$FOLLOW.err")"
}

# t NAME FUNCTION: run one test and report it.
t() {
	REASON=""
	"$2"
	local rc=$?
	if [ -n "$DAEMON_PID" ] && ! kill -0 "$DAEMON_PID" 2>/dev/null; then
		rc=1
		REASON="${REASON:+$REASON; }dispatchd died; see $(basename "$DAEMON_LOG")"
		DAEMON_PID=""
	fi
	if [ "$rc" = 0 ]; then
		echo "ok - $1"
		PASSED=$((PASSED + 1))
	else
		echo "not ok - $1${REASON:+: $REASON}"
		FAILED=$((FAILED + 1))
	fi
}

finish() {
	stop_daemon
	if [ "$FAILED" -gt 0 ]; then
		for f in "$TMP"/daemon.*.log; do
			[ -f "$f" ] || continue
			echo "# --- $(basename "$f") (last 15 lines)"
			tail -n 15 "$f" | sed 's/^/#   /'
		done
	fi
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}
