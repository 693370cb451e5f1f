#!/usr/bin/env bats
# 10-framework.bats: the server/application split of notes 四, the POST of
# 1.3, request bodies (common/body.c), and favourites that are never lost.
# NETLAB_STORE=sqlite runs them on the SQLite store. make test runs both,
# the second time without the tests tagged no-store (request bodies,
# keep-alive, the hello application, the file store's own format): they
# do the same work whichever store is built in. The req_fav_ checks are
# the URL contract make grade holds a student's application to
# (require.bash); the lines beside them are netlab's own pages.

load helpers
load require

STAGE=10-framework
STORE=${NETLAB_STORE:-file}
FAV_BIN=$BIN/$STAGE/server-favourites-$STORE
HELLO_BIN=$BIN/$STAGE/server-hello

setup_file() {
	make_docroot
}

# A full disk needs a small file system of the test's own: a tmpfs in a
# mount namespace that only a sleeping process (NS_PID) and the servers
# started in it (through SERVER_WRAP) see. When they end, the namespace
# and the tmpfs go with them: nothing is left mounted, whatever happens.

# ns_begin SIZE: a tmpfs of SIZE on $STATE, in a namespace of its own.
ns_begin() {
	[ "$(id -u)" = 0 ] || skip "a tmpfs of its own needs root"
	command -v unshare >/dev/null && command -v nsenter >/dev/null || skip "unshare and nsenter needed"
	unshare -m true 2>/dev/null || skip "no mount namespaces here"
	STATE=$BATS_TEST_TMPDIR/state
	mkdir -p "$STATE"
	unshare -m --propagation private sleep 300 3>&- &
	NS_PID=$!
	# unshare execs sleep once the namespace is made: wait for that.
	in_own_ns() { [ "$(readlink "/proc/$NS_PID/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]; }
	eventually in_own_ns
	in_ns mount -t tmpfs -o size="$1" netlab-test "$STATE"
	SERVER_WRAP=(nsenter -t "$NS_PID" -m --)
}

# in_ns CMD...: run CMD in the test's namespace.
in_ns() {
	nsenter -t "$NS_PID" -m -- "$@"
}

