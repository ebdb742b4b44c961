#!/usr/bin/env bash
# procedure.sh: the service procedure (issue 4, clause 4 of the customer's
# procedure) end to end, through the real daemon and the real clients:
# repair with hold and resume; a complaint about a crew member; a paid
# special service and its consent; the follow-up call that reopens or lets
# close; the inspection that reopens or lets close; vendor incidents and
# their review; estate notices; cancel and reassign with reasons; and
# refused steps that say why and change nothing.
#
# Deadlines and escalation have their own script (deadlines.sh).
#
# The daemon runs the sample estate with its clock at a Monday morning
# (DISPATCHD_ARGS, default --clock-at 2026-11-30T10:00:00). Handhelds in
# line mode keep the members this script works with online: T07 and T08
# (technical), S01 (security's supervisor), K01 and K02 (customer
# service) and V01 (the outsourced lift vendor).
#
# Prints "ok - name" / "not ok - name: reason", then "N passed, M failed".
# shellcheck disable=SC2016 # regexes with a literal $ (HK$350.50)
set -u

DISPATCHD_ARGS=${DISPATCHD_ARGS:---clock-at 2026-11-30T10:00:00}
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

watch() { timeout -k 2 "$CMD_TIMEOUT" "$B/dispatch-watch" "$@"; }

# tj ID EXPR: EXPR evaluated on ticket ID as `desk show --json` gives it
# (t: the ticket, h: the history's event types).
tj() {
	desk show "$1" --json 2>"$TMP/tj.err" | python3 -c '
import json, sys
d = json.load(sys.stdin)
t, h = d["ticket"], [e["type"] for e in d["history"]]
print(eval(sys.argv[1]))' "$2"
}

# expect_state ID STATE: fails with what the daemon says otherwise.
expect_state() {
	local s
	s=$(tj "$1" 't["state"]')
	[ "$s" = "$2" ] || fail "ticket $1 is '$s', expected '$2' $(cat "$TMP/tj.err")"
}

# refused EXIT CMD...: CMD exits EXIT (1: the daemon refused) with a
# message on stderr, and the ticket ($TID_CHECK) is as it was.
refused() {
	local want=$1 before after
	shift
	before=$(desk show "$TID_CHECK" --json | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["ticket"]["last_seq"], len(d["history"]))')
	run "$@"
	[ "$RC" = "$want" ] || fail "$*: exit $RC, expected $want (out: $OUT; err: $ERR)" || return 1
	[ -n "$ERR" ] || fail "$*: refused without saying why" || return 1
	after=$(desk show "$TID_CHECK" --json | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["ticket"]["last_seq"], len(d["history"]))')
	[ "$before" = "$after" ] || fail "$*: refused, yet the ticket changed ($before -> $after)"
}

# work MEMBER ID [resolve options]: accept, arrive and resolve as MEMBER.
work() {
	local m=$1 id=$2
	shift 2
	run crew --member "$m" accept "$id"
	[ "$RC" = 0 ] || fail "$m accept $id: exit $RC: $ERR" || return 1
	run crew --member "$m" arrive "$id"
	[ "$RC" = 0 ] || fail "$m arrive $id: exit $RC: $ERR" || return 1
	run crew --member "$m" resolve "$id" "$@"
	[ "$RC" = 0 ] || fail "$m resolve $id: exit $RC: $ERR" || return 1
	[[ $OUT == "ticket $id is now resolved"* ]] || fail "$m resolve $id said: $OUT"
}

setup "$@"
WATCH_OUT=$TMP/watch.out
bg "$WATCH_OUT" "$B/dispatch-watch"
wait_for "$WATCH_OUT.err" '^dispatch-watch: subscribed to ' "$READY_TIMEOUT" ||
	{ echo "not ok - dispatch-watch never said it was subscribed: $(cat "$WATCH_OUT.err")"; FAILED=$((FAILED + 1)); }
for m in T07 T08 S01 K01 K02 V01; do
	follow "$m" || { echo "not ok - handheld $m: $REASON"; FAILED=$((FAILED + 1)); }
done

# ---- repair: hold and resume ----------------------------------------------

REPAIR=""

