# helpers.bash: shared by every tests/*.bats file.
#
# make_docroot builds a docroot for the file (www/ plus test files and a
# symlink that points out of it); start_server runs a stage on a free port
# and waits until it listens; teardown stops it by PID and fails the test
# if it did not exit cleanly (a crash, or a sanitizer report under make check).
# Only bash, coreutils and curl are used, so the suite runs on a bare machine.

# Starting processes is most of what the suite costs (on a 2-core machine
# it is CPU-bound, not waiting): where Debian's bash-builtins is installed,
# sleep, rm, mkdir, cut and seq run inside bash, finfo gives a file's size
# and mtime (HAVE_FINFO), and times are read from bash's own clock,
# ${EPOCHREALTIME//[!0-9]/}000 nanoseconds, not date. tee writes what it
# reads in one write (up to 8 KiB): send_once uses it (SEND_TEE). And the
# helpers that read a saved response (a status line, a header) are bash
# alone, not a pipeline of grep, head, cut and tr, and are called through
# into, not $(...): in a shell as big as a test's, each process started,
# and each fork, costs milliseconds.
if [ -d /usr/lib/bash ]; then
	for _b in sleep rm mkdir cut seq tee finfo; do
		enable -f "/usr/lib/bash/$_b" "$_b" 2>/dev/null || continue
		case $_b in
		tee) SEND_TEE=1 ;;
		finfo) HAVE_FINFO=1 ;;
		esac
	done
fi

# The functions defined before this file (bats' own) are not ours to
# untrace (untrace_new, below): note their names.
declare -gA UNTRACE_SEEN=()
compgen -A function >"${BATS_RUN_TMPDIR:-${TMPDIR:-/tmp}}/untrace.$BASHPID" || true
while read -r _f; do UNTRACE_SEEN[$_f]=1; done <"${BATS_RUN_TMPDIR:-${TMPDIR:-/tmp}}/untrace.$BASHPID"

# untraced CMD...: run CMD without bats' per-command trap. To name the line
# of a failure, bats runs a function before every command of a test and,
# through set -T, of every function it calls: about half a millisecond a
# command, more than most commands cost. The helpers below run untraced
# (untrace_file wraps them): a failure inside one is still reported at the
# test's line that called it, with the helper's own message of what it
# expected and got. Outside bats (make grade) CMD simply runs.
untraced() {
	if [[ $- != *T* ]]; then
		"$@"
		return
	fi
	set +T
	"$@"
	local rc=$?
	set -T
	return "$rc"
}

# untrace_new LIBRARY: each function defined since the last call (or since
# the top of this file) with more than three lines of body becomes a
# wrapper that calls it, as traced_NAME, untraced. Each library file ends
# by calling it, under bats (set -T) only. compgen and declare are
# builtins: no process is started. What it defines is kept, per test file
# and LIBRARY, in bats' directory for the run, and the next test of the
# file reads it back instead of building it again (40 ms a test).
untrace_new() {
	local f names=() def=() code all='' cache='' tmp=${BATS_RUN_TMPDIR:-${TMPDIR:-/tmp}}/untrace.$BASHPID
	if [ -n "${BATS_RUN_TMPDIR:-}" ] && [ -n "${1:-}" ]; then
		cache=$BATS_RUN_TMPDIR/untraced.${BATS_TEST_FILENAME##*/}.$1
		if [ -r "$cache" ]; then
			# shellcheck source=/dev/null  # written below, by an earlier test
			source "$cache"
			return
		fi
	fi
	compgen -A function >"$tmp"
	mapfile -t names <"$tmp"
	for f in "${names[@]}"; do
		[ -z "${UNTRACE_SEEN[$f]:-}" ] || continue
		all+="UNTRACE_SEEN[${f@Q}]=1"$'\n'
		case $f in untraced | untrace_new | traced_*) continue ;; esac
		declare -f "$f" >"$tmp"
		mapfile -t def <"$tmp"
		[ "${#def[@]}" -gt 5 ] || continue
		def[0]="traced_$f ()"
		printf -v code '%s\n' "${def[@]}"
		all+=$code"$f() { untraced traced_$f \"\$@\"; }"$'\n'
	done
	rm -f "$tmp"
	eval "$all"
	# written aside, then renamed: tests running at once may race here
	[ -z "$cache" ] || { printf '%s' "$all" >"$cache.$BASHPID" && mv -f "$cache.$BASHPID" "$cache"; }
}

