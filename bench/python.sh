#!/usr/bin/env bash
# python.sh: 10-framework beside what a Python user of the notes would
# pick: the same favourites (bench/favourites_flask.py, Flask and SQLite)
# under gunicorn with two sync workers, and under the standard library's
# wsgiref. Each server is pinned to CPU 0 and wrk (one thread, 10
# connections) to CPU 1; the servers take turns, round by round.
#
#   bench/python.sh            (make bench-python; DURATION=5 REPEAT=3)
#
# Workloads: GET /show.py (the provinces page), GET /collect.py (ten
# favourites with remarks), POST /collect/11/note.py (a remark, stored
# durably before the 303). Then fsyncs per POST, one client at a time and
# ten at once: strace counts fsync and fdatasync in every thread and
# process of the server, so whether concurrent changes share a flush shows.
# Writes a table to stdout and build/bench/python-*.md (OUT=bench/results
# to keep it).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"

DURATION=${DURATION:-5}
REPEAT=${REPEAT:-3}
OUT=${OUT:-$ROOT/build/bench}
PY=${PY:-/usr/bin/python3}
SERVERS=${SERVERS:-"10-file 10-sqlite gunicorn wsgiref"}
need wrk
need strace
need gunicorn
"$PY" -c 'import flask' 2>/dev/null || { echo "bench: Flask is not installed for $PY (Debian: apt-get install -y python3-flask)" >&2; exit 2; }
bench_init

# Each POST a different remark: a store may skip writing one that did not change.
cat >"$WORK/post.lua" <<'LUA'
local n = 0
request = function()
	n = n + 1
	return wrk.format("POST", nil, { ["Content-Type"] = "application/x-www-form-urlencoded" },
		"remark=%E5%A4%87%E6%B3%A8+" .. n)
end
LUA

# start NAME: the server on a new port with empty data, pinned; sets SPID PORT.
start() {
	local data=$WORK/data-$1-$RANDOM i
	mkdir -p "$data"
	PORT=$(free_port)
	case $1 in
	10-file) CMD=("$ROOT/10-framework/server-favourites-file" -q -p "$PORT" -s "$data") ;;
	10-sqlite) CMD=("$ROOT/10-framework/server-favourites-sqlite" -q -p "$PORT" -s "$data") ;;
	gunicorn) CMD=(env FAV_DB="$data/fav.db" gunicorn -w 2 -b "127.0.0.1:$PORT" --chdir "$ROOT/bench" favourites_flask:app) ;;
	wsgiref) CMD=(env FAV_DB="$data/fav.db" "$PY" "$ROOT/bench/favourites_flask.py" "$PORT") ;;
	esac
	(cd "$ROOT" && exec taskset -c "$SERVER_CPU" "${CMD[@]}") >"$WORK/$1.log" 2>&1 </dev/null &
	SPID=$!
	STARTED="$STARTED $SPID"
	for i in $(seq 200); do
		curl -s -o /dev/null "http://127.0.0.1:$PORT/show.py" && break
		sleep 0.05
	done
	# ten favourites, each with a remark, for /collect.py and the POST
	for i in 11 12 13 14 15 21 22 23 31 32; do
		curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/show/$i.py"
		curl -s -o /dev/null --data-urlencode "remark=备注 $i <b>" "http://127.0.0.1:$PORT/collect/$i/note.py"
	done
}

# stop: the server and whatever it started (gunicorn's workers).
stop() {
	pkill -TERM -P "$SPID" 2>/dev/null || true
	server_stop
}

# tasks: every thread of the server and of its children.
tasks() {
	local p
	for p in "$SPID" $(pgrep -P "$SPID" || true) $(pgrep -P "$(pgrep -P "$SPID" | head -n 1)" 2>/dev/null || true); do
		ls "/proc/$p/task" 2>/dev/null
	done | sort -u
}

# posts CLIENTS N: N POSTs of distinct remarks, from CLIENTS clients at once.
posts() {
	local c i pids=()
	for ((c = 0; c < $1; c++)); do
		for ((i = 0; i < $2 / $1; i++)); do
			curl -s -o /dev/null --data "remark=$c-$i" "http://127.0.0.1:$PORT/collect/11/note.py"
		done &
		pids+=("$!")
	done
	wait "${pids[@]}"   # not the tracer, which runs until told to stop
}