test_repair_hold_resume() {
	local left
	submit --unit 12-3A --kind repair --category lighting --text "corridor light out" || return 1
	REPAIR=$TID
	[ "$TMEMBER" = T07 ] || fail "lighting repair in building 12 went to '$TMEMBER', not T07" || return 1
	run crew --member T07 accept "$REPAIR"
	[ "$RC" = 0 ] || fail "accept: exit $RC: $ERR" || return 1
	run crew --member T07 hold "$REPAIR" --reason parts --note "breaker on order"
	[ "$RC" = 0 ] || fail "hold: exit $RC: $ERR" || return 1
	[[ $OUT == "ticket $REPAIR is now on hold (parts)" ]] || fail "hold said: $OUT" || return 1
	[ "$(tj "$REPAIR" '[t["state"], t["hold_reason"], t["hold_note"], t["held_from"]]')" = \
		"['on hold', 'parts', 'breaker on order', 'accepted']" ] ||
		fail "held ticket: $(tj "$REPAIR" '[t["state"], t["hold_reason"], t["hold_note"], t["held_from"]]')" || return 1
	left=$(tj "$REPAIR" 't["arrive_left_ms"] > 0 and t["resolve_left_ms"] > 0 and t["held_since_ms"] > 0')
	[ "$left" = True ] || fail "no time left kept for the paused deadlines: $(desk show "$REPAIR")" || return 1
	run desk show "$REPAIR"
	printf '%s\n' "$OUT" | grep -Eq '^  on hold +parts: breaker on order' || fail "show: no hold line: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -Eq '^  resumes to +accepted$' || fail "show: no resumes-to line: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -Eq '^  arrive +paused, .* left$' || fail "show: no paused deadline: $OUT" || return 1
	run desk list --member T07
	printf '%s\n' "$OUT" | grep -Eq "^$REPAIR +on hold .*held: parts" || fail "list does not say held: $OUT" || return 1
	run crew --member T07 resume "$REPAIR"
	[ "$RC" = 0 ] || fail "resume: exit $RC: $ERR" || return 1
	[[ $OUT == "ticket $REPAIR is now accepted" ]] || fail "resume said: $OUT" || return 1
	[ "$(tj "$REPAIR" 't["arrive_by_ms"] > 0 and t["resolve_by_ms"] > 0')" = True ] ||
		fail "deadlines not restarted after resume" || return 1
	[ "$(tj "$REPAIR" '"on hold" in h and "resumed" in h')" = True ] ||
		fail "history lacks on hold / resumed: $(tj "$REPAIR" h)"
}

test_desk_hold_from_assigned() {
	submit --unit 12-3B --kind repair --category lighting --text "stair light" || return 1
	run desk hold "$TID" --reason resident-away --note "resident abroad until Friday"
	[ "$RC" = 0 ] || fail "desk hold: exit $RC: $ERR" || return 1
	expect_state "$TID" "on hold" || return 1
	run desk resume "$TID"
	[ "$RC" = 0 ] || fail "desk resume: exit $RC: $ERR" || return 1
	expect_state "$TID" assigned || return 1
	run desk hold "$TID" --reason other --note "lobby closed for filming"
	[ "$RC" = 0 ] || fail "hold other with a note: exit $RC: $ERR" || return 1
	[ "$(tj "$TID" 't["hold_reason"]')" = other ] || fail "reason not other" || return 1
	run desk cancel "$TID" --reason "resident fixed it himself"
	[ "$RC" = 0 ] || fail "cancel of a held ticket: exit $RC: $ERR"
}

test_hold_refusals() {
	TID_CHECK=$REPAIR
	refused 1 crew --member T07 resume "$REPAIR" || return 1        # not held
	refused 1 crew --member T08 hold "$REPAIR" --reason parts || return 1 # not T08's
	run crew --member T07 hold "$REPAIR" --reason no-access
	[ "$RC" = 0 ] || fail "second hold: exit $RC: $ERR" || return 1
	refused 1 crew --member T07 hold "$REPAIR" --reason parts || return 1  # already held
	refused 1 crew --member T07 arrive "$REPAIR" || return 1               # held: resume first
	run crew --member T07 resume "$REPAIR"
	[ "$RC" = 0 ] || fail "resume: exit $RC: $ERR" || return 1
	expect_state "$REPAIR" accepted
}

# ---- follow-up ----------------------------------------------------------------

test_follow_up_reopens_then_closes() {
	run crew --member T07 arrive "$REPAIR"
	[ "$RC" = 0 ] || fail "arrive: exit $RC: $ERR" || return 1
	run crew --member T07 resolve "$REPAIR" --note "replaced the breaker" --parts "32A breaker"
	[ "$RC" = 0 ] || fail "resolve: exit $RC: $ERR" || return 1
	[ "$(tj "$REPAIR" 't["parts_used"]')" = "32A breaker" ] || fail "parts not recorded" || return 1
	# The rule requires the call back: no closing before it.
	TID_CHECK=$REPAIR
	refused 1 desk close "$REPAIR" || return 1
	run desk follow-up "$REPAIR" --score 2 --remark "flickers again at night"
	[ "$RC" = 0 ] || fail "follow-up: exit $RC: $ERR" || return 1
	[[ $OUT == "ticket $REPAIR is now assigned (technical/"*"score 2; reopened (1 time)" ]] ||
		fail "follow-up said: $OUT" || return 1
	[ "$(tj "$REPAIR" '[t["state"], t["reopen_count"], t["satisfaction"], t["follow_up_remark"]]')" = \
		"['assigned', 1, 2, 'flickers again at night']" ] ||
		fail "after a low score: $(tj "$REPAIR" '[t["state"], t["reopen_count"], t["satisfaction"], t["follow_up_remark"]]')" || return 1
	[ "$(tj "$REPAIR" '"followed up" in h and "reopened" in h')" = True ] ||
		fail "history lacks followed up / reopened: $(tj "$REPAIR" h)" || return 1
	run desk show "$REPAIR"
	printf '%s\n' "$OUT" | grep -Eq '^  reopened +1 time$' || fail "show: no reopen count: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -Eq '^  follow-up +score 2/5 by it-desk' || fail "show: no follow-up: $OUT" || return 1
	work "$(tj "$REPAIR" 't["member"]')" "$REPAIR" --note "rewired the fitting" || return 1
	run desk follow-up "$REPAIR" --score 5 --remark "works now, thanks"
	[ "$RC" = 0 ] || fail "second follow-up: exit $RC: $ERR" || return 1
	expect_state "$REPAIR" resolved || return 1
	run desk close "$REPAIR"
	[ "$RC" = 0 ] || fail "close after a good score: exit $RC: $ERR" || return 1
	[ "$(tj "$REPAIR" '[t["state"], t["reopen_count"], t["satisfaction"]]')" = "['closed', 1, 5]" ] ||
		fail "closed ticket: $(tj "$REPAIR" '[t["state"], t["reopen_count"], t["satisfaction"]]')"
}

