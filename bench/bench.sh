#!/usr/bin/env bash
# bench.sh: every server stage side by side with nginx and lighttpd, under
# wrk on 127.0.0.1, on one generated docroot. Servers are pinned to one
# core and wrk to another; all servers of a workload run at once and take
# turns, five rounds of 2 s each, so the ratio between two servers
# compares runs that met the same noise.
#
#   bench/bench.sh            the full run (a few minutes); make bench
#   QUICK=1 bench/bench.sh    a smoke run (well under a minute)
#
# Each cell: requests/s (median of REPEAT runs, with min-max), p50 and p99
# latency, errors and timeouts, server CPU seconds and wrk's (at DURATION x
# REPEAT seconds, the load generator was the limit), peak RSS, the most
# processes+threads seen, and the median per-round ratio to nginx and to
# lighttpd. Prints a markdown table and writes it, with a gnuplot chart when
# gnuplot is installed, to build/bench/ (OUT=bench/results to keep them;
# OUT=dir to change). Every process it starts is stopped by PID, also on
# Ctrl-C.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"

QUICK=${QUICK:-}
DURATION=${DURATION:-$([ -n "$QUICK" ] && echo 1 || echo 2)}
REPEAT=${REPEAT:-$([ -n "$QUICK" ] && echo 1 || echo 5)}
OUT=${OUT:-$ROOT/build/bench}
STAGES=${STAGES:-$(cd "$ROOT" && ls -d [0-9][0-9]-*/server.c | cut -d/ -f1 | tr "\n" " ")}
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

# Start every server for one workload; each waits idle (no CPU: they all
# sleep in accept, poll or epoll_wait) while the others are measured.
servers_start() {
	local server
	for server in $STAGES $REFS; do
		PID[$server]='' PORTS[$server]=''
		server_start "$server" || { echo "bench: $server did not start" >&2; continue; }
		PID[$server]=$SPID PORTS[$server]=$PORT
	done
}

# One wrk run against SERVER; its numbers are appended to the per-server lists.
measure() {
	local server=$1 pid=${PID[$1]} cpu0 cpu1
	PORT=${PORTS[$server]}
	cpu0=$(tree_cpu "$pid")
	sample_start "$pid"
	wrk_run "$PATH_" "$CONNS" "$HEADER" "$DURATION"
	sample_stop
	cpu1=$(tree_cpu "$pid")
	RPS[$server]+=" $W_RPS" P50[$server]+=" $W_P50" P99[$server]+=" $W_P99"
	ERRS[$server]=$((ERRS[$server] + W_ERRORS)) TMO[$server]=$((TMO[$server] + W_TIMEOUTS))
	CPU[$server]=$((CPU[$server] + cpu1 - cpu0)) LCPU[$server]=$((LCPU[$server] + W_TICKS))
	[ "$S_PEAK_KB" -le "${PEAK[$server]}" ] || PEAK[$server]=$S_PEAK_KB
	[ "$S_TASKS" -le "${TASKS[$server]}" ] || TASKS[$server]=$S_TASKS
}

# The median over the rounds of SERVER's req/s divided by REF's in the same
# round: both met the same machine noise, so the ratio is steadier than
# either number.
ratio() {
	[ -n "${PID[$2]:-}" ] && [ -n "${RPS[$2]:-}" ] || { echo -; return; }
	paste <(tr ' ' '\n' <<<"${RPS[$1]# }") <(tr ' ' '\n' <<<"${RPS[$2]# }") |
		awk '$2 > 0 { print $1 / $2 }' | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) printf "%.2fx", v[int((NR + 1) / 2)]; else print "-" }'
}

# One workload: every server started, then REPEAT rounds in which each
# server gets one wrk run, in an order that rotates from round to round.
workload_run() {
	local wl=$1 i j server list n
	workload "$wl"
	declare -gA PID PORTS RPS P50 P99 ERRS TMO CPU LCPU PEAK TASKS
	servers_start
	read -r -a list <<<"$STAGES $REFS"
	n=${#list[@]}
	for server in "${list[@]}"; do
		RPS[$server]='' P50[$server]='' P99[$server]=''
		ERRS[$server]=0 TMO[$server]=0 CPU[$server]=0 LCPU[$server]=0 PEAK[$server]=0 TASKS[$server]=0
	done
	for ((i = 0; i < REPEAT; i++)); do
		for ((j = 0; j < n; j++)); do
			server=${list[(i + j) % n]}
			[ -n "${PID[$server]}" ] || continue
			echo "== $wl round $((i + 1)): $server" >&2
			measure "$server"
		done
	done
	for server in "${list[@]}"; do
		[ -n "${PID[$server]}" ] || { printf '%s\t%s\tdid not start\n' "$server" "$wl" >>"$RAW"; continue; }
		server_stop "${PID[$server]}"
		# shellcheck disable=SC2086  # the lists are meant to split
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$wl" \
			"$(median ${RPS[$server]})" "$(min ${RPS[$server]})" "$(max ${RPS[$server]})" \
			"$(median ${P50[$server]})" "$(median ${P99[$server]})" "${ERRS[$server]}" "${TMO[$server]}" \
			"$(awk -v t="${CPU[$server]}" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }')" \
			"${PEAK[$server]} ${TASKS[$server]}" "$(ratio "$server" nginx)" "$(ratio "$server" lighttpd)" \
			"$(awk -v t="${LCPU[$server]}" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }')" >>"$RAW"
	done
}

RAW=$WORK/raw.tsv
: >"$RAW"
for wl in $WORKLOADS; do
	workload_run "$wl"
done
# The 10 MiB cell's ceiling: sendfile alone, with nothing of HTTP around it.
if [[ " $WORKLOADS " == *" 10m-ka-c50 "* ]] && [ -x "$ROOT/bench/sendfile" ]; then
	REPORT_NOTES="- the 10 MiB cell's ceiling, $("$ROOT/bench/sendfile" "$DOCROOT/10m.bin" 3 "$SERVER_CPU" "$LOAD_CPU")"
fi
report "$RAW" "$OUT"
