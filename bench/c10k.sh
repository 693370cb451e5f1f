#!/usr/bin/env bash
# c10k.sh: 10,000 concurrent keep-alive connections against 06-epoll and
# nginx: wrk with 10,000 connections (requests/s, errors, timeouts, peak
# RSS), then 10,000 idle kept-alive connections held by bench/hold (RSS per
# idle connection). N=... DURATION=... change the size and length; the table
# goes to stdout and to build/bench/c10k-*.md (OUT=bench/results to keep it
# with the committed runs; OUT=dir to change).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"

N=${N:-10000}
DURATION=${DURATION:-10}
SERVERS=${SERVERS:-"06-epoll nginx"}
need wrk
bench_init
[ "$(ulimit -n)" -gt $((N + 100)) ] || { echo "c10k: ulimit -n must exceed $N" >&2; exit 2; }

rss_kb() {
	# shellcheck disable=SC2046
	cat "/proc/$1/status" $(pgrep -P "$1" | sed 's|.*|/proc/&/status|') 2>/dev/null |
		awk '/^VmRSS:/ { r += $2 } END { print r + 0 }'
}

OUT=${OUT:-$ROOT/build/bench}
mkdir -p "$OUT"
exec > >(tee "$OUT/c10k-$(date -u +%Y%m%d-%H%M).md")
echo "# netlab c10k: $N concurrent keep-alive connections"
echo
machine
echo "- wrk: $N connections for ${DURATION}s; then bench/hold keeps $N kept-alive connections idle"
echo
echo "| server | connections | req/s | errors | timeouts | peak RSS MiB | RSS idle before | RSS with $N idle | bytes per idle connection |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for s in $SERVERS; do
	command -v "$s" >/dev/null || [ -x "$ROOT/$s/server" ] || continue
	server_start "$s"
	sample_start "$SPID"
	wrk_run /1k.bin "$N" "" "$DURATION"
	sample_stop
	server_stop
	# Fresh server for the idle measurement, so wrk's peak does not count.
	server_start "$s"
	sleep 0.5
	before=$(rss_kb "$SPID")
	"$ROOT/bench/hold" "$PORT" "$N" 4 /1k.bin >"$WORK/hold.log" 2>&1 &
	hold=$!
	for _ in $(seq 100); do grep -q 'now idle' "$WORK/hold.log" && break; sleep 0.2; done
	sleep 1
	with=$(rss_kb "$SPID")
	wait "$hold" || echo "hold: $(cat "$WORK/hold.log")" >&2
	server_stop
	echo "| $s | $N | $W_RPS | $W_ERRORS | $W_TIMEOUTS | $(awk -v k="$S_PEAK_KB" 'BEGIN { printf "%.1f", k / 1024 }') |" \
		"$before KiB | $with KiB | $(( (with - before) * 1024 / N )) |"
done
