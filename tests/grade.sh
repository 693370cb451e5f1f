#!/usr/bin/env bash
# grade.sh: make grade and make start. A server a student wrote, in C,
# Python or anything else, climbs its stage's ladder (tests/ladder.txt):
# the requirements of HTTP and of the notes, in the order the program is
# built, each checked from outside by tests/require.bash.
#
#   tests/grade.sh run STAGE [SERVER]  grade SERVER (a command; by default
#                                      mine/STAGE) on STAGE's ladder; with
#                                      RUNG="a b" in the environment, on those
#                                      rungs only, in that order (the rungs no
#                                      ladder climbs check the exercises'
#                                      extensions: make grade RUNG=gzip)
#   tests/grade.sh all                 every ladder, and how far mine/ is
#   tests/grade.sh start STAGE         write mine/STAGE/server.c to begin from
#   tests/grade.sh list [STAGE]        the ladders
#
# How a server is started (README.md and NOTES.md say it too): from the
# directory make runs in, as
#
#	SERVER -p PORT -d DOCROOT
#
# with PORT and DOCROOT in its environment as well: use whichever is
# easier. PORT is a free port above 1024, DOCROOT an absolute path to a
# copy of www/ with test files beside it. The server must listen on PORT,
# on 127.0.0.1 or on every address, within 10 s; it is stopped with SIGTERM
# (SIGKILL 5 s later), its children with it. A rung that fails is shown in
# full; the rungs after it are not tried. Exit status: 0 when every rung
# passed, 1 when one failed or the server did not start, 2 on a usage error.
#
# GRADE_RESULT=FILE also writes one "RUNG ok|fail|skip|-" line per rung.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LADDER=$ROOT/tests/ladder.txt
MINE=${MINE:-mine}
START_WAIT=${GRADE_START_WAIT:-10}

