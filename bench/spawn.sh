#!/usr/bin/env bash
# spawn.sh: what starting and ending a worker costs, the three ways of notes
# 2.2 (fork, a thread, a coroutine on a kept or a new stack): bench/spawn,
# pinned to one core. The table goes to stdout and to build/bench/spawn-*.md
# (OUT=bench/results to keep it with the committed runs; OUT=dir to change);
# ROUNDS=... (default 2000) per way. Run it under flock with the other
# benchmarks; make bench-spawn does.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"

ROUNDS=${ROUNDS:-2000}
OUT=${OUT:-$ROOT/build/bench}
need taskset util-linux
[ -x "$ROOT/bench/spawn" ] || { echo "spawn: build bench/spawn first (make bench/spawn)" >&2; exit 2; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
raw=$(taskset -c "$LOAD_CPU" "$ROOT/bench/spawn" "$ROUNDS")
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M)
{
	echo "# netlab spawn $stamp: starting and ending a worker"
	echo
	host
	echo "- libc: $(ldd --version | head -n 1)"
	load
	echo "- command: taskset -c $LOAD_CPU bench/spawn $ROUNDS (the mean of $ROUNDS rounds each)"
	echo "- each worker writes 16 KiB of its stack, then ends. fork: fork, the child writes and calls _exit(0), the parent waitpid()s it; thread: pthread_create, then pthread_join; coroutine: getcontext, makecontext, swapcontext to it and back when it returns, on a 128 KiB stack kept between rounds, or on a new mmap (with a PROT_NONE guard page) unmapped after each round"
	echo
	echo "| worker | microseconds to start and end one |"
	echo "|---|---:|"
	awk -F'\t' '{ printf "| %s | %s |\n", $1, $2 }' <<<"$raw"
	echo
	echo '```'
	echo "$raw"
	echo '```'
} | tee "$OUT/spawn-$stamp.md"
