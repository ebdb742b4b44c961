#!/usr/bin/env bash
# board.sh: the web gateway (dispatch-board, issue 17) in a real browser:
# Debian's chromium, headless, driven by chromium-driver through
# python3-selenium (board_browser.py, a coprocess this script sends one
# command a line), beside the real daemon and the real clients. Sign-in,
# the board live within a second, a daemon and a gateway restart healed
# without a reload or a missed event, ticket histories, script in ticket
# texts shown as text, the residents' page, CSRF, size limits, and a
# stream that never reads. Screenshots go to build/screenshots/.
cd "$(dirname "$0")" && . ./lib.sh

SHOTS=${SHOTS:-$ROOT/build/screenshots}
PW=correct-horse-battery
# Debian's python3 with python3-selenium (not a python of its own on PATH)
BOARD_PID=""
BR_PID=""

free_port() {
	python3 - "$@" <<'PY'
import socket
for p in range(18150, 18200):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
PY
}
PORT=${BOARD_PORT:-$(free_port)}
URL=http://127.0.0.1:$PORT

# start_board [OPTION...]: the gateway on this script's daemon.
start_board() {
	# Under ASan a small quarantine, so that the memory bound below
	# measures the gateway and not the sanitizer's hold on freed blocks.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8" \
		bg "$TMP/board.log" "$B/dispatch-board" --listen "127.0.0.1:$PORT" --users "$TMP/users" --state-dir "$TMP/board-state" --max-per-ip 0 --ring 128 "$@"
	BOARD_PID=$BG
	wait_for "$TMP/board.log.err" 'serving http' 10 || {
		echo "# dispatch-board did not start: $(cat "$TMP/board.log.err")" >&2
		return 1
	}
}
stop_board() {
	[ -n "$BOARD_PID" ] || return 0
	kill -TERM "$BOARD_PID" 2>/dev/null
	wait_gone "$BOARD_PID" 10 || { kill -KILL "$BOARD_PID"; BOARD_RC=124; BOARD_PID=""; return 1; }
	wait "$BOARD_PID" 2>/dev/null
	BOARD_RC=$?
	BOARD_PID=""
}

# br CMD ARG...: one browser command; its value in BR, 0 or 1 (BR the error).
br() {
	local line
	line=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$@")
	# numbers as numbers for the waits
	line=$(printf '%s' "$line" | sed -E 's/"([0-9]+(\.[0-9]+)?)"\]$/\1]/')
	printf '%s\n' "$line" >&"${BROWSER[1]}"
	IFS= read -r -t 90 line <&"${BROWSER[0]}" || { BR="the browser did not answer"; return 1; }
	BR=$(printf '%s' "$line" | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o.get("value") if o["ok"] else o["error"])')
	printf '%s' "$line" | grep -q '^{"ok": true' 
}

start_browser() {
	coproc BROWSER { exec timeout -k 5 600 /usr/bin/python3 "$ROOT/tests/integration/board_browser.py" zh-TW 2>"$TMP/browser.err"; }
	BR_PID=$BROWSER_PID
	BG_PIDS+=("$BR_PID")
	local line
	IFS= read -r -t 60 line <&"${BROWSER[0]}" || { echo "# the browser did not start: $(cat "$TMP/browser.err")" >&2; return 1; }
	br size 1920 1080
}

curl_() { curl -s -m 10 -o "$TMP/body" -w '%{http_code}' "$@"; }

sign_in_browser() {
	br get "$URL/login" || return 1
	br wait "#name" 10 || return 1
	br type "#name" "$1" && br type "#password" "$2" && br click "#go" || return 1
}

setup_board() {
	setup dispatch-board || exit 1
	for p in python3 chromium chromedriver curl; do
		command -v $p >/dev/null || { echo "not ok - setup: $p is missing; run scripts/deps.sh test"; echo "0 passed, 1 failed"; exit 1; }
	done
	mkdir -p "$SHOTS"
	printf '%s\n' "$PW" | "$B/dispatch-board" --users "$TMP/users" --add-user alice --role supervisor >/dev/null || exit 1
	printf '%s\n' "$PW" | "$B/dispatch-board" --users "$TMP/users" --add-user wall --role monitor >/dev/null || exit 1
	follow T01
	follow T02
	start_board || { echo "not ok - setup: dispatch-board did not start"; echo "0 passed, 1 failed"; exit 1; }
	start_browser || { echo "not ok - setup: chromium did not start"; echo "0 passed, 1 failed"; exit 1; }
}