test_follow_up_refusals() {
	submit --unit 12-5C --kind repair --category lighting --text "lamp post" || return 1
	TID_CHECK=$TID
	refused 1 desk follow-up "$TID" --score 4 || return 1   # not resolved yet
	refused 2 desk follow-up "$TID" --score 9 || return 1   # not a score
	refused 1 crew --member T07 resolve "$TID" || return 1  # not accepted yet
	run desk cancel "$TID" --reason "duplicate of a phone report"
	[ "$RC" = 0 ] || fail "cancel: exit $RC: $ERR"
}

# ---- complaint -----------------------------------------------------------------

COMPLAINT=""

test_complaint_about_member() {
	local sup
	desk crews --json >"$TMP/crews.json" || fail "crews --json failed" || return 1
	sup=$(python3 -c 'import json, sys; print([c["supervisor"] for c in json.load(open(sys.argv[1])) if c["id"] == "security"][0])' "$TMP/crews.json")
	run desk submit --unit 3-2B --kind complaint --about S02 --text "guard at gate 2 was rude"
	[ "$RC" = 0 ] || fail "submit: exit $RC: $ERR" || return 1
	[[ $OUT =~ ^ticket\ ([0-9]+)\ submitted ]] || fail "submit said: $OUT" || return 1
	COMPLAINT=${BASH_REMATCH[1]}
	[ "$(tj "$COMPLAINT" 't["about_member"]')" = S02 ] || fail "about_member not kept" || return 1
	[ "$(tj "$COMPLAINT" 't["member"]')" != S02 ] || fail "the complaint went to S02, the member it is about" || return 1
	[ "$(tj "$COMPLAINT" '[t["state"], t["member"]]')" = "['assigned', '$sup']" ] ||
		fail "complaint about S02: $(tj "$COMPLAINT" '[t["state"], t["crew"], t["member"]]'), expected assigned to $sup" || return 1
	[ "$(tj "$COMPLAINT" 't["follow_up"]')" = True ] || fail "a complaint always needs a follow-up" || return 1
	run desk show "$COMPLAINT"
	printf '%s\n' "$OUT" | grep -Eq '^  about +S02$' || fail "show: no about line: $OUT"
}

test_complaint_close_needs_cause() {
	local sup
	[ -n "$COMPLAINT" ] || fail "no complaint (the previous test failed)" || return 1
	sup=$(tj "$COMPLAINT" 't["member"]')
	work "$sup" "$COMPLAINT" --note "spoke to the resident and the guard" || return 1
	run desk follow-up "$COMPLAINT" --score 4 --remark "satisfied with the apology"
	[ "$RC" = 0 ] || fail "follow-up: exit $RC: $ERR" || return 1
	TID_CHECK=$COMPLAINT
	refused 1 desk close "$COMPLAINT" || return 1
	[[ $ERR == *cause* ]] || fail "the refusal does not mention the cause: $ERR" || return 1
	refused 2 desk close "$COMPLAINT" --cause "misread the visitor rules" || return 1
	run desk close "$COMPLAINT" --cause "misread the visitor rules" \
		--corrective "briefed the guard; rules posted at the gate"
	[ "$RC" = 0 ] || fail "close with cause and corrective: exit $RC: $ERR" || return 1
	[ "$(tj "$COMPLAINT" '[t["state"], t["cause"], t["corrective_action"]]')" = \
		"['closed', 'misread the visitor rules', 'briefed the guard; rules posted at the gate']" ] ||
		fail "closed complaint: $(tj "$COMPLAINT" '[t["state"], t["cause"], t["corrective_action"]]')"
}

