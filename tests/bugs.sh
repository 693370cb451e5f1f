#!/usr/bin/env bash
# bugs.sh: the pitfall switches of common/lab.h, as tests/bugs.txt lists them.
#
#   tests/bugs.sh list          what make lab prints: each switch, its stage,
#                               the notes' point and the test that catches it
#   tests/bugs.sh lab NAME      build that stage with the fix undone, into
#                               build/lab/NAME/, and say how to watch the bug
#   tests/bugs.sh check [NAME...]
#                               what make bugs runs: for each switch, build it,
#                               run its test file against that build alone, and
#                               check from the TAP output that exactly the
#                               tests it names fail; exit 1 unless all do
#   tests/bugs.sh grade [NAME...]
#                               what make grade-check runs: build each switch
#                               that a rung of tests/ladder.txt names and
#                               grade it; the first rung to fail must be one
#                               that names the switch
#
# The builds go to build/lab/NAME/ through the Makefile's O= and never touch
# the normal binaries: the Makefile adds LAB_FLAGS (here -DBUG_NAME=1) to
# CPPFLAGS. LAB_CFLAGS (make bugs sets -Werror) is added to CFLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."

CATALOG=tests/bugs.txt
MAKE=${MAKE:-make}

# records: one line per switch, its fields separated by \037 (a byte no
# field holds; a tab would let read merge empty fields), the maybe tests
# joined by \036: name stage run point try server maybes test1 test2 ...
records() {
	awk -v S=$'\037' '
		function flush() {
			if (name != "")
				print name S stage S run S point S try S server S maybes tests
			name = stage = run = point = try = server = maybes = tests = ""
		}
		/^#/ { next }
		/^[ \t]*$/ { flush(); next }
		{
			key = $1
			val = $0
			sub(/^[a-z]+[ \t]+/, "", val)
			if (key == "bug") { flush(); name = val }
			else if (key == "stage") stage = val
			else if (key == "run") run = val
			else if (key == "point") point = val
			else if (key == "try") try = val
			else if (key == "server") server = val
			else if (key == "test") tests = tests S val
			else if (key == "maybe") maybes = maybes (maybes == "" ? "" : "\036") val
			else { print FILENAME ": unknown key " key > "/dev/stderr"; exit 1 }
		}
		END { flush() }
	' "$CATALOG"
}

# record NAME: that switch's line, or a message listing the valid names.
record() {
	local line
	line=$(records | awk -F '\037' -v n="$1" '$1 == n')
	if [ -z "$line" ]; then
		echo "unknown BUG=$1; the switches are:" >&2
		records | cut -d $'\037' -f1 | sed 's/^/  /' >&2
		return 1
	fi
	printf '%s\n' "$line"
}