# ---- the tests ----

test_sign_in_required() {
	local code
	code=$(curl_ "$URL/api/board")
	[ "$code" = 401 ] || fail "/api/board without a session: $code" || return 1
	code=$(curl_ "$URL/api/events")
	[ "$code" = 401 ] || fail "/api/events without a session: $code" || return 1
	code=$(curl_ "$URL/board")
	[ "$code" = 303 ] || fail "/board without a session: $code, not a redirect to /login" || return 1
	code=$(curl_ -H "Origin: $URL" -H 'Content-Type: application/json' -d '{"name":"alice","password":"wrong-one"}' "$URL/api/login")
	[ "$code" = 401 ] || fail "a wrong password: $code" || return 1
	grep -q dboard "$TMP/body" && { fail "a wrong password got a cookie"; return 1; }
	code=$(curl_ -H "Origin: $URL" -H 'Content-Type: application/json' -d '{"name":"nobody","password":"x"}' "$URL/api/login")
	[ "$code" = 401 ] || fail "an unknown name: $code" || return 1
	sign_in_browser alice wrong-password || fail "browser: $BR" || return 1
	br wait_text "#msg" "密碼" 5 || fail "no refusal shown for a wrong password: $BR" || return 1
	sign_in_browser alice "$PW" || fail "browser: $BR" || return 1
	br wait_attr body data-link up 10 || fail "the board did not come up live: $BR" || return 1
	br text "#estate" && [[ $BR == *"Harbour View Gardens"* ]] || fail "no estate name: $BR" || return 1
}