test_complaint_needs_follow_up() {
	local id sup
	run desk submit --unit 2A-1B --kind complaint --text "noise from the clubhouse at night"
	[ "$RC" = 0 ] || fail "submit: exit $RC: $ERR" || return 1
	[[ $OUT =~ ^ticket\ ([0-9]+)\ submitted ]] || fail "submit said: $OUT" || return 1
	id=${BASH_REMATCH[1]}
	sup=$(tj "$id" 't["member"]')
	[ -n "$sup" ] || fail "complaint not assigned: $(desk show "$id")" || return 1
	work "$sup" "$id" --note "asked the clubhouse to close at 22:00" \
		--cause "late bookings" --corrective "bookings end at 21:30" || return 1
	[ "$(tj "$id" 't["cause"]')" = "late bookings" ] || fail "cause given on resolve not kept" || return 1
	TID_CHECK=$id
	refused 1 desk close "$id" || return 1
	run desk follow-up "$id" --score 5
	[ "$RC" = 0 ] || fail "follow-up: exit $RC: $ERR" || return 1
	run desk close "$id"
	[ "$RC" = 0 ] || fail "close after the follow-up: exit $RC: $ERR" || return 1
	expect_state "$id" closed
}

# ---- paid special service ------------------------------------------------------

test_paid_service_consent() {
	local id m
	run desk submit --unit 5-3C --kind special --fee 350.50 --text "move a piano to the lobby"
	[ "$RC" = 0 ] || fail "submit: exit $RC: $ERR" || return 1
	[[ $OUT =~ ^ticket\ ([0-9]+)\ submitted:.*consent.*HK\$350\.50 ]] || fail "submit said: $OUT" || return 1
	id=${BASH_REMATCH[1]}
	[ "$(tj "$id" '[t["state"], t["hold_reason"], t["member"], t["fee_cents"], t["consent_ms"]]')" = \
		"['on hold', 'consent', '', 35050, 0]" ] ||
		fail "before consent: $(tj "$id" '[t["state"], t["hold_reason"], t["member"], t["fee_cents"], t["consent_ms"]]')" || return 1
	run desk show "$id"
	printf '%s\n' "$OUT" | grep -Eq '^  fee +HK\$350\.50$' || fail "show: no fee: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -Eq '^  consent +not yet' || fail "show: no pending consent: $OUT" || return 1
	# Nobody may start it, and it cannot be resumed around the consent.
	TID_CHECK=$id
	refused 1 desk resume "$id" || return 1
	run desk consent "$id" --note "resident agreed on the phone"
	[ "$RC" = 0 ] || fail "consent: exit $RC: $ERR" || return 1
	[[ $OUT == "ticket $id is now assigned ("*"): consent to HK\$350.50 recorded" ]] || fail "consent said: $OUT" || return 1
	[ "$(tj "$id" '[t["consent_by"], t["consent_ms"] > 0]')" = "['it-desk', True]" ] ||
		fail "consent not recorded: $(tj "$id" '[t["consent_by"], t["consent_ms"]]')" || return 1
	m=$(tj "$id" 't["member"]')
	[ -n "$m" ] || fail "nobody assigned after consent" || return 1
	refused 1 desk consent "$id" || return 1 # once is enough
	work "$m" "$id" --note "moved with two porters" --charged 350.50 || return 1
	[ "$(tj "$id" 't["charged_cents"]')" = 35050 ] || fail "charged amount not recorded" || return 1
	run desk show "$id"
	printf '%s\n' "$OUT" | grep -Eq '^  charged +HK\$350\.50$' || fail "show: no charged line: $OUT" || return 1
	[ "$(tj "$id" '"consented" in h')" = True ] || fail "history lacks consented: $(tj "$id" h)"
}

# Issue 21: the van story of the front-line notes, end to end from the
# desk. A resident needs a vehicle to Pingshan; the desk calls the van it
# used before (an outsourced crew with a phone and no handheld: P01 never
# connects). Every step is recorded by the desk for the provider.
test_van_story_from_the_desk() {
	local id
	run desk submit --unit 5-3C --kind special --category transport --fee 280 --person "Mrs Chan" \
		--text "needs a van to Pingshan this afternoon"
	[ "$RC" = 0 ] || fail "submit: exit $RC: $ERR" || return 1
	[[ $OUT =~ ^ticket\ ([0-9]+)\ submitted: ]] || fail "submit said: $OUT" || return 1
	id=${BASH_REMATCH[1]}
	run desk crews --crew van-hire
	[[ $OUT == *"+852 9000 0000"* ]] || fail "crews does not give the van's phone: $OUT" || return 1
	run desk consent "$id" --note "fare agreed on the phone"
	[ "$RC" = 0 ] || fail "consent: exit $RC: $ERR" || return 1
	[ "$(tj "$id" '[t["crew"], t["member"], t["state"]]')" = "['van-hire', 'P01', 'assigned']" ] ||
		fail "not dispatched to the van (P01 has no handheld): $(desk show "$id")" || return 1
	run desk accept "$id" --note "Lam comes in 10 minutes"
	[ "$RC" = 0 ] || fail "desk accept: exit $RC: $ERR" || return 1
	[[ $OUT == *"recorded by it-desk for P01 of van-hire"* ]] || fail "accept said: $OUT" || return 1
	run desk arrive "$id"
	[ "$RC" = 0 ] || fail "desk arrive: exit $RC: $ERR" || return 1
	run desk resolve "$id" --note "resident taken to Pingshan" --charged 280
	[ "$RC" = 0 ] || fail "desk resolve: exit $RC: $ERR" || return 1
	run desk follow-up "$id" --score 5 --remark "the van came in 10 minutes"
	[ "$RC" = 0 ] || fail "follow-up: exit $RC: $ERR" || return 1
	run desk close "$id"
	[ "$RC" = 0 ] || fail "close: exit $RC: $ERR" || return 1
	expect_state "$id" closed || return 1
	[ "$(tj "$id" '[(e["type"], e.get("actor"), e.get("on_behalf_of")) for e in d["history"] if e["type"] in ("accepted", "on site", "resolved")]')" = \
		"[('accepted', 'it-desk', 'P01'), ('on site', 'it-desk', 'P01'), ('resolved', 'it-desk', 'P01')]" ] ||
		fail "the steps are not recorded as the desk's for P01: $(desk show "$id" --json)" || return 1
	[ "$(tj "$id" 't["charged_cents"]')" = 28000 ] || fail "the fare was not recorded" || return 1
	run desk show "$id"
	[[ $OUT == *"for P01 (an outside provider, as told by phone)"* ]] || fail "show does not say for whom: $OUT" || return 1
	# the estate's own crews still accept on their handhelds
	submit --unit 12-1A --kind repair --text "door closer loose" || return 1
	TID_CHECK=$TID
	refused 1 desk accept "$TID" || return 1
}

