#!/usr/bin/env bats
# docs.bats: every example in README.md and NOTES.md marked runnable is run
# against a freshly started server, and its output compared with the text.
#
# A runnable example is a console block after a marker naming the stage:
#
#   <!-- runnable: 05-keepalive -->
#   ```console
#   $ curl -s -o /dev/null -w '%{http_code}\n' http://127.0.0.1:8080/nope
#   404
#   ```
#
# Each "$ " line is run by bash in the repository root with port 8080
# replaced by the server's port; the lines under it are its expected output
# (8080 there too stands for the port; carriage returns are ignored).
# A line "..." in the expected output stands for any number of lines.
#
# After the stage, the marker may name another program of it
# (server-hello), a pitfall switch to build it with (BUG=no-reap: what make
# lab BUG=no-reap builds) and options for the server (-t 2):
#
#   <!-- runnable: 02-fork BUG=no-reap -->
#   <!-- runnable: 10-framework server-hello -->
#   <!-- runnable: 05-keepalive -t 2 -->

load helpers

# One test at a time, even where run.sh lets a file's tests run side by
# side: the examples run in order, as a reader types them.
BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup_file() {
	make_docroot
}

# extract FILE: print "marker<TAB>block-number" for each runnable block
# (the marker: the stage and what follows it), and write each block's
# lines to $BATS_TEST_TMPDIR/block.N
extract() {
	awk -v dir="$BATS_TEST_TMPDIR" '
		/^<!-- runnable: [0-9a-z-]+( [^>]*)? -->$/ {
			stage = $0
			sub(/^<!-- runnable: /, "", stage)
			sub(/ -->$/, "", stage)
			want = 1
			next
		}
		want && /^```console$/ { n++; inside = 1; want = 0; print stage "\t" n; next }
		inside && /^```$/ { inside = 0; next }
		inside { print > (dir "/block." n) }
		{ want = 0 }
	' "$1"
}

# matches EXPECTED ACTUAL: every expected line equals the next actual line,
# where "..." skips ahead to the next line that equals what follows it.
matches() {
	awk '
		NR == FNR { want[++w] = $0; next }
		{ got[++g] = $0 }
		END {
			i = 1; j = 1
			while (i <= w) {
				if (want[i] == "...") {
					i++
					if (i > w) exit 0
					while (j <= g && got[j] != want[i]) j++
					if (j > g) { print "missing: " want[i]; exit 1 }
				} else if (j > g || got[j] != want[i]) {
					print "expected: " want[i]; print "got:      " got[j]; exit 1
				}
				i++; j++
			}
			if (j <= g) { print "unexpected: " got[j]; exit 1 }
		}
	' "$1" "$2"
}

# run_block FILE N: run each command of block N, compare its output.
run_block() {
	local block=$BATS_TEST_TMPDIR/block.$2 cmd="" line
	: >"$BATS_TEST_TMPDIR/want"
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ "$line" == '$ '* ]]; then
			[ -z "$cmd" ] || check_command "$cmd"
			cmd=${line#\$ }
			: >"$BATS_TEST_TMPDIR/want"
		else
			printf '%s\n' "$line" >>"$BATS_TEST_TMPDIR/want"
		fi
	done <"$block"
	[ -z "$cmd" ] || check_command "$cmd"
}

check_command() {
	echo "\$ $1"
	(cd "$ROOT" && PATH=$BIN/07-client:$PATH timeout 10 bash -c "${1//8080/$PORT}" </dev/null) \
		2>&1 | tr -d '\r' >"$BATS_TEST_TMPDIR/got" || true
	sed -i "s/8080/$PORT/g" "$BATS_TEST_TMPDIR/want"
	matches "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
}

# start_marked STAGE [PROGRAM] [BUG=NAME] [ARGS...]: start what a marker names.
start_marked() {
	local stage=$1 prog=server bug= args=() w SERVER_BIN
	shift
	for w in "$@"; do
		case $w in
		server-*) prog=$w ;;
		BUG=*) bug=${w#BUG=} ;;
		*) args+=("$w") ;;
		esac
	done
	SERVER_BIN=$BIN/$stage/$prog
	if [ -n "$bug" ]; then
		make -s -C "$ROOT" lab BUG="$bug" >"$BATS_TEST_TMPDIR/lab.log" 2>&1 ||
			{ cat "$BATS_TEST_TMPDIR/lab.log" >&2; return 1; }
		SERVER_BIN=$ROOT/build/lab/$bug/$stage/$prog
	fi
	DOCROOT=$ROOT/www start_server "$stage" -q ${args[@]+"${args[@]}"}
}

