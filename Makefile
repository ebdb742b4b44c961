# dispatchd: one non-recursive Makefile. Everything built goes to build/.
#   make run    install what is missing, build, run the daemon on the sample estate
#   make test   install what is missing, build, run unit and integration tests
#   make        build only

B        := build
CC       ?= cc
CFLAGS   ?= -O2 -g
# SAN=1: AddressSanitizer + UBSan build in build/asan (make test runs the
# integration tests against it too).
ifeq ($(SAN),1)
B        := build/asan
CFLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif
# FUZZ=1: clang with libFuzzer, ASan and UBSan in build/fuzz (make fuzz).
ifeq ($(FUZZ),1)
B        := build/fuzz
CC       := clang
CFLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
endif
WARN     := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wwrite-strings -Werror
PKGS     := libzmq libprotobuf-c lmdb libcyaml yaml-0.1 jansson libsodium libcrypto
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lev
# The full-screen clients (dispatch-crew, dispatch-watch --summary): wide
# characters, for residents' names and notes in Chinese.
CURSES_LIBS = $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)
CPPFLAGS += -I$(B)/gen -Idaemon -Iclients/lib -D_GNU_SOURCE
ALL_CFLAGS = $(CFLAGS) $(WARN) -std=c11 $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP

PROTO_C  := $(B)/gen/dispatch.pb-c.c
PROTO_H  := $(B)/gen/dispatch.pb-c.h
PROTO_O  := $(B)/obj/gen/dispatch.pb-c.o