test_paid_service_declined() {
	local id
	run desk submit --unit 6-1A --kind special --fee 1200 --text "deep-clean the flat"
	[ "$RC" = 0 ] || fail "submit: exit $RC: $ERR" || return 1
	[[ $OUT =~ ^ticket\ ([0-9]+)\ submitted ]] || fail "submit said: $OUT" || return 1
	id=${BASH_REMATCH[1]}
	run desk cancel "$id" --reason "resident declined the fee"
	[ "$RC" = 0 ] || fail "cancel: exit $RC: $ERR" || return 1
	[ "$(tj "$id" '[t["state"], t["cancel_reason"], t["member"], t["consent_ms"]]')" = \
		"['cancelled', 'resident declined the fee', '', 0]" ] ||
		fail "declined: $(tj "$id" '[t["state"], t["cancel_reason"], t["member"], t["consent_ms"]]')"
}

test_import_fee_and_about() {
	local id
	printf '%s\n' '{"unit":"7-2A","kind":"special","text":"hang curtains","fee":"480.50"}' \
		'{"unit":"7-2B","kind":"complaint","text":"guard asleep","about":"S03"}' \
		'{"unit":"7-2C","kind":"special","text":"x","fee":3.505}' \
		'{"unit":"7-2D","kind":"repair","text":"x","fee":"100"}' >"$TMP/import.ndjson"
	run desk import "$TMP/import.ndjson" --json
	[ "$RC" = 1 ] || fail "import with two bad lines: exit $RC, expected 1 ($ERR)" || return 1
	printf '%s\n' "$OUT" | python3 -c '
import json, sys
r = [json.loads(l) for l in sys.stdin if l.strip()]
assert [x.get("ok") for x in r[:4]] == [True, True, False, False], r
assert [x.get("field") for x in r[2:4]] == ["fee", "fee"], r' 2>"$TMP/py.err" ||
		fail "import reports: $(tail -n 1 "$TMP/py.err"): $OUT" || return 1
	id=$(printf '%s\n' "$OUT" | python3 -c 'import json, sys; print(json.loads(sys.stdin.readline())["ticket"]["id"])') ||
		fail "no ticket id in: $OUT" || return 1
	[ "$(tj "$id" '[t["state"], t["fee_cents"]]')" = "['on hold', 48050]" ] ||
		fail "imported paid service: $(tj "$id" '[t["state"], t["fee_cents"]]')" || return 1
	[ "$(tj "$((id + 1))" '[t["about_member"], t["member"] != "S03"]')" = "['S03', True]" ] ||
		fail "imported complaint: $(tj "$((id + 1))" '[t["about_member"], t["member"]]')"
}

# ---- inspection and the vendor -------------------------------------------------

LIFT=""

