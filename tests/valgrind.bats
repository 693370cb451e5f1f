#!/usr/bin/env bats
# valgrind.bats: 01-static, 06-epoll and 08-coroutines serve a burst under
# valgrind's memcheck, and every stage meets clients that reset mid-file;
# any invalid access or leak makes valgrind exit non-zero, or shows in the
# log, which fails the test. valgrind does not know openat2, so here the
# docroot is guarded by common/docroot.c:open_checked instead. Slow, so it runs from make check only
# (NETLAB_VALGRIND=1).

load helpers

# One test at a time, even where run.sh lets a file's tests run side by
# side: each run under valgrind wants the machine to itself.
BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup_file() {
	make_docroot
}

# Under valgrind a process's exit is slow: valgrind checks for leaks before
# the process ends. Once, in make check, 02-fork took longer than the 5 s
# the other files allow a server to stop; a server that ignores SIGTERM is
# still caught, after 20 s.
STOP_WAIT=20

# stop_checked: stop the server. valgrind's exit status speaks for the
# server's own process; what it reports for a child (02-fork forks one per
# client) is only in the log.
stop_checked() {
	stop_server
	if grep -q '^==[0-9]*==' "$SERVER_LOG"; then
		echo "valgrind's report, in the server's log:" >&2
		grep '^==[0-9]*==' "$SERVER_LOG" | head -n 40 >&2
		return 1
	fi
}

teardown() {
	stop_checked
}

setup() {
	[ -n "${NETLAB_VALGRIND:-}" ] || skip "run by make check (NETLAB_VALGRIND=1)"
	command -v valgrind >/dev/null || skip "valgrind not installed"
	SERVER_WRAP=(valgrind -q --error-exitcode=86 --leak-check=full
		--show-leak-kinds=definite,indirect,possible
		--errors-for-leak-kinds=definite,indirect,possible)
	START_TRIES=800   # 40 s: valgrind starts it slowly
}

serve_burst() {
	[ "$(burst 40 /about.html)" = 40 ]
	curl -s "http://127.0.0.1:$PORT/big.bin" | cmp - "$DOCROOT/big.bin"
	[ "$(code /missing.html)" = 404 ]
	[ "$(code /../outside/secret.txt)" = 403 ]
	# valgrind does not know openat2: these go through open_checked
	[ "$(code /link-out.txt)" = 403 ]
	[ "$(code /dir-out/secret.txt)" = 403 ]
	[ "$(code /link-in.html)" = 200 ]
	[ "$(code /docs/)" = 200 ]
	[ "$(status_of 'garbage\r\n\r\n')" = 400 ]
	# each answer of common/cond.c: 206 from the middle, 304, 412, 416
	curl -s -r 1000000-1999999 "http://127.0.0.1:$PORT/big.bin" |
		cmp - <(tail -c +1000001 "$DOCROOT/big.bin" | head -c 1000000)
	[ "$(code /about.html -H 'If-None-Match: *')" = 304 ]
	[ "$(code /about.html -H 'If-Match: "x"')" = 412 ]
	[ "$(code /about.html -r 99999-)" = 416 ]
	reset_mid_response /big.bin
}

@test "01-static under valgrind: no invalid access, no leak" {
	start_server 01-static -q
	serve_burst
}

@test "06-epoll under valgrind: no invalid access, no leak" {
	start_server 06-epoll -q
	serve_burst
	raw 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | grep -c '^HTTP/1.1 200' | grep -qx 2
	hold_connections 20
	stop_server
	release_connections
}

@test "08-coroutines under valgrind: stacks switched and freed cleanly" {
	start_server 08-coroutines -q
	serve_burst
	raw 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | grep -c '^HTTP/1.1 200' | grep -qx 2
	# coroutines waiting for a request, and one half-way through one
	hold_connections 20
	printf 'GET / HTTP/1.1\r\n' >&"${HELD[0]}"
	stop_server
	release_connections
}

# A reset cuts a send short: each stage's error path, which a normal
# exchange never takes, must free what the exchange held.
@test "every stage under valgrind: clients that reset mid-response leave no invalid access and no leak" {
	local stage sent
	make_big10
	for stage in $(stages); do
		echo "# $stage"
		start_server "$stage"
		reset_mid_response /big10.bin
		reset_mid_response /big10.bin
		equal "status of /about.html on $stage after two resets" 200 "$(code /about.html -m 10)"
		# The log says the resets came mid-response: the error path was taken.
		two_logged() { [ "$(grep -c '"GET /big10.bin HTTP/1.1" 200 ' "$SERVER_LOG")" = 2 ]; }
		eventually two_logged || { echo "the log: expected two lines for big10.bin, got: $(cat "$SERVER_LOG")" >&2; false; }
		for sent in $(sed -n 's/.*"GET \/big10.bin HTTP\/1.1" 200 \([0-9]*\)$/\1/p' "$SERVER_LOG"); do
			between "bytes of big10.bin sent to a client that left after 100000" 100000 10485759 "$sent"
		done
		stop_checked
	done
}
