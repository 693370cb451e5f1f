#!/usr/bin/env bats
# 01-static.bats: what 01 teaches, then the command line every stage shares.
#
# The lesson: one loop accepts a client, reads its request, answers, closes.
# Everything blocks, so while one client is served (or stays silent until
# its timeout) every other client waits in the listen queue; a timeout and
# a deadline are what keep one client from holding the server for ever
# (timeouts.bats times both, on every stage). The req_ checks are the
# requirements make grade holds a student's server to (require.bash).

load helpers
load require

STAGE=01-static

setup_file() {
	make_docroot
}

@test "01-static: one client at a time: a silent client holds the server until its timeout" {
	start_server "$STAGE" -t 2
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	sleep 0.2
	# While the silent client is being served, a second one waits...
	equal "status for a second client within 1 s" 000 "$(code / -m 1)"
	# ...and is answered once the first is dropped at its timeout.
	equal "status for the second client within 5 s" 200 "$(code / -m 5)"
	exec {fd}>&-
}

# After a Connection: close response the server reads what the client
# still sends, so that its close resets nothing unread (common/serve.c);
# a client that never stops sending must not hold it there.
@test "01-static: the lingering close ends within 2 s though the client keeps sending; the next client is served by then" {
	local fd writer start code took n
	start_server "$STAGE" -q -t 10
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&"$fd"
	start=${EPOCHREALTIME//[!0-9]/}000
	{
		for ((n = 1; n <= 60; n++)); do
			sleep 0.1
			printf 'x' 2>/dev/null || break
		done
	} >&"$fd" &
	writer=$!
	code=$(code /about.html -m 4) || true
	took=$(ms_since "$start")
	kill "$writer" 2>/dev/null || true
	wait "$writer" 2>/dev/null || true
	exec {fd}>&-
	equal "status for the next client (the first sends a byte every 100 ms for 6 s)" 200 "$code"
	between "ms until the next client was served" 0 2500 "$took"
}

@test "01-static: a client that sends half a request and goes silent gets 408" {
	start_server "$STAGE" -t 1
	req_silent_dropped
	equal "status after half a request" 408 "$(status_of 'GET / HTTP/1.1\r\nHost: x\r\n')"
}

@test "01-static: -h and --help print usage with a curl and a telnet example" {
	local opt word
	for opt in -h --help; do
		run "$BIN/$STAGE/server" "$opt"
		equal "exit status of $BIN/$STAGE/server $opt" 0 "$status"
		contains "output of $BIN/$STAGE/server $opt" "usage: " "$output"
		for word in "-p PORT" "-d DOCROOT" "-t SECONDS" "-T SECONDS"; do
			contains "usage of $BIN/$STAGE/server $opt" "$word" "$output"
		done
		contains "output of $BIN/$STAGE/server $opt" "curl " "$output"
		contains "output of $BIN/$STAGE/server $opt" "telnet " "$output"
	done
}

@test "01-static: a bare port says which argument was not understood" {
	run "$BIN/$STAGE/server" 8081
	equal "exit status of $BIN/$STAGE/server 8081" 2 "$status"
	equal "first line of $BIN/$STAGE/server 8081" "01-static: argument not understood: 8081 (a port is given as -p 8081)" \
		"${lines[0]}"
	contains "output of $BIN/$STAGE/server 8081" "usage:" "$output"
	run "$BIN/$STAGE/server" -q extra
	equal "exit status of $BIN/$STAGE/server -q extra" 2 "$status"
	equal "first line of $BIN/$STAGE/server -q extra" "01-static: argument not understood: extra" "${lines[0]}"
}

@test "01-static: started away from www/, it names itself and says what to do" {
	cd "$BATS_TEST_TMPDIR"
	run "$BIN/$STAGE/server" -p 0
	equal "exit status of $BIN/$STAGE/server -p 0" 1 "$status"
	equal "message" "01-static: docroot www: No such file or directory; run from the repository root, or pass -d DOCROOT" "$output"
}

@test "01-static: -b takes a host name" {
	start_server "$STAGE" -b localhost
	local url
	url=$(sed -n 's/^listening on \([^ ]*\) .*/\1/p' "$SERVER_LOG")
	case $url in
	http://127.0.0.1:*/ | "http://[::1]:"*/) ;;
	*) echo "URL for -b localhost: expected http://127.0.0.1:PORT/ or http://[::1]:PORT/, got $url" >&2
	   return 1 ;;
	esac
	equal "status of / at the printed URL, $url" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$url")"
}

@test "01-static: a port below 1024 without root explains why it failed" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	[ "$(sysctl -n net.ipv4.ip_unprivileged_port_start 2>/dev/null || echo 1024)" -gt 80 ] ||
		skip "this machine lets anyone bind port 80"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$BIN/$STAGE/server" -p 80 -d /
	equal "exit status of setpriv --reuid=nobody --regid=nogroup --clear-groups $BIN/$STAGE/server -p 80 -d /" 1 "$status"
	equal "message" "01-static: listen on 127.0.0.1 port 80 (ports below 1024 need root; try -p 8080): Permission denied" "$output"
}

