#!/usr/bin/env bash
# idle.sh: what a server costs while nothing happens. Each server is started
# alone, pinned to one core, with one client connected and silent (it
# connects and sends nothing, so every stage keeps the connection open for
# its -t of 60 s). Over WINDOW seconds we read the server's CPU time from
# /proc/PID/stat (utime + stime, in clock ticks) and how often it went to
# sleep of its own accord (voluntary_ctxt_switches in /proc/PID/status): a
# loop that polls sleeps a thousand times a second, one that waits in
# epoll_wait sleeps until it is woken.
#
#   bench/idle.sh [SERVER...]
#
# SERVER is the path of a server program; by default 04-nonblock, 06-epoll
# and 08-coroutines, and 04 without its idle sleep when `make lab
# BUG=busy-loop` has built it. WINDOW=... changes the window in seconds
# (default 5); NOTE="..." adds a line to the report saying how the servers
# were built. The table goes to stdout and to build/bench/idle-*.md
# (OUT=bench/results to keep it with the committed runs; OUT=dir to change).
# Run it under flock with the other benchmarks.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"

WINDOW=${WINDOW:-5}
OUT=${OUT:-$ROOT/build/bench}
need taskset util-linux
if [ $# -eq 0 ]; then
	set -- 04-nonblock/server 06-epoll/server 08-coroutines/server
	busy=build/lab/busy-loop/04-nonblock/server
	[ ! -x "$ROOT/$busy" ] || set -- "$busy" "$@"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/netlab-idle.XXXXXX")
SPID=''
cleanup() {
	[ -z "$SPID" ] || { kill -TERM "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; } || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# cpu_ticks PID: utime + stime (fields 14 and 15; the name in field 2 may
# hold spaces, so count from after its closing parenthesis).
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

sleeps() {
	awk '$1 == "voluntary_ctxt_switches:" { print $2 }' "/proc/$1/status"
}

# measure SERVER: one raw line "SERVER ticks0 ticks1 sleeps0 sleeps1".
measure() {
	local port t0 t1 v0 v1
	: >"$WORK/out"   # there before the server writes to it, for the sed below
	taskset -c "$SERVER_CPU" "$1" -p 0 -q -t 60 -d "$ROOT/www" >"$WORK/out" 2>&1 &
	SPID=$!
	for _ in $(seq 100); do
		port=$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$WORK/out")
		[ -z "$port" ] || break
		sleep 0.05
	done
	[ -n "$port" ] || { echo "idle: $1 did not start: $(cat "$WORK/out")" >&2; exit 1; }
	exec 7<>"/dev/tcp/127.0.0.1/$port"
	sleep 0.5   # let it accept the connection before the window opens
	t0=$(cpu_ticks "$SPID") v0=$(sleeps "$SPID")
	sleep "$WINDOW"
	t1=$(cpu_ticks "$SPID") v1=$(sleeps "$SPID")
	exec 7>&-
	kill -TERM "$SPID"
	wait "$SPID" || true
	SPID=''
	echo "$1 $t0 $t1 $v0 $v1"
}

HZ=$(getconf CLK_TCK)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
cd "$ROOT"
for s in "$@"; do
	measure "$s"
done >"$WORK/raw"

mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M)
{
	echo "# netlab idle $stamp: CPU used by a server with one silent connection"
	echo
	host
	load
	echo "- command: bench/idle.sh $*"
	[ -z "${NOTE:-}" ] || echo "- note: $NOTE"
	echo "- each server alone, pinned to CPU $SERVER_CPU, one client connected and silent; window ${WINDOW} s; CPU from /proc/PID/stat (utime + stime, $HZ ticks a second), sleeps from voluntary_ctxt_switches"
	echo
	echo "| server | CPU s in ${WINDOW} s | share of one core | sleeps per second |"
	echo "|---|---:|---:|---:|"
	awk -v hz="$HZ" -v secs="$WINDOW" '{
		cpu = ($3 - $2) / hz
		printf "| %s | %.2f | %.1f%% | %.0f |\n", $1, cpu, 100 * cpu / secs, ($5 - $4) / secs
	}' "$WORK/raw"
	echo
	echo "Raw: server, utime+stime ticks before and after, voluntary context switches before and after."
	echo
	echo '```'
	cat "$WORK/raw"
	echo '```'
} | tee "$OUT/idle-$stamp.md"
