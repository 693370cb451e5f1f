#!/usr/bin/env bats
# 07-client.bats: the interactive client against the servers.

load helpers

# One test at a time, even where run.sh lets a file's tests run side by
# side: they drive the client one session at a time.
BATS_NO_PARALLELIZE_WITHIN_FILE=true

CLIENT=$BIN/07-client/client

setup_file() {
	make_docroot
}

@test "07-client: -h prints usage with an example" {
	run "$CLIENT" -h
	equal "exit status of $CLIENT -h" 0 "$status"
	contains "output of $CLIENT -h" "usage: client" "$output"
	contains "output of $CLIENT -h" "GET / HTTP/1.0" "$output"
}

@test "07-client: a request piped to 01-static gets the whole reply, then the close is reported" {
	start_server 01-static
	printf 'GET /img/logo.png HTTP/1.0\n\n' | "$CLIENT" 127.0.0.1 "$PORT" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	equal "status line for GET /img/logo.png HTTP/1.0, typed" "HTTP/1.1 200 OK" "$(status_line "$BATS_TEST_TMPDIR/out")"
	# binary bytes pass through unchanged
	tail -c "$(wc -c <"$DOCROOT/img/logo.png")" "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/body"
	same_bytes "body of /img/logo.png through the client" "$BATS_TEST_TMPDIR/body" "$DOCROOT/img/logo.png"
	contains "what the client said on stderr" \
		"connection closed by the server after $(wc -c <"$BATS_TEST_TMPDIR/out") bytes" "$(cat "$BATS_TEST_TMPDIR/err")"
}

@test "07-client: lines are sent with CRLF: the server sees a valid HTTP/1.1 request" {
	start_server 01-static
	printf 'GET /about.html HTTP/1.1\nHost: x\n\n' | "$CLIENT" 127.0.0.1 "$PORT" >"$BATS_TEST_TMPDIR/out" 2>/dev/null
	equal "status line for GET /about.html HTTP/1.1 and Host: x, typed" "HTTP/1.1 200 OK" \
		"$(status_line "$BATS_TEST_TMPDIR/out")"
}

@test "07-client: two requests typed on one connection to 05-keepalive get two replies" {
	[ -x "$BIN/05-keepalive/server" ] || skip "05-keepalive not built"
	start_server 05-keepalive
	{
		printf 'GET /about.html HTTP/1.1\nHost: x\n\n'
		sleep 0.3
		printf 'GET /style.css HTTP/1.1\nHost: x\n\n'
		sleep 0.3
	} | "$CLIENT" 127.0.0.1 "$PORT" >"$BATS_TEST_TMPDIR/out" 2>/dev/null
	equal "200s for two requests typed 0.3 s apart" 2 "$(grep -a -c '^HTTP/1.1 200 OK' "$BATS_TEST_TMPDIR/out")"
	sleep 0.2
	equal "client ports of the two in the log (one connection)" 1 \
		"$(grep -E '"GET /(about.html|style.css) HTTP' "$SERVER_LOG" | cut -d' ' -f1 | sort -u | wc -l)"
}

@test "07-client: exit leaves at once while the server keeps the connection open" {
	[ -x "$BIN/05-keepalive/server" ] || skip "05-keepalive not built"
	start_server 05-keepalive -t 30
	# Input stays open for 4 s after "exit"; the client must not wait for it.
	{
		printf 'HEAD / HTTP/1.1\nHost: x\n\n'
		sleep 0.5
		echo exit
		sleep 4
	} | {
		start=$SECONDS
		timeout 3 "$CLIENT" 127.0.0.1 "$PORT" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
		echo "$? $((SECONDS - start))" >"$BATS_TEST_TMPDIR/rc"
	}
	read -r rc took <"$BATS_TEST_TMPDIR/rc"
	equal "exit status of the client after exit" 0 "$rc"
	between "seconds the client took after exit, input still open" 0 2 "$took"
	equal "status line for HEAD / then exit" "HTTP/1.1 200 OK" "$(status_line "$BATS_TEST_TMPDIR/out")"
	lacks "what the client said on stderr" 'closed by the server' "$(cat "$BATS_TEST_TMPDIR/err")"
}

# ---- what reaches the server, byte for byte ----

