#!/usr/bin/env bats
# 05-keepalive.bats: 04 plus persistent connections: several requests per
# connection, pipelining, exact framing, closing when asked or idle.

load helpers
load require
load keepalive

STAGE=05-keepalive

setup_file() {
	make_docroot
}

@test "05-keepalive: two requests on one connection (curl re-uses it)" {
	start_server "$STAGE"
	check_two_requests_one_connection
}

@test "05-keepalive: three pipelined requests in one write are answered in order" {
	start_server "$STAGE"
	req_pipelining
}

@test "05-keepalive: 300 pipelined requests, more than the input buffer holds, are answered in order" {
	start_server "$STAGE"
	check_many_pipelined
}

@test "05-keepalive: a head that arrives in pieces is answered once whole" {
	start_server "$STAGE"
	check_head_in_pieces
}

@test "05-keepalive: a request body is skipped by Content-Length, then the next request parses" {
	start_server "$STAGE"
	check_body_skipped
}

@test "05-keepalive: a CRLF after a body does not spoil the next pipelined request" {
	start_server "$STAGE"
	check_crlf_after_body
}

@test "05-keepalive: a body that arrives after its head, in pieces, is skipped; the next request is answered" {
	start_server "$STAGE"
	check_body_in_later_packets
}

@test "05-keepalive: Connection: close (any case) and HTTP/1.0 close at once; keep-alive stays open" {
	start_server "$STAGE" -t 2
	check_close_rules
}

@test "05-keepalive: an idle keep-alive connection is closed after the timeout" {
	start_server "$STAGE" -t 2
	check_idle_close
}

@test "05-keepalive: pipelined responses to a slow reader arrive byte-exact, heads included" {
	start_server "$STAGE" -q
	check_pipelined_slow_reader
}

@test "05-keepalive: Transfer-Encoding is refused and the connection closed" {
	start_server "$STAGE"
	check_transfer_encoding_closes
}

@test "05-keepalive: a request that arrives one byte at a time on a kept-alive connection" {
	start_server "$STAGE"
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	req=$'GET /about.html HTTP/1.1\r\nHost: x\r\n\r\n'
	printf '%s' "$req" >&"$fd"
	sleep 0.2
	req=$'GET /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	for ((i = 0; i < ${#req}; i++)); do
		printf '%s' "${req:i:1}" >&"$fd"
		sleep 0.005
	done
	timeout 5 cat <&"$fd" >"$BATS_TEST_TMPDIR/r"
	exec {fd}>&-
	equal "200 responses" 2 "$(grep -a -c '^HTTP/1.1 200 OK' "$BATS_TEST_TMPDIR/r")"
}

@test "05-keepalive: while one client stays silent, another is answered at once" {
	start_server "$STAGE" -t 5
	req_silent_not_blocking
}

# -t 5 here and below: a response that never ends (make lab BUG=no-content-length)
# keeps a client waiting until the server closes, not a minute.
@test "05-keepalive: a slow reader gets all of a 10 MiB file while others are served" {
	start_server "$STAGE" -q -t 5
	req_slow_reader
}

@test "05-keepalive: 100 parallel clients all get the right body" {
	start_server "$STAGE" -q -t 5
	req_parallel 100
}

# 05 sends a response's head and its body in two writes. With Nagle's
# algorithm on, the body waits until the head is acknowledged, and the
# client delays that ACK by at least 40 ms: every request on a kept-alive
# connection would take that long. With TCP_NODELAY none should: count the
# slow ones (a few may be slow on a busy machine; with Nagle nearly all are).
@test "05-keepalive: 50 keep-alive requests, head and body in two writes, do not wait for delayed ACKs" {
	start_server "$STAGE" -q
	req_no_delayed_ack
}

@test "05-keepalive: out of memory, a client gets 503 instead of a silent close, and the server recovers" {
	sanitized && skip "a sanitizer build reserves terabytes of address space"
	start_server "$STAGE" -q
	check_enomem_503
}

@test "05-keepalive: bytes sent after the request do not turn the close into a reset that eats the response" {
	start_server "$STAGE" -q
	req_lingering_close
}