check_file() {
	local marker n stage
	extract "$ROOT/$1" >"$BATS_TEST_TMPDIR/blocks"
	[ -s "$BATS_TEST_TMPDIR/blocks" ]
	# A marker not directly above a console block would be skipped in
	# silence (an answer inside <details> as much as any other).
	equal "runnable markers in $1 that a console block follows at once" \
		"$(grep -c '^<!-- runnable: ' "$ROOT/$1")" "$(wc -l <"$BATS_TEST_TMPDIR/blocks")"
	while IFS=$'\t' read -r marker n; do
		echo "# $1 block $n ($marker)"
		stage=${marker%% *}
		# A stage without a server (09-capture's sniffer) runs its block alone.
		if [ -e "$ROOT/$stage/server.c" ]; then
			# shellcheck disable=SC2086 # the marker's words, split on purpose
			start_marked $marker
		else
			[ -d "$ROOT/$stage" ] || { echo "no stage $stage" >&2; return 1; }
		fi
		run_block "$1" "$n" </dev/null
		stop_server
	done <"$BATS_TEST_TMPDIR/blocks"
}

@test "README.md: every runnable example gives the output shown" {
	check_file README.md
}

@test "NOTES.md: every runnable example gives the output shown" {
	check_file NOTES.md
}

@test "www/: every page uses the shared stylesheet, and a favicon spares browsers a 404" {
	local page n=0
	while IFS= read -r -d '' page; do
		echo "$page"
		grep -q '<link rel="stylesheet" href="/style.css">' "$page"
		n=$((n + 1))
	done < <(find "$ROOT/www" -name '*.html' -print0)
	[ "$n" -ge 4 ]
	[ -s "$ROOT/www/favicon.ico" ]
}

# ctrl_c_make_run OUT: make run STAGE=01-static on a terminal, then Ctrl-C
# as soon as it listens; everything it printed goes to OUT.
ctrl_c_make_run() {
	local i
	rm -f "$1"
	{
		for ((i = 1; i <= 100; i++)); do
			grep -q '^listening on' "$1" 2>/dev/null && break
			sleep 0.05
		done
		printf '\003'
		# Keep the terminal open until make has had time to say anything.
		for ((i = 1; i <= 100; i++)); do
			grep -q 'stopped' "$1" 2>/dev/null && break
			sleep 0.05
		done
		sleep 1
	} | timeout 20 script -qec "make -s -C '$ROOT' run STAGE=01-static ARGS='-p 0 -q'" /dev/null >"$1" || true
	sed -i 's/\r$//' "$1"
}

@test "make run passes ARGS, shows the command it runs, and stops quietly on Ctrl-C" {
	command -v script >/dev/null || skip "script(1) not installed"
	local i
	# Make used to report "wait: No child processes" now and then, not
	# every time: try several times.
	for i in 1 2 3 4 5 6; do
		ctrl_c_make_run "$BATS_TEST_TMPDIR/out"
		cat "$BATS_TEST_TMPDIR/out"
		grep -q '^\./01-static/server -p 0 -q$' "$BATS_TEST_TMPDIR/out"
		grep -q '^listening on http://127\.0\.0\.1:[0-9]*/' "$BATS_TEST_TMPDIR/out"
		grep -q 'stopped$' "$BATS_TEST_TMPDIR/out"
		not grep -q 'make' "$BATS_TEST_TMPDIR/out"
	done
}

# pid_commands FILE...: each `...` span that runs a command on the server's
# $pid (README.md, NOTES.md, and the try lines of tests/bugs.txt that make
# lab prints), as "stage<TAB>command": the stage is the last one named
# before it, and a span broken over two lines is joined with a space.
pid_commands() {
	local servers
	servers=$(cd "$ROOT" && ls -d [0-9][0-9]-*/server.c | cut -d/ -f1 | tr '\n' ' ')
	awk -v servers="$servers" '
		BEGIN { n = split(servers, s, " "); for (i = 1; i <= n; i++) server[s[i]] = 1 }
		function seen(text) {
			while (match(text, /[0-9][0-9]-[a-z]+/)) {
				if (substr(text, RSTART, RLENGTH) in server)
					stage = substr(text, RSTART, RLENGTH)
				text = substr(text, RSTART + RLENGTH)
			}
		}
		FNR == 1 { inside = fenced = 0; stage = "" }
		/^```/ { fenced = !fenced; next }
		fenced { seen($0); next }
		/^[ \t]*$/ { inside = 0; next }
		{
			line = $0
			if (inside)
				sub(/^[ \t]+/, "", line)
			for (;;) {
				i = index(line, "`")
				chunk = i ? substr(line, 1, i - 1) : line
				if (inside)
					span = span chunk
				else
					seen(chunk)
				if (i == 0)
					break
				line = substr(line, i + 1)
				if (inside && span ~ /[$]pid/ && span != "$pid")
					print stage "\t" span
				if (inside)
					seen(span)
				inside = !inside
				span = ""
			}
			if (inside)
				span = span " "
		}
	' "$@"
}