test_csrf() {
	local code cookie csrf
	code=$(curl_ -H 'Content-Type: application/json' -d "{\"name\":\"alice\",\"password\":\"$PW\"}" "$URL/api/login")
	[ "$code" = 403 ] || fail "a sign-in without Origin: $code" || return 1
	code=$(curl_ -H "Origin: http://evil.example" -H 'Content-Type: application/json' -d "{\"name\":\"alice\",\"password\":\"$PW\"}" "$URL/api/login")
	[ "$code" = 403 ] || fail "a sign-in from another origin: $code" || return 1
	code=$(curl_ -H "Origin: $URL" --data-urlencode "name=alice" --data-urlencode "password=$PW" "$URL/api/login")
	[ "$code" = 403 ] || fail "a form-encoded sign-in: $code" || return 1
	code=$(curl_ -D "$TMP/hdr" -H "Origin: $URL" -H 'Content-Type: application/json' -d "{\"name\":\"alice\",\"password\":\"$PW\"}" "$URL/api/login")
	[ "$code" = 200 ] || fail "a good sign-in: $code" || return 1
	grep -qi '^set-cookie: dboard=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict' "$TMP/hdr" ||
		fail "the cookie is not HttpOnly and SameSite=Strict: $(grep -i set-cookie "$TMP/hdr")" || return 1
	cookie=$(sed -n 's/^[Ss]et-[Cc]ookie: \(dboard=[0-9a-f]*\);.*/\1/p' "$TMP/hdr")
	csrf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$TMP/body")
	code=$(curl_ -b "$cookie" -H "Origin: $URL" -H 'Content-Type: application/json' -d '{}' "$URL/api/logout")
	[ "$code" = 403 ] || fail "a sign-out without the CSRF token: $code" || return 1
	code=$(curl_ -b "$cookie" "$URL/api/board")
	[ "$code" = 200 ] || fail "the session ended by a CSRF-less POST: $code" || return 1
	code=$(curl_ -b "$cookie" -H "Origin: $URL" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' -d '{}' "$URL/api/logout")
	[ "$code" = 200 ] || fail "a sign-out with the token: $code" || return 1
	code=$(curl_ -b "$cookie" "$URL/api/board")
	[ "$code" = 401 ] || fail "the session lives on after signing out: $code" || return 1
	curl -s -m 5 -D "$TMP/hdr" -o /dev/null "$URL/login"
	grep -qi "^content-security-policy: default-src 'none'; script-src 'self'" "$TMP/hdr" ||
		fail "no Content-Security-Policy: $(cat "$TMP/hdr")" || return 1
}

test_limits() {
	local code big
	big=$(head -c 20000 /dev/zero | tr '\0' a)
	code=$(curl_ -H "Origin: $URL" -H 'Content-Type: application/json' -d "{\"name\":\"$big\"}" "$URL/api/login")
	[ "$code" = 413 ] || fail "a 20 kB body: $code" || return 1
	code=$(curl_ "$URL/static/$(head -c 3000 /dev/zero | tr '\0' b)")
	[ "$code" = 414 ] || fail "a 3 kB URL: $code" || return 1
	code=$(curl_ -H "X-Big: $(head -c 70000 /dev/zero | tr '\0' c)" "$URL/login")
	[[ $code == 431 || $code == 413 || $code == 400 ]] || fail "a 70 kB header: $code" || return 1
	code=$(curl_ "$URL/static/../board.c")
	[ "$code" = 404 ] || fail "a path outside the pages: $code" || return 1
	code=$(curl_ "$URL/login")
	[ "$code" = 200 ] || fail "the gateway is not serving after the bad requests: $code" || return 1
}

# The board has the ticket within 1 s of the submit's reply (the commit);
# accepting it on the handheld changes it there within 1 s.
test_board_live() {
	local t0 t1
	submit --unit 12-1A --kind repair --text "corridor light flickers" || return 1
	t0=$(date +%s%N)
	br wait "[data-ticket=\"$TID\"]" 1 || fail "ticket $TID not on the board within 1 s: $BR" || return 1
	t1=$(date +%s%N)
	echo "# ticket $TID on the board $(((t1 - t0) / 1000000)) ms after the submit's reply"
	[ -n "$TMEMBER" ] || fail "ticket $TID was queued, not assigned (no member online?)" || return 1
	br wait_attr "[data-ticket=\"$TID\"]" data-state assigned 1 || fail "not assigned on the board: $BR" || return 1
	run crew --member "$TMEMBER" accept "$TID"
	[ "$RC" = 0 ] || fail "accept exited $RC: $ERR" || return 1
	br wait_attr "[data-ticket=\"$TID\"]" data-state accepted 1 || fail "the acceptance not on the board within 1 s: $BR" || return 1
	br wait_text "[data-ticket=\"$TID\"] .state" "已接單" 1 || fail "the state is not in Chinese: $BR" || return 1
	# queued for nobody: shown loud
	run desk submit --unit 12-1B --kind security --category fire-alarm --text "alarm panel beeps"
	ACC=$TID
}

test_xss_as_text() {
	local x='<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
	submit --unit 12-2A --kind complaint --text "$x" || return 1
	XSS=$TID
	br wait "[data-ticket=\"$TID\"]" 2 || fail "ticket $TID not on the board: $BR" || return 1
	br text "[data-ticket=\"$TID\"] .text" || return 1
	[ "$BR" = "$x" ] || fail "the text is not shown as it was typed: $BR" || return 1
	br js 'return String(window.__xss)' && [ "$BR" = undefined ] || fail "the script ran: window.__xss=$BR" || return 1
	br count "#crews img, .alerts img" && [ "$BR" = 0 ] || fail "an img element came from a ticket's text" || return 1
	br click "[data-ticket=\"$TID\"]" || fail "click: $BR" || return 1
	br wait_text "#history-facts dd" "<img src=x" 5 || fail "the history does not show the text as text: $BR" || return 1
	br js 'return String(window.__xss)' && [ "$BR" = undefined ] || fail "the script ran in the history: $BR" || return 1
	br click "#history-close"
}

test_history() {
	br click "[data-ticket=\"$ACC\"]" || fail "click: $BR" || return 1
	br wait_text "#history-title" "#$ACC" 3 || fail "no history opened: $BR" || return 1
	br wait "#history-events tr[data-type=\"submitted\"]" 3 || fail "no submitted in the history: $BR" || return 1
	br wait "#history-events tr[data-type=\"accepted\"]" 3 || fail "no accepted in the history: $BR" || return 1
	run desk show "$ACC"
	local n_desk n_board
	n_desk=$(printf '%s\n' "$OUT" | history_events | grep -c .)
	br count "#history-events tr" && n_board=$BR
	[ "$n_desk" = "$n_board" ] || fail "desk show has $n_desk events, the board $n_board" || return 1
	br shot "$SHOTS/board-history.png"
	br click "#history-close"
}

test_monitor_role() {
	local code cookie
	code=$(curl_ -D "$TMP/hdr" -H "Origin: $URL" -H 'Content-Type: application/json' -d "{\"name\":\"wall\",\"password\":\"$PW\"}" "$URL/api/login")
	[ "$code" = 200 ] || fail "monitor sign-in: $code" || return 1
	cookie=$(sed -n 's/^[Ss]et-[Cc]ookie: \(dboard=[0-9a-f]*\);.*/\1/p' "$TMP/hdr")
	code=$(curl_ -b "$cookie" "$URL/api/board")
	[ "$code" = 200 ] || fail "a monitor cannot see the board: $code" || return 1
	python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); sys.exit(any("phone" in t or "person" in t for t in b["tickets"]))' "$TMP/body" ||
		fail "the board carries residents' names or phones" || return 1
	code=$(curl_ -b "$cookie" "$URL/api/ticket/$ACC")
	[ "$code" = 403 ] || fail "a monitor opened a ticket's history: $code" || return 1
}

