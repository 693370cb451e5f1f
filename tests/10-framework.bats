#!/usr/bin/env bats
# 10-framework.bats: the server/application split of notes 四, the POST of
# 1.3, request bodies (common/body.c), and favourites that are never lost.
# NETLAB_STORE=sqlite runs the same tests on the SQLite store (make test
# runs both). The req_fav_ checks are the URL contract make grade holds a
# student's application to (require.bash); the lines beside them are
# netlab's own pages.

load helpers
load require

STAGE=10-framework
STORE=${NETLAB_STORE:-file}
FAV_BIN=$BIN/$STAGE/server-favourites-$STORE
HELLO_BIN=$BIN/$STAGE/server-hello

setup_file() {
	make_docroot
}

# fav_start [ARGS]: the favourites application, data in $STATE.
fav_start() {
	STATE=${STATE:-$BATS_TEST_TMPDIR/state}
	SERVER_BIN=$FAV_BIN start_server "$STAGE" -s "$STATE" "$@"
}

# post PATH [CURL ARGS]: POST to PATH; prints the status code.
post() {
	local path=$1
	shift
	curl -s -o "$BATS_TEST_TMPDIR/post" -D "$BATS_TEST_TMPDIR/post.h" -w '%{http_code}' \
		-X POST "$@" "http://127.0.0.1:$PORT$path"
}

# get PATH: the body of GET PATH.
get() {
	curl -s "http://127.0.0.1:$PORT$1"
}

# favourite_ids: the district_ids on /collect.py, in order, one per line.
favourite_ids() {
	get /collect.py | sed -n 's|.*action="/collect/\([0-9]*\)\.py".*|\1|p'
}

# html_escape: stdin escaped as the pages escape text.
html_escape() {
	sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' -e "s/'/\\&#39;/g"
}

# urlencode STRING: every byte as %XX, as a form may send it.
urlencode() {
	printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n' | sed 's/../%&/g'
}

# raw_slow PIECE...: send each piece (printf %b) 0.2 s apart on one
# connection; print the reply until the server closes it.
raw_slow() {
	local fd piece
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	for piece in "$@"; do
		printf '%b' "$piece" >&"$fd"
		sleep 0.2
	done
	timeout 5 cat <&"$fd"
	exec {fd}>&-
}

@test "-h names the application's data directory (-s)" {
	run "$FAV_BIN" -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"-s DIR"*"/10-framework/data"* ]]
	[[ "$output" == *"curl "* ]]
}

@test "GET /show.py lists the 34 provinces, each with a form that POSTs /show/<id>.py" {
	fav_start
	req_fav_show
	curl -s -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/b" "http://127.0.0.1:$PORT/show.py"
	head -n 1 "$BATS_TEST_TMPDIR/h" | grep -q '^HTTP/1.1 200 OK'
	[ "$(header Content-Type "$BATS_TEST_TMPDIR/h")" = "text/html; charset=utf-8" ]
	[ "$(header Content-Length "$BATS_TEST_TMPDIR/h")" = "$(wc -c <"$BATS_TEST_TMPDIR/b")" ]
	[ "$(grep -c '<form method="post" action="/show/[0-9]*\.py">' "$BATS_TEST_TMPDIR/b")" = 34 ]
	grep -q '<th>district_id</th><th>pid</th><th>district</th><th>level</th>' "$BATS_TEST_TMPDIR/b"
	grep -q '<td>12</td><td>0</td><td>天津市</td><td>1</td>' "$BATS_TEST_TMPDIR/b"
	grep -q '<td>65</td><td>0</td><td>新疆维吾尔自治区</td><td>1</td>' "$BATS_TEST_TMPDIR/b"
	# HEAD: the same head, no body.
	curl -s -I -o /dev/null -D "$BATS_TEST_TMPDIR/hh" "http://127.0.0.1:$PORT/show.py"
	[ "$(header Content-Length "$BATS_TEST_TMPDIR/hh")" = "$(wc -c <"$BATS_TEST_TMPDIR/b")" ]
}