# make_run STAGE: make run STAGE=... in the background, on a free port;
# sets MAKE_PID, PORT, and SERVER_PID from the pid its first line names.
make_run() {
	local i out=$BATS_TEST_TMPDIR/run.$1
	make -s -C "$ROOT" run STAGE="$1" ARGS="-p 0 -q" >"$out" 2>&1 3>&- &
	MAKE_PID=$!
	for ((i = 1; i <= 100; i++)); do
		grep -q '^listening on ' "$out" && break
		sleep 0.05
	done
	cat "$out"
	SERVER_PID=$(sed -n 's/^listening on .* (pid \([0-9]*\),.*/\1/p' "$out")
	PORT=$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$out")
	[ -n "$SERVER_PID" ] && [ -n "$PORT" ]
}

# SIGTERM stops the server, and make with it: both exit 0.
stop_make_run() {
	local rc=0
	kill -TERM "$SERVER_PID"
	wait "$MAKE_PID" || rc=$?
	SERVER_PID=
	equal "exit status of make run after SIGTERM to the server" 0 "$rc"
}

# top and strace run until Ctrl-C: here top draws one screen, and strace
# is interrupted after 2 s, as a Ctrl-C would.
PID_SHIMS='top() { command top -b -n 1 "$@"; }
strace() { timeout -s INT 2 strace -q -o /dev/stdout "$@"; }'