DAEMON_SRC := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
# keyfile.c, the key-file reader, is the client library's and the daemon's:
# one format, one reader (issue 16).
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(B)/obj/%.o) $(B)/obj/gen/sample_config.o $(B)/obj/clients/lib/keyfile.o
CLIENT_SRC := $(wildcard clients/lib/*.c)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(B)/obj/%.o)

PROGS := $(B)/dispatchd $(B)/dispatch-desk $(B)/dispatch-crew $(B)/dispatch-watch \
         $(B)/dispatch-raw $(B)/client-example $(B)/dc-selftest $(B)/store-tamper $(B)/gen-year
# The client programs' manual pages (troff); `make install` is another issue.
MANPAGES := clients/man/dispatch-desk.1 clients/man/dispatch-crew.1 clients/man/dispatch-watch.1
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: all deps test-deps run test test-valgrind unit integration bench fuzz install uninstall clean format format-check
all: $(PROGS)

deps:
	@scripts/deps.sh build
test-deps:
	@scripts/deps.sh test

# Generated protobuf code: never hand-edited, never committed.
$(PROTO_C) $(PROTO_H): proto/dispatch.proto
	@mkdir -p $(B)/gen
	protoc-c --c_out=$(B)/gen -Iproto $<

# The sample estate's configuration, embedded so the daemon runs without a file.
$(B)/gen/sample_config.c: daemon/sample-estate.yaml scripts/embed.sh
	@mkdir -p $(B)/gen
	scripts/embed.sh config_sample $< > $@

$(B)/obj/%.o: %.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/obj/gen/%.o: $(B)/gen/%.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -std=c11 $(CPPFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(B)/libdispatchd.a: $(DAEMON_OBJ) $(PROTO_O)
	rm -f $@ && ar rcs $@ $^
$(B)/libdispatchclient.a: $(CLIENT_OBJ) $(PROTO_O)
	rm -f $@ && ar rcs $@ $^

$(B)/dispatchd: $(B)/obj/daemon/main.o $(B)/libdispatchd.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/dispatch-desk: $(patsubst %.c,$(B)/obj/%.o,$(wildcard clients/desk/*.c)) $(B)/libdispatchclient.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/dispatch-crew: $(patsubst %.c,$(B)/obj/%.o,$(wildcard clients/crew/*.c)) $(B)/libdispatchclient.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(CURSES_LIBS)
$(B)/dispatch-watch: $(patsubst %.c,$(B)/obj/%.o,$(wildcard clients/watch/*.c)) $(B)/libdispatchclient.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(CURSES_LIBS)
$(B)/client-example: $(B)/obj/clients/lib/example/example.o $(B)/libdispatchclient.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/dispatch-raw: $(B)/obj/tests/tools/dispatch-raw.o $(B)/libdispatchclient.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/dc-selftest: $(B)/obj/tests/tools/dc-selftest.o $(B)/libdispatchclient.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

# Test-only tools that work on a store directly (never installed).
$(B)/store-tamper: $(B)/obj/tests/tools/store-tamper.o $(B)/libdispatchd.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/gen-year: $(B)/obj/tests/tools/gen-year.o $(B)/libdispatchd.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(B)/libdispatchd.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(shell pkg-config --libs check)

$(B)/bench_route: $(B)/obj/tests/bench/bench_route.o $(B)/libdispatchd.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/bench_apply: $(B)/obj/tests/bench/bench_apply.o $(B)/obj/tests/bench/bench_raw.o $(B)/libdispatchd.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
BENCH_SRC := tests/bench/bench.c tests/bench/bench_raw.c tests/bench/bench_drive.c
$(B)/bench: $(BENCH_SRC:%.c=$(B)/obj/%.o) $(B)/libdispatchd.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(B)/fuzz_%: $(B)/obj/tests/fuzz/fuzz_%.o $(B)/libdispatchd.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

# A short fuzz of each harness (make test runs it); for a long run:
#   make fuzz FUZZ_TIME=3600
# The handlers harness keeps state across inputs (the store, the roster),
# which makes libFuzzer's per-input leak scan fire on every input and
# dominate; leaks are caught by the ASan integration runs instead.
FUZZ_TIME ?= 15
FUZZERS  := request handlers
fuzz: test-deps
	@$(MAKE) --no-print-directory FUZZ=1 $(FUZZERS:%=build/fuzz/fuzz_%)
	@for f in $(FUZZERS); do \
		mkdir -p build/fuzz/corpus/$$f; \
		echo "== fuzz_$$f for $(FUZZ_TIME)s"; \
		build/fuzz/fuzz_$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
			$$(test $$f = handlers && echo -detect_leaks=0) build/fuzz/corpus/$$f \
			2>build/fuzz/fuzz_$$f.log || { tail -n 40 build/fuzz/fuzz_$$f.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units|^Done' build/fuzz/fuzz_$$f.log; \
	done

# Benchmarks measure; they assert nothing. The real daemon, durable, over
# ipc and TCP loopback, next to the machine's raw LMDB and ZeroMQ limits;
# a table on stdout and build/bench-results.json. About 5 minutes;
#   make bench BENCH_ARGS=--quick          under a minute
#   make bench BENCH_ARGS="--scale 10m"    adds a 10-million-ticket store (~15 GB of disk)
BENCH_ARGS ?=
bench: deps
	@$(MAKE) --no-print-directory $(B)/dispatchd $(B)/bench_route $(B)/bench $(B)/gen-year
	@$(B)/bench --dispatchd $(B)/dispatchd --route $(B)/bench_route --gen-year $(B)/gen-year --json $(B)/bench-results.json $(BENCH_ARGS)

# The peers (issue 20): Redis XADD, synced before every reply, beside the
# daemon at the same concurrency. Not in make bench or make test: it
# installs Debian's redis-server and redis-tools first.
#   make bench-peers                       the raw limits, ipc, tcp and Redis
#   make bench-peers BENCH_ARGS=--quick
.PHONY: bench-peers
bench-peers: deps
	@sh scripts/deps.sh peers
	@$(MAKE) --no-print-directory $(B)/dispatchd $(B)/bench_route $(B)/bench $(B)/gen-year
	@$(B)/bench --dispatchd $(B)/dispatchd --route $(B)/bench_route --gen-year $(B)/gen-year --json $(B)/bench-peers.json --peers --only raw,ipc,tcp $(BENCH_ARGS)

run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p var
	@exec scripts/run-board.sh $(B) $(BOARD_LISTEN)

# The C follows .clang-format (Debian's clang-format 14); make test checks
# it first, make format rewrites the files to it.
FORMAT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find daemon clients tests -name '*.[ch]')
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_SRC) && echo "== every C file follows .clang-format"

unit: $(UNIT_BIN)
	@rc=0; for t in $(UNIT_BIN); do CK_FORK=yes $$t || rc=1; done; exit $$rc

integration: all
	@BUILD=$(B) MANPAGES="$(MANPAGES)" bash tests/integration/all.sh

test: test-deps
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory SAN=1 all $(UNIT_BIN)
	@echo "== unit tests under AddressSanitizer/UBSan"
	@$(MAKE) --no-print-directory SAN=1 unit
	@echo "== integration tests under AddressSanitizer/UBSan"
	@ASAN_OPTIONS=detect_stack_use_after_return=1 $(MAKE) --no-print-directory SAN=1 integration
	@echo "== a short fuzz of the request path (libFuzzer)"
	@$(MAKE) --no-print-directory fuzz
	@echo "== integration tests, optimised build"
	@$(MAKE) --no-print-directory integration

# The integration tests with every dispatchd under valgrind (issue 5): slow,
# so not part of `make test`. An error or a definite leak makes the daemon
# exit 99, which each script's last check ("exits 0 on SIGTERM") reports;
# each daemon's valgrind log in build/valgrind/ is empty unless something
# was found, which also catches daemons stopped in the middle of a script.
VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
test-valgrind: test-deps
	@$(MAKE) --no-print-directory all
	@rm -rf $(B)/valgrind && mkdir -p $(B)/valgrind
	@echo "== integration tests, dispatchd under valgrind"
	@DISPATCHD_WRAP="$(VALGRIND) --log-file=$(CURDIR)/$(B)/valgrind/dispatchd.%p.log" \
		$(MAKE) --no-print-directory integration; rc=$$?; \
	for f in $(B)/valgrind/*.log; do \
		if [ -s "$$f" ]; then echo "== $$f"; cat "$$f"; rc=1; fi; \
	done; \
	echo "valgrind: $$(ls $(B)/valgrind | wc -l) daemon runs, $$(find $(B)/valgrind -name '*.log' -size +0 | wc -l) with findings"; \
	exit $$rc

# Installation. PREFIX for the programs and man pages; the unit, the
# sysusers file and the configuration go where systemd and admins look.
PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR     = $(PREFIX)/bin
MANDIR     = $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR   ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
INSTALLED_PROGS := dispatchd dispatch-desk dispatch-crew dispatch-watch

install: $(INSTALLED_PROGS:%=$(B)/%)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/dispatchd
	install -m 0755 $(INSTALLED_PROGS:%=$(B)/%) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 daemon/dispatchd.8 $(DESTDIR)$(MANDIR)/man8/
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' systemd/dispatchd.service.in \
		> $(DESTDIR)$(UNITDIR)/dispatchd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/dispatchd.service
	install -m 0644 systemd/dispatchd.sysusers $(DESTDIR)$(SYSUSERSDIR)/dispatchd.conf
	@# never overwrite the estate's own configuration
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/dispatchd/dispatchd.yaml ]; then \
		echo "keeping the existing $(DESTDIR)$(SYSCONFDIR)/dispatchd/dispatchd.yaml"; \
	else \
		install -m 0640 daemon/sample-estate.yaml $(DESTDIR)$(SYSCONFDIR)/dispatchd/dispatchd.yaml; \
	fi

uninstall:
	rm -f $(INSTALLED_PROGS:%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MANPAGES))) $(DESTDIR)$(MANDIR)/man8/dispatchd.8
	rm -f $(DESTDIR)$(UNITDIR)/dispatchd.service $(DESTDIR)$(SYSUSERSDIR)/dispatchd.conf
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/dispatchd/ (the estate's configuration) and /var/lib/dispatchd (its records)"

# Issue 19: planned work expands iCalendar RRULEs with libical (Debian
# libical-dev); the daemon's library (config checks, plan.c) needs it, so
# every program linked with libdispatchd.a takes it.
PKGS += libical
# Its benchmark (make bench runs it first): the time at start to create a
# day's missed occurrences of 50 schedules over 2,000 assets.
$(B)/bench_plan: $(B)/obj/tests/bench/bench_plan.o $(B)/libdispatchd.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
.PHONY: bench-plan
bench-plan: deps
	@$(MAKE) --no-print-directory $(B)/bench_plan
	@$(B)/bench_plan
bench: bench-plan

clean:
	rm -rf $(B)

# ---- many estates (issue 18): dispatch-ship at each estate, dispatch-hq at
# head office, over NATS JetStream. Only these two link libnats (nats.c);
# the daemon keeps its single thread and its own libraries.
NATS_LIBS = $(shell pkg-config --libs libnats 2>/dev/null || echo -lnats)
HQ_CPPFLAGS = -Ihq
$(B)/obj/hq/%.o: hq/%.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) $(HQ_CPPFLAGS) -c $< -o $@
PROGS += $(B)/dispatch-ship $(B)/dispatch-hq
all: $(B)/dispatch-ship $(B)/dispatch-hq
$(B)/dispatch-ship: $(B)/obj/hq/ship.o $(B)/obj/hq/nconf.o $(B)/libdispatchclient.a $(B)/libdispatchd.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(NATS_LIBS) -lpthread
$(B)/dispatch-hq: $(B)/obj/hq/hq.o $(B)/obj/hq/hq_view.o $(B)/obj/hq/hq_store.o $(B)/obj/hq/nconf.o \
		$(B)/libdispatchclient.a $(B)/libdispatchd.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(NATS_LIBS) -lpthread
# test-only: publish as a given user (the permission tests, the raw rate)
PROGS += $(B)/nats-pub
all: $(B)/nats-pub
$(B)/obj/tests/tools/nats-pub.o: tests/tools/nats-pub.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) $(HQ_CPPFLAGS) -c $< -o $@
$(B)/nats-pub: $(B)/obj/tests/tools/nats-pub.o $(B)/obj/hq/nconf.o
	$(CC) $(CFLAGS) -o $@ $^ $(NATS_LIBS) -lpthread

# make install puts the shipper (for an estate) and head office's program
# beside dispatchd, with their units and manual pages; neither unit is
# enabled by installing (README "Many estates").
HQ_MANPAGES := hq/dispatch-ship.8 hq/dispatch-hq.8
install: install-hq
uninstall: uninstall-hq
.PHONY: install-hq uninstall-hq estates
install-hq: $(B)/dispatch-ship $(B)/dispatch-hq
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(B)/dispatch-ship $(B)/dispatch-hq $(DESTDIR)$(BINDIR)/
	install -m 0644 $(HQ_MANPAGES) $(DESTDIR)$(MANDIR)/man8/
	for u in dispatch-ship dispatch-hq; do \
		sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' systemd/$$u.service.in \
			> $(DESTDIR)$(UNITDIR)/$$u.service && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.service; \
	done
	install -m 0644 systemd/dispatch-hq.sysusers $(DESTDIR)$(SYSUSERSDIR)/dispatch-hq.conf
uninstall-hq:
	rm -f $(DESTDIR)$(BINDIR)/dispatch-ship $(DESTDIR)$(BINDIR)/dispatch-hq
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(HQ_MANPAGES)))
	rm -f $(DESTDIR)$(UNITDIR)/dispatch-ship.service $(DESTDIR)$(UNITDIR)/dispatch-hq.service
	rm -f $(DESTDIR)$(SYSUSERSDIR)/dispatch-hq.conf
# A company on one machine, for a newcomer: a 3-server cluster, two
# estates, their shippers and head office (Ctrl-C stops it all).
estates: deps
	@$(MAKE) --no-print-directory all
	@B=$(B) scripts/estates.sh

# make bench runs the many-estates benchmark too (before the daemon's own):
# a real 3-server cluster, the shipper against nats.c's raw rate.
.PHONY: bench-hq
bench: bench-hq
bench-hq: deps
	@$(MAKE) --no-print-directory $(B)/dispatchd $(B)/dispatch-ship $(B)/dispatch-hq $(B)/nats-pub $(B)/gen-year $(B)/dispatch-desk
	@BUILD=$(B) bash tests/bench/hq_bench.sh $(filter --quick,$(BENCH_ARGS))

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
.SECONDARY:

# ---- dispatch-board: the web gateway (issue 17) ----
# libmicrohttpd only here: the daemon and the other clients do not link it.
BOARD_SRC := $(wildcard web/*.c)
MHD_CFLAGS = $(shell pkg-config --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS   = $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
PROGS += $(B)/dispatch-board
all: $(B)/dispatch-board
$(B)/obj/web/%.o: web/%.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) $(MHD_CFLAGS) -c $< -o $@
$(B)/dispatch-board: $(BOARD_SRC:%.c=$(B)/obj/%.o) $(B)/libdispatchclient.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(MHD_LIBS) -lpthread
MANPAGES += clients/man/dispatch-board.1
# Where the web gateway listens under `make run`.
BOARD_LISTEN ?= 127.0.0.1:8080
DATADIR   ?= $(PREFIX)/share
install: install-board
uninstall: uninstall-board
.PHONY: install-board uninstall-board
install-board: $(B)/dispatch-board
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/dispatch-board/static $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/dispatch-board
	install -m 0755 $(B)/dispatch-board $(DESTDIR)$(BINDIR)/
	install -m 0644 web/static/* $(DESTDIR)$(DATADIR)/dispatch-board/static/
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' \
		systemd/dispatch-board.service.in > $(DESTDIR)$(UNITDIR)/dispatch-board.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/dispatch-board.service
	install -m 0644 systemd/dispatch-board.sysusers $(DESTDIR)$(SYSUSERSDIR)/dispatch-board.conf
uninstall-board:
	rm -f $(DESTDIR)$(BINDIR)/dispatch-board $(DESTDIR)$(UNITDIR)/dispatch-board.service \
		$(DESTDIR)$(SYSUSERSDIR)/dispatch-board.conf
	rm -rf $(DESTDIR)$(DATADIR)/dispatch-board
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/dispatch-board/ (the gateway's keys and accounts)"
# The gateway's benchmark (issue 17): SSE streams held by dispatch-board
# while tickets come in, beside the daemon's own PUB in the same run.
$(B)/bench_board: $(B)/obj/tests/bench/bench_board.o $(B)/libdispatchclient.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread
bench: bench-board
.PHONY: bench-board
bench-board: deps
	@$(MAKE) --no-print-directory $(B)/dispatchd $(B)/dispatch-board $(B)/bench_board
	@$(B)/bench_board --dispatchd $(B)/dispatchd --board $(B)/dispatch-board $(BENCH_ARGS)