@test "POST /show/<id>.py adds once, answers 303 to /collect.py; an unknown id is a real 404" {
	fav_start
	req_fav_add
	req_fav_unknown
	[ "$(post /show/12.py)" = 303 ]
	[ "$(header Location "$BATS_TEST_TMPDIR/post.h")" = /collect.py ]
	[ "$(post /show/12.py)" = 303 ]
	[ "$(post /show/44.py)" = 303 ]
	[ "$(favourite_ids | tr '\n' ' ')" = "12 44 " ]
	get /collect.py | grep -q '<td>44</td><td>0</td><td>广东省</td><td>1</td>'
	[ "$(post /show/99.py)" = 404 ]
	grep -q '<h1>404 Not Found</h1>' "$BATS_TEST_TMPDIR/post"
	[ "$(post /show/0012345678901234567890.py)" = 404 ]
	[ "$(favourite_ids | tr '\n' ' ')" = "12 44 " ]
	# A browser follows the 303 with a GET.
	[ "$(curl -s -L -o /dev/null -w '%{http_code} %{url_effective}' \
		-d '' "http://127.0.0.1:$PORT/show/13.py")" = "200 http://127.0.0.1:$PORT/collect.py" ]
}

@test "POST /collect/<id>.py deletes and answers 303; an unknown id is 404" {
	fav_start
	req_fav_delete
	post /show/11.py >/dev/null
	post /show/31.py >/dev/null
	[ "$(post /collect/11.py)" = 303 ]
	[ "$(header Location "$BATS_TEST_TMPDIR/post.h")" = /collect.py ]
	[ "$(favourite_ids)" = 31 ]
	[ "$(post /collect/11.py)" = 404 ]
	[ "$(post /collect/99.py)" = 404 ]
	[ "$(post /collect/31.py)" = 303 ]
	[ -z "$(favourite_ids)" ]
	get /collect.py | grep -q '还没有收藏'
}

@test "a page longer than a handler's line buffer is sent whole, and the server lives on" {
	fav_start
	local long
	long=$(head -c 3000 /dev/zero | tr '\0' y)
	curl -s -m 5 -H "X-Long: $long" -d a=1 -o "$BATS_TEST_TMPDIR/echo" -w '%{http_code}' \
		"http://127.0.0.1:$PORT/echo" >"$BATS_TEST_TMPDIR/code" || true
	equal "status of POST /echo with a 3,000-byte header" 200 "$(cat "$BATS_TEST_TMPDIR/code")"
	grep -qx "X-Long: $long" "$BATS_TEST_TMPDIR/echo"
	equal "status of GET /show.py after it" 200 "$(code /show.py)"
}

@test "GET on a POST-only URL is 405 with Allow; POST on a page is 405 too" {
	fav_start
	curl -s -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/b" "http://127.0.0.1:$PORT/show/12.py"
	head -n 1 "$BATS_TEST_TMPDIR/h" | grep -q '^HTTP/1.1 405 Method Not Allowed'
	[ "$(header Allow "$BATS_TEST_TMPDIR/h")" = POST ]
	grep -q '<h1>405 Method Not Allowed</h1>' "$BATS_TEST_TMPDIR/b"
	[ "$(code /echo)" = 405 ]
	[ "$(code /collect/12/note.py)" = 405 ]
	[ "$(post /show.py)" = 405 ]
	[ "$(header Allow "$BATS_TEST_TMPDIR/post.h")" = "GET, HEAD" ]
	[ -z "$(favourite_ids)" ]   # a GET never changes anything
	req_fav_get_safe
}

@test "regex routes match the whole path, dots escaped: near misses are 404" {
	fav_start
	[ "$(code /show/12.py)" = 405 ]   # the route exists (for POST)
	local p
	for p in /show/12xpy /show/12.pyx /show/x12.py /show/.py /show/12/.py /show/12.py/ \
		/show/1.2.py /xshow/12.py /show/12.p /collect/12xpy /collect/12/notexpy \
		/collect/12/note.py.bak /collect/x/note.py /show.pyx /showxpy /Show.py; do
		echo "$p"
		[ "$(code "$p")" = 404 ]
	done
	# and a POST to a near miss adds nothing: it names nothing, so 404
	equal "status of POST /show/12xpy" 404 "$(post /show/12xpy)"
	equal "status of POST /nope.html" 404 "$(post /nope.html)"
	[ -z "$(favourite_ids)" ]
	req_fav_routes
}

@test "an unknown path is a real 404 page; other paths are static files" {
	fav_start
	req_fav_not_found
	curl -s -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/b" "http://127.0.0.1:$PORT/nothing.py"
	head -n 1 "$BATS_TEST_TMPDIR/h" | grep -q '^HTTP/1.1 404 Not Found'
	grep -q '<h1>404 Not Found</h1>' "$BATS_TEST_TMPDIR/b"
	curl -s "http://127.0.0.1:$PORT/about.html" | cmp - "$DOCROOT/about.html"
}

@test "a remark: UTF-8, +, %XX, /, <script>, tab and newline stored exactly, shown escaped" {
	local remark expected page
	remark=$'我的 最爱/a+b=c&d <script>alert("x\'y")</script>\tTAB\nline two\r\nthree'
	fav_start
	post /show/33.py >/dev/null
	# as a browser sends it: + for spaces, %XX for the rest
	[ "$(post /collect/33/note.py --data-raw "remark=$(urlencode "$remark" | sed 's/%20/+/g')")" = 303 ]
	[ "$(header Location "$BATS_TEST_TMPDIR/post.h")" = /collect.py ]
	expected=$(printf '%s' "$remark" | html_escape)
	page=$(get /collect.py)
	[[ "$page" == *"<td class=\"remark\">$expected</td>"* ]]
	[[ "$page" == *"cols=\"24\">"$'\n'"$expected</textarea>"* ]]
	[[ "$page" != *"<script>"* ]]
	# still exactly so after a restart: the bytes were stored, not the HTML
	stop_server
	fav_start
	[[ "$(get /collect.py)" == *"<td class=\"remark\">$expected</td>"* ]]
	req_fav_remark
}

@test "a remark holding the store's delimiters cannot forge a record" {
	local forged expected
	forged=$'x\n11 0\n\nend 0 00000000\n13 5\nhello\n'
	fav_start
	post /show/12.py >/dev/null
	[ "$(post /collect/12/note.py --data-urlencode "remark=$forged")" = 303 ]
	[ "$(post /collect/12/note.py --data-urlencode "remark=$forged"$'\');DROP TABLE favourites;--')" = 303 ]
	stop_server
	fav_start
	[ "$(favourite_ids)" = 12 ]
	expected=$(printf '%s' "$forged"$'\');DROP TABLE favourites;--' | html_escape)
	[[ "$(get /collect.py)" == *"<td class=\"remark\">$expected</td>"* ]]
}

@test "a bad remark is a 400 page: invalid UTF-8, NUL, control bytes, bad %, too long" {
	fav_start
	post /show/12.py >/dev/null
	local body
	for body in 'remark=%FF' 'remark=%C0%AF' 'remark=%ED%A0%80' 'remark=%E4%BD' 'remark=a%00b' \
		'remark=%1B[31m' 'remark=%G1' 'remark=%4' 'other=x'; do
		echo "$body"
		[ "$(post /collect/12/note.py --data-raw "$body")" = 400 ]
		grep -q '<h1>400 Bad Request</h1>' "$BATS_TEST_TMPDIR/post"
	done
	[ "$(post /collect/12/note.py --data-raw "remark=$(head -c 1001 /dev/zero | tr '\0' x)")" = 400 ]
	[ "$(post /collect/12/note.py --data-raw "remark=$(head -c 1000 /dev/zero | tr '\0' x)")" = 303 ]
	# 333 Chinese characters are 999 bytes; 334 are too many
	[ "$(post /collect/12/note.py --data-raw "remark=$(urlencode "$(printf '中%.0s' $(seq 334))")")" = 400 ]
	[ "$(post /collect/12/note.py --data-raw "remark=$(urlencode "$(printf '中%.0s' $(seq 333))")")" = 303 ]
	[ "$(post /collect/12/note.py -H 'Content-Type: text/plain' --data-raw 'remark=x')" = 415 ]
	[ "$(post /collect/13/note.py --data-raw 'remark=x')" = 404 ]   # not a favourite
	[ "$(post /collect/99/note.py --data-raw 'remark=x')" = 404 ]   # not a province
}

@test "POST /echo (notes 1.3) shows the method, headers and body as received" {
	fav_start
	curl -s -H 'Content-Type: application/json' -H 'Accept: application/json' \
		--data-raw '{"deviceCode": 1, "value": "中"}' "http://127.0.0.1:$PORT/echo?x=1" >"$BATS_TEST_TMPDIR/e"
	[ "$(head -n 1 "$BATS_TEST_TMPDIR/e")" = "POST /echo?x=1 HTTP/1.1" ]
	grep -qx 'Content-Type: application/json' "$BATS_TEST_TMPDIR/e"
	grep -qx 'Content-Length: 33' "$BATS_TEST_TMPDIR/e"
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/e")" = '{"deviceCode": 1, "value": "中"}' ]
}

