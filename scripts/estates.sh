#!/usr/bin/env bash
# estates.sh (make estates): a company on one machine, for a newcomer
# (README "Many estates"): a 3-server NATS JetStream cluster on loopback
# (ports 18241-18263), two estates (dispatchd on the sample estate, each
# with its own store and sockets in var/estates/), each estate's
# dispatch-ship, and head office's dispatch-hq consume. It prints what to
# try, and stops everything it started on Ctrl-C. KEEP_STATE=1 keeps
# var/estates for the next run (otherwise it starts afresh).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
V=$ROOT/var/estates
BASE=18240
PIDS=()

command -v nats-server >/dev/null || { echo "estates: needs nats-server: apt-get install nats-server" >&2; exit 1; }
[ "${KEEP_STATE:-0}" = 1 ] || rm -rf "$V"
mkdir -p "$V"

stop_all() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	wait 2>/dev/null
	"$ROOT/scripts/hq-cluster.sh" stop "$V/nats"
	echo "estates: stopped; the stores are in $V"
}
trap stop_all EXIT
trap 'exit 0' INT TERM

"$ROOT/scripts/hq-cluster.sh" config "$V/nats" $BASE harbour-view garden-court
"$ROOT/scripts/hq-cluster.sh" start "$V/nats"
"$ROOT/scripts/hq-cluster.sh" wait "$V/nats" 30 || { echo "estates: the cluster did not start; see $V/nats/n1.log" >&2; exit 1; }
urls=$("$ROOT/scripts/hq-cluster.sh" urls "$V/nats")
for who in hq hq-admin; do
	cat >"$V/$who.conf" <<EOC
servers = $urls
user = $who
password-file = $V/nats/pass/$who
store = $V/hq
estate = harbour-view Harbour View Gardens
estate = garden-court Garden Court
group = all-of-us harbour-view garden-court
EOC
done
"$B/dispatch-hq" --config "$V/hq-admin.conf" init || exit 1
for e in harbour-view garden-court; do
	"$B/dispatchd" --state-dir "$V/$e" --request "ipc://$V/$e.req" --events "ipc://$V/$e.ev" 2>"$V/$e.log" &
	PIDS+=($!)
	cat >"$V/ship-$e.conf" <<EOC
servers = $urls
estate = $e
user = $e
password-file = $V/nats/pass/$e
state-dir = $V/$e
request = ipc://$V/$e.req
events = ipc://$V/$e.ev
EOC
done
sleep 1
for e in harbour-view garden-court; do
	"$B/dispatch-ship" --config "$V/ship-$e.conf" 2>"$V/ship-$e.log" &
	PIDS+=($!)
done
"$B/dispatch-hq" --config "$V/hq.conf" consume >"$V/consume.log" 2>&1 &
PIDS+=($!)
cat <<EOM

A company of two estates is running (logs in $V). In another terminal:

  # a ticket at Harbour View Gardens
  DISPATCH_ENDPOINT=ipc://$V/harbour-view.req DISPATCH_EVENTS=ipc://$V/harbour-view.ev \\
      $B/dispatch-desk --actor me submit --unit 12-1A --kind repair --text "leak under the sink"

  # head office
  $B/dispatch-hq --config $V/hq.conf live
  $B/dispatch-hq --config $V/hq.conf summary
  $B/dispatch-hq --config $V/hq.conf report daily --group all-of-us
  $B/dispatch-hq --config $V/hq.conf verify
  $B/dispatch-hq --config $V/hq.conf qc-sample

Ctrl-C here stops it all.
EOM
wait
