#!/usr/bin/env bash
# assets.sh: the estate's equipment and what the work cost (issue 19). A
# ticket names the asset it concerns (an unknown one is refused and changes
# nothing); an asset's history and the register with its open tickets;
# parts, labour and a vendor's invoice recorded at resolution, priced from
# the configuration's parts list, totalled on the ticket and summed in the
# reports; bad costs refused with nothing changed; --check-config names
# every problem of the register at its line and column; a schema 7 store is
# migrated and its asset indexes built.
. "$(dirname "$0")/lib.sh"
setup

# last_seq: the event log's last sequence number, read from the store.
last_seq() { "$B/dispatchd" --state-dir "$STATE" export | tail -n 1 | sed -n 's/.*"seq":\([0-9]*\).*/\1/p'; }

test_a_ticket_names_its_asset() {
	submit --unit 12-5C --kind repair --category lift --asset L2 --text "lift L2 stuck at 5/F" || return 1
	run desk show "$TID"
	[ "$RC" = 0 ] || fail "show: $RC $ERR" || return 1
	printf '%s\n' "$OUT" | grep -q '^  asset      L2$' || fail "show has no asset line: $OUT" || return 1
	run desk show "$TID" --json
	[[ $OUT == *'"asset": "L2"'* ]] || fail "show --json has no asset: $OUT"
}

test_an_unknown_asset_is_refused_and_changes_nothing() {
	local seq before
	submit --unit 3-7D --kind repair --text "before" || return 1
	before=$TID
	seq=$(last_seq)
	run desk submit --unit 12-5C --kind repair --asset L9 --text "lift L9 stuck"
	[ "$RC" = 1 ] || fail "an unknown asset: exit $RC, expected 1: $OUT $ERR" || return 1
	[[ $ERR == *"submit.asset"* && $ERR == *"no asset L9 in the register of Harbour View Gardens"* ]] ||
		fail "unexpected refusal: $ERR" || return 1
	run desk submit --unit 12-5C --kind repair --asset 'L 2' --text "a space"
	[ "$RC" = 1 ] && [[ $ERR == *"submit.asset"* ]] || fail "a malformed asset id: exit $RC, $ERR" || return 1
	[ "$(last_seq)" = "$seq" ] || fail "a refused report wrote events: $seq -> $(last_seq)" || return 1
	submit --unit 3-8D --kind repair --text "after" || return 1
	[ "$TID" = $((before + 1)) ] || fail "ticket $TID after $before: a refusal used a number"
}

t "a ticket names the asset it concerns, shown and in --json" test_a_ticket_names_its_asset
t "an unknown asset is refused (submit.asset) and changes nothing" test_an_unknown_asset_is_refused_and_changes_nothing

finish
