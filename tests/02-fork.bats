#!/usr/bin/env bats
# 02-fork.bats: a process per connection. A silent client no longer holds up
# the server; the parent closes its copy of each socket and reaps its children.

load helpers

STAGE=02-fork

setup_file() {
	make_docroot
}

@test "while one client stays silent, another is answered at once" {
	start_server "$STAGE" -t 5
	hold_silent
	[ "$(code /about.html -m 1)" = 200 ]
	exec {HOLD_FD}>&-
}

@test "100 parallel clients all get the right body" {
	start_server "$STAGE" -q
	[ "$(parallel 100 /about.html)" = 100 ]
}

no_zombies() { [ "$(zombies "$SERVER_PID")" = 0 ]; }

@test "after a burst of 200 requests no child is left a zombie" {
	start_server "$STAGE" -q
	[ "$(burst 200 /index.html)" = 200 ]
	eventually no_zombies
}

@test "the parent closes its copy of every client socket" {
	start_server "$STAGE" -q
	local idle
	idle=$(fd_count "$SERVER_PID")
	[ "$(burst 200 /index.html)" = 200 ]
	[ "$(fd_count "$SERVER_PID")" = "$idle" ]
}

@test "a client that resets mid-file kills only its own child" {
	start_server "$STAGE" -q
	reset_mid_response /big.bin
	[ "$(code /)" = 200 ]
	eventually no_zombies
}
