#!/usr/bin/env bats
# editions.bats: README and NOTES come in English and in Chinese, and the
# two editions of each must not drift apart. They cannot be compared word
# for word, so what is compared is what a reader follows and a test runs:
#
#   the headings: the same number, in the same order, at the same level,
#     each naming the same stages (01-static), sections (2.1.) and code;
#   every fenced block, byte for byte, with the runnable marker before it
#     (tests/docs.bats runs the English ones, so the Chinese ones run too);
#   the exercises, their numbered items, the <details> answers, the rows
#     of every table.
#
# And a commit that changes one edition changes the other.

load helpers

# shape FILE: one line for each thing both editions must share.
shape() {
	awk '
		function tokens(s,   out) {
			out = ""
			while (match(s, /[0-9][0-9]-[a-z]+|[0-9]+\.[0-9]+\.?|`[^`]*`|一、|二、|三、|四、/)) {
				out = out " " substr(s, RSTART, RLENGTH)
				s = substr(s, RSTART + RLENGTH)
			}
			return out
		}
		fence {
			print "code    " $0
			if ($0 ~ /^[ \t]*```+[ \t]*$/) fence = 0
			next
		}
		/^[ \t]*```/ { fence = 1; print "code    " $0; next }
		/^#+ / { level = $0; sub(/ .*/, "", level); print "heading " level tokens($0); next }
		/^<!-- runnable:/ { print "marker  " $0; next }
		/<details>/ { print "answer" }
		/^\*\*(Exercises|练习)/ { print "exercises" }
		/^[0-9]+\. / { print "item" }
		/^\|/ { n = gsub(/\|/, "|"); print "row     " n }
	' "$ROOT/$1"
}

# same_shape EN ZH: the two editions share their shape; otherwise show the
# first places where they part.
same_shape() {
	shape "$1" >"$BATS_TEST_TMPDIR/en"
	shape "$2" >"$BATS_TEST_TMPDIR/zh"
	[ -s "$BATS_TEST_TMPDIR/en" ] || { echo "$1: nothing to compare" >&2; return 1; }
	diff -u --label "$1" --label "$2" "$BATS_TEST_TMPDIR/en" "$BATS_TEST_TMPDIR/zh" >"$BATS_TEST_TMPDIR/diff" && return 0
	head -n 30 "$BATS_TEST_TMPDIR/diff" >&2
	return 1
}

@test "NOTES.zh.md has NOTES.md's headings, examples, exercises, answers and tables" {
	same_shape NOTES.md NOTES.zh.md
}

@test "README.zh.md has README.md's headings, examples and tables" {
	same_shape README.md README.zh.md
}

@test "the shape compared is one a change to an edition can break" {
	# Drop one numbered item, change one line of an example, make a section
	# a subsection: each must be seen.
	local ROOT_SAVED=$ROOT
	ROOT=$BATS_TEST_TMPDIR
	cp "$ROOT_SAVED/NOTES.md" "$ROOT/NOTES.md"
	awk 'done || !/^[0-9]+\. / { print; next } { done = 1 }' "$ROOT_SAVED/NOTES.zh.md" >"$ROOT/NOTES.zh.md"
	not same_shape NOTES.md NOTES.zh.md 2>/dev/null
	awk '!done && /^```console$/ { print; getline; print $0 " x"; done = 1; next } { print }' \
		"$ROOT_SAVED/NOTES.zh.md" >"$ROOT/NOTES.zh.md"
	not same_shape NOTES.md NOTES.zh.md 2>/dev/null
	sed '0,/^## /s/^## /### /' "$ROOT_SAVED/NOTES.zh.md" >"$ROOT/NOTES.zh.md"
	not same_shape NOTES.md NOTES.zh.md 2>/dev/null
	ROOT=$ROOT_SAVED
}

# changed_together EN ZH: the last commit that changed EN changed ZH too,
# and the working tree does not hold a change to EN without one to ZH.
changed_together() {
	local last files
	last=$(git -C "$ROOT" log -1 --first-parent --format=%H -- "$1")
	[ -n "$last" ] || { echo "no commit changed $1 (a shallow clone?)" >&2; return 1; }
	if git -C "$ROOT" rev-parse -q --verify "$last^1" >/dev/null; then
		files=$(git -C "$ROOT" diff --name-only "$last^1" "$last")
	else
		files=$(git -C "$ROOT" show --name-only --format= "$last")
	fi
	grep -qxF "$2" <<<"$files" || {
		echo "commit $(git -C "$ROOT" log -1 --format='%h %s' "$last" | cut -c1-80) changed $1 but not $2" >&2
		return 1
	}
	if [ -n "$(git -C "$ROOT" status --porcelain -- "$1")" ] &&
	   [ -z "$(git -C "$ROOT" status --porcelain -- "$2")" ]; then
		echo "$1 is changed in the working tree and $2 is not" >&2
		return 1
	fi
}

@test "a change to NOTES.md or README.md changes its Chinese edition in the same commit" {
	git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout"
	changed_together NOTES.md NOTES.zh.md
	changed_together README.md README.zh.md
}

@test "each edition links the other in its first lines" {
	local doc
	for doc in README NOTES; do
		equal "$doc.md's second line" "English | [中文]($doc.zh.md)" "$(sed -n 2p "$ROOT/$doc.md")"
		equal "$doc.zh.md's second line" "[English]($doc.md) | 中文" "$(sed -n 2p "$ROOT/$doc.zh.md")"
	done
}