# The daemon stops and starts while the board is open: it says so, comes
# back by itself (no reload), and shows what was committed meanwhile.
test_daemon_restart() {
	br js 'window.__same_page = 42; return 1' || return 1
	stop_daemon
	br wait_attr body data-link down 8 || fail "the board did not say the daemon is away: $BR" || return 1
	br text "#link" && echo "# the board said: $BR"
	br shot "$SHOTS/board-reconnecting.png"
	start_daemon || return 1
	submit --unit 12-3A --kind repair --text "submitted as the daemon came back" || return 1
	br wait_attr body data-link up 10 || fail "the board did not come back: $BR" || return 1
	br wait "[data-ticket=\"$TID\"]" 5 || fail "ticket $TID from just after the restart is missing: $BR" || return 1
	br js 'return window.__same_page' && [ "$BR" = 42 ] || fail "the page was reloaded" || return 1
}

# The gateway itself stops: the browser says reconnecting; events committed
# while it was away arrive (Last-Event-ID, replayed from the daemon's log).
test_gateway_restart() {
	local a b
	stop_board
	br wait_attr body data-link reconnecting 5 || fail "the board did not say reconnecting: $BR" || return 1
	submit --unit 12-3B --kind repair --text "while the gateway was down" || return 1
	a=$TID
	run crew --member "$TMEMBER" accept "$a"
	[ "$RC" = 0 ] || fail "accept exited $RC: $ERR" || return 1
	start_board || fail "the gateway did not start again" || return 1
	br wait_attr "[data-ticket=\"$a\"]" data-state accepted 10 || fail "ticket $a's events from while the gateway was down: $BR" || return 1
	br wait_attr body data-link up 5 || fail "not live again: $BR" || return 1
	br js 'return window.__same_page' && [ "$BR" = 42 ] || fail "the page was reloaded" || return 1
	submit --unit 12-3C --kind repair --text "after the gateway came back" || return 1
	b=$TID
	br wait "[data-ticket=\"$b\"]" 1 || fail "ticket $b not live after the gateway came back: $BR" || return 1
}

