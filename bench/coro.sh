#!/usr/bin/env bash
# coro.sh: what a coroutine costs, next to a thread and an epoll struct.
#
#   1. bench/switch, pinned to one core: a swapcontext round trip (what
#      08's hub pays per request it resumes), a system call, and a round
#      trip between two threads.
#   2. N idle connections held by bench/hold against 03-threads (a thread
#      each), 06-epoll (a struct) and 08-coroutines (a coroutine and its
#      stack): resident and virtual memory per connection, and threads.
#      Silent connections first (no request: 03's thread waits in recv),
#      then kept-alive ones (one request answered; 03 closes those).
#
# N=... changes the count (default 1000). The tables go to stdout and to
# build/bench/coro-*.md (OUT=bench/results to keep it with the committed
# runs; OUT=dir to change). Run it under flock with the other benchmarks;
# make bench-coro does.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"

N=${N:-1000}
SERVERS=${SERVERS:-"03-threads 06-epoll 08-coroutines"}
OUT=${OUT:-$ROOT/build/bench}
need wrk   # lib.sh's machine() names it
need taskset util-linux
bench_init
[ "$(ulimit -n)" -gt $((N + 100)) ] || { echo "coro: ulimit -n must exceed $N" >&2; exit 2; }

# status_kb PID FIELD: a /proc/PID/status field (VmRSS, VmSize, Threads).
status_field() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# held SERVER PATH: "rss_before rss_with vm_before vm_with threads_with
# open", with N connections held by bench/hold (PATH - : silent); open is
# how many of them the server still has open (03 closes after a reply).
held() {
	local rb vb fb r v t f hold
	server_start "$1"
	sleep 0.5
	rb=$(status_field "$SPID" VmRSS) vb=$(status_field "$SPID" VmSize)
	fb=$(ls "/proc/$SPID/fd" | wc -l)
	"$ROOT/bench/hold" "$PORT" "$N" 4 "$2" >"$WORK/hold.log" 2>&1 &
	hold=$!
	for _ in $(seq 100); do grep -q 'now idle' "$WORK/hold.log" && break; sleep 0.1; done
	sleep 1
	r=$(status_field "$SPID" VmRSS) v=$(status_field "$SPID" VmSize)
	t=$(status_field "$SPID" Threads)
	f=$(ls "/proc/$SPID/fd" | wc -l)
	wait "$hold" || echo "hold: $(cat "$WORK/hold.log")" >&2
	server_stop
	echo "$rb $r $vb $v $t $((f - fb))"
}

per_conn() {
	echo $((($2 - $1) * 1024 / N))
}

# shellcheck disable=SC2034  # read by machine()
DURATION=0 REPEAT=1
mkdir -p "$OUT"
exec > >(tee "$OUT/coro-$(date -u +%Y%m%d-%H%M).md")
echo "# netlab: what a coroutine costs"
echo
machine | grep -v '^- duration\|nginx\|lighttpd'
echo
echo "## Switching, nanoseconds per round trip (bench/switch, one core)"
echo
echo "| what | ns |"
echo "|---|---:|"
taskset -c 1 "$ROOT/bench/switch" | awk -F'\t' '{ printf "| %s | %s |\n", $1, $2 }'
echo
echo "## $N idle connections (bench/hold)"
echo
echo "| server | silent connections | RSS before KiB | RSS with them KiB | resident bytes per connection | virtual bytes per connection | threads | resident bytes per kept-alive connection |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for s in $SERVERS; do
	read -r rb r vb v t open < <(held "$s" -)
	[ "$open" -ge "$N" ] || echo "$s: only $open of $N silent connections open" >&2
	read -r krb kr _ _ _ kopen < <(held "$s" /1k.bin)
	ka=$([ "$kopen" -lt "$N" ] && echo "closed by the server" || per_conn "$krb" "$kr")
	echo "| $s | $N | $rb | $r | $(per_conn "$rb" "$r") | $(per_conn "$vb" "$v") | $t | $ka |"
done
