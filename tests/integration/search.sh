#!/usr/bin/env bash
# search.sh: finding past tickets (issue 22). A generated year of an
# estate (gen-year, ~50,000 tickets, with its own record of what it wrote:
# --truth), served by the real daemon and searched with the real
# dispatch-desk: every filter finds every match the generator recorded,
# paging with --after returns each match exactly once, Chinese text, names
# and phone numbers are found, --csv is a spreadsheet's CSV, the table
# fits an 80-column terminal, and bad filters are refused: by the desk with
# exit 2, by the daemon (frames sent as they are) with a message naming the
# field, changing nothing.
. "$(dirname "$0")/lib.sh"

TRUTH=$TMP/truth.ndjson

# The year, once for the whole script, and the daemon on it.
year() {
	[ -s "$TRUTH" ] && [ -n "$DAEMON_PID" ] && return 0
	fresh_store
	mkdir -p "$STATE"
	run "$B/gen-year" --seed 2026 --truth "$TRUTH" "$STATE"
	[ "$RC" = 0 ] || fail "gen-year: $ERR" || return 1
	echo "# $OUT"
	start_daemon || fail "dispatchd did not start on the generated year" || return 1
}

# truth PYTHON-EXPRESSION: the ids (newest first) of the generator's
# tickets t (a dict: unit, kind, state, category, crew, member, created)
# for which the expression is true; fnmatch and local_day() at hand.
truth() {
	python3 - "$TRUTH" "$1" <<'PY'
import fnmatch, json, sys, time
def local_day(ms):
    return time.strftime("%Y-%m-%d", time.localtime(ms / 1000))
ids = []
for line in open(sys.argv[1]):
    t = json.loads(line)
    if "t" in t and eval(sys.argv[2], {"fnmatch": fnmatch.fnmatchcase, "local_day": local_day}, {"t": t}):
        ids.append(t["t"])
print(" ".join(str(i) for i in sorted(ids, reverse=True)))
PY
}

# ids DESK-LIST-ARGS...: every id the search pages through, newest first,
# following each "more: use --after ID" (on stderr with --csv); fails on a
# page that repeats or goes back. PAGES gets how many pages it took.
ids() {
	local after="" out=$TMP/ids.csv err=$TMP/ids.err all="" next
	PAGES=0
	while :; do
		# shellcheck disable=SC2086
		desk list "$@" --csv ${after:+--after "$after"} >"$out" 2>"$err" || {
			fail "list $* ${after:+--after $after} exited $?: $(cat "$err")"
			return 1
		}
		PAGES=$((PAGES + 1))
		all="$all $(python3 -c 'import csv, sys; print(" ".join(r["id"] for r in csv.DictReader(open(sys.argv[1], newline=""))))' "$out")"
		next=$(sed -n 's/^more: use --after \([0-9]*\) .*/\1/p' "$err")
		[ -n "$next" ] || break
		[ -z "$after" ] || [ "$next" -lt "$after" ] || fail "page after $after goes on at $next" || return 1
		after=$next
	done
	IDS=$(echo $all)
}

# same WHAT GOT WANT: two id lists are equal, with a short diff if not
same() {
	[ "$2" = "$3" ] && return 0
	fail "$1: $(python3 -c 'import sys; g=sys.argv[1].split(); w=sys.argv[2].split()
print("%d found, %d recorded; missing %s; extra %s; repeated %s" % (len(g), len(w), sorted(set(w)-set(g), key=int)[:5],
      sorted(set(g)-set(w), key=int)[:5], sorted({i for i in g if g.count(i) > 1}, key=int)[:5]))' "$2" "$3")"
}

