# keepalive.bash: the persistent-connection checks 05-keepalive and 06-epoll
# share. Each function expects a server started on $PORT.

# Two URLs in one curl run: the second goes over the first's connection.
check_two_requests_one_connection() {
	curl -sv "http://127.0.0.1:$PORT/" "http://127.0.0.1:$PORT/about.html" \
		-o /dev/null -o /dev/null 2>"$BATS_TEST_TMPDIR/v"
	grep -q 'Re-using existing connection' "$BATS_TEST_TMPDIR/v"
	[ "$(grep -c '^< HTTP/1.1 200 OK' "$BATS_TEST_TMPDIR/v")" = 2 ]
	[ "$(grep -c '^< Connection: keep-alive' "$BATS_TEST_TMPDIR/v")" = 2 ]
	# one connection seen by the server: both log lines name the same peer
	sleep 0.2
	[ "$(grep -E '"GET /(about.html)? HTTP' "$SERVER_LOG" | cut -d' ' -f1 | sort -u | wc -l)" = 1 ]
}

# Three requests in one write come back in order, the last one closing.
check_pipelining() {
	raw 'GET /about.html HTTP/1.1\r\nHost: x\r\n\r\nHEAD /missing HTTP/1.1\r\nHost: x\r\n\r\nGET /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' \
		>"$BATS_TEST_TMPDIR/r"
	[ "$(grep -a '^HTTP/1.1' "$BATS_TEST_TMPDIR/r" | cut -d' ' -f2 | tr '\n' ' ')" = "200 404 200 " ]
	tail -c "$(wc -c <"$DOCROOT/style.css")" "$BATS_TEST_TMPDIR/r" | cmp - "$DOCROOT/style.css"
}

# A body announced by Content-Length is skipped, and the next request parses.
check_body_skipped() {
	raw 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 15\r\n\r\nname=netlab&x=1GET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' \
		>"$BATS_TEST_TMPDIR/r"
	[ "$(grep -a '^HTTP/1.1' "$BATS_TEST_TMPDIR/r" | cut -d' ' -f2 | tr '\n' ' ')" = "405 200 " ]
}

# time_to_close REQUEST: milliseconds until the server closes after REQUEST.
time_to_close() {
	local start fd
	start=$(date +%s%N)
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf '%b' "$1" >&"$fd"
	timeout 10 cat <&"$fd" >/dev/null
	exec {fd}>&-
	echo $((($(date +%s%N) - start) / 1000000))
}

# With -t 2: Connection: close and HTTP/1.0 close at once, keep-alive waits.
check_close_rules() {
	[ "$(time_to_close 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')" -lt 900 ]
	[ "$(time_to_close 'GET / HTTP/1.0\r\n\r\n')" -lt 900 ]
	raw 'GET / HTTP/1.0\r\n\r\n' | grep -q '^Connection: close'
	raw 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' | grep -q '^Connection: keep-alive'
	[ "$(time_to_close 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')" -ge 1500 ]
}

# An idle keep-alive connection is closed after the -t timeout (2 s here).
check_idle_close() {
	local t
	t=$(time_to_close 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
	[ "$t" -ge 1500 ] && [ "$t" -le 5000 ]
}

# Transfer-Encoding is refused and the connection closed: no smuggling.
check_transfer_encoding_closes() {
	raw 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /about.html HTTP/1.1\r\nHost: x\r\n\r\n' \
		>"$BATS_TEST_TMPDIR/r"
	[ "$(grep -a -c '^HTTP/1.1' "$BATS_TEST_TMPDIR/r")" = 1 ]
	head -n 1 "$BATS_TEST_TMPDIR/r" | grep -q ' 501 '
	grep -q '^Connection: close' "$BATS_TEST_TMPDIR/r"
}

# A client may send CRLF after a body (RFC 9112 2.2): the next pipelined
# request is still parsed, not answered 400.
check_crlf_after_body() {
	raw 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc\r\nGET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' \
		>"$BATS_TEST_TMPDIR/r"
	[ "$(grep -a '^HTTP/1.1' "$BATS_TEST_TMPDIR/r" | cut -d' ' -f2 | tr '\n' ' ')" = "405 200 " ]
}