# mine_dir: where the student's programs are (MINE, from the repository root).
mine_dir() {
	case $MINE in
	/*) echo "$MINE" ;;
	*) echo "$ROOT/$MINE" ;;
	esac
}

# --- The ladders -------------------------------------------------------------

# rung_records: "name|title|point|read|bugs|wait" per rung (| is \037).
rung_records() {
	awk -v S=$'\037' '
		function flush() {
			if (name != "") print name S title S point S read S bugs S wait
			name = title = point = read = bugs = wait = ""
		}
		/^#/ { next }
		/^[ \t]*$/ { flush(); next }
		{ key = $1; val = $0; sub(/^[a-z]+[ \t]+/, "", val) }
		key == "rung" { flush(); name = val; next }
		key == "stage" { flush(); skip = 1; next }
		name == "" { next }
		key == "title" { title = val; next }
		key == "point" { point = val; next }
		key == "read" { read = val; next }
		key == "bug" { bugs = bugs (bugs == "" ? "" : " ") val; next }
		key == "wait" { wait = val; next }
		{ print FILENAME ": unknown key " key > "/dev/stderr"; exit 1 }
		END { flush() }
	' "$LADDER"
}

# stages: the stages that have a ladder, in order.
stages() {
	awk '$1 == "stage" { print $2 }' "$LADDER"
}

# ladder STAGE: its rungs, one per line, in order.
ladder() {
	awk -v s="$1" '
		$1 == "stage" { on = ($2 == s); next }
		/^[ \t]*$/ { on = 0 }
		on && $1 == "rungs" { for (i = 2; i <= NF; i++) print $i }
	' "$LADDER"
}

# hint STAGE RUNG: what to say when RUNG fails on STAGE, if anything.
hint() {
	awk -v s="$1" -v r="$2" '
		$1 == "stage" { on = ($2 == s); next }
		/^[ \t]*$/ { on = 0 }
		on && $1 == "hint" && $2 == r { sub(/^hint[ \t]+[^ \t]+[ \t]+/, ""); print }
	' "$LADDER"
}

# rung NAME: sets TITLE POINT READ BUGS WAIT from its record.
rung() {
	local line
	line=$(rung_records | awk -F $'\037' -v n="$1" '$1 == n')
	[ -n "$line" ] || { echo "grade: tests/ladder.txt has no rung $1" >&2; exit 2; }
	IFS=$'\037' read -r _ TITLE POINT READ _ WAIT <<<"$line"
	WAIT=${WAIT:-60}
}

# section PREFIX: the NOTES.md heading that begins with PREFIX.
section() {
	local h
	h=$(grep -m 1 -E "^#{2,3} $(printf '%s' "$1" | sed 's/[.[\*^$()+?{|]/\\&/g')" "$ROOT/NOTES.md" |
		sed 's/^#* //')
	echo "${h:-$1}"
}

check_stage() {
	if [ -z "$(ladder "$1")" ]; then
		echo "grade: no ladder for STAGE=$1; the stages with one: $(stages | tr '\n' ' ')" >&2
		exit 2
	fi
}

list() {
	local s r i
	for s in ${1:-$(stages)}; do
		check_stage "$s"
		echo "$s"
		i=0
		for r in $(ladder "$s"); do
			rung "$r"
			i=$((i + 1))
			printf '  %2d %-24s %s\n' "$i" "$r" "$TITLE"
		done
	done
}

# --- The server under test ---------------------------------------------------

# free_port: a port nothing listens on or is connected from.
free_port() {
	local p i
	for i in $(seq 50); do
		p=$((20000 + RANDOM % 30000))
		grep -qi ":$(printf '%04X' "$p") " /proc/net/tcp /proc/net/tcp6 2>/dev/null || { echo "$p"; return; }
	done
	echo "grade: found no free port" >&2
	exit 1
}

# launch: start $SERVER in a session of its own; its PID goes to $G/pid.
# The same PORT every time: a restart must get the same port back.
launch() {
	local extra=()
	[ "$STAGE" != 10-framework ] || extra=(-s "$DATA")
	(
		cd "$WORKDIR" || exit 1
		export PORT DOCROOT PYTHONUNBUFFERED=1
		[ "$STAGE" != 10-framework ] || export DATA
		exec setsid bash -c "exec $SERVER \"\$@\"" "$SERVER" -p "$PORT" -d "$DOCROOT" "${extra[@]}" \
			>>"$G/server.log" 2>&1 </dev/null 3>&- 4>&-
	) &
	echo $! >"$G/pid"
}

# wait_listening: wait until something listens on PORT; 1 if the server
# exited or START_WAIT seconds passed.
wait_listening() {
	local pid i
	pid=$(cat "$G/pid")
	for i in $(seq $((START_WAIT * 20))); do
		listening "$PORT" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# listener: the PID that listens on PORT: of the processes in the server's
# session holding the listening socket, the one whose parent is not among them.
listener() {
	local ino pids=() p f ppid
	ino=$(awk -v p=":$(printf '%04X' "$PORT")" '$2 ~ p"$" && $4 == "0A" { print $10; exit }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null)
	[ -n "$ino" ] || return 1
	for p in $(ps -o pid= -s "$(cat "$G/pid")" 2>/dev/null); do
		for f in /proc/"$p"/fd/*; do
			[ "$(readlink "$f" 2>/dev/null)" = "socket:[$ino]" ] && { pids+=("$p"); break; }
		done
	done
	for p in "${pids[@]}"; do
		ppid=$(awk '$1 == "PPid:" { print $2 }' "/proc/$p/status" 2>/dev/null)
		printf '%s\n' "${pids[@]}" | grep -qx "$ppid" || { echo "$p"; return 0; }
	done
	return 1
}

# stop_session: SIGTERM to the server's session, SIGKILL after 5 s.
stop_session() {
	local pid i
	pid=$(cat "$G/pid" 2>/dev/null) || return 0
	[ -n "$pid" ] || return 0
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL -- "-$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	: >"$G/pid"
}

# start_or_say: launch and wait; on failure say why, with the server's output.
start_or_say() {
	local pid
	launch
	if wait_listening; then
		return 0
	fi
	pid=$(cat "$G/pid")
	if kill -0 "$pid" 2>/dev/null; then
		echo "nothing listens on port $PORT after $START_WAIT s: does the server take its port from -p or PORT?"
		listening_elsewhere "$pid"
	else
		wait "$pid" 2>/dev/null
		echo "the server exited (status $?) before it listened on port $PORT"
	fi
	last_output
	return 1
}

# listening_elsewhere PID: the ports the server's session listens on, if any.
listening_elsewhere() {
	local p f inos=() ports
	for p in $(ps -o pid= -s "$1" 2>/dev/null); do
		for f in /proc/"$p"/fd/*; do
			f=$(readlink "$f" 2>/dev/null)
			[[ "$f" == socket:* ]] && inos+=("${f//[^0-9]/}")
		done
	done
	[ "${#inos[@]}" -gt 0 ] || return 0
	ports=$(awk -v list=" ${inos[*]} " '$4 == "0A" && index(list, " " $10 " ") {
		n = split($2, a, ":"); print a[n] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		while read -r hex; do printf '%d ' "0x$hex"; done)
	[ -z "$ports" ] || echo "(it listens on port ${ports% } instead)"
}

last_output() {
	if [ -s "$G/server.log" ]; then
		echo "its last output:"
		tail -n 25 "$G/server.log" | sed 's/^/  | /'
	else
		echo "it printed nothing."
	fi
}

# --- One rung ----------------------------------------------------------------

# The rung runs in a bash of its own, with the libraries the bats files use;
# restart_server and skip are the grader's versions of what bats provides.
RUNG_LIB='
source "$ROOT/tests/helpers.bash"
source "$ROOT/tests/require.bash"
skip() { echo "$*" >&2; exit 77; }
restart_server() {
	local pid i
	pid=$(cat "$G/pid")
	kill -"${1:-TERM}" -- "-$pid" 2>/dev/null
	for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -KILL -- "-$pid" 2>/dev/null
	echo "restarted: $SERVER -p $PORT -d $DOCROOT" >>"$G/server.log"
	launch
	for i in $(seq 100); do
		listening "$PORT" && return 0
		kill -0 "$(cat "$G/pid")" 2>/dev/null || break
		sleep 0.05
	done
	echo "after a stop, the server did not listen on port $PORT again within 5 s" >&2
	return 1
}
'

# run_rung NAME: 0 pass, 77 skipped, anything else failed; messages in $G/err.
run_rung() {
	local fn=req_${1//-/_} rc
	BATS_TEST_TMPDIR=$G/rung/$1
	mkdir -p "$BATS_TEST_TMPDIR"
	SERVER_PID=$(listener) || SERVER_PID=$(cat "$G/pid")
	export ROOT G PORT DOCROOT SERVER STAGE WORKDIR DATA SERVER_PID BATS_TEST_TMPDIR
	export BATS_TEST_DIRNAME=$ROOT/tests BATS_FILE_TMPDIR=$G
	export -f launch listening
	# In the background, so that a signal to the grader is not held off
	# until the check ends.
	timeout -k 5 "$WAIT" bash -c "$RUNG_LIB"'
		set -eE
		'"$fn" >"$G/out" 2>"$G/err" </dev/null 3>&- &
	RUNG_PID=$!
	wait "$RUNG_PID"
	rc=$?
	RUNG_PID=
	[ "$rc" != 124 ] || echo "the check did not finish within $WAIT s" >>"$G/err"
	return "$rc"
}

# alive: the server still runs and listens.
alive() {
	local pid
	pid=$(cat "$G/pid")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && listening "$PORT"
}

# --- Showing a failure -------------------------------------------------------

# visible [utf8]: bytes as a reader can see them: \r, \t and other controls
# escaped, and the bytes of UTF-8 text kept (with utf8) or escaped as \xHH.
visible() {
	LC_ALL=C od -An -v -tu1 | tr -s ' \n' '  ' | LC_ALL=C awk -v utf8="${1:-}" '
		{
			n = split($0, b, " ")
			for (i = 1; i <= n; i++) {
				c = b[i] + 0
				if (c == 10) { print line "\\n"; line = ""; continue }
				if (c == 13) line = line "\\r"
				else if (c == 9) line = line "\\t"
				else if (c == 92) line = line "\\\\"
				else if (c >= 32 && c < 127 || c >= 128 && utf8) line = line sprintf("%c", c)
				else line = line sprintf("\\x%02x", c)
			}
		}
		END { if (line != "") print line }'
}

# show_bytes FILE LINES: the first LINES lines of FILE, visible, indented.
show_bytes() {
	local n mode=
	n=$(wc -c <"$1")
	# Cut where a line ends, so that a character is not cut in two.
	head -c 4000 "$1" | sed '$d' >"$1.shown"
	[ "$n" -gt 4000 ] || cp "$1" "$1.shown"
	! iconv -f UTF-8 -t UTF-8 "$1.shown" >/dev/null 2>&1 || mode=utf8
	visible "$mode" <"$1.shown" | head -n "$2" | LC_ALL=C.UTF-8 sed -E 's/^(.{150}).+/\1.../; s/^/    /'
	[ "$n" -le 4000 ] && [ "$(visible <"$1" | wc -l)" -le "$2" ] || echo "    ... ($n bytes in all)"
}

# show_exchange DIR: what the rung's last exchange sent and what came back.
show_exchange() {
	local d=$1 kind
	kind=$(cat "$d/ex.kind" 2>/dev/null) || return 0
	if [ "$kind" = raw ]; then
		echo "  sent ($(cat "$d/ex.what")):"
		if [ "$(wc -l <"$d/ex.pieces")" -gt 1 ]; then
			sed 's/^/    /' "$d/ex.pieces" | cut -c1-150
		else
			show_bytes "$d/ex.sent" 8
		fi
	else
		echo "  sent: $(cat "$d/ex.what")"
		grep '^> ' "$d/ex.trace" 2>/dev/null | sed 's/^> /    /; s/\r$//' | head -n 8
		# fetch keeps the head and the body apart
		cat "$d/ex.head" "$d/ex.body" >"$d/ex.reply" 2>/dev/null
	fi
	if [ -s "$d/ex.reply" ]; then
		echo "  came back ($(wc -c <"$d/ex.reply") bytes):"
		show_bytes "$d/ex.reply" 14
	else
		echo "  came back: nothing"
	fi
	[ ! -s "$d/ex.end" ] || echo "  ($(cat "$d/ex.end"))"
}

# explain N NAME: the whole story of the rung that failed.
explain() {
	local h
	echo
	echo "--- rung $1, $2: $TITLE"
	show_exchange "$G/rung/$2"
	sed 's/^/  /' "$G/err"
	h=$(hint "$STAGE" "$2")
	[ -z "$h" ] || echo "  hint: $h"
	[ -z "$POINT" ] || echo "  the notes: $POINT"
	[ -z "$READ" ] || echo "  read: NOTES.md, \"$(section "$READ")\""
	echo "---"
	echo
}

# --- Grading -----------------------------------------------------------------

# pick_server: SERVER as given, or built from mine/STAGE.
pick_server() {
	[ -z "${SERVER:-}" ] || return 0
	if [ -f "$(mine_dir)/$STAGE/server.c" ]; then
		echo "building $MINE/$STAGE/server"
		make -s -C "$ROOT" MINE="$MINE" "$MINE/$STAGE/server" || exit 1
		SERVER=$MINE/$STAGE/server
	elif [ -f "$(mine_dir)/$STAGE/server.py" ]; then
		SERVER="python3 $MINE/$STAGE/server.py"
	else
		echo "grade: nothing to grade: there is no $MINE/$STAGE/server.c (make start STAGE=$STAGE writes one)" >&2
		echo "or give the command that starts your server: make grade STAGE=$STAGE SERVER='python3 my_server.py'" >&2
		exit 2
	fi
}

# grade STAGE: climb its ladder; 0 when every rung passed.
grade() {
	local r i=0 rc passed=0 failed='' total mark
	STAGE=$1
	check_stage "$STAGE"
	pick_server
	G=$(mktemp -d /tmp/netlab-grade.XXXXXX)
	WORKDIR=$PWD
	trap 'stop_session; rm -rf "$G"' EXIT
	trap '[ -z "${RUNG_PID:-}" ] || kill "$RUNG_PID" 2>/dev/null; exit 130' INT TERM
	BATS_TEST_DIRNAME=$ROOT/tests BATS_FILE_TMPDIR=$G
	# shellcheck source=tests/helpers.bash
	source "$ROOT/tests/helpers.bash"
	# shellcheck source=tests/require.bash
	source "$ROOT/tests/require.bash"
	make_docroot
	DATA=$G/data
	mkdir -p "$DATA"
	PORT=$(free_port)
	if [ -n "${RUNG:-}" ]; then
		read -r -a RUNGS <<<"$RUNG"
		for r in "${RUNGS[@]}"; do rung "$r"; done   # an unknown name stops here
	else
		mapfile -t RUNGS < <(ladder "$STAGE")
	fi
	total=${#RUNGS[@]}
	[ -z "${GRADE_RESULT:-}" ] || : >"$GRADE_RESULT"
	echo "grading $STAGE ($total rungs): $SERVER"
	if ! start_or_say >"$G/start" 2>&1; then
		failed=start
	fi
	echo "started as: $SERVER -p $PORT -d $DOCROOT$([ "$STAGE" != 10-framework ] || echo " -s $DATA")"
	echo "  (PID $(cat "$G/pid"); PORT, DOCROOT$([ "$STAGE" != 10-framework ] || echo ", DATA") in its environment too)"
	echo
	[ -z "$failed" ] || sed 's/^/  /' "$G/start"
	for r in "${RUNGS[@]}"; do
		i=$((i + 1))
		rung "$r"
		if [ -n "$failed" ]; then
			printf '  %2d  -     %s\n' "$i" "$TITLE"
			[ -z "${GRADE_RESULT:-}" ] || echo "$r -" >>"$GRADE_RESULT"
			continue
		fi
		run_rung "$r"
		rc=$?
		sleep 0.2   # a crash right after the answer must be seen here
		if [ "$rc" = 0 ] && ! alive; then
			rc=1
			echo "the check passed, but then the server stopped" >>"$G/err"
		fi
		case $rc in
		0) mark=ok; passed=$((passed + 1)) ;;
		77) mark=skip; passed=$((passed + 1)) ;;
		*) mark=FAIL ;;
		esac
		printf '  %2d  %-5s %s\n' "$i" "$mark" "$TITLE"
		[ -z "${GRADE_RESULT:-}" ] || echo "$r $(echo "$mark" | tr 'A-Z' 'a-z')" >>"$GRADE_RESULT"
		[ "$mark" != skip ] || sed 's/^/          skipped: /' "$G/err"
		if [ "$mark" = FAIL ]; then
			failed=$r
			if ! alive; then
				echo "the server is no longer running (it died during this rung)" >>"$G/err"
				last_output >>"$G/err"
			fi
			explain "$i" "$r"
			echo "  not yet reached:"
		fi
	done
	echo
	if [ -z "$failed" ]; then
		echo "$STAGE: all $total rungs passed."
		return 0
	elif [ "$failed" = start ]; then
		echo "$STAGE: the server did not start; 0 of $total rungs tried."
	else
		rung "$failed"
		echo "$STAGE: $passed of $total rungs passed; next: $failed, $TITLE."
	fi
	return 1
}

# all: every stage's ladder, with what mine/ passes so far: + passed, x
# failed, . not reached yet.
all() {
	local s out n got r mark
	echo "The ladders, and how far $MINE/ has come (+ passed, x failed, . not yet):"
	for s in $(stages); do
		n=$(ladder "$s" | wc -l)
		out=
		if [ -f "$(mine_dir)/$s/server.c" ] || [ -f "$(mine_dir)/$s/server.py" ]; then
			out=$(GRADE_RESULT=$(mktemp) bash -c '"$0" run "$1" >/dev/null 2>&1; cat "$GRADE_RESULT"; rm -f "$GRADE_RESULT"' "$ROOT/tests/grade.sh" "$s")
			got=$(grep -c ' ok$\| skip$' <<<"$out")
			printf '%-14s %2d of %2d rungs' "$s" "$got" "$n"
			if [ "$got" = "$n" ]; then echo "  all passed"; else
				rung "$(awk '$2 != "ok" && $2 != "skip" { print $1; exit }' <<<"$out")"
				echo "  next: $TITLE"
			fi
		else
			printf '%-14s  - of %2d rungs  not started: make start STAGE=%s\n' "$s" "$n" "$s"
		fi
		for r in $(ladder "$s"); do
			case $(awk -v r="$r" '$1 == r { print $2 }' <<<"$out") in
			ok | skip) mark=+ ;;
			fail) mark=x ;;
			*) mark=. ;;
			esac
			printf '%s%s ' "$mark" "$r"
		done | fold -s -w 76 | sed 's/^/  /; s/ *$//; $s/$/\n/'
		echo
	done
	echo
	echo "make grade STAGE=... [SERVER='...'] climbs one, and shows the first rung that fails in full."
}

case ${1:-} in
run) [ -n "${2:-}" ] || { echo "usage: make grade STAGE=01-static [SERVER='python3 my_server.py']" >&2; exit 2; }
     [ -z "${3:-}" ] || SERVER=$3
     grade "$2" ;;
all) all ;;
list) list "${2:-}" ;;
start) [ -n "${2:-}" ] || { echo "usage: make start STAGE=01-static" >&2; exit 2; }
       source "$ROOT/tests/start.bash"
       start_point "$2" ;;
*) echo "usage: $0 run STAGE [SERVER] | all | list [STAGE] | start STAGE" >&2; exit 2 ;;
esac
