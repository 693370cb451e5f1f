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

@test "out of descriptors (EMFILE), it neither spins nor dies, and recovers" {
	start_server "$STAGE" -q
	check_emfile_recovery
}

@test "at the process limit a client gets 503, and the server recovers" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	# root ignores RLIMIT_NPROC: run the server as nobody, from a docroot
	# nobody can read.
	PUBLIC=$(mktemp -d /tmp/netlab-nproc.XXXXXX)
	chmod 755 "$PUBLIC"
	cp -R "$ROOT/www" "$PUBLIC/www"
	chmod -R a+rX "$PUBLIC/www"
	DOCROOT=$PUBLIC/www
	local limit=$(($(pgrep -c -u nobody) + 2))
	SERVER_WRAP=(prlimit --nproc="$limit:$limit" setpriv --reuid=nobody --regid=nogroup --clear-groups)
	start_server "$STAGE" -q -t 5
	hold_silent   # the one child the limit allows
	[ "$(code /about.html -m 2)" = 503 ]
	exec {HOLD_FD}>&-
	eventually no_zombies
	[ "$(code /about.html -m 2)" = 200 ]
}

teardown() {
	stop_server
	[ -z "${PUBLIC:-}" ] || rm -rf "$PUBLIC"
}