teardown() {
	local rc=0
	stop_server || rc=$?
	if [ -n "${NS_PID:-}" ]; then
		kill "$NS_PID" 2>/dev/null || true
		wait "$NS_PID" 2>/dev/null || true
	fi
	return "$rc"
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

# favourite_ids: the district_ids on /collect.py, in order, one per line
# (the page read by bash: a test asks for it dozens of times).
favourite_ids() {
	local line re='.*action="/collect/([0-9]+)\.py"'
	get /collect.py >"$BATS_TEST_TMPDIR/collect.page"
	while IFS= read -r line; do
		[[ $line =~ $re ]] && printf '%s\n' "${BASH_REMATCH[1]}"
	done <"$BATS_TEST_TMPDIR/collect.page"
	return 0
}

# heading FILE, message FILE, notice FILE: the <h1>, the first <p>, and the
# <p class="notice"> of a page.
heading() {
	line_parts '^<h1>(.*)</h1>$' "$1"
}
message() {
	line_parts '^<p>(.*)</p>$' "$1" 1
}
notice() {
	line_parts '^<p class="notice">(.*)</p>$' "$1"
}

# line_parts ERE FILE [MAX]: of each line of FILE that ERE matches (the
# first MAX only, if given), the part its first group matched.
line_parts() {
	local line n=0
	while IFS= read -r line; do
		[[ $line =~ $1 ]] || continue
		printf '%s\n' "${BASH_REMATCH[1]}"
		n=$((n + 1))
		[ "$n" != "${3:-}" ] || break
	done <"$2"
	return 0
}

# html_escape: stdin escaped as the pages escape text.
html_escape() {
	sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' -e "s/'/\\&#39;/g"
}

# urlencode STRING: every byte as %XX, as a form may send it.
urlencode() {
	printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n' | sed 's/../%&/g'
}

# posts_at_once PATH [-d DATA] [PATH [-d DATA]]...: POST to every PATH
# (with DATA as its body, or none) at once: one curl opens all the
# connections together (--parallel). Their status codes, one a line, are
# in $BATS_TEST_TMPDIR/codes.
posts_at_once() {
	local argv=() n=0
	while [ "$#" -gt 0 ]; do
		[ "$n" = 0 ] || argv+=(--next)
		argv+=(-s -m 20 -o /dev/null -w '%{http_code}\n' -X POST)
		if [ "${2:-}" = -d ]; then
			argv+=(--data-raw "$3" "http://127.0.0.1:$PORT$1")
			shift 3
		else
			argv+=("http://127.0.0.1:$PORT$1")
			shift
		fi
		n=$((n + 1))
	done
	curl --no-progress-meter -Z --parallel-immediate --parallel-max "$n" "${argv[@]}" >"$BATS_TEST_TMPDIR/codes" || true
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

# bats test_tags=no-store
@test "-h names the application's data directory (-s)" {
	run "$FAV_BIN" -h
	equal "exit status of $FAV_BIN -h" 0 "$status"
	contains "output of $FAV_BIN -h" "-s DIR" "$output"
	contains "output of $FAV_BIN -h" "/10-framework/data" "$output"
	contains "output of $FAV_BIN -h" "curl " "$output"
}

@test "GET /show.py lists the 34 provinces, each with a form that POSTs /show/<id>.py" {
	fav_start
	req_fav_show
	curl -s -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/b" "http://127.0.0.1:$PORT/show.py"
	expect_output "status line of GET /show.py" "HTTP/1.1 200 OK" status_line "$BATS_TEST_TMPDIR/h"
	expect_output "its Content-Type" "text/html; charset=utf-8" header Content-Type "$BATS_TEST_TMPDIR/h"
	equal "its Content-Length (the page's size)" "$(wc -c <"$BATS_TEST_TMPDIR/b")" \
		"$(header Content-Length "$BATS_TEST_TMPDIR/h")"
	equal "forms that POST /show/<id>.py" 34 "$(grep -c '<form method="post" action="/show/[0-9]*\.py">' "$BATS_TEST_TMPDIR/b")"
	local row page
	page=$(cat "$BATS_TEST_TMPDIR/b")
	for row in '<th>district_id</th><th>pid</th><th>district</th><th>level</th>' \
		'<td>12</td><td>0</td><td>天津市</td><td>1</td>' '<td>65</td><td>0</td><td>新疆维吾尔自治区</td><td>1</td>'; do
		contains "/show.py" "$row" "$page"
	done
	# HEAD: the same head, no body.
	curl -s -I -o /dev/null -D "$BATS_TEST_TMPDIR/hh" "http://127.0.0.1:$PORT/show.py"
	equal "Content-Length of HEAD /show.py (GET's page size)" "$(wc -c <"$BATS_TEST_TMPDIR/b")" \
		"$(header Content-Length "$BATS_TEST_TMPDIR/hh")"
}

@test "POST /show/<id>.py adds once, answers 303 to /collect.py; an unknown id is a real 404" {
	fav_start
	req_fav_add
	req_fav_unknown
	expect_output "status of POST /show/12.py" 303 post /show/12.py
	expect_output "Location after adding 12 again" "/collect.py?already=12" header Location "$BATS_TEST_TMPDIR/post.h"
	expect_output "status of POST /show/12.py" 303 post /show/12.py
	expect_output "status of POST /show/44.py" 303 post /show/44.py
	expect_output "Location after adding 44" /collect.py header Location "$BATS_TEST_TMPDIR/post.h"
	expect_output "favourites on /collect.py" "12 44 " joined favourite_ids
	contains "/collect.py" '<td>44</td><td>0</td><td>广东省</td><td>1</td>' "$(get /collect.py)"
	expect_output "status of POST /show/99.py" 404 post /show/99.py
	expect_output "heading of the 404 for POST /show/99.py" "404 找不到" heading "$BATS_TEST_TMPDIR/post"
	expect_output "status of POST /show/0012345678901234567890.py" 404 post /show/0012345678901234567890.py
	expect_output "favourites on /collect.py" "12 44 " joined favourite_ids
	# A browser follows the 303 with a GET.
	equal "status and URL curl -L ends at after POST /show/13.py" "200 http://127.0.0.1:$PORT/collect.py" \
		"$(curl -s -L -o /dev/null -w '%{http_code} %{url_effective}' -d '' "http://127.0.0.1:$PORT/show/13.py")"
}

@test "adding a favourite twice: 303 to /collect.py, which says 您已经收藏了; the 已收藏 button cannot post" {
	fav_start
	expect_output "status of the first POST /show/12.py" 303 post /show/12.py
	expect_output "Location of the first" /collect.py header Location "$BATS_TEST_TMPDIR/post.h"
	expect_output "status of the second POST /show/12.py" 303 post /show/12.py
	expect_output "Location of the second" "/collect.py?already=12" header Location "$BATS_TEST_TMPDIR/post.h"
	expect_output "favourites after adding 12 twice" 12 favourite_ids
	# A browser follows the 303 to the notice, as the notes' page said it.
	curl -s -L -d '' -o "$BATS_TEST_TMPDIR/p" "http://127.0.0.1:$PORT/show/12.py"
	equal "notice on the page the second add leads to" "您已经收藏了天津市，请勿重复收藏。" \
		"$(notice "$BATS_TEST_TMPDIR/p")"
	# Only for a favourite that is one, and only when asked.
	local q
	for q in '' '?already=13' '?already=abc' '?already=12x' '?already='; do
		get "/collect.py$q" >"$BATS_TEST_TMPDIR/p"
		expect_output "notice on /collect.py$q" "" notice "$BATS_TEST_TMPDIR/p"
	done
	# On /show.py the added one is marked, and its button is disabled.
	get /show.py >"$BATS_TEST_TMPDIR/show"
	equal "disabled 已收藏 buttons on /show.py" \
		'<form method="post" action="/show/12.py"><button disabled>已收藏</button></form>' \
		"$(grep -o '<form[^>]*><button disabled>[^<]*</button></form>' "$BATS_TEST_TMPDIR/show")"
	equal "收藏 buttons that post" 33 "$(grep -c '<button>收藏</button>' "$BATS_TEST_TMPDIR/show")"
}

@test "the application's pages say what went wrong in Chinese; the status line keeps HTTP's English" {
	fav_start
	expect_output "status of POST /show/99.py" 404 post /show/99.py
	equal "its status line" "HTTP/1.1 404 Not Found" "$(head -n 1 "$BATS_TEST_TMPDIR/post.h" | tr -d '\r')"
	expect_output "its heading" "404 找不到" heading "$BATS_TEST_TMPDIR/post"
	expect_output "its message" "没有这个 district_id 的省份。" message "$BATS_TEST_TMPDIR/post"
	expect_output "status of POST /collect/13.py" 404 post /collect/13.py
	expect_output "its message" "这个省份不在您的收藏里。" message "$BATS_TEST_TMPDIR/post"
	post /show/12.py >/dev/null
	expect_output "status of a remark that is not UTF-8" 400 post /collect/12/note.py --data-raw 'remark=%FF'
	equal "its status line" "HTTP/1.1 400 Bad Request" "$(head -n 1 "$BATS_TEST_TMPDIR/post.h" | tr -d '\r')"
	expect_output "its message" "备注不是有效的 UTF-8 文本。" message "$BATS_TEST_TMPDIR/post"
	expect_output "status of a form without a remark" 400 post /collect/12/note.py --data-raw 'other=x'
	expect_output "its message" "表单里没有 remark 这一项。" message "$BATS_TEST_TMPDIR/post"
	equal "status of a remark as text/plain" 415 \
		"$(post /collect/12/note.py -H 'Content-Type: text/plain' --data-raw 'remark=x')"
	expect_output "its heading" "415 不支持的内容类型" heading "$BATS_TEST_TMPDIR/post"
	curl -s -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/b" "http://127.0.0.1:$PORT/show/12.py"
	equal "status line of GET /show/12.py" "HTTP/1.1 405 Method Not Allowed" \
		"$(head -n 1 "$BATS_TEST_TMPDIR/h" | tr -d '\r')"
	equal "its message" "这个地址只接受 POST。修改数据要用表单提交（POST），不能靠点链接（GET）。" \
		"$(message "$BATS_TEST_TMPDIR/b")"
	equal "the body of a 303" '<p>请看<a href="/collect.py">下一页</a>。</p>' \
		"$(post /show/13.py >/dev/null; grep '^<p>' "$BATS_TEST_TMPDIR/post")"
}

@test "POST /collect/<id>.py deletes and answers 303; an unknown id is 404" {
	fav_start
	req_fav_delete
	post /show/11.py >/dev/null
	post /show/31.py >/dev/null
	expect_output "status of POST /collect/11.py" 303 post /collect/11.py
	expect_output "Location header" /collect.py header Location "$BATS_TEST_TMPDIR/post.h"
	expect_output "favourites on /collect.py" 31 favourite_ids
	expect_output "status of POST /collect/11.py" 404 post /collect/11.py
	expect_output "status of POST /collect/99.py" 404 post /collect/99.py
	expect_output "status of POST /collect/31.py" 303 post /collect/31.py
	expect_output "favourites on /collect.py" "" favourite_ids
	contains "/collect.py" '还没有收藏' "$(get /collect.py)"
}

# bats test_tags=no-store
@test "a page longer than a handler's line buffer is sent whole, and the server lives on" {
	fav_start
	local long
	long=$(head -c 3000 /dev/zero | tr '\0' y)
	curl -s -m 5 -H "X-Long: $long" -d a=1 -o "$BATS_TEST_TMPDIR/echo" -w '%{http_code}' \
		"http://127.0.0.1:$PORT/echo" >"$BATS_TEST_TMPDIR/code" || true
	equal "status of POST /echo with a 3,000-byte header" 200 "$(cat "$BATS_TEST_TMPDIR/code")"
	equal "X-Long line of what /echo sent back" "X-Long: $long" "$(grep '^X-Long:' "$BATS_TEST_TMPDIR/echo")"
	expect_output "status of GET /show.py after it" 200 code /show.py
}

@test "GET on a POST-only URL is 405 with Allow; POST on a page is 405 too" {
	fav_start
	curl -s -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/b" "http://127.0.0.1:$PORT/show/12.py"
	expect_output "status line of GET /show/12.py" "HTTP/1.1 405 Method Not Allowed" status_line "$BATS_TEST_TMPDIR/h"
	expect_output "its Allow" POST header Allow "$BATS_TEST_TMPDIR/h"
	expect_output "heading of the 405 for GET /show/12.py" "405 不允许这个方法" heading "$BATS_TEST_TMPDIR/b"
	codes_are 405 /echo -- 405 /collect/12/note.py
	expect_output "status of POST /show.py" 405 post /show.py
	expect_output "Allow header" "GET, HEAD" header Allow "$BATS_TEST_TMPDIR/post.h"
	expect_output "favourites after those GETs (a GET never changes anything)" "" favourite_ids
	req_fav_get_safe
}

@test "regex routes match the whole path, dots escaped: near misses are 404" {
	fav_start
	local p asks=(405 /show/12.py)   # the route exists (for POST)
	for p in /show/12xpy /show/12.pyx /show/12.pyx.py /show/123py.py /show/x12.py /show/.py /show/12/.py /show/12.py/ \
		/show/1.2.py /xshow/12.py /show/12.p /collect/12xpy /collect/12/notexpy \
		/collect/12/note.py.bak /collect/x/note.py /show.pyx /showxpy /Show.py; do
		asks+=(-- 404 "$p")
	done
	codes_are "${asks[@]}"
	# and a POST to a near miss adds nothing: it names nothing, so 404
	expect_output "status of POST /show/12xpy" 404 post /show/12xpy
	expect_output "status of POST /nope.html" 404 post /nope.html
	expect_output "favourites after POSTs to near misses" "" favourite_ids
	req_fav_routes
}

@test "an unknown path is a real 404 page; other paths are static files" {
	fav_start
	req_fav_not_found
	curl -s -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/b" "http://127.0.0.1:$PORT/nothing.py"
	expect_output "status line of GET /nothing.py" "HTTP/1.1 404 Not Found" status_line "$BATS_TEST_TMPDIR/h"
	equal "heading of its page" "<h1>404 Not Found</h1>" "$(grep -o '<h1>[^<]*</h1>' "$BATS_TEST_TMPDIR/b")"
	curl -s -o "$BATS_TEST_TMPDIR/about" "http://127.0.0.1:$PORT/about.html"
	same_bytes "body of GET /about.html" "$BATS_TEST_TMPDIR/about" "$DOCROOT/about.html"
}

@test "a remark: UTF-8, +, %XX, /, <script>, tab and newline stored exactly, shown escaped" {
	local remark expected page
	remark=$'我的 最爱/a+b=c&d <script>alert("x\'y")</script>\tTAB\nline two\r\nthree'
	fav_start
	post /show/33.py >/dev/null
	# as a browser sends it: + for spaces, %XX for the rest
	equal "status of POST /collect/33/note.py with remark=$remark" 303 \
		"$(post /collect/33/note.py --data-raw "remark=$(urlencode "$remark" | sed 's/%20/+/g')")"
	expect_output "Location header" /collect.py header Location "$BATS_TEST_TMPDIR/post.h"
	expected=$(printf '%s' "$remark" | html_escape)
	into page get /collect.py
	contains "/collect.py" "<td class=\"remark\">$expected</td>" "$page"
	contains "/collect.py" "cols=\"24\">"$'\n'"$expected</textarea>" "$page"
	lacks "/collect.py" "<script>" "$page"
	# still exactly so after a restart: the bytes were stored, not the HTML
	stop_server
	fav_start
	contains "/collect.py after a restart" "<td class=\"remark\">$expected</td>" "$(get /collect.py)"
	req_fav_remark
}

@test "a remark holding the store's delimiters cannot forge a record" {
	local forged expected
	forged=$'x\n11 0\n\nend 0 00000000\n13 5\nhello\n'
	fav_start
	post /show/12.py >/dev/null
	equal "status of POST /collect/12/note.py with remark=$forged" 303 \
		"$(post /collect/12/note.py --data-urlencode "remark=$forged")"
	equal "status of POST /collect/12/note.py with remark=$forged');DROP TABLE favourites;--" 303 \
		"$(post /collect/12/note.py --data-urlencode "remark=$forged"$'\');DROP TABLE favourites;--')"
	stop_server
	fav_start
	expect_output "favourites on /collect.py" 12 favourite_ids
	expected=$(printf '%s' "$forged"$'\');DROP TABLE favourites;--' | html_escape)
	contains "/collect.py after a restart" "<td class=\"remark\">$expected</td>" "$(get /collect.py)"
}

@test "a bad remark is a 400 page: invalid UTF-8, NUL, control bytes, bad %, too long" {
	fav_start
	post /show/12.py >/dev/null
	local body
	for body in 'remark=%FF' 'remark=%C0%AF' 'remark=%ED%A0%80' 'remark=%E4%BD' 'remark=a%00b' \
		'remark=%1B[31m' 'remark=%G1' 'remark=%4' 'other=x'; do
		echo "$body"
		expect_output "status of POST /collect/12/note.py --data-raw \"$body\"" 400 post /collect/12/note.py --data-raw "$body"
		expect_output "heading of the 400 for $body" "400 请求有误" heading "$BATS_TEST_TMPDIR/post"
	done
	equal "status of a remark of 1001 x" 400 \
		"$(post /collect/12/note.py --data-raw "remark=$(head -c 1001 /dev/zero | tr '\0' x)")"
	equal "status of a remark of 1000 x" 303 \
		"$(post /collect/12/note.py --data-raw "remark=$(head -c 1000 /dev/zero | tr '\0' x)")"
	# 333 Chinese characters are 999 bytes; 334 are too many
	equal "status of a remark of 334 中" 400 \
		"$(post /collect/12/note.py --data-raw "remark=$(urlencode "$(printf '中%.0s' $(seq 334))")")"
	equal "status of a remark of 333 中" 303 \
		"$(post /collect/12/note.py --data-raw "remark=$(urlencode "$(printf '中%.0s' $(seq 333))")")"
	expect_output "status of POST /collect/12/note.py -H 'Content-Type: text/plain' --data-raw 'remark=x'" 415 post /collect/12/note.py -H 'Content-Type: text/plain' --data-raw 'remark=x'
	equal "status of POST /collect/13/note.py --data-raw 'remark=x'" 404 "$(post /collect/13/note.py --data-raw 'remark=x')"   # not a favourite
	equal "status of POST /collect/99/note.py --data-raw 'remark=x'" 404 "$(post /collect/99/note.py --data-raw 'remark=x')"   # not a province
}

# bats test_tags=no-store
@test "POST /echo (notes 1.3) shows the method, headers and body as received" {
	fav_start
	curl -s -H 'Content-Type: application/json' -H 'Accept: application/json' \
		--data-raw '{"deviceCode": 1, "value": "中"}' "http://127.0.0.1:$PORT/echo?x=1" >"$BATS_TEST_TMPDIR/e"
	equal "first line /echo sent back" "POST /echo?x=1 HTTP/1.1" "$(head -n 1 "$BATS_TEST_TMPDIR/e")"
	equal "its Content-Type line" 'Content-Type: application/json' "$(grep '^Content-Type:' "$BATS_TEST_TMPDIR/e")"
	equal "its Content-Length line" 'Content-Length: 33' "$(grep '^Content-Length:' "$BATS_TEST_TMPDIR/e")"
	equal "its last line, the body" '{"deviceCode": 1, "value": "中"}' "$(tail -n 1 "$BATS_TEST_TMPDIR/e")"
}

# bats test_tags=no-store
@test "bodies by Content-Length and chunked, split across writes, arrive whole" {
	fav_start
	raw_slow 'POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 11\r\n' \
		'\r\nhel' 'lo w' 'orld' >"$BATS_TEST_TMPDIR/r"
	expect_output "status line for a body of 11 in three pieces" "HTTP/1.1 200 OK" status_line "$BATS_TEST_TMPDIR/r"
	equal "the body /echo sent back" 'hello world' "$(tail -n 1 "$BATS_TEST_TMPDIR/r")"
	# chunked, cut inside sizes, data and CRLFs, with an extension and a trailer
	raw_slow 'POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n' \
		'5\r' '\nhel' 'lo\r' '\n' '9;name=v' 'al\r\n wor' 'ld!!!\r\n0\r\nX-Trailer: 1\r' '\n\r' '\n' >"$BATS_TEST_TMPDIR/r"
	expect_output "status line for a chunked body in ten pieces" "HTTP/1.1 200 OK" status_line "$BATS_TEST_TMPDIR/r"
	equal "the body /echo sent back" 'hello world!!!' "$(tail -n 1 "$BATS_TEST_TMPDIR/r")"
	# curl's own chunked upload
	equal "the body /echo sent back for curl's chunked upload" 'remark=%E4%B8%AD' \
		"$(printf 'remark=%%E4%%B8%%AD' | curl -s -H 'Transfer-Encoding: chunked' --data-binary @- \
			"http://127.0.0.1:$PORT/echo" | tail -n 1)"
}

# bats test_tags=no-store
@test "a body over the limit is 413; broken chunked framing is 400" {
	fav_start
	raw_is 413 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n'
	raw_is 413 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n'
	raw_is 413 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n'
	# many chunks that add up to more than the limit
	head -c 1100000 /dev/zero | tr '\0' a | curl -s -o /dev/null -w '%{http_code}' \
		-H 'Transfer-Encoding: chunked' --data-binary @- "http://127.0.0.1:$PORT/echo" >"$BATS_TEST_TMPDIR/c" || true
	equal "status of a chunked body of 1,100,000 bytes" 413 "$(cat "$BATS_TEST_TMPDIR/c")"
	raw_is 400 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n'
	raw_is 400 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n'
	raw_is 400 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n'
	raw_is 400 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n'
	code_is 200 /about.html
}

# bats test_tags=no-store
@test "a body of exactly the limit (1 MiB) is accepted, by length or chunked; one byte more is 413" {
	local T=$BATS_TEST_TMPDIR how
	fav_start -q
	head -c 1048576 /dev/zero | tr '\0' a >"$T/limit"
	for how in Content-Length chunked; do
		local args=(-s -m 20 -o "$T/e" -w '%{http_code}' --data-binary @"$T/limit")
		[ "$how" = Content-Length ] || args+=(-H 'Transfer-Encoding: chunked')
		equal "status of a body of 1,048,576 bytes, by $how" 200 \
			"$(curl "${args[@]}" "http://127.0.0.1:$PORT/echo" || true)"
		tail -c 1048576 "$T/e" | cmp - "$T/limit"
	done
	printf 'a' >>"$T/limit"
	equal "status of a chunked body of 1,048,577 bytes" 413 \
		"$(curl -s -m 20 -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
			--data-binary @"$T/limit" "http://127.0.0.1:$PORT/echo" || true)"
	equal "status of Content-Length: 1048577" 413 \
		"$(status_of 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n')"
}

# bats test_tags=no-store
@test "chunked: 0 CRLF LF is 400 at once, a control byte in an extension is 400, endless extensions are 413 before -T" {
	local start took fd writer line
	fav_start -q -t 5 -T 4
	start=${EPOCHREALTIME//[!0-9]/}000
	equal "status of a chunked body ending 0\\r\\n\\n" 400 \
		"$(status_of 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n')"
	between "ms until that 400 (not a timeout)" 0 1500 "$(ms_since "$start")"
	equal "status of a chunk extension holding \\x01" 400 \
		"$(status_of 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\x01b\r\nhello\r\n0\r\n\r\n')"
	# A size line whose extension goes on past the limit, sent as fast as it goes.
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	start=${EPOCHREALTIME//[!0-9]/}000
	{
		printf 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;'
		head -c 1100000 /dev/zero | tr '\0' x
	} >&"$fd" 2>/dev/null &
	writer=$!
	IFS= read -r -t 8 -u "$fd" line || true
	into took ms_since "$start"
	kill "$writer" 2>/dev/null || true
	wait "$writer" 2>/dev/null || true
	exec {fd}>&-
	equal "status of a chunk size followed by 1,100,000 extension bytes" 413 "$(cut -d' ' -f2 <<<"$line")"
	between "ms until that 413 (-T is 4 s)" 0 3000 "$took"
}

# bats test_tags=no-store
@test "Expect: 100-continue gets 100 before the body, or 413 instead of it" {
	fav_start
	local fd
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n' >&"$fd"
	IFS= read -r -t 5 line <&"$fd"
	equal "first line for Expect: 100-continue, before the body" "HTTP/1.1 100 Continue" "${line%$'\r'}"
	printf 'hi' >&"$fd"
	timeout 5 cat <&"$fd" >"$BATS_TEST_TMPDIR/r"
	exec {fd}>&-
	expect_output "statuses once the body came" "200 " statuses_in "$BATS_TEST_TMPDIR/r"
	equal "the body /echo sent back" hi "$(tail -n 1 "$BATS_TEST_TMPDIR/r")"
	# too large: refused at once, no 100 and no waiting for the body
	raw 'POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2000000\r\n\r\n' >"$BATS_TEST_TMPDIR/r"
	expect_output "statuses for Expect: 100-continue and 2,000,000 bytes" "413 " statuses_in "$BATS_TEST_TMPDIR/r"
	raw_is 417 'POST /echo HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\nhi'
}

# bats test_tags=no-store
@test "HTTP/1.0 with Expect: 100-continue gets no 100 Continue (RFC 9110 10.1.1)" {
	local T=$BATS_TEST_TMPDIR
	fav_start -q
	ask_pieces 0.5 'POST /echo HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n' 'hi' >/dev/null
	equal "first line of the reply" "HTTP/1.1 200 OK" "$(head -n 1 "$T/ex.reply" | tr -d '\r')"
	not grep -q '100 Continue' "$T/ex.reply"
	equal "the body echoed" hi "$(tail -n 1 "$T/ex.reply")"
}

# bats test_tags=no-store
@test "a body trickling in a byte every 0.5 s, each gap under -t, gets 408 at the -T deadline" {
	fav_start -q -t 2 -T 4
	trickle 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n' 0.5 24 10
	equal "status line" "HTTP/1.1 408 Request Timeout" "$TRICKLED_LINE"
	# -T is 4 s; the clock counts whole seconds, and a byte comes every 0.5 s.
	between "ms from the head until the 408 (the body would take 50 s)" 3500 6500 "$TRICKLED_MS"
}

# bats test_tags=no-store
@test "a body that stops arriving gets 408, and others are served meanwhile" {
	fav_start -t 1
	local fd
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc' >&"$fd"
	code_is 200 /show.py -m 2
	timeout 5 cat <&"$fd" >"$BATS_TEST_TMPDIR/r"
	exec {fd}>&-
	equal "status line for a body of 10 that stopped after 3" "HTTP/1.1 408 Request Timeout" \
		"$(status_line "$BATS_TEST_TMPDIR/r")"
}

# bats test_tags=no-store
@test "keep-alive: a browser's requests share one connection, bodies and all" {
	fav_start
	curl -sv -o /dev/null "http://127.0.0.1:$PORT/show.py" --next -o /dev/null -d 'a=1' \
		"http://127.0.0.1:$PORT/echo" --next -o /dev/null "http://127.0.0.1:$PORT/collect.py" \
		2>"$BATS_TEST_TMPDIR/v"
	equal "200s for GET, POST, GET" 3 "$(grep -c '^< HTTP/1.1 200' "$BATS_TEST_TMPDIR/v")"
	equal "connections curl opened for the three" 1 "$(grep -c '^\* Connected to' "$BATS_TEST_TMPDIR/v")"
	# pipelined: a chunked POST, then a GET, in one write
	raw 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nGET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$BATS_TEST_TMPDIR/r"
	# the echo's body ends without a newline, so the second head follows on its line
	equal "200s for a chunked POST and a GET in one write" 2 "$(grep -o 'HTTP/1.1 200 OK' "$BATS_TEST_TMPDIR/r" | wc -l)"
	equal "the line where the echo's body ends and the second response begins" "okHTTP/1.1 200 OK" \
		"$(grep -a '^okHTTP' "$BATS_TEST_TMPDIR/r" | tr -d '\r')"
}

# bats test_tags=no-store
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
	local ids i posts page
	fav_start
	ids=($(get /show.py | sed -n 's|.*action="/show/\([0-9]*\)\.py".*|\1|p'))
	equal "provinces on /show.py" 34 "${#ids[@]}"
	posts=()
	for i in "${ids[@]}"; do
		posts+=("/show/$i.py")
	done
	posts_at_once "${posts[@]}"
	equal "303s for 34 parallel adds" 34 "$(grep -c '^303$' "$BATS_TEST_TMPDIR/codes")"
	equal "favourites, sorted" "$(printf '%s\n' "${ids[@]}" | sort | tr '\n' ' ')" \
		"$(favourite_ids | sort | tr '\n' ' ')"
	# 17 deletes, 17 remarks and 16 repeated adds, all at once
	posts=()
	for ((i = 0; i <= 16; i++)); do
		posts+=("/collect/${ids[i]}.py" "/collect/${ids[i + 17]}/note.py" -d "remark=note+${ids[i + 17]}")
		[ "$i" = 16 ] || posts+=("/show/${ids[i + 17]}.py")
	done
	posts_at_once "${posts[@]}"
	equal "303s for 50 parallel deletes, remarks and adds" 50 "$(grep -c '^303$' "$BATS_TEST_TMPDIR/codes")"
	stop_server
	fav_start
	equal "favourites after a restart, sorted" "$(printf '%s\n' "${ids[@]:17}" | sort | tr '\n' ' ')" \
		"$(favourite_ids | sort | tr '\n' ' ')"
	page=$(get /collect.py)
	for ((i = 17; i <= 33; i++)); do
		contains "/collect.py after a restart" "<td class=\"remark\">note ${ids[i]}</td>" "$page"
	done
}

@test "kill -9 right after the 303: the change is there after a restart" {
	fav_start
	SERVER_BIN=$FAV_BIN req_fav_kill
	expect_output "status of POST /show/37.py" 303 post /show/37.py
	expect_output "status of POST /collect/37/note.py --data-raw 'remark=%E5%B1%B1%E4%B8%9C'" 303 post /collect/37/note.py --data-raw 'remark=%E5%B1%B1%E4%B8%9C'
	kill -KILL "$SERVER_PID"
	wait "$SERVER_PID" || true
	SERVER_PID=
	fav_start
	expect_output "favourites on /collect.py" 37 favourite_ids
	contains "/collect.py after kill -9" '<td class="remark">山东</td>' "$(get /collect.py)"
	expect_output "status of POST /collect/37.py" 303 post /collect/37.py
	kill -KILL "$SERVER_PID"
	wait "$SERVER_PID" || true
	SERVER_PID=
	fav_start
	expect_output "favourites after a delete and kill -9" "" favourite_ids
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
	equal "exit status of timeout 5 $FAV_BIN -p 0 -s $STATE -d $DOCROOT" 1 "$status"
	contains "output of timeout 5 $FAV_BIN -p 0 -s $STATE -d $DOCROOT" "damaged" "$output"
	# the file was not touched, and the whole one still loads
	equal "bytes of the truncated store after the refusal (untouched)" $((size / 2)) "$(stat -c %s "$f")"
	cp "$BATS_TEST_TMPDIR/whole" "$f"
	fav_start
	expect_output "favourites on /collect.py" "11 12 " joined favourite_ids
}

# bats test_tags=no-store
@test "file store: a half-written temporary file from a crash is ignored" {
	[ "$STORE" = file ] || skip "the file store's own format"
	fav_start
	post /show/11.py >/dev/null
	stop_server
	printf 'netlab favourites 1\n13 0\n\n14 ' >"$STATE/favourites.tmp"
	fav_start
	expect_output "favourites on /collect.py" 11 favourite_ids
	equal "the half-written favourites.tmp after a start (removed)" "" "$(ls "$STATE/favourites.tmp" 2>/dev/null)"
	# one bit flipped: the checksum catches it
	stop_server
	sed -i 's/^11 0$/12 0/' "$STATE/favourites"
	run timeout 5 "$FAV_BIN" -p 0 -s "$STATE" -d "$DOCROOT"
	equal "exit status of timeout 5 $FAV_BIN -p 0 -s $STATE -d $DOCROOT" 1 "$status"
	contains "output of timeout 5 $FAV_BIN -p 0 -s $STATE -d $DOCROOT" "trailer" "$output"
}

# bats test_tags=no-store
@test "file store: a second server on the same data is refused" {
	[ "$STORE" = file ] || skip "SQLite locks its file itself"
	fav_start
	run timeout 5 "$FAV_BIN" -p 0 -s "$STATE" -d "$DOCROOT"
	equal "exit status of timeout 5 $FAV_BIN -p 0 -s $STATE -d $DOCROOT" 1 "$status"
	contains "output of timeout 5 $FAV_BIN -p 0 -s $STATE -d $DOCROOT" "another server" "$output"
}

# bats test_tags=no-store
@test "file store: an add fsyncs the temporary file, renames it, then fsyncs the directory" {
	[ "$STORE" = file ] || skip "the file store's own steps"
	command -v strace >/dev/null || skip "strace not installed"
	strace -o /dev/null true 2>/dev/null || skip "strace cannot trace here"
	local T=$BATS_TEST_TMPDIR tracer
	fav_start -q
	# kill -9 cannot tell a missing fsync: only the system calls show it.
	strace -f -y -e trace=fsync,fdatasync,rename,renameat,renameat2 -o "$T/trace" \
		-p "$SERVER_PID" 2>/dev/null &
	tracer=$!
	traced() { [ "$(awk '$1 == "TracerPid:" { print $2 }' "/proc/$SERVER_PID/status")" != 0 ]; }
	eventually traced
	expect_output "status of POST /show/12.py" 303 post /show/12.py
	kill -INT "$tracer"
	wait "$tracer" || true
	# Each call, named by what it acted on (strace -y shows a descriptor's path).
	sed -nE -e 's/^[0-9]+ +//' \
		-e 's/^f(data)?sync\([0-9]+<.*\/favourites\.tmp>.*/fsync(favourites.tmp)/p' \
		-e 's/^rename[a-z0-9]*\(.*"favourites\.tmp".*"favourites".*/rename(favourites.tmp, favourites)/p' \
		-e "s|^f(data)?sync\\([0-9]+<$STATE>.*|fsync(the directory)|p" "$T/trace" >"$T/steps"
	equal "the steps of one add, in order" \
		"fsync(favourites.tmp) rename(favourites.tmp, favourites) fsync(the directory) " \
		"$(tr '\n' ' ' <"$T/steps")"
}

# crc32 STRING: the CRC-32 a store trailer holds, as 8 hex digits (gzip
# ends with the same CRC-32, least significant byte first).
crc32() {
	printf '%s' "$1" | gzip -c | tail -c 8 | head -c 4 | od -An -tx1 | awk '{ print $4 $3 $2 $1 }'
}

# bats test_tags=no-store
@test "file store: bytes after the trailer, or one id in two records, stop the server at start as damaged" {
	[ "$STORE" = file ] || skip "the file store's own format"
	local f records
	fav_start -q
	post /show/11.py >/dev/null
	post /show/12.py >/dev/null
	stop_server
	f=$STATE/favourites
	cp "$f" "$BATS_TEST_TMPDIR/whole"
	printf 'x\n' >>"$f"
	run timeout 5 "$FAV_BIN" -p 0 -s "$STATE" -d "$DOCROOT"
	equal "exit status with a byte after the trailer" 1 "$status"
	[[ "$output" == *"is damaged"* ]] || { echo "message: $output" >&2; false; }
	# written as the server writes it, count and CRC right: it loads
	records=$'netlab favourites 1\n13 0\n\n14 0\n\n'
	printf '%send 2 %s\n' "$records" "$(crc32 "$records")" >"$f"
	fav_start -q
	expect_output "ids of a store written by hand" "13 14 " joined favourite_ids
	stop_server
	# the same with one id twice
	records=$'netlab favourites 1\n13 0\n\n13 0\n\n'
	printf '%send 2 %s\n' "$records" "$(crc32 "$records")" >"$f"
	run timeout 5 "$FAV_BIN" -p 0 -s "$STATE" -d "$DOCROOT"
	equal "exit status with id 13 in two records" 1 "$status"
	[[ "$output" == *"is damaged"* ]] || { echo "message: $output" >&2; false; }
	cp "$BATS_TEST_TMPDIR/whole" "$f"
	fav_start -q
	expect_output "ids once the whole file is back" "11 12 " joined favourite_ids
}

@test "favourites are listed in the order they were added, whatever their ids" {
	fav_start -q
	local id
	for id in 44 12 31; do
		expect_output "status of POST /show/$id.py" 303 post "/show/$id.py"
	done
	expect_output "ids on /collect.py" "44 12 31 " joined favourite_ids
	stop_server
	fav_start -q
	expect_output "ids on /collect.py after a restart" "44 12 31 " joined favourite_ids
}

# check_refused WHY: a change refused by the disk: 500 (or 503) with a page
# that says so, and a line in the log; the favourites and the static files
# are served as before.
check_refused() {
	local code
	into code post /show/13.py
	expect_one_of "status of POST /show/13.py with $1" "500 503" "$code"
	grep -q '保存失败' "$BATS_TEST_TMPDIR/post" ||
		{ echo "the $code page: expected it to say 保存失败 (the change could not be saved), got: $(cat "$BATS_TEST_TMPDIR/post")" >&2; false; }
	eventually grep -Eq '^10-framework: (saving favourites|sqlite): ' "$SERVER_LOG" ||
		{ echo "the log: expected a line that says why, got: $(cat "$SERVER_LOG")" >&2; false; }
	expect_output "ids on /collect.py with $1" "11 12 " joined favourite_ids
	expect_output "status of GET /about.html with $1" 200 code /about.html
}

@test "a full disk: a change is 500 and says so, nothing stored is lost, and the server goes on" {
	ns_begin 80k
	fav_start -q
	expect_output "status of POST /show/11.py" 303 post /show/11.py
	expect_output "status of POST /show/12.py" 303 post /show/12.py
	in_ns sh -c 'cat /dev/zero >"$1/filler"' sh "$STATE" 2>/dev/null || true
	equal "KiB free on the data's file system" 0 "$(in_ns df -k --output=avail "$STATE" | tail -n 1 | tr -d ' ')"
	check_refused "a full disk"
	# the disk is still full: what was stored loads again
	stop_server
	fav_start -q
	expect_output "ids after a restart on the full disk" "11 12 " joined favourite_ids
	in_ns rm "$STATE/filler"
	expect_output "status of POST /show/13.py once there is room" 303 post /show/13.py
	expect_output "ids then" "11 12 13 " joined favourite_ids
}

# Root ignores file modes, and a file system cannot be remounted read-only
# while the server holds a file of it open for writing (SQLite always
# does): the server runs without CAP_DAC_OVERRIDE instead, so that a
# chmod binds it as it binds any other user.
@test "a read-only data directory: a change is 500 and says so, nothing stored is lost, and the server goes on" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	SERVER_WRAP=(setpriv --bounding-set=-dac_override,-dac_read_search --)
	fav_start -q
	expect_output "status of POST /show/11.py" 303 post /show/11.py
	expect_output "status of POST /show/12.py" 303 post /show/12.py
	chmod -R a-w "$STATE"
	check_refused "a read-only data directory"
	chmod -R u+w "$STATE"
	expect_output "status of POST /show/13.py once it is writable again" 303 post /show/13.py
	stop_server
	fav_start -q
	expect_output "ids after a restart" "11 12 13 " joined favourite_ids
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
		# one curl for the page's links (200) and forms (405: a POST route)
		local asks=()
		for link in $(grep -o 'href="[^"]*"' "$BATS_TEST_TMPDIR/p" | cut -d'"' -f2); do
			into target resolve "$page" "$link"
			echo "$page: href $link -> $target"
			asks+=(${asks[0]+--} 200 "$target")
			n=$((n + 1))
		done
		for link in $(grep -o 'action="[^"]*"' "$BATS_TEST_TMPDIR/p" | cut -d'"' -f2); do
			into target resolve "$page" "$link"
			echo "$page: action $link -> $target"
			asks+=(${asks[0]+--} 405 "$target")
			n=$((n + 1))
		done
		[ "${#asks[@]}" -eq 0 ] || codes_are "${asks[@]}"
	done
	between "links and forms followed" 41 1000 "$n"
}

@test "the data is found from any working directory (notes point 10)" {
	STATE=$BATS_TEST_TMPDIR/state
	cd "$BATS_TEST_TMPDIR"
	fav_start
	equal "forms on /show.py" 34 "$(get /show.py | grep -c '<form')"
	expect_output "status of POST /show/12.py" 303 post /show/12.py
	present "the store in $STATE" "$(find "$STATE" -maxdepth 1 -name 'favourites*' ! -name '*.lock' -size +0)"
}

# bats test_tags=no-store
@test "the second application (make APP=hello) runs on the same server" {
	SERVER_BIN=$HELLO_BIN start_server "$STAGE"
	run get /register.py
	if ! [[ "$output" =~ ^hello\ world!\ \ [0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8} ]]; then
		echo "body of GET /register.py: expected hello world!  YYYY-MM-DD HH:MM:SS, got $output" >&2
		return 1
	fi
	codes_are 404 /show.py -- 405 /register.py -X POST
	curl -s -o "$BATS_TEST_TMPDIR/about" "http://127.0.0.1:$PORT/about.html"
	same_bytes "body of GET /about.html" "$BATS_TEST_TMPDIR/about" "$DOCROOT/about.html"
	# /echo is the favourites' route: here the path names nothing
	equal "status of POST /echo" 404 "$(curl -s -d x "http://127.0.0.1:$PORT/echo" -o /dev/null -w '%{http_code}')"
}

# bats test_tags=no-store
@test "hello: the time page shows the time of each request, not the start's (the notes' now_time)" {
	SERVER_BIN=$HELLO_BIN start_server "$STAGE"
	local first second
	into first get /register.py
	sleep 1.1
	into second get /register.py
	[ "$first" != "$second" ] && return 0
	echo "GET /register.py 1.1 s after it said '$first': expected a later time, got the same" >&2
	return 1
}

# bats test_tags=no-store
@test "hello: a login is a random id in an HttpOnly, SameSite cookie; logout ends it on the server" {
	SERVER_BIN=$HELLO_BIN start_server "$STAGE"
	local h=$BATS_TEST_TMPDIR/post.h set sid other
	expect_output "status of POST /logging.py" 303 post /logging.py -d 'name=%E5%B0%8F%E6%98%8E%3Cb%3E'
	expect_output "its Location" /logging.py header Location "$h"
	into set header Set-Cookie "$h"
	[[ $set =~ ^sid=[0-9a-f]{32}\;\ Path=/\;\ HttpOnly\;\ SameSite=Lax$ ]] ||
		{ echo "Set-Cookie: expected sid=<32 hex digits>; Path=/; HttpOnly; SameSite=Lax, got $set" >&2; return 1; }
	sid=${set%%;*}
	# The cookie alone says who it is; the name is shown escaped.
	equal "greeting with the cookie" '<p>你好，小明&lt;b&gt;。</p>' "$(curl -s -b "$sid" "http://127.0.0.1:$PORT/logging.py" | grep -o '<p>你好.*</p>')"
	get /logging.py | grep -q 'Not logged in'
	curl -s -b sid=0123456789abcdef0123456789abcdef "http://127.0.0.1:$PORT/logging.py" | grep -q 'Not logged in'
	# A second login is another session, with another id.
	post /logging.py -d name=second >/dev/null
	into other header Set-Cookie "$h"
	other=${other%%;*}
	[ "$other" != "$sid" ]
	# Logout: the browser is told to drop the cookie, and the server forgets it.
	expect_output "status of POST /exiting.py" 303 post /exiting.py -b "$sid"
	expect_output "Set-Cookie of the logout" "sid=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" header Set-Cookie "$h"
	equal "the old cookie, sent again after the logout" "<p>Not logged in.</p>" \
		"$(curl -s -b "$sid" "http://127.0.0.1:$PORT/logging.py" | grep -o '<p>Not logged in.</p>')"
	curl -s -b "$other" "http://127.0.0.1:$PORT/logging.py" | grep -q '你好，second'
	equal "status of a name too long" 400 "$(post /logging.py -d "name=$(head -c 65 /dev/zero | tr '\0' a)")"
}

# bats test_tags=no-store
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
	expect_output "status of /redirect/304.py" 404 code /redirect/304.py -d x
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

# bats test_tags=no-store
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
	contains "server.c" app_call "$(code_of "$fw/server.c")"
	not grep -nE 'ROUTE|regexec|store_|site_|favourite|province' <(code_of "$fw/server.c")
	not grep -nwE 'socket|recv|send|accept|listen|bind|setsockopt' <(code_of "$fw/framework.c" \
		"$fw/favourites.c" "$fw/hello.c" "$fw/store_file.c" "$fw/store_sqlite.c")
	# and the route table is filled where the handlers are defined
	equal "ROUTE lines in favourites.c" 6 "$(grep -c '^ROUTE' "$fw/favourites.c")"
	not grep -n 'regexec\|strcmp(.*path' "$fw/favourites.c"
}
