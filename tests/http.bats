#!/usr/bin/env bats
# http.bats: the HTTP behaviour every server stage shares (common/), run
# against each stage in turn. STAGES="01-static 05-keepalive" picks some.
# Malformed and malicious input is in hostile.bats. The req_ checks are the
# requirements any correct server meets (require.bash, which make grade
# runs too); the lines beside them check what is netlab's own.

load helpers
load require

# One test at a time, even where run.sh lets a file's tests run side by
# side: they share the servers setup_file starts, one per stage.
BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup_file() {
	make_docroot
	make_big10   # before the stages run at once: one file, written once
	start_all
}

teardown_file() {
	stop_all
}

teardown() {
	:
}

get_root() {
	req_status_line
	req_index
	req_content_length
	req_date
	# netlab's own spelling, and its name
	curl -s -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/b" "http://127.0.0.1:$PORT/"
	expect_output "status line of GET /" "HTTP/1.1 200 OK" status_line "$BATS_TEST_TMPDIR/h"
	expect_output "Content-Type of GET /" "text/html; charset=utf-8" header Content-Type "$BATS_TEST_TMPDIR/h"
	expect_output "Server of GET /" netlab header Server "$BATS_TEST_TMPDIR/h"
}
@test "GET / serves index.html with Content-Type, Content-Length and Date" {
	for_each_stage get_root
}

@test "HEAD sends the headers of GET and no body" {
	for_each_stage req_head
}

content_types() {
	req_content_type
	# netlab's own spelling of each; the last extension decides, in any case
	written_are Content-Type '%{content_type}' "text/css; charset=utf-8" /style.css \
		-- image/png /img/logo.png \
		-- image/x-icon /favicon.ico \
		-- application/octet-stream /big.bin \
		-- "text/css; charset=utf-8" /app.min.css \
		-- "text/plain; charset=utf-8" /notes.html.txt \
		-- "text/html; charset=utf-8" /LOUD.HTML
	curl -s -o "$BATS_TEST_TMPDIR/logo" "http://127.0.0.1:$PORT/img/logo.png"
	same_bytes "body of GET /img/logo.png" "$BATS_TEST_TMPDIR/logo" "$DOCROOT/img/logo.png"
}
@test "Content-Type follows the last extension; binary files arrive unchanged" {
	for_each_stage content_types
}

utf8_name() {
	req_unquote
	req_query
	code_is 200 '/%E4%B8%AD%E5%9B%BD.html?lang=zh#top'
}
@test "percent-encoded UTF-8 file names are decoded; the query is ignored" {
	for_each_stage utf8_name
}

directories() {
	curl -s -o "$BATS_TEST_TMPDIR/index" "http://127.0.0.1:$PORT/docs/"
	same_bytes "body of GET /docs/" "$BATS_TEST_TMPDIR/index" "$DOCROOT/docs/index.html"
	curl -s -D "$BATS_TEST_TMPDIR/h" -o /dev/null "http://127.0.0.1:$PORT/docs?x=1"
	expect_output "status line of GET /docs?x=1" "HTTP/1.1 301 Moved Permanently" status_line "$BATS_TEST_TMPDIR/h"
	expect_output "Location of GET /docs?x=1" "/docs/?x=1" header Location "$BATS_TEST_TMPDIR/h"
	equal "status and redirects of curl -L /docs" "200 1" \
		"$(curl -s -L -o /dev/null -w '%{http_code} %{num_redirects}' "http://127.0.0.1:$PORT/docs")"
	# a directory of this stage's own: the stages run at once, and bash's
	# loaded mkdir -p fails when another makes the same directory first
	mkdir -p "$DOCROOT/empty-$STAGE"
	code_is 404 "/empty-$STAGE/"
}
@test "a directory serves its index.html; without the slash it is a 301" {
	for_each_stage directories
}

not_found() {
	req_not_found
	# netlab's page
	local size
	curl -s -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/b" "http://127.0.0.1:$PORT/missing.html"
	expect_output "status line of GET /missing.html" "HTTP/1.1 404 Not Found" status_line "$BATS_TEST_TMPDIR/h"
	expect_output "Content-Type of the 404" "text/html; charset=utf-8" header Content-Type "$BATS_TEST_TMPDIR/h"
	into size size_of "$BATS_TEST_TMPDIR/b"
	expect_output "Content-Length of the 404 (its page's size)" "$size" header Content-Length "$BATS_TEST_TMPDIR/h"
	expect_output "heading of the 404 page" "<h1>404 Not Found</h1>" grep_first '<h1>[^<]*</h1>' "$BATS_TEST_TMPDIR/b"
	code_is 404 /index.html/
}
@test "a missing file is a real 404 with an HTML page" {
	for_each_stage not_found
}

