# start.bash: make start STAGE=...: a program to begin a stage from, in
# mine/STAGE/server.c (git ignores mine/). It is made from the stages' own
# sources each time, never kept as a copy that could drift from them: the
# stage before (the one make diffs compares with), which already climbs
# that stage's ladder, under a header that lists the rungs this stage adds.
# For 01-static, 01's own program with the part that serves a client taken
# out: it only listens. For 10-framework, whose lesson is the application,
# our server and framework with the hello application in favourites.c, to
# grow into the favourites. Sourced by grade.sh, whose ladder functions it
# uses.

# base_of STAGE: the stage a student begins STAGE from.
base_of() {
	case $1 in
	01-static) ;;
	02-fork) echo 01-static ;;
	03-threads) echo 02-fork ;;
	04-nonblock) echo 03-threads ;;
	05-keepalive) echo 04-nonblock ;;
	06-epoll) echo 05-keepalive ;;
	08-coroutines) echo 03-threads ;;   # 03's handler on a new engine
	*) echo 03-threads ;;
	esac
}

# new_rungs STAGE BASE: STAGE's rungs that BASE's ladder does not have.
new_rungs() {
	if [ -z "$2" ]; then
		ladder "$1"
	else
		ladder "$1" | grep -vxF -f <(ladder "$2")
	fi
}

# header STAGE BASE [FILE]: the comment that opens the starting point FILE
# (server.c).
header() {
	local r file=${3:-server.c}
	echo "/*"
	echo " * mine/$1/$file: your $1, to write yourself."
	echo " *"
	if [ "$1" = 10-framework ]; then
		printf '%s\n' " * It begins as 10-framework/hello.c, the hello application, beside our" \
			" * server and framework (the other files here, copied from 10-framework/)," \
			" * which climb every rung a server must. Grow it into the favourites" \
			" * application: its routes (ROUTE and ROUTE_RE in framework.h), its pages," \
			" * and a store that keeps the favourites in the -s directory across a" \
			" * kill -9 (the provinces are in 10-framework/provinces.txt). The rungs:"
	elif [ -z "$2" ]; then
		printf '%s\n' " * It begins as 01-static/server.c with the part that serves a client" \
			" * taken out: it listens, accepts and closes, and that is all. Write" \
			" * handle_client: read the request until its empty line, answer it, close." \
			" * common/ has what the stages share (http.h parses a head, docroot.h" \
			" * opens a file beneath the docroot); use it, or write your own first."
	else
		echo "It begins as $2/server.c, which already climbs every rung of $2's ladder. $1 asks for these as well:" |
			fold -s -w 72 | sed 's/^/ * /; s/ *$//'
	fi
	echo " *"
	for r in $(if [ "$1" = 10-framework ]; then ladder "$1" | grep '^fav-'; else new_rungs "$1" "$2"; fi); do
		rung "$r"
		printf '%s\n' "$TITLE (NOTES.md, ${READ%[.、]})" | fold -s -w 52 |
			awk -v r="$r" '{ printf " *   %-22s %s\n", (NR == 1 ? r : ""), $0 }' | sed 's/ *$//'
	done
	printf '%s\n' " *" \
		" * Change the program until make grade says they all pass:" \
		" *" \
		" *	make grade STAGE=$1" \
		" *" \
		" * builds mine/$1/server (with common/, and any other .c file you put" \
		" * here) and climbs the whole ladder; the first rung that fails is shown" \
		" * in full: what was sent, what came back, what was expected and why." \
		" * Then compare with ours: diff -u mine/$1/$file $1/$file" \
		" */"
}

# body STAGE BASE: the program after the header.
body() {
	local src=$ROOT/${2:-01-static}/server.c
	# The stage's own opening comment describes that stage: the header replaces it.
	awk 'started { print; next } /^ \*\/$/ { started = 1 }' "$src" |
		sed "s/\"${2:-01-static}: /\"$1 (yours): /" |
		if [ -n "$2" ]; then cat; else only_listens; fi
}

# only_listens: 01's program with handle_client's body taken out.
only_listens() {
	awk '
		/^handle_client\(/ { print; inside = 1; next }
		inside && /^{$/ {
			print
			print "\t/* Yours: read the request until its empty line, answer it. */"
			print "\t(void)ss;"
			print "\t(void)s;"
			print "\tclose(fd);"
			next
		}
		inside && /^}$/ { inside = 0 }
		inside { next }
		{ print }
	'
}

# start_application DIR: 10-framework's server and framework, and the hello
# application as DIR/favourites.c to grow into the favourites.
start_application() {
	local f r
	for f in "$ROOT"/10-framework/*.[ch]; do
		case ${f##*/} in
		favourites.c | hello.c | store.h | store_*.c) ;;
		*) cp "$f" "$1/" ;;
		esac
	done
	{
		header 10-framework 03-threads favourites.c
		awk 'started { print; next } /^ \*\/$/ { started = 1 }' "$ROOT/10-framework/hello.c"
	} >"$1/favourites.c"
	echo "wrote $MINE/10-framework/: our server and framework, and in favourites.c the hello application to grow into the favourites:"
	for r in $(ladder 10-framework | grep '^fav-'); do
		rung "$r"
		printf '  %-22s %s\n' "$r" "$TITLE"
	done
	echo "next: edit favourites.c, then make grade STAGE=10-framework"
}

# start_point STAGE: write $MINE/STAGE/server.c, unless it is there already.
start_point() {
	local stage=$1 base dir out
	check_stage "$stage"
	base=$(base_of "$stage")
	dir=$(mine_dir)/$stage
	out=$dir/server.c
	[ "$stage" != 10-framework ] || out=$dir/favourites.c
	if [ -e "$out" ]; then
		echo "$MINE/$stage/${out##*/} is there already: it is yours, and is never overwritten." >&2
		echo "(to begin again: mv $MINE/$stage $MINE/$stage.old; make start STAGE=$stage)" >&2
		exit 1
	fi
	mkdir -p "$dir"
	if [ "$stage" = 10-framework ]; then
		start_application "$dir"
		return
	fi
	{ header "$stage" "$base"; body "$stage" "$base"; } >"$out"
	echo "wrote $MINE/$stage/server.c: ${base:-01-static}'s program$([ -n "$base" ] || echo ", only listening"), and what $stage adds to it:"
	for r in $(new_rungs "$stage" "$base"); do
		rung "$r"
		printf '  %-22s %s\n' "$r" "$TITLE"
	done
	echo "next: edit it, then make grade STAGE=$stage"
}
