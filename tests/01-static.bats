#!/usr/bin/env bats
# 01-static.bats: the command line every stage shares, and what 01 teaches:
# one client at a time, bounded by the read timeout.

load helpers

STAGE=${STAGE:-01-static}

setup_file() {
	make_docroot
}

@test "-h prints usage with a curl and a telnet example" {
	run "$BIN/$STAGE/server" -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: "*"-p PORT"*"-d DOCROOT"* ]]
	[[ "$output" == *"curl "* ]]
	[[ "$output" == *"telnet "* ]]
}

@test "a bad option or argument is an error with usage" {
	run "$BIN/$STAGE/server" -x
	[ "$status" -eq 2 ]
	[[ "$output" == *usage:* ]]
	run "$BIN/$STAGE/server" -p 70000
	[ "$status" -eq 2 ]
	run "$BIN/$STAGE/server" -d /nonexistent/dir
	[ "$status" -eq 1 ]
	[[ "$output" == *"/nonexistent/dir"* ]]
}

@test "-p 0 picks a free port and the URL is printed" {
	start_server "$STAGE"
	[ "$PORT" -gt 0 ]
	grep -Eq "^listening on http://127\.0\.0\.1:$PORT/ \(docroot $DOCROOT, up to [0-9]+ descriptors\)$" "$SERVER_LOG"
	[ "$(code /)" = 200 ]
}

@test "-b ::1 listens on IPv6" {
	grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null || skip "no IPv6 loopback here"
	start_server "$STAGE" -b ::1
	grep -q "^listening on http://\[::1\]:$PORT/" "$SERVER_LOG"
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://[::1]:$PORT/")" = 200 ]
	grep -q '^\[::1\]:[0-9]* "GET / HTTP/1.1" 200' "$SERVER_LOG"
}

@test "-q turns the access log off" {
	start_server "$STAGE" -q
	[ "$(code /)" = 200 ]
	[ "$(code /missing)" = 404 ]
	sleep 0.2
	[ "$(wc -l <"$SERVER_LOG")" -eq 1 ]
}

@test "SIGINT stops the server cleanly, exit status 0" {
	start_server "$STAGE"
	[ "$(code /)" = 200 ]
	kill -INT "$SERVER_PID"
	wait "$SERVER_PID"
	SERVER_PID=
}

@test "SO_REUSEADDR: a restart on the same port works at once" {
	start_server "$STAGE"
	local port=$PORT
	# The server closes first, so its side of this connection is in TIME_WAIT.
	[ "$(code /)" = 200 ]
	stop_server
	start_server "$STAGE" -p "$port"
	[ "$PORT" = "$port" ]
	[ "$(code /)" = 200 ]
}

@test "a client that sends half a request and goes silent gets 408" {
	start_server "$STAGE" -t 1
	[ "$(status_of 'GET / HTTP/1.1\r\nHost: x\r\n')" = 408 ]
}

@test "a request trickled forever is cut off at the deadline" {
	start_server "$STAGE" -t 1
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET / HTTP/1.1\r\n' >&"$fd"
	for i in 1 2 3 4 5; do
		printf 'X-%d: y\r\n' "$i" >&"$fd" 2>/dev/null || break
		sleep 0.5
	done
	timeout 5 head -n 1 <&"$fd" | grep -q ' 408 '
	exec {fd}>&-
}

@test "one client at a time: a silent client holds the server until its timeout" {
	start_server "$STAGE" -t 2
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	sleep 0.2
	# While the silent client is being served, a second one waits...
	[ "$(code / -m 1)" = 000 ]
	# ...and is answered once the first is dropped at its timeout.
	[ "$(code / -m 5)" = 200 ]
	exec {fd}>&-
}
