# Makefile: build every stage, run the tests, run them again under sanitizers.
#
#   make              build NN-name/server for every stage, 07-client/client and 09-capture/sniff
#   make help         this list
#   make test         build, then run the bats suite (tests/*.bats), three files at a
#                     time when GNU parallel is installed (JOBS=1: one); with STAGE=01-static
#                     only tests/01-static.bats, then http.bats, hostile.bats and
#                     timeouts.bats against 01-static alone (07-client, 09-capture: their file)
#   make check        the same suite on AddressSanitizer + UBSan builds
#   make analyze      gcc's static analyzer (-fanalyzer) over every program and common/
#   make run          start the most advanced stage on port 8080 (STAGE=01-static picks
#                     one; ARGS="-p 8081 -t 30" passes options to it)
#   make APP=hello    10-framework/server runs the hello application instead
#   make STORE=sqlite 10-framework/server keeps favourites in SQLite (libsqlite3-dev)
#   make fuzz         fuzz the parser, the docroot, request bodies, form fields and the frame decoder (clang, libFuzzer); FUZZ_TIME=600 for longer
#   make capture      09-capture's lab: a request across namespaces, sniffed and annotated (root)
#   make bench        every stage beside nginx and lighttpd under wrk (QUICK=1: a smoke run)
#   make bench-c10k   10,000 keep-alive connections against 06-epoll and nginx
#   make bench-python 10-framework beside the same favourites in Flask (gunicorn, wsgiref)
#   make bench-coro   a coroutine's switch and memory, beside a thread and 06's struct
#   make bench-spawn  what a fork, a thread and a coroutine cost to start and end
#   make bench-idle   CPU used by 04, 06 and 08 (and the busy loop, if built) while idle
#   make bench-sendbuf how much of a 10 MiB response one non-blocking send takes
#   make trace        system calls and instructions per request, 06 beside
#                     nginx and lighttpd (TRACE="01-static 06-epoll" picks)
#   make cost         user-space instructions per request of 06, 08 and 10 (callgrind)
#   make cost-check   the same, against bench/budget.txt: fails when one is 5% over
#   make diffs        each stage's server.c as a diff against the stage before it
#   make lab          list the pitfall switches (common/lab.h): each undoes one fix, to
#                     show the lecture notes' bug; BUG=no-reap builds that stage with
#                     the fix undone into build/lab/no-reap/ and says how to see the bug
#   make bugs         build every switch in turn and check that its test catches it
#                     while the rest of that test file passes (tests/bugs.txt)
#   make start        STAGE=05-keepalive writes mine/05-keepalive/server.c to begin
#                     that stage from: the stage before, and what this one adds
#   make grade        STAGE=05-keepalive SERVER='python3 my_server.py' climbs that
#                     stage's ladder (tests/ladder.txt) with your server, in any
#                     language (without SERVER: mine/STAGE); RUNG="a b" climbs only
#                     those rungs (RUNG=gzip: the exercises' extensions have rungs
#                     of their own); without STAGE, every ladder and how far mine/ has come
#   make grade-check  the grader graded: our stages pass their ladders, the pitfall
#                     builds, the starting points and a Python server fail where they should
#   make clean
#
# Standard variables are respected: make CC=clang CFLAGS=-O0 LDFLAGS=...

CC       ?= cc
CFLAGS   ?= -O2 -g
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE -Icommon $(LAB_FLAGS)
WARN      = -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wvla
LDLIBS   += -pthread