@test "bodies by Content-Length and chunked, split across writes, arrive whole" {
	fav_start
	raw_slow 'POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 11\r\n' \
		'\r\nhel' 'lo w' 'orld' >"$BATS_TEST_TMPDIR/r"
	head -n 1 "$BATS_TEST_TMPDIR/r" | grep -q ' 200 '
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/r")" = 'hello world' ]
	# chunked, cut inside sizes, data and CRLFs, with an extension and a trailer
	raw_slow 'POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n' \
		'5\r' '\nhel' 'lo\r' '\n' '9;name=v' 'al\r\n wor' 'ld!!!\r\n0\r\nX-Trailer: 1\r' '\n\r' '\n' >"$BATS_TEST_TMPDIR/r"
	head -n 1 "$BATS_TEST_TMPDIR/r" | grep -q ' 200 '
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/r")" = 'hello world!!!' ]
	# curl's own chunked upload
	[ "$(printf 'remark=%%E4%%B8%%AD' | curl -s -H 'Transfer-Encoding: chunked' --data-binary @- \
		"http://127.0.0.1:$PORT/echo" | tail -n 1)" = 'remark=%E4%B8%AD' ]
}

@test "a body over the limit is 413; broken chunked framing is 400" {
	fav_start
	[ "$(status_of 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n')" = 413 ]
	[ "$(status_of 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n')" = 413 ]
	[ "$(status_of 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n')" = 413 ]
	# many chunks that add up to more than the limit
	head -c 1100000 /dev/zero | tr '\0' a | curl -s -o /dev/null -w '%{http_code}' \
		-H 'Transfer-Encoding: chunked' --data-binary @- "http://127.0.0.1:$PORT/echo" >"$BATS_TEST_TMPDIR/c" || true
	[ "$(cat "$BATS_TEST_TMPDIR/c")" = 413 ]
	[ "$(status_of 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n')" = 400 ]
	[ "$(status_of 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n')" = 400 ]
	[ "$(status_of 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n')" = 400 ]
	[ "$(status_of 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n')" = 400 ]
	[ "$(code /about.html)" = 200 ]
}

