#!/usr/bin/env bash
# cost.sh: what one request costs, in user-space instructions, for the
# stages whose speed is a lesson: 06-epoll, 08-coroutines and 10-framework
# (a static file, and a page its application builds).
#
#   bench/cost.sh           print the table
#   bench/cost.sh check     and hold it against bench/budget.txt: exit 1 when
#                           one costs more than 5% above its budget
#
# Requests per second move by a third from run to run on a shared machine;
# instructions do not. callgrind counts them for the same binary and the
# same requests the same way whatever else the machine is doing, so this
# can run in every CI run and catch a change that makes a request dearer
# (the validators once more than doubled 06's cost, and no timing noticed).
# Each server runs under valgrind --tool=callgrind; after WARM requests its
# counters are zeroed, then N requests on one kept-alive connection are
# counted (ab -k -c 1). bench/budget.txt holds each case's budget and why:
# a change that raises a cost on purpose updates the file, with its
# reason, in the same commit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"

N=${N:-300}
WARM=${WARM:-50}
BUDGET=$ROOT/bench/budget.txt
TOLERANCE=5   # per cent over budget that still passes
need ab apache2-utils
need valgrind
need callgrind_control valgrind
bench_init

# The cases: name, stage, path.
CASES="06-epoll/file 06-epoll /1k.bin
08-coroutines/file 08-coroutines /1k.bin
10-framework/file 10-framework /1k.bin
10-framework/page 10-framework /show.py"

# count STAGE PATH: instructions per request.
count() {
	local stage=$1 path=$2 dump port
	port=$(free_port)
	server_cmd "$stage" "$port"
	[ "$stage" != 10-framework ] || CMD+=(-s "$WORK/state-$RANDOM")
	valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.%p" \
		"${CMD[@]}" >"$WORK/$stage.log" 2>&1 </dev/null &
	SPID=$! PORT=$port
	STARTED="$STARTED $SPID"
	wait_port "$PORT" || { cat "$WORK/$stage.log" >&2; echo "cost: $stage did not start" >&2; exit 1; }
	ab -q -k -c 1 -n "$WARM" "http://127.0.0.1:$PORT$path" >/dev/null 2>&1 || true
	callgrind_control -z "$SPID" >/dev/null 2>&1
	ab -q -k -c 1 -n "$N" "http://127.0.0.1:$PORT$path" >"$WORK/ab.txt" 2>&1 || true
	callgrind_control -d "$SPID" >/dev/null 2>&1
	server_stop
	if ! grep -q "^Complete requests: *$N\$" "$WORK/ab.txt" || grep -q '^Non-2xx' "$WORK/ab.txt"; then
		cat "$WORK/ab.txt" >&2
		echo "cost: $stage $path did not answer $N requests with 200" >&2
		exit 1
	fi
	dump=$(ls "$WORK"/callgrind.*.1)
	awk -v n="$N" '/^summary:/ { printf "%.0f", $2 / n }' "$dump"
	rm -f "$WORK"/callgrind.*
}

# budget NAME: the budget for NAME, or nothing.
budget() {
	[ -f "$BUDGET" ] || return 0
	awk -v n="$1" '$1 == n { print $2 }' "$BUDGET"
}

bad=0
printf '%-22s %12s %12s  %s\n' case instructions budget ""
while read -r name stage path; do
	got=$(count "$stage" "$path")
	want=$(budget "$name")
	verdict=
	if [ -z "$want" ]; then
		verdict="no budget"
		[ "${1:-}" != check ] || bad=1
	elif [ $((got * 100)) -gt $((want * (100 + TOLERANCE))) ]; then
		verdict="over budget by $(((got - want) * 100 / want))%"
		bad=1
	fi
	printf '%-22s %12s %12s  %s\n' "$name" "$got" "${want:--}" "$verdict"
done <<<"$CASES"
if [ "${1:-}" = check ] && [ "$bad" = 1 ]; then
	echo "cost: a request costs more than bench/budget.txt allows (${TOLERANCE}% tolerance)." >&2
	echo "If that is on purpose, update bench/budget.txt in the same commit and say why there." >&2
	exit 1
fi