# O is where binaries go: "." for the normal build, build/san for make check.
O        ?= .
STAGES   := $(patsubst %/server.c,%,$(sort $(wildcard [0-9][0-9]-*/server.c)))
SERVERS  := $(STAGES:%=$(O)/%/server)
CLIENT   := $(if $(wildcard 07-client/client.c),$(O)/07-client/client)
SNIFF    := $(if $(wildcard 09-capture/sniff.c),$(O)/09-capture/sniff)
SNIFF_SRC = 09-capture/sniff.c 09-capture/decode.c 09-capture/pcap.c
SNIFF_HDR = 09-capture/decode.h 09-capture/pcap.h
COMMON   := $(wildcard common/*.c)
HEADERS  := $(wildcard common/*.h)
# common/ is linked as an archive: a program gets only the files of it that
# it calls into (01-static has no file cache, no pool, no body reader).
OBJ      := $(if $(filter .,$(O)),build/obj,$(O)/obj)
LIB      := $(OBJ)/libnetlab.a
STAGE    ?= $(lastword $(STAGES))
BATS     ?= bats

SAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
            -fno-sanitize-recover=all -Werror
TSAN_FLAGS = -O1 -g -fsanitize=thread -Werror

# 10-framework links a server, a framework and an application together.
# APP picks the application (favourites or hello), STORE the favourites'
# store (file or sqlite); 10-framework/server is the one chosen, and the
# tests run every variant by its own name.
APP      ?= favourites
STORE    ?= file
FW       := 10-framework
FW_CORE  := $(FW)/server.c $(FW)/framework.c $(FW)/form.c $(FW)/html.c
FW_HDRS  := $(wildcard $(FW)/*.h)
FW_FLAGS  = -DSTAGE_DIR='"$(CURDIR)/$(FW)"' -I$(FW)
FW_PICK   = $(if $(filter hello,$(APP)),hello,$(APP)-$(STORE))
FW_BINS  := $(O)/$(FW)/server $(O)/$(FW)/server-favourites-file $(O)/$(FW)/server-hello
FW_SQLITE := $(O)/$(FW)/server-favourites-sqlite

all: $(SERVERS) $(CLIENT) $(SNIFF) $(FW_BINS)

$(OBJ)/%.o: common/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

$(LIB): $(COMMON:common/%.c=$(OBJ)/%.o)
	@rm -f $@
	$(AR) rcs $@ $^

# A stage's program is every .c file in its directory (08 has two), linked
# with what it needs of common/.
.SECONDEXPANSION:
$(O)/%/server: $$(wildcard $$*/*.c $$*/*.h) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) $(LIB) $(LDLIBS)

$(O)/07-client/client: 07-client/client.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# The sniffer is libc only and shares nothing with the servers.
$(O)/09-capture/sniff: $(SNIFF_SRC) $(SNIFF_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $(SNIFF_SRC)

$(O)/$(FW)/server-favourites-%: $(FW_CORE) $(FW)/favourites.c $(FW)/store_%.c \
                                 $(FW_HDRS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(FW_FLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ \
		$(filter %.c,$^) $(LIB) $(LDLIBS) $(if $(findstring sqlite,$*),-lsqlite3)

$(O)/$(FW)/server-hello: $(FW_CORE) $(FW)/hello.c $(FW_HDRS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(FW_FLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) $(LIB) $(LDLIBS)

# Copied only when the choice changed, so make APP=hello takes effect at once;
# touched, so it is never older than its sources (tests/setup_suite.bash).
$(O)/$(FW)/server: $(O)/$(FW)/server-$(FW_PICK) fw-pick
	@cmp -s $< $@ || cp $< $@; touch $@

# no_stage,GOAL,LIST: say that STAGE names no stage, and which do (LIST):
# better than bats's or make's complaint about a file that is not there.
no_stage = echo "make $(1): there is no stage $(STAGE); STAGE= takes one of:" >&2; \
	printf '  %s\n' $(2) >&2; exit 2

# STAGE on the command line narrows make test to one stage: its own file,
# and the files every server stage shares, run against it alone.
SHARED_TESTS := tests/http.bats tests/hostile.bats tests/timeouts.bats
TEST_STAGES  := $(patsubst tests/%.bats,%,$(wildcard tests/[0-9][0-9]-*.bats))
ifneq ($(filter command line,$(origin STAGE)),)
TESTS    := tests/$(STAGE).bats $(if $(filter $(STAGE),$(STAGES)),$(SHARED_TESTS))
TEST_ENV := $(if $(filter $(STAGE),$(STAGES)),STAGES=$(STAGE))
TEST_KNOWN := $(filter $(STAGE),$(TEST_STAGES))
else
TESTS    := tests
TEST_ENV :=
TEST_KNOWN := all
endif

# tests/run.sh runs JOBS files at once (with GNU parallel installed), and
# 10-framework's file a second time with the SQLite store beside them.
# With STAGE, the four files all start at once, and the stage's own file
# runs JOBS of its tests at a time (each starts a server of its own).
ifneq ($(filter command line,$(origin STAGE)),)
JOBS ?= 4
else
JOBS ?= 3
endif

# bench/hold holds many keep-alive connections at once for 08's tests too.
# 10-framework's file runs twice: both stores pass the same tests, and
# NETLAB_STORE says which one runs.
ifneq ($(TEST_KNOWN),)
test: all bench/hold $(FW_SQLITE)
	BATS="$(BATS)" JOBS=$(JOBS) $(TEST_ENV) tests/run.sh $(TESTS)
else
test:
	@$(call no_stage,test,$(TEST_STAGES))
endif

# Sanitizer reports make the server exit non-zero; the tests' teardown checks
# that. 10-framework runs with both stores. Then 03-threads and 10-framework's
# concurrent tests again under ThreadSanitizer, and one valgrind run.
check: bench/hold
	$(MAKE) O=build/san CFLAGS="$(SAN_FLAGS)" all build/san/$(FW)/server-favourites-sqlite
	NETLAB_BIN=build/san \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86 \
	BATS="$(BATS)" JOBS=$(JOBS) tests/run.sh tests
	$(MAKE) O=build/tsan CFLAGS="$(TSAN_FLAGS)" build/tsan/03-threads/server \
		build/tsan/$(FW)/server build/tsan/$(FW)/server-favourites-file \
		build/tsan/$(FW)/server-favourites-sqlite
	NETLAB_BIN=build/tsan STAGES=03-threads TSAN_OPTIONS=exitcode=86 \
	$(BATS) tests/03-threads.bats tests/http.bats
	for store in file sqlite; do \
		NETLAB_BIN=build/tsan STAGES=$(FW) NETLAB_STORE=$$store TSAN_OPTIONS=exitcode=86 \
		$(BATS) -f 'concurrent|keep-alive|kill -9' tests/10-framework.bats || exit 1; \
	done
	$(MAKE) all
	NETLAB_VALGRIND=1 $(BATS) tests/valgrind.bats

# gcc -fanalyzer follows paths through each file: use after free, double
# free, leaks of memory and descriptors, NULL dereferences. Any report
# fails (-Werror). It needs gcc, whatever CC is.
ANALYZE_CC  ?= gcc
ANALYZE_SRC := $(sort $(wildcard [0-9][0-9]-*/*.c)) $(COMMON)