# netlab's own: an error page speaks the language Accept-Language prefers,
# Chinese or English, and says Vary: Accept-Language; the status line stays.
page_language() {
	local T=$BATS_TEST_TMPDIR en='<p>There is no file at this path.</p>' zh='<p>这个路径下没有文件。</p>'
	get_each /missing.html -H 'Accept-Language: zh-CN,zh;q=0.9,en;q=0.8' \
		-- /missing.html -H 'Accept-Language: en-US,en;q=0.9,zh-CN;q=0.8' \
		-- /missing.html \
		-- /missing.html -H 'Accept-Language: de;q=0.5, zh-TW;q=0.7' \
		-- /missing.html -H 'Accept-Language: zh;q=0, en' \
		-- / -H 'Accept-Language: zh'
	expect_output "status line of a 404 asked for in Chinese" "HTTP/1.1 404 Not Found" status_line "$T/h.1"
	expect_output "Vary of the 404" Accept-Language header Vary "$T/h.1"
	expect_output "the 404 page's sentence, zh-CN first" "$zh" grep_first '<p>.*</p>' "$T/b.1"
	expect_output "the page's lang" 'lang="zh-CN"' grep_first 'lang="[^"]*"' "$T/b.1"
	expect_output "the 404 page's sentence, en-US first" "$en" grep_first '<p>.*</p>' "$T/b.2"
	expect_output "the 404 page's sentence, no Accept-Language" "$en" grep_first '<p>.*</p>' "$T/b.3"
	expect_output "Vary of the English 404" Accept-Language header Vary "$T/h.3"
	# the highest q wins, wherever it stands; q=0 is "not this one"
	expect_output "the 404 page's sentence, zh-TW at q=0.7 over de at 0.5" "$zh" grep_first '<p>.*</p>' "$T/b.4"
	expect_output "the 404 page's sentence, zh at q=0" "$en" grep_first '<p>.*</p>' "$T/b.5"
	# a file is the same in any language: no Vary
	expect_output "Vary of a file" "" header Vary "$T/h.6"
	# the parser's reason, in both
	raw 'GET / HTTP/1.1\r\nAccept-Language: zh\r\n\r\n' >"$T/r"
	expect_output "status line of a Host-less request" "HTTP/1.1 400 Bad Request" status_line "$T/r"
	into text text_of "$T/r"
	contains "why, in Chinese" "HTTP/1.1 请求必须指明它要访问的主机" "$text"
	raw 'GET / HTTP/1.1\r\nAccept-Language: en\r\n\r\n' >"$T/r"
	into text text_of "$T/r"
	contains "why, in English" "An HTTP/1.1 request must name the host it is for" "$text"
}
@test "an error page is in Chinese when Accept-Language prefers zh, else English, with Vary" {
	for_each_stage page_language
}

methods() {
	req_methods
	# netlab's choice of the two for each
	curl -s -X POST -d 'a=1' -D "$BATS_TEST_TMPDIR/h" -o /dev/null "http://127.0.0.1:$PORT/"
	expect_output "status line of POST /" "HTTP/1.1 405 Method Not Allowed" status_line "$BATS_TEST_TMPDIR/h"
	expect_output "Allow of POST /" "GET, HEAD" header Allow "$BATS_TEST_TMPDIR/h"
	# 405 is for a resource that exists; a path that names nothing is 404
	codes_are 405 / -X DELETE \
		-- 501 / -X BREW \
		-- 404 /missing.html -X POST -d a=1 \
		-- 404 /no/such/dir/ -X DELETE
}
@test "other methods: 405 with Allow for a file, 404 where there is none, 501 if unknown" {
	for_each_stage methods
}

versions() {
	raw_is 505 'GET / HTTP/2.0\r\nHost: x\r\n\r\n'
	raw_is 200 'GET / HTTP/1.0\r\n\r\n'
	# RFC 9112 2.2 lets a server accept a bare LF as the end of a line.
	raw_is 200 'GET / HTTP/1.0\n\n'
	raw 'GET / HTTP/1.0\r\n\r\n' >"$BATS_TEST_TMPDIR/r"
	equal "status line for 'GET / HTTP/1.0\r\n\r\n' (we answer in 1.1)" "HTTP/1.1 200 OK" \
		"$(status_line "$BATS_TEST_TMPDIR/r")"
}
@test "HTTP/1.0 and 1.1 are served, other versions get 505" {
	for_each_stage versions
}

absolute_form() {
	raw_is 200 'GET http://example.org/about.html HTTP/1.1\r\nHost: example.org\r\n\r\n'
}
@test "absolute-form targets are served from the path" {
	for_each_stage absolute_form
}

