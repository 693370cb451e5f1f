# lib.sh: what bench.sh, c10k.sh and trace.sh share: a generated docroot,
# starting and stopping the servers (ours, nginx, lighttpd) by PID, wrk runs
# and their parsing, sampling a server's memory, and the report.
# shellcheck shell=bash disable=SC2034  # sets variables its callers read

need() {
	command -v "$1" >/dev/null && return 0
	echo "bench: $1 is not installed (Debian: apt-get install -y ${2:-$1})" >&2
	exit 2
}

# A work directory, a docroot with 1 KiB, 100 KiB and 10 MiB files, and a
# trap that stops whatever is still running when the script ends.
bench_init() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/netlab-bench.XXXXXX")
	chmod 755 "$WORK"   # nginx's worker may run as nobody
	DOCROOT=$WORK/www
	mkdir -p "$DOCROOT"
	head -c 1024 /dev/urandom >"$DOCROOT/1k.bin"
	head -c 102400 /dev/urandom >"$DOCROOT/100k.bin"
	head -c 10485760 /dev/urandom >"$DOCROOT/10m.bin"
	chmod -R a+rX "$DOCROOT"
	SPID='' SAMPLER='' STARTED=''
	LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	# wrk needs a descriptor per connection.
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
}

bench_cleanup() {
	local pid
	sample_stop 2>/dev/null || true
	for pid in $STARTED; do
		server_stop "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}

# A port nothing listens on.
free_port() {
	local p
	for p in $(seq 18080 18180); do
		(exec 9<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	return 1
}

wait_port() {
	local i
	for i in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$1/1k.bin" && return 0
		kill -0 "$SPID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

nginx_conf() {
	mkdir -p "$WORK/nginx"
	cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 20000; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 1000000;
	keepalive_timeout 60;
	default_type application/octet-stream;
	client_body_temp_path $WORK/nginx/body;
	proxy_temp_path $WORK/nginx/proxy;
	fastcgi_temp_path $WORK/nginx/fastcgi;
	uwsgi_temp_path $WORK/nginx/uwsgi;
	scgi_temp_path $WORK/nginx/scgi;
	server { listen 127.0.0.1:$1; root $DOCROOT; }
}
CONF
}

lighttpd_conf() {
	cat >"$WORK/lighttpd.conf" <<CONF
server.document-root = "$DOCROOT"
server.bind = "127.0.0.1"
server.port = $1
server.errorlog = "$WORK/lighttpd-error.log"
server.max-fds = 20000
server.max-connections = 10000
server.max-keep-alive-requests = 1000000
server.max-keep-alive-idle = 60
mimetype.assign = ( ".bin" => "application/octet-stream" )
CONF
}

# server_cmd NAME PORT: the command line that runs NAME in the foreground
# on PORT, in the array CMD. NGINX_SINGLE=1 runs nginx without its master
# process (one process to attach valgrind to). BIN=dir runs the stages
# built there (make O=dir) instead of the ones beside their sources.
server_cmd() {
	case $1 in
	nginx)
		need nginx nginx-light
		nginx_conf "$2"
		CMD=(nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log")
		[ -z "${NGINX_SINGLE:-}" ] || CMD+=(-g "master_process off;")
		;;
	lighttpd)
		need lighttpd
		lighttpd_conf "$2"
		CMD=(lighttpd -D -f "$WORK/lighttpd.conf")
		;;
	*)
		CMD=("${BIN:-$ROOT}/$1/server" -p "$2" -q -t 60 -d "$DOCROOT")
		;;
	esac
}

# The core servers run on, and the one load generators run on: apart, so
# that neither steals the other's CPU and a run measures the server alone.
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-$(( $(nproc) > 1 ? 1 : 0 ))}

# server_start NAME [WRAPPER...]: start NAME pinned to SERVER_CPU (under
# WRAPPER, e.g. strace or valgrind, when given). Sets SPID, PORT.
server_start() {
	local name=$1
	shift
	PORT=$(free_port)
	server_cmd "$name" "$PORT"
	taskset -c "$SERVER_CPU" "$@" "${CMD[@]}" >"$WORK/$name.log" 2>&1 &
	SPID=$!
	STARTED="$STARTED $SPID"
	wait_port "$PORT"
}

