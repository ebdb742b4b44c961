#!/usr/bin/env bash
# hq-cluster.sh: a local 3-server NATS JetStream cluster for head office, on
# loopback, with one user per estate (it may publish only to its own
# subject), a reader for head office and an admin for `dispatch-hq init`.
# Used by the tests (tests/integration/hq.sh), the benchmark and
# `make estates`; a real deployment writes the same configuration by hand
# (README "Many estates", dispatch-hq(8)).
#
#   hq-cluster.sh config DIR BASE ESTATE...  write DIR/n{1,2,3}.conf, DIR/auth.conf
#                                            and DIR/pass/<user> (random passwords);
#                                            client ports BASE+1..3, routes BASE+11..13,
#                                            monitoring BASE+21..23
#   hq-cluster.sh start DIR [N...]           start servers N (default 1 2 3); pids in DIR/nN.pid
#   hq-cluster.sh stop DIR [N...]            SIGTERM (then SIGKILL) servers N, theirs only
#   hq-cluster.sh kill DIR N                 SIGKILL server N
#   hq-cluster.sh wait DIR [SECONDS]         until JetStream has a meta leader (healthz)
#   hq-cluster.sh urls DIR                   nats://127.0.0.1:BASE+1,...
set -u
NATS_SERVER=${NATS_SERVER:-nats-server}
# GET a monitoring URL (python3, which the tests need anyway; curl is not
# on every machine)
http_get() {
	python3 -c 'import sys, urllib.request
try:
    sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())
except Exception:
    sys.exit(1)' "$1"
}

cmd=${1:?usage: hq-cluster.sh config|start|stop|kill|wait|urls DIR ...}
dir=${2:?DIR}
shift 2

base_of() { cat "$dir/base"; }

case $cmd in
config)
	base=${1:?BASE port}
	shift
	mkdir -p "$dir/pass"
	echo "$base" >"$dir/base"
	pw() { # a password per user, kept across config runs
		[ -s "$dir/pass/$1" ] || head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$dir/pass/$1"
		cat "$dir/pass/$1"
	}
	{
		echo "# head office's accounts (written by hq-cluster.sh)"
		echo "accounts {"
		echo "  DISPATCH {"
		echo "    jetstream: enabled"
		echo "    users: ["
		# head office's reader: consumers, acks, flow control; never an estate's subject
		echo "      { user: hq, password: \"$(pw hq)\", permissions: {"
		echo "          publish: { allow: [\"\$JS.API.INFO\", \"\$JS.API.STREAM.INFO.>\", \"\$JS.API.CONSUMER.>\", \"\$JS.ACK.>\", \"\$JS.FC.>\"] }"
		echo "          subscribe: { allow: [\"_INBOX.>\", \"hq.deliver.>\"] } } }"
		# head office's admin: creates the streams (dispatch-hq init)
		echo "      { user: hq-admin, password: \"$(pw hq-admin)\", permissions: {"
		echo "          publish: { allow: [\"\$JS.API.>\"], deny: [\"estate.>\"] }"
		echo "          subscribe: { allow: [\"_INBOX.>\"] } } }"
		for e in "$@"; do
			# an estate: its own subject, where its stream ends, its own replies
			echo "      { user: $e, password: \"$(pw "$e")\", permissions: {"
			echo "          publish: { allow: [\"estate.$e.events\", \"\$JS.API.STREAM.INFO.ESTATE_$e\", \"\$JS.API.STREAM.MSG.GET.ESTATE_$e\"] }"
			echo "          subscribe: { allow: [\"_INBOX_$e.>\"] } } }"
		done
		echo "    ]"
		echo "  }"
		echo "}"
	} >"$dir/auth.conf"
	for n in 1 2 3; do
		mkdir -p "$dir/n$n"
		cat >"$dir/n$n.conf" <<EOF
# head office's NATS server $n of 3 (written by hq-cluster.sh)
server_name: hq-n$n
listen: 127.0.0.1:$((base + n))
http: 127.0.0.1:$((base + 20 + n))
max_payload: 1MB
jetstream {
  store_dir: "$dir/n$n"
  max_memory_store: 64MB
  max_file_store: 8GB
}
cluster {
  name: hq
  listen: 127.0.0.1:$((base + 10 + n))
  routes: [
    nats-route://127.0.0.1:$((base + 11))
    nats-route://127.0.0.1:$((base + 12))
    nats-route://127.0.0.1:$((base + 13))
  ]
}
include "auth.conf"
EOF
	done
	;;
start)
	[ $# -eq 0 ] && set -- 1 2 3
	for n in "$@"; do
		if [ -s "$dir/n$n.pid" ] && kill -0 "$(cat "$dir/n$n.pid")" 2>/dev/null; then
			continue
		fi
		"$NATS_SERVER" -c "$dir/n$n.conf" >>"$dir/n$n.log" 2>&1 &
		echo $! >"$dir/n$n.pid"
	done
	;;
stop | kill)
	[ $# -eq 0 ] && set -- 1 2 3
	for n in "$@"; do
		[ -s "$dir/n$n.pid" ] || continue
		p=$(cat "$dir/n$n.pid")
		if [ "$cmd" = kill ]; then
			kill -KILL "$p" 2>/dev/null
		else
			kill -TERM "$p" 2>/dev/null
			for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$p" 2>/dev/null
		fi
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		rm -f "$dir/n$n.pid"
	done
	;;
wait)
	secs=${1:-30}
	base=$(base_of)
	for _ in $(seq $((secs * 10))); do
		for n in 1 2 3; do
			if http_get "http://127.0.0.1:$((base + 20 + n))/healthz?js-enabled-only=true" >/dev/null 2>&1 &&
				http_get "http://127.0.0.1:$((base + 20 + n))/jsz" 2>/dev/null | grep -q '"leader"'; then
				exit 0
			fi
		done
		sleep 0.1
	done
	exit 1
	;;
urls)
	base=$(base_of)
	echo "nats://127.0.0.1:$((base + 1)),nats://127.0.0.1:$((base + 2)),nats://127.0.0.1:$((base + 3))"
	;;
*)
	echo "hq-cluster.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
