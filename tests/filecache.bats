#!/usr/bin/env bats
# filecache.bats: 06-epoll keeps small files in memory (common/filecache.c).
# A copy must never outlive the file by more than a second, and must never
# let through what docroot_open would refuse: every change below, made
# after the file was cached, is seen within about a second (the test
# allows 1.5 s for its own latency), and the bytes outside the docroot are
# never sent, not even once while the old copy is still trusted.

load helpers

# One test at a time, even where run.sh lets a file's tests run side by
# side: they change files of the shared docroot.
BATS_NO_PARALLELIZE_WITHIN_FILE=true

STAGE=06-epoll

setup_file() {
	make_docroot
}

setup() {
	FILE=$DOCROOT/cached-$BATS_TEST_NUMBER.txt
	printf 'first version\n' >"$FILE"
	start_server "$STAGE" -q
	[ "$(get "/${FILE##*/}")" = "first version" ]   # now it is cached
}

get() {
	curl -s --path-as-is "http://127.0.0.1:$PORT$1"
}

# within_1s CMD...: CMD succeeds within 1.5 s of now, tried every 50 ms; the
# time it took is left in $BATS_TEST_TMPDIR/took (milliseconds). Only the
# last try says why it failed.
within_1s() {
	local start=${EPOCHREALTIME//[!0-9]/}000 now
	while :; do
		if "$@" 2>/dev/null; then
			now=${EPOCHREALTIME//[!0-9]/}000
			echo $(((now - start) / 1000000)) >"$BATS_TEST_TMPDIR/took"
			return 0
		fi
		now=${EPOCHREALTIME//[!0-9]/}000
		if [ $((now - start)) -ge 1500000000 ]; then
			echo "after 1.5 s:" >&2
			"$@"
			return 1
		fi
		sleep 0.05
	done
}

body_is() {
	local got
	got=$(get "$1")
	[[ $got != *SECRET* ]] || { echo "SECRET SENT" >"$BATS_TEST_TMPDIR/leak"; return 1; }
	equal "body of GET $1" "$2" "$got"
}

status_is() {
	local got
	got=$(curl -s -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' --path-as-is "http://127.0.0.1:$PORT$1")
	! grep -q SECRET "$BATS_TEST_TMPDIR/body" || { echo "SECRET SENT" >"$BATS_TEST_TMPDIR/leak"; return 1; }
	equal "status of GET $1" "$2" "$got"
}

no_leak() {
	[ ! -e "$BATS_TEST_TMPDIR/leak" ]
}

# Requests for three seconds: a cache that stops counting from its last
# check after the first second would open the file on every one after it.
@test "06-epoll: a small file is read from disk about once a second, not once a request" {
	command -v strace >/dev/null || skip "strace not installed"
	strace -o /dev/null true 2>/dev/null || skip "strace cannot trace here"
	local T=$BATS_TEST_TMPDIR tracer urls=() i end requests opens
	strace -f -e trace=openat2,openat -o "$T/trace" -p "$SERVER_PID" 2>/dev/null &
	tracer=$!
	traced() { [ "$(awk '$1 == "TracerPid:" { print $2 }' "/proc/$SERVER_PID/status")" != 0 ]; }
	eventually traced
	for ((i = 1; i <= 20; i++)); do urls+=("http://127.0.0.1:$PORT/${FILE##*/}"); done
	end=$((${EPOCHREALTIME//[!0-9]/}000 + 3000000000))
	while [ "${EPOCHREALTIME//[!0-9]/}000" -lt "$end" ]; do
		curl -s "${urls[@]}" >>"$T/out"
	done
	kill -INT "$tracer"
	wait "$tracer" || true
	requests=$(grep -c 'first version' "$T/out")
	equal "requests answered with the file" "$(wc -l <"$T/out")" "$requests"
	opens=$(grep -c "cached-$BATS_TEST_NUMBER" "$T/trace" || true)
	echo "opens: $opens for $requests requests in 3 s"
	between "opens of the file in 3 s of back-to-back requests" 0 5 "$opens"
}

@test "06-epoll: a file rewritten in place, same size, is served fresh within a second" {
	printf 'other version\n' >"$FILE"   # same length, maybe the same mtime
	within_1s body_is "/${FILE##*/}" "other version"
}

# Same size and the old mtime put back (touch -r, as cp -p or tar would):
# only the change time (ctime), which no one can set, tells the versions apart.
@test "06-epoll: a file rewritten at the same size, its old mtime put back, is served fresh within a second" {
	local f=$DOCROOT/settled-$BATS_TEST_NUMBER.txt
	printf 'old bytes\n' >"$f"
	touch -d '-1 hour' "$f"   # long settled: its times alone are trusted
	equal "body before the change" "old bytes" "$(get "/${f##*/}")"
	touch -r "$f" "$f.times"
	printf 'new bytes\n' >"$f"
	touch -r "$f.times" "$f"
	within_1s body_is "/${f##*/}" "new bytes"
}

@test "06-epoll: a file that grows is served whole, fresh, within a second" {
	printf 'a much longer second version\n' >"$FILE"
	within_1s body_is "/${FILE##*/}" "a much longer second version"
}

@test "06-epoll: a file replaced by rename is served fresh within a second" {
	printf 'renamed in\n' >"$FILE.new"
	mv "$FILE.new" "$FILE"
	within_1s body_is "/${FILE##*/}" "renamed in"
}

@test "06-epoll: a deleted file is 404 within a second" {
	rm "$FILE"
	within_1s status_is "/${FILE##*/}" 404
}

@test "06-epoll: a file replaced by a symlink out of the docroot is 403 within a second, its target never sent" {
	ln -sf ../outside/secret.txt "$FILE"
	within_1s status_is "/${FILE##*/}" 403
	for ((i = 1; i <= 5; i++)); do status_is "/${FILE##*/}" 403; done
	no_leak
}

@test "06-epoll: a directory replaced by a symlink out of the docroot: 403 within a second, never the outside file" {
	mkdir -p "$DOCROOT/swap" "$BATS_FILE_TMPDIR/outside/swap"
	printf 'inside\n' >"$DOCROOT/swap/secret.txt"
	printf 'SECRET in outside/swap\n' >"$BATS_FILE_TMPDIR/outside/swap/secret.txt"
	[ "$(get /swap/secret.txt)" = "inside" ]
	rm -r "$DOCROOT/swap"
	ln -s ../outside/swap "$DOCROOT/swap"
	within_1s status_is /swap/secret.txt 403
	rm "$DOCROOT/swap"
	no_leak
}

@test "06-epoll: HEAD of a cached file sends its length and no body; the next response follows intact" {
	name=${FILE##*/}
	raw "HEAD /$name HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nGET /$name HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n" \
		>"$BATS_TEST_TMPDIR/r"
	[ "$(grep -ac '^HTTP/1.1 200 OK' "$BATS_TEST_TMPDIR/r")" = 2 ]
	[ "$(grep -ac '^Content-Length: 14' "$BATS_TEST_TMPDIR/r")" = 2 ]
	[ "$(grep -ac 'first version' "$BATS_TEST_TMPDIR/r")" = 1 ]
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/r")" = "first version" ]
}

@test "06-epoll: a large file (kept open, not copied) replaced on disk is served fresh within a second, and deleted is 404" {
	head -c 100000 /dev/urandom >"$DOCROOT/large.bin"
	curl -s "http://127.0.0.1:$PORT/large.bin" | cmp - "$DOCROOT/large.bin"
	head -c 120000 /dev/urandom >"$DOCROOT/large.new"
	mv "$DOCROOT/large.new" "$DOCROOT/large.bin"
	same_large() { curl -s "http://127.0.0.1:$PORT/large.bin" | cmp -s - "$DOCROOT/large.bin"; }
	within_1s same_large
	rm "$DOCROOT/large.bin"
	within_1s status_is /large.bin 404
}

@test "06-epoll: requests for a kept large file leave no descriptor behind" {
	head -c 100000 /dev/urandom >"$DOCROOT/large2.bin"
	curl -s "http://127.0.0.1:$PORT/large2.bin" -o /dev/null
	before=$(fd_count "$SERVER_PID")
	urls=()
	for ((i = 1; i <= 50; i++)); do urls+=("http://127.0.0.1:$PORT/large2.bin"); done
	curl -s "${urls[@]}" >/dev/null
	sleep 0.2
	[ "$(fd_count "$SERVER_PID")" -le "$before" ]
}
