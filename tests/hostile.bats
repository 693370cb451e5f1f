#!/usr/bin/env bats
# hostile.bats: what the open network does to a server, against every stage
# in turn (STAGES="..." picks some). Each case gets the right status or a
# clean close; afterwards every server still answers, and no byte from
# outside the docroot was ever sent (every raw reply is kept and searched).
# The req_ checks are what any correct server must do (require.bash); the
# exact statuses beside them are netlab's own choices.

load helpers
load require

# One test at a time, even where run.sh lets a file's tests run side by
# side: they share the servers setup_file starts, one per stage.
BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup_file() {
	make_docroot
	make_big10
	start_all
	export RAW_LOG=$BATS_FILE_TMPDIR/replies
	: >"$RAW_LOG"
}

teardown_file() {
	stop_all
}

teardown() {
	:
}

# The server is still there and still right.
alive() {
	code_is 200 /about.html -m 5
}

traversal() {
	local p r
	req_contained
	for p in '/../outside/secret.txt' '/%2e%2e/outside/secret.txt' '/%2E%2E%2Foutside/secret.txt' \
		'/docs/../../outside/secret.txt' '/..%2foutside/secret.txt' '/.%2e/outside/secret.txt' \
		'/link-out.txt' '/dir-out/secret.txt' '/dir-out/' 'http://x/../outside/secret.txt' \
		'http://x/%2e%2e/outside/secret.txt' '//../outside/secret.txt' '//etc/passwd' \
		'/%252e%252e/outside/secret.txt' '/..%5coutside/secret.txt' '/..\\outside/secret.txt' \
		'/about.html%00.png' '/%00' '/docs/%2e%2e/%2e%2e/outside/secret.txt' '/./../outside/secret.txt'; do
		raw_text "GET $p HTTP/1.0\r\n\r\n"
		lacks "reply to GET $p" SECRET "$RAW_TEXT"
		r=${RAW_TEXT%%$'\n'*}
		r=${r#* }
		expect_one_of "status for GET $p" "400 403 404" "${r%% *}"
	done
	# After the first seven, each defence on its own: any ".." segment,
	# any encoded "/", any path that resolves outside (the symlinks
	# above). Last, a ".." that ends the path is a segment too: /docs/..
	# is the docroot itself, inside it, yet refused like every other "..".
	codes_are 403 /../outside/secret.txt \
		-- 403 /%2e%2e/outside/secret.txt \
		-- 403 /..%2Foutside/secret.txt \
		-- 403 /link-out.txt \
		-- 400 /about.html%00 \
		-- 200 /link-in.html \
		-- 404 //etc/passwd \
		-- 403 /docs/../about.html \
		-- 403 /docs%2Findex.html \
		-- 403 /docs/.. \
		-- 403 /docs/%2e%2e \
		-- 403 '/docs/..?x=1'
}
@test "path traversal in every spelling stays inside the docroot" {
	for_each_stage traversal
}

bad_requests() {
	req_bad_request
	req_host
	raw_is 400 'garbage\r\n\r\n'
	raw_is 400 'GET /\r\n\r\n'
	raw_is 400 'GET / \r\n\r\n'
	raw_is 400 'GET  / HTTP/1.1\r\nHost: x\r\n\r\n'
	raw_is 400 'GET\t/\tHTTP/1.1\r\nHost: x\r\n\r\n'
	raw_is 400 'GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n'
	raw_is 400 'GET / HTTP/1.1\r\nHost : x\r\n\r\n'
	raw_is 400 'GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n'
	raw_is 400 'GET / HTTP/1.1\r\nHost: x\r\n: no name\r\n\r\n'
	raw_is 400 'GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n'
	raw_is 400 'GET / HTTP/1.1\r\n\r\n'
	raw_is 400 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'
	raw_is 400 'GET / http/1.1\r\nHost: x\r\n\r\n'
	raw_is 400 'GET / HTTP/1.10\r\nHost: x\r\n\r\n'
	raw_is 400 'GET x HTTP/1.1\r\nHost: x\r\n\r\n'
	raw_is 400 'G@T / HTTP/1.1\r\nHost: x\r\n\r\n'
	contains "reply to 'garbage\r\n\r\n'" '<h1>400 Bad Request</h1>' "$(raw 'garbage\r\n\r\n')"
	# RFC 9112 2.2: a bare LF may end a line; a server may accept it.
	raw_is 200 'GET / HTTP/1.1\nHost: x\nConnection: close\n\n'
}
@test "malformed requests get 400 with a page" {
	for_each_stage bad_requests
}

versions() {
	raw_is 505 'GET / HTTP/2.0\r\nHost: x\r\n\r\n'
	raw_is 505 'GET / HTTP/3.0\r\nHost: x\r\n\r\n'
	raw_is 505 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
}
@test "an HTTP/2 preface and other versions get 505" {
	for_each_stage versions
}

limits() {
	local long
	printf -v long '%5000s' ''
	long=${long// /a}
	raw_is 414 "GET /$long HTTP/1.1\r\nHost: x\r\n\r\n"
	raw_is 414 "GET /$long"
	raw_is 431 "GET / HTTP/1.1\r\nHost: x\r\nX-Big: $long$long\r\n\r\n"
	raw_is 431 "GET / HTTP/1.1\r\nHost: x\r\nX-A: $long\r\nX-B: $long\r\n\r\n"
	raw_is 200 "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: ${long:0:4000}\r\n\r\n"
	# Headers that pass 8 KiB without ever reaching the blank line are 431
	# as soon as the limit is crossed, not 408 when the client stops.
	local start took
	start=${EPOCHREALTIME//[!0-9]/}000
	raw_is 431 "GET / HTTP/1.1\r\nHost: x\r\nX-A: $long\r\nX-B: $long\r\n"
	took=$(((${EPOCHREALTIME//[!0-9]/}000 - start) / 1000000))
	between "ms until 431 for 10,000 header bytes that never end" 0 1999 "$took"
}
@test "an over-long target is 414, over 8 KiB of headers 431" {
	for_each_stage limits
}

framing() {
	raw_is 400 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'
	raw_is 400 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'
	raw_is 400 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n'
	raw_is 400 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n'
	raw_is 400 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\n'
	raw_is 400 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n'
	raw_is 400 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n'
	raw_is 413 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999999\r\n\r\n'
	# 10-framework decodes chunked bodies (and / takes no POST); 01-06 cannot.
	local chunked=501
	[ "$STAGE" != 10-framework ] || chunked=405
	raw_is "$chunked" 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
	raw_is 501 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'
	raw_is 400 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
	raw_is 400 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
	raw_is 400 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n'
}
@test "conflicting, empty, negative or huge Content-Length and Transfer-Encoding are refused" {
	for_each_stage framing
}

# refused STATUS WHY WORD REQUEST: REQUEST, in one write, gets STATUS with
# a page whose sentence says WORD, and the log line for it ends in STATUS,
# the bytes sent and WHY (netlab's own words: common/response.c). One
# stage's requests go one at a time, so its next log line is this one's.
# Bash's own read and mapfile where they do: a process costs ~10 ms here.
refused() {
	local status=$1 why=$2 word=$3 request=$4
	local n lines text got page LC_ALL=C sent=$request
	# A long request is named by its beginning and its length.
	[ "${#sent}" -le 80 ] || sent="${request:0:60}... (${#request} characters)"
	mapfile -t lines <"$SERVER_LOG"
	n=${#lines[@]}
	raw_text "$request"
	text=$RAW_TEXT
	got=${text%%$'\r'*}
	got=${got#* }
	equal "status for '$sent'" "$status" "${got%% *}"
	page=${text#*$'\n<p>'}
	page=${page%%'</p>'*}
	if [[ $page != *"$word"* ]]; then
		echo "page for '$sent': expected a sentence with \"$word\", got ${page:0:300}" >&2
		return 1
	fi
	wait_log "$n"
	equal "log line for '$sent' ends" "$status ${#text} $why" "${LOG_LINE##*\" }"
}

# wait_log N: wait (up to 5 s) until the server's log has more than N
# lines; LOG_LINE is line N + 1. It comes a few ms after the reply: poll often.
wait_log() {
	local i lines
	LOG_LINE=
	for ((i = 1; i <= 250; i++)); do
		mapfile -t lines <"$SERVER_LOG"
		if [ "${#lines[@]}" -gt "$1" ]; then
			LOG_LINE=${lines[$1]}
			return 0
		fi
		sleep 0.02
	done
}

reasons() {
	local long empty
	printf -v long '%5000s' ''
	long=${long// /a}
	empty=$(printf '\\r\\n%.0s' $(seq 2100))
	refused 400 "only empty lines" "empty lines" "$empty"
	refused 414 "request line too long" "4096 bytes" "GET /$long HTTP/1.1\r\nHost: x\r\n\r\n"
	refused 431 "header lines too long" "8192 bytes" "GET / HTTP/1.1\r\nHost: x\r\nX-A: $long\r\nX-B: $long\r\n\r\n"
	refused 431 "too many header lines" "100 header lines" \
		"GET / HTTP/1.1\r\nHost: x\r\n$(printf 'X: y\\r\\n%.0s' $(seq 101))\r\n"
	refused 400 "request line not method, target, version" "%20" 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n'
	refused 400 "request line not method, target, version" "three parts" 'GET /\r\n\r\n'
	refused 400 "bad method" "such as GET" 'G@T / HTTP/1.1\r\nHost: x\r\n\r\n'
	refused 400 "byte in target must be percent-encoded" "/%E4%B8%AD%E5%9B%BD.html" \
		'GET /中国.html HTTP/1.1\r\nHost: x\r\n\r\n'
	refused 400 "target does not begin with /" "begin with a slash" 'GET x HTTP/1.1\r\nHost: x\r\n\r\n'
	refused 400 "* with a method other than OPTIONS" "only OPTIONS" 'GET * HTTP/1.1\r\nHost: x\r\n\r\n'
	refused 400 "CONNECT target not host:port" "host:port" 'CONNECT x HTTP/1.1\r\nHost: x\r\n\r\n'
	refused 400 "bad version" "HTTP/1.1" 'GET / HTTP/1.10\r\nHost: x\r\n\r\n'
	refused 400 "version not in capitals" "in capitals" 'get / http/1.1\r\nHost: x\r\n\r\n'
	refused 505 "not HTTP/1.x" "HTTP/1.1 only" 'GET / HTTP/2.0\r\nHost: x\r\n\r\n'
	refused 400 "header line without a colon" "no colon" 'GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n'
	refused 400 "bad header name" "header name" 'GET / HTTP/1.1\r\nHost: x\r\n: no name\r\n\r\n'
	refused 400 "space before a header's colon" "(Host : x)" 'GET / HTTP/1.1\r\nHost : x\r\n\r\n'
	refused 400 "control character in a header value" "control character" 'GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n'
	refused 400 "folded header line" "continue the line before" 'GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n'
	refused 400 "no Host header" "Host: localhost" 'GET / HTTP/1.1\r\n\r\n'
	refused 400 "more than one Host header" "more than one Host" 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'
	refused 400 "bad Host header" "optional :port" 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n'
	refused 400 "bad Content-Length" "digits only" 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'
	refused 400 "conflicting Content-Length" "smuggled" \
		'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'
	refused 413 "body too large" "larger than the server accepts" \
		'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999999\r\n\r\n'
	refused 400 "Transfer-Encoding with Content-Length" "RFC 9112 6.1" \
		'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
	refused 400 "Transfer-Encoding in HTTP/1.0" "HTTP/1.0 has no Transfer-Encoding" \
		'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
	refused 400 "Transfer-Encoding not ending in chunked" "must end in chunked" \
		'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n'
	refused 501 "transfer coding other than chunked" "chunked transfer coding only" \
		'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'
	# A method not known is no reason to close: ask for it.
	refused 501 "method not known" "GET and HEAD" 'FOO / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	refused 501 "method not in capitals" "GET, not get" 'get / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	# 10-framework reads chunked bodies; the others cannot.
	[ "$STAGE" = 10-framework ] ||
		refused 501 "chunked body" "Content-Length" \
			'POST /about.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
}
@test "a refused request's page and log line say why: each rule the parser checks" {
	for_each_stage reasons
}

# The conditional and range headers are parsed into fixed-size values:
# a tag list too long to keep is refused (431), not cut short (a cut list
# could lose the tag that matters); numbers saturate rather than overflow.
conditional_limits() {
	local tags
	tags=$(printf '"%060d", ' $(seq 10))
	raw_is 431 "GET /about.html HTTP/1.1\r\nHost: x\r\nIf-None-Match: ${tags}\"x\"\r\n\r\n"
	raw_is 412 "GET /about.html HTTP/1.1\r\nHost: x\r\nIf-Match: ${tags:0:300}\"x\"\r\nConnection: close\r\n\r\n"
	codes_are 206 /about.html -H 'Range: bytes=0-99999999999999999999999999999999' \
		-- 206 /about.html -H 'Range: bytes=-99999999999999999999999999999999' \
		-- 416 /about.html -H 'Range: bytes=18446744073709551615-18446744073709551616' \
		-- 304 /about.html -H 'If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT' \
		-- 200 /about.html -H 'If-Range: "unterminated' -r 0-1
	alive
}
@test "conditional headers: an over-long tag list is 431, huge ranges saturate" {
	for_each_stage conditional_limits
}

random_bytes() {
	local r
	head -c 65536 /dev/urandom >"$BATS_TEST_TMPDIR/noise"
	r=$(timeout 10 bash -c 'exec 5<>/dev/tcp/127.0.0.1/$0; cat "$1" >&5 2>/dev/null; timeout 5 cat <&5' \
		"$PORT" "$BATS_TEST_TMPDIR/noise" | head -n 1 | tr -d '\r')
	if [ -n "$r" ] && ! [[ "$r" =~ ^HTTP/1.1\ (400|414|431|501|505)\  ]]; then
		echo "reply to 64 KiB of random bytes: expected 400, 414, 431, 501, 505 or none, got $r" >&2
		return 1
	fi
	alive
}
@test "64 KiB of random bytes get an error status or a clean close" {
	for_each_stage random_bytes
}

@test "an empty connection and a half request that vanishes do no harm" {
	for_each_stage req_empty_connection
}

reset_mid() {
	local log=$BATS_FILE_TMPDIR/$STAGE/server.log sent
	reset_mid_response /big10.bin
	reset_mid_response /big10.bin
	alive
	# The log says how much went out before the client left: at least what
	# it read (100000 bytes), less than the whole response.
	eventually log_has "$log" '"GET /big10.bin HTTP/1.1" 200 '
	for sent in $(sed -n 's/.*"GET \/big10.bin HTTP\/1.1" 200 \([0-9]*\)$/\1/p' "$log"); do
		between "bytes logged for a client that left after 100000" 100000 10485759 "$sent"
	done
}
@test "a client that resets in the middle of a 10 MiB response does no harm, and is logged with what was sent" {
	for_each_stage reset_mid
}

slowloris() {
	local i fd
	# 01 serves one client at a time: a slow client stops it, by design.
	[ "$STAGE" != 01-static ] || return 0
	local wait=5
	hold_connections 200
	for fd in "${HELD[@]}"; do printf 'GET / HTTP/1.1\r\n' >&"$fd"; done
	# The first request queues behind the 200 just opened (02 forks for
	# each, slowly under the sanitizers): 5 s; then, all taken in, 1 s.
	for i in 1 2 3; do
		for fd in "${HELD[@]}"; do printf 'X' >&"$fd" 2>/dev/null || true; done
		code_is 200 /about.html -m "$wait"
		wait=1
		sleep 1
	done
	release_connections
}
@test "200 slow-loris connections do not stop another client (all but 01)" {
	for_each_stage slowloris
}

nothing_leaked() {
	alive
	equal "replies of this file's tests holding the secret from outside the docroot" 0 \
		"$(grep -c SECRET "$RAW_LOG")"
	equal "log lines of a 200 for a path out of the docroot" "" \
		"$(grep -E '"GET [^"]*(outside|secret|link-out|dir-out)[^"]*" 200 ' "$BATS_FILE_TMPDIR/$STAGE/server.log")"
}
@test "after all this every server answers, and nothing outside the docroot was sent" {
	for_each_stage nothing_leaked
}