@test "every command the docs and make lab print with \$pid works under make run" {
	local stage cmd got err one started=
	# Sorted by stage, so that each stage starts once.
	pid_commands "$ROOT/README.md" "$ROOT/NOTES.md" "$ROOT/tests/bugs.txt" |
		sort -s -t $'\t' -k1,1 >"$BATS_TEST_TMPDIR/cmds"
	cat "$BATS_TEST_TMPDIR/cmds"
	between "commands that use \$pid" 12 100 "$(wc -l <"$BATS_TEST_TMPDIR/cmds")"
	# pgrep -f also finds 02's children (and, before make run execed the
	# server, the shell make started): no command may use it.
	not grep -nE '[$][(]pgrep' "$ROOT/README.md" "$ROOT/NOTES.md" "$ROOT/tests/bugs.txt"
	one=$(grep -h "^pid=\$(ss " "$ROOT/NOTES.md" | head -n 1)
	[ -n "$one" ]
	got=$BATS_TEST_TMPDIR/got
	err=$BATS_TEST_TMPDIR/err
	while IFS=$'\t' read -r stage cmd; do
		if [ "$stage" != "$started" ]; then
			[ -z "$started" ] || stop_make_run
			make_run "$stage"
			started=$stage
			equal "$stage: the parent of the pid in the listening line (make, no shell between)" \
				"$MAKE_PID" "$(ps -o ppid= -p "$SERVER_PID" | tr -d ' ')"
			equal "$stage: $one" "$SERVER_PID" \
				"$(cd "$ROOT" && bash -c "${one//8080/$PORT}; echo \$pid")"
		fi
		echo "# $stage, pid $SERVER_PID: $cmd"
		(cd "$ROOT" && pid=$SERVER_PID timeout 20 bash -c "$PID_SHIMS
			${cmd//8080/$PORT}") </dev/null >"$got" 2>"$err" || true
		head -n 5 "$got"
		equal "$stage: what $cmd wrote on stderr" "" "$(cat "$err")"
		[ -s "$got" ] || { echo "$stage: $cmd printed nothing" >&2; return 1; }
	done <"$BATS_TEST_TMPDIR/cmds"
	stop_make_run
}

@test "make lab BUG=one-recv does what its try line says: a request line alone is answered at once" {
	local lab=$ROOT/build/lab/one-recv/01-static/server
	(cd "$ROOT" && tests/bugs.sh lab one-recv >/dev/null)
	SERVER_BIN=$lab start_server 01-static
	# As the notes' server does: what one recv returned is the request.
	equal "status for 'GET / HTTP/1.0\\r\\n' alone (the lab build)" 200 "$(status_of 'GET / HTTP/1.0\r\n')"
	equal "status for 'GET / HTTP/1.1\\r\\n' alone (the lab build)" 400 "$(status_of 'GET / HTTP/1.1\r\n')"
	if ! eventually grep -q '"GET / HTTP/1.1" 400 [0-9]* no Host header$' "$SERVER_LOG"; then
		echo "log of the lab build: expected a line ending in 400 <bytes> no Host header, got:" >&2
		cat "$SERVER_LOG" >&2
		return 1
	fi
	stop_server
	# The fixed server waits for the blank line (status_of gives up after 5 s).
	start_server 01-static -t 2
	equal "status for 'GET / HTTP/1.0\\r\\n' alone, within -t 2 (the normal build)" 408 "$(status_of 'GET / HTTP/1.0\r\n')"
}

@test "bats on a missing or stale build says to run make first" {
	local bin=$BATS_TEST_TMPDIR/bin
	mkdir -p "$bin/01-static"
	run env NETLAB_BIN="$bin" STAGES=01-static bats "$ROOT/tests/01-static.bats"
	[ "$status" -ne 0 ]
	[[ "$output" == *"01-static/server is missing"*"run make first"* ]]
	cp "$BIN/01-static/server" "$bin/01-static/server"
	touch -d '2000-01-01' "$bin/01-static/server"
	run env NETLAB_BIN="$bin" STAGES=01-static bats "$ROOT/tests/01-static.bats"
	[ "$status" -ne 0 ]
	[[ "$output" == *"01-static/server is older than "*"run make first"* ]]
}

@test "README and NOTES, in both editions, name only what is in the repository" {
	local ref file fn n=0 docs=("$ROOT/README.md" "$ROOT/NOTES.md" "$ROOT/README.zh.md" "$ROOT/NOTES.zh.md")
	# No path that leaves the repository (the notes are named by title and section).
	not grep -nE '`\.\./[A-Za-z]|/work/|/home/' "${docs[@]}"
	# Every file:function they point a reader at exists.
	for ref in $(grep -ohE '`[0-9a-z-]+/[a-z_0-9]+\.[ch]:[a-z_0-9]+' "${docs[@]}" | tr -d '`' | sort -u); do
		file=${ref%%:*}
		fn=${ref#*:}
		grep -q "^$fn(" "$ROOT/$file" || { echo "no function $fn in $file" >&2; return 1; }
		n=$((n + 1))
	done
	[ "$n" -gt 10 ]
}

@test "README.md states the limits a person typing in telnet meets, as -h does" {
	local help t deadline
	help=$("$BIN/01-static/server" -h)
	t=$(echo "$help" | sed -n 's/.*-t SECONDS.*(default \([0-9]*\)).*/\1/p')
	deadline=$(echo "$help" | sed -n 's/.*its first byte (default \([0-9]*\)).*/\1/p')
	echo "-t $t, -T $deadline"
	# A person types a line in 20-30 s; a slow-loris must still end within minutes.
	between "-t default (s)" 31 120 "$t"
	between "-T default (s)" "$((t + 1))" 300 "$deadline"
	grep -q "waits up to $t s for each next" "$ROOT/README.md"
	grep -q "up to $deadline s for the whole" "$ROOT/README.md"
	grep -q "closed: silent for $t s" "$ROOT/README.md"
}

@test "make test STAGE=... builds, then runs that stage's file and the shared files against it" {
	local shared
	run make -s -n -C "$ROOT" test STAGE=01-static
	equal "exit status of make -n test STAGE=01-static" 0 "$status"
	echo "$output"
	# Every file run against all stages is run against the one named, and
	# README says which they are.
	shared=$(cd "$ROOT" && grep -l '^\s*start_all' tests/*.bats | tr '\n' ' ')
	equal "files make test STAGE=01-static runs" \
		"$(printf '%s\n' STAGES=01-static tests/run.sh tests/01-static.bats $shared | sort | tr '\n' ' ')" \
		"$(grep -o 'STAGES=.*' <<<"$output" | tr ' ' '\n' | sort | tr '\n' ' ')"
	for f in $shared; do
		grep -A 3 '`make test STAGE=01-static`$' "$ROOT/README.md" | grep -q "\`$f\`" ||
			{ echo "README.md's make test STAGE=01-static does not name $f" >&2; return 1; }
	done
	run make -s -n -C "$ROOT" test STAGE=07-client
	equal "what make test STAGE=07-client runs" "tests/run.sh tests/07-client.bats" "$(grep -o 'tests/run.sh .*' <<<"$output" | sed 's/ *$//')"
	run make -s -n -C "$ROOT" test
	contains "what make test runs" "tests/run.sh tests" "$output"
}

@test "make test and make run with a STAGE that is none list the stages" {
	local goal
	for goal in test run; do
		run make -s -C "$ROOT" "$goal" STAGE=01
		echo "$output"
		equal "exit status of make $goal STAGE=01" 2 "$status"
		equal "first line of make $goal STAGE=01" "make $goal: there is no stage 01; STAGE= takes one of:" \
			"${lines[0]}"
		equal "second line" "  01-static" "${lines[1]}"
		not grep -q 'bats\|No rule' <<<"$output"
	done
}

# wanted_packages: the Debian packages the scripts ask for when a tool is
# missing (bench's "need TOOL [PACKAGE]", the capture lab's and the
# screenshots' apt-get hints), one a line; util-linux is on every Debian.
wanted_packages() {
	cd "$ROOT"
	sed -n 's/^[[:space:]]*need \([a-z_-]*\)\( \([a-z0-9-]*\)\)\{0,1\}.*/\1 \3/p' bench/*.sh |
		awk '{ print ($2 == "" ? $1 : $2) }'
	grep -ho 'apt-get install\( -y\)\{0,1\}[a-z0-9 -]*' 09-capture/lab.sh 10-framework/screenshot.sh |
		sed 's/apt-get install\( -y\)\{0,1\}//' | tr ' ' '\n' | grep .
}

@test "README's apt-get lines name every package the scripts ask for" {
	local pkg readme missing=
	# Each apt-get line, and the lines it continues with a backslash.
	readme=$(sed -n '/apt-get install/{:more
		/\\$/{N;b more
		}
		p
	}' "$ROOT/README.md" | grep -o '[a-z0-9][a-z0-9.+-]*')
	for pkg in $(wanted_packages | grep -vx 'util-linux' | sort -u); do
		grep -qx -- "$pkg" <<<"$readme" || missing="$missing $pkg"
	done
	equal "packages the scripts ask for that README's apt-get lines leave out" "" "${missing# }"
}

@test "make help prints the Makefile's opening comment, which names every goal" {
	local goal
	run make -s -C "$ROOT" help
	equal "exit status of make help" 0 "$status"
	equal "first line of make help" "$(head -n 1 "$ROOT/Makefile" | sed 's/^# //')" "${lines[0]}"
	# Every goal the Makefile declares phony is in the list: all as plain
	# make, and fw-pick is internal.
	for goal in $(sed -n 's/^\.PHONY: //p' "$ROOT/Makefile"); do
		case $goal in all | fw-pick) continue ;; esac
		grep -q "^  make $goal\b" <<<"$output" || { echo "make help does not list make $goal" >&2; return 1; }
	done
}

@test "NOTES.md's table of what each stage adds to its ladder is tests/ladder.txt's" {
	local stage base rungs want
	while IFS='|' read -r _ stage base rungs _; do
		stage=$(echo "$stage" | tr -d ' ')
		[ -e "$ROOT/$stage/server.c" ] || continue
		base=$(echo "$base" | tr -d ' ')
		case $base in [0-9][0-9]-*[a-z]) ;; *) base= ;; esac
		want=$(bash -c 'ROOT=$1; LADDER=$1/tests/ladder.txt; MINE=mine
			eval "$(sed -n "/^# --- The ladders/,/^# --- The server under test/p" "$1/tests/grade.sh")"
			source "$1/tests/start.bash"
			if [ "$2" = 10-framework ]; then ladder "$2" | grep "^fav-" | tr "\n" " "; exit; fi
			[ "$(base_of "$2")" = "$3" ] || { echo "begins from $(base_of "$2")"; exit; }
			new_rungs "$2" "$3" | tr "\n" " "' _ "$ROOT" "$stage" "$base")
		echo "$stage: NOTES says $base, $rungs; ladder.txt: $want"
		[ "$(echo $rungs)" = "$(echo $want)" ]
	done < <(sed -n '/^## Write it yourself/,/^## /p' "$ROOT/NOTES.md" | grep '^| [0-9]')
}
