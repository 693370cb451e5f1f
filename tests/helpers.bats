#!/usr/bin/env bats
# helpers.bats: the test helpers themselves, where a mistake would leave
# something behind or hide a failure.

load helpers

# One test at a time, even where run.sh lets a file's tests run side by
# side: they check the helpers one at a time.
BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup_file() {
	make_docroot
}

# A server that never says it listens: start_server fails, says so, and
# stops it (in setup_file, where start_all runs, no teardown would).
@test "a server that never says it listens is reported and not left running" {
	local fake=$BATS_TEST_TMPDIR/silent pid
	printf '#!/bin/sh\necho $$ >"%s"\nexec sleep 30\n' "$BATS_TEST_TMPDIR/pid" >"$fake"
	chmod +x "$fake"
	SERVER_BIN=$fake START_TRIES=10 run start_server 01-static
	equal "start_server's status" 1 "$status"
	contains "what start_server said" "said nothing of listening" "$output"
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		echo "the silent server (pid $pid) was left running" >&2
		return 1
	fi
}