# fsyncs CLIENTS N: fsync and fdatasync calls per POST.
fsyncs() {
	local args=() t tracer file=$WORK/fsync.txt
	for t in $(tasks); do args+=(-p "$t"); done
	strace -f -c -e trace=fsync,fdatasync -o "$file" "${args[@]}" 2>/dev/null &
	tracer=$!
	sleep 0.5
	posts "$1" "$2"
	sleep 0.2
	kill -INT "$tracer"
	wait "$tracer" || true
	awk -v n="$2" '$NF == "total" { printf "%.2f", $4 / n; found = 1 } END { if (!found) printf "0.00" }' "$file"
}

raw=$WORK/raw
: >"$raw"
for round in $(seq "$REPEAT"); do
	for s in $SERVERS; do
		echo "== round $round: $s" >&2
		start "$s"
		for w in show collect post; do
			case $w in
			show) wrk_run /show.py 10 "" "$DURATION" ;;
			collect) wrk_run /collect.py 10 "" "$DURATION" ;;
			post) WRK_SCRIPT=$WORK/post.lua wrk_run /collect/11/note.py 10 "" "$DURATION" ;;
			esac
			printf '%s\t%s\t%s\t%s\n' "$s" "$w" "$W_RPS" "$W_ERRORS" >>"$raw"
		done
		if [ "$round" = 1 ]; then
			printf '%s\tfsync1\t%s\n' "$s" "$(fsyncs 1 200)" >>"$raw"
			printf '%s\tfsync10\t%s\n' "$s" "$(fsyncs 10 200)" >>"$raw"
		fi
		stop
	done
done

# cell SERVER WORKLOAD: "median (min-max)" req/s over the rounds.
cell() {
	local v
	mapfile -t v < <(awk -F'\t' -v s="$1" -v w="$2" '$1 == s && $2 == w { print $3 }' "$raw")
	printf '%s (%s-%s)' "$(median "${v[@]}")" "$(min "${v[@]}")" "$(max "${v[@]}")"
}

# ratio WORKLOAD A B: median of A's req/s over median of B's.
ratio() {
	local a b
	# shellcheck disable=SC2046  # median takes the values as words
	a=$(median $(awk -F'\t' -v s="$2" -v w="$1" '$1 == s && $2 == w { print $3 }' "$raw"))
	# shellcheck disable=SC2046
	b=$(median $(awk -F'\t' -v s="$3" -v w="$1" '$1 == s && $2 == w { print $3 }' "$raw"))
	awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'
}

stamp=$(date -u +%Y%m%d-%H%M)
mkdir -p "$OUT"
md=$OUT/python-$stamp.md
{
	echo "# netlab: 10-framework beside Flask $("$PY" -c 'import flask; print(flask.__version__)') under gunicorn $(gunicorn --version 2>&1 | awk '{ print $2 }') and wsgiref"
	echo
	host
	echo "- load generator: $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2), one thread, 10 connections, ${DURATION} s x $REPEAT rounds; server on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU"
	load
	echo "- 10-file, 10-sqlite: 10-framework with each store (threads, keep-alive); gunicorn: Flask app, 2 sync workers (no keep-alive); wsgiref: the same app on wsgiref.simple_server (one request at a time, no keep-alive)"
	echo "- POST /collect/11/note.py sets a remark; every server stores it durably (10-file: write, fsync, rename, fsync the directory; SQLite: synchronous=EXTRA) before its 303"
	echo
	echo "| server | GET /show.py req/s | GET /collect.py req/s | POST remark req/s | fsyncs per POST, 1 client | fsyncs per POST, 10 clients |"
	echo "|---|---:|---:|---:|---:|---:|"
	for s in $SERVERS; do
		printf '| %s | %s | %s | %s | %s | %s |\n' "$s" "$(cell "$s" show)" "$(cell "$s" collect)" \
			"$(cell "$s" post)" "$(awk -F'\t' -v s="$s" '$1 == s && $2 == "fsync1" { print $3 }' "$raw")" \
			"$(awk -F'\t' -v s="$s" '$1 == s && $2 == "fsync10" { print $3 }' "$raw")"
	done
	echo
	echo "Ratios of medians: 10-file / gunicorn: show $(ratio show 10-file gunicorn), collect $(ratio collect 10-file gunicorn), POST $(ratio post 10-file gunicorn); 10-sqlite / gunicorn: show $(ratio show 10-sqlite gunicorn), collect $(ratio collect 10-sqlite gunicorn), POST $(ratio post 10-sqlite gunicorn)."
	echo
	echo "Errors (non-2xx/3xx or socket errors) in all rounds: $(awk -F'\t' '$2 ~ /^(show|collect|post)$/ { e += $4 } END { print e + 0 }' "$raw")"
} | tee "$md"
echo "written: $md" >&2