@test "Expect: 100-continue gets 100 before the body, or 413 instead of it" {
	fav_start
	local fd
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n' >&"$fd"
	IFS= read -r -t 5 line <&"$fd"
	[ "$line" = $'HTTP/1.1 100 Continue\r' ]
	printf 'hi' >&"$fd"
	timeout 5 cat <&"$fd" >"$BATS_TEST_TMPDIR/r"
	exec {fd}>&-
	grep -q '^HTTP/1.1 200 OK' "$BATS_TEST_TMPDIR/r"
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/r")" = hi ]
	# too large: refused at once, no 100 and no waiting for the body
	raw 'POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2000000\r\n\r\n' >"$BATS_TEST_TMPDIR/r"
	head -n 1 "$BATS_TEST_TMPDIR/r" | grep -q ' 413 '
	not grep -q ' 100 ' "$BATS_TEST_TMPDIR/r"
	[ "$(status_of 'POST /echo HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\nhi')" = 417 ]
}

@test "a body that stops arriving gets 408, and others are served meanwhile" {
	fav_start -t 1
	local fd
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc' >&"$fd"
	[ "$(code /show.py -m 2)" = 200 ]
	timeout 5 cat <&"$fd" >"$BATS_TEST_TMPDIR/r"
	exec {fd}>&-
	head -n 1 "$BATS_TEST_TMPDIR/r" | grep -q ' 408 '
}

