#!/usr/bin/env bash
# tests/repeat.sh [RUNS]: run the whole suite RUNS times in a row (default
# 10), the way make test does, and write down how long each run took and
# which tests failed. A test that fails once in ten runs is flaky, and a
# flaky test teaches a student to ignore red; this is how we look for them.
#
#   tests/repeat.sh 10                  results in build/tests/repeat-STAMP.md
#   OUT=bench/results tests/repeat.sh   kept with the committed measurements
#   STAGE=06-epoll tests/repeat.sh 3    what make test STAGE=06-epoll runs
set -u
cd "$(dirname "$0")/.." || exit 1

runs=${1:-10}
OUT=${OUT:-build/tests}
mkdir -p "$OUT"
stamp=$(date +%Y%m%d-%H%M)
report=$OUT/repeat-$stamp${STAGE:+-$STAGE}.md
log=$(mktemp)
trap 'rm -f "$log"' EXIT

make -s all bench/hold >/dev/null || exit 1
{
	echo "# make test${STAGE:+ STAGE=$STAGE}, $runs runs in a row"
	echo
	echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "- machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- bats: $(bats --version), files side by side: $(command -v parallel >/dev/null && echo "yes, JOBS=${JOBS:-3}" || echo no)"
	echo
	echo "| run | seconds | tests | failed |"
	echo "|---|---|---|---|"
} >"$report"

total_failed=0
for i in $(seq "$runs"); do
	start=$(date +%s%N)
	make -s test ${STAGE:+STAGE=$STAGE} >"$log" 2>&1
	ms=$((($(date +%s%N) - start) / 1000000))
	tests=$(grep -cE '^(not )?ok ' "$log")
	failed=$(grep -E '^not ok ' "$log" | sed 's/^not ok [0-9]* //' | paste -sd ';' -)
	[ -z "$failed" ] || total_failed=$((total_failed + 1))
	printf '| %d | %d.%d | %d | %s |\n' "$i" $((ms / 1000)) $((ms % 1000 / 100)) "$tests" "${failed:-none}" >>"$report"
	echo "run $i: $((ms / 1000)) s, $tests tests, failed: ${failed:-none}"
done
echo >>"$report"
echo "Runs with a failure: $total_failed of $runs." >>"$report"
echo "written: $report"
[ "$total_failed" -eq 0 ]