@test "01-static: a port another program listens on: the message says so, not TIME_WAIT" {
	start_server "$STAGE"
	run "$BIN/$STAGE/server" -p "$PORT" -d "$DOCROOT"
	equal "exit status of a second server on port $PORT" 1 "$status"
	equal "message" "01-static: listen on 127.0.0.1 port $PORT (another program is listening there, not a TIME_WAIT: SO_REUSEADDR is set; ss -ltnp 'sport = :$PORT' names it, or pick another port with -p): Address already in use" "$output"
}

@test "01-static: a bad option or argument is an error with usage" {
	run "$BIN/$STAGE/server" -x
	equal "exit status of $BIN/$STAGE/server -x" 2 "$status"
	contains "output of $BIN/$STAGE/server -x" "usage:" "$output"
	run "$BIN/$STAGE/server" -p 70000
	equal "exit status of $BIN/$STAGE/server -p 70000" 2 "$status"
	run "$BIN/$STAGE/server" -d /nonexistent/dir
	equal "exit status of $BIN/$STAGE/server -d /nonexistent/dir" 1 "$status"
	contains "output of $BIN/$STAGE/server -d /nonexistent/dir" "/nonexistent/dir" "$output"
}

@test "01-static: -t 0 is out of range, -t 5s and -p 80a are not numbers: each exits 2 instead of running" {
	run timeout 3 "$BIN/$STAGE/server" -p 0 -t 0
	equal "exit status of -t 0" 2 "$status"
	equal "message" "01-static: timeout must be a number from 1 to 3600: 0" "$output"
	run timeout 3 "$BIN/$STAGE/server" -p 0 -t 5s
	equal "exit status of -t 5s" 2 "$status"
	equal "message" "01-static: timeout must be a number from 1 to 3600: 5s" "$output"
	run timeout 3 "$BIN/$STAGE/server" -p 80a
	equal "exit status of -p 80a" 2 "$status"
	equal "message" "01-static: port must be a number from 0 to 65535: 80a" "$output"
}

@test "01-static: -p 0 picks a free port; the URL and the pid are printed" {
	start_server "$STAGE"
	between "port picked for -p 0" 1 65535 "$PORT"
	equal "first line" "listening on http://127.0.0.1:$PORT/ (pid $SERVER_PID, docroot $DOCROOT, up to N descriptors)" \
		"$(head -n 1 "$SERVER_LOG" | sed 's/up to [0-9][0-9]* descriptors/up to N descriptors/')"
	equal "status of /" 200 "$(code /)"
}

@test "01-static: -b ::1 listens on IPv6" {
	grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null || skip "no IPv6 loopback here"
	start_server "$STAGE" -b ::1
	equal "URL it listens on" "http://[::1]:$PORT/" "$(sed -n 's/^listening on \([^ ]*\) .*/\1/p' "$SERVER_LOG")"
	equal "status of / over IPv6" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://[::1]:$PORT/")"
	eventually log_has "$SERVER_LOG" '"GET / HTTP/1.1" 200 '
	contains "client in the log line" "[::1]:" "$(grep -F '"GET / HTTP/1.1" 200 ' "$SERVER_LOG")"
}

@test "01-static: -q turns the access log off" {
	start_server "$STAGE" -q
	equal "status of /" 200 "$(code /)"
	equal "status of /missing" 404 "$(code /missing)"
	sleep 0.2
	equal "lines in the log (only 'listening on')" 1 "$(wc -l <"$SERVER_LOG")"
}

@test "01-static: SIGINT stops the server cleanly, exit status 0" {
	start_server "$STAGE"
	equal "status of /" 200 "$(code /)"
	kill -INT "$SERVER_PID"
	wait "$SERVER_PID"
	SERVER_PID=
}

@test "01-static: SO_REUSEADDR: a restart on the same port works at once" {
	start_server "$STAGE"
	local port=$PORT
	# The server closes first (raw reads until it does; curl might close
	# as soon as it has the body), so its side is left in TIME_WAIT.
	raw 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' >"$BATS_TEST_TMPDIR/reply"
	equal "status of /" 200 "$(head -n 1 "$BATS_TEST_TMPDIR/reply" | cut -d' ' -f2)"
	equal "server-side connections in TIME-WAIT" 1 "$(ss -Htan state time-wait "( sport = :$port )" | wc -l)"
	req_restart
	equal "port after the restart" "$port" "$PORT"
}

@test "01-static: 中国.html names no charset itself, so the Content-Type says it (notes 2.1 (2))" {
	start_server "$STAGE"
	# The page leaves the choice to the header, as the notes' pages do.
	not grep -qi 'charset' "$DOCROOT/中国.html"
	curl -s -o /dev/null -D "$BATS_TEST_TMPDIR/h" "http://127.0.0.1:$PORT/%E4%B8%AD%E5%9B%BD.html"
	equal "Content-Type of /中国.html" "text/html; charset=utf-8" "$(header Content-Type "$BATS_TEST_TMPDIR/h")"
}

@test "01-static: bytes sent after the request do not turn the close into a reset that eats the response" {
	start_server "$STAGE" -q
	req_lingering_close
}
