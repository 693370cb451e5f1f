#!/usr/bin/env bats
# grade.bats: make grade, graded (make grade-check runs this file). A grader
# must grade, not just run: our own stages climb their whole ladders; the
# starting points make start writes pass the rungs of the stage they begin
# from and fail this stage's own; a Python server written as a student of
# the notes would write it climbs them too, and each of the notes' mistakes
# put back into it stops the grader at the rung that names it, with a
# message that says why; every pitfall switch of common/lab.h fails the
# rung tests/ladder.txt names it at.

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
PY="python3 $ROOT/tests/grade/pyserver.py"

setup() {
	cd "$ROOT"
}

# grade STAGE SERVER: run the grader; output in $output, "rung result"
# lines in $RES.
grade() {
	RES=$BATS_TEST_TMPDIR/result
	run env GRADE_RESULT="$RES" tests/grade.sh run "$1" "$2"
	echo "$output"
}

# first_failure: the rung that failed, if any.
first_failure() {
	awk '$2 == "fail" { print $1; exit }' "$RES"
}

# climbs STAGE SERVER: every rung of STAGE's ladder passes.
climbs() {
	local n
	grade "$1" "$2"
	n=$(tests/grade.sh list "$1" | grep -c '^  *[0-9]')
	[ "$status" -eq 0 ]
	[[ "$output" == *"$1: all $n rungs passed."* ]]
	[ "$(grep -c ' ok$' "$RES")" = "$n" ]
}

# stops_at STAGE SERVER RUNG TEXT: the rungs before RUNG pass, RUNG fails,
# the rest are not tried, and the grader's account of it includes TEXT.
stops_at() {
	grade "$1" "$2"
	[ "$status" -eq 1 ]
	[ "$(first_failure)" = "$3" ]
	[ "$(awk -v r="$3" '$1 == r { exit } $2 != "ok" { print }' "$RES")" = "" ]
	[ "$(awk -v r="$3" 'past && $2 != "-" { print } $1 == r { past = 1 }' "$RES")" = "" ]
	[[ "$output" == *"--- rung "*", $3: "* ]]
	[[ "$output" == *"$4"* ]]
	[[ "$output" == *"next: $3, "* ]]
}

@test "01-static climbs its whole ladder" {
	climbs 01-static "$ROOT/01-static/server -t 5"
}

@test "02-fork climbs its whole ladder" {
	climbs 02-fork "$ROOT/02-fork/server -t 5"
}

@test "03-threads climbs its whole ladder" {
	climbs 03-threads "$ROOT/03-threads/server -t 5"
}

@test "04-nonblock climbs its whole ladder" {
	climbs 04-nonblock "$ROOT/04-nonblock/server -t 5"
}

@test "05-keepalive climbs its whole ladder" {
	climbs 05-keepalive "$ROOT/05-keepalive/server -t 5"
}

@test "06-epoll climbs its whole ladder" {
	climbs 06-epoll "$ROOT/06-epoll/server -t 5"
}

@test "08-coroutines climbs its whole ladder" {
	climbs 08-coroutines "$ROOT/08-coroutines/server -t 5"
}

@test "10-framework climbs its whole ladder, with either store" {
	climbs 10-framework "$ROOT/10-framework/server-favourites-file -t 5"
	climbs 10-framework "$ROOT/10-framework/server-favourites-sqlite -t 5"
}

@test "a correct Python server climbs 01's ladder" {
	climbs 01-static "$PY"
}

@test "the Python server climbs 02's ladder with fork, 03's with threads" {
	climbs 02-fork "$PY --model fork"
	climbs 03-threads "$PY --model thread"
}

@test "the Python server climbs 04's ladder polling, 05's with keep-alive, 06's with epoll" {
	climbs 04-nonblock "$PY --model poll"
	climbs 05-keepalive "$PY --model keepalive"
	climbs 06-epoll "$PY --model epoll"
}

