#!/usr/bin/env bats
# diffs.bats: each stage's server.c is the one before it plus its lesson.
# The copies are kept by hand, so pin which functions differ between
# neighbours: a change made to one copy and not the others (or a lesson
# that leaks into functions it has no business in) fails here. When a
# lesson really changes, update its list below, and say why in the commit.

load helpers

# functions FILE: one line per function definition: its name, a tab, then
# its text (the return type line above it included), its newlines as \001
# and its tabs as \002 so that it is one field.
# In the suite's style a definition starts with its name at column 0, its
# return type on the line above, and ends with "}" at column 0.
functions() {
	awk '
		/^[a-z_][a-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name); text = prev }
		name != "" { text = text "\001" $0 }
		name != "" && /^}/ { gsub(/\t/, "\002", text); print name "\t" text; name = "" }
		{ prev = $0 }
	' "$1" | sort -t "$(printf '\t')" -k 1,1
}

# changed A B: the functions that differ between stage A and stage B (in
# one only, or in both with different text), sorted, on one line.
changed() {
	join -t "$(printf '\t')" -a 1 -a 2 -e - -o 0,1.2,2.2 \
		<(functions "$ROOT/$1/server.c") <(functions "$ROOT/$2/server.c") |
		awk -F '\t' '$2 != $3 { print $1 }' | tr '\n' ' ' | sed 's/ $//'
}

# expect A B LIST: the functions that differ from A to B are exactly LIST.
expect() {
	local got
	got=$(changed "$1" "$2")
	echo "$1 -> $2 changes: $got"
	echo "expected:         $3"
	[ "$got" = "$3" ]
}

@test "the extraction finds every function of a stage" {
	[ "$(functions "$ROOT/01-static/server.c" | cut -f1 | tr '\n' ' ')" = "handle_client main serve_forever " ]
}

@test "01-static -> 02-fork adds the fork and the reaper, and nothing else" {
	expect 01-static 02-fork "handle_client install_reaper main reap_children"
}

@test "02-fork -> 03-threads changes only how a connection is handed off" {
	expect 02-fork 03-threads "client_thread handle_client install_reaper main reap_children"
}

@test "04-nonblock -> 05-keepalive changes only what keep-alive needs" {
	# conn_parse and conn_log: with several requests in the buffer, the
	# current one starts at in_off.
	expect 04-nonblock 05-keepalive "conn_done conn_log conn_open conn_parse conn_read conn_respond drop_input main"
}

@test "05-keepalive -> 06-epoll changes only what epoll and sendfile need" {
	expect 05-keepalive 06-epoll "accept_clients accept_pause accept_resume conn_close conn_open conn_step conn_watch conn_write main serve_forever sweep_timeouts"
}

# 08 is diffed against 03, whose code it keeps: the functions 03 has are
# there with the same names (client_thread becomes client_main, which keeps
# a connection alive), and the rest is the monkey patch: the co_ calls that
# wait in the hub instead of blocking. The engine itself is coro.c.
@test "03-threads -> 08-coroutines keeps 03's handler and loop, on a new engine" {
	expect 03-threads 08-coroutines "client_main client_thread co_accept co_recv co_send_file co_set_timeout co_write_all handle_client main serve_forever"
}

# 10 reads and sends through common/serve.c as 03 does; what it adds is
# the answer: the body, the environ, the application's reply.
@test "03-threads -> 10-framework keeps 03's accept loop and hand-off; the rest is bodies and the application" {
	expect 03-threads 10-framework "answer client_thread main make_environ read_body reply_fail reply_start reply_write"
}

# modules STAGE: which of common/'s optional parts its program holds.
modules() {
	nm "$ROOT/$1/server" | awk '$2 == "T" { print $3 }' |
		grep -oE '^(filecache|pool|body|serve)_' | sort -u | tr -d _ | tr '\n' ' ' | sed 's/ $//'
}

# common/ is linked as an archive, so a program holds only what it calls:
# a student following 01 never meets the file cache, the pool or the body
# reader, which belong to the stages that teach them.
@test "each program holds only the parts of common/ its stage uses" {
	local s
	for s in 01-static 02-fork 03-threads; do
		equal "$s's optional parts of common/" serve "$(modules $s)"
	done
	equal "04-nonblock's" pool "$(modules 04-nonblock)"
	equal "05-keepalive's" pool "$(modules 05-keepalive)"
	equal "06-epoll's" "filecache pool" "$(modules 06-epoll)"
	equal "08-coroutines'" "filecache serve" "$(modules 08-coroutines)"
	equal "10-framework's" "body serve" "$(modules 10-framework)"
}