@test "keep-alive: a browser's requests share one connection, bodies and all" {
	fav_start
	curl -sv -o /dev/null "http://127.0.0.1:$PORT/show.py" --next -o /dev/null -d 'a=1' \
		"http://127.0.0.1:$PORT/echo" --next -o /dev/null "http://127.0.0.1:$PORT/collect.py" \
		2>"$BATS_TEST_TMPDIR/v"
	[ "$(grep -c '^< HTTP/1.1 200' "$BATS_TEST_TMPDIR/v")" = 3 ]
	grep -q 'Re-using existing connection' "$BATS_TEST_TMPDIR/v"
	# pipelined: a chunked POST, then a GET, in one write
	raw 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nGET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$BATS_TEST_TMPDIR/r"
	# the echo's body ends without a newline, so the second head follows on its line
	[ "$(grep -o 'HTTP/1.1 200 OK' "$BATS_TEST_TMPDIR/r" | wc -l)" = 2 ]
	grep -q '^okHTTP/1.1 200 OK' "$BATS_TEST_TMPDIR/r"
}

@test "keep-alive: 50 requests for a file, or a page, do not each wait for a delayed ACK" {
	fav_start
	req_no_delayed_ack
	# the same for a page the application builds: head and body, two writes
	local T=$BATS_TEST_TMPDIR args=() i slow
	for ((i = 0; i < 50; i++)); do args+=(-o /dev/null "http://127.0.0.1:$PORT/show.py?n=$i"); done
	curl -s -m 10 -w '%{http_code} %{num_connects} %{time_total}\n' "${args[@]}" >"$T/pages" || true
	equal "200 responses to 50 page requests" 50 "$(grep -c '^200 ' "$T/pages" || true)"
	slow=$(awk '$3 >= 0.035' "$T/pages" | wc -l)
	between "of 50 page requests on one connection, those that took 35 ms or more" 0 10 "$slow"
}

@test "concurrent: 34 parallel adds, then 50 parallel deletes, remarks and adds, nothing lost" {
	local ids i pids
	fav_start
	ids=($(get /show.py | sed -n 's|.*action="/show/\([0-9]*\)\.py".*|\1|p'))
	[ "${#ids[@]}" = 34 ]
	# Only the curls are waited for: the server is a background job too.
	pids=()
	for i in "${ids[@]}"; do
		curl -s -o /dev/null -w '%{http_code}\n' -X POST "http://127.0.0.1:$PORT/show/$i.py" >>"$BATS_TEST_TMPDIR/codes" &
		pids+=($!)
	done
	wait "${pids[@]}"
	[ "$(grep -c '^303$' "$BATS_TEST_TMPDIR/codes")" = 34 ]
	[ "$(favourite_ids | sort | tr '\n' ' ')" = "$(printf '%s\n' "${ids[@]}" | sort | tr '\n' ' ')" ]
	# 17 deletes, 17 remarks and 16 repeated adds, all at once
	: >"$BATS_TEST_TMPDIR/codes"
	pids=()
	for i in $(seq 0 16); do
		curl -s -o /dev/null -w '%{http_code}\n' -X POST "http://127.0.0.1:$PORT/collect/${ids[i]}.py" >>"$BATS_TEST_TMPDIR/codes" &
		pids+=($!)
		curl -s -o /dev/null -w '%{http_code}\n' --data-raw "remark=note+${ids[i + 17]}" \
			"http://127.0.0.1:$PORT/collect/${ids[i + 17]}/note.py" >>"$BATS_TEST_TMPDIR/codes" &
		pids+=($!)
		[ "$i" = 16 ] && continue
		curl -s -o /dev/null -w '%{http_code}\n' -X POST \
			"http://127.0.0.1:$PORT/show/${ids[i + 17]}.py" >>"$BATS_TEST_TMPDIR/codes" &
		pids+=($!)
	done
	wait "${pids[@]}"
	[ "$(grep -c '^303$' "$BATS_TEST_TMPDIR/codes")" = 50 ]
	stop_server
	fav_start
	[ "$(favourite_ids | sort | tr '\n' ' ')" = "$(printf '%s\n' "${ids[@]:17}" | sort | tr '\n' ' ')" ]
	for i in $(seq 17 33); do
		get /collect.py | grep -q "<td class=\"remark\">note ${ids[i]}</td>"
	done
}