@test "Python, one recv taken as the request: stops at whole-head" {
	stops_at 01-static "$PY --mistake one-recv" whole-head "in three pieces: expected 200, got 400"
	[[ "$output" == *"one recv(1024) is taken as the whole request"* ]]
}

@test "Python, decode(\"utf-8\") of the request: the server dies at not-utf8, and its traceback is shown" {
	stops_at 01-static "$PY --mistake decode-utf8" not-utf8 "no longer running"
	[[ "$output" == *"| UnicodeDecodeError: 'utf-8' codec can't decode"* ]]
}

@test "Python, the 404 page sent with 200: stops at not-found" {
	stops_at 01-static "$PY --mistake 404-as-200" not-found "status of GET /missing.html: expected 404, got 200"
	[[ "$output" == *'"404 Not Found" page is sent with 200 OK'* ]]
}

@test "Python, the path joined to the docroot unchecked: stops at contained" {
	stops_at 01-static "$PY --mistake no-containment" contained "a file outside the docroot"
}

@test "Python, no SO_REUSEADDR: stops at restart, and shows Address already in use" {
	stops_at 01-static "$PY --mistake no-reuseaddr" restart "| OSError: [Errno 98] Address already in use"
}

@test "Python, forking without reaping: stops at reaps" {
	stops_at 02-fork "$PY --model fork --mistake no-reap" reaps "zombie children of"
}

@test "Python, a polling loop that never sleeps: stops at idle-cpu" {
	stops_at 04-nonblock "$PY --model poll --mistake busy-loop" idle-cpu "expected under a quarter of a core"
}

# starts STAGE: the starting point passes the rungs of the stage it begins
# from, and fails at one of this stage's own.
starts() {
	local mine=$BATS_TEST_TMPDIR/mine base first
	run env MINE="$mine" tests/grade.sh start "$1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -f "$mine/$1/server.c" ]
	base=$(sed -n 's/^ \* It begins as \([0-9a-z-]*\)\/server\.c, .*/\1/p' "$mine/$1/server.c")
	RES=$BATS_TEST_TMPDIR/result
	run env MINE="$mine" GRADE_RESULT="$RES" tests/grade.sh run "$1"
	echo "$output"
	[ "$status" -eq 1 ]
	first=$(first_failure)
	if [ -z "$base" ]; then
		[ "$first" = status-line ]   # 01: it only listens
		return
	fi
	# every rung before the first to fail passed, and that one is this
	# stage's own, not the base's
	tests/grade.sh list "$base" | awk '/^  *[0-9]/ { print $2 }' >"$BATS_TEST_TMPDIR/base"
	[ "$(awk -v r="$first" '$1 == r { exit } $2 != "ok" { print }' "$RES")" = "" ]
	not_in_base() { ! grep -qxF "$first" "$BATS_TEST_TMPDIR/base"; }
	not_in_base
	# and make start never writes over a student's work
	echo "/* mine */" >>"$mine/$1/server.c"
	run env MINE="$mine" tests/grade.sh start "$1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"never overwritten"* ]]
	[ "$(tail -n 1 "$mine/$1/server.c")" = "/* mine */" ]
}

@test "make start: 01's starting point only listens" {
	starts 01-static
}

@test "make start: each later starting point passes the stage before and fails its own rungs" {
	local s
	for s in 02-fork 03-threads 04-nonblock 05-keepalive 06-epoll 08-coroutines; do
		echo "# $s"
		starts "$s"
	done
}

@test "make start: 10's starting point, our server with the hello application, fails at the favourites" {
	local mine=$BATS_TEST_TMPDIR/mine
	run env MINE="$mine" tests/grade.sh start 10-framework
	echo "$output"
	[ "$status" -eq 0 ]
	[ -f "$mine/10-framework/favourites.c" ]
	grep -q '^ROUTE("GET", "/register.py", hello)' "$mine/10-framework/favourites.c"
	RES=$BATS_TEST_TMPDIR/result
	run env MINE="$mine" GRADE_RESULT="$RES" tests/grade.sh run 10-framework
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(first_failure)" = fav-show ]
	[ "$(awk '$1 == "fav-show" { exit } $2 != "ok" { print }' "$RES")" = "" ]
}

