# torq-apply: one non-recursive Makefile. `make help` lists the targets.
-include config.mak

CC      ?= cc
PREFIX  ?= /usr/local
PKGS    := yaml-0.1 jansson libcurl
OPT     ?= -O2

ifeq ($(SANITIZE),1)
BUILD   := build/sanitize
BINDIR  := bin/sanitize
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD   := build/default
BINDIR  := bin
SANFLAGS :=
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

CFLAGS  ?= $(OPT) -g
ALL_CFLAGS := -std=c11 -D_XOPEN_SOURCE=700 -Wall -Wextra -Werror \
	-Wshadow -Wstrict-prototypes -Wmissing-prototypes -Iinclude \
	$(PKG_CFLAGS) $(SANFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS)

LIB_SRC  := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ  := $(patsubst src/%.c,$(BUILD)/src/%.o,$(LIB_SRC)) \
	    $(BUILD)/gen/manifest_schema.o
LIB      := $(BUILD)/libtorq.a

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(TOOL_SRC))

TORQ_APPLY := $(BINDIR)/torq-apply

.PHONY: demo all deps check unit cases conformance differential valgrind style \
	bench fuzz install uninstall clean help clienttest readbench \
	plancases planbench applyrobust fleetbench reportcheck canary

all: $(TORQ_APPLY)

# The quick start: torq-sim, then validate, plan, apply, plan again.
demo: $(TORQ_APPLY) $(TORQ_SIM)
	@BINDIR=$(BINDIR) sh tools/demo.sh

help:
	@echo "targets: demo all deps check valgrind style bench fuzz install uninstall clean"
	@echo "options: SANITIZE=1 (ASan+UBSan build under $(BINDIR)/sanitize), PREFIX=$(PREFIX)"

deps:
	@sh tools/deps.sh

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/gen/manifest_schema.c: schema/manifest.schema.json $(BUILD)/tools/embed
	@mkdir -p $(@D)
	$(BUILD)/tools/embed manifest_schema $< > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Built for the build machine, so never sanitized.
$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -O1 -Wall -Wextra -Werror -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(TORQ_APPLY): $(BUILD)/src/main.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/tool_%.o: tests/tools/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

$(TOOL_BIN): $(BUILD)/tests/%: $(BUILD)/tests/tool_%.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The emulator (src/sim/) brings its own rules, and the test targets it
# adds to SIM_CHECK.
SIM_CHECK :=
-include src/sim/sim.mk

# The API client and reader against the real torq-sim over loopback.
CLIENT_TEST_BIN := $(BUILD)/tests/client/test_client

$(BUILD)/tests/client/%.o: tests/client/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(CLIENT_TEST_BIN): $(BUILD)/tests/client/test_client.o \
		    $(BUILD)/tests/client/bigseed.o \
		    $(BUILD)/tests/client/simfix.o \
		    $(BUILD)/tests/sim/simproc.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

APPLY_TEST_BIN := $(BUILD)/tests/client/test_apply

$(APPLY_TEST_BIN): $(BUILD)/tests/client/test_apply.o \
		   $(BUILD)/tests/client/simfix.o \
		   $(BUILD)/tests/sim/simproc.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

clienttest: $(TORQ_SIM) $(CLIENT_TEST_BIN) $(APPLY_TEST_BIN)
	@$(VALGRIND) $(CLIENT_TEST_BIN) $(TORQ_SIM)
	@$(VALGRIND) $(APPLY_TEST_BIN) $(TORQ_SIM)

READBENCH_BIN := $(BUILD)/tests/client/readbench

$(READBENCH_BIN): $(BUILD)/tests/client/readbench.o \
		  $(BUILD)/tests/client/bigseed.o \
		  $(BUILD)/tests/sim/simproc.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Golden files of plan (and later apply) against a real torq-sim.
plancases: $(TORQ_APPLY) $(TORQ_SIM)
	@/usr/bin/python3 tests/plan/run.py $(TORQ_APPLY) $(TORQ_SIM) \
		tests/plan/cases

# apply under injected faults and SIGKILL: converges, no duplicates.
ROBUST_SEEDS ?= 1,2,3
applyrobust: $(TORQ_APPLY) $(TORQ_SIM)
	@/usr/bin/python3 tests/apply/robust.py $(TORQ_APPLY) $(TORQ_SIM) \
		$(ROBUST_SEEDS)

PLANBENCH_BIN := $(BUILD)/tests/plan/planbench

$(BUILD)/tests/plan/%.o: tests/plan/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(PLANBENCH_BIN): $(BUILD)/tests/plan/planbench.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