test_inspection_fail_then_pass() {
	submit --unit 12-1A --kind repair --category lift --text "lift B doors stick" || return 1
	LIFT=$TID
	[ "$TCREW" = lift-vendor ] || fail "lift repair went to $TCREW" || return 1
	[ "$(tj "$LIFT" '[t["inspection"], t["vendor"]]')" = "[True, 'lift-vendor']" ] ||
		fail "inspection/vendor: $(tj "$LIFT" '[t["inspection"], t["vendor"]]')" || return 1
	work "$TMEMBER" "$LIFT" --note "adjusted the door operator" || return 1
	TID_CHECK=$LIFT
	refused 1 desk close "$LIFT" || return 1                       # not inspected
	refused 1 desk --role desk inspect "$LIFT" --pass || return 1  # the desk is not QC
	run desk --actor qc-lee inspect "$LIFT" --fail --remark "doors still stick on floor 7"
	[ "$RC" = 0 ] || fail "inspect --fail: exit $RC: $ERR" || return 1
	[[ $OUT == *"inspection fail; reopened (1 time)" ]] || fail "inspect said: $OUT" || return 1
	[ "$(tj "$LIFT" '[t["state"], t["inspection_result"], t["inspector"], t["reopen_count"]]')" = \
		"['assigned', 'fail', 'qc-lee', 1]" ] ||
		fail "after a fail: $(tj "$LIFT" '[t["state"], t["inspection_result"], t["inspector"], t["reopen_count"]]')" || return 1
	work "$(tj "$LIFT" 't["member"]')" "$LIFT" --note "replaced the door roller" --parts "door roller" || return 1
	run desk --actor qc-lee inspect "$LIFT" --pass --remark "doors fine on every floor"
	[ "$RC" = 0 ] || fail "inspect --pass: exit $RC: $ERR" || return 1
	expect_state "$LIFT" resolved || return 1
	run desk show "$LIFT"
	printf '%s\n' "$OUT" | grep -Eq '^  inspection +pass by qc-lee' || fail "show: no inspection: $OUT" || return 1
	run desk close "$LIFT"
	[ "$RC" = 0 ] || fail "close after a pass: exit $RC: $ERR" || return 1
	expect_state "$LIFT" closed
}

test_vendor_incident() {
	[ -n "$LIFT" ] || fail "no vendor ticket (the previous test failed)" || return 1
	run desk vendor-flag "$LIFT" --note "engineer left the lift car dirty"
	[ "$RC" = 0 ] || fail "vendor-flag: exit $RC: $ERR" || return 1
	run desk vendor-incidents --vendor lift-vendor
	[ "$RC" = 0 ] || fail "vendor-incidents: exit $RC: $ERR" || return 1
	printf '%s\n' "$OUT" | grep -Eq '^ID +VENDOR +STATE +UNIT +FLAGGED +INCIDENT +REVIEW$' ||
		fail "no table header: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -Eq "^$LIFT +lift-vendor +closed +12-1A .*engineer left the lift car dirty +\\(not reviewed\\)$" ||
		fail "incident not listed: $OUT" || return 1
	run desk vendor-incidents --unreviewed --json
	[ "$(printf '%s' "$OUT" | python3 -c "import json, sys; print([t['id'] for t in json.load(sys.stdin)])")" = "[$LIFT]" ] ||
		fail "unreviewed: $OUT" || return 1
	run desk vendor-incidents --vendor technical
	[ "$RC" = 0 ] && [[ $OUT == "no vendor incidents for technical" ]] || fail "another vendor: exit $RC: $OUT $ERR" || return 1
	run desk vendor-review "$LIFT" --note "cleaning checklist added to the contract"
	[ "$RC" = 0 ] || fail "vendor-review: exit $RC: $ERR" || return 1
	run desk vendor-incidents --unreviewed
	[ "$OUT" = "no unreviewed vendor incidents" ] || fail "still unreviewed: $OUT" || return 1
	run desk vendor-incidents --json
	[ "$(printf '%s' "$OUT" | python3 -c "import json, sys; print([(t['id'], t['vendor_review']) for t in json.load(sys.stdin)])")" = \
		"[($LIFT, 'cleaning checklist added to the contract')]" ] || fail "reviewed: $OUT" || return 1
	[ "$(tj "$LIFT" '"vendor flagged" in h and "vendor reviewed" in h')" = True ] ||
		fail "history lacks the vendor steps: $(tj "$LIFT" h)"
}

test_vendor_refusals() {
	TID_CHECK=$REPAIR
	# technical is the estate's own crew, not a vendor
	refused 1 desk vendor-flag "$REPAIR" --note "not a vendor job" || return 1
	TID_CHECK=$LIFT
	refused 1 desk --role desk vendor-review "$LIFT" --note "the desk may not review" || return 1
	refused 1 crew --member V01 hold "$LIFT" --reason parts || return 1 # closed
}

# ---- cancel and reassign -------------------------------------------------------

test_reassign_needs_reason() {
	local id
	submit --unit 12-8D --kind repair --category lighting --text "lift lobby light" || return 1
	id=$TID
	[ "$TMEMBER" = T07 ] || fail "went to $TMEMBER, not T07" || return 1
	TID_CHECK=$id
	refused 1 desk assign "$id" --member T08 || return 1
	[ "$(tj "$id" 't["member"]')" = T07 ] || fail "the member changed on a refused reassign" || return 1
	run desk assign "$id" --member T08 --reason "T07 is off sick"
	[ "$RC" = 0 ] || fail "reassign with a reason: exit $RC: $ERR" || return 1
	[[ $OUT == "ticket $id is now assigned (technical/T08)" ]] || fail "assign said: $OUT" || return 1
	run desk show "$id"
	printf '%s\n' "$OUT" | grep -Eq '^  .*assigned .*to technical/T08.*note "T07 is off sick"' ||
		fail "the reason is not in the history: $OUT" || return 1
	refused 2 desk cancel "$id" || return 1
	run desk cancel "$id" --reason "resident replaced the bulb"
	[ "$RC" = 0 ] || fail "cancel: exit $RC: $ERR" || return 1
	[ "$(tj "$id" '[t["state"], t["cancel_reason"]]')" = "['cancelled', 'resident replaced the bulb']" ] ||
		fail "cancelled: $(tj "$id" '[t["state"], t["cancel_reason"]]')" || return 1
	TID_CHECK=$id
	refused 1 desk cancel "$id" --reason "again" || return 1
	refused 1 desk hold "$id" --reason parts
}

