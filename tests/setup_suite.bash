# setup_suite.bash: run once before any test file (bats-core 1.7 or later),
# whether the whole suite runs or one file: the servers under test must be
# built, and built from the sources as they are now. Otherwise every test
# would fail (or, worse, pass) against a missing or stale binary.

setup_suite() {
	local root bin stage prog src stale=
	# bats 1.8's --filter-tags leaves IFS set to a comma here.
	local IFS=$' \t\n'
	root=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	bin=${NETLAB_BIN:-$root}
	case $bin in /*) ;; *) bin=$root/$bin ;; esac
	for stage in ${STAGES:-$(cd "$root" && ls -d [0-9][0-9]-*/server.c 07-client/client.c | cut -d/ -f1)}; do
		prog=server
		[ "$stage" != 07-client ] || prog=client
		if [ ! -x "$bin/$stage/$prog" ]; then
			stale="$stale  $bin/$stage/$prog is missing\n"
			continue
		fi
		for src in "$root/$stage"/*.[ch] "$root"/common/*.[ch]; do
			if [ "$src" -nt "$bin/$stage/$prog" ]; then
				stale="$stale  $bin/$stage/$prog is older than ${src#"$root"/}\n"
				break
			fi
		done
	done
	if [ -n "$stale" ]; then
		printf '%brun make first: the tests run the programs built from the sources as they are now\n' "$stale" >&2
		printf '(make test builds, then runs every test; make test STAGE=01-static, one stage)\n' >&2
		return 1
	fi
}