# A stream that never reads: the others go on within a second, and the
# gateway drops it once it falls behind the ring rather than keep its events.
test_never_reading_stream() {
	local cookie code rss0 rss1 f i gw
	code=$(curl_ -D "$TMP/hdr" -H "Origin: $URL" -H 'Content-Type: application/json' -d "{\"name\":\"alice\",\"password\":\"$PW\"}" "$URL/api/login")
	cookie=$(sed -n 's/^[Ss]et-[Cc]ookie: \(dboard=[0-9a-f]*\);.*/\1/p' "$TMP/hdr")
	cat >"$TMP/slow.py" <<'PY'
import os, socket, sys, time
port, cookie, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
s.sendall(("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nCookie: %s\r\n\r\n" % (port, cookie)).encode())
print("connected", flush=True)
while not os.path.exists(go):
    time.sleep(0.1)
s.settimeout(5)
n = 0
try:
    while True:
        b = s.recv(65536)
        if not b:
            print("closed by the gateway after %d bytes" % n, flush=True)
            break
        n += len(b)
except socket.timeout:
    print("still open after %d bytes" % n, flush=True)
PY
	bg "$TMP/slow.out" python3 "$TMP/slow.py" "$PORT" "$cookie" "$TMP/slow.go"
	wait_for "$TMP/slow.out" connected 5 || fail "the slow client did not connect" || return 1
	gw=$(pgrep -P "$BOARD_PID" dispatch-board)
	rss0=$(awk '/VmRSS/ { print $2 }' "/proc/$gw/status")
	f=$TMP/burst.ndjson
	: >"$f"
	for i in $(seq 1 400); do
		printf '{"unit":"2A-%dA","kind":"inquiry","text":"burst %d %s"}\n' $((i % 20 + 1)) "$i" "$(head -c 1980 /dev/zero | tr '\0' x)" >>"$f"
	done
	run desk import "$f"
	[ "$RC" = 0 ] || fail "import exited $RC: $(printf '%s' "$ERR" | tail -n 2)" || return 1
	submit --unit 12-5A --kind repair --text "after the burst" || return 1
	br wait "[data-ticket=\"$TID\"]" 1 || fail "the board is held up by the never-reading stream: $BR" || return 1
	rss1=$(awk '/VmRSS/ { print $2 }' "/proc/$gw/status")
	echo "# gateway RSS ${rss0} kB before the burst, ${rss1} kB after (ring of 128 events)"
	[ $((rss1 - rss0)) -lt 65536 ] || fail "the gateway grew by $((rss1 - rss0)) kB" || return 1
	touch "$TMP/slow.go"
	wait_for "$TMP/slow.out" 'closed|still open' 40 || fail "the slow client said nothing" || return 1
	grep -q 'closed by the gateway' "$TMP/slow.out" || fail "the never-reading stream was kept: $(cat "$TMP/slow.out")" || return 1
}

test_screenshots() {
	local i
	# a board with some of everything
	run desk notice --kind works --text "Lift B maintenance 14:00-16:00 / B座升降機保養" 2>/dev/null
	for i in 1 2 3; do
		run desk submit --unit "5-${i}C" --kind cleaning --text "lobby floor wet $i"
	done
	run desk submit --unit 2A-20A --kind repair --text "冷氣機漏水，滴到窗台"
	br size 1920 1080
	br wait "[data-ticket=\"$XSS\"]" 3 || return 1
	sleep 1
	br shot "$SHOTS/board-wall-1920x1080.png" || fail "screenshot: $BR" || return 1
	br click "#lang" && sleep 0.5
	br wait_text "#estate" "Control center" 3 || fail "the page did not switch to English: $BR" || return 1
	br shot "$SHOTS/board-wall-en.png"
	br click "#lang"
	br size 1366 768
	sleep 0.5
	br shot "$SHOTS/board-laptop-1366x768.png"
	br size 1920 1080
	[ -s "$SHOTS/board-wall-1920x1080.png" ] || fail "no screenshot" || return 1
}