@test "kill -9 right after the 303: the change is there after a restart" {
	fav_start
	SERVER_BIN=$FAV_BIN req_fav_kill
	[ "$(post /show/37.py)" = 303 ]
	[ "$(post /collect/37/note.py --data-raw 'remark=%E5%B1%B1%E4%B8%9C')" = 303 ]
	kill -KILL "$SERVER_PID"
	wait "$SERVER_PID" || true
	SERVER_PID=
	fav_start
	[ "$(favourite_ids)" = 37 ]
	get /collect.py | grep -q '<td class="remark">山东</td>'
	[ "$(post /collect/37.py)" = 303 ]
	kill -KILL "$SERVER_PID"
	wait "$SERVER_PID" || true
	SERVER_PID=
	fav_start
	[ -z "$(favourite_ids)" ]
}

@test "a truncated store is detected: the server refuses to start and says why" {
	local f size
	fav_start
	post /show/11.py >/dev/null
	post /show/12.py >/dev/null
	post /collect/12/note.py --data-raw "remark=$(head -c 900 /dev/zero | tr '\0' y)" >/dev/null
	stop_server
	f=$(find "$STATE" -maxdepth 1 -type f -name 'favourites*' ! -name '*.lock' | head -n 1)
	cp "$f" "$BATS_TEST_TMPDIR/whole"
	size=$(stat -c %s "$f")
	truncate -s $((size / 2)) "$f"
	run timeout 5 "$FAV_BIN" -p 0 -s "$STATE" -d "$DOCROOT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"damaged"* ]]
	# the file was not touched, and the whole one still loads
	[ "$(stat -c %s "$f")" = $((size / 2)) ]
	cp "$BATS_TEST_TMPDIR/whole" "$f"
	fav_start
	[ "$(favourite_ids | tr '\n' ' ')" = "11 12 " ]
}

@test "file store: a half-written temporary file from a crash is ignored" {
	[ "$STORE" = file ] || skip "the file store's own format"
	fav_start
	post /show/11.py >/dev/null
	stop_server
	printf 'netlab favourites 1\n13 0\n\n14 ' >"$STATE/favourites.tmp"
	fav_start
	[ "$(favourite_ids)" = 11 ]
	[ ! -e "$STATE/favourites.tmp" ]
	# one bit flipped: the checksum catches it
	stop_server
	sed -i 's/^11 0$/12 0/' "$STATE/favourites"
	run timeout 5 "$FAV_BIN" -p 0 -s "$STATE" -d "$DOCROOT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"trailer"* ]]
}

@test "file store: a second server on the same data is refused" {
	[ "$STORE" = file ] || skip "SQLite locks its file itself"
	fav_start
	run timeout 5 "$FAV_BIN" -p 0 -s "$STATE" -d "$DOCROOT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"another server"* ]]
}

# resolve PAGE HREF: HREF as a browser resolves it on PAGE (a path).
resolve() {
	local page=$1 href=$2 out
	case $href in
	/*) out=$href ;;
	*) out=${page%/*}/$href ;;
	esac
	while [[ $out == */../* ]]; do out=$(sed 's|/[^/]*/\.\./|/|' <<<"$out"); done
	echo "${out//\/.\//\/}"
}

