#!/usr/bin/env bash
# charset-screenshot.sh: what a browser shows of www/中国.html when the
# Content-Type names no charset (notes 2.1 (2): without charset=utf-8 the
# browser decodes with GBK, and the Chinese is garbled: 乱码).
#
# Builds the pitfall switch (make lab BUG=no-charset: "text/html" alone),
# then photographs the page from it and from 01-static as it is, with
# headless Chromium whose default encoding is GBK, as a browser set up for
# Chinese has it. The page names no encoding itself (no <meta charset>),
# so the header is all the browser has to go on.
#
#   apt-get install -y chromium fonts-noto-cjk   (the fonts draw the Chinese)
#   make && docs/charset-screenshot.sh
#
# The pictures go to build/screenshots/ (git ignores it); OUT=docs/screenshots
# replaces the ones NOTES.md shows.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-build/screenshots}
CHROMIUM=${CHROMIUM:-chromium}
command -v "$CHROMIUM" >/dev/null || { echo "needs $CHROMIUM (apt-get install -y chromium fonts-noto-cjk)" >&2; exit 1; }

tmp=$(mktemp -d)
pid=
cleanup() {
	[ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
	rm -rf "$tmp"
}
trap cleanup EXIT

make -s lab BUG=no-charset >/dev/null
# A profile of its own: the browser's fallback encoding is GBK.
mkdir -p "$tmp/profile/Default" "$OUT"
echo '{"intl":{"charset_default":"GBK"}}' >"$tmp/profile/Default/Preferences"

# shoot SERVER PNG: start SERVER, photograph /中国.html, stop it.
shoot() {
	local url
	"$1" -p 0 -q -d www >"$tmp/log" 2>&1 &
	pid=$!
	for _ in $(seq 50); do grep -q '^listening on ' "$tmp/log" && break; sleep 0.1; done
	url=$(sed -n 's/^listening on \([^ ]*\) .*/\1/p' "$tmp/log")
	[ -n "$url" ] || { cat "$tmp/log" >&2; exit 1; }
	echo "$1: Content-Type: $(curl -sI "${url}%E4%B8%AD%E5%9B%BD.html" | sed -n 's/^Content-Type: //p' | tr -d '\r')"
	"$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$tmp/profile" --window-size=640,260 \
		--screenshot="$2" "${url}%E4%B8%AD%E5%9B%BD.html" >/dev/null 2>&1
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	echo "  -> $2"
}

shoot build/lab/no-charset/01-static/server "$OUT/charset-missing.png"
shoot 01-static/server "$OUT/charset-utf8.png"
