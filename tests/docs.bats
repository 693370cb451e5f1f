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

load helpers

setup_file() {
	make_docroot
}

# extract FILE: print "stage<TAB>block-number" for each runnable block, and
# write each block's lines to $BATS_TEST_TMPDIR/block.N
extract() {
	awk -v dir="$BATS_TEST_TMPDIR" '
		/^<!-- runnable: [0-9a-z-]+ -->$/ { stage = $3; want = 1; next }
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

check_file() {
	local stage n
	extract "$ROOT/$1" >"$BATS_TEST_TMPDIR/blocks"
	[ -s "$BATS_TEST_TMPDIR/blocks" ]
	while IFS=$'\t' read -r stage n; do
		echo "# $1 block $n ($stage)"
		# A stage without a server (09-capture's sniffer) runs its block alone.
		if [ -e "$ROOT/$stage/server.c" ]; then
			DOCROOT=$ROOT/www start_server "$stage" -q
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
