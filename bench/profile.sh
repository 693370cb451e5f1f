#!/usr/bin/env bash
# profile.sh: where a server's CPU goes under load, function by function,
# kernel included. perf samples the serving process (and every child it
# forks meanwhile) with call chains while wrk runs one workload; the report
# lists functions by inclusive share, the samples in a function and in all
# it called: `_Fork` 50% means half the CPU went to fork and its work.
#
#   bench/profile.sh [SERVER [WORKLOAD]]     (default: 02-fork 1k-close-c50)
#
# SERVER is a stage, nginx or lighttpd; WORKLOAD is named as in bench.sh:
# SIZE-MODE-cCONNS, SIZE 1k, 100k or 10m, MODE ka (keep-alive) or close.
# DURATION=... seconds (default 3); LIMIT=... hides functions under that
# share (default 1.5%). Writes build/bench/profile-*.md (OUT=bench/results
# to keep it; OUT=dir to change). Run it under flock with the other
# benchmarks.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"

SERVER=${1:-02-fork}
WL=${2:-1k-close-c50}
DURATION=${DURATION:-3}
LIMIT=${LIMIT:-1.5}
OUT=${OUT:-$ROOT/build/bench}
need perf linux-perf
need wrk
need taskset util-linux
IFS=- read -r size mode conns <<<"$WL"
case $size-$mode-$conns in
	1k-*|100k-*|10m-*) ;;
	*) echo "profile: workload $WL is not SIZE-MODE-cCONNS" >&2; exit 2 ;;
esac
[ "$mode" = ka ] || [ "$mode" = close ] || { echo "profile: mode $mode is not ka or close" >&2; exit 2; }
HEADER=$([ "$mode" = ka ] || echo "Connection: close")
HOPT=$([ -z "$HEADER" ] || echo " -H \"$HEADER\"")
bench_init

server_start "$SERVER" || { echo "profile: $SERVER did not start" >&2; exit 1; }
perf record -q -e cpu-clock -g -o "$WORK/perf.data" -p "$(worker "$SPID" "$SERVER")" \
	>"$WORK/perf.log" 2>&1 &
PERF=$!
sleep 0.5   # perf has attached
wrk_run "/$size.bin" "${conns#c}" "$HEADER" "$DURATION"
kill -INT "$PERF"
wait "$PERF" || true
server_stop

mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M)
{
	echo "# netlab profile $stamp: where $SERVER's CPU goes, $WL"
	echo
	machine | grep -v '^- nginx\|^- lighttpd'
	echo "- command: bench/profile.sh $SERVER $WL; $SERVER pinned to CPU $SERVER_CPU, wrk -t 1 -c ${conns#c} -d ${DURATION}s$HOPT /$size.bin pinned to CPU $LOAD_CPU: $W_RPS req/s, $W_ERRORS errors"
	echo "- samples: perf record -e cpu-clock -g -p PID (children forked during the run included), $(perf --version)"
	echo "- report: perf report --children --sort sym -g none --percent-limit $LIMIT; Children = samples in the function and all it called, Self = in the function itself; [k] kernel, [.] user space"
	echo
	echo '```'
	perf report -i "$WORK/perf.data" --children --stdio --sort sym -g none --percent-limit "$LIMIT" 2>/dev/null |
		grep -v '^$' | grep -v '^# *$' | grep -v '^# \(To display\|Total Lost\)'
	echo '```'
} | tee "$OUT/profile-$stamp.md"
