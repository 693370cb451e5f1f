#!/usr/bin/env bats
# 04-nonblock.bats: one thread, non-blocking sockets, a polling loop.
# Requests and responses move in pieces across passes; nobody waits for
# anybody; one request per connection; an idle loop does not spin. The
# req_ checks are the requirements make grade holds a student's server to
# (require.bash); the lines beside them are netlab's stricter own.

load helpers
load require

STAGE=04-nonblock

setup_file() {
	make_docroot
}

@test "04-nonblock: while one client stays silent, another is answered at once" {
	start_server "$STAGE" -t 5
	req_silent_not_blocking
}

@test "04-nonblock: a slow reader gets all of a 10 MiB file while others are served" {
	start_server "$STAGE" -q
	req_slow_reader
}

@test "04-nonblock: 100 parallel clients all get the right body" {
	start_server "$STAGE" -q
	req_parallel 100
}

@test "04-nonblock: one thread serves everything" {
	start_server "$STAGE" -q
	req_one_thread
	equal "clients with the right body" 50 "$(parallel 50 /about.html)"
	equal "threads" 1 "$(proc_field "$SERVER_PID" Threads)"
}

@test "04-nonblock: one request per connection: the server closes after answering" {
	start_server "$STAGE"
	raw 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /about.html HTTP/1.1\r\nHost: x\r\n\r\n' >"$BATS_TEST_TMPDIR/r"
	equal "responses to two requests in one write" 1 "$(grep -a -c '^HTTP/1.1' "$BATS_TEST_TMPDIR/r")"
	equal "Connection of the answer" close "$(header Connection "$BATS_TEST_TMPDIR/r")"
}

@test "04-nonblock: idle, the polling loop sleeps between passes instead of spinning" {
	start_server "$STAGE" -q
	req_idle_cpu
}

@test "04-nonblock: a silent connection is dropped after the timeout" {
	start_server "$STAGE" -t 1
	equal "status after half a request" 408 "$(status_of 'GET / HTTP/1.1\r\n')"
	hold_silent
	sleep 3
	equal "bytes sent to a silent client before the close" 0 "$(timeout 2 cat <&"$HOLD_FD" | wc -c)"
	exec {HOLD_FD}>&-
}

@test "04-nonblock: out of memory, a client gets 503 instead of a silent close, and the server recovers" {
	sanitized && skip "a sanitizer build reserves terabytes of address space"
	start_server "$STAGE" -q
	check_enomem_503
}

@test "04-nonblock: bytes sent after the request do not turn the close into a reset that eats the response" {
	start_server "$STAGE" -q
	req_lingering_close
}
