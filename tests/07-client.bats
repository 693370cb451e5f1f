#!/usr/bin/env bats
# 07-client.bats: the interactive client against the servers.

load helpers

CLIENT=$BIN/07-client/client

setup_file() {
	make_docroot
}

@test "07-client: -h prints usage with an example" {
	run "$CLIENT" -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: client"* ]]
	[[ "$output" == *"GET / HTTP/1.0"* ]]
}

@test "07-client: a request piped to 01-static gets the whole reply, then the close is reported" {
	start_server 01-static
	printf 'GET /img/logo.png HTTP/1.0\n\n' | "$CLIENT" 127.0.0.1 "$PORT" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	head -n 1 "$BATS_TEST_TMPDIR/out" | grep -q '^HTTP/1.1 200 OK'
	# binary bytes pass through unchanged
	tail -c "$(wc -c <"$DOCROOT/img/logo.png")" "$BATS_TEST_TMPDIR/out" | cmp - "$DOCROOT/img/logo.png"
	grep -q "connection closed by the server after $(wc -c <"$BATS_TEST_TMPDIR/out") bytes" "$BATS_TEST_TMPDIR/err"
}

@test "07-client: lines are sent with CRLF: the server sees a valid HTTP/1.1 request" {
	start_server 01-static
	printf 'GET /about.html HTTP/1.1\nHost: x\n\n' | "$CLIENT" 127.0.0.1 "$PORT" >"$BATS_TEST_TMPDIR/out" 2>/dev/null
	head -n 1 "$BATS_TEST_TMPDIR/out" | grep -q '^HTTP/1.1 200 OK'
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
	[ "$(grep -a -c '^HTTP/1.1 200 OK' "$BATS_TEST_TMPDIR/out")" = 2 ]
	sleep 0.2
	[ "$(grep -E '"GET /(about.html|style.css) HTTP' "$SERVER_LOG" | cut -d' ' -f1 | sort -u | wc -l)" = 1 ]
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
	[ "$rc" = 0 ]
	[ "$took" -le 2 ]
	grep -q '^HTTP/1.1 200 OK' "$BATS_TEST_TMPDIR/out"
	not grep -q 'closed by the server' "$BATS_TEST_TMPDIR/err"
}

@test "07-client: a refused port fails with a message" {
	run "$CLIENT" 127.0.0.1 1
	[ "$status" -ne 0 ]
	[[ "$output" == *"connect to 127.0.0.1 port 1"*"refused"* ]]
}

@test "07-client: an unknown host fails with a message" {
	run "$CLIENT" no-such-host.invalid 80
	[ "$status" -ne 0 ]
	[[ "$output" == *"no-such-host.invalid"* ]]
}

@test "07-client: an IPv6 address works" {
	grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null || skip "no IPv6 loopback here"
	start_server 01-static -b ::1
	printf 'HEAD / HTTP/1.0\n\n' | "$CLIENT" ::1 "$PORT" 2>/dev/null | head -n 1 | grep -q '^HTTP/1.1 200 OK'
}

@test "07-client: a prompt only when stdin is a terminal" {
	command -v script >/dev/null || skip "script(1) not installed"
	start_server 01-static
	printf 'HEAD / HTTP/1.0\n\n' | "$CLIENT" 127.0.0.1 "$PORT" 2>"$BATS_TEST_TMPDIR/err" >/dev/null
	not grep -q '> ' "$BATS_TEST_TMPDIR/err"
	{ sleep 0.5; printf 'HEAD / HTTP/1.0\n\n'; sleep 1; } |
		timeout 5 script -qec "$CLIENT 127.0.0.1 $PORT" /dev/null >"$BATS_TEST_TMPDIR/tty"
	grep -q '^> ' "$BATS_TEST_TMPDIR/tty"
	grep -q 'HTTP/1.1 200 OK' "$BATS_TEST_TMPDIR/tty"
}

@test "07-client: a reply begins on a line of its own, not after the prompt" {
	command -v script >/dev/null || skip "script(1) not installed"
	start_server 01-static
	{ sleep 0.5; printf 'HEAD / HTTP/1.0\n\n'; sleep 1; } |
		timeout 5 script -qec "$CLIENT 127.0.0.1 $PORT" /dev/null | tr -d '\r' >"$BATS_TEST_TMPDIR/tty"
	cat "$BATS_TEST_TMPDIR/tty"
	grep -qx 'HTTP/1.1 200 OK' "$BATS_TEST_TMPDIR/tty"
	not grep -q '^> HTTP' "$BATS_TEST_TMPDIR/tty"
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
	grep -q '^HTTP/1.1 200 OK' "$BATS_TEST_TMPDIR/out"
	wait "$pid"
}
