# keepalive.bash: the persistent-connection checks 05-keepalive and 06-epoll
# share. Each function expects a server started on $PORT. The req_ checks
# are the requirements make grade holds a student's server to (require.bash);
# the lines beside them are netlab's own.

# Two URLs in one curl run: the second goes over the first's connection.
# (-m: a response whose end curl cannot find would keep it waiting.)
check_two_requests_one_connection() {
	req_keep_alive
	# netlab's own: it says keep-alive, and its log shows one connection
	curl -sv -m 5 "http://127.0.0.1:$PORT/?ka" "http://127.0.0.1:$PORT/about.html?ka" \
		-o /dev/null -o /dev/null 2>"$BATS_TEST_TMPDIR/v"
	equal "responses with Connection: keep-alive" 2 "$(grep -c '^< Connection: keep-alive' "$BATS_TEST_TMPDIR/v")"
	sleep 0.2
	equal "client ports in the log" 1 "$(grep -E '"GET /(about.html)?\?ka HTTP' "$SERVER_LOG" | cut -d' ' -f1 | sort -u | wc -l)"
}

# A body announced by Content-Length is skipped, and the next request parses.
check_body_skipped() {
	req_body_skipped
	raw 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 15\r\n\r\nname=netlab&x=1GET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' \
		>"$BATS_TEST_TMPDIR/r"
	equal "statuses, in order" "405 200 " "$(grep -a '^HTTP/1.1' "$BATS_TEST_TMPDIR/r" | cut -d' ' -f2 | tr '\n' ' ')"
}

# A body that arrives after its head, in pieces, is still skipped, and the
# request after it is answered.
check_body_in_later_packets() {
	local fd
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 15\r\n\r\n' >&"$fd"
	sleep 0.3
	printf 'name=ne' >&"$fd"
	sleep 0.3
	printf 'tlab&x=1' >&"$fd"
	sleep 0.3
	printf 'GET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&"$fd"
	timeout 5 cat <&"$fd" >"$BATS_TEST_TMPDIR/r"
	exec {fd}>&-
	equal "statuses, in order" "405 200 " "$(grep -a '^HTTP/1.1' "$BATS_TEST_TMPDIR/r" | cut -d' ' -f2 | tr '\n' ' ')"
	tail -c "$(wc -c <"$DOCROOT/about.html")" "$BATS_TEST_TMPDIR/r" >"$BATS_TEST_TMPDIR/last"
	same_bytes "body of the GET after the POST's body" "$BATS_TEST_TMPDIR/last" "$DOCROOT/about.html"
}

# normalize FILE: the responses in FILE with each Date header made constant.
normalize() {
	LC_ALL=C sed 's/^Date: .*\r$/Date: -\r/' "$1"
}

# alone REQUEST: the response to REQUEST (a head without its blank line) on
# a connection of its own, as it would be on a kept-alive one.
alone() {
	raw "$1Connection: close\r\n\r\n" | LC_ALL=C sed 's/^Connection: close\r$/Connection: keep-alive\r/'
}