# The resident's link: that ticket only, live (accept and arrive while the
# page is open), then a rating of 2 with a remark, which the ticket's
# history shows as the resident's follow-up, and which reopens it.
test_resident_page() {
	local x='<img src=x onerror="window.__xss=3">lamp <b>out</b>' token code
	submit --unit 12-6A --kind repair --text "$x" || return 1
	token=$(printf '%s\n' "$OUT" | sed -n -e 's/^  resident token: \([A-Za-z0-9_-]*\).*/\1/p' \
		-e 's|^  resident page: .*/r/\([A-Za-z0-9_-]*\)$|\1|p')
	[ -n "$token" ] || fail "no resident token in the submit's output: $OUT" || return 1
	[ -n "$TMEMBER" ] || fail "ticket $TID was queued" || return 1
	RTOKEN=$token
	RTID=$TID
	br size 390 844
	br get "$URL/r/$token" || fail "$BR" || return 1
	br wait_attr body data-state assigned 5 || fail "the page does not show the assignment: $BR" || return 1
	br text ".what" && [ "$BR" = "$x" ] || fail "the ticket's text is not shown as text: $BR" || return 1
	br js 'return String(window.__xss)' && [ "$BR" = undefined ] || fail "the script ran: $BR" || return 1
	br text ".big-state" && [ "$BR" = "已派" ] || fail "not in Traditional Chinese: $BR" || return 1
	br shot "$SHOTS/resident-assigned-phone.png"
	run crew --member "$TMEMBER" accept "$TID"
	[ "$RC" = 0 ] || fail "accept exited $RC: $ERR" || return 1
	br wait_attr body data-state accepted 2 || fail "the acceptance is not on the page within 2 s: $BR" || return 1
	run crew --member "$TMEMBER" arrive "$TID"
	[ "$RC" = 0 ] || fail "arrive exited $RC: $ERR" || return 1
	br wait_attr body data-state "on site" 2 || fail "the arrival is not on the page within 2 s: $BR" || return 1
	br count "form#rate" && [ "$BR" = 0 ] || fail "a rating form before the work is resolved" || return 1
	run crew --member "$TMEMBER" resolve "$TID" --note "new lamp"
	[ "$RC" = 0 ] || fail "resolve exited $RC: $ERR" || return 1
	br wait "form#rate" 3 || fail "no rating form once resolved: $BR" || return 1
	# A rating without this page's form token, or from another site: refused.
	code=$(curl_ -H "Origin: $URL" -H 'Content-Type: application/json' -d '{"score":1,"remark":"forged","form_token":"00"}' "$URL/api/r/$token/rate")
	[ "$code" = 403 ] || fail "a rating without the form token: $code" || return 1
	code=$(curl_ -H "Origin: http://evil.example" -H 'Content-Type: application/json' -d '{"score":1}' "$URL/api/r/$token/rate")
	[ "$code" = 403 ] || fail "a rating from another origin: $code" || return 1
	code=$(curl_ -H "Origin: $URL" -d 'score=1' "$URL/api/r/$token/rate")
	[ "$code" = 403 ] || fail "a form-encoded rating: $code" || return 1
	run desk show "$TID"
	printf '%s\n' "$OUT" | history_events | grep -q 'followed up' && { fail "a refused rating was recorded"; return 1; }
	br shot "$SHOTS/resident-rate-phone.png"
	br click '[data-score="2"]' && br type "#remark" "技術員遲到，燈仍閃 <script>x</script>" && br click "form#rate .send" ||
		fail "rating: $BR" || return 1
	br wait_text ".card" "2/5" 5 || fail "the rating is not acknowledged: $BR" || return 1
	run desk show "$TID"
	printf '%s\n' "$OUT" | history_events | grep -q 'followed up' || fail "no follow-up in the history: $OUT" || return 1
	printf '%s\n' "$OUT" | history_events | grep -q 'reopened' || fail "a 2 did not reopen it: $OUT" || return 1
	printf '%s\n' "$OUT" | grep -q '技術員遲到' || fail "the remark is not in the history: $OUT" || return 1
	br wait_attr body data-state assigned 5 || br wait_attr body data-state new 1 ||
		fail "the page does not show it reopened: $BR" || return 1
	br shot "$SHOTS/resident-reopened-phone.png"
	br count "#rate" && [ "$BR" = 0 ] || fail "the form is still there after the rating" || return 1
	br size 1920 1080
}

