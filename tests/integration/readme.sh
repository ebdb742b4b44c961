#!/usr/bin/env bash
# readme.sh: the README's walk-through, command by command (issue 21), so
# that what a newcomer types cannot drift from what the programs do. The
# commands are read from README.md itself: every `sh` block of the section
# "## A walk through". The daemon runs as `make run` runs it (the sample
# estate, its store in ./var, TCP endpoints with CURVE and the demo key set
# it generates), only on free ports instead of 7450/7451. Each command must
# exit 0; a `#   ` line right under a command is what it must print; the
# two long-running clients (a handheld's `follow`, `dispatch-watch`) run in
# the background, and the monitor must see the walk-through's last event.
. "$(dirname "$0")/lib.sh"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

WORK=$TMP/walk
mkdir -p "$WORK"
PORT_REQ=$(free_port)
PORT_EV=$(free_port)
while [ "$PORT_EV" = "$PORT_REQ" ]; do PORT_EV=$(free_port); done
export DISPATCH_ENDPOINT=tcp://127.0.0.1:$PORT_REQ DISPATCH_EVENTS=tcp://127.0.0.1:$PORT_EV
export PATH=$B:$PATH

# The walk-through's lines, one command per line (continuations joined),
# comments dropped except the expected output, which comes out as
# "EXPECT <text>".
extract() {
	awk '
		/^## / { in_walk = ($0 == "## A walk through") ; next }
		!in_walk { next }
		/^```sh$/ { in_sh = 1; next }
		/^```/ { in_sh = 0; next }
		!in_sh { next }
		{
			line = $0
			if (cont != "") { line = cont " " line; cont = "" }
			if (line ~ /\\$/) { sub(/[ \t]*\\$/, "", line); cont = line; next }
			if (line ~ /^#   /) { sub(/^#   /, "", line); print "EXPECT " line; next }
			if (line ~ /^[ \t]*#/ || line ~ /^[ \t]*$/) next
			print "RUN " line
		}
	' "${README:-$ROOT/README.md}"
}

# The demo key set is made on the first start, in the state directory; the
# walk-through names it var/keys/..., as `make run` (state dir ./var) has it.
start_walk_daemon() {
	DAEMON_LOG=$TMP/daemon.walk.log
	(cd "$WORK" && exec ${DISPATCHD_WRAP:-} "$B/dispatchd" --config "$CONFIG" \
		--state-dir var --request "$DISPATCH_ENDPOINT" --events "$DISPATCH_EVENTS") 2>"$DAEMON_LOG" &
	DAEMON_PID=$!
	wait_for "$DAEMON_LOG" 'ready' "$READY_TIMEOUT" ||
		fail "dispatchd did not start: $(tail -n 5 "$DAEMON_LOG")"
}

# A command of the walk-through, run as a user would type it, in the
# walk's directory with the environment its exports built.
step() {
	(cd "$WORK" && timeout -k 2 "$CMD_TIMEOUT" bash -c "$1") >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

test_walk_through() {
	local kind line last="" n=0 bgn=0
	extract >"$TMP/walk.txt"
	[ "$(grep -c '^RUN ' "$TMP/walk.txt")" -ge 10 ] || fail "too few commands found in README.md: $(cat "$TMP/walk.txt")" || return 1
	start_walk_daemon || return 1
	while IFS= read -r line; do
		kind=${line%% *}
		line=${line#* }
		if [ "$kind" = EXPECT ]; then
			[ -n "$last" ] || fail "an expected output with no command before it: $line" || return 1
			[[ $LAST_OUT == *"$line"* ]] || fail "'$last' printed '$LAST_OUT', the README says '$line'" || return 1
			continue
		fi
		n=$((n + 1))
		last=$line
		LAST_OUT=""
		case $line in
		export\ *)
			eval "$line" || fail "'$line' failed" || return 1
			;;
		*" follow" | *dispatch-watch)
			# a long-running client: in the background, ready before the next step
			bgn=$((bgn + 1))
			# exec after the line's own VAR=value words, so that stopping
			# the background job stops the client itself
			bg "$TMP/bg.$bgn.out" bash -c "cd '$WORK' && $(printf '%s' "$line" | sed -E 's/^(([A-Za-z_][A-Za-z_0-9]*=[^ ]* )*)/\1exec /')"
			if [[ $line == *" follow" ]]; then
				wait_for "$TMP/bg.$bgn.out" 'waiting for new assignments' "$READY_TIMEOUT" ||
					fail "'$line' did not start: $(cat "$TMP/bg.$bgn.out.err")" || return 1
			else
				WATCH_OUT=$TMP/bg.$bgn.out
				wait_for "$WATCH_OUT.err" '^dispatch-watch: subscribed to ' "$READY_TIMEOUT" ||
					fail "'$line' did not subscribe: $(cat "$WATCH_OUT.err")" || return 1
			fi
			;;
		*)
			step "$line"
			LAST_OUT=$OUT
			[ "$RC" = 0 ] || fail "command $n, '$line', exited $RC: $ERR$OUT" || return 1
			;;
		esac
	done <"$TMP/walk.txt"
	[ -n "${WATCH_OUT:-}" ] || fail "the walk-through starts no dispatch-watch" || return 1
	wait_for "$WATCH_OUT" 'NOTICE' 10 || fail "dispatch-watch never showed the notice: $(tail -n 5 "$WATCH_OUT") $(cat "$WATCH_OUT.err")"
}

if ! [ -x "$B/dispatchd" ] || ! [ -x "$B/dispatch-desk" ]; then
	echo "not ok - setup: $B/dispatchd or dispatch-desk is missing; run make first"
	echo "0 passed, 1 failed"
	exit 1
fi
t "the README's walk-through, command by command, on a fresh store" test_walk_through
finish