analyze:
	@for f in $(ANALYZE_SRC); do \
		echo "analyze $$f"; \
		$(ANALYZE_CC) $(CPPFLAGS) $(FW_FLAGS) $(WARN) -O1 -fanalyzer -Werror -c -o /dev/null $$f || exit 1; \
	done

# libFuzzer needs clang. Each target runs FUZZ_RUNS inputs or FUZZ_TIME
# seconds, whichever comes first; new inputs it finds go to build/fuzz/.
FUZZ_CC   ?= clang
FUZZ_TIME ?= 30
FUZZ_RUNS ?= 300000
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(COMMON) $(HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(WARN) $(FUZZ_FLAGS) -o $@ $< $(COMMON) $(LDLIBS)

build/fuzz/fuzz_decode: tests/fuzz/fuzz_decode.c 09-capture/decode.c 09-capture/decode.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) -I09-capture $(WARN) $(FUZZ_FLAGS) -o $@ $< 09-capture/decode.c

build/fuzz/fuzz_form: tests/fuzz/fuzz_form.c $(FW)/form.c $(FW)/form.h $(FW)/html.c $(FW)/html.h $(HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) -I$(FW) $(WARN) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^)

fuzz: build/fuzz/fuzz_parse build/fuzz/fuzz_path build/fuzz/fuzz_decode build/fuzz/fuzz_body build/fuzz/fuzz_form
	@mkdir -p build/fuzz/parse build/fuzz/path build/fuzz/decode build/fuzz/body build/fuzz/form
	build/fuzz/fuzz_parse -runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_TIME) \
		-max_len=16384 build/fuzz/parse tests/fuzz/corpus/parse
	build/fuzz/fuzz_path -runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_TIME) \
		-max_len=4096 build/fuzz/path tests/fuzz/corpus/path
	build/fuzz/fuzz_decode -runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_TIME) \
		-max_len=2048 build/fuzz/decode tests/fuzz/corpus/decode
	build/fuzz/fuzz_body -runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_TIME) \
		-max_len=16384 build/fuzz/body tests/fuzz/corpus/body
	build/fuzz/fuzz_form -runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_TIME) \
		-max_len=4096 build/fuzz/form tests/fuzz/corpus/form

