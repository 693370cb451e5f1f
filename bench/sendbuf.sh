#!/usr/bin/env bash
# sendbuf.sh: how much of a 10 MiB response one non-blocking send takes when
# the client is not reading, the loss in the notes' 2.4 loop, which sends
# once and never looks at the count (bench/sendbuf). SIZES=... (bytes,
# default 10 MiB and 100 KiB, two of bench.sh's files). The table goes to
# stdout and to build/bench/sendbuf-*.md (OUT=bench/results to keep it with
# the committed runs; OUT=dir to change).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"

SIZES=${SIZES:-"10485760 102400"}
OUT=${OUT:-$ROOT/build/bench}
[ -x "$ROOT/bench/sendbuf" ] || { echo "sendbuf: build bench/sendbuf first (make bench/sendbuf)" >&2; exit 2; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
raw=$(for size in $SIZES; do "$ROOT/bench/sendbuf" "$size"; done)
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M)
{
	echo "# netlab sendbuf $stamp: what one non-blocking send takes"
	echo
	host
	load
	echo "- tcp_wmem (min, default, max bytes): $(tr "\t" " " </proc/sys/net/ipv4/tcp_wmem); tcp_rmem: $(tr "\t" " " </proc/sys/net/ipv4/tcp_rmem)"
	echo "- command: bench/sendbuf SIZE for SIZE in $SIZES: a loopback connection whose client never reads; the server's non-blocking socket sends SIZE bytes once, then until EAGAIN"
	echo
	echo "| bytes to send | first send took | taken before EAGAIN | lost by a program that sends once | SO_SNDBUF after |"
	echo "|---:|---:|---:|---:|---:|"
	awk -F'\t' '
		$1 == "size" { size = $2 }
		$1 == "first send" { first = $2 }
		$1 == "until EAGAIN" { total = $2 }
		$1 == "SO_SNDBUF" { printf "| %d | %d | %d | %d | %d |\n", size, first, total, size - first, $2 }
	' <<<"$raw"
	echo
	echo '```'
	echo "$raw"
	echo '```'
} | tee "$OUT/sendbuf-$stamp.md"
