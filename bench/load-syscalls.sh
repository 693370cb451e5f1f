#!/usr/bin/env bash
# load-syscalls.sh: what one request costs a server in system calls and
# CPU while wrk keeps it busy. make trace counts system calls with strace,
# which slows the server so much that the next request has always arrived
# before it asks: a server that would have waited (08's coroutines yield,
# with a failed recv first) never does there. Here perf counts them from
# the kernel's tracepoints, at full speed, with the server pinned to one
# core and wrk (one thread) to another, as in make bench.
#
#   bench/load-syscalls.sh [SERVER...]     (default: 06-epoll 08-coroutines lighttpd)
#
# CONNS="50 1000" and DURATION=3 (seconds) are the defaults. Each row: the
# requests per second, the system calls per request (all, and the ones
# that differ between event loops), the server's CPU time per request, and
# how much of its core wrk used (near 100 %: wrk set the pace, not the
# server). Needs perf (apt-get install -y linux-perf) with access to
# tracepoints (root, or perf_event_paranoid <= -1). The table goes to
# stdout and build/bench/load-syscalls-*.md (OUT=bench/results keeps it).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"

CONNS=${CONNS:-50 1000}
DURATION=${DURATION:-3}
OUT=${OUT:-$ROOT/build/bench}
[ $# -gt 0 ] || set -- 06-epoll 08-coroutines lighttpd
need wrk
need perf linux-perf
EVENTS=raw_syscalls:sys_enter,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto
EVENTS+=,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_rt_sigprocmask,task-clock
perf stat -e "$EVENTS" -- true >/dev/null 2>&1 ||
	{ echo "load-syscalls: perf cannot read the syscall tracepoints here (run as root)" >&2; exit 1; }
bench_init

rows=$WORK/rows
: >"$rows"
for server in "$@"; do
	for conns in $CONNS; do
		server_start "$server" || { echo "load-syscalls: $server did not start" >&2; continue; }
		wrk_run /1k.bin "$conns" "" 1   # warm up: the file cache, the connections
		perf stat -x, -e "$EVENTS" -p "$(worker "$SPID" "$server")" -o "$WORK/perf" &
		perf_pid=$!
		sleep 0.2
		wrk_run /1k.bin "$conns" "" "$DURATION"
		kill -INT "$perf_pid"
		wait "$perf_pid" || true
		server_stop
		# perf's CSV: value,unit,event,...; task-clock is in milliseconds.
		awk -F, -v s="$server" -v c="$conns" -v rps="$W_RPS" -v n="${W_REQS:-0}" -v d="${W_SECS:-$DURATION}" \
			-v wrk="$W_TICKS" -v hz="$(getconf CLK_TCK)" '
			/^[0-9.]+,/ { v[$3] = $1 }
			END {
				if (n == 0) n = 1
				printf "| %s | %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %.0f %% |\n", s, c, rps,
					v["raw_syscalls:sys_enter"] / n, v["syscalls:sys_enter_recvfrom"] / n,
					v["syscalls:sys_enter_sendto"] / n, v["syscalls:sys_enter_epoll_wait"] / n,
					v["syscalls:sys_enter_rt_sigprocmask"] / n, v["task-clock"] * 1000 / n,
					100 * wrk / hz / d
			}' "$WORK/perf" >>"$rows"
	done
done

mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M)
{
	echo "# netlab load-syscalls $stamp: system calls per request under load"
	echo
	machine
	echo "- servers pinned to CPU $SERVER_CPU, wrk (one thread) to CPU $LOAD_CPU; /1k.bin kept alive, ${DURATION} s per row after a 1 s warm-up"
	echo "- counted by perf from the kernel's tracepoints on the serving process, divided by the requests wrk made; wrk CPU is its CPU time over the run's length"
	echo "- recvfrom and sendto are what recv and send become; a server that calls read and write (lighttpd) or writev (nginx) shows those only in the total"
	echo
	echo "| server | connections | req/s | syscalls/request | recvfrom | sendto | epoll_wait | rt_sigprocmask | server CPU µs/request | wrk CPU |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	cat "$rows"
} | tee "$OUT/load-syscalls-$stamp.md"
echo "written: $OUT/load-syscalls-$stamp.md" >&2
