#!/usr/bin/env bash
# tests/run.sh [FILE...]: run the bats files (default: all of tests/), the
# way make test does.
#
# A student runs the suite after every change, so it should take minutes,
# not ten. Most of its time is spent waiting (for a timeout to expire, a
# trickling client, a server to start), not computing, so files run side
# by side: JOBS at a time (default 3), the longest first. In a whole run
# the tests inside one file run one after another: both cores are busy
# anyway. With files named (make test STAGE=06-epoll names four), a stage
# file's tests run side by side too, JOBS at a time: each starts a server
# of its own, so the file's waits (timeouts, slow readers) overlap. A file
# whose tests share what its setup_file made (http.bats: one server per
# stage) sets BATS_NO_PARALLELIZE_WITHIN_FILE and runs in order.
# 10-framework's file runs a second time with the SQLite store
# (NETLAB_STORE=sqlite) beside the rest, its report printed after theirs:
# only its tests of the store, not those tagged no-store.
# bats needs GNU parallel to run files side by side; without it they run
# one after another, as before.
set -u
cd "$(dirname "$0")/.." || exit 1

JOBS=${JOBS:-3}
BATS=${BATS:-bats}
# Longest first, so that no long file starts last (seconds, one at a time).
ORDER="docs 06-epoll http 08-coroutines 10-framework 05-keepalive timeouts
bench 04-nonblock 09-capture 07-client hostile 01-static filecache
03-threads 02-fork diffs editions valgrind"

files=()
named=
if [ $# -eq 0 ] || { [ $# -eq 1 ] && [ "$1" = tests ]; }; then
	for name in $ORDER; do
		[ -e "tests/$name.bats" ] && files+=("tests/$name.bats")
	done
	for f in tests/*.bats; do   # any file ORDER does not name yet
		[[ " ${files[*]} " == *" $f "* ]] || files+=("$f")
	done
else
	files=("$@")
	named=yes
fi

sqlite=
for f in "${files[@]}"; do
	[ "$f" = tests/10-framework.bats ] && sqlite=yes
done
[ -z "${NETLAB_STORE:-}" ] || sqlite=   # the caller chose a store already

store_only=(--filter-tags '!no-store')
jobs=()
if [ "$JOBS" -gt 1 ] && command -v parallel >/dev/null; then
	jobs=(--jobs "$JOBS")
	[ -n "$named" ] || jobs+=(--no-parallelize-within-files)
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ -n "$sqlite" ] && [ ${#jobs[@]} -gt 0 ]; then
	NETLAB_STORE=sqlite "$BATS" "${store_only[@]}" tests/10-framework.bats >"$out/sqlite" 2>&1 &
	sqlite_pid=$!
fi

"$BATS" "${jobs[@]}" "${files[@]}"
status=$?

if [ -n "$sqlite" ]; then
	echo "# tests/10-framework.bats again, its tests of the store, with the SQLite store"
	if [ -n "${sqlite_pid:-}" ]; then
		wait "$sqlite_pid" || status=1
		cat "$out/sqlite"
	else
		NETLAB_STORE=sqlite "$BATS" "${store_only[@]}" tests/10-framework.bats || status=1
	fi
fi
exit "$status"
