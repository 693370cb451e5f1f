#!/usr/bin/env bats
# bench.bats: the benchmark script works end to end (QUICK=1, one stage,
# one reference server when installed). It checks the table's shape, never
# a number: speed is measured by make bench, not by tests.

load helpers

# One test at a time, even where run.sh lets a file's tests run side by
# side: a measurement wants the machine to itself.
BATS_NO_PARALLELIZE_WITHIN_FILE=true

@test "make bench QUICK=1 prints and writes a table with a row per cell" {
	command -v wrk >/dev/null || skip "wrk not installed"
	refs=
	command -v lighttpd >/dev/null && refs=lighttpd
	run env QUICK=1 STAGES="01-static 06-epoll" REFS="$refs" WORKLOADS="1k-ka-c1 1k-close-c50" \
		OUT="$BATS_TEST_TMPDIR/out" TMPDIR="$BATS_TEST_TMPDIR" "$ROOT/bench/bench.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	md=$(ls "$BATS_TEST_TMPDIR"/out/bench-*.md)
	grep -q '^| workload | server | req/s | min-max | p50 ms | p99 ms | errors | timeouts | CPU s | wrk CPU s | peak RSS MiB | tasks | vs nginx | vs lighttpd |$' "$md"
	rows=$(grep -cE '^\| 1k-(ka-c1|close-c50) \| [0-9a-z-]+ \| [0-9]+ \| [0-9]+-[0-9]+ \| [0-9.]+ \| [0-9.]+ \| [0-9]+ \| [0-9]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9]+ \| ([0-9.]+x|-) \| ([0-9.]+x|-) \|$' "$md")
	servers=2
	[ -z "$refs" ] || servers=3
	[ "$rows" -eq $((2 * servers)) ]
	grep -q '^- machine: [0-9]* cores' "$md"
	# every process it started is gone (its work directory is in ours, so
	# another user's benchmark on the same machine does not count)
	not pgrep -f "$BATS_TEST_TMPDIR" >/dev/null
}

@test "make trace writes syscalls and instructions per request for each server" {
	for t in strace ab valgrind callgrind_control; do
		command -v $t >/dev/null || skip "$t not installed"
	done
	strace -o /dev/null true 2>/dev/null || skip "strace cannot trace here"
	run env REQUESTS=100 OUT="$BATS_TEST_TMPDIR/out" TMPDIR="$BATS_TEST_TMPDIR" "$ROOT/bench/trace.sh" 06-epoll
	echo "$output"
	[ "$status" -eq 0 ]
	md=$(ls "$BATS_TEST_TMPDIR"/out/trace-*.md)
	grep -q '^| server | syscalls/request, 1 connection | syscalls/request, 50 connections | user-space instructions/request |$' "$md"
	grep -qE '^\| 06-epoll \| [0-9]+\.[0-9]+ \| [0-9]+\.[0-9]+ \| [0-9]+ \|$' "$md"
	grep -q '^## 06-epoll, 1 connection: strace -c$' "$md"
	not pgrep -f "$BATS_TEST_TMPDIR" >/dev/null
}

@test "bench/spawn.sh writes microseconds for fork, thread and both coroutines" {
	make -s -C "$ROOT" bench/spawn
	run env ROUNDS=50 OUT="$BATS_TEST_TMPDIR/out" "$ROOT/bench/spawn.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	md=$(ls "$BATS_TEST_TMPDIR"/out/spawn-*.md)
	for w in fork thread 'coroutine, kept stack' 'coroutine, new stack'; do
		grep -qE "^\| $w \| [0-9]+\.[0-9] \|$" "$md"
	done
}

@test "bench/idle.sh writes a row per server and stops every server it started" {
	# copies under our directory, so that pgrep finds what it left running
	cp "$ROOT/06-epoll/server" "$BATS_TEST_TMPDIR/epoll"
	cp "$ROOT/08-coroutines/server" "$BATS_TEST_TMPDIR/coro"
	run env WINDOW=1 OUT="$BATS_TEST_TMPDIR/out" TMPDIR="$BATS_TEST_TMPDIR" "$ROOT/bench/idle.sh" \
		"$BATS_TEST_TMPDIR/epoll" "$BATS_TEST_TMPDIR/coro"
	echo "$output"
	[ "$status" -eq 0 ]
	md=$(ls "$BATS_TEST_TMPDIR"/out/idle-*.md)
	grep -q '^| server | CPU s in 1 s | share of one core | sleeps per second |$' "$md"
	[ "$(grep -cE '^\| .*/(epoll|coro) \| [0-9]+\.[0-9]{2} \| [0-9.]+% \| [0-9]+ \|$' "$md")" -eq 2 ]
	not pgrep -f "$BATS_TEST_TMPDIR" >/dev/null
}

@test "bench/sendbuf.sh: one send to a client that does not read takes less than 10 MiB" {
	make -s -C "$ROOT" bench/sendbuf
	run env OUT="$BATS_TEST_TMPDIR/out" "$ROOT/bench/sendbuf.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	md=$(ls "$BATS_TEST_TMPDIR"/out/sendbuf-*.md)
	grep -qE '^\| 10485760 \| [0-9]+ \| [0-9]+ \| [1-9][0-9]* \| [0-9]+ \|$' "$md"
}

@test "bench/load-syscalls.sh counts system calls per request under wrk, a row per server and load" {
	command -v wrk >/dev/null || skip "wrk not installed"
	command -v perf >/dev/null || skip "perf not installed"
	perf stat -e raw_syscalls:sys_enter -- true >/dev/null 2>&1 || skip "perf cannot read tracepoints here"
	run env DURATION=1 CONNS="1 20" OUT="$BATS_TEST_TMPDIR/out" "$ROOT/bench/load-syscalls.sh" 06-epoll
	echo "$output"
	[ "$status" -eq 0 ]
	md=$(ls "$BATS_TEST_TMPDIR"/out/load-syscalls-*.md)
	[ "$(grep -cE '^\| 06-epoll \| (1|20) \| [1-9][0-9]* \| [0-9]+\.[0-9]{2} \|' "$md")" -eq 2 ]
	# Every request is read and answered: at least one recvfrom and one
	# sendto each (06 sends a small file from memory with send).
	awk -F' \\| ' '/^\| 06-epoll/ && ($5 < 0.95 || $6 < 0.95) { exit 1 }' "$md"
}
