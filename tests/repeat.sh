#!/usr/bin/env bash
# tests/repeat.sh [RUNS]: run the whole suite RUNS times in a row (default
# 10), the way make test does, and write down how long each run took and
# which tests failed. A test that fails once in ten runs is flaky, and a
# flaky test teaches a student to ignore red; this is how we look for them.
#
#   tests/repeat.sh 10                  results in build/tests/repeat-STAMP.md
#   OUT=bench/results tests/repeat.sh   kept with the committed measurements
#   STAGE=06-epoll tests/repeat.sh 3    what make test STAGE=06-epoll runs
#   STAGE=each tests/repeat.sh 2        make test STAGE=... for every stage
set -u
cd "$(dirname "$0")/.." || exit 1

runs=${1:-10}
OUT=${OUT:-build/tests}
mkdir -p "$OUT"
stamp=$(date +%Y%m%d-%H%M)
report=$OUT/repeat-$stamp${STAGE:+-$STAGE}.md
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The runs: the whole suite (all), one stage, or each stage in turn.
targets=${STAGE:-all}
if [ "$targets" = each ]; then
	targets=$(cd tests && ls [0-9][0-9]-*.bats | sed 's/\.bats$//')
fi

make -s all bench/hold >/dev/null || exit 1
{
	echo "# make test${STAGE:+ STAGE=$STAGE}, $runs runs in a row"
	echo
	echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "- machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- bats: $(bats --version), files side by side: $(command -v parallel >/dev/null && echo "yes, JOBS=${JOBS:-3, or 4 with a stage}" || echo no)"
	echo
	echo "| run | stage | seconds | tests | failed |"
	echo "|---|---|---|---|---|"
} >"$report"

total_failed=0
for i in $(seq "$runs"); do
	for target in $targets; do
		start=$(date +%s%N)
		if [ "$target" = all ]; then
			make -s test >"$log" 2>&1
		else
			make -s test STAGE="$target" >"$log" 2>&1
		fi
		ms=$((($(date +%s%N) - start) / 1000000))
		tests=$(grep -cE '^(not )?ok ' "$log")
		failed=$(grep -E '^not ok ' "$log" | sed 's/^not ok [0-9]* //' | paste -sd ';' -)
		[ -z "$failed" ] || total_failed=$((total_failed + 1))
		printf '| %d | %s | %d.%d | %d | %s |\n' "$i" "$target" $((ms / 1000)) $((ms % 1000 / 100)) "$tests" "${failed:-none}" >>"$report"
		echo "run $i, $target: $((ms / 1000)) s, $tests tests, failed: ${failed:-none}"
	done
done
echo >>"$report"
echo "Runs with a failure: $total_failed of $((runs * $(wc -w <<<"$targets")))." >>"$report"
echo "written: $report"
[ "$total_failed" -eq 0 ]
