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

# Two reports from one unit about two lifts are two problems, not a duplicate.
test_other_assets_are_not_duplicates() {
	local first
	submit --unit 12-9A --kind repair --category lift --asset L1 --text "L1 stuck" || return 1
	first=$TID
	submit --unit 12-9A --kind repair --category lift --asset L2 --text "L2 stuck too" || return 1
	[ "$TMEMBER" = V01 ] || fail "the L2 report was not dispatched: $OUT" || return 1
	run desk submit --unit 12-9A --kind repair --category lift --asset L1 --text "L1 still stuck"
	[ "$RC" = 0 ] && [[ $OUT == *"linked to ticket $first (a duplicate)"* ]] || fail "a second L1 report is not a duplicate: $OUT"
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

# lift_on_site ASSET UNIT TEXT: a lift repair naming ASSET, taken and on
# site by the lift vendor (an outside provider: the desk records its
# steps); TID.
lift_on_site() {
	submit --unit "$2" --kind repair --category lift --asset "$1" --text "$3" || return 1
	[ "$TMEMBER" = V01 ] || fail "lift ticket went to '$TMEMBER', expected V01" || return 1
	run desk accept "$TID"
	[ "$RC" = 0 ] || fail "accept: $RC $ERR" || return 1
	run desk arrive "$TID"
	[ "$RC" = 0 ] || fail "arrive: $RC $ERR"
}

# The parts list prices a listed item (lift-contactor HK$1250.00), an item
# not listed carries its own price, labour is costed at the estate's rate
# (HK$180.00 an hour), and the invoice is added: the ticket's total.
test_costs_at_resolution_make_the_ticket_total() {
	lift_on_site L1 12-6C "L1 doors will not close" || return 1
	run desk resolve "$TID" --note "door contactor replaced" --part lift-contactor:1 --part gasket:2:35 \
		--labour 90 --invoice 1800
	[ "$RC" = 0 ] || fail "resolve with costs: $RC $ERR" || return 1
	run desk show "$TID"
	printf '%s\n' "$OUT" | grep -qF '  cost       HK$3390.00 (parts HK$1320.00, labour 90 min HK$270.00, invoice HK$1800.00)' ||
		fail "show has no cost total: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -qF 'lift-contactor x 1 at HK$1250.00 = HK$1250.00' || fail "no listed part: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -qF 'gasket x 2 at HK$35.00 = HK$70.00' || fail "no unlisted part: $OUT" || return 1
	run desk show "$TID" --json
	[[ $OUT == *'"cost_cents": 339000'* && $OUT == *'"labour_cents": 27000'* && $OUT == *'"invoice_cents": 180000'* ]] ||
		fail "show --json: $OUT" || return 1
	# in the log and the export: the resolved event's snapshot carries the parts
	run "$B/dispatchd" --state-dir "$STATE" export
	printf '%s\n' "$OUT" | grep '"type":"resolved"' | grep -q '"lift-contactor"' ||
		fail "the export's resolved event has no parts: $(printf '%s\n' "$OUT" | grep resolved | head -c 600)"
}

# A technician's handheld records the costs of its own job.
test_the_crew_records_costs() {
	follow T07 || return 1
	submit --unit 1-3B --kind repair --category electrical --asset PUMP-3 --text "pump breaker trips" || return 1
	[ "$TMEMBER" = T07 ] || fail "went to '$TMEMBER', expected T07" || return 1
	run crew --member T07 accept "$TID"
	[ "$RC" = 0 ] || fail "accept: $RC $ERR" || return 1
	run crew --member T07 arrive "$TID"
	run crew --member T07 resolve "$TID" --note "breaker and fuses" --part fuse-13a:2 --labour 30
	[ "$RC" = 0 ] || fail "crew resolve: $RC $ERR" || return 1
	[[ $OUT == *"is now resolved, cost HK\$115.00 (parts HK\$25.00, labour 30 min HK\$90.00)"* ]] ||
		fail "crew resolve output: $OUT" || return 1
	# a paid special service keeps its fee and charge beside what it cost
	run desk submit --unit 5-3C --kind special --fee 350 --text "replace the kitchen valve"
	[ "$RC" = 0 ] || fail "paid submit: $RC $ERR" || return 1
	TID=$(printf '%s\n' "$OUT" | sed -n 's/^ticket \([0-9]*\) submitted.*/\1/p')
	run desk consent "$TID"
	[[ $OUT == *"T07"* ]] || fail "consent did not send T07: $OUT $ERR" || return 1
	crew --member T07 accept "$TID" >/dev/null && crew --member T07 arrive "$TID" >/dev/null ||
		fail "T07 could not take the paid job" || return 1
	run crew --member T07 resolve "$TID" --charged 350 --part valve-15mm:1 --labour 20
	[[ $OUT == *"charged HK\$350.00, cost HK\$148.00 (parts HK\$88.00, labour 20 min HK\$60.00)"* ]] ||
		fail "paid resolve: $OUT $ERR" || return 1
	run desk show "$TID"
	printf '%s\n' "$OUT" | grep -q '^  fee        HK\$350.00$' && printf '%s\n' "$OUT" | grep -q '^  charged    HK\$350.00$' ||
		fail "the fee and charge: $OUT" || return 1
	stop_background
	start_daemon
}

# Bad costs: refused with a clear message, the ticket and the log unchanged.
test_bad_costs_are_refused_and_change_nothing() {
	local seq
	lift_on_site L3 12-7C "L3 noisy" || return 1
	seq=$(last_seq)
	run desk resolve "$TID" --part gasket:1
	[ "$RC" = 1 ] && [[ $ERR == *"part gasket is not in the estate's parts list: give its price"* ]] ||
		fail "unlisted part without a price: exit $RC, $ERR" || return 1
	run desk resolve "$TID" --part fuse-13a:-1
	[ "$RC" = 2 ] && [[ $ERR == *"quantity is a whole number from 1 to 10000"* ]] ||
		fail "negative quantity at the desk: exit $RC, $ERR" || return 1
	run crew --member V01 resolve "$TID" --part fuse-13a:0
	[ "$RC" = 2 ] || fail "zero quantity at the handheld: exit $RC, $ERR" || return 1
	run crew --member V01 accept "$TID" --labour 30
	[ "$RC" = 2 ] && [[ $ERR == *"accept does not take --part, --labour or --invoice"* ]] ||
		fail "labour on an accept at the handheld: exit $RC, $ERR" || return 1
	# what a client never sends, the daemon refuses too (action 3: resolve, 1: accept, 4: close)
	run raw --role desk --cost "$TID:3:fuse-13a:-1:0:0:0"
	[[ $OUT == *"field: transition.parts"* && $OUT == *"a quantity is a whole number from 1 to 10000, not 4294967295"* ]] ||
		fail "a wrapped negative quantity: $OUT $ERR" || return 1
	run raw --role desk --cost "$TID:3:fuse-13a:1:-500:0:0"
	[[ $OUT == *"field: transition.parts"* && $OUT == *"unit price"* ]] || fail "a negative price: $OUT" || return 1
	run raw --role desk --cost "$TID:3:fuse-13a:1:0:0:99999999999"
	[[ $OUT == *"field: transition.invoice_cents"* ]] || fail "an absurd invoice: $OUT" || return 1
	run raw --role desk --cost "$TID:3:-:0:0:50000:0"
	[[ $OUT == *"field: transition.labour_minutes"* && $OUT == *"more than a week"* ]] ||
		fail "absurd labour: $OUT" || return 1
	run raw --role desk --cost "$TID:4:fuse-13a:1:0:0:0"
	[[ $OUT == *"status: STATUS_INVALID"* && $OUT == *"recorded when the work is resolved, not with a close"* ]] ||
		fail "a cost on a close: $OUT" || return 1
	[ "$(last_seq)" = "$seq" ] || fail "a refused cost wrote events: $seq -> $(last_seq)" || return 1
	run desk show "$TID"
	printf '%s\n' "$OUT" | grep -q '^ticket [0-9]*: repair, on site' || fail "the ticket moved: $OUT" || return 1
	! printf '%s\n' "$OUT" | grep -q '^  cost ' || { fail "a refused cost was recorded: $OUT"; return 1; }
}

t "a ticket names the asset it concerns, shown and in --json" test_a_ticket_names_its_asset
t "an unknown asset is refused (submit.asset) and changes nothing" test_an_unknown_asset_is_refused_and_changes_nothing
t "two reports about two lifts from one unit are not duplicates" test_other_assets_are_not_duplicates
t "parts, labour and an invoice at resolution make the ticket's total (show, --json, export)" test_costs_at_resolution_make_the_ticket_total
t "the handheld records its job's parts and labour" test_the_crew_records_costs
t "bad costs (unlisted part without a price, negative, absurd, not at a resolve) are refused; nothing changes" test_bad_costs_are_refused_and_change_nothing

finish
