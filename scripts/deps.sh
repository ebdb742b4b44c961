#!/bin/sh
# deps.sh: install the Debian packages dispatchd needs to build, run and test,
# but only those that are missing. Says what it installs and why.
#   scripts/deps.sh build   -- compiler and libraries
#   scripts/deps.sh test    -- the above plus the test tools
#   scripts/deps.sh peers   -- the build's, and Redis for make bench-peers
set -eu

build_pkgs="gcc make pkg-config libzmq3-dev libprotobuf-c-dev protobuf-c-compiler liblmdb-dev lmdb-utils libev-dev libcyaml-dev libyaml-dev libjansson-dev libncurses-dev libsodium-dev libssl-dev tzdata libmicrohttpd-dev libical-dev libnats-dev"
test_pkgs="check procps tmux python3 groff-base clang clang-format libclang-rt-14-dev systemd valgrind chromium tcpdump chromium-driver python3-selenium fonts-wqy-microhei curl nats-server openssl"

want="$build_pkgs"
[ "${1:-build}" = test ] && want="$want $test_pkgs"
[ "${1:-build}" = peers ] && want="$want redis-server redis-tools"

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "deps: need root to install:$missing -- run 'apt-get install$missing' as root, then retry" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >&2
echo "deps: done" >&2
