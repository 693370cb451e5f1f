#!/usr/bin/env bats
# 02-fork.bats: a process per connection. A silent client no longer holds up
# the server; the parent closes its copy of each socket and reaps its children.
# The req_ checks are the requirements make grade holds a student's server to
# (require.bash); the lines beside them are netlab's stricter own.

load helpers
load require

STAGE=02-fork

setup_file() {
	make_docroot
}

@test "02-fork: while one client stays silent, another is answered at once" {
	start_server "$STAGE" -t 5
	req_silent_not_blocking
}

@test "02-fork: each connection gets a process of its own" {
	start_server "$STAGE" -t 5
	req_process_per_connection
}

@test "02-fork: 100 parallel clients all get the right body" {
	start_server "$STAGE" -q
	req_parallel
}

no_zombies() { equal "zombie children" 0 "$(zombies "$SERVER_PID")"; }

# no_children: the server has no child left, running or a zombie.
no_children() {
	local kids=()
	read -r -a kids <"/proc/$SERVER_PID/task/$SERVER_PID/children"
	equal "children of the server (pids ${kids[*]})" 0 "${#kids[@]}"
}

@test "02-fork: after a burst of 200 requests no child is left a zombie" {
	start_server "$STAGE" -q
	req_reaps
	equal "requests answered 200" 200 "$(burst 200 /index.html)"
	eventually no_zombies
}

@test "02-fork: twenty children that end together are all reaped, though their SIGCHLDs arrive as one" {
	start_server "$STAGE" -q
	end_together 20
	eventually no_zombies
}

# A SIGTERM that comes while the SIGCHLD handler runs. That handler was
# installed with SA_RESTART, so the accept it interrupted starts again when
# it returns: had the SIGTERM only set server_stop, the server would sit in
# accept until the next client. strace holds each waitpid the handler makes
# for a second, so the SIGTERM lands inside the handler every time.
# (LeakSanitizer cannot run under a tracer: off, in the sanitizer build.)
@test "02-fork: a SIGTERM that arrives while the SIGCHLD handler runs still stops it" {
	command -v strace >/dev/null || skip "strace not installed"
	strace -o /dev/null true 2>/dev/null || skip "strace cannot trace here"
	local T=$BATS_TEST_TMPDIR status=0
	SERVER_WRAP=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
		strace -q -o "$T/trace" -e trace=wait4,accept -e inject=wait4:delay_exit=1000000)
	start_server "$STAGE" -q
	TRACED_PID=$LISTENING_PID
	code_is 200 /
	# its child has ended: the handler is in its first waitpid
	eventually grep -q -- '--- SIGCHLD' "$T/trace"
	kill -TERM "$TRACED_PID"
	if ! gone_within 5 "$TRACED_PID"; then
		echo "the server still runs 5 s after that SIGTERM; its calls:" >&2
		cat "$T/trace" >&2
		return 1
	fi
	TRACED_PID=
	# strace ends with the server's status: 0 for a clean stop
	wait "$SERVER_PID" || status=$?
	SERVER_PID=
	equal "exit status of the server" 0 "$status"
}

@test "02-fork: the parent closes its copy of every client socket" {
	start_server "$STAGE" -q
	local idle
	req_parent_closes
	idle=$(fd_count "$SERVER_PID")
	equal "requests answered 200" 200 "$(burst 200 /index.html)"
	equal "descriptors open in the parent (as before the burst)" "$idle" "$(fd_count "$SERVER_PID")"
}

@test "02-fork: a client that resets mid-file kills only its own child" {
	start_server "$STAGE" -q
	reset_mid_response /big.bin
	equal "status of / afterwards" 200 "$(code /)"
	eventually no_zombies
}

@test "02-fork: out of descriptors (EMFILE), it neither spins nor dies, and recovers" {
	start_server "$STAGE" -q
	check_emfile_recovery
}

@test "02-fork: at the process limit a client gets 503, and the server recovers" {
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
	equal "status when no process can be forked" 503 "$(code /about.html -m 2)"
	# Its child must be gone, not only reaped once it exits: while it
	# still reads its closed socket it counts against the limit.
	exec {HOLD_FD}>&-
	eventually no_children
	equal "status once the silent child is gone" 200 "$(code /about.html -m 2)"
}

# A server started under a tracer (TRACED_PID) is killed by its own pid:
# the tracer's death need not end it.
teardown() {
	[ -z "${TRACED_PID:-}" ] || kill -KILL "$TRACED_PID" 2>/dev/null || true
	stop_server
	[ -z "${PUBLIC:-}" ] || rm -rf "$PUBLIC"
}