# send_once FD BYTES: write BYTES (printf %b: \r\n and \xHH expanded) to
# descriptor FD in one write, so that a request is not cut into pieces by
# chance: bash's printf writes line by line. Fails when the write does.
send_once() {
	local f=${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/send.$BASHPID
	printf '%b' "$2" >"$f"
	# %b only shortens: BYTES' length bounds what is written.
	if [ -n "${SEND_TEE:-}" ] && [ "${#2}" -le 8192 ]; then
		tee <"$f" 1>&"$1" 2>/dev/null
	else
		dd bs=1M iflag=fullblock status=none <"$f" 1>&"$1" 2>/dev/null
	fi
}

case $BATS_TEST_DIRNAME in
/*/tests) ROOT=${BATS_TEST_DIRNAME%/tests} ;;   # bats makes it absolute
*) ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd) ;;
esac
SERVER_WRAP=()
BIN=${NETLAB_BIN:-$ROOT}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac

# Called from setup_file: $BATS_FILE_TMPDIR/www and, beside it, outside/.
make_docroot() {
	DOCROOT=$BATS_FILE_TMPDIR/www
	cp -R "$ROOT/www" "$DOCROOT"
	mkdir -p "$BATS_FILE_TMPDIR/outside"
	echo "SECRET-OUTSIDE-DOCROOT" >"$BATS_FILE_TMPDIR/outside/secret.txt"
	ln -s ../outside/secret.txt "$DOCROOT/link-out.txt"
	ln -s ../outside "$DOCROOT/dir-out"
	ln -s about.html "$DOCROOT/link-in.html"
	# Several dots: the type comes from the last extension only.
	printf 'h1{color:red}\n' >"$DOCROOT/app.min.css"
	printf 'x\n' >"$DOCROOT/notes.html.txt"
	printf '<p>loud</p>\n' >"$DOCROOT/LOUD.HTML"
	head -c 5242880 /dev/urandom >"$DOCROOT/big.bin"
	export DOCROOT
}

# start_server STAGE [ARGS...]: sets SERVER_PID, PORT, URL, SERVER_LOG.
# SERVER_BIN, if set, names the binary to run instead of STAGE/server.
start_server() {
	local stage=$1 i bin start line
	shift
	bin=${SERVER_BIN:-$BIN/$stage/server}
	SERVER_LOG=$BATS_TEST_TMPDIR/server.log
	# 10-framework's application keeps data: in the test's own directory.
	[ "$stage" != 10-framework ] || set -- -s "$BATS_TEST_TMPDIR/state" "$@"
	# fd 3 is bats' own: a background job holding it would hang the suite.
	# SERVER_WRAP (an array) may name a command to start it with (setpriv);
	# then SERVER_PID is that command's, LISTENING_PID the server's own.
	: >"$SERVER_LOG"   # there to read before the server has begun
	"${SERVER_WRAP[@]}" "$bin" -p 0 -d "$DOCROOT" "$@" >>"$SERVER_LOG" 2>&1 3>&- &
	SERVER_PID=$!
	# Its first words, "listening on URL": up to 20 s (a loaded machine
	# can be slow to start a process; a started server is not waited for).
	start=${EPOCHREALTIME//[!0-9]/}
	for ((i = 0; i < ${START_TRIES:-400}; i++)); do
		URL=
		while IFS= read -r line; do
			[[ $line == 'listening on '* ]] || continue
			URL=${line#listening on }
			URL=${URL%% *}
			LISTENING_PID=${line##*(pid }
			LISTENING_PID=${LISTENING_PID%%,*}
			break
		done <"$SERVER_LOG"
		[ -z "$URL" ] || break
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ -z "$URL" ]; then
		cat "$SERVER_LOG" >&2
		if kill -0 "$SERVER_PID" 2>/dev/null; then
			echo "server $stage did not start: it runs, but said nothing of listening in" \
				"$(((${EPOCHREALTIME//[!0-9]/} - start) / 1000)) ms; stopped" >&2
			# not left behind: start_all (setup_file) has no teardown
			kill -KILL "$SERVER_PID" 2>/dev/null || true
			wait "$SERVER_PID" 2>/dev/null || true
			SERVER_PID=
		else
			echo "server $stage did not start: it exited" >&2
		fi
		return 1
	fi
	PORT=${URL##*:}
	PORT=${PORT%/}
}

# gone_within SECONDS PID: true once PID has ended (looked at every 50 ms),
# false if it still runs after SECONDS.
gone_within() {
	local i
	for ((i = 1; i <= $1 * 20; i++)); do
		kill -0 "$2" 2>/dev/null || return 0
		sleep 0.05
	done
	! kill -0 "$2" 2>/dev/null
}

# Stop the server by PID; fail unless it exits 0 within STOP_WAIT seconds (5).
stop_server() {
	local rc
	[ -n "${SERVER_PID:-}" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null
	if ! gone_within "${STOP_WAIT:-5}" "$SERVER_PID"; then
		kill -KILL "$SERVER_PID"
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
		echo "server ignored SIGTERM for ${STOP_WAIT:-5} s" >&2
		return 1
	fi
	# Under set -e a bare wait for a failed server would end the test here,
	# before its status and log are shown.
	rc=0
	wait "$SERVER_PID" || rc=$?
	SERVER_PID=
	if [ "$rc" -ne 0 ] || grep -qE 'Sanitizer|runtime error' "$SERVER_LOG"; then
		echo "server exited $rc; its log:" >&2
		cat "$SERVER_LOG" >&2
		return 1
	fi
}

teardown() {
	stop_server
}

# equal WHAT EXPECTED ACTUAL: succeed when the two are equal; otherwise say
# what was measured, what was expected and what came, and fail.
equal() {
	[ "$2" = "$3" ] && return 0
	echo "$1: expected $2, got $3" >&2
	return 1
}

# into VAR CMD...: set VAR to what CMD prints, its last newlines removed,
# as VAR=$(CMD...) would, but with CMD run in this shell: $(...) starts a
# copy of the shell to run it in, a fork that costs milliseconds (a test's
# shell is big), more than reading a header from a saved reply does. So
# CMD should be a function; a program is started either way. CMD's exit
# status is ignored, as it is in "$(CMD)" given as an argument.
into() {
	# a CMD that calls into writes a file of its own (one per depth)
	local _into_depth=$((${_into_depth:-0} + 1)) _into_v=
	local _into_f=${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/into.$BASHPID.$_into_depth
	"${@:2}" >"$_into_f" || true
	IFS= read -r -d '' _into_v <"$_into_f" || true
	printf -v "$1" '%s' "${_into_v%"${_into_v##*[!$'\n']}"}"
}

# expect_output WHAT EXPECTED CMD...: succeed when CMD prints EXPECTED (read
# through into); otherwise say what was expected and what came, and fail.
expect_output() {
	local _got
	into _got "${@:3}"
	[ "$2" = "$_got" ] && return 0
	echo "$1: expected $2, got ${_got:-nothing}" >&2
	return 1
}

# raw_is STATUS BYTES: the raw request BYTES (status_of) is answered with
# STATUS; otherwise say what was sent (a long one by its start and length),
# what was expected and what came.
raw_is() {
	local sent=$2
	[ "${#sent}" -le 100 ] || sent="${2:0:60}... (${#2} characters)"
	expect_output "status for '$sent'" "$1" status_of "$2"
}

# code_is STATUS PATH [CURL ARGS...]: curl's request for PATH is answered
# with STATUS; otherwise say what was asked, expected and what came.
code_is() {
	local want=$1
	shift
	expect_output "status of $*" "$want" code "$@"
}

# codes_are STATUS PATH [CURL ARGS...] [-- STATUS PATH [CURL ARGS...]]...:
# code_is for each request, all made by one curl (its --next starts the
# next request afresh): starting curl costs more than a request does.
# Every request is checked; each wrong status is reported.
codes_are() {
	written_are status '%{http_code}' "$@"
}

# written_are WHAT WRITEOUT VALUE PATH [CURL ARGS...] [-- VALUE PATH [CURL
# ARGS...]]...: the same for another of curl's -w variables, such as
# %{content_type}: WHAT names it in the messages.
written_are() {
	local what=$1 format=$2 argv=() wants=() asked=() codes=() one=() i bad=0 none=nothing
	shift 2
	[ "$what" != status ] || none=000
	while [ "$#" -gt 0 ]; do
		one=()
		wants+=("$1")
		shift
		while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
			one+=("$1")
			shift
		done
		[ "$#" -eq 0 ] || shift
		asked+=("${one[*]}")
		[ "${#argv[@]}" -eq 0 ] || argv+=(--next)
		argv+=(-s -o /dev/null -w "$format\n" --path-as-is "${one[@]:1}"
			"http://127.0.0.1:$PORT${one[0]}")
	done
	curl "${argv[@]}" >"$BATS_TEST_TMPDIR/written"
	mapfile -t codes <"$BATS_TEST_TMPDIR/written"
	for i in "${!wants[@]}"; do
		equal "$what of ${asked[i]}" "${wants[i]}" "${codes[i]:-$none}" || bad=1
	done
	return "$bad"
}

# get_each PATH [CURL ARGS...] [-- PATH [CURL ARGS...]]...: GET each PATH,
# all by one curl; the Nth response's head in $BATS_TEST_TMPDIR/h.N, its
# body in b.N (N from 1).
get_each() {
	local argv=() one=() n=0
	while [ "$#" -gt 0 ]; do
		one=()
		while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
			one+=("$1")
			shift
		done
		[ "$#" -eq 0 ] || shift
		n=$((n + 1))
		[ "$n" = 1 ] || argv+=(--next)
		rm -f "$BATS_TEST_TMPDIR/h.$n" "$BATS_TEST_TMPDIR/b.$n"
		argv+=(-s -D "$BATS_TEST_TMPDIR/h.$n" -o "$BATS_TEST_TMPDIR/b.$n" --path-as-is "${one[@]:1}"
			"http://127.0.0.1:$PORT${one[0]}")
	done
	curl "${argv[@]}" || true
}

# grep_first ERE FILE: the part of FILE's first line matching ERE that
# matches it, as grep -o would print it (bash alone: no process).
grep_first() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		[[ $line =~ $1 ]] || continue
		printf '%s\n' "${BASH_REMATCH[0]}"
		return 0
	done <"$2"
}

# size_of FILE: its size in bytes (with bash's loadable finfo, no process).
size_of() {
	if [ -n "${HAVE_FINFO:-}" ]; then
		finfo -s "$1"
	else
		wc -c <"$1"
	fi
}

# bytes_in FILE: FILE's size, 0 when there is no FILE (curl writes no
# file for an empty body).
bytes_in() {
	if [ -e "$1" ]; then size_of "$1"; else echo 0; fi
}

# joined CMD...: CMD's output on one line, each line followed by a space
# (as CMD | tr '\n' ' ' would print it, without the pipe's processes).
joined() {
	local f=${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/joined.$BASHPID line
	"$@" >"$f" || true
	while IFS= read -r line; do
		printf '%s ' "$line"
	done <"$f"
}

# text_of FILE: FILE as text (up to a NUL byte), as $(cat FILE) would give
# it, without a process.
text_of() {
	local all=
	IFS= read -r -d '' all <"$1" || true
	printf '%s\n' "$all"
}

# log_has LOG TEXT: a line of the log file LOG holds TEXT; otherwise say
# so, and show the log's last lines.
log_has() {
	grep -qF -- "$2" "$1" && return 0
	echo "${1##*/}: expected a line with $2, got, at its end:" >&2
	tail -n 5 "$1" | sed 's/^/  | /' >&2
	return 1
}