@test "every link and form works from every page it is on (notes point 8)" {
	fav_start
	post /show/12.py >/dev/null
	local page link target n=0
	for page in /show.py /collect.py /show/99.py /collect/12/note.py /collect/99.py; do
		if [ "$page" = /show.py ] || [ "$page" = /collect.py ]; then
			get "$page" >"$BATS_TEST_TMPDIR/p"
		else
			curl -s -d 'remark=%FF' "http://127.0.0.1:$PORT$page" >"$BATS_TEST_TMPDIR/p"
		fi
		for link in $(grep -o 'href="[^"]*"' "$BATS_TEST_TMPDIR/p" | cut -d'"' -f2); do
			target=$(resolve "$page" "$link")
			echo "$page: href $link -> $target"
			[ "$(code "$target")" = 200 ]
			n=$((n + 1))
		done
		for link in $(grep -o 'action="[^"]*"' "$BATS_TEST_TMPDIR/p" | cut -d'"' -f2); do
			target=$(resolve "$page" "$link")
			echo "$page: action $link -> $target"
			[ "$(code "$target")" = 405 ]   # a POST route is there
			n=$((n + 1))
		done
	done
	[ "$n" -gt 40 ]
}

@test "the data is found from any working directory (notes point 10)" {
	STATE=$BATS_TEST_TMPDIR/state
	cd "$BATS_TEST_TMPDIR"
	fav_start
	[ "$(get /show.py | grep -c '<form')" = 34 ]
	[ "$(post /show/12.py)" = 303 ]
	[ -s "$STATE/favourites" ] || [ -s "$STATE/favourites.db" ]
}

@test "the second application (make APP=hello) runs on the same server" {
	SERVER_BIN=$HELLO_BIN start_server "$STAGE"
	run get /register.py
	[[ "$output" =~ ^hello\ world!\ \ [0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8} ]]
	[ "$(code /show.py)" = 404 ]
	[ "$(code /register.py -X POST)" = 405 ]
	curl -s "http://127.0.0.1:$PORT/about.html" | cmp - "$DOCROOT/about.html"
	# /echo is the favourites' route: here the path names nothing
	[ "$(curl -s -d x "http://127.0.0.1:$PORT/echo" -o /dev/null -w '%{http_code}')" = 404 ]
}

@test "hello: the time page shows the time of each request, not the start's (the notes' now_time)" {
	SERVER_BIN=$HELLO_BIN start_server "$STAGE"
	local first second
	first=$(get /register.py)
	sleep 1.1
	second=$(get /register.py)
	[ "$first" != "$second" ] && return 0
	echo "GET /register.py 1.1 s after it said '$first': expected a later time, got the same" >&2
	return 1
}

@test "hello: a login is a random id in an HttpOnly, SameSite cookie; logout ends it on the server" {
	SERVER_BIN=$HELLO_BIN start_server "$STAGE"
	local h=$BATS_TEST_TMPDIR/post.h set sid other
	equal "status of POST /logging.py" 303 "$(post /logging.py -d 'name=%E5%B0%8F%E6%98%8E%3Cb%3E')"
	equal "its Location" /logging.py "$(header Location "$h")"
	set=$(header Set-Cookie "$h")
	[[ $set =~ ^sid=[0-9a-f]{32}\;\ Path=/\;\ HttpOnly\;\ SameSite=Lax$ ]] ||
		{ echo "Set-Cookie: expected sid=<32 hex digits>; Path=/; HttpOnly; SameSite=Lax, got $set" >&2; return 1; }
	sid=${set%%;*}
	# The cookie alone says who it is; the name is shown escaped.
	equal "greeting with the cookie" '<p>你好，小明&lt;b&gt;。</p>' "$(curl -s -b "$sid" "http://127.0.0.1:$PORT/logging.py" | grep -o '<p>你好.*</p>')"
	get /logging.py | grep -q 'Not logged in'
	curl -s -b sid=0123456789abcdef0123456789abcdef "http://127.0.0.1:$PORT/logging.py" | grep -q 'Not logged in'
	# A second login is another session, with another id.
	post /logging.py -d name=second >/dev/null
	other=$(header Set-Cookie "$h")
	other=${other%%;*}
	[ "$other" != "$sid" ]
	# Logout: the browser is told to drop the cookie, and the server forgets it.
	equal "status of POST /exiting.py" 303 "$(post /exiting.py -b "$sid")"
	equal "Set-Cookie of the logout" "sid=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" "$(header Set-Cookie "$h")"
	equal "the old cookie, sent again after the logout" "<p>Not logged in.</p>" \
		"$(curl -s -b "$sid" "http://127.0.0.1:$PORT/logging.py" | grep -o '<p>Not logged in.</p>')"
	curl -s -b "$other" "http://127.0.0.1:$PORT/logging.py" | grep -q '你好，second'
	equal "status of a name too long" 400 "$(post /logging.py -d "name=$(head -c 65 /dev/zero | tr '\0' a)")"
}

@test "hello: 302 takes 360buy to jd (the notes' example); a POST redirected by 301-303 comes back a GET, by 307 and 308 a POST" {
	SERVER_BIN=$HELLO_BIN start_server "$STAGE"
	local s got=
	equal "status and Location of /360buy.py" "302 http://127.0.0.1:$PORT/jd.py" \
		"$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$PORT/360buy.py")"
	curl -sL "http://127.0.0.1:$PORT/360buy.py" | grep -q 'jd.com'
	for s in 301 302 303 307 308; do
		equal "status and Location of POST /redirect/$s.py" "$s http://127.0.0.1:$PORT/method.py" \
			"$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -d x "http://127.0.0.1:$PORT/redirect/$s.py")"
		got="$got $s:$(curl -sL -d x "http://127.0.0.1:$PORT/redirect/$s.py")"
	done
	equal "the method curl -L comes back with" " 301:GET 302:GET 303:GET 307:POST 308:POST" "$got"
	equal "status of /redirect/304.py" 404 "$(code /redirect/304.py -d x)"
}

