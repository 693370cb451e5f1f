#!/usr/bin/env bats
# 08-coroutines.bats: 03's blocking handler on one thread, a coroutine per
# connection over an epoll loop. A silent client holds up only its own
# coroutine; the process never has a second thread; connections are kept
# alive as in 05/06; every coroutine's stack goes when its client does.

load helpers
load require
load keepalive

STAGE=08-coroutines

setup_file() {
	make_docroot
}

# guards PID: how many one-page inaccessible anonymous mappings PID has:
# one below each coroutine's stack.
guards() {
	local range perms offset dev inode rest n=0 page
	page=$(getconf PAGESIZE)
	while read -r range perms offset dev inode rest; do
		[ "$perms" = ---p ] && [ "$inode" = 0 ] &&
			((16#${range#*-} - 16#${range%-*} == page)) && n=$((n + 1))
	done <"/proc/$1/maps"
	echo "$n"
}

@test "08-coroutines: while one client stays silent, others are answered at once, on one thread" {
	start_server "$STAGE" -t 5
	req_silent_not_blocking
	req_one_thread
	hold_silent
	hold_connections 20
	equal "status for another client within 1 s" 200 "$(code /about.html -m 1)"
	equal "clients with the right body" 50 "$(parallel 50 /about.html)"
	equal "threads" 1 "$(proc_field "$SERVER_PID" Threads)"
	release_connections
	exec {HOLD_FD}>&-
}

@test "08-coroutines: two requests on one connection (curl re-uses it)" {
	start_server "$STAGE"
	check_two_requests_one_connection
}

@test "08-coroutines: three pipelined requests in one write are answered in order" {
	start_server "$STAGE"
	req_pipelining
}

@test "08-coroutines: a request body is skipped by Content-Length, then the next request parses" {
	start_server "$STAGE"
	check_body_skipped
}

@test "08-coroutines: a CRLF after a body does not spoil the next pipelined request" {
	start_server "$STAGE"
	check_crlf_after_body
}

@test "08-coroutines: a body that arrives after its head, in pieces, is skipped; the next request is answered" {
	start_server "$STAGE"
	check_body_in_later_packets
}

@test "08-coroutines: Connection: close (any case) and HTTP/1.0 close at once; keep-alive stays open" {
	start_server "$STAGE" -t 2
	check_close_rules
}

@test "08-coroutines: an idle keep-alive connection is closed after the timeout" {
	start_server "$STAGE" -t 2
	check_idle_close
}

@test "08-coroutines: pipelined responses to a slow reader arrive byte-exact, heads included" {
	start_server "$STAGE" -q
	check_pipelined_slow_reader
}

@test "08-coroutines: Transfer-Encoding is refused and the connection closed" {
	start_server "$STAGE"
	check_transfer_encoding_closes
}

@test "08-coroutines: a slow reader gets all of a 10 MiB file while others are served" {
	start_server "$STAGE" -q
	req_slow_reader
}

@test "08-coroutines: the log follows the order requests complete, not the order clients came" {
	start_server "$STAGE"
	local fd
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /index.html HTTP/1.1\r\nHost: x\r\n' >&"$fd"
	sleep 0.2
	code_is 200 /about.html -m 5
	printf 'Connection: close\r\n\r\n' >&"$fd"
	timeout 5 cat <&"$fd" >/dev/null
	exec {fd}>&-
	sleep 0.2
	# The notes' "the order of what the server prints is no longer fixed".
	equal "requests in the log, in order (index.html began first)" '"GET /about.html "GET /index.html ' \
		"$(grep -o '"GET [^ ]*' "$SERVER_LOG" | tr '\n' ' ')"
}

@test "08-coroutines: 1,000 concurrent keep-alive connections are all served and kept open" {
	ulimit -n 4096 2>/dev/null || [ "$(ulimit -n)" -ge 2100 ] || skip "ulimit -n too low"
	[ -x "$ROOT/bench/hold" ] || skip "bench/hold not built (make test builds it)"
	start_server "$STAGE" -q
	local fds pid
	fds=$(fd_count "$SERVER_PID")
	# 1,000 connections, one keep-alive request on each, all replies read.
	"$ROOT/bench/hold" "$PORT" 1000 3 /about.html >"$BATS_TEST_TMPDIR/hold" 2>&1 &
	pid=$!
	answered() { log_has "$BATS_TEST_TMPDIR/hold" '1000 of 1000 connections answered'; }
	eventually answered
	# All still open on the server's side, on one thread, and it still answers.
	between "descriptors the server holds with 1,000 kept open (it had $fds)" $((fds + 1000)) 1000000 \
		"$(fd_count "$SERVER_PID")"
	equal "threads" 1 "$(proc_field "$SERVER_PID" Threads)"
	code_is 200 /about.html -m 1
	wait "$pid"
}

# The stacks a finished coroutine leaves for reuse (common/param.h).
spare_max() {
	awk '$2 == "COROUTINE_SPARE" { print $3 }' "$ROOT/common/param.h"
}

@test "08-coroutines: each coroutine's stack has a guard page; stacks are reused, not leaked" {
	start_server "$STAGE" -q -t 5
	local idle after
	idle=$(guards "$SERVER_PID")
	hold_connections 150
	code_is 200 /about.html -m 5
	# one coroutine per connection, plus the one that accepts
	between "guard pages with 150 connections (idle: $idle)" $((idle + 150)) 1000000 "$(guards "$SERVER_PID")"
	release_connections
	reset_mid_response /big.bin
	few_left() {
		between "guard pages once they closed (idle: $idle, spares kept: $(spare_max))" 0 \
			$((idle + $(spare_max))) "$(guards "$SERVER_PID")"
	}
	eventually few_left
	after=$(guards "$SERVER_PID")
	hold_connections 150
	code_is 200 /about.html
	release_connections
	same_again() { equal "guard pages after 150 more came and went" "$after" "$(guards "$SERVER_PID")"; }
	eventually same_again
}

@test "08-coroutines: idle with open connections, the server uses (nearly) no CPU" {
	start_server "$STAGE" -q
	# With 20 connections open, at most 3 clock ticks (1/100 s) in 3 s:
	# waits have timers now, but an idle hub still sleeps in epoll_wait.
	req_idle_zero
}

@test "08-coroutines: SIGTERM stops it at once, with clients silent, mid-request and mid-file" {
	make_big10
	start_server "$STAGE" -t 30
	hold_connections 20
	printf 'GET / HTTP/1.1\r\nHost: x\r\n' >&"${HELD[0]}"
	curl -s --limit-rate 100K -o /dev/null "http://127.0.0.1:$PORT/big10.bin" 3>&- &
	local pid=$! start
	sleep 0.5
	start=${EPOCHREALTIME//[!0-9]/}000
	stop_server
	# every wait is cancelled, not left to its 30 s timeout
	between "ms SIGTERM took with clients silent, mid-request and mid-file" 0 1999 \
		$(((${EPOCHREALTIME//[!0-9]/}000 - start) / 1000000))
	equal "lines 'stopped' in the server's output" 1 "$(grep -cx stopped "$SERVER_LOG")"
	release_connections
	# What the kernel had buffered would still trickle in at 100 KiB/s,
	# unless curl saw the connection end and is gone already.
	kill "$pid" 2>/dev/null || true
	wait "$pid" || true
}

# The timers are a heap: taking out the earliest (A, which spoke) must
# leave the next earliest (B) first, not the last one added (C).
@test "08-coroutines: with -t 4, of three silent clients a second apart, the second is closed 4 s after it came, after the first spoke" {
	local a b c start took
	start_server "$STAGE" -q -t 4
	exec {a}<>"/dev/tcp/127.0.0.1/$PORT"
	sleep 1
	exec {b}<>"/dev/tcp/127.0.0.1/$PORT"
	start=${EPOCHREALTIME//[!0-9]/}000
	sleep 1
	exec {c}<>"/dev/tcp/127.0.0.1/$PORT"
	sleep 0.2
	printf 'GET /about.html HTTP/1.1\r\nHost: x\r\n\r\n' >&"$a"
	timeout 8 cat <&"$b" >/dev/null || true
	took=$(ms_since "$start")
	exec {a}>&- {b}>&- {c}>&-
	between "ms from B's connect until the server closed it (C's time is 5000)" 3500 4700 "$took"
}

# slow_read FILE: read stdin 10 KiB at a time, 0.1 s apart, appending to
# FILE, until it ends. (curl --limit-rate would not do: its reads are
# bursts, and the kernel grows its receive buffer until 10 MiB fit in it.)
slow_read() {
	local n
	while :; do
		n=$(dd bs=10k count=1 iflag=fullblock status=none | tee -a "$1" | wc -c)
		[ "$n" = 10240 ] || return 0
		sleep 0.1
	done
}

@test "08-coroutines: SIGTERM while a slow reader is mid-way through a 10 MiB file ends the process within 1 s" {
	local fd reader start took got
	make_big10
	start_server "$STAGE" -q -t 30
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /big10.bin HTTP/1.1\r\nHost: x\r\n\r\n' >&"$fd"
	slow_read "$BATS_TEST_TMPDIR/part" <&"$fd" &
	reader=$!
	sleep 1
	start=${EPOCHREALTIME//[!0-9]/}000
	stop_server
	took=$(ms_since "$start")
	kill "$reader" 2>/dev/null || true
	wait "$reader" || true
	exec {fd}>&-
	got=$(wc -c <"$BATS_TEST_TMPDIR/part")
	between "bytes the reader had (100 KiB/s: the file takes 100 s)" 1 2000000 "$got"
	between "ms from SIGTERM until the process ended" 0 1000 "$took"
}

@test "08-coroutines: out of memory at 3,000 connections, it refuses some (503) and never crashes, then answers" {
	# Room for about 500 coroutine stacks of 132 KiB.
	check_memory_limit "$STAGE" 65536
	grep -q 'co_spawn: Cannot allocate memory' "$SERVER_LOG" ||
		{ echo "the log: expected co_spawn to say it ran out of memory, got: $(sort "$SERVER_LOG" | uniq -c)" >&2; false; }
}

@test "08-coroutines: out of descriptors (EMFILE), it neither spins nor dies, and recovers" {
	start_server "$STAGE" -q
	check_emfile_recovery
}
