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
	[[ $OUT == *'"asset": "L2"'* ]] || fail "show --json has no asset: $OUT" || return 1
	run desk list --unit 12-5C
	printf '%s\n' "$OUT" | grep -E "^$TID " | grep -qF '[L2] lift L2 stuck' || fail "list has no asset: $OUT" || return 1
	run desk list --unit 12-5C --csv
	python3 -c '
import csv, sys
rows = list(csv.DictReader(sys.stdin))
assert rows and rows[0]["asset"] == "L2", rows' <<<"$OUT" || fail "--csv has no asset column: $OUT"
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

# An import line names its asset too; an unknown one fails that line only.
test_import_names_assets() {
	local f=$TMP/assets.ndjson
	printf '%s\n' '{"unit": "3-4A", "kind": "repair", "category": "plumbing", "asset": "PUMP-3", "text": "no pressure"}' \
		'{"unit": "3-4B", "kind": "repair", "asset": "PUMP-9", "text": "no such pump"}' >"$f"
	run desk import "$f"
	[ "$RC" = 1 ] || fail "an import with an unknown asset: exit $RC: $OUT $ERR" || return 1
	[[ "$OUT$ERR" == *"line 2: failed: no asset PUMP-9 in the register"* && "$OUT$ERR" == *"2 lines, 1 submitted, 1 failed"* ]] ||
		fail "unexpected import report: $OUT $ERR" || return 1
	run desk asset show PUMP-3 --json
	[[ $OUT == *'"text": "no pressure"'* ]] || fail "the imported ticket is not in PUMP-3's history: $OUT"
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

# An asset's history: its tickets newest first, with states and costs; the
# register's open counts follow the tickets (L4 is only named here).
test_asset_show_and_list() {
	local t1 t2 t3
	lift_on_site L4 12-11A "L4 alarm bell" || return 1
	t1=$TID
	run desk resolve "$t1" --note "bell reset" --invoice 500
	[ "$RC" = 0 ] || fail "resolve: $RC $ERR" || return 1
	submit --unit 12-11B --kind repair --category lift --asset L4 --text "L4 lights flicker" || return 1
	t2=$TID
	submit --unit 12-11C --kind repair --category lift --asset L4 --text "L4 stops between floors" || return 1
	t3=$TID
	run desk cancel "$t2" --reason "the same as the next report"
	[ "$RC" = 0 ] || fail "cancel: $RC $ERR" || return 1
	run desk asset show L4
	[ "$RC" = 0 ] || fail "asset show: $RC $ERR" || return 1
	printf '%s\n' "$OUT" | grep -q '^asset L4: lift, building 12, zone north$' || fail "heading: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -qF '  tickets    3 (2 open), cost HK$500.00' || fail "totals: $OUT" || return 1
	# newest first, each with its state and cost
	[ "$(printf '%s\n' "$OUT" | awk '/^ID /{h=1;next} h{print $1}' | tr '\n' ' ')" = "$t3 $t2 $t1 " ] ||
		fail "not newest first: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -E "^$t1 " | grep -q 'resolved.*HK\$500.00' || fail "resolved row: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -E "^$t2 " | grep -q 'cancelled' || fail "cancelled row: $OUT" || return 1
	run desk asset show L4 --json
	[[ $OUT == *'"tickets": 3'* && $OUT == *'"cost_cents": 50000'* ]] || fail "--json: $OUT" || return 1
	run desk asset show L4 --limit 1
	[[ $OUT == *"(the newest 1 shown"* ]] || fail "--limit 1: $OUT" || return 1
	run desk asset show L9
	[ "$RC" = 1 ] && [[ $ERR == *"no asset L9 in the register"* ]] || fail "unknown asset: $RC $ERR" || return 1
	# the register: filters, open counts (L4: the one still open; t1 resolved is open until closed)
	run desk asset list --kind lift --building 12
	[ "$RC" = 0 ] || fail "asset list: $RC $ERR" || return 1
	[ "$(printf '%s\n' "$OUT" | awk '/^ID /{h=1;next} /^L/{print $1}' | tr '\n' ' ')" = "L1 L2 L3 L4 " ] ||
		fail "lifts of building 12: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -E '^L4 ' | grep -qE 'lift-vendor \(vendor\) +2 +3 ' || fail "L4's counts: $OUT" || return 1
	run desk asset list --vendor security
	[ "$(printf '%s\n' "$OUT" | awk '/^ID /{h=1;next} h && /^[A-Z]/{print $1}' | tr '\n' ' ')" = "GATE-N GATE-S GATE-P CCTV-12 CCTV-P CCTV-N " ] ||
		fail "security's assets: $OUT" || return 1
	run desk asset list --building P --kind gate --json
	[[ $OUT == *'"id": "GATE-P"'* && $OUT != *'"id": "GATE-N"'* ]] || fail "building P gates: $OUT" || return 1
	run desk asset list --kind lyft
	[ "$RC" = 1 ] && [[ $ERR == *"no asset of kind lyft"*"its kinds are lift, pump"* ]] || fail "unknown kind: $RC $ERR" || return 1
	run desk asset list --vendor nobody
	[ "$RC" = 1 ] || fail "unknown vendor: $RC $ERR"
}

# --check-config names every problem of the register at its place, at once.
test_check_config_names_asset_mistakes() {
	local bad=$TMP/bad-assets.yaml
	sed -e 's/{ id: L2, kind: lift, building: "12", crew: lift-vendor/{ id: L1, kind: lift, building: "12", crew: lift-vendr/' \
		-e 's/{ id: L5, kind: lift, building: "2A"/{ id: L5, kind: lift, building: "99"/' \
		-e 's/{ id: GATE-S, kind: gate, zone: south/{ id: GATE-S, kind: gate, zone: east/' \
		-e 's/price: "88.00"/price: "88.001"/' "$CONFIG" >"$bad"
	run "$B/dispatchd" --check-config --config "$bad"
	[ "$RC" = 1 ] || fail "check-config of a bad register: exit $RC: $OUT $ERR" || return 1
	local l2 l5 gs pv
	l2=$(grep -n 'id: L1, kind: lift, building: "12", crew: lift-vendr' "$bad" | cut -d: -f1)
	l5=$(grep -n 'id: L5, kind: lift, building: "99"' "$bad" | cut -d: -f1)
	gs=$(grep -n 'id: GATE-S' "$bad" | cut -d: -f1)
	pv=$(grep -n 'price: "88.001"' "$bad" | cut -d: -f1)
	[[ $ERR == *"$bad:$l2:11: asset 'L1' is listed twice"* ]] || fail "duplicate id: $ERR" || return 1
	[[ $ERR == *"$bad:$l2:49: crew or vendor 'lift-vendr' is not defined under crews"* ]] || fail "unknown vendor: $ERR" || return 1
	[[ $ERR == *"$bad:$l5:37: building '99' is not in this estate"* ]] || fail "bad building: $ERR" || return 1
	[[ $ERR == *"$bad:$gs:"*": zone 'east' is not defined under zones"* ]] || fail "bad zone: $ERR" || return 1
	[[ $ERR == *"$bad:$pv:"*": expected a price in HK\$ such as 12.50, not '88.001'"* ]] || fail "bad price: $ERR" || return 1
	run "$B/dispatchd" --check-config --config "$CONFIG"
	[ "$RC" = 0 ] || fail "the sample estate does not check: $ERR"
}

# A store as schema 7 left it (no asset indexes; built here by taking them
# out of a current one and setting the version back, as the unit tests of
# earlier migrations do) is migrated at start: the history is complete.
test_a_schema_7_store_is_migrated() {
	local before after
	run desk asset show L2 --json
	before=$(printf '%s\n' "$OUT" | grep -o '"tickets": [0-9]*' | head -1)
	[ -n "$before" ] && [ "$before" != '"tickets": 0' ] || fail "no L2 tickets to migrate: $OUT" || return 1
	stop_background
	run "$B/store-tamper" "$STATE" schema7
	[ "$RC" = 0 ] || fail "store-tamper: $ERR" || return 1
	[[ $OUT == *"asset index entries taken out"* && $OUT != *" 0 asset index"* ]] || fail "nothing taken out: $OUT" || return 1
	start_daemon || return 1
	grep -q 'migrating the store from schema version 7 to ' "$DAEMON_LOG" || fail "no migration: $(cat "$DAEMON_LOG")" || return 1
	grep -Eq 'migration: [1-9][0-9]* ticket\(s\) naming an asset indexed' "$DAEMON_LOG" || fail "nothing indexed: $(cat "$DAEMON_LOG")" || return 1
	run desk asset show L2 --json
	after=$(printf '%s\n' "$OUT" | grep -o '"tickets": [0-9]*' | head -1)
	[ "$after" = "$before" ] || fail "L2's history: $before before, $after after" || return 1
	stop_background
	run "$B/dispatchd" --state-dir "$STATE" --verify
	[ "$RC" = 0 ] && [[ $OUT$ERR == *"ok: "*" 0 violation(s)"* ]] || fail "verify after the migration: $RC $OUT $ERR" || return 1
	# and --verify notices an asset index entry that went missing
	cp -a "$STATE" "$TMP/lost"
	run "$B/store-tamper" "$TMP/lost" drop-asset L2
	[ "$RC" = 0 ] || fail "store-tamper drop-asset: $ERR" || return 1
	run "$B/dispatchd" --state-dir "$TMP/lost" --verify
	[ "$RC" != 0 ] && [[ $OUT$ERR == *"missing from tickets_by_asset under 'L2'"* ]] ||
		fail "verify of a lost asset entry: $RC $OUT $ERR" || return 1
	start_daemon
}

# The handheld's detail of a job shows its asset and, for a job back after
# a low follow-up score, what the first round cost.
test_the_handheld_shows_asset_and_cost() {
	fresh_store # this job alone on the handheld's list
	start_daemon || return 1
	UI_ENV="NO_COLOR=1" ui_start hand 60 30 "$B/dispatch-crew" --member T07
	wait_screen hand "^T07 " 15 || fail "no handheld: $(screen hand; cat "$TMP/hand.err")" || return 1
	submit --unit 12-14D --kind repair --category electrical --asset PUMP-12 --text "roof pump tripped" || return 1
	[ "$TMEMBER" = T07 ] || fail "went to '$TMEMBER', expected T07" || return 1
	crew --member T07 accept "$TID" >/dev/null && crew --member T07 arrive "$TID" >/dev/null &&
		crew --member T07 resolve "$TID" --note "reset" --part fuse-13a:2 >/dev/null || fail "T07's steps" || return 1
	run desk follow-up "$TID" --score 1 --remark "tripped again an hour later"
	[ "$RC" = 0 ] && [[ $OUT == *reopened* ]] || fail "follow-up did not reopen: $OUT $ERR" || return 1
	wait_screen hand "#$TID .*12-14D" 10 || fail "the reopened job is not listed: $(screen hand)" || return 1
	local n=0
	while ! screen hand | grep -Eq "^>#$TID " && [ $n -lt 10 ]; do
		tm send-keys -t hand j
		sleep 0.2
		n=$((n + 1))
	done
	tm send-keys -t hand Enter
	wait_screen hand "^asset PUMP-12$" 10 || fail "no asset in the detail: $(screen hand)" || return 1
	wait_screen hand '^cost HK\$25.00 \(parts HK\$25.00\)$' 5 || fail "no cost in the detail: $(screen hand)" || return 1
	tm send-keys -t hand q
	tm kill-session -t hand 2>/dev/null
	true
}

# The review's and the daily report's cost sums and the repeat failures
# per asset, against what the generator says it wrote (assets_check.py,
# without report.c), on a month of a busy estate.
test_report_costs_equal_the_generators() {
	local st=$TMP/gen day from to
	rm -rf "$st"
	run "$B/gen-year" --tickets 2000 --days 30 --seed 11 --truth "$TMP/gen-truth.ndjson" "$st"
	[ "$RC" = 0 ] || fail "gen-year: $ERR" || return 1
	for period in "2026-01-05 2026-01-01 2026-01-11" "2026-01-20 2026-01-01 2026-01-31" "2026-01-02 2026-01-02 2026-01-03"; do
		read -r day from to <<<"$period"
		"$B/dispatchd" --state-dir "$st" report review --from "$from" --to "$to" --format json >"$TMP/r.json" ||
			fail "review $from..$to" || return 1
		"$B/dispatchd" --state-dir "$st" report daily --date "$day" --format json >"$TMP/d.json" ||
			fail "daily $day" || return 1
		run python3 "$ROOT/tests/integration/assets_check.py" "$TMP/gen-truth.ndjson" "$TMP/r.json" "$TMP/d.json" \
			"$day" "$from" "$to"
		[ "$RC" = 0 ] || fail "costs differ for $day, $from..$to: $(printf '%s\n' "$OUT" | head -n 8) $ERR" || return 1
		echo "# $OUT"
	done
	# the same figures for people and spreadsheets
	run "$B/dispatchd" --state-dir "$st" report review --from 2026-01-01 --to 2026-01-31
	[[ $OUT == *"What the work cost (parts, labour, vendors' invoices)"* && $OUT == *"Repeat failures per asset (3 or more repairs)"* ]] ||
		fail "the text review has no costs: $(printf '%s\n' "$OUT" | tail -n 30)" || return 1
	run "$B/dispatchd" --state-dir "$st" report review --from 2026-01-01 --to 2026-01-31 --format csv
	printf '%s\n' "$OUT" | grep -q '^cost,total,[0-9]*\.[0-9][0-9],' && printf '%s\n' "$OUT" | grep -q '^cost_asset,' &&
		printf '%s\n' "$OUT" | grep -q '^repeat_asset,' || fail "the CSV has no costs" || return 1
	run "$B/dispatchd" --state-dir "$st" report review --from 2026-01-01 --to 2026-01-31 --format html
	[[ $OUT == *'<h2 id="costs">What the work cost</h2>'* && $OUT == *'id="repeat-assets"'* ]] || fail "the HTML has no costs" || return 1
	run "$B/dispatchd" --state-dir "$st" report daily --date 2026-01-20
	[[ $OUT == *"What the day's resolved work cost: HK\$"* ]] || fail "the text daily report has no costs: $OUT"
}

# A review over a real daemon's tickets: the lift's repeat failures beside
# the unit's repeat problems.
test_review_repeat_failures_per_asset() {
	local i
	for i in 1 2 3; do
		submit --unit "12-1$i""B" --kind repair --category lift --asset L5 --text "L5 stuck again ($i)" || return 1
		run desk cancel "$TID" --reason "test: next report"
	done
	run "$B/dispatchd" --state-dir "$STATE" report review --from 2026-11-30 --to 2026-12-01 --format json
	[ "$RC" = 0 ] || fail "review: $RC $ERR" || return 1
	python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
got = {x["asset"]: x["count"] for x in r["repeat_failures_per_asset"]}
assert got.get("L5") == 3, got' <<<"$OUT" || fail "L5 is not a repeat failure: $(printf '%s\n' "$OUT" | grep -A8 repeat_failures)"
}

t "a ticket names the asset it concerns, shown and in --json" test_a_ticket_names_its_asset
t "an unknown asset is refused (submit.asset) and changes nothing" test_an_unknown_asset_is_refused_and_changes_nothing
t "an import line names its asset; an unknown asset fails that line" test_import_names_assets
t "two reports about two lifts from one unit are not duplicates" test_other_assets_are_not_duplicates
t "parts, labour and an invoice at resolution make the ticket's total (show, --json, export)" test_costs_at_resolution_make_the_ticket_total
t "the handheld records its job's parts and labour" test_the_crew_records_costs
t "bad costs (unlisted part without a price, negative, absurd, not at a resolve) are refused; nothing changes" test_bad_costs_are_refused_and_change_nothing
t "asset show: an asset's tickets newest first with states and costs; asset list filters and open counts" test_asset_show_and_list
t "--check-config names a duplicate asset, an unknown vendor, a bad place and price at their lines" test_check_config_names_asset_mistakes
t "the review's and the daily report's cost sums equal the generator's; text, CSV, HTML" test_report_costs_equal_the_generators
t "the review lists an asset repaired three times as a repeat failure" test_review_repeat_failures_per_asset
t "a schema 7 store is migrated to 8 at start: asset histories complete, --verify clean (and it catches a lost asset index entry)" test_a_schema_7_store_is_migrated

t "the handheld's detail shows the job's asset and what it cost" test_the_handheld_shows_asset_and_cost

finish
