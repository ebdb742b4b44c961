#!/bin/sh
# run-board.sh BUILD [LISTEN]: what `make run` runs: dispatchd on the
# sample estate (store in ./var) and dispatch-board beside it, talking to
# it over CURVE with the demo keys the daemon makes on its first run in
# var/keys. A demo account is made on the first run (its password, random,
# kept in var/board-demo-login). Ctrl-C stops both.
set -u
B=$1
LISTEN=${2:-127.0.0.1:8080}
mkdir -p var
if [ ! -s var/board-users ]; then
	pw=$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | cut -c1-12)
	printf '%s\n' "$pw" | "$B/dispatch-board" --users var/board-users --add-user demo --role supervisor >/dev/null || exit 1
	(umask 077 && printf 'demo %s\n' "$pw" >var/board-demo-login)
fi
"$B/dispatchd" --config daemon/sample-estate.yaml --state-dir var &
daemon=$!
# The demo keys exist once the daemon has started.
i=0
while [ ! -e var/keys/resident.key ] && [ $i -lt 50 ] && kill -0 $daemon 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
"$B/dispatch-board" --listen "$LISTEN" --users var/board-users --state-dir var/board \
	--key var/keys/monitor.key --resident-key var/keys/resident.key --server-key var/keys/server.pub &
board=$!
trap 'kill -TERM $board $daemon 2>/dev/null' INT TERM
sleep 0.5
if ! kill -0 $board 2>/dev/null; then
	echo "== the board did not start (is $LISTEN taken? make run BOARD_LISTEN=127.0.0.1:8081); the daemon runs on" >&2
fi
echo
echo "== the wall board: http://$LISTEN/   sign in as $(cat var/board-demo-login | sed 's/ / with password /')"
echo "== (more accounts: $B/dispatch-board --users var/board-users --add-user NAME --role ROLE)"
echo "== residents' pages: the link dispatch-desk submit prints (http://$LISTEN/r/TOKEN)"
echo
wait $daemon
rc=$?
kill -TERM $board 2>/dev/null
wait $board
exit $rc
