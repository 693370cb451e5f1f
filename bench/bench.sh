#!/usr/bin/env bash
# bench.sh: every server stage side by side with nginx and lighttpd, under
# wrk, one after another in one run on 127.0.0.1, on one generated docroot.
#
#   bench/bench.sh            the full run (a few minutes); make bench
#   QUICK=1 bench/bench.sh    a smoke run (well under a minute)
#
# Each cell: requests/s (median of REPEAT runs, with min-max), p50 and p99
# latency, errors and timeouts, server CPU seconds, peak RSS and the most
# processes+threads seen. Prints a markdown table and writes it, with a
# gnuplot chart when gnuplot is installed, to bench/results/ (OUT=dir to
# change). Every process it starts is stopped by PID, also on Ctrl-C.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"

QUICK=${QUICK:-}
DURATION=${DURATION:-$([ -n "$QUICK" ] && echo 1 || echo 3)}
REPEAT=${REPEAT:-$([ -n "$QUICK" ] && echo 1 || echo 3)}
OUT=${OUT:-$ROOT/bench/results}
STAGES=${STAGES:-$(cd "$ROOT" && ls -d [0-9][0-9]-*/server.c | cut -d/ -f1)}
if [ -n "$QUICK" ]; then
	WORKLOADS=${WORKLOADS:-"1k-ka-c1 1k-ka-c50"}
	REFS=${REFS:-}
else
	WORKLOADS=${WORKLOADS:-"1k-ka-c1 1k-ka-c50 1k-ka-c1000 1k-close-c50 100k-ka-c50 10m-ka-c50"}
	REFS=${REFS:-"nginx lighttpd"}
fi

need wrk
bench_init

# workload NAME: sets PATH_, CONNS, HEADER for wrk.
workload() {
	case $1 in
	1k-ka-c1) PATH_=/1k.bin CONNS=1 HEADER= ;;
	1k-ka-c50) PATH_=/1k.bin CONNS=50 HEADER= ;;
	1k-ka-c1000) PATH_=/1k.bin CONNS=1000 HEADER= ;;
	1k-close-c50) PATH_=/1k.bin CONNS=50 HEADER="Connection: close" ;;
	100k-ka-c50) PATH_=/100k.bin CONNS=50 HEADER= ;;
	10m-ka-c50) PATH_=/10m.bin CONNS=50 HEADER= ;;
	*) echo "unknown workload $1" >&2; exit 2 ;;
	esac
}

# One cell: start SERVER, load it REPEAT times with the workload, stop it.
cell() {
	local server=$1 wl=$2 i rps=() p50=() p99=() errs=0 tmo=0 cpu0 cpu1
	workload "$wl"
	server_start "$server" || { echo "| $server | $wl | did not start |"; return; }
	cpu0=$(tree_cpu "$SPID")
	sample_start "$SPID"
	for ((i = 0; i < REPEAT; i++)); do
		wrk_run "$PATH_" "$CONNS" "$HEADER" "$DURATION"
		rps+=("$W_RPS") p50+=("$W_P50") p99+=("$W_P99")
		errs=$((errs + W_ERRORS)) tmo=$((tmo + W_TIMEOUTS))
	done
	cpu1=$(tree_cpu "$SPID")
	sample_stop
	server_stop
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$wl" \
		"$(median "${rps[@]}")" "$(min "${rps[@]}")" "$(max "${rps[@]}")" \
		"$(median "${p50[@]}")" "$(median "${p99[@]}")" "$errs" "$tmo" \
		"$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }')" \
		"$S_PEAK_KB $S_TASKS" >>"$RAW"
}

RAW=$WORK/raw.tsv
: >"$RAW"
for wl in $WORKLOADS; do
	for server in $STAGES $REFS; do
		echo "== $server $wl" >&2
		cell "$server" "$wl"
	done
done
report "$RAW" "$OUT"