# worker PID NAME: the process that serves requests: nginx's worker, or
# the server itself (02-fork's children come and go; tracers follow them).
worker() {
	local child
	child=$(pgrep -P "$1" | head -n 1)
	if [ "$2" = nginx ] && [ -n "$child" ]; then echo "$child"; else echo "$1"; fi
}

# server_stop [PID]: stop PID (default SPID) and wait for it to exit.
server_stop() {
	local pid=${1:-$SPID}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	STARTED=$(tr ' ' '\n' <<<"$STARTED" | grep -vx "$pid" | tr '\n' ' ')
	[ "$pid" != "$SPID" ] || SPID=
}

# CPU ticks used so far by PID, its live children (nginx's worker) and its
# reaped ones (02-fork's). Children can exit while we read: cat skips them.
tree_cpu() {
	# A child gone between pgrep and cat makes cat fail; under pipefail that
	# would fail the caller's assignment and stop the run.
	# shellcheck disable=SC2046
	{ cat "/proc/$1/stat" $(pgrep -P "$1" | sed 's|.*|/proc/&/stat|') 2>/dev/null || true; } |
		sed 's/.*) //' | awk 'NR == 1 { t += $14 + $15 } { t += $12 + $13 } END { print t + 0 }'
}

# Sample the RSS and task count of PID and its children every 0.2 s; the
# peaks land in S_PEAK_KB and S_TASKS at sample_stop.
sample_start() {
	local pid=$1
	: >"$WORK/sample"
	(
		peak=0 tasks=0
		trap 'echo "$peak $tasks" >"$WORK/sample"; exit 0' TERM
		while :; do
			# shellcheck disable=SC2046
			read -r r t < <(cat "/proc/$pid/status" \
				$(pgrep -P "$pid" | sed 's|.*|/proc/&/status|') 2>/dev/null |
				awk '/^VmRSS:/ { r += $2 } /^Threads:/ { t += $2 } END { print r + 0, t + 0 }')
			[ "${r:-0}" -gt "$peak" ] && peak=$r
			[ "${t:-0}" -gt "$tasks" ] && tasks=$t
			sleep 0.2
		done
	) &
	SAMPLER=$!
}

sample_stop() {
	[ -n "$SAMPLER" ] || return 0
	kill -TERM "$SAMPLER" 2>/dev/null || true
	wait "$SAMPLER" 2>/dev/null || true
	SAMPLER=
	read -r S_PEAK_KB S_TASKS <"$WORK/sample" || { S_PEAK_KB=0 S_TASKS=0; }
}

# wrk's "1.23ms", "456.00us", "2.01s" in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000
		printf "%.2f", n
	}'
}

# children_ticks: CPU clock ticks used by this shell's finished children
# (cutime + cstime in /proc/PID/stat), read without starting a process.
children_ticks() {
	local st
	read -r -a st <"/proc/$$/stat"
	CHILD_TICKS=$((st[15] + st[16]))
}

