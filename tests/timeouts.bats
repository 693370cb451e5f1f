#!/usr/bin/env bats
# timeouts.bats: how long every stage waits for a client, and what it says
# when it stops waiting. Two limits, the same on every stage: -t, the
# longest silence allowed (between two bytes, or before the first), and -T,
# the longest a request head may take from its first byte, however it
# trickles in. A person typing is kept; a slow-loris is cut off; a silent
# connection is closed and logged.
#
# The defaults are a minute and two (param.h); here every stage runs with
# -t 2 -T 6 so the suite stays fast, and each test runs against all stages
# at once (STAGES="..." picks some).

load helpers

# One test at a time, even where run.sh lets a file's tests run side by
# side: they share the servers setup_file starts, one per stage.
BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup_file() {
	make_docroot
	start_all -t 2 -T 6
}

teardown_file() {
	stop_all
}

teardown() {
	:
}

# at_once CMD...: run CMD against every stage at the same time (STAGE and
# PORT set, output kept); then show each stage's output and fail if any failed.
at_once() {
	local list jobs=() job bad=0
	exec {list}<"$BATS_FILE_TMPDIR/servers"
	while read -r -u "$list" STAGE PORT _ _; do
		"$@" >"$BATS_TEST_TMPDIR/$STAGE.out" 2>&1 </dev/null &
		jobs+=("$!:$STAGE")
	done
	exec {list}<&-
	for job in "${jobs[@]}"; do
		echo "# stage ${job#*:}"
		wait "${job%%:*}" || { bad=1; echo "# stage ${job#*:} FAILED"; }
		cat "$BATS_TEST_TMPDIR/${job#*:}.out"
	done
	return "$bad"
}

# server_log: this stage's log (its line in the servers file).
server_log() {
	sed -n "s/^$STAGE $PORT [0-9]* //p" "$BATS_FILE_TMPDIR/servers"
}

# A person types one line, thinks, types the next: every pause is shorter
# than -t, and all of it longer than -t, yet well inside -T.
typed() {
	local fd line
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	for line in "GET /about.html?typed HTTP/1.1" "Host: x" "Connection: close" ""; do
		sleep 1.2
		printf '%s\r\n' "$line" >&"$fd"
	done
	equal "status line after 4.8 s of typing" "HTTP/1.1 200 OK" "$(timeout 5 head -n 1 <&"$fd" | tr -d '\r')"
	exec {fd}>&-
}
@test "every stage: a request typed a line at a time, each pause under -t, is answered" {
	at_once typed
}

# A byte every half second, for longer than -T: the silence never reaches
# -t, so only the deadline on the whole head can end it.
trickled() {
	trickle 'GET /trickled HTTP/1.1\r\nX-Slow: ' 0.5 28 20
	equal "status line" "HTTP/1.1 408 Request Timeout" "$TRICKLED_LINE"
	# -T is 6 s; the clock counts whole seconds and 06 sweeps once a second.
	between "ms until the 408 (the client trickles for 14 s)" 5000 8000 "$TRICKLED_MS"
}
@test "every stage: a byte every half second gets 408 at the -T deadline, not when it stops" {
	at_once trickled
}

# A byte every 2 s with -t 3 -T 4: each wait for the next byte is shorter
# than -t, so only the deadline can end it, and it must end it at 4 s, not
# when the first byte after the deadline arrives (6 s): a wait is cut to
# the time left. Each stage gets a server of its own with these limits.
trickled_slowly() {
	BATS_TEST_TMPDIR=$BATS_TEST_TMPDIR/slow-$STAGE
	mkdir -p "$BATS_TEST_TMPDIR"
	start_server "$STAGE" -t 3 -T 4
	echo "$SERVER_PID" >"$BATS_TEST_TMPDIR/server.pid"
	# stopped however this job ends: a step that fails here (set -e ends
	# the job) would otherwise leave the server running after the suite
	trap stop_server EXIT
	"${SLOW_TRICKLE:-trickle}" 'GET /trickled HTTP/1.1\r\nX-Slow: ' 2 5 12
	trap - EXIT
	stop_server
	equal "status line" "HTTP/1.1 408 Request Timeout" "$TRICKLED_LINE"
	# 3 to 4 s on a whole-second clock; 06's sweep may add up to a second.
	between "ms until the 408 (-T 4, a byte every 2 s)" 2900 5200 "$TRICKLED_MS"
}
@test "every stage: a byte every 2 s (under -t 3) gets 408 at -T 4, not with the next byte" {
	at_once trickled_slowly
}

# The server that check starts for itself is stopped even when a step of
# the check fails midway (here its trickle, made to fail).
@test "a server a check starts for itself is not left running when the check fails" {
	local status=0 f n=0
	# in a job of its own, so that set -e still ends each stage's check
	SLOW_TRICKLE=false at_once trickled_slowly >"$BATS_TEST_TMPDIR/out" 2>&1 &
	wait "$!" || status=$?
	equal "status of the checks, made to fail" 1 "$status"
	for f in "$BATS_TEST_TMPDIR"/slow-*/server.pid; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		if kill -0 "$(cat "$f")" 2>/dev/null; then
			echo "the server of ${f%/server.pid} is still running" >&2
			return 1
		fi
	done
	present "servers started by the checks" "${n#0}"
}

# Nothing sent at all: closed after -t without a word, and the log says so.
silent() {
	local fd start took got
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	start=${EPOCHREALTIME//[!0-9]/}000
	got=$(timeout 8 cat <&"$fd" | wc -c)
	took=$(ms_since "$start")
	exec {fd}>&-
	equal "bytes sent to a silent client" 0 "$got"
	between "ms until a silent client is closed (-t 2)" 1500 4500 "$took"
	eventually grep -q '^127\.0\.0\.1:[0-9]* closed: silent for 2 s$' "$(server_log)"
}
@test "every stage: a silent connection is closed after -t, and the log says so" {
	at_once silent
}

# half REQUEST: send REQUEST and go silent; the 408 that comes back and the
# log line, which names the request line as far as it came.
half() {
	local log want=$2 n
	log=$(server_log)
	raw "$1" >"$BATS_TEST_TMPDIR/$STAGE.reply"
	equal "status after $want and silence" 408 "$(head -n 1 "$BATS_TEST_TMPDIR/$STAGE.reply" | cut -d' ' -f2)"
	n=$(wc -c <"$BATS_TEST_TMPDIR/$STAGE.reply")
	eventually grep -qF "\"$want\" 408 $n" "$log" || { grep 408 "$log"; return 1; }
}
logged_408() {
	half 'GET /half-head?x=1 HTTP/1.1\r\nHost: x\r\n' 'GET /half-head?x=1 HTTP/1.1'
	half 'GET /half-line' 'GET /half-line'
}
@test "every stage: a 408 logs the request line that did arrive, and the bytes sent" {
	at_once logged_408
}
