#!/usr/bin/env bats
# 04-nonblock.bats: one thread, non-blocking sockets, a polling loop.
# Requests and responses move in pieces across passes; nobody waits for
# anybody; one request per connection; an idle loop does not spin.

load helpers

STAGE=04-nonblock

setup_file() {
	make_docroot
}

@test "while one client stays silent, another is answered at once" {
	start_server "$STAGE" -t 5
	check_silent_client_does_not_block
}

@test "a slow reader gets all of a 10 MiB file while others are served" {
	start_server "$STAGE" -q
	check_slow_reader
}

@test "200 parallel clients all get the right body" {
	start_server "$STAGE" -q
	[ "$(parallel 200 /about.html)" = 200 ]
}

@test "one thread serves everything" {
	start_server "$STAGE" -q
	[ "$(parallel 50 /about.html)" = 50 ]
	[ "$(proc_field "$SERVER_PID" Threads)" = 1 ]
}

@test "one request per connection: the server closes after answering" {
	start_server "$STAGE"
	raw 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /about.html HTTP/1.1\r\nHost: x\r\n\r\n' >"$BATS_TEST_TMPDIR/r"
	[ "$(grep -a -c '^HTTP/1.1' "$BATS_TEST_TMPDIR/r")" = 1 ]
	grep -q '^Connection: close' "$BATS_TEST_TMPDIR/r"
}

@test "idle, the polling loop sleeps between passes instead of spinning" {
	start_server "$STAGE" -q
	hold_connections 20
	# 2 s is 200 ticks of a core; a loop that never sleeps would use them all.
	[ "$(idle_ticks "$SERVER_PID" 2)" -lt 50 ]
	release_connections
}

@test "a silent connection is dropped after the timeout" {
	start_server "$STAGE" -t 1
	[ "$(status_of 'GET / HTTP/1.1\r\n')" = 408 ]
	hold_silent
	sleep 3
	[ "$(timeout 2 cat <&"$HOLD_FD" | wc -c)" = 0 ]
	exec {HOLD_FD}>&-
}