# Pipelined requests to a client that reads slowly. Each pair is a redirect
# whose head is 4 KiB (its Location repeats the long query) and a small file;
# 8 MiB in all is more than the socket buffers hold, so a server that sends
# until EAGAIN (05, 08) meets a full socket several times, and a send that
# stops part-way mostly stops inside a head. Each must be continued where it
# stopped: the stream must equal, byte for byte, the same responses fetched
# one at a time. 06 sends only when epoll says the socket is writable, which
# Linux says while a third of its buffer is free, so here its sends are not
# cut (not once in 3,400 heads we counted): for 06 this checks the order
# and the bytes, not the resuming.
check_pipelined_slow_reader() {
	local fd i pid piece n=1700 query pair _
	printf -v query '%3800s' ''
	query=${query// /q}
	pair="GET /docs?$query HTTP/1.1\r\nHost: x\r\n\r\nGET /about.html HTTP/1.1\r\nHost: x\r\n\r\n"
	{
		alone "GET /docs?$query HTTP/1.1\r\nHost: x\r\n"
		alone 'GET /about.html HTTP/1.1\r\nHost: x\r\n'
	} >"$BATS_TEST_TMPDIR/pair"
	for _ in 1 2 3 4 5 6 7 8 9 10; do cat "$BATS_TEST_TMPDIR/pair"; done >"$BATS_TEST_TMPDIR/ten"
	for ((i = 0; i < n; i += 10)); do cat "$BATS_TEST_TMPDIR/ten"; done >"$BATS_TEST_TMPDIR/want"
	raw 'GET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >>"$BATS_TEST_TMPDIR/want"
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	# The server reads no more while its output is stuck: write in the background.
	{
		for ((i = 0; i < n; i++)); do printf "$pair"; done
		printf 'GET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	} >&"$fd" &
	pid=$!
	# Small reads with pauses: reading a lot at once would make the kernel
	# grow the receive buffer until it holds the whole stream. Each read
	# goes to a file of its own; an empty one is the server's close, after
	# the last request's Connection: close.
	mkdir "$BATS_TEST_TMPDIR/pieces"
	for ((i = 0; i < 4000; i++)); do
		printf -v piece '%s/pieces/%05d' "$BATS_TEST_TMPDIR" "$i"
		timeout 5 dd bs=65536 count=1 status=none of="$piece" <&"$fd"
		[ -s "$piece" ] || break
		sleep 0.01
	done
	exec {fd}>&-
	cat "$BATS_TEST_TMPDIR/pieces"/* >"$BATS_TEST_TMPDIR/got"
	wait "$pid"
	normalize "$BATS_TEST_TMPDIR/want" >"$BATS_TEST_TMPDIR/want.n"
	normalize "$BATS_TEST_TMPDIR/got" >"$BATS_TEST_TMPDIR/got.n"
	same_bytes "$n pipelined responses read slowly (Date made constant)" "$BATS_TEST_TMPDIR/got.n" \
		"$BATS_TEST_TMPDIR/want.n"
}

# time_to_close REQUEST: milliseconds until the server closes after REQUEST.
time_to_close() {
	local start fd
	start=${EPOCHREALTIME//[!0-9]/}000
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf '%b' "$1" >&"$fd"
	timeout 10 cat <&"$fd" >/dev/null
	exec {fd}>&-
	echo $(((${EPOCHREALTIME//[!0-9]/}000 - start) / 1000000))
}

# connection_is VALUE REQUEST: the response to REQUEST says Connection: VALUE.
# Only its head is read: a kept-alive connection would hold a reader that
# waits for the close until the idle timeout.
connection_is() {
	local fd line
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf '%b' "$2" >&"$fd"
	: >"$BATS_TEST_TMPDIR/conn"
	while IFS= read -r -t 5 -u "$fd" line && [ "$line" != $'\r' ]; do
		printf '%s\n' "$line" >>"$BATS_TEST_TMPDIR/conn"
	done
	exec {fd}>&-
	expect_output "Connection for '$2'" "$1" header Connection "$BATS_TEST_TMPDIR/conn"
}

# With -t 2: Connection: close and HTTP/1.0 close at once, keep-alive waits.
check_close_rules() {
	req_close_rules
	between "ms to close after Connection: close" 0 899 "$(time_to_close 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')"
	between "ms to close after HTTP/1.0" 0 899 "$(time_to_close 'GET / HTTP/1.0\r\n\r\n')"
	# Connection options are case-insensitive tokens in a list (RFC 9110 7.6.1).
	between "ms to close after Connection: Close" 0 899 "$(time_to_close 'GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n')"
	between "ms to close after Connection: foo, CLOSE" 0 899 "$(time_to_close 'GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, CLOSE\r\n\r\n')"
	connection_is close 'GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n'
	connection_is close 'GET / HTTP/1.0\r\n\r\n'
	connection_is keep-alive 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'
	between "ms to close an HTTP/1.0 keep-alive (-t 2)" 1500 100000 "$(time_to_close 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')"
	connection_is keep-alive 'GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n'
}

# An idle keep-alive connection is closed after the -t timeout (2 s here).
check_idle_close() {
	local t
	into t time_to_close 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
	between "ms to close an idle connection (-t 2)" 1500 5000 "$t"
}

# Transfer-Encoding is refused and the connection closed: no smuggling.
check_transfer_encoding_closes() {
	raw 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /about.html HTTP/1.1\r\nHost: x\r\n\r\n' \
		>"$BATS_TEST_TMPDIR/r"
	equal "responses" 1 "$(grep -a -c '^HTTP/1.1' "$BATS_TEST_TMPDIR/r")"
	expect_output "status line" "HTTP/1.1 501 Not Implemented" status_line "$BATS_TEST_TMPDIR/r"
	expect_output "its Connection" close header Connection "$BATS_TEST_TMPDIR/r"
}

# A client may send CRLF after a body (RFC 9112 2.2): the next pipelined
# request is still parsed, not answered 400.
check_crlf_after_body() {
	raw 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc\r\nGET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' \
		>"$BATS_TEST_TMPDIR/r"
	equal "statuses for a POST whose body ends in CRLF, then a GET" "405 200 " \
		"$(grep -a '^HTTP/1.1' "$BATS_TEST_TMPDIR/r" | cut -d' ' -f2 | tr '\n' ' ')"
}

# 300 pipelined requests in one write: more than the input buffer holds, so
# the parser resumes after each one and the unread rest moves to the front
# when room runs out. All come back in order: the access log shows each
# numbered target once, in sequence. (The first is a HEAD so that stale
# bytes left at the front would not look like the next request.)
check_many_pipelined() {
	local all='HEAD /about.html?n=0 HTTP/1.1\r\nHost: x\r\n\r\n' i
	for ((i = 1; i < 299; i++)); do all+="GET /about.html?n=$i HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"; done
	all+='GET /style.css?n=299 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	raw "$all" >"$BATS_TEST_TMPDIR/r"
	equal "responses to 300 pipelined requests" 300 "$(grep -ac '^HTTP/1.1' "$BATS_TEST_TMPDIR/r")"
	equal "of them 200 OK" 300 "$(grep -ac '^HTTP/1.1 200 OK' "$BATS_TEST_TMPDIR/r")"
	tail -c "$(wc -c <"$DOCROOT/style.css")" "$BATS_TEST_TMPDIR/r" >"$BATS_TEST_TMPDIR/last"
	same_bytes "body of the last (style.css)" "$BATS_TEST_TMPDIR/last" "$DOCROOT/style.css"
	sleep 0.2
	grep -o '?n=[0-9]* ' "$SERVER_LOG" | tr -dc '0-9\n' >"$BATS_TEST_TMPDIR/seen"
	seq 0 299 >"$BATS_TEST_TMPDIR/order"
	same_bytes "targets in the log, n=0 to n=299 in order" "$BATS_TEST_TMPDIR/seen" "$BATS_TEST_TMPDIR/order"
}

# A head that arrives in pieces, cut inside the final CRLF CRLF too, is
# answered once it is whole, and not before.
check_head_in_pieces() {
	local fd piece
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	for piece in 'GE' 'T /about.html HTTP/1.1\r' '\nHost: x\r\nConnection: close\r\n' '\r' '\n'; do
		printf '%b' "$piece" >&"$fd"
		sleep 0.1
	done
	timeout 5 cat <&"$fd" >"$BATS_TEST_TMPDIR/r"
	exec {fd}>&-
	expect_output "status line for a head sent in five pieces" "HTTP/1.1 200 OK" status_line "$BATS_TEST_TMPDIR/r"
	tail -c "$(wc -c <"$DOCROOT/about.html")" "$BATS_TEST_TMPDIR/r" >"$BATS_TEST_TMPDIR/last"
	same_bytes "its body" "$BATS_TEST_TMPDIR/last" "$DOCROOT/about.html"
}

# Its helpers run without bats' per-command trap (helpers.bash).
[[ $- != *T* ]] || untraced untrace_new keepalive
