#!/usr/bin/env bash
# trace.sh [SERVER...]: what one request costs each server (a stage
# directory, nginx or lighttpd; default: every stage that has a server,
# nginx and lighttpd), fetching a 1 KiB file with keep-alive where the
# server allows it:
#
# - system calls per request, with one connection (ab -k -c 1) and with 50
#   (ab -k -c 50): strace -f -c attached to the running server for the
#   requests only, so start-up is not counted;
# - user-space instructions per request, one connection: the server runs
#   under valgrind --tool=callgrind, whose counters are zeroed after a
#   warm-up and read after the requests (callgrind_control). 02-fork's
#   children are separate processes with their own counters: not counted.
#
# Writes a table, each server's strace -c table and the functions its
# instructions went to, to stdout and to build/bench/trace-*.md
# (OUT=bench/results to keep it with the committed runs; OUT=dir to change).
# REQUESTS=... (default 4,000; 20,000 at 50 connections) changes the count;
# BIN=dir traces stages built elsewhere (make O=dir, or an older commit),
# and NOTE="..." says in the report what they are.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"

REQUESTS=${REQUESTS:-4000}
OUT=${OUT:-$ROOT/build/bench}
if [ $# -eq 0 ]; then
	mapfile -t stages < <(cd "$ROOT" && ls -d [0-9][0-9]-*/server.c | cut -d/ -f1)
	set -- "${stages[@]}" nginx lighttpd
fi
need strace
need ab apache2-utils
need valgrind
need callgrind_control valgrind
bench_init

# syscalls NAME CONNS N: system calls per request; the strace -c table is
# left in $WORK/strace-NAME-CONNS.txt.
syscalls() {
	local name=$1 conns=$2 n=$3 tracer file=$WORK/strace-$1-$2.txt
	server_start "$name" || { echo -; return; }
	strace -f -c -o "$file" -p "$(worker "$SPID" "$name")" 2>/dev/null &
	tracer=$!
	sleep 0.5   # strace has attached
	taskset -c "$LOAD_CPU" ab -q -k -c "$conns" -n "$n" "http://127.0.0.1:$PORT/1k.bin" \
		>"$WORK/ab.txt" 2>&1 || true
	kill -INT "$tracer"
	wait "$tracer" || true
	server_stop
	# The "total" line: % time, seconds, usecs/call, calls, [errors,] total.
	awk -v n="$n" '$NF == "total" { printf "%.2f", $4 / n }' "$file"
}

# own_costs DUMP N: the functions a callgrind dump's instructions were
# spent in (their own, not their callees'), per request, most first. A name
# is given once as "(id) name" and afterwards as "(id)"; the cost line
# after a calls= line is the callee's inclusive cost, already counted there.
own_costs() {
	awk -v n="$2" '
		function resolve(s,  i) {
			i = index(s, " ")
			if (s ~ /^\(/ && i) { name[substr(s, 1, i - 1)] = substr(s, i + 1); return substr(s, i + 1) }
			return (s in name) ? name[s] : s
		}
		/^fn=/ { fn = resolve(substr($0, 4)); next }
		/^cfn=/ { resolve(substr($0, 5)); next }
		/^calls=/ { skip = 1; next }
		/^[-+*0-9]/ { if (skip) skip = 0; else { own[fn] += $2; all += $2 } }
		END { for (f in own) printf "%.0f\t%.1f%%\t%s\n", own[f] / n, 100 * own[f] / all, f }
	' "$1" | sort -rn | head -n 12
}

# insns NAME: user-space instructions per request, one connection.
insns() {
	local name=$1 dump n=$REQUESTS
	[ "$name" != 02-fork ] || { echo -; return; }
	NGINX_SINGLE=1 server_start "$name" valgrind --tool=callgrind \
		--callgrind-out-file="$WORK/callgrind.%p" || { echo -; return; }
	# taskset and valgrind both exec: SPID is the server under valgrind.
	ab -q -k -c 1 -n 200 "http://127.0.0.1:$PORT/1k.bin" >/dev/null 2>&1 || true
	callgrind_control -z "$SPID" >/dev/null 2>&1
	taskset -c "$LOAD_CPU" ab -q -k -c 1 -n "$n" "http://127.0.0.1:$PORT/1k.bin" >/dev/null 2>&1 || true
	callgrind_control -d "$SPID" >/dev/null 2>&1
	server_stop
	dump=$(ls "$WORK"/callgrind.*.1 2>/dev/null | head -n 1)
	if [ -z "$dump" ]; then echo -; return; fi
	awk -v n="$n" '/^summary:/ { printf "%.0f", $2 / n }' "$dump"
	own_costs "$dump" "$n" >"$WORK/profile-$name.txt"
	rm -f "$WORK"/callgrind.*
}

stamp=$(date -u +%Y%m%d-%H%M)
mkdir -p "$OUT"
md=$OUT/trace-$stamp.md
rows=$WORK/rows.md
: >"$rows"
for s in "$@"; do
	echo "== $s" >&2
	c1=$(syscalls "$s" 1 "$REQUESTS")
	c50=$(syscalls "$s" 50 $((REQUESTS * 5)))
	ins=$(insns "$s")
	echo "| $s | $c1 | $c50 | $ins |" >>"$rows"
done
{
	echo "# netlab trace $stamp: the cost of one request"
	echo
	machine | grep -v '^- load generator'
	[ -z "${NOTE:-}" ] || echo "- note: $NOTE"
	echo "- ab -k fetches /1k.bin (1 KiB): $REQUESTS requests on one connection, $((REQUESTS * 5)) on 50"
	echo "- system calls: strace -f -c attached to the serving process for the requests only"
	echo "- instructions: valgrind --tool=callgrind, user space only, counters zeroed after 200 warm-up requests; nginx with master_process off"
	echo
	echo "| server | syscalls/request, 1 connection | syscalls/request, 50 connections | user-space instructions/request |"
	echo "|---|---:|---:|---:|"
	cat "$rows"
	for s in "$@"; do
		for c in 1 50; do
			[ -s "$WORK/strace-$s-$c.txt" ] || continue
			echo
			echo "## $s, $c connection$([ "$c" = 1 ] || echo s): strace -c"
			echo
			echo '```'
			cat "$WORK/strace-$s-$c.txt"
			echo '```'
		done
		[ -s "$WORK/profile-$s.txt" ] || continue
		echo
		echo "## $s, 1 connection: where the instructions go (callgrind, own cost per function)"
		echo
		echo "instructions per request, share, function:"
		echo
		echo '```'
		cat "$WORK/profile-$s.txt"
		echo '```'
	done
} | tee "$md"
echo "written: $md" >&2