slow_bytes() {
	local fd req=$'GET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' i
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	for ((i = 0; i < ${#req}; i++)); do
		printf '%s' "${req:i:1}" >&"$fd"
		sleep 0.01
	done
	timeout 5 cat <&"$fd" >"$BATS_TEST_TMPDIR/r"
	exec {fd}>&-
	equal "status line for GET /about.html sent a byte at a time" "HTTP/1.1 200 OK" \
		"$(status_line "$BATS_TEST_TMPDIR/r")"
	tail -c "$(wc -c <"$DOCROOT/about.html")" "$BATS_TEST_TMPDIR/r" >"$BATS_TEST_TMPDIR/body"
	same_bytes "body for GET /about.html sent a byte at a time" "$BATS_TEST_TMPDIR/body" "$DOCROOT/about.html"
}
@test "a request that arrives one byte at a time is answered" {
	for_each_stage req_whole_head
	for_each_stage slow_bytes
}

@test "a 5 MiB file arrives whole (checksum)" {
	for_each_stage req_binary
}

# logged LOG PATTERN: the byte count of the access-log line matching
# PATTERN (an ERE for peer, request line and status), once it is written.
logged() {
	local i
	for ((i = 1; i <= 50; i++)); do
		grep -Eq "^$2 [0-9]+$" "$1" && break
		sleep 0.1
	done
	grep -E "^$2 [0-9]+$" "$1" | awk '{ print $NF }'
}

# received PATH [CURL ARGS...]: the bytes curl received for PATH, head included.
received() {
	local path=$1
	shift
	curl -s -o /dev/null -w '%{size_header} %{size_download}\n' "$@" "http://127.0.0.1:$PORT$path" |
		awk '{ print $1 + $2 }'
}

access_log() {
	local log peer='127\.0\.0\.1:[0-9]+' got sent
	log=$(sed -n "s/^$STAGE $PORT [0-9]* //p" "$BATS_FILE_TMPDIR/servers")
	# The byte count is what the client received, head included, for a
	# file, for an error page, and for a head alone.
	into got received "/about.html?log=$STAGE"
	into sent logged "$log" "$peer \"GET /about.html\\?log=$STAGE HTTP/1.1\" 200"
	equal "bytes the log gives GET /about.html?log=$STAGE (the client got them)" "$got" "$sent"
	into got received "/missing.html?log=$STAGE"
	into sent logged "$log" "$peer \"GET /missing.html\\?log=$STAGE HTTP/1.1\" 404"
	equal "bytes the log gives GET /missing.html?log=$STAGE (the client got them)" "$got" "$sent"
	into got received "/about.html?log=head-$STAGE" -I
	into sent logged "$log" "$peer \"HEAD /about.html\\?log=head-$STAGE HTTP/1.1\" 200"
	equal "bytes the log gives HEAD /about.html?log=head-$STAGE (the client got them)" "$got" "$sent"
}
@test "each request writes one access-log line, with the bytes the client received" {
	for_each_stage access_log
}


# RFC 9110 5.5: a field value may carry obs-text (bytes 0x80-0xff), such as
# UTF-8. Read as signed char those bytes are negative, and looked like
# control characters on x86-64 (but not on arm64).
obs_text() {
	req_not_utf8
	raw_is 200 'GET / HTTP/1.1\r\nHost: x\r\nX-Name: caf\xc3\xa9\r\nConnection: close\r\n\r\n'
	raw_is 200 'GET / HTTP/1.1\r\nHost: x\r\nX-Bytes: \x80\xff\r\nConnection: close\r\n\r\n'
	code_is 200 / -H 'X-Name: 中国'
	# but not in the target, which RFC 3986 keeps to printable ASCII
	raw_is 400 'GET /caf\xc3\xa9 HTTP/1.0\r\n\r\n'
}
@test "UTF-8 in a header value is served, on every platform" {
	for_each_stage obs_text
}

# RFC 9112 3.2.3-3.2.4: the asterisk form belongs to OPTIONS, the authority
# form to CONNECT; both are well-formed requests, not 400s.
target_forms() {
	raw 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$BATS_TEST_TMPDIR/r"
	expect_output "status line of OPTIONS *" "HTTP/1.1 200 OK" status_line "$BATS_TEST_TMPDIR/r"
	expect_output "Allow of OPTIONS *" "GET, HEAD" header Allow "$BATS_TEST_TMPDIR/r"
	expect_output "Content-Length of OPTIONS *" 0 header Content-Length "$BATS_TEST_TMPDIR/r"
	raw_is 405 'OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n'
	raw_is 405 'CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n'
	raw_is 405 'CONNECT [::1]:443 HTTP/1.1\r\nHost: x\r\n\r\n'
	# each form only where it belongs
	raw_is 400 'GET * HTTP/1.1\r\nHost: x\r\n\r\n'
	raw_is 400 'GET example.org:443 HTTP/1.1\r\nHost: x\r\n\r\n'
	raw_is 400 'CONNECT example.org HTTP/1.1\r\nHost: x\r\n\r\n'
	raw_is 400 'CONNECT / HTTP/1.1\r\nHost: x\r\n\r\n'
}
@test "OPTIONS * is answered with Allow, CONNECT host:port is 405" {
	for_each_stage target_forms
}

# RFC 9110 7.2, RFC 9112 3.2: Host is uri-host [":" port].
host_values() {
	local h
	for h in 'a b' 'a/b' 'user@x' 'x:abc' 'x:99999' 'x:123456' '[::1' '[zz]:80' 'x:80:80' ':80' 'x\x01y'; do
		echo "Host: $h"
		raw_is 400 "GET / HTTP/1.1\r\nHost: $h\r\n\r\n"
	done
	raw_is 400 'GET / HTTP/1.0\r\nHost: a b\r\n\r\n'
	for h in x example.org 127.0.0.1:8080 '[::1]:80' 'my-host.example:65535' 'x:' ''; do
		echo "Host: $h"
		raw_is 200 "GET / HTTP/1.1\r\nHost: $h\r\nConnection: close\r\n\r\n"
	done
}
@test "a Host that is not a host[:port] is 400" {
	for_each_stage host_values
}

# RFC 9112 6.1 and 6.3: when Transfer-Encoding leaves the body's length
# unknown, the answer is 400 and the connection closes.
transfer_codings() {
	local req='POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n0\r\n\r\nGET / HTTP/1.0\r\n\r\n'
	raw "$req" >"$BATS_TEST_TMPDIR/r"
	equal "statuses for '$req' (the connection closes after the first)" "400 " \
		"$(statuses_in "$BATS_TEST_TMPDIR/r")"
	expect_output "Connection of the 400" close header Connection "$BATS_TEST_TMPDIR/r"
	raw_is 400 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n'
	raw_is 400 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n'
	raw_is 400 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n'
	# chunked last is valid framing; this server does not read such bodies
	raw_is 501 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n0\r\n\r\n'
}
@test "Transfer-Encoding in HTTP/1.0, or not ending in chunked, is 400" {
	for_each_stage transfer_codings
}

# RFC 9112 2.2: empty lines before a request line are skipped, but a
# stream of nothing else is refused rather than buffered for ever.
leading_empty_lines() {
	raw_is 200 '\r\nGET / HTTP/1.0\r\n\r\n'
	raw_is 200 '\r\n\r\n\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	expect_output "status for 2100 empty lines" 400 status_of "$(printf '\\r\\n%.0s' $(seq 2100))"
}
@test "empty lines before a request are skipped; only empty lines is 400" {
	for_each_stage leading_empty_lines
}

# Each connection costs a descriptor: every stage raises the soft limit to
# the hard one (common/setup.c) and says how many it may hold.
fd_limit() {
	local pid
	pid=$(awk -v s="$STAGE" '$1 == s { print $3 }' "$BATS_FILE_TMPDIR/servers")
	equal "the listening line's pid and limit" "(pid $pid, ..., up to $(ulimit -Hn) descriptors)" \
		"$(head -n 1 "$BATS_FILE_TMPDIR/$STAGE/server.log" | sed -n 's/^listening on [^ ]* \((pid [0-9]*, \).*\(, up to [0-9]* descriptors)\)$/\1...\2/p')"
	equal "Max open files in /proc/$pid/limits" "$(ulimit -Hn)" \
		"$(awk '/Max open files/ { print $4 }' "/proc/$pid/limits")"
}
@test "the listening line names the pid; the descriptor limit is raised to the hard limit and printed" {
	for_each_stage fd_limit
}

# --- Validators, conditional requests and ranges (RFC 9110 8.8, 13, 14) ---

# get PATH [CURL ARGS...]: fetch PATH; head in $T/h, body in $T/b; prints the status.
get() {
	local path=$1
	shift
	rm -f "$BATS_TEST_TMPDIR/b"
	curl -s -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/b" -w '%{http_code}' "$@" \
		"http://127.0.0.1:$PORT$path"
}

# http_date FILE: FILE's mtime as an IMF-fixdate (bash's printf formats a
# time; finfo -m, where it is loaded, reads the mtime without a process).
http_date() {
	local LC_ALL=C TZ=UTC0 t
	if [ -n "${HAVE_FINFO:-}" ]; then
		into t finfo -m "$1"
	else
		t=$(stat -c %Y "$1")
	fi
	printf '%(%a, %d %b %Y %H:%M:%S GMT)T\n' "$t"
}

# etag_of PATH: the ETag the server sends for PATH.
etag_of() {
	curl -s -I -o /dev/null -w '%header{etag}' "http://127.0.0.1:$PORT$1"
}

# piece_sum FILE FIRST LEN: sha256 of LEN bytes of FILE from FIRST.
piece_sum() {
	tail -c +"$(($2 + 1))" "$1" | head -c "$3" | sha256sum | cut -d' ' -f1
}

validators() {
	local f=$DOCROOT/about.html etag lm now
	expect_output "status of /about.html" 200 get /about.html
	into lm http_date "$f"
	expect_output "Last-Modified of /about.html (its mtime)" "$lm" header Last-Modified "$BATS_TEST_TMPDIR/h"
	into etag header ETag "$BATS_TEST_TMPDIR/h"
	# strong (no W/), quoted, and the same on every request for the same file
	if ! [[ "$etag" =~ ^\"[!#-~]+\"$ ]]; then
		echo "ETag of /about.html: expected a strong, quoted tag, got $etag" >&2
		return 1
	fi
	expect_output "ETag of /about.html the second time" "$etag" etag_of /about.html
	expect_output "Accept-Ranges of /about.html" bytes header Accept-Ranges "$BATS_TEST_TMPDIR/h"
	# ask every time: without it a browser may reuse its copy without asking
	expect_output "Cache-Control of /about.html" no-cache header Cache-Control "$BATS_TEST_TMPDIR/h"
	# RFC 9110 8.8.2.1: a modification time in the future is sent as now
	cp "$f" "$DOCROOT/future-$STAGE.html"
	touch -d '+1 hour' "$DOCROOT/future-$STAGE.html"
	expect_output "status of /future-$STAGE.html" 200 get "/future-$STAGE.html"
	into lm header Last-Modified "$BATS_TEST_TMPDIR/h"
	into lm imf_seconds "$lm"
	into now header Date "$BATS_TEST_TMPDIR/h"
	into now imf_seconds "$now"
	between "Last-Modified of a file touched an hour ahead (s, Date is $now)" $((now - 1)) "$now" "$lm"
}
@test "a file is sent with Last-Modified, a strong ETag and Accept-Ranges" {
	for_each_stage validators
}

# Rewritten in place, same size, within the same second: only the
# nanoseconds of the mtime tell the versions apart. Replaced by rename with
# the old mtime kept: only the inode does. (eventually: a server that caches
# open files may serve the old validator for a moment, not for long.)
# not_current ETAG PATH: the server no longer calls ETAG current for PATH.
not_current() {
	code_is 200 "$2" -H "If-None-Match: $1"
}

new_version() {
	local f=$DOCROOT/v-$STAGE.txt old
	printf 'version 1\n' >"$f"
	into old etag_of "/v-$STAGE.txt"
	present "ETag of /v-$STAGE.txt" "$old"
	sleep 0.05
	printf 'version 2\n' >"$f"
	eventually not_current "$old" "/v-$STAGE.txt"
	into old etag_of "/v-$STAGE.txt"
	present "ETag of /v-$STAGE.txt" "$old"
	printf 'version 3\n' >"$f.new"
	touch -r "$f" "$f.new"
	mv "$f.new" "$f"
	eventually not_current "$old" "/v-$STAGE.txt"
	equal "body of GET /v-$STAGE.txt" "version 3" "$(curl -s "http://127.0.0.1:$PORT/v-$STAGE.txt")"
}
@test "a file changed on disk gets a new ETag, even within one second" {
	for_each_stage new_version
}

if_none_match() {
	local etag log lm
	into etag etag_of /about.html
	expect_output "status of /about.html -H \"If-None-Match: $etag\"" 304 get /about.html -H "If-None-Match: $etag"
	# RFC 9110 15.4.5: the validators, Date, Cache-Control, no body and no Content-Length
	expect_output "ETag of the 304" "$etag" header ETag "$BATS_TEST_TMPDIR/h"
	expect_output "Cache-Control of the 304" no-cache header Cache-Control "$BATS_TEST_TMPDIR/h"
	into lm http_date "$DOCROOT/about.html"
	expect_output "Last-Modified of the 304" "$lm" header Last-Modified "$BATS_TEST_TMPDIR/h"
	present "Date of the 304" "$(header Date "$BATS_TEST_TMPDIR/h")"
	expect_output "Content-Length of the 304 (none)" "" header Content-Length "$BATS_TEST_TMPDIR/h"
	expect_output "bytes of body in the 304" 0 bytes_in "$BATS_TEST_TMPDIR/b"
	raw "GET /about.html HTTP/1.0\r\nIf-None-Match: $etag\r\n\r\n" >"$BATS_TEST_TMPDIR/r"
	head_alone "the 304 sent to HTTP/1.0" "$BATS_TEST_TMPDIR/r"
	# a list, weak comparison, "*", HEAD; another tag is a full 200
	codes_are 304 /about.html -H "If-None-Match: \"x\", $etag" \
		-- 304 /about.html -H "If-None-Match: \"x\"" -H "If-None-Match: W/$etag" \
		-- 304 /about.html -H 'If-None-Match: *' \
		-- 304 /about.html -I -H "If-None-Match: $etag" \
		-- 200 /about.html -H 'If-None-Match: not-a-tag' \
		-- 404 /missing.html -H 'If-None-Match: *'
	expect_output "status of /about.html -H 'If-None-Match: \"x\", W/\"y\"'" 200 get /about.html -H 'If-None-Match: "x", W/"y"'
	same_bytes "body of that 200" "$BATS_TEST_TMPDIR/b" "$DOCROOT/about.html"
	# what a browser's reload shows in the access log
	log=$(sed -n "s/^$STAGE $PORT [0-9]* //p" "$BATS_FILE_TMPDIR/servers")
	curl -s -o /dev/null -H "If-None-Match: $etag" "http://127.0.0.1:$PORT/about.html?reload=$STAGE"
	eventually log_has "$log" "\"GET /about.html?reload=$STAGE HTTP/1.1\" 304 "
}
@test "If-None-Match with the ETag (a list, W/, *) gets 304 with validators and no body" {
	for_each_stage if_none_match
}

if_modified_since() {
	local f=$DOCROOT/about.html lm
	into lm http_date "$f"
	# then: the two obsolete formats a recipient must also accept (RFC
	# 9110 5.6.7); ignored: an invalid date, two of them, or beside
	# If-None-Match
	codes_are 304 /about.html -z "$lm" \
		-- 304 /about.html -H "If-Modified-Since: $(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')" \
		-- 200 /about.html -H 'If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT' \
		-- 304 /about.html -H 'If-Modified-Since: Friday, 01-Jan-38 00:00:00 GMT' \
		-- 304 /about.html -H 'If-Modified-Since: Fri Jan  1 00:00:00 2038' \
		-- 200 /about.html -H 'If-Modified-Since: yesterday' \
		-- 200 /about.html -H 'If-Modified-Since: Sun, 31 Feb 2038 00:00:00 GMT' \
		-- 200 /about.html -H "If-Modified-Since: $lm" -H "If-Modified-Since: $lm" \
		-- 200 /about.html -H "If-Modified-Since: $lm" -H 'If-None-Match: "x"'
}
@test "If-Modified-Since: 304 unless changed since; ignored when invalid or beside If-None-Match" {
	for_each_stage if_modified_since
}

if_match() {
	local etag lm
	into etag etag_of /about.html
	into lm http_date "$DOCROOT/about.html"
	expect_output "status of /about.html -H 'If-Match: \"x\"'" 412 get /about.html -H 'If-Match: "x"'
	expect_output "heading of the 412 page" "<h1>412 Precondition Failed</h1>" grep_first '<h1>[^<]*</h1>' "$BATS_TEST_TMPDIR/b"
	# W/ fails (strong comparison); then If-Match decides and
	# If-Unmodified-Since is ignored (RFC 9110 13.2.2); 412 comes before 304
	codes_are 412 /about.html -H "If-Match: W/$etag" \
		-- 200 /about.html -H "If-Match: \"x\", $etag" \
		-- 200 /about.html -H 'If-Match: *' \
		-- 412 /about.html -H 'If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT' \
		-- 200 /about.html -H "If-Unmodified-Since: $lm" \
		-- 200 /about.html -H 'If-Unmodified-Since: soon' \
		-- 200 /about.html -H "If-Match: $etag" -H 'If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT' \
		-- 412 /about.html -H 'If-Match: "x"' -H "If-None-Match: $etag"
}
@test "If-Match and If-Unmodified-Since: 412 unless the file is that version" {
	for_each_stage if_match
}

# Three pieces of 10 MiB, one per form of range, reassemble byte-exact.
ranges() {
	local f=$DOCROOT/big10.bin size=10485760 parts=$BATS_TEST_TMPDIR/parts
	make_big10
	: >"$parts"
	expect_output "status of /big10.bin -r 0-3999999" 206 get /big10.bin -r 0-3999999
	expect_output "Content-Range of bytes 0-3999999" "bytes 0-3999999/$size" header Content-Range "$BATS_TEST_TMPDIR/h"
	expect_output "Content-Length of bytes 0-3999999" 4000000 header Content-Length "$BATS_TEST_TMPDIR/h"
	equal "sha256 of bytes 0-3999999" "$(piece_sum "$f" 0 4000000)" "$(sha256sum <"$BATS_TEST_TMPDIR/b" | cut -d' ' -f1)"
	cat "$BATS_TEST_TMPDIR/b" >>"$parts"
	expect_output "status of /big10.bin -H 'Range: bytes=4000000-7999999'" 206 get /big10.bin -H 'Range: bytes=4000000-7999999'
	equal "sha256 of bytes 4000000-7999999" "$(piece_sum "$f" 4000000 4000000)" \
		"$(sha256sum <"$BATS_TEST_TMPDIR/b" | cut -d' ' -f1)"
	cat "$BATS_TEST_TMPDIR/b" >>"$parts"
	equal "status of /big10.bin -H 'Range: bytes=-$((size - 8000000))'" 206 \
		"$(get /big10.bin -H "Range: bytes=-$((size - 8000000))")"
	equal "Content-Range of the last $((size - 8000000)) bytes" "bytes 8000000-$((size - 1))/$size" \
		"$(header Content-Range "$BATS_TEST_TMPDIR/h")"
	cat "$BATS_TEST_TMPDIR/b" >>"$parts"
	same_bytes "the three ranges, end to end" "$parts" "$f"
	expect_output "status of /big10.bin -H 'Range: bytes=10000000-'" 206 get /big10.bin -H 'Range: bytes=10000000-'
	equal "Content-Range of bytes 10000000-" "bytes 10000000-$((size - 1))/$size" \
		"$(header Content-Range "$BATS_TEST_TMPDIR/h")"
	equal "sha256 of bytes 10000000-" "$(piece_sum "$f" 10000000 $((size - 10000000)))" \
		"$(sha256sum <"$BATS_TEST_TMPDIR/b" | cut -d' ' -f1)"
	# a last byte past the end, a suffix longer than the file: clipped
	expect_output "status of /about.html -r 10-999999" 206 get /about.html -r 10-999999
	tail -c +11 "$DOCROOT/about.html" >"$BATS_TEST_TMPDIR/want"
	same_bytes "body of /about.html -r 10-999999" "$BATS_TEST_TMPDIR/b" "$BATS_TEST_TMPDIR/want"
	expect_output "status of /about.html -r -999999" 206 get /about.html -r -999999
	same_bytes "body of /about.html -r -999999" "$BATS_TEST_TMPDIR/b" "$DOCROOT/about.html"
}
@test "Range bytes=a-b, a- and -n get 206 with Content-Range; 10 MiB in pieces reassembles" {
	for_each_stage ranges
}

unsatisfiable() {
	local size
	into size size_of "$DOCROOT/about.html"
	expect_output "status of /about.html -r \"$size-\"" 416 get /about.html -r "$size-"
	expect_output "Content-Range of the 416" "bytes */$size" header Content-Range "$BATS_TEST_TMPDIR/h"
	expect_output "heading of the 416 page" "<h1>416 Range Not Satisfiable</h1>" grep_first '<h1>[^<]*</h1>' "$BATS_TEST_TMPDIR/b"
	codes_are 416 /about.html -H 'Range: bytes=99999999999999999999999-' \
		-- 416 /about.html -H 'Range: bytes=-0'
}
@test "a range past the end is 416 with Content-Range: bytes */length" {
	for_each_stage unsatisfiable
}

# This server sends one range or the whole file: several ranges, another
# unit, or a malformed value get a 200 with all of it (RFC 9110 14.2 allows it).
whole_file_ranges() {
	local T=$BATS_TEST_TMPDIR ranges=('bytes=0-1,5-6' 'bytes=0-0,-1' 'bytes=5-2' 'items=0-1'
		'bytes=abc' 'bytes=' 'bytes 0-1' 'bytes=1-2-3') args=() i
	codes_are 206 /about.html -H 'Range: bytes=0-1' \
		-- 200 /about.html -H 'Range: bytes=0-1' -H 'Range: bytes=2-3'   # one range would be served
	for i in "${!ranges[@]}"; do
		args+=(/about.html -H "Range: ${ranges[i]}" --)
	done
	get_each "${args[@]}"
	for i in "${!ranges[@]}"; do
		expect_output "status line for Range: ${ranges[i]}" "HTTP/1.1 200 OK" status_line "$T/h.$((i + 1))"
		same_bytes "body for Range: ${ranges[i]}" "$T/b.$((i + 1))" "$DOCROOT/about.html"
		expect_output "Content-Range for Range: ${ranges[i]} (none)" "" header Content-Range "$T/h.$((i + 1))"
	done
}
@test "several ranges, another unit or a malformed Range get the whole file (200)" {
	for_each_stage whole_file_ranges
}

if_range() {
	local etag lm
	into etag etag_of /about.html
	into lm http_date "$DOCROOT/about.html"
	expect_output "status of /about.html -r 0-9 -H \"If-Range: $etag\"" 206 get /about.html -r 0-9 -H "If-Range: $etag"
	expect_output "Content-Length of that 206" 10 header Content-Length "$BATS_TEST_TMPDIR/h"
	# a stale validator: the whole current file instead of a piece of it
	expect_output "status of /about.html -r 0-9 -H 'If-Range: \"stale\"'" 200 get /about.html -r 0-9 -H 'If-Range: "stale"'
	same_bytes "body of that 200" "$BATS_TEST_TMPDIR/b" "$DOCROOT/about.html"
	# an old date, a weak tag (never used for ranges), a stale tag with a
	# range past the end
	codes_are 206 /about.html -r 0-9 -H "If-Range: $lm" \
		-- 200 /about.html -r 0-9 -H 'If-Range: Sat, 01 Jan 2000 00:00:00 GMT' \
		-- 200 /about.html -r 0-9 -H "If-Range: W/$etag" \
		-- 200 /about.html -r 99999- -H 'If-Range: "stale"'
}
@test "If-Range: the current validator gets 206, a stale one the whole file" {
	for_each_stage if_range
}

# RFC 9110 13.1.5: an If-Range date holds only when it is exactly the
# Last-Modified; a later one does not say which version the client has.
if_range_later_date() {
	local later
	later=$(LC_ALL=C date -u -d "@$(($(stat -c %Y "$DOCROOT/about.html") + 3600))" '+%a, %d %b %Y %H:%M:%S GMT')
	equal "status of bytes=0-9 with If-Range: $later (an hour after Last-Modified)" \
		200 "$(get /about.html -r 0-9 -H "If-Range: $later")"
	cmp "$BATS_TEST_TMPDIR/b" "$DOCROOT/about.html"
	expect_output "Content-Range of that 200" "" header Content-Range "$BATS_TEST_TMPDIR/h"
}
@test "If-Range with a date later than Last-Modified gets the whole file (200)" {
	for_each_stage if_range_later_date
}

# A suffix range of an empty file is satisfiable (RFC 9110 14.1.3), but no
# 206 can carry no bytes: the answer is the whole (empty) file.
empty_file_suffix() {
	local f=empty-$STAGE.txt
	: >"$DOCROOT/$f"
	expect_output "status of Range: bytes=-5 on an empty file" 200 get "/$f" -H 'Range: bytes=-5'
	expect_output "its Content-Length" 0 header Content-Length "$BATS_TEST_TMPDIR/h"
	expect_output "its Content-Range" "" header Content-Range "$BATS_TEST_TMPDIR/h"
	expect_output "body bytes" 0 bytes_in "$BATS_TEST_TMPDIR/b"
}
@test "an empty file asked for bytes=-5 gets 200, Content-Length 0 and no Content-Range" {
	for_each_stage empty_file_suffix
}

# bytes=0-N of an N-byte file: the last byte is clipped to N-1 (RFC 9110
# 14.1.2), so exactly N bytes follow the head and the next response starts
# right after them.
range_one_past_end() {
	local T=$BATS_TEST_TMPDIR n hl
	into n size_of "$DOCROOT/about.html"
	raw "GET /about.html HTTP/1.1\r\nHost: x\r\nRange: bytes=0-$n\r\n\r\nGET /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" >"$T/r"
	sed '/^\r$/q' "$T/r" >"$T/h"
	equal "status line of bytes=0-$n" "HTTP/1.1 206 Partial Content" "$(head -n 1 "$T/h" | tr -d '\r')"
	expect_output "Content-Range" "bytes 0-$((n - 1))/$n" header Content-Range "$T/h"
	expect_output "Content-Length" "$n" header Content-Length "$T/h"
	into hl size_of "$T/h"
	tail -c +$((hl + 1)) "$T/r" | head -c "$n" | cmp - "$DOCROOT/about.html"
	tail -c +$((hl + n + 1)) "$T/r" >"$T/rest"
	if grep -qi '^Connection: close' "$T/h"; then
		equal "bytes after a response that closed the connection" 0 "$(wc -c <"$T/rest")"
		return
	fi
	equal "the next response, right after the $n bytes" "HTTP/1.1 200 OK" "$(head -n 1 "$T/rest" | tr -d '\r')"
	ends_with "$T/rest" "$DOCROOT/style.css"
}
@test "bytes=0-N of an N-byte file is 206 with all N bytes; a kept-alive connection stays in step" {
	for_each_stage range_one_past_end
}

# One byte; the unit in capitals (RFC 9110 14.1: case-insensitive); and two
# If-Range lines, which can never name one version.
range_details() {
	local size etag
	into size size_of "$DOCROOT/about.html"
	expect_output "status of bytes=5-5" 206 get /about.html -H 'Range: bytes=5-5'
	expect_output "its Content-Range" "bytes 5-5/$size" header Content-Range "$BATS_TEST_TMPDIR/h"
	equal "its body (the sixth byte)" "$(tail -c +6 "$DOCROOT/about.html" | head -c 1 | od -An -tx1)" \
		"$(od -An -tx1 <"$BATS_TEST_TMPDIR/b")"
	expect_output "status of Range: BYTES=0-9" 206 get /about.html -H 'Range: BYTES=0-9'
	expect_output "its Content-Range" "bytes 0-9/$size" header Content-Range "$BATS_TEST_TMPDIR/h"
	into etag etag_of /about.html
	equal "status of bytes=0-9 with If-Range: $etag twice" 200 \
		"$(get /about.html -r 0-9 -H "If-Range: $etag" -H "If-Range: $etag")"
	cmp "$BATS_TEST_TMPDIR/b" "$DOCROOT/about.html"
}
@test "bytes=5-5 is the sixth byte; BYTES= is bytes=; two If-Range lines get the whole file" {
	for_each_stage range_details
}

# RFC 9110 14.2: GET is the only method with ranges; HEAD describes all.
head_range() {
	local req='HEAD /about.html HTTP/1.0\r\nRange: bytes=0-9\r\n\r\n' size
	raw "$req" >"$BATS_TEST_TMPDIR/r"
	expect_output "status line for '$req'" "HTTP/1.1 200 OK" status_line "$BATS_TEST_TMPDIR/r"
	into size size_of "$DOCROOT/about.html"
	expect_output "its Content-Length (the whole file's)" "$size" header Content-Length "$BATS_TEST_TMPDIR/r"
	expect_output "its Accept-Ranges" bytes header Accept-Ranges "$BATS_TEST_TMPDIR/r"
	expect_output "its Content-Range (none)" "" header Content-Range "$BATS_TEST_TMPDIR/r"
	head_alone "the reply to '$req'" "$BATS_TEST_TMPDIR/r"
}
@test "HEAD with a Range gets the head of the whole file and no body" {
	for_each_stage head_range
}

# A 206 and a 304 are framed exactly: on a kept-alive connection the next
# response starts right after them.
pipelined_partial() {
	local etag
	into etag etag_of /about.html
	raw "GET /about.html HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\nGET /about.html HTTP/1.1\r\nHost: x\r\nIf-None-Match: $etag\r\n\r\nGET /img/logo.png HTTP/1.1\r\nHost: x\r\nRange: bytes=-100\r\n\r\nGET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" >"$BATS_TEST_TMPDIR/r"
	equal "first status line of four pipelined requests (a range, a 304, a range, a file)" \
		"HTTP/1.1 206 Partial Content" "$(status_line "$BATS_TEST_TMPDIR/r")"
	if [ "$(header Connection "$BATS_TEST_TMPDIR/r")" = close ]; then
		# 01-04: one request per connection
		expect_output "statuses of the four (a stage that closes answers one)" "206 " statuses_in "$BATS_TEST_TMPDIR/r"
		return
	fi
	# a body does not end in a newline: the next status line follows on its line
	expect_output "statuses of the four" "206 304 206 200 " statuses_in "$BATS_TEST_TMPDIR/r"
	tail -c "$(wc -c <"$DOCROOT/about.html")" "$BATS_TEST_TMPDIR/r" >"$BATS_TEST_TMPDIR/last"
	same_bytes "body of the last" "$BATS_TEST_TMPDIR/last" "$DOCROOT/about.html"
}
@test "206 and 304 keep a kept-alive connection in step" {
	for_each_stage pipelined_partial
}

# A download cut off after 1,234,567 bytes (the reader went away), then
# curl -C - asks for the rest with "Range: bytes=1234567-".
resume() {
	local part=$BATS_TEST_TMPDIR/part.bin
	{ curl -s "http://127.0.0.1:$PORT/big.bin" || true; } | head -c 1234567 >"$part"
	expect_output "bytes of /big.bin kept before the cut" 1234567 size_of "$part"
	curl -s -C - -o "$part" -w '%{http_code}' "http://127.0.0.1:$PORT/big.bin" >"$BATS_TEST_TMPDIR/code"
	expect_output "status of curl -C - /big.bin" 206 text_of "$BATS_TEST_TMPDIR/code"
	same_bytes "/big.bin, resumed" "$part" "$DOCROOT/big.bin"
}
@test "curl -C - resumes an interrupted 5 MiB download byte-exact" {
	for_each_stage resume
}
