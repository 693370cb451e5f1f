#!/usr/bin/env bats
# 06-epoll.bats: 05 on an epoll loop: everything 05 does, plus no CPU while
# idle, a thousand connections at once, and surviving the descriptor limit.

load helpers
load require
load keepalive

STAGE=06-epoll

setup_file() {
	make_docroot
}

@test "06-epoll: two requests on one connection (curl re-uses it)" {
	start_server "$STAGE"
	check_two_requests_one_connection
}

@test "06-epoll: three pipelined requests in one write are answered in order" {
	start_server "$STAGE"
	req_pipelining
}

@test "06-epoll: 300 pipelined requests, more than the input buffer holds, are answered in order" {
	start_server "$STAGE"
	check_many_pipelined
}

@test "06-epoll: a head that arrives in pieces is answered once whole" {
	start_server "$STAGE"
	check_head_in_pieces
}

@test "06-epoll: a request body is skipped by Content-Length, then the next request parses" {
	start_server "$STAGE"
	check_body_skipped
}

@test "06-epoll: a CRLF after a body does not spoil the next pipelined request" {
	start_server "$STAGE"
	check_crlf_after_body
}

@test "06-epoll: a body that arrives after its head, in pieces, is skipped; the next request is answered" {
	start_server "$STAGE"
	check_body_in_later_packets
}

@test "06-epoll: Connection: close (any case) and HTTP/1.0 close at once; keep-alive stays open" {
	start_server "$STAGE" -t 2
	check_close_rules
}

@test "06-epoll: an idle keep-alive connection is closed after the timeout" {
	start_server "$STAGE" -t 2
	check_idle_close
}

@test "06-epoll: with -T 2, a head trickling in a byte every 0.3 s gets 408 within 3 s of its first byte" {
	start_server "$STAGE" -q -t 5 -T 2
	trickle 'GET /trickled HTTP/1.1\r\nX-Slow: ' 0.3 30 8
	equal "status line" "HTTP/1.1 408 Request Timeout" "$TRICKLED_LINE"
	# The clock counts whole seconds: the deadline may come up to 1 s early.
	between "ms from the first byte until the 408" 900 3000 "$TRICKLED_MS"
}

@test "06-epoll: once a client that got Connection: close closes too, its descriptor is freed and the CPU rests within 2 s" {
	local fd before i now
	start_server "$STAGE" -q
	before=$(fd_count "$SERVER_PID")
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&"$fd"
	timeout 5 cat <&"$fd" >"$BATS_TEST_TMPDIR/r"   # until the server's FIN
	exec {fd}>&-
	ends_with "$BATS_TEST_TMPDIR/r" "$DOCROOT/about.html"
	for ((i = 1; i <= 20; i++)); do
		now=$(fd_count "$SERVER_PID")
		[ "$now" -le "$before" ] && break
		sleep 0.1
	done
	equal "descriptors 2 s after the client closed (as before it came)" "$before" "$now"
	between "CPU ticks used in the second after" 0 5 "$(idle_ticks "$SERVER_PID" 1)"
}

@test "06-epoll: pipelined responses to a slow reader arrive byte-exact, heads included" {
	start_server "$STAGE" -q
	check_pipelined_slow_reader
}

@test "06-epoll: Transfer-Encoding is refused and the connection closed" {
	start_server "$STAGE"
	check_transfer_encoding_closes
}

@test "06-epoll: while one client stays silent, another is answered at once" {
	start_server "$STAGE" -t 5
	req_silent_not_blocking
}

@test "06-epoll: a client that reads nothing of 32 MiB holds nobody up (accepted sockets do not block)" {
	start_server "$STAGE" -q
	req_stalled_reader
}

@test "06-epoll: a slow reader gets all of a 10 MiB file while others are served" {
	start_server "$STAGE" -q
	req_slow_reader
}

@test "06-epoll: 100 parallel clients all get the right body" {
	start_server "$STAGE" -q
	req_parallel 100
}

@test "06-epoll: idle with open connections, the server uses (nearly) no CPU" {
	start_server "$STAGE" -q
	# With 20 connections open, at most 3 clock ticks (1/100 s) in 3 s:
	# it wakes once a second for the timeout sweep, and that is all.
	req_idle_zero
}

@test "06-epoll: 1,000 concurrent connections are all served" {
	start_server "$STAGE" -q
	req_many_connections
}

@test "06-epoll: out of memory at 3,000 connections, it closes some and never crashes, then answers" {
	# A connection costs 06 a small struct: only a tight limit runs out.
	check_memory_limit "$STAGE" 256
}

@test "06-epoll: out of descriptors (EMFILE), it neither spins nor dies, and recovers" {
	start_server "$STAGE" -q
	check_emfile_recovery
}

@test "06-epoll: out of memory, a client gets 503 instead of a silent close, and the server recovers" {
	sanitized && skip "a sanitizer build reserves terabytes of address space"
	start_server "$STAGE" -q
	check_enomem_503
}

@test "06-epoll: bytes sent after the request do not turn the close into a reset that eats the response" {
	start_server "$STAGE" -q
	req_lingering_close
}