# A wrong or altered token shows nothing about any ticket.
test_resident_wrong_token() {
	local bad code
	bad=$(printf '%s' "$RTOKEN" | tr 'A-Za-z0-9' 'B-Za-z0-9A')
	br get "$URL/r/$bad" || return 1
	br wait_attr body data-state none 5 || fail "a wrong token's page: $BR" || return 1
	br js 'return document.body.innerText' || return 1
	[[ $BR == *12-6A* || $BR == *"#$RTID"* || $BR == *lamp* ]] && { fail "the page tells about a ticket: $BR"; return 1; }
	br text ".nothing" && [[ $BR == *找不到* ]] || fail "no 'not found' shown: $BR" || return 1
	code=$(curl_ "$URL/api/r/$bad")
	[ "$code" = 404 ] || fail "a wrong token: $code" || return 1
	[ "$(cat "$TMP/body")" = '{"error":"not found"}' ] || fail "a wrong token's answer says more: $(cat "$TMP/body")" || return 1
	code=$(curl_ "$URL/api/r/$bad/events")
	[ "$code" = 404 ] || fail "a wrong token's stream: $code" || return 1
}

# Guessing is limited per address: after ten wrong tries in a minute, even
# the right token is refused from there (429) for the rest of the minute.
test_resident_rate_limited() {
	local i code
	for i in $(seq 1 12); do
		code=$(curl_ "$URL/api/r/guess${i}xxxxxxxxxxxxxxxxxxxxxxxxxx")
	done
	[ "$code" = 429 ] || fail "the 12th wrong try: $code, not 429" || return 1
	code=$(curl_ "$URL/api/r/$RTOKEN")
	[ "$code" = 429 ] || fail "the right token from the guessing address: $code" || return 1
}

# The administrator's command: a hashed line per account, replaced, never
# the password itself; bad input is a usage error (2) that writes nothing.
test_add_user() {
	local f=$TMP/users-cli
	run sh -c "printf 'short\n' | '$B/dispatch-board' --users '$f' --add-user bob --role desk"
	[ "$RC" = 2 ] && [ ! -e "$f" ] || fail "a 5-character password: exit $RC" || return 1
	run sh -c "printf 'long-enough-pw\n' | '$B/dispatch-board' --users '$f' --add-user bob --role admin"
	[ "$RC" = 2 ] && [[ $ERR == *"monitor, desk, qc, supervisor"* ]] || fail "an unknown role: exit $RC: $ERR" || return 1
	run sh -c "printf 'long-enough-pw\n' | '$B/dispatch-board' --users '$f' --add-user 'bob smith' --role desk"
	[ "$RC" = 2 ] || fail "a name with a space: exit $RC" || return 1
	run sh -c "printf 'long-enough-pw\n' | '$B/dispatch-board' --users '$f' --add-user bob --role desk"
	[ "$RC" = 0 ] || fail "a good account: exit $RC: $ERR" || return 1
	run sh -c "printf 'another-long-pw\n' | '$B/dispatch-board' --users '$f' --add-user bob --role qc"
	[ "$RC" = 0 ] || fail "replacing it: exit $RC: $ERR" || return 1
	[ "$(grep -c '^bob ' "$f")" = 1 ] && grep -q '^bob qc \$argon2id\$' "$f" || fail "not one argon2id line for bob: $(cat "$f")" || return 1
	grep -q 'long-pw' "$f" && { fail "the password is in the file"; return 1; }
	[ "$(stat -c %a "$f")" = 600 ] || fail "the users file is mode $(stat -c %a "$f")" || return 1
	run "$B/dispatch-board" --bogus
	[ "$RC" = 2 ] || fail "an unknown option: exit $RC" || return 1
}