@test "every pitfall switch fails the rung that names it" {
	run tests/bugs.sh grade
	echo "$output"
	[ "$status" -eq 0 ]
	# Every switch a rung names is caught by it; the others say they have none.
	[ "$(grep -c ' caught: ' <<<"$output")" = "$(awk '$1 == "bug" { print $2 }' tests/ladder.txt | sort -u | wc -l)" ]
	[ "$(grep -c ' no rung names it ' <<<"$output")" = \
		"$(comm -23 <(awk '$1 == "bug" { print $2 }' tests/bugs.txt | sort -u) <(awk '$1 == "bug" { print $2 }' tests/ladder.txt | sort -u) | wc -l)" ]
}

@test "RUNG= climbs only the rungs it names, in its order, an exercise's too" {
	RES=$BATS_TEST_TMPDIR/result
	# 06 answers If-Modified-Since, what 2.1's exercise asks for.
	grade_rungs "not-modified index" 06-epoll "$ROOT/06-epoll/server"
	[ "$status" -eq 0 ]
	[[ "$output" == *"06-epoll: all 2 rungs passed."* ]]
	[ "$(cat "$RES")" = "$(printf 'not-modified ok\nindex ok')" ]
	# 06 has not done 一's exercise that adds gzip.
	grade_rungs gzip 06-epoll "$ROOT/06-epoll/server"
	[ "$status" -eq 1 ]
	[ "$(first_failure)" = gzip ]
	[[ "$output" == *"its Content-Encoding: expected gzip, got"* ]]
	run env RUNG=no-such-rung tests/grade.sh run 06-epoll "$ROOT/06-epoll/server"
	[ "$status" -eq 2 ]
	[[ "$output" == *"tests/ladder.txt has no rung no-such-rung"* ]]
}

# grade_rungs RUNGS STAGE SERVER: grade only RUNGS.
grade_rungs() {
	run env RUNG="$1" GRADE_RESULT="$RES" tests/grade.sh run "$2" "$3"
	echo "$output"
}

@test "a server that does not start, or listens elsewhere, is told so" {
	run env GRADE_START_WAIT=2 tests/grade.sh run 01-static false
	[ "$status" -eq 1 ]
	[[ "$output" == *"the server exited (status 1) before it listened"* ]]
	[[ "$output" == *"0 of 20 rungs tried"* ]]
	run env GRADE_START_WAIT=2 tests/grade.sh run 01-static \
		"python3 -c 'import socket, time; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen(); time.sleep(30)'"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"nothing listens on port "*" after 2 s"* ]]
	[[ "$output" == *"(it listens on port "*" instead)"* ]]
}

@test "usage: an unknown stage is refused with the list; the whole list without STAGE" {
	run tests/grade.sh run 07-client ./07-client/client
	[ "$status" -eq 2 ]
	[[ "$output" == *"no ladder for STAGE=07-client"*"01-static"* ]]
	run env MINE="$BATS_TEST_TMPDIR/none" tests/grade.sh all
	[ "$status" -eq 0 ]
	[[ "$output" == *"01-static"*"not started: make start STAGE=01-static"* ]]
	[ "$(grep -c 'not started' <<<"$output")" = "$(tests/grade.sh list | grep -c '^[0-9]')" ]
}

@test "nothing of a graded server is left behind" {
	local pid dir
	grade 02-fork "$PY --model fork --mistake no-reap"
	pid=$(sed -n 's/^  (PID \([0-9]*\);.*/\1/p' <<<"$output")
	dir=$(sed -n 's/^started as: .* -d \(.*\)\/www$/\1/p' <<<"$output")
	[ -n "$pid" ] && [ -n "$dir" ]
	sleep 0.5
	# the server and its 60-odd children (zombies until their parent went)
	[ -z "$(ps -o pid= -s "$pid" || true)" ]
	[ ! -e "$dir" ]
}