test_unit_finds_every_match() {
	year || return 1
	local unit want got
	# the unit with the most door-lock reports, as the generator recorded it
	unit=$(python3 -c '
import collections, json, sys
c = collections.Counter(t["unit"] for t in map(json.loads, open(sys.argv[1])) if "t" in t and t["category"] == "door-lock")
print(c.most_common(1)[0][0])' "$TRUTH")
	want=$(truth "t['unit'] == '$unit' and t['category'] == 'door-lock'")
	[ "$(wc -w <<<"$want")" -ge 10 ] || fail "the generator made few door-lock reports at $unit: $want" || return 1
	run desk list --all --unit "$unit" --category door-lock
	[ "$RC" = 0 ] || fail "exit $RC: $ERR" || return 1
	got=$(printf '%s\n' "$OUT" | awk 'NR > 1 && /^[0-9]/ { print $1 }' | xargs)
	same "--unit $unit --category door-lock (the table)" "$got" "$want" || return 1
	echo "# $unit: $(wc -w <<<"$want") door-lock tickets over the year, every one found"
	want=$(truth "t['unit'] == '$unit'")
	ids --all --unit "$unit" || return 1
	same "--all --unit $unit" "$IDS" "$want"
}

test_paging_returns_each_match_once() {
	year || return 1
	local want
	want=$(truth "fnmatch(t['unit'], '11-*')")
	[ "$(wc -w <<<"$want")" -gt 1000 ] || fail "building 11 has only $(wc -w <<<"$want") tickets" || return 1
	ids --all --unit '11-*' --limit 250 || return 1
	same "--unit '11-*' paged by 250" "$IDS" "$want" || return 1
	[ "$PAGES" -ge 5 ] || fail "only $PAGES pages of 250 for $(wc -w <<<"$want") tickets" || return 1
	# a text that every ticket holds: the daemon's scan is bounded per
	# request, the desk goes on until its page is full
	want=$(truth "t['kind'] == 2 and local_day(t['created']) >= '2026-10-01'")
	ids --all --text "REPORTED by" --kind complaint --from 2026-10-01 --limit 400 || return 1
	same "--text --kind complaint --from 2026-10-01, paged" "$IDS" "$want" || return 1
	echo "# building 11 in pages of 250, complaints since October in $PAGES page(s) of 400"
}

test_date_range_state_crew_member() {
	year || return 1
	local want
	want=$(truth "'2026-03-01' <= local_day(t['created']) <= '2026-03-31' and t['kind'] == 2")
	ids --all --from 2026-03-01 --to 2026-03-31 --kind complaint --limit 1000 || return 1
	same "--from 2026-03-01 --to 2026-03-31 --kind complaint" "$IDS" "$want" || return 1
	want=$(truth "local_day(t['created']) == '2026-06-15'")
	ids --all --from 2026-06-15 --to 2026-06-15 || return 1
	same "one day, --from = --to" "$IDS" "$want" || return 1
	# closed tickets do not change when the daemon starts: exact figures
	want=$(truth "t['state'] == 6 and fnmatch(t['unit'], '2?-1[AB]')")
	ids --state closed --unit '2?-1[AB]' || return 1
	same "--state closed --unit '2?-1[AB]'" "$IDS" "$want" || return 1
	want=$(truth "t['state'] == 7")
	ids --state cancelled --limit 1000 || return 1
	same "--state cancelled" "$IDS" "$want" || return 1
	want=$(truth "t['crew'] == 'technical' and t['member'] == 'T07' and local_day(t['created'])[:7] == '2026-06'")
	ids --all --crew technical --member T07 --from 2026-06-01 --to 2026-06-30 || return 1
	same "--crew technical --member T07 in June" "$IDS" "$want"
}

# Tickets of today (the daemon's pinned clock) with Chinese text, names and
# phone numbers, on top of the year.
CN_IDS=""
test_chinese_name_and_phone() {
	year || return 1
	local leak=() got
	submit --unit 3-5C --kind repair --text "廚房漏水，水滴到樓下" --person "陳大文" --phone "9123 4567" || return 1
	leak+=("$TID")
	submit --unit 8-12A --kind repair --text "浴室天花漏水" --person "李美玲" --phone "+852 6222-1111" || return 1
	leak+=("$TID")
	submit --unit 11-2D --kind complaint --text "走廊燈不亮，已經三天" --person "陳志明" --phone "2345 6789" || return 1
	CN_IDS="${leak[*]} $TID"
	ids --all --text "漏水" || return 1
	same "--text 漏水" "$IDS" "${leak[1]} ${leak[0]}" || return 1
	ids --text "三天" || return 1
	same "--text 三天 (open)" "$IDS" "$TID" || return 1
	ids --all --person "陳" || return 1
	same "--person 陳" "$IDS" "$TID ${leak[0]}" || return 1
	ids --all --phone 91234567 || return 1
	same "--phone 91234567 (stored as 9123 4567)" "$IDS" "${leak[0]}" || return 1
	ids --all --phone "6222 1111" || return 1
	same "--phone '6222 1111'" "$IDS" "${leak[1]}" || return 1
	ids --all --text "漏水" --unit '8-*' || return 1
	same "--text 漏水 --unit 8-*" "$IDS" "${leak[1]}" || return 1
	run desk list --all --text "沒有這樣的字"
	[ "$RC" = 0 ] && [ "$OUT" = "no tickets that match" ] || fail "a text nobody wrote: $RC $OUT" || return 1
	got=$(desk list --all --text 漏水 | awk 'NR > 1 { print $1 }' | xargs)
	[ "$got" = "${leak[1]} ${leak[0]}" ] || fail "the table shows $got"
}

test_csv_for_a_spreadsheet() {
	year || return 1
	submit --unit 5-3C --kind repair --text 'leak, "urgent": the ceiling
drips' --person "O'Brien, Pat" || return 1
	local id=$TID
	run desk list --all --unit 5-3C --text urgent --csv
	[ "$RC" = 0 ] || fail "exit $RC: $ERR" || return 1
	printf '%s' "$OUT" >"$TMP/one.csv"
	python3 - "$TMP/one.csv" "$id" <<'PY' || fail "$(tail -n 1 "$TMP/py.err")" 2>"$TMP/py.err" || return 1
import csv, sys
raw = open(sys.argv[1], newline="").read()
rows = list(csv.reader(raw.splitlines(keepends=True)))
assert rows[0][:3] == ["id", "state", "kind"], rows[0]
assert len(rows) == 2, rows
r = dict(zip(rows[0], rows[1]))
assert r["id"] == sys.argv[2], r
assert r["text"] == 'leak, "urgent": the ceiling\ndrips', repr(r["text"])
assert r["person"] == "O'Brien, Pat", r["person"]
assert r["unit"] == "5-3C" and r["kind"] == "repair", r
assert all(len(x) == len(rows[0]) for x in rows)
PY
	# a whole search: as many rows as the table has, each of the header's width
	desk list --all --unit '7-1*' --limit 1000 --csv >"$TMP/many.csv" 2>"$TMP/many.err" || fail "csv of 7-1*" || return 1
	python3 - "$TMP/many.csv" "$(truth "fnmatch(t['unit'], '7-1*')" | wc -w)" <<'PY' || fail "7-1* as CSV" || return 1
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert len(rows) - 1 == int(sys.argv[2]), (len(rows) - 1, sys.argv[2])
assert all(len(r) == len(rows[0]) for r in rows)
PY
	[ ! -s "$TMP/many.err" ] || fail "a CSV of every match says more: $(cat "$TMP/many.err")"
}

# display width of the lines on a screen, as a terminal counts them
too_wide() {
	python3 -c '
import sys, unicodedata
w = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
bad = [l for l in sys.stdin.read().splitlines() if w(l.rstrip()) > int(sys.argv[1])]
print(bad[:2] if bad else "")' "$1"
}

test_fits_80_columns() {
	year || return 1
	local shot
	ui_start narrow 80 30 "$B/dispatch-desk" --color never list --all --unit '11-*' --limit 20
	wait_screen narrow '^more: use --after [0-9]+ ' 15 || fail "no more line: $(screen narrow)" || return 1
	shot=$(screen narrow)
	[ -z "$(too_wide 80 <<<"$shot")" ] || fail "lines wider than 80: $(too_wide 80 <<<"$shot")" || return 1
	# one line per row, none wrapped: the header, 20 rows, the more line
	[ "$(grep -Ec '^[0-9]+ ' <<<"$shot")" = 20 ] || fail "rows wrapped or missing: $shot" || return 1
	grep -q '^ID .*TEXT$' <<<"$shot" || fail "no header with the text last: $shot" || return 1
	# the text was cut first: the other columns are whole
	grep -Eq '^[0-9]+ +closed +[a-z]+ +3 +11-[0-9]+[A-D] ' <<<"$shot" || fail "columns cut: $shot" || return 1
	grep -q '~$' <<<"$shot" || fail "no text cut to fit: $shot" || return 1
	# CREATED short on a narrow terminal: month, day and time this year
	grep -Eq '^[0-9]+ .* 11-[0-9]+[A-D] .* [01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9] ' <<<"$shot" ||
		fail "no short CREATED: $shot" || return 1
	[ -n "$CN_IDS" ] || test_chinese_name_and_phone || return 1
	ui_start narrowzh 80 10 "$B/dispatch-desk" --color never list --all --text 漏水
	wait_screen narrowzh '^ID ' 15 || fail "nothing shown: $(screen narrowzh)" || return 1
	sleep 0.3
	shot=$(screen narrowzh)
	[ -z "$(too_wide 80 <<<"$shot")" ] || fail "Chinese lines wider than 80: $(too_wide 80 <<<"$shot")" || return 1
	[ "$(grep -Ec '^[0-9]+ ' <<<"$shot")" = 2 ] || fail "rows wrapped: $shot" || return 1
	# a wide terminal shows the text as before (up to 60 columns)
	ui_start wide 160 8 "$B/dispatch-desk" --color never list --all --text 漏水
	wait_screen wide '^ID ' 15 || fail "nothing shown: $(screen wide)" || return 1
	sleep 0.3
	screen wide | grep -q '廚房漏水，水滴到樓下$' || fail "text cut on a wide terminal: $(screen wide)"
}

test_bad_input_exit_2() {
	year || return 1
	local args
	for args in "--unit 12-[A" "--unit 12-1A]" "--unit 12*1A;" "--from 2026-03-02 --to 2026-03-01" \
		"--from 2026-02-30" "--json --csv" "--state done" "--phone abc" "--phone 12" "--after 0" "--text="; do
		# shellcheck disable=SC2086
		run desk list --all $args
		[ "$RC" = 2 ] || fail "list $args: exit $RC, expected 2: $OUT $ERR" || return 1
		[[ $ERR == *"dispatch-desk: "*"try 'dispatch-desk --help'"* ]] || fail "list $args: $ERR" || return 1
	done
	run desk list --unit '12-[A'
	[[ $ERR == *"'[' without its closing ']'"* ]] || fail "bad pattern: $ERR" || return 1
	run desk list --state finished
	[[ $ERR == *"unknown state 'finished'"*"on-hold"* ]] || fail "unknown state: $ERR" || return 1
	run desk list --from 2026-05-01 --to 2026-04-01
	[[ $ERR == *"--from 2026-05-01 is not before --to"* ]] || fail "from after to: $ERR" || return 1
	run desk list --state on_hold --state ON-SITE --unit 3-5C
	[ "$RC" = 0 ] || fail "state words: exit $RC $ERR"
}

test_daemon_refuses_bad_filters() {
	year || return 1
	local before spec field
	before=$(desk ping | sed -n 's/.*last seq \([0-9]*\).*/\1/p')
	for spec in "unit=12-[A:list.units" "unit=12-1A;drop:list.units" "state=99:list.states" "kind=0:list.kinds" \
		"phone=abc:list.phone" "phone=12:list.phone" "from=-5:list.created_from_ms"; do
		field=${spec##*:}
		run raw --body list --list-filter "${spec%:*}"
		[ "$RC" = 0 ] || fail "$spec: no reply ($RC): $ERR" || return 1
		[ "$(raw_field status)" = STATUS_INVALID ] && [ "$(raw_field field)" = "$field" ] ||
			fail "$spec: $(raw_field status) $(raw_field field): $(raw_field message)" || return 1
	done
	run raw --body list --list-filter from=5000 --list-filter to=3000
	[ "$(raw_field field)" = list.created_to_ms ] && [[ $(raw_field message) == *"give the earlier time first"* ]] ||
		fail "from > to: $(raw_field field) $(raw_field message)" || return 1
	run raw --body list --list-filter "text=$(printf 'lift \xff stuck')"
	[ "$(raw_field field)" = list.text ] && [[ $(raw_field message) == *"UTF-8"* ]] ||
		fail "bad UTF-8: $(raw_field field) $(raw_field message)" || return 1
	run raw --body list --list-filter "unit=[!0-9]*"
	[ "$(raw_field status)" = STATUS_OK ] || fail "a good pattern refused: $(raw_field message)" || return 1
	# a page of the raw search: bounded, and says where to go on
	run raw --body list --list-filter "text=nothing anybody wrote" --list-filter "state=6"
	[ "$(raw_field status)" = STATUS_OK ] && [ "$(raw_field more)" = 1 ] && [ "$(raw_field next_after)" -gt 0 ] ||
		fail "a long scan is not paged: $OUT" || return 1
	[ "$(desk ping | sed -n 's/.*last seq \([0-9]*\).*/\1/p')" = "$before" ] || fail "the log moved" || return 1
	kill -0 "$DAEMON_PID" || fail "dispatchd died"
}

t "--unit and --category find every ticket of a unit over a year" test_unit_finds_every_match
t "paging with --after returns every match exactly once" test_paging_returns_each_match_once
t "date range, state, crew and member filters match the generator's record" test_date_range_state_crew_member
t "Chinese text, resident names and phone numbers are found" test_chinese_name_and_phone
t "--csv is RFC 4180: python's csv module reads it back" test_csv_for_a_spreadsheet
t "the table fits an 80-column terminal, the text cut first" test_fits_80_columns
t "bad filters: a usage error, exit 2, from the desk" test_bad_input_exit_2
t "bad filters sent as they are: the daemon names the field, nothing changes" test_daemon_refuses_bad_filters
finish
