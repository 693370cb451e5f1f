#!/usr/bin/env bats
# 03-threads.bats: a thread per connection. A silent client no longer holds
# up the server; threads end with their connection and nothing is left over.

load helpers

STAGE=03-threads

setup_file() {
	make_docroot
}

# Threads at rest: 1, or 2 under ThreadSanitizer, which starts one of its
# own with the first thread; so count after one request has come and gone.
start_threads_server() {
	start_server "$STAGE" "$@"
	[ "$(code /)" = 200 ]
	sleep 0.3
	IDLE=$(proc_field "$SERVER_PID" Threads)
}

@test "while one client stays silent, another is answered at once" {
	start_threads_server -t 5
	hold_silent
	[ "$(code /about.html -m 1)" = 200 ]
	[ "$(proc_field "$SERVER_PID" Threads)" = $((IDLE + 1)) ]
	exec {HOLD_FD}>&-
}

@test "100 parallel clients all get the right body" {
	start_server "$STAGE" -q
	[ "$(parallel 100 /about.html)" = 100 ]
}

idle_threads() { [ "$(proc_field "$SERVER_PID" Threads)" = "$IDLE" ]; }

@test "after a burst of 200 requests the thread count is back to its idle value" {
	start_threads_server -q
	[ "$IDLE" -le 2 ]
	[ "$(burst 200 /index.html)" = 200 ]
	eventually idle_threads
}

@test "every client socket is closed by its thread" {
	start_threads_server -q
	local idle
	idle=$(fd_count "$SERVER_PID")
	[ "$(burst 200 /index.html)" = 200 ]
	eventually idle_threads
	[ "$(fd_count "$SERVER_PID")" = "$idle" ]
}

@test "a client that resets mid-file ends only its own thread" {
	start_threads_server -q
	reset_mid_response /big.bin
	[ "$(code /)" = 200 ]
	eventually idle_threads
}

@test "SIGTERM stops the server while a thread is busy with a client" {
	start_server "$STAGE" -t 5
	hold_silent
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID"
	SERVER_PID=
	exec {HOLD_FD}>&-
}

@test "out of descriptors (EMFILE), it neither spins nor dies, and recovers" {
	start_server "$STAGE" -q
	check_emfile_recovery
}

@test "when no thread can be started a client gets 503, and the server recovers" {
	sanitized && skip "address-space limits do not work under sanitizers"
	start_threads_server -q -t 5
	# Room in the address space for about two more 8 MiB thread stacks.
	local vm
	vm=$(proc_field "$SERVER_PID" VmSize)
	prlimit --as=$(((vm + 20 * 1024) * 1024)): --pid "$SERVER_PID"
	hold_connections 3
	sleep 0.3
	[ "$(code /about.html -m 2)" = 503 ]
	release_connections
	eventually idle_threads
	prlimit --as=unlimited: --pid "$SERVER_PID"
	[ "$(code /about.html -m 2)" = 200 ]
}