# ---- notices -------------------------------------------------------------------

test_notice() {
	local seq
	run desk notice --kind activity --text "Lantern festival in the podium garden" --building 12 \
		--building 2A --from 2026-12-12T18:00 --to 2026-12-12T21:00
	[ "$RC" = 0 ] || fail "notice: exit $RC: $ERR" || return 1
	[[ $OUT == "notice published"*"activity: Lantern festival in the podium garden"* ]] || fail "notice said: $OUT" || return 1
	wait_for "$WATCH_OUT" '\*\*\* NOTICE \(activity\) \*\*\* "Lantern festival in the podium garden"' 10 ||
		fail "the watcher did not get the notice: $(cat "$WATCH_OUT" "$WATCH_OUT.err")" || return 1
	grep -E 'NOTICE \(activity\)' "$WATCH_OUT" | grep -q 'building 12,2A' ||
		fail "the watcher's notice line lacks the buildings: $(grep NOTICE "$WATCH_OUT")" || return 1
	# In the log: a replay from the start finds it, with its window.
	run watch --json --from-seq 1 --count "$(desk ping | sed -n 's/.*last seq \([0-9]*\).*/\1/p')"
	[ "$RC" = 0 ] || fail "replay: exit $RC: $ERR" || return 1
	seq=$(printf '%s\n' "$OUT" | python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    if e["type"] == "notice" and e["notice"]["text"] == "Lantern festival in the podium garden" \
       and e["notice"]["kind"] == "activity" and e["notice"]["buildings"] == ["12", "2A"] \
       and e["notice"]["from"] == "2026-12-12 18:00:00" and e["notice"]["to"] == "2026-12-12 21:00:00":
        print(e["seq"])')
	[ -n "$seq" ] || fail "no such notice in the replayed log" || return 1
	# The desk's to publish (and supervisors', as for outages): not QC's.
	run desk --role qc notice --text "not quality control's to publish"
	[ "$RC" = 1 ] && [ -n "$ERR" ] || fail "quality control published a notice: exit $RC" || return 1
	run desk notice --text "Water off in block 3" --kind works --from 2026-12-02T09:00 --to 2026-12-02T08:00
	[ "$RC" = 2 ] || fail "a window ending before it starts: exit $RC, expected 2"
}

# ---- the watcher saw the procedure -----------------------------------------------

test_watch_lines() {
	local re
	for re in " on hold +ticket $REPAIR .* parts" " resumed +ticket $REPAIR " \
		" followed up +ticket $REPAIR .* score 2" " reopened +ticket $REPAIR .* reopen 1" \
		" inspected +ticket $LIFT .* fail" " consented +ticket [0-9]+ .* fee HK\\\$350\\.50" \
		" resolved +ticket [0-9]+ .* charged HK\\\$350\\.50" " vendor flagged" " vendor reviewed"; do
		grep -Eq -- "$re" "$WATCH_OUT" || fail "no watch line like '$re': $(tail -n 30 "$WATCH_OUT")" || return 1
	done
}

# ---- the handheld ---------------------------------------------------------------

test_handheld_hold_resume_resolve() {
	local id
	submit --unit 12-9F --kind repair --category lighting --text "garden lamp" || return 1
	id=$TID
	[ "$TMEMBER" = T07 ] || fail "went to $TMEMBER, not T07" || return 1
	UI_ENV="NO_COLOR=1" ui_start hand 40 20 "$B/dispatch-crew" --member T07
	wait_screen hand "^>?#$id NEW 12-9F" 15 || fail "no new assignment: $(screen hand; cat "$TMP/hand.err")" || return 1
	# the new one is selected first: unacknowledged work sorts first
	tm send-keys -t hand a
	wait_screen hand "#$id accepted 12-9F" 10 || fail "not accepted after 'a': $(screen hand)" || return 1
	tm send-keys -t hand h
	wait_screen hand "^hold #$id: p parts" 5 || fail "no hold prompt after 'h': $(screen hand)" || return 1
	tm send-keys -t hand p
	wait_screen hand "#$id HELD 12-9F +parts$" 10 || fail "not shown held after 'p': $(screen hand)" || return 1
	[ "$(tj "$id" '[t["state"], t["hold_reason"]]')" = "['on hold', 'parts']" ] ||
		fail "daemon says: $(tj "$id" '[t["state"], t["hold_reason"]]')" || return 1
	tm send-keys -t hand u
	wait_screen hand "#$id accepted 12-9F" 10 || fail "not resumed after 'u': $(screen hand)" || return 1
	tm send-keys -t hand r
	wait_screen hand "#$id on site 12-9F" 10 || fail "not on site after 'r': $(screen hand)" || return 1
	tm send-keys -t hand s
	wait_screen hand "^note #$id:" 5 || fail "no note prompt: $(screen hand)" || return 1
	tm send-keys -t hand -l "換了燈泡 new bulb"
	tm send-keys -t hand Enter
	wait_screen hand "^parts #$id:" 5 || fail "no parts prompt: $(screen hand)" || return 1
	tm send-keys -t hand -l "E27 bulb"
	tm send-keys -t hand Enter
	wait_screen hand "ticket $id is now resolved" 10 || fail "not resolved: $(screen hand)" || return 1
	[ "$(tj "$id" '[t["state"], t["note"], t["parts_used"]]')" = "['resolved', '換了燈泡 new bulb', 'E27 bulb']" ] ||
		fail "daemon says: $(tj "$id" '[t["state"], t["note"], t["parts_used"]]')" || return 1
	tm send-keys -t hand q
	ui_exit hand 10 || fail "the UI did not quit on 'q'" || return 1
	[ "$UI_RC" = 0 ] || fail "the UI exited $UI_RC: $(cat "$TMP/hand.err")" || return 1
	[ ! -s "$TMP/hand.err" ] || fail "the UI wrote to stderr: $(cat "$TMP/hand.err")"
}

# An assignment moved to a member because someone missed the acknowledge
# deadline rings that member's handheld like a new one. Last: it needs a
# daemon whose clock runs 60 times faster (10 minutes in 10 s).
test_handheld_escalation_rings() {
	local b0 id
	fresh_store
	sed 's/online_window: 90/online_window: 1000000/' "$CONFIG" >"$TMP/fast.yaml"
	CONFIG=$TMP/fast.yaml start_daemon --clock-at 2026-12-01T22:30:00 --clock-scale 60 || return 1
	follow T07 || return 1
	run crew --member T12 duty on
	[ "$RC" = 0 ] || fail "T12 duty on: exit $RC: $ERR" || return 1
	UI_ENV="NO_COLOR=1" ui_start esc 40 20 "$B/dispatch-crew" --member T12
	wait_screen esc "^T12 " 15 || fail "no handheld for T12: $(screen esc; cat "$TMP/esc.err")" || return 1
	b0=$(bells)
	run desk submit --unit 12-1A --kind repair --category lighting --text "basement lights out"
	[[ $OUT =~ ^ticket\ ([0-9]+)\ submitted:.*technical/T07 ]] || fail "not sent to T07: $OUT $ERR" || return 1
	id=${BASH_REMATCH[1]}
	# T07 does not acknowledge: after 10 daemon minutes it moves to T12
	wait_screen esc "ESCALATED TO YOU: #$id" 30 || fail "T12's handheld did not say so: $(screen esc)" || return 1
	[ "$(bells)" -gt "$b0" ] || fail "no bell rang for the escalation" || return 1
	tm send-keys -t esc q
	ui_exit esc 10 || fail "the UI did not quit on 'q'"
}

t "repair: accept, hold for parts, resume with the time left" test_repair_hold_resume
t "the desk holds (resident away, other with a note) and resumes" test_desk_hold_from_assigned
t "refused holds and resumes say why and change nothing" test_hold_refusals
t "follow-up: a low score reopens (count 1), a good one lets it close" test_follow_up_reopens_then_closes
t "follow-up refused before resolution; scores outside 1-5 are usage errors" test_follow_up_refusals
t "complaint about a member goes to the crew's supervisor, never the member" test_complaint_about_member
t "complaint: close refused until cause and corrective action" test_complaint_close_needs_cause
t "complaint: cause on resolve; close refused until the follow-up" test_complaint_needs_follow_up
t "paid service: nobody before consent; consent dispatches; charge recorded" test_paid_service_consent
t "the van story: an outside provider's job done end to end from the desk (issue 21)" test_van_story_from_the_desk
t "paid service declined: cancelled with the reason, never dispatched" test_paid_service_declined
t "import takes a fee and a complaint's subject, and refuses a bad amount" test_import_fee_and_about
t "inspection: close needs it; fail reopens; pass lets it close" test_inspection_fail_then_pass
t "vendor incident: flagged, listed by vendor, reviewed" test_vendor_incident
t "vendor steps refused where they do not apply" test_vendor_refusals
t "reassign needs a reason; cancel needs a reason and is final" test_reassign_needs_reason
t "notice: a watcher receives it and the log keeps it" test_notice
t "dispatch-watch prints the procedure's events readably" test_watch_lines
t "handheld: h p holds, u resumes, s asks the note then the parts" test_handheld_hold_resume_resolve
t "handheld: an escalation to the member rings like an assignment" test_handheld_escalation_rings
finish