planbench: $(PLANBENCH_BIN)
	@$(PLANBENCH_BIN)

# report against torq-sim: every figure checked against the raw state.
reportcheck: $(TORQ_APPLY) $(TORQ_SIM)
	@/usr/bin/python3 tests/report/check.py $(TORQ_APPLY) $(TORQ_SIM)

# Unique secrets through every command with -v: none may leak anywhere.
canary: $(TORQ_APPLY) $(TORQ_SIM)
	@/usr/bin/python3 tests/canary/canary.py $(TORQ_APPLY) $(TORQ_SIM)

# A fleet of 100 clients with 50 ms latency, parallel against one by one.
fleetbench: $(TORQ_APPLY) $(TORQ_SIM)
	@/usr/bin/python3 tests/fleet/fleetbench.py $(TORQ_APPLY) $(TORQ_SIM)

# The live-state read of a large workspace with 50 ms latency.
readbench: $(TORQ_SIM) $(READBENCH_BIN)
	@$(READBENCH_BIN) $(TORQ_SIM)

# The whole suite: unit tests, JSON-Schema conformance, golden CLI cases,
# the differential check against python3-jsonschema, and the emulator's.
check: unit conformance cases differential $(SIM_CHECK) clienttest plancases \
	applyrobust reportcheck canary
	@echo "make check: all suites passed ($(if $(SANITIZE),ASan+UBSan,plain) build)"

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

conformance: $(BUILD)/tests/jsts
	@$(VALGRIND) $(BUILD)/tests/jsts $(JSTS_DIR)

cases: $(TORQ_APPLY)
	@sh tests/run-cases.sh $(TORQ_APPLY) tests/cases

differential: $(BUILD)/tests/schemacheck
	@sh tests/differential.sh $(BUILD)/tests/schemacheck

# The suite again with every process under valgrind's memcheck.
valgrind:
	@$(MAKE) --no-print-directory check \
		VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"

style:
	@sh tools/style.sh

# Measurements, never part of check: the emulator's throughput and the
# client's read of a large workspace.
bench: simbench readbench planbench fleetbench

# Coverage-guided fuzzing for FUZZ_SECONDS per harness: the manifest
# front end (seeded with every manifest in the tree) and torq-sim's request
# handling (seeds in tests/fuzz/seeds-sim). Needs clang with libFuzzer
# (Debian: clang, libclang-rt-14-dev). Findings land in build/fuzz/.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -g -O1 -std=c11 -D_XOPEN_SOURCE=700 -Iinclude $(PKG_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_RUN     := -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048
FUZZ_M_SRC   := $(LIB_SRC) $(BUILD)/gen/manifest_schema.c \
	tests/fuzz/fuzz_manifest.c
FUZZ_S_SRC   := $(filter-out src/sim/main.c src/sim/server.c,$(SIM_SRC)) \
	$(patsubst %,src/%.c,buf wrapper options suggest load doc diag \
		sha256) tests/fuzz/fuzz_sim.c

build/fuzz/fuzz_manifest: $(FUZZ_M_SRC)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_M_SRC) $(PKG_LIBS)

build/fuzz/fuzz_sim: $(FUZZ_S_SRC)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(SIM_CFLAGS) -o $@ $(FUZZ_S_SRC) \
		$(PKG_LIBS) -lpthread -lm

fuzz: build/fuzz/fuzz_manifest build/fuzz/fuzz_sim
	@mkdir -p build/fuzz/manifest build/fuzz/seeds build/fuzz/sim
	@find tests/cases manifests -name '*.yaml' | while read -r f; do \
		cp "$$f" "build/fuzz/seeds/$$(printf '%s' "$$f" | cksum | cut -d' ' -f1).yaml"; done
	cd build/fuzz && ./fuzz_manifest $(FUZZ_RUN) -max_len=4096 manifest seeds
	cd build/fuzz && ./fuzz_sim $(FUZZ_RUN) -max_len=2048 sim ../../tests/fuzz/seeds-sim

install: $(TORQ_APPLY)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(TORQ_APPLY) $(DESTDIR)$(PREFIX)/bin/torq-apply
	install -d $(DESTDIR)$(PREFIX)/share/torq-apply
	install -m 0644 schema/manifest.schema.json $(DESTDIR)$(PREFIX)/share/torq-apply/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/torq-apply
	rm -rf $(DESTDIR)$(PREFIX)/share/torq-apply

clean:
	rm -rf build bin

export VALGRIND
JSTS_DIR ?= /usr/share/json-schema-test-suite/tests/draft7

-include $(shell find build -name '*.d' 2>/dev/null)