# record: a listener on 127.0.0.1 (python3) that takes one connection and
# keeps every byte until the client half-closes, then closes its side too.
# Sets PORT and RECORD_PID; the bytes land in $BATS_TEST_TMPDIR/got.
record() {
	local i
	command -v python3 >/dev/null || skip "python3 is not installed"
	rm -f "$BATS_TEST_TMPDIR/port" "$BATS_TEST_TMPDIR/got"
	python3 -c '
import os, socket, sys
port_file, got_file = sys.argv[1], sys.argv[2]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
s.settimeout(10)
with open(port_file + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(port_file + ".tmp", port_file)
c, _ = s.accept()
c.settimeout(10)
got = b""
while True:
    b = c.recv(65536)
    if not b:
        break
    got += b
with open(got_file, "wb") as f:
    f.write(got)
c.close()
' "$BATS_TEST_TMPDIR/port" "$BATS_TEST_TMPDIR/got" 3>&- &
	RECORD_PID=$!
	for ((i = 1; i <= 100; i++)); do
		[ -s "$BATS_TEST_TMPDIR/port" ] && break
		sleep 0.05
	done
	PORT=$(cat "$BATS_TEST_TMPDIR/port")
}

teardown() {
	if [ -n "${RECORD_PID:-}" ]; then
		kill "$RECORD_PID" 2>/dev/null || true
		wait "$RECORD_PID" 2>/dev/null || true
	fi
	stop_server
}

# dump WHAT FILE: the size and bytes of FILE (od -c; repeated lines as *).
dump() {
	echo "$1, $(wc -c <"$2") bytes:" >&2
	od -A d -c "$2" | head -n 12 >&2
}

# sent_through INPUT: pipe the file INPUT into the client connected to a
# recorder, and succeed when the recorder got exactly $BATS_TEST_TMPDIR/want;
# otherwise show what was typed, what was expected and what came.
sent_through() {
	local rc=0
	record
	timeout 10 "$CLIENT" 127.0.0.1 "$PORT" <"$1" >/dev/null 2>"$BATS_TEST_TMPDIR/err" || rc=$?
	wait "$RECORD_PID" || rc=$?
	RECORD_PID=
	if ! cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got" >&2; then
		dump "sent (the client's stdin)" "$1"
		dump "expected at the server" "$BATS_TEST_TMPDIR/want"
		dump "got at the server" "$BATS_TEST_TMPDIR/got"
		return 1
	fi
	equal "the client's and the recorder's exit status" 0 "$rc"
}

# xs N: N x's, no newline.
xs() {
	head -c "$1" /dev/zero | tr '\0' x
}

@test "07-client: a request typed with CR LF reaches the server byte for byte, not as CR CR LF" {
	printf 'GET / HTTP/1.0\r\n\r\n' >"$BATS_TEST_TMPDIR/in"
	printf 'GET / HTTP/1.0\r\n\r\n' >"$BATS_TEST_TMPDIR/want"
	sent_through "$BATS_TEST_TMPDIR/in"
}

@test "07-client: a last line with no newline is sent with CR LF before the half-close" {
	printf 'abc' >"$BATS_TEST_TMPDIR/in"
	printf 'abc\r\n' >"$BATS_TEST_TMPDIR/want"
	sent_through "$BATS_TEST_TMPDIR/in"
}

@test "07-client: a 10,000-byte line arrives whole, then CR LF" {
	{ xs 10000; printf '\n'; } >"$BATS_TEST_TMPDIR/in"
	{ xs 10000; printf '\r\n'; } >"$BATS_TEST_TMPDIR/want"
	sent_through "$BATS_TEST_TMPDIR/in"
}

@test "07-client: a long line typed with CR LF gets one CR, wherever its CR falls" {
	local n
	# Lengths whose CR ends a power-of-two block, where a reader's buffer
	# is most likely to end between the CR and the LF.
	for n in 4095 8191 16383; do
		echo "# a line of $n bytes, then CR LF"
		{ xs "$n"; printf '\r\n'; } >"$BATS_TEST_TMPDIR/in"
		cp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/want"
		sent_through "$BATS_TEST_TMPDIR/in"
	done
}

@test "07-client: \"exit\" at the end of a long line is sent, not taken for the command" {
	local n
	# As above: a buffer that ends just before "exit" must not make it a line.
	for n in 4096 8192 16384; do
		echo "# $n x's, then exit"
		{ xs "$n"; printf 'exit\n'; } >"$BATS_TEST_TMPDIR/in"
		{ xs "$n"; printf 'exit\r\n'; } >"$BATS_TEST_TMPDIR/want"
		sent_through "$BATS_TEST_TMPDIR/in"
	done
}

@test "07-client: a refused port fails with a message" {
	run "$CLIENT" 127.0.0.1 1
	[ "$status" -ne 0 ] || { echo "exit status of $CLIENT 127.0.0.1 1: expected an error, got 0" >&2; return 1; }
	contains "output of $CLIENT 127.0.0.1 1" "connect to 127.0.0.1 port 1" "$output"
	contains "output of $CLIENT 127.0.0.1 1" "refused" "$output"
}

@test "07-client: an unknown host fails with a message" {
	run "$CLIENT" no-such-host.invalid 80
	[ "$status" -ne 0 ] || { echo "exit status of $CLIENT no-such-host.invalid 80: expected an error, got 0" >&2; return 1; }
	contains "output of $CLIENT no-such-host.invalid 80" "no-such-host.invalid" "$output"
}

@test "07-client: an IPv6 address works" {
	grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null || skip "no IPv6 loopback here"
	start_server 01-static -b ::1
	printf 'HEAD / HTTP/1.0\n\n' | "$CLIENT" ::1 "$PORT" >"$BATS_TEST_TMPDIR/out" 2>/dev/null
	equal "status line for HEAD / HTTP/1.0 over ::1" "HTTP/1.1 200 OK" "$(status_line "$BATS_TEST_TMPDIR/out")"
}

@test "07-client: a prompt only when stdin is a terminal" {
	command -v script >/dev/null || skip "script(1) not installed"
	start_server 01-static
	printf 'HEAD / HTTP/1.0\n\n' | "$CLIENT" 127.0.0.1 "$PORT" 2>"$BATS_TEST_TMPDIR/err" >/dev/null
	lacks "stderr with stdin a pipe" '> ' "$(cat "$BATS_TEST_TMPDIR/err")"
	{ sleep 0.5; printf 'HEAD / HTTP/1.0\n\n'; sleep 1; } |
		timeout 5 script -qec "$CLIENT 127.0.0.1 $PORT" /dev/null >"$BATS_TEST_TMPDIR/tty"
	contains "the terminal" $'\n> ' $'\n'"$(cat "$BATS_TEST_TMPDIR/tty")"
	contains "the terminal" 'HTTP/1.1 200 OK' "$(cat "$BATS_TEST_TMPDIR/tty")"
}

@test "07-client: a reply begins on a line of its own, not after the prompt" {
	command -v script >/dev/null || skip "script(1) not installed"
	start_server 01-static
	{ sleep 0.5; printf 'HEAD / HTTP/1.0\n\n'; sleep 1; } |
		timeout 5 script -qec "$CLIENT 127.0.0.1 $PORT" /dev/null | tr -d '\r' >"$BATS_TEST_TMPDIR/tty"
	contains "the terminal, line by line" $'\nHTTP/1.1 200 OK\n' $'\n'"$(cat "$BATS_TEST_TMPDIR/tty")"$'\n'
	lacks "the terminal" '> HTTP' "$(cat "$BATS_TEST_TMPDIR/tty")"
}

@test "07-client: typing and reading at once: a reply is printed before input ends" {
	[ -x "$BIN/05-keepalive/server" ] || skip "05-keepalive not built"
	start_server 05-keepalive
	{
		printf 'HEAD / HTTP/1.1\nHost: x\n\n'
		sleep 2
	} | timeout 5 "$CLIENT" 127.0.0.1 "$PORT" >"$BATS_TEST_TMPDIR/out" 2>/dev/null &
	local pid=$!
	sleep 1
	# input is still open, yet the reply is already on stdout
	equal "status line on stdout 1 s in, input still open" "HTTP/1.1 200 OK" "$(status_line "$BATS_TEST_TMPDIR/out")"
	wait "$pid"
}