# present WHAT VALUE: VALUE is not empty; otherwise say that nothing came.
present() {
	[ -n "$2" ] && return 0
	echo "$1: expected a value, got nothing" >&2
	return 1
}

# status_line FILE: the first line of a saved response, without its CR.
status_line() {
	local line=
	IFS= read -r line <"$1" || true
	printf '%s\n' "${line//$'\r'/}"
}

# same_bytes WHAT FILE EXPECTED: FILE holds EXPECTED's bytes; otherwise say
# how many came and where they first differ.
same_bytes() {
	cmp -s "$2" "$3" && return 0
	echo "$1: expected the $(wc -c <"$3") bytes of ${3##*/}, got $(wc -c <"$2" 2>/dev/null || echo 0)" \
		"bytes ($(cmp "$2" "$3" 2>&1 | head -n 1))" >&2
	return 1
}

# contains WHAT NEEDLE TEXT, lacks WHAT NEEDLE TEXT: TEXT holds NEEDLE, or
# does not; otherwise say what was looked for, and show TEXT.
contains() {
	[[ $3 == *"$2"* ]] && return 0
	echo "$1: expected it to contain $2, got ${3:-nothing}" >&2
	return 1
}
# in_order WHAT TEXT PART...: TEXT holds each PART, in this order.
in_order() {
	local what=$1 text=$2 rest=$2 part
	shift 2
	for part in "$@"; do
		if [[ $rest != *"$part"* ]]; then
			echo "$what: expected, in this order: $*; no '$part' where it should be, in: ${text:-nothing}" >&2
			return 1
		fi
		rest=${rest#*"$part"}
	done
}
lacks() {
	[[ $3 != *"$2"* ]] && return 0
	echo "$1: expected it without $2, got $3" >&2
	return 1
}

# trickle HEAD GAP COUNT WAIT: on a new connection, send HEAD (a printf
# format), then one byte every GAP seconds, COUNT times, and read meanwhile.
# Sets TRICKLED_LINE to the first line that came back within WAIT seconds
# (without its CR) and TRICKLED_MS to the milliseconds until it came.
trickle() {
	local fd writer start n
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	start=${EPOCHREALTIME//[!0-9]/}000
	printf "$1" >&"$fd"
	{
		for ((n = 1; n <= $3; n++)); do
			sleep "$2"
			printf 'x' 2>/dev/null || break
		done
	} >&"$fd" &
	writer=$!
	# shellcheck disable=SC2034  # TRICKLED_LINE and TRICKLED_MS are the caller's
	TRICKLED_LINE=$(timeout "$4" head -n 1 <&"$fd" | tr -d '\r')
	# shellcheck disable=SC2034
	into TRICKLED_MS ms_since "$start"
	kill "$writer" 2>/dev/null || true
	wait "$writer" 2>/dev/null || true
	exec {fd}>&-
}

# not CMD...: succeed when CMD fails. A bare "! CMD" cannot fail a bats
# test: set -e ignores a negated command (unless it is the test's last).
not() {
	if "$@"; then
		return 1
	fi
}

# between WHAT LOW HIGH ACTUAL: succeed when LOW <= ACTUAL <= HIGH (integers).
between() {
	[ -n "$4" ] && [ "$4" -ge "$2" ] && [ "$4" -le "$3" ] && return 0
	echo "$1: expected $2 to $3, got ${4:-nothing}" >&2
	return 1
}

# raw BYTES: send BYTES (backslash escapes such as \r\n expanded, % kept
# as it is) to the server in one write, print all it sends back until it
# closes (5 s). With RAW_LOG set, every reply is also appended to that file.
# (bash's printf writes line by line; dd gathers the lines into one write,
# so that a request is not cut into pieces by chance.)
raw() {
	local fd
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	send_once "$fd" "$1"
	if [ -n "${RAW_LOG:-}" ]; then
		timeout 5 cat <&"$fd" | tee -a "$RAW_LOG"
	else
		timeout 5 cat <&"$fd"
	fi
	exec {fd}>&-
}

# raw_text BYTES: raw, for a short reply that is text (an error page): the
# reply, until the server closes (5 s at most) or up to a NUL byte, in
# RAW_TEXT, as it came. Bash reads it itself, one byte a read: for a page
# that is cheaper than starting timeout and cat; for a file it is not.
raw_text() {
	local fd
	RAW_TEXT=
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	send_once "$fd" "$1"
	IFS= read -r -d '' -t 5 -u "$fd" RAW_TEXT || true
	exec {fd}>&-
	[ -z "${RAW_LOG:-}" ] || printf '%s' "$RAW_TEXT" >>"$RAW_LOG"
}

# status_of BYTES: the status code of a raw request's reply. Only its first
# line is read: a kept-alive connection would otherwise hold raw for 5 s.
status_of() {
	local fd line=
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	send_once "$fd" "$1" || true
	IFS= read -r -t 5 -u "$fd" line || true
	exec {fd}>&-
	[ -z "${RAW_LOG:-}" ] || printf '%s\n' "$line" >>"$RAW_LOG"
	# the second field, as cut -d' ' -f2 would give it
	[[ $line == *' '* ]] && line=${line#* } && line=${line%% *}
	printf '%s\n' "$line"
}

# code PATH [CURL ARGS...]: the status code curl sees for PATH.
code() {
	local path=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --path-as-is "$@" "http://127.0.0.1:$PORT$path"
}

# header NAME FILE: the value of header NAME in a saved response head.
header() {
	local line name=${1,,}
	[ -r "$2" ] || return 0
	while IFS= read -r line || [ -n "$line" ]; do
		[[ ${line,,} == "$name:"* ]] || continue
		line=${line//$'\r'/}
		[[ $line == *' '* ]] && line=${line#* }
		printf '%s\n' "$line"
		return 0
	done <"$2"
}

# The server stages to test: all that are built, or those named in $STAGES.
stages() {
	local d
	if [ -n "${STAGES:-}" ]; then
		printf '%s\n' $STAGES
		return
	fi
	for d in "$ROOT"/[0-9][0-9]-*/server.c; do
		d=${d%/server.c}
		echo "${d##*/}"
	done
}

# From setup_file: start every stage once; remember "stage port pid log".
start_all() {
	local stage
	: >"$BATS_FILE_TMPDIR/servers"
	for stage in $(stages); do
		BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR/$stage
		mkdir -p "$BATS_TEST_TMPDIR"
		start_server "$stage" "$@"
		echo "$stage $PORT $SERVER_PID $SERVER_LOG" >>"$BATS_FILE_TMPDIR/servers"
	done
	SERVER_PID=
}

# From teardown_file: stop them all; fail if any did not exit cleanly.
stop_all() {
	local stage bad=0
	while read -r stage PORT SERVER_PID SERVER_LOG; do
		stop_server || bad=1
	done <"$BATS_FILE_TMPDIR/servers"
	return "$bad"
}

# for_each_stage CMD...: run CMD against every stage's server at once, each
# with STAGE, PORT, SERVER_PID and SERVER_LOG set and a scratch directory of
# its own as BATS_TEST_TMPDIR; then show what each printed, and fail if CMD
# failed for any, or if a server died (saying so, with its last output).
for_each_stage() {
	local list jobs=() job pid stage spid slog bad=0 dir
	exec {list}<"$BATS_FILE_TMPDIR/servers"
	while read -r -u "$list" STAGE PORT SERVER_PID SERVER_LOG; do
		dir=$BATS_TEST_TMPDIR/$STAGE
		mkdir -p "$dir"
		rm -f "$dir/was-dead"
		(
			# bats runs a trap before every command, to know the line of
			# a failure; in this subshell it would only double what each
			# command costs, and the check's own messages say what failed.
			trap - DEBUG
			BATS_TEST_TMPDIR=$dir
			if ! kill -0 "$SERVER_PID" 2>/dev/null; then
				echo "the $STAGE server is not running: it died in an earlier test"
				: >"$dir/was-dead"
				exit 1
			fi
			"$@"
		) >"$dir/out" 2>&1 </dev/null &
		jobs+=("$!:$STAGE:$SERVER_PID:$SERVER_LOG")
	done
	exec {list}<&-
	for job in "${jobs[@]}"; do
		IFS=: read -r pid stage spid slog <<<"$job"
		echo "# stage $stage"
		wait "$pid" || { bad=1; echo "# stage $stage FAILED"; }
		cat "$BATS_TEST_TMPDIR/$stage/out"
		if ! kill -0 "$spid" 2>/dev/null && [ ! -e "$BATS_TEST_TMPDIR/$stage/was-dead" ]; then
			bad=1
			echo "# the $stage server died during this test; its last output:"
			tail -n 20 "$slog" | sed 's/^/#   | /'
		fi
	done
	return "$bad"
}

# parallel N PATH: N clients at once, each on a connection of its own;
# prints how many got 200 and a body equal to the file under the docroot.
# One curl makes them all (--parallel, opening every connection at once):
# starting a hundred curls would cost more than the server's work.
parallel() {
	local n=$1 path=$2 i ok=0 dir=$BATS_TEST_TMPDIR/par args=() code file
	mkdir -p "$dir"
	for ((i = 0; i < n; i++)); do
		args+=(-o "$dir/$i" "http://127.0.0.1:$PORT$path")
	done
	curl -s -m 20 -Z --parallel-immediate --parallel-max "$n" \
		-w '%{http_code} %{filename_effective}\n' "${args[@]}" >"$dir/codes" || true
	while read -r code file; do
		[ "$code" = 200 ] && cmp -s "$file" "$DOCROOT$path" && ok=$((ok + 1))
	done <"$dir/codes"
	echo "$ok"
}

# burst N PATH: N requests, 20 at a time, each on a connection of its own;
# prints how many got 200.
burst() {
	local n=$1 path=$2 i ok=0 args=() code
	for ((i = 0; i < n; i++)); do
		args+=(-o /dev/null "http://127.0.0.1:$PORT$path")
	done
	while read -r code; do
		[ "$code" != 200 ] || ok=$((ok + 1))
	done < <(curl -s -m 20 -Z --parallel-immediate --parallel-max 20 -H 'Connection: close' \
		-w '%{http_code}\n' "${args[@]}")
	echo "$ok"
}

# hold_silent: open a connection and send nothing; HOLD_FD is its descriptor.
hold_silent() {
	exec {HOLD_FD}<>"/dev/tcp/127.0.0.1/$PORT"
	sleep 0.2
}

# reset_mid_response PATH: ask for PATH, read a little, then close with the
# rest unread, so the kernel resets the connection under the server's writes.
reset_mid_response() {
	local fd
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET %s HTTP/1.1\r\nHost: x\r\n\r\n' "$1" >&"$fd"
	head -c 100000 <&"$fd" >/dev/null
	exec {fd}>&-
}

# proc_field PID NAME: a field of /proc/PID/status (Threads, ...).
proc_field() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# zombies PID: how many children of PID are zombies (state Z). One ps,
# not a process per /proc entry: eventually may ask fifty times.
zombies() {
	ps -o stat= --ppid "$1" | grep -c '^Z' || true
}

# fd_count PID: how many descriptors PID has open.
fd_count() {
	ls "/proc/$1/fd" | wc -l
}

# eventually CMD...: retry CMD for up to 5 s until it succeeds; only the
# last try says why it failed.
eventually() {
	local i
	for ((i = 1; i <= 50; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	"$@"
}

# docroot_file NAME BYTES SOURCE: $DOCROOT/NAME, the first BYTES of SOURCE,
# made once. It is written under a name of its own and renamed, so that
# tests run side by side never see it half-written.
docroot_file() {
	local part=$DOCROOT/$1.$BASHPID   # this shell's pid, not head's
	[ ! -f "$DOCROOT/$1" ] || return 0
	head -c "$2" "$3" >"$part"
	mv -f "$part" "$DOCROOT/$1"
}

# A 10 MiB file in the docroot, for the slow-reader tests.
make_big10() {
	docroot_file big10.bin 10485760 /dev/urandom
}

# ms_since START: milliseconds since START (nanoseconds, as above).
ms_since() {
	echo $(((${EPOCHREALTIME//[!0-9]/}000 - $1) / 1000000))
}

# cpu_ticks PID: user + system CPU time of PID so far, in clock ticks.
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# idle_ticks PID SECONDS: CPU ticks PID uses while idle for SECONDS.
idle_ticks() {
	local before
	into before cpu_ticks "$1"
	sleep "$2"
	echo $(($(cpu_ticks "$1") - before))
}

# hold_connections N: open N connections (fds in HELD), all at once.
hold_connections() {
	local i fd
	HELD=()
	for ((i = 0; i < $1; i++)); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
		HELD+=("$fd")
	done
}

release_connections() {
	local fd
	for fd in "${HELD[@]}"; do
		exec {fd}>&-
	done
	HELD=()
}

# On every held connection send a request with Connection: close, then read
# every reply; prints how many were 200 with the whole file. Only bash's own
# read and printf: a process per connection would take a minute for 1,000.
serve_held() {
	local fd ok=0 line rest about
	about=$(cat "$DOCROOT/about.html")
	for fd in "${HELD[@]}"; do
		printf 'GET /about.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&"$fd"
	done
	for fd in "${HELD[@]}"; do
		line='' rest=''
		IFS= read -r -t 5 -u "$fd" line || true
		IFS= read -r -d '' -t 5 -u "$fd" rest || true
		[[ $line == HTTP/1.[01]' 200 '* && $rest == *"$about"* ]] && ok=$((ok + 1))
	done
	echo "$ok"
}

# A server built with sanitizers reserves terabytes of address space, so
# tests that limit memory cannot run on it.
sanitized() {
	[ -n "${NETLAB_BIN:-}" ] && [ "$BIN" != "$ROOT" ]
}

# Out of descriptors: with no free slot, accept fails with EMFILE. The
# server must not spin meanwhile, and must serve the waiting client once
# the limit is raised again.
check_emfile_recovery() {
	local n=0 pid
	# The lowest free descriptor number: with the limit there, none is left.
	while [ -e "/proc/$SERVER_PID/fd/$n" ]; do n=$((n + 1)); done
	# Only the soft limit: raising a hard one again needs CAP_SYS_RESOURCE.
	prlimit --nofile="$n:" --pid "$SERVER_PID"
	# In 01-03 a blocked accept took its descriptor number before the limit
	# fell: this connection uses it up. In 06 it already meets EMFILE.
	hold_silent
	curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/about.html" >"$BATS_TEST_TMPDIR/code" &
	pid=$!
	between "CPU ticks used in 2 s while out of descriptors" 0 20 "$(idle_ticks "$SERVER_PID" 2)"
	prlimit --nofile=1024: --pid "$SERVER_PID"
	exec {HOLD_FD}>&-
	wait "$pid"
	equal "status for the waiting client once descriptors are free" 200 "$(cat "$BATS_TEST_TMPDIR/code")"
}

# check_memory_limit STAGE KIB: STAGE started again with its address space
# limited (ulimit -v) to what it uses idle plus KIB, then 3,000 keep-alive
# connections at once (bench/hold): some must go unanswered, refused or
# closed, and none may crash it; once they are gone, a request is answered.
check_memory_limit() {
	local stage=$1 vm answered
	# A sanitizer reserves terabytes of address space up front.
	sanitized && skip "address-space limits do not work under sanitizers"
	[ -x "$ROOT/bench/hold" ] || skip "bench/hold not built (make test builds it)"
	ulimit -n 8192 2>/dev/null || [ "$(ulimit -n)" -ge 6100 ] || skip "ulimit -n too low for 3,000 connections"
	start_server "$stage" -q
	into vm proc_field "$SERVER_PID" VmSize
	stop_server
	# shellcheck disable=SC2016 # expanded by the bash that starts the server
	SERVER_WRAP=(bash -c 'ulimit -v "$0" && exec "$@"' $((vm + $2)))
	start_server "$stage"
	SERVER_WRAP=()
	timeout 30 "$ROOT/bench/hold" "$PORT" 3000 1 /about.html >"$BATS_TEST_TMPDIR/hold" 2>&1 || true
	echo "hold: $(cat "$BATS_TEST_TMPDIR/hold")"
	kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server died; its log ends:" >&2; tail -n 5 "$SERVER_LOG" >&2; return 1; }
	answered=$(grep -c '"GET /about.html HTTP/1.1" 200 ' "$SERVER_LOG" || true)
	between "of 3,000 connections at once with $2 KiB to spare, those answered 200 (some must not be)" 1 2999 "$answered"
	expect_output "status of GET /about.html once they are gone" 200 code /about.html -m 5
}

# restart_server [KILL]: stop the server (with SIGKILL: as a crash would),
# then start the same stage again on the same port (require.bash's
# req_restart and req_fav_kill call it; make grade has its own).
# RESTART_ARGS, an array, are its options for the second start.
restart_server() {
	local port=$PORT stage=${STAGE:?}
	if [ "${1:-}" = KILL ]; then
		kill -KILL "$SERVER_PID"
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
	else
		stop_server || return 1
	fi
	start_server "$stage" -p "$port" ${RESTART_ARGS[@]+"${RESTART_ARGS[@]}"}
}

# Out of memory: with the address space capped a little above what the
# server uses now, connections that each begin a request soon find no
# memory for it. Each must get 503 (not a silent close, not a crash), and
# once the cap is lifted the server serves again.
check_enomem_503() {
	local kib fds=() fd i got=0 line
	kib=$(awk '$1 == "VmSize:" { print $2 }' "/proc/$SERVER_PID/status")
	prlimit --as=$(((kib + 2048) * 1024)): --pid "$SERVER_PID"
	for ((i = 1; i <= 400; i++)); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || break
		fds+=("$fd")
		printf 'G' >&"$fd"
	done
	sleep 0.5
	for fd in "${fds[@]}"; do
		line=''
		IFS= read -r -t 0.05 -u "$fd" line || true
		[[ $line == 'HTTP/1.1 503 '* ]] && got=$((got + 1))
	done
	prlimit --as=unlimited: --pid "$SERVER_PID"
	for fd in "${fds[@]}"; do exec {fd}>&-; done
	between "connections answered 503 when memory ran out (of ${#fds[@]})" 1 400 "$got"
	expect_output "status of GET /about.html once memory is back" 200 code /about.html -m 5
}

[[ $- != *T* ]] || untraced untrace_new helpers
