#!/usr/bin/env bash
# topics.sh: a member's topic is its own (DESIGN: "T07 never matches
# T070"). Topics are ZeroMQ prefixes; "crew.technical.T07." ends with a
# dot so that it is not a prefix of "crew.technical.T070.". The sample
# estate with a member T070 beside T07 (same crew, skill and zone, on call
# around the clock like T07), and each one's handheld: `dispatch-crew
# follow` prints whatever arrives on its topic, so what it prints is what
# the topic carried. (dispatch-watch --member filters again on its side,
# which would hide a topic that carries too much.)
. "$(dirname "$0")/lib.sh"

CONFIG=$TMP/prefix.yaml
sed '/- { id: T07, name: /a\      - { id: T070, name: Lam Ka-ho, skills: [electrician], zone: north }' \
	"$ROOT/daemon/sample-estate.yaml" >"$CONFIG"
grep -q '{ id: T070,' "$CONFIG" || {
	echo "not ok - setup: the sample estate has no T07 line to add T070 after"
	echo "0 passed, 1 failed"
	exit 1
}
setup

# assigned_in FILE: the ticket ids a follow printed as new assignments.
assigned_in() { sed -n 's/.*\*\*\* NEW ASSIGNMENT \*\*\* ticket \([0-9]*\):.*/\1/p' "$1" | sort -n | tr '\n' ' '; }

test_prefix_is_not_a_match() {
	local f7 f70 u want7="" want70=""
	follow T07 || return 1
	f7=$FOLLOW
	follow T070 || return 1
	f70=$FOLLOW
	# Both free, both qualified: the router alternates (fewest open first).
	for u in 12-1A 12-1B 12-2A 12-2B; do
		submit --unit "$u" --kind repair --text "lights out at $u" || return 1
		case $TMEMBER in
		T07) want7="$want7$TID " ;;
		T070) want70="$want70$TID " ;;
		*) fail "ticket $TID went to '$TMEMBER', not T07 or T070" || return 1 ;;
		esac
	done
	[ -n "$want7" ] && [ -n "$want70" ] ||
		fail "the router gave T07 [$want7] and T070 [$want70]: one got none" || return 1
	# Each handheld has printed its own assignments...
	for u in $want7; do
		wait_for "$f7" "NEW ASSIGNMENT \\*\\*\\* ticket $u:" 10 ||
			fail "T07's handheld never got its ticket $u: $(cat "$f7")" || return 1
	done
	for u in $want70; do
		wait_for "$f70" "NEW ASSIGNMENT \\*\\*\\* ticket $u:" 10 ||
			fail "T070's handheld never got its ticket $u: $(cat "$f70")" || return 1
	done
	# ...and an event on its own topic published after everything else has
	# arrived too: PUB keeps order, so whatever the topic carried is in.
	run crew --member T07 duty off
	run crew --member T070 duty off
	run crew --member T07 duty on
	[ "$RC" = 0 ] || fail "T07 duty on: $ERR" || return 1
	wait_for "$f7" 'you are now on duty' 10 || fail "T07's handheld never saw its duty on: $(cat "$f7")" || return 1
	run crew --member T070 duty on
	[ "$RC" = 0 ] || fail "T070 duty on: $ERR" || return 1
	wait_for "$f70" 'you are now on duty' 10 || fail "T070's handheld never saw its duty on: $(cat "$f70")" || return 1
	[ "$(assigned_in "$f7")" = "$want7" ] ||
		fail "T07's topic carried tickets [$(assigned_in "$f7")], T07 was assigned [$want7]" || return 1
	[ "$(assigned_in "$f70")" = "$want70" ] ||
		fail "T070's topic carried tickets [$(assigned_in "$f70")], T070 was assigned [$want70]" || return 1
	# one duty off and one on each: the other member's never came
	[ "$(grep -c 'you are now o' "$f7")" = 2 ] ||
		fail "T07's topic carried another's duty events: $(grep 'you are now o' "$f7" | tr '\n' ';')" || return 1
	[ "$(grep -c 'you are now o' "$f70")" = 2 ] ||
		fail "T070's topic carried another's duty events: $(grep 'you are now o' "$f70" | tr '\n' ';')"
}

t "T07's topic carries T07's assignments and never T070's, and T070's never T07's" test_prefix_is_not_a_match
finish
