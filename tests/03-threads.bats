#!/usr/bin/env bats
# 03-threads.bats: a thread per connection. A silent client no longer holds
# up the server; threads end with their connection and nothing is left over.
# The req_ checks are the requirements make grade holds a student's server to
# (require.bash); the lines beside them are netlab's stricter own.

load helpers
load require

STAGE=03-threads

setup_file() {
	make_docroot
}

# Threads at rest: 1, or 2 under ThreadSanitizer, which starts one of its
# own with the first thread; so count after one request has come and gone.
start_threads_server() {
	start_server "$STAGE" "$@"
	equal "status of /" 200 "$(code /)"
	sleep 0.3
	IDLE=$(proc_field "$SERVER_PID" Threads)
}

@test "03-threads: while one client stays silent, another is answered at once" {
	start_threads_server -t 5
	req_silent_not_blocking
	hold_silent
	equal "threads (one more than idle, for the silent client)" $((IDLE + 1)) "$(proc_field "$SERVER_PID" Threads)"
	exec {HOLD_FD}>&-
}

@test "03-threads: each connection gets a thread, not a process" {
	start_server "$STAGE" -t 5
	req_thread_per_connection
}

@test "03-threads: 100 parallel clients all get the right body" {
	start_server "$STAGE" -q
	req_parallel
}

# twenty_at_once: 20 requests queued while the server is stopped, so that
# it accepts them back to back; prints how many got a whole about.html.
twenty_at_once() {
	local fds=() fd i ok=0 reply
	kill -STOP "$SERVER_PID"
	for ((i = 1; i <= 20; i++)); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
		printf 'GET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&"$fd"
		fds+=("$fd")
	done
	kill -CONT "$SERVER_PID"
	for fd in "${fds[@]}"; do
		reply=$(timeout 5 cat <&"$fd" | tr -d '\0')
		[[ $reply == 'HTTP/1.1 200 OK'*"$(cat "$DOCROOT/about.html")" ]] && ok=$((ok + 1))
		exec {fd}>&-
	done
	echo "$ok"
}

@test "03-threads: twenty connections accepted back to back each get their own thread and answer" {
	start_server "$STAGE" -q -t 2
	equal "connections answered with about.html, of 20 accepted at once" 20 "$(twenty_at_once)"
}

idle_threads() { equal "threads (as when idle)" "$IDLE" "$(proc_field "$SERVER_PID" Threads)"; }

@test "03-threads: after a burst of 200 requests the thread count is back to its idle value" {
	start_threads_server -q
	between "threads of the idle server" 1 2 "$IDLE"
	req_threads_end
	equal "requests answered 200" 200 "$(burst 200 /index.html)"
	eventually idle_threads
}

@test "03-threads: every client socket is closed by its thread" {
	start_threads_server -q
	local idle
	idle=$(fd_count "$SERVER_PID")
	equal "requests answered 200" 200 "$(burst 200 /index.html)"
	eventually idle_threads
	equal "descriptors open (as before the burst)" "$idle" "$(fd_count "$SERVER_PID")"
}

@test "03-threads: a client that resets mid-file ends only its own thread" {
	start_threads_server -q
	reset_mid_response /big.bin
	equal "status of / afterwards" 200 "$(code /)"
	eventually idle_threads
}

@test "03-threads: SIGTERM stops the server while a thread is busy with a client" {
	start_server "$STAGE" -t 5
	hold_silent
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID"
	SERVER_PID=
	exec {HOLD_FD}>&-
}

@test "03-threads: out of descriptors (EMFILE), it neither spins nor dies, and recovers" {
	start_server "$STAGE" -q
	check_emfile_recovery
}

@test "03-threads: when no thread can be started a client gets 503, and the server recovers" {
	sanitized && skip "address-space limits do not work under sanitizers"
	start_threads_server -q -t 5
	# Room in the address space for about two more 8 MiB thread stacks.
	local vm
	vm=$(proc_field "$SERVER_PID" VmSize)
	prlimit --as=$(((vm + 20 * 1024) * 1024)): --pid "$SERVER_PID"
	hold_connections 3
	sleep 0.3
	equal "status when no thread can be started" 503 "$(code /about.html -m 2)"
	release_connections
	eventually idle_threads
	prlimit --as=unlimited: --pid "$SERVER_PID"
	equal "status once the limit is lifted" 200 "$(code /about.html -m 2)"
}