# split LINE: NAME STAGE RUN POINT TRY SERVER and the arrays TESTS, MAYBE.
split() {
	local rest maybes
	IFS=$'\037' read -r NAME STAGE RUN POINT TRY SERVER maybes rest <<<"$1"
	IFS=$'\037' read -r -a TESTS <<<"$rest"
	MAYBE=()
	[ -z "$maybes" ] || IFS=$'\036' read -r -a MAYBE <<<"$maybes"
	SERVER=${SERVER:-$STAGE/server}
	MACRO=BUG_$(printf '%s' "$NAME" | tr 'a-z-' 'A-Z_')
	OUT=build/lab/$NAME
	# RUN is "VAR=value ... tests/file.bats".
	FILE=${RUN##* }
	ENVS=${RUN% *}
	[ "$ENVS" != "$RUN" ] || ENVS=
}

# build: the stage (10-framework: all its variants) with the switch on.
build() {
	local targets=("$OUT/$STAGE/server")
	[ "$STAGE" != 10-framework ] || targets+=("$OUT/10-framework/server-favourites-file"
		"$OUT/10-framework/server-hello" "$OUT/10-framework/server-favourites-sqlite")
	# bench/hold: the 1,000-connection tests of 06 and 08 use it.
	"$MAKE" -s bench/hold
	mkdir -p "$OUT"
	"$MAKE" -s O="$OUT" CFLAGS="${CFLAGS:--O2 -g} ${LAB_CFLAGS:-}" LAB_FLAGS="-D$MACRO=1" \
		"${targets[@]}"
}

list() {
	local line
	echo "Pitfall switches: make lab BUG=<name> builds a stage with one fix undone."
	echo
	while IFS= read -r line; do
		split "$line"
		printf '%-20s %-14s %s\n' "$NAME" "$STAGE" "$POINT"
		printf '%-35s caught by: %s\n' "" "${TESTS[0]} (${FILE#tests/})"
		case ${#TESTS[@]} in
		1) ;;
		2) printf '%-35s (and 1 more test it breaks: make lab BUG=%s names it)\n' "" "$NAME" ;;
		*) printf '%-35s (and %d more tests it breaks: make lab BUG=%s names them)\n' "" \
			$((${#TESTS[@]} - 1)) "$NAME" ;;
		esac
	done < <(records)
}

lab() {
	local line i
	line=$(record "$1") || return 1
	split "$line"
	build
	echo
	echo "$NAME: $POINT"
	echo "Built into $OUT/ with $MACRO=1 (the normal binaries are untouched). Run it:"
	echo "  $OUT/$SERVER -p 8080"
	echo "See the bug:"
	echo "  $TRY"
	if [[ $TRY == *'$pid'* ]]; then
		echo "  (\$pid: the number after \"pid\" in the server's first line: pid=4242, say;"
		echo "  or, from the port: pid=\$(ss -Htlnp 'sport = :8080' | grep -o 'pid=[0-9]*' | cut -d= -f2))"
	fi
	echo "The test that catches it (it fails now; make bugs checks that):"
	echo "  NETLAB_BIN=$OUT STAGES=$STAGE ${ENVS:+$ENVS }bats $FILE"
	for i in "${!TESTS[@]}"; do
		if [ "$i" -eq 0 ]; then
			echo "  fails: ${TESTS[0]}"
		else
			echo "  and also: ${TESTS[i]}"
		fi
	done
	for i in "${!MAYBE[@]}"; do
		echo "  and, depending on timing, perhaps: ${MAYBE[i]}"
	done
}

# verdict TAP: one word for what the run showed, and a line of detail.
verdict() {
	local tap=$1 t fail=() pass=() missing=() extra=() name
	while IFS= read -r t; do
		name=${t#* [0-9]* }
		name=${name%% # skip*}
		case $t in
		"not ok "*) fail+=("$name") ;;
		"ok "*) pass+=("$name") ;;
		esac
	done < <(grep -E '^(not )?ok [0-9]+ ' "$tap")
	for t in "${TESTS[@]}"; do
		printf '%s\n' "${fail[@]}" | grep -Fxq -- "$t" || missing+=("$t")
	done
	for t in "${fail[@]}"; do
		printf '%s\n' "${TESTS[@]}" "${MAYBE[@]}" | grep -Fxq -- "$t" || extra+=("$t")
	done
	if [ "${#pass[@]}" -eq 0 ] && [ "${#fail[@]}" -eq 0 ]; then
		echo "NOT-RUN: no test results (see $tap)"
	elif [ "${#missing[@]}" -gt 0 ]; then
		echo "NOT-caught: passed with the switch on: $(printf '"%s" ' "${missing[@]}")"
	elif [ "${#extra[@]}" -gt 0 ]; then
		echo "other-tests-broke: $(printf '"%s" ' "${extra[@]}")"
	else
		echo "caught: ${#fail[@]} failing as named, ${#pass[@]} others pass"
	fi
}

# check_one NAME: build switch NAME, run its test file, print the verdict.
check_one() {
	local start tap v
	split "$(record "$1")"
	start=$(date +%s)
	tap=$OUT/tap.txt
	mkdir -p "$OUT"
	if ! build >"$OUT/build.log" 2>&1; then
		v="NOT-built: see $OUT/build.log"
	else
		# bats fails when a test fails: that is expected here. A
		# switch that hangs a test for good is cut off (and reported).
		env NETLAB_BIN="$OUT" STAGES="$STAGE" $ENVS timeout -k 10 300 bats "$FILE" >"$tap" 2>&1 || true
		v=$(verdict "$tap")
	fi
	printf '%-20s %-14s %4ss  %s\n' "$NAME" "$STAGE" "$(($(date +%s) - start))" "$v"
}

# side_by_side FUNC OK NAME...: run FUNC NAME for each switch, JOBS of them
# at a time (default 1): each builds into a directory of its own and tests
# that build alone. Print their lines in the order given, once all have
# run; fail unless every line matches the pattern OK.
side_by_side() {
	local func=$1 ok=$2 running=0 results name bad=0
	shift 2
	results=$(mktemp -d)
	for name in "$@"; do
		if [ "$running" -ge "${JOBS:-1}" ]; then
			wait -n || true
			running=$((running - 1))
		fi
		"$func" "$name" >"$results/$name" &
		running=$((running + 1))
	done
	wait || true
	for name in "$@"; do
		cat "$results/$name"
		grep -qE "$ok" "$results/$name" || bad=1
	done
	rm -rf "$results"
	return "$bad"
}

check() {
	local names=("$@") name
	[ "${#names[@]}" -gt 0 ] || mapfile -t names < <(records | cut -d $'\037' -f1)
	for name in "${names[@]}"; do
		record "$name" >/dev/null || return 1
	done
	"$MAKE" -s bench/hold
	side_by_side check_one '^[^ ]* *[^ ]* *[0-9]*s  caught:' "${names[@]}"
}

# rung_of NAME: the rungs tests/ladder.txt says switch NAME fails first.
rung_of() {
	awk -v b="$1" '$1 == "rung" { r = $2 } $1 == "bug" && $2 == b { print r }' tests/ladder.txt
}

# rung_bugs RUNG: the switches tests/ladder.txt says fail RUNG first.
rung_bugs() {
	awk -v r="$1" '$1 == "rung" { on = ($2 == r); next } /^[ \t]*$/ { on = 0 } on && $1 == "bug" { print $2 }' \
		tests/ladder.txt
}

# grade_one NAME: grade switch NAME's build on its stage's ladder; print
# whether the first rung to fail is one that names it.
grade_one() {
	local start v first res
	split "$(record "$1")"
	if [ -z "$(rung_of "$NAME")" ]; then
		# Some pitfalls no requirement of the ladder meets (hello.c's time page).
		printf '%-20s %-14s %4s  %s\n' "$NAME" "$STAGE" - "no rung names it (make bugs checks it)"
		return
	fi
	start=$(date +%s)
	res=$OUT/grade.txt
	mkdir -p "$OUT"
	if ! build >"$OUT/build.log" 2>&1; then
		v="NOT-built: see $OUT/build.log"
	else
		# grade.sh fails when a rung does: that is expected here.
		GRADE_RESULT=$res tests/grade.sh run "$STAGE" "$OUT/$SERVER -t 5" >"$OUT/grade.log" 2>&1 || true
		first=$(awk '$2 == "fail" { print $1; exit }' "$res")
		if [ -z "$first" ]; then
			v="NOT-caught: every rung passed (see $OUT/grade.log)"
		elif rung_bugs "$first" | grep -qxF "$NAME"; then
			v="caught: rung $first fails first"
		else
			v="caught-elsewhere: rung $first fails first, and does not name it (see $OUT/grade.log)"
		fi
	fi
	printf '%-20s %-14s %4ss  %s\n' "$NAME" "$STAGE" "$(($(date +%s) - start))" "$v"
}

# The switches of stages with a ladder, graded as check tests them.
grade_bugs() {
	local names=("$@") graded=() name
	[ "${#names[@]}" -gt 0 ] || mapfile -t names < <(records | cut -d $'\037' -f1)
	for name in "${names[@]}"; do
		split "$(record "$name")" || return 1
		tests/grade.sh list "$STAGE" >/dev/null 2>&1 && graded+=("$name")   # a stage without a ladder is left out
	done
	side_by_side grade_one '  (caught:|no rung names it)' "${graded[@]}"
}

case ${1:-} in
list) list ;;
lab) [ -n "${2:-}" ] || { echo "usage: make lab BUG=<name> (make lab lists them)" >&2; exit 2; }
     lab "$2" ;;
check) shift; check "$@" ;;
grade) shift; grade_bugs "$@" ;;
*) echo "usage: $0 list | lab NAME | check [NAME...] | grade [NAME...]" >&2; exit 2 ;;
esac