# Needs root: namespaces and packet sockets. Without it the lab says so and
# exits 77, which is not a failure here.
capture: all
	09-capture/lab.sh || [ $$? -eq 77 ]

# The shell execs the server, so make's child is the server itself: its pid
# (in its first line) is the one ps, top and strace want. Ctrl-C reaches
# make and the server at once; the server lingers a moment on its way out
# (common/setup.c), so that make finds its child still there to reap.
ifneq ($(filter $(STAGE),$(STAGES)),)
run: $(O)/$(STAGE)/server
	@echo '$(O)/$(STAGE)/server $(ARGS)'
	@exec $(O)/$(STAGE)/server $(ARGS)
else
run:
	@$(call no_stage,run,$(STAGES))
endif

bench/hold: bench/hold.c
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $<

bench/switch bench/spawn bench/sendbuf bench/sendfile: %: %.c
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

bench: all bench/sendfile
	QUICK=$(QUICK) bench/bench.sh

bench-c10k: all bench/hold
	bench/c10k.sh

bench-python: all $(FW_SQLITE)
	bench/python.sh

bench-coro: all bench/hold bench/switch
	bench/coro.sh

bench-spawn: bench/spawn
	bench/spawn.sh

bench-idle: all
	bench/idle.sh

bench-sendbuf: bench/sendbuf
	bench/sendbuf.sh

TRACE ?= 06-epoll nginx lighttpd

cost: all
	bench/cost.sh

cost-check: all
	bench/cost.sh check

trace: all
	bench/trace.sh $(TRACE)

# The lesson of each stage, as the change from the one before it; 08 is
# 03's code on a new engine, and 10 is 03 with bodies and an application,
# so their lessons are the change from 03.
# The opening comment of this file is the list of what make can do.
help:
	@sed -n '1,/^$$/s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

diffs:
	@set -- $(STAGES); prev=$$1; shift; \
	for s in "$$@"; do base=$$prev; \
	case $$s in 08-coroutines|10-framework) base=03-threads ;; esac; \
	diff -u $$base/server.c $$s/server.c; prev=$$s; done; true

# A switch goes into CPPFLAGS through LAB_FLAGS, and its build into
# build/lab/NAME/ (O=): the normal binaries are never built with one.
lab:
	@$(if $(BUG),tests/bugs.sh lab $(BUG),tests/bugs.sh list)

# BUGS_JOBS switches at a time: each tests a build of its own.
BUGS_JOBS ?= 2
bugs: bench/hold
	JOBS=$(BUGS_JOBS) LAB_CFLAGS=-Werror tests/bugs.sh check

clean:
	rm -f $(STAGES:%=%/server) 07-client/client 09-capture/sniff bench/hold bench/switch bench/spawn bench/sendbuf bench/sendfile $(FW)/server $(FW)/server-*
	rm -rf build

# Your own servers: make start writes mine/STAGE/server.c (never over
# yours), make grade builds it with common/ and grades it (tests/grade.sh).
MINE ?= mine
GIVEN_STAGE = $(if $(filter command line,$(origin STAGE)),$(STAGE))

start:
	@MINE=$(MINE) tests/grade.sh start $(GIVEN_STAGE)

grade:
	@MINE=$(MINE) tests/grade.sh $(if $(GIVEN_STAGE),run $(GIVEN_STAGE),all)

# Each of its tests grades servers of its own on free ports, so they can
# run side by side: JOBS at a time, with GNU parallel.
grade-check: all bench/hold
	JOBS=$(JOBS) $(BATS) $(if $(shell command -v parallel 2>/dev/null),--jobs $(JOBS)) tests/grade

.PHONY: all help test check analyze fuzz capture cost cost-check bench bench-c10k bench-python bench-coro bench-spawn bench-idle bench-sendbuf trace diffs lab bugs run clean fw-pick start grade grade-check

# A student's program is every .c file in mine/STAGE/, built as the stages
# are (STAGE_DIR: where 10-framework's application finds its provinces).
.SECONDEXPANSION:
$(MINE)/%/server: $$(wildcard $(MINE)/$$*/*.c $(MINE)/$$*/*.h) $(COMMON) $(HEADERS)
	$(CC) $(CPPFLAGS) -I$(@D) -DSTAGE_DIR='"$(CURDIR)/$(FW)"' $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ \
		$(filter %.c,$^) $(LDLIBS)
