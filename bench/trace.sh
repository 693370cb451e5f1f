#!/usr/bin/env bash
# trace.sh STAGE: the system calls a stage (or nginx, lighttpd) makes per
# request. The server runs
# under strace -f -c while ab fetches a 1 KiB file 4,000 times (keep-alive
# where the stage allows it, one connection at a time), then the table of
# calls and the total per request. REQUESTS=... changes the count.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"

STAGE=${1:?usage: trace.sh STAGE}
REQUESTS=${REQUESTS:-4000}
need strace
need ab apache2-utils
bench_init
PORT=$(free_port)
case $STAGE in
nginx) nginx_conf "$PORT"; cmd=(nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log") ;;
lighttpd) lighttpd_conf "$PORT"; cmd=(lighttpd -D -f "$WORK/lighttpd.conf") ;;
*) cmd=("$ROOT/$STAGE/server" -q -p "$PORT" -d "$DOCROOT") ;;
esac
strace -f -c -o "$WORK/trace.txt" "${cmd[@]}" >/dev/null 2>&1 &
SPID=$!
wait_port "$PORT"
# wait_port's own request is counted too; ab's are the rest.
ab -q -k -c 1 -n "$REQUESTS" "http://127.0.0.1:$PORT/1k.bin" >"$WORK/ab.txt" 2>&1 || true
kill -TERM "$(pgrep -P "$SPID")" 2>/dev/null || true
wait "$SPID" 2>/dev/null || true
SPID=
grep -E 'Complete requests|Failed requests|Keep-Alive requests' "$WORK/ab.txt" || true
echo
cat "$WORK/trace.txt"
# The "total" line: % time, seconds, usecs/call, calls, [errors,] total.
awk -v n="$((REQUESTS + 1))" -v s="$STAGE" '$NF == "total" {
	printf "\n%s: %d system calls for %d requests: %.1f per request\n", s, $4, n, $4 / n }' "$WORK/trace.txt"