# wrk_run PATH CONNS HEADER SECONDS: sets W_RPS W_P50 W_P99 W_ERRORS W_TIMEOUTS,
# W_REQS and W_SECS (requests made, and in how many seconds), and W_TICKS, the CPU wrk itself used (clock ticks): near DURATION's worth,
# the load generator, not the server, set the pace.
# WRK_SCRIPT, if set, is a Lua script for wrk (a POST, say).
wrk_run() {
	local out ticks0
	children_ticks
	ticks0=$CHILD_TICKS
	# One wrk thread, alone on LOAD_CPU: a second would share that core.
	out=$(taskset -c "$LOAD_CPU" wrk -t 1 -c "$2" -d "${4}s" --timeout 5s --latency \
		${3:+-H "$3"} ${WRK_SCRIPT:+-s "$WRK_SCRIPT"} "http://127.0.0.1:$PORT$1" 2>&1) || true
	children_ticks
	W_TICKS=$((CHILD_TICKS - ticks0))
	W_RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
	# "226918 requests in 3.00s, ...": the count and the run's real length.
	read -r W_REQS W_SECS < <(awk '/ requests in / { sub(/s,$/, "", $4); print $1, $4 }' <<<"$out")
	W_P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
	W_P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
	W_ERRORS=$(awk '/Socket errors/ { gsub(/,/, ""); e = $4 + $6 + $8 }
		/Non-2xx/ { e += $5 } END { print e + 0 }' <<<"$out")
	W_TIMEOUTS=$(awk '/Socket errors/ { gsub(/,/, ""); print $10 + 0; exit } END { }' <<<"$out")
	W_RPS=${W_RPS:-0} W_TIMEOUTS=${W_TIMEOUTS:-0}
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
min() { printf '%s\n' "$@" | sort -n | head -n 1; }
max() { printf '%s\n' "$@" | sort -n | tail -n 1; }

# When and on what a report was made; every report opens with these.
host() {
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r)"
}

# Other work on the machine shows here: above the number of cores, the
# servers and wrk shared their cores with it, and every number is noisier.
# LOAD_START is read when a run begins.
load() {
	echo "- load average (1, 5, 15 min): $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
}

machine() {
	host
	echo "- load generator: $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2), on the same machine"
	load
	command -v nginx >/dev/null && echo "- $(nginx -v 2>&1), one worker, access_log off, sendfile on"
	command -v lighttpd >/dev/null && echo "- $(lighttpd -v 2>&1 | head -n 1), single process"
}

# report RAW OUT: the markdown table (stdout and OUT/bench-*.md) and a chart.
report() {
	local raw=$1 out=$2 stamp md
	mkdir -p "$out"
	stamp=$(date -u +%Y%m%d-%H%M)
	md=$out/bench-$stamp.md
	{
		echo "# netlab benchmark $stamp"
		echo
		machine
		echo "- servers pinned to CPU $SERVER_CPU, wrk (one thread) to CPU $LOAD_CPU; all servers of a workload run at once and take turns"
		echo "- duration ${DURATION}s x $REPEAT rounds per cell; req/s is the median (min-max); vs nginx / vs lighttpd: median of the per-round ratios"
		[ -z "${REPORT_NOTES:-}" ] || echo "$REPORT_NOTES"
		echo
		echo "| workload | server | req/s | min-max | p50 ms | p99 ms | errors | timeouts | CPU s | wrk CPU s | peak RSS MiB | tasks | vs nginx | vs lighttpd |"
		echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
		awk -F'\t' '
			$3 == "did not start" { printf "| %s | %s | did not start |\n", $2, $1; next }
			{
				split($11, m, " ")
				printf "| %s | %s | %d | %d-%d | %s | %s | %d | %d | %s | %s | %.1f | %d | %s | %s |\n",
					$2, $1, $3, $4, $5, $6, $7, $8, $9, $10, $14, m[1] / 1024, m[2], $12, $13
			}' "$raw"
	} | tee "$md"
	chart "$raw" "$out/bench-$stamp.png" && echo && echo "![requests per second]($(basename "$out/bench-$stamp.png"))" >>"$md"
	echo "written: $md" >&2
}

# chart RAW PNG: requests/s per server, one cluster per workload (log scale).
chart() {
	command -v gnuplot >/dev/null || return 1
	local dat=$WORK/chart.dat servers workloads
	servers=$(cut -f1 "$1" | awk '!seen[$0]++' | tr '\n' ' ')
	workloads=$(cut -f2 "$1" | awk '!seen[$0]++' | tr '\n' ' ')
	{
		echo "workload $servers"
		for w in $workloads; do
			printf '%s' "$w"
			for s in $servers; do
				printf ' %s' "$(awk -F'\t' -v s="$s" -v w="$w" '$1 == s && $2 == w { print ($3 + 0 > 0 ? $3 : 1) }' "$1")"
			done
			echo
		done
	} >"$dat"
	gnuplot <<PLOT
set terminal pngcairo size 1100,520 font ",10"
set output "$2"
set title "requests/s per server and workload (higher is better, log scale)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [1:*]
set key outside right
set xtics rotate by -20
plot for [i=2:$(($(wc -w <<<"$servers") + 1))] "$dat" using i:xtic(1) title columnheader(i)
PLOT
}
