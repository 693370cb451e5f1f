#!/usr/bin/env bash
# screenshot.sh: try 10-framework in a real browser, then photograph it.
#
# Starts the favourites server on a free port with an empty store, and has
# headless Chromium use its forms as a person would: add three provinces
# on /show.py, write a remark in Chinese on /collect.py, delete one. The
# pages have no JavaScript; a small driver page from the same server holds
# them in an iframe and only clicks their buttons and types into their
# textarea, so the browser itself encodes and POSTs each form and follows
# each 303. Then the store is checked with curl, and /show.py and
# /collect.py are photographed into build/screenshots/ (git ignores it);
# OUT=10-framework/screenshots replaces the pictures NOTES.md shows.
#
#   apt-get install -y chromium fonts-noto-cjk   (the fonts draw the Chinese)
#   make && 10-framework/screenshot.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-10-framework/server-favourites-file}
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

cp -R www "$tmp/www"
cat >"$tmp/www/driver.html" <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>driver</title></head>
<body><pre id="log"></pre>
<iframe id="f" src="/show.py" width="1000" height="600"></iframe>
<script>
// Each step runs when the iframe has loaded a page, and makes it load the next.
const f = document.getElementById('f');
const log = (s) => { document.getElementById('log').textContent += s + '\n'; };
const press = (d, action) => d.querySelector('form[action="' + action + '"] button').click();
const steps = [
	(d) => press(d, '/show/12.py'),
	(d) => { f.src = '/show.py'; },
	(d) => press(d, '/show/44.py'),
	(d) => { f.src = '/show.py'; },
	(d) => press(d, '/show/65.py'),
	(d) => {
		d.querySelector('form[action="/collect/44/note.py"] textarea').value =
			'广州 <b>早茶</b> & 点心\n第二行';
		press(d, '/collect/44/note.py');
	},
	(d) => press(d, '/collect/12.py'),
];
let i = 0;
f.onload = () => {
	const d = f.contentDocument;
	log('at ' + d.location.pathname + ': ' + d.title);
	if (i < steps.length)
		steps[i++](d);
	else
		log('done');
};
</script></body></html>
EOF

"$BIN" -p 0 -q -d "$tmp/www" -s "$tmp/state" >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q '^listening on ' "$tmp/log" && break; sleep 0.1; done
url=$(sed -n 's/^listening on \([^ ]*\) .*/\1/p' "$tmp/log")
[ -n "$url" ] || { cat "$tmp/log" >&2; exit 1; }

chrome() {
	"$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--lang=zh-CN --virtual-time-budget=15000 "$@" 2>/dev/null
}

echo "== the browser uses the forms"
chrome --dump-dom "${url}driver.html" | sed -n '/<pre id="log">/,/<\/pre>/p' | sed 's/<[^>]*>//g'
page=$(curl -s "${url}collect.py")
ids=$(sed -n 's|.*action="/collect/\([0-9]*\)\.py".*|\1|p' <<<"$page" | tr '\n' ' ')
echo "favourites now: $ids"
[ "$ids" = "44 65 " ] || { echo "expected 44 65: the forms did not work" >&2; exit 1; }
grep -q '<td class="remark">广州 &lt;b&gt;早茶&lt;/b&gt; &amp; 点心' <<<"$page" ||
	{ echo "the remark did not arrive as typed" >&2; exit 1; }

echo "== photographs"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
chrome --window-size=900,1000 --screenshot="$OUT/show.png" "${url}show.py"
chrome --window-size=1100,420 --screenshot="$OUT/collect.png" "${url}collect.py"
ls -l "$OUT"
