#!/usr/bin/env bash
# bench/reading.sh: how many lines a student reads to follow a stage
# completely: its own source files, plus every function of common/ that its
# program can reach.
#
#   bench/reading.sh [STAGE...]     (default: every server stage)
#
# "Can reach" is decided by the linker, not by reading: the stage is built
# at -O0 with each function in a section of its own and linked with
# --gc-sections, which keeps exactly the functions reachable from main,
# calls through pointers included (a function whose address is stored is
# kept). What nm then lists of ours is what a reader may have to open. A
# function is counted from its return type's line to its closing brace.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-build/reading}
CC=${CC:-cc}
CPPFLAGS="-D_POSIX_C_SOURCE=200809L -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE -Icommon"

# functions FILE: "name lines" for each definition (return type on the line
# above the name, closing brace at column 0: the house style).
functions() {
	awk '/^[a-z_][a-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name); start = NR - 1 }
	     name != "" && /^}/ { print name, NR - start + 1; name = "" }' "$1"
}

count() {
	local stage=$1 bin srcs own=0 lib=0 n f name lines
	bin=$OUT/$stage/server
	mkdir -p "$OUT/$stage"
	# 10-framework links one application and one store: the default ones.
	srcs=$(for f in "$stage"/*.c; do case $f in */hello.c | */store_sqlite.c) ;; *) echo "$f" ;; esac; done)
	# shellcheck disable=SC2086
	$CC $CPPFLAGS -I"$stage" -DSTAGE_DIR='"x"' -O0 -ffunction-sections -Wl,--gc-sections \
		-o "$bin" $srcs common/*.c -pthread
	nm --defined-only "$bin" | awk '$2 ~ /^[tT]$/ { print $3 }' | sort -u >"$OUT/$stage/linked"
	for f in $srcs; do
		own=$((own + $(wc -l <"$f")))
	done
	for f in common/*.c; do
		while read -r name lines; do
			grep -qxF "$name" "$OUT/$stage/linked" && lib=$((lib + lines))
		done < <(functions "$f")
	done
	n=$(for f in common/*.c; do functions "$f" | cut -d' ' -f1; done | grep -cxF -f "$OUT/$stage/linked" || true)
	printf '| %s | %d | %d functions, %d lines | %d |\n' "$stage" "$own" "$n" "$lib" "$((own + lib))"
}

echo "| stage | its own files | common/ it reaches | lines to read |"
echo "|---|---|---|---|"
[ $# -gt 0 ] || set -- [0-9][0-9]-*/server.c && set -- "${@%/server.c}"
for s in "$@"; do
	count "$s"
done