# Connections are bounded per address: a second gateway allowing 3; four
# idle sockets held, a fifth request is refused; once they close, served.
test_connection_limit() {
	local p2=$((PORT + 1)) code
	bg "$TMP/board2.log" "$B/dispatch-board" --listen "127.0.0.1:$p2" --users "$TMP/users" \
		--state-dir "$TMP/board2-state" --max-per-ip 3
	local pid=$BG
	wait_for "$TMP/board2.log.err" 'serving http' 10 || fail "the second gateway did not start: $(cat "$TMP/board2.log.err")" || return 1
	cat >"$TMP/hold.py" <<'PY'
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(4)]
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
PY
	bg "$TMP/hold.out" python3 "$TMP/hold.py" "$p2" 4
	local hold=$BG
	wait_for "$TMP/hold.out" holding 5 || fail "could not hold the sockets" || return 1
	code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p2/login")
	[ "$code" = 000 ] || fail "a fourth connection from one address was served: $code" || return 1
	wait_gone "$hold" 10
	code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p2/login")
	[ "$code" = 200 ] || fail "not served once the others closed: $code" || return 1
	kill -TERM "$pid"
	wait_gone "$pid" 10 || fail "the second gateway did not stop" || return 1
}

# The estate's `language` (dispatchd's configuration, on every reply) is
# the board's default; --lang overrides it.
lang_is() {
	local i
	for i in $(seq 50); do
		[ "$(curl_ "$URL/api/config")" = 200 ] && grep -q "\"lang\": *\"$1\"" "$TMP/body" && return 0
		sleep 0.1
	done
	return 1
}
test_estate_language() {
	local sample=$CONFIG
	lang_is zh-Hant || { fail "the sample estate's board is not zh-Hant: $(cat "$TMP/body")"; return 1; }
	stop_board
	stop_daemon
	sed 's/^language: zh-Hant$/language: en/' "$sample" >"$TMP/estate-en.yaml"
	grep -q '^language: en$' "$TMP/estate-en.yaml" || { fail "no language line in $sample"; return 1; }
	CONFIG=$TMP/estate-en.yaml
	start_daemon || { CONFIG=$sample; return 1; }
	start_board
	lang_is en || { fail "an English estate's board opens in: $(cat "$TMP/body")"; CONFIG=$sample; return 1; }
	stop_board
	start_board --lang zh-Hant
	lang_is zh-Hant || { fail "--lang zh-Hant did not override the estate: $(cat "$TMP/body")"; CONFIG=$sample; return 1; }
	stop_board
	stop_daemon
	CONFIG=$sample
	start_daemon || return 1
	start_board || return 1
	lang_is zh-Hant || { fail "back on the sample estate: $(cat "$TMP/body")"; return 1; }
}

setup_board
t "board: --add-user writes one argon2id line an account; bad input is a usage error" test_add_user
t "board: sign-in required; a wrong password refused; the board opens for a right one" test_sign_in_required
t "board: CSRF: POSTs need JSON, this site's Origin and the session's token; CSP on pages" test_csrf
t "board: oversized bodies, URLs and headers refused; nothing outside the pages served" test_limits
t "board: connections from one address are bounded (--max-per-ip)" test_connection_limit
t "board: a submitted ticket shows within 1 s; the handheld's accept changes it within 1 s" test_board_live
t "board: <script> and <img onerror> in a ticket's text are shown as text" test_xss_as_text
t "board: a ticket opens its full history, the same events as desk show" test_history
t "board: a monitor account sees the board but no histories; no residents' phones" test_monitor_role
t "board: a daemon restart shows, heals without a reload, no event missed" test_daemon_restart
t "board: a gateway restart: reconnecting, then the events from meanwhile (Last-Event-ID)" test_gateway_restart
t "board: a never-reading stream holds up nobody and is dropped" test_never_reading_stream
t "board: screenshots of the wall board (zh-Hant, English, laptop)" test_screenshots
t "resident: the link shows that ticket live; a rating of 2 is the resident's follow-up and reopens it" test_resident_page
t "resident: a wrong token shows nothing about any ticket" test_resident_wrong_token
t "resident: wrong tries are limited per address" test_resident_rate_limited
t "board: the estate's language is the board's default; --lang overrides it" test_estate_language
br quit >/dev/null 2>&1
stop_board
[ "${BOARD_RC:-0}" = 0 ] && echo "ok - dispatch-board exits 0 on SIGTERM" && PASSED=$((PASSED + 1)) ||
	{ echo "not ok - dispatch-board exits 0 on SIGTERM: exit $BOARD_RC"; FAILED=$((FAILED + 1)); }
finish