# code_of FILE...: the C without its comments and string literals.
code_of() {
	sed -e 's|/\*.*\*/||g' -e '/^[[:space:]]*\*/d' -e '/^[[:space:]]*\/\*/d' -e 's/"[^"]*"//g' "$@"
}

# includes FILE...: the project headers each file includes, as "file header".
includes() {
	local f
	for f in "$@"; do
		sed -n 's/^#include "\(.*\)"$/\1/p' "$f" | sed "s|^|${f##*/} |"
	done
}

@test "the server and the application share only app.h" {
	local fw=$ROOT/$STAGE f bad
	# The application's files include app.h, their own headers, and of
	# common/ only lab.h and hexdig.h (app.h says so); nothing of the server.
	bad=$(includes "$fw"/framework.c "$fw"/form.c "$fw"/html.c "$fw"/favourites.c "$fw"/hello.c \
		"$fw"/store_*.c "$fw"/framework.h "$fw"/form.h "$fw"/html.h "$fw"/store.h |
		grep -vE ' (app|framework|form|html|store|lab|hexdig)\.h$' || true)
	equal "project headers the application includes beyond app.h, its own, lab.h and hexdig.h" "" "$bad"
	# The server includes app.h and common/, none of the application's headers.
	bad=$(includes "$fw/server.c" | grep -E ' (framework|form|html|store)\.h$' || true)
	equal "application headers server.c includes" "" "$bad"
	for f in $(includes "$fw/server.c" | cut -d' ' -f2); do
		[ "$f" = app.h ] || [ -f "$ROOT/common/$f" ] || { echo "server.c includes $f, not in common/" >&2; return 1; }
	done
	# The server calls no route, page or store; the applications, no socket.
	code_of "$fw/server.c" | grep -q app_call
	not grep -nE 'ROUTE|regexec|store_|site_|favourite|province' <(code_of "$fw/server.c")
	not grep -nwE 'socket|recv|send|accept|listen|bind|setsockopt' <(code_of "$fw/framework.c" \
		"$fw/favourites.c" "$fw/hello.c" "$fw/store_file.c" "$fw/store_sqlite.c")
	# and the route table is filled where the handlers are defined
	[ "$(grep -c '^ROUTE' "$fw/favourites.c")" = 6 ]
	not grep -n 'regexec\|strcmp(.*path' "$fw/favourites.c"
}
