# torq-apply: one non-recursive Makefile. `make help` lists the targets.
-include config.mak

# What a user may set on the command line (make check SANITIZE=1), each
# given its default here so that no rule reads an undefined variable.
CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
SANITIZE ?=
LDFLAGS ?=
VALGRIND ?=
BENCH_QUICK ?=
SOAK_SEED ?=
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
# Helpers every unit test program links, built by the rule for
# tests/unit/%.c; named so that UNIT_SRC's test_*.c leaves them out.
UNIT_OBJ := $(BUILD)/tests/testdir.o
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(TOOL_SRC))

TORQ_APPLY := $(BINDIR)/torq-apply

# Every rule below may name any of these: the emulator (src/sim/) brings
# its variables and rules, and adds its test targets to SIM_CHECK, before
# the first rule, so no prerequisite is read while still undefined.
.DEFAULT_GOAL := all
SIM_CHECK :=
include src/sim/sim.mk
include packaging/packaging.mk

.PHONY: demo all deps check unit cases conformance differential valgrind style \
	bench fuzz install uninstall clean help clienttest readbench \
	plancases planbench applyrobust fleetbench reportcheck doctorcheck canary \
	docscheck soak readmeci freshmake traces passcheck

all: $(TORQ_APPLY)

# The quick start: torq-sim, then validate, plan, apply, plan again.
demo: $(TORQ_APPLY) $(TORQ_SIM)
	@BINDIR=$(BINDIR) sh tools/demo.sh

help:
	@echo "targets: demo all deps check valgrind style bench fuzz soak install uninstall deb clean"
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

$(UNIT_BIN): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(UNIT_OBJ) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

$(TOOL_BIN): $(BUILD)/tests/%: $(BUILD)/tests/tool_%.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

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

# Answers torq-sim never gives, from a canned loopback server.
ANSWERS_TEST_BIN := $(BUILD)/tests/client/test_answers

$(ANSWERS_TEST_BIN): $(BUILD)/tests/client/test_answers.o \
		     $(BUILD)/tests/client/canned.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS) -lpthread

clienttest: $(TORQ_SIM) $(CLIENT_TEST_BIN) $(APPLY_TEST_BIN) \
	    $(ANSWERS_TEST_BIN)
	@$(VALGRIND) $(CLIENT_TEST_BIN) $(TORQ_SIM)
	@$(VALGRIND) $(APPLY_TEST_BIN) $(TORQ_SIM)
	@$(VALGRIND) $(ANSWERS_TEST_BIN)
	@echo "clienttest: again, against torq-sim --quirks extra-fields"
	@SIMFIX_QUIRKS=extra-fields $(VALGRIND) $(CLIENT_TEST_BIN) $(TORQ_SIM)
	@SIMFIX_QUIRKS=extra-fields $(VALGRIND) $(APPLY_TEST_BIN) $(TORQ_SIM)

READBENCH_BIN := $(BUILD)/tests/client/readbench

$(READBENCH_BIN): $(BUILD)/tests/client/readbench.o \
		  $(BUILD)/tests/client/bigseed.o \
		  $(BUILD)/tests/sim/simproc.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Golden files of plan (and later apply) against a real torq-sim.
plancases: $(TORQ_APPLY) $(TORQ_SIM)
	@/usr/bin/python3 tests/plan/run.py $(TORQ_APPLY) $(TORQ_SIM) \
		tests/plan/cases

# Traces recorded with --trace, replayed by torq-sim --replay: the same
# output byte for byte, and a missing or extra request fails the replay.
# RECORD=1 records them afresh against the seeded emulator.
traces: $(TORQ_APPLY) $(TORQ_SIM)
	@/usr/bin/python3 tests/traces/run.py $(TORQ_APPLY) $(TORQ_SIM) \
		tests/traces

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

# report against torq-sim: every figure checked against the raw state;
# then --history and the --html page, in tidy and headless Chromium.
reportcheck: $(TORQ_APPLY) $(TORQ_SIM)
	@/usr/bin/python3 tests/report/check.py $(TORQ_APPLY) $(TORQ_SIM)
	@/usr/bin/python3 tests/report/dashboard.py $(TORQ_APPLY) $(TORQ_SIM)

# doctor finds every call usable under each of torq-sim's quirks.
doctorcheck: $(TORQ_APPLY) $(TORQ_SIM)
	@/usr/bin/python3 tests/doctor/quirks.py $(TORQ_APPLY) $(TORQ_SIM)

# Unique secrets through every command with -v: none may leak anywhere.
canary: $(TORQ_APPLY) $(TORQ_SIM)
	@/usr/bin/python3 tests/canary/canary.py $(TORQ_APPLY) $(TORQ_SIM)

# ${secret:cmd:pass show ...} from a real password store (pass and gpg,
# from make deps) through plan, apply and a fleet: once per command, and
# no secret anywhere but in torq-sim.
passcheck: $(TORQ_APPLY) $(TORQ_SIM)
	@/usr/bin/python3 tests/secretcmd/pass.py $(TORQ_APPLY) $(TORQ_SIM)

# Hundreds of applies of a changing manifest under random faults and
# SIGKILL, each checked against torq-sim's state (tests/soak/soak.py);
# SOAK_SECONDS bounds it, SOAK_SEED repeats a run. Not part of check.
SOAK_SECONDS ?= 600
soak: $(TORQ_APPLY) $(TORQ_SIM)
	@/usr/bin/python3 tests/soak/soak.py $(TORQ_APPLY) $(TORQ_SIM) \
		--seconds $(SOAK_SECONDS) $(if $(SOAK_SEED),--seed $(SOAK_SEED))

# Every message docs/bad-input.md quotes is in the test it links.
docscheck:
	@/usr/bin/python3 tests/docs/bad_input.py docs/bad-input.md

# .ci/run begins with the README's Quick start and test commands.
readmeci:
	@/usr/bin/python3 tests/docs/readme_ci.py README.md .ci/run

# In a copy of the tree without build/ or bin/, every target reads no
# undefined variable and builds the programs it runs.
freshmake:
	@/usr/bin/python3 tests/make/fresh.py

# A fleet of 100 clients with 50 ms latency, parallel against one by one.
fleetbench: $(TORQ_APPLY) $(TORQ_SIM)
	@/usr/bin/python3 tests/fleet/fleetbench.py $(TORQ_APPLY) $(TORQ_SIM)

# The live-state read of a large workspace with 50 ms latency.
readbench: $(TORQ_SIM) $(READBENCH_BIN)
	@$(READBENCH_BIN) $(TORQ_SIM)

# The whole suite: unit tests, JSON-Schema conformance, golden CLI cases,
# the differential check against python3-jsonschema, and the emulator's.
check: unit conformance cases differential $(SIM_CHECK) clienttest plancases \
	traces applyrobust reportcheck doctorcheck canary passcheck docscheck \
	readmeci freshmake installcheck
	@echo "make check: all suites passed ($(if $(SANITIZE),ASan+UBSan,plain) build)"

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

conformance: $(BUILD)/tests/jsts
	@$(VALGRIND) $(BUILD)/tests/jsts $(JSTS_DIR)

cases: $(TORQ_APPLY)
	@sh tests/run-cases.sh $(TORQ_APPLY) tests/cases

# validate and plan give the same verdict on every broken manifest of the
# golden cases (tests/verdict.py); part of check.
.PHONY: verdict
check: verdict
verdict: $(TORQ_APPLY)
	@/usr/bin/python3 tests/verdict.py $(TORQ_APPLY)

differential: $(BUILD)/tests/schemacheck
	@sh tests/differential.sh $(BUILD)/tests/schemacheck

# The suite again with every process under valgrind's memcheck.
valgrind:
	@$(MAKE) --no-print-directory check \
		VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"

style:
	@sh tools/style.sh

# Measurements, never part of check: one table (tests/bench/bench.py) of
# reading, planning and applying a large workspace with 50 ms latency and
# a 50 rps limit against a naive one-request-at-a-time script, the CPU and
# peak memory of validate and plan at 1,000, 10,000 and 100,000 users
# (their growth and goals below the table) and the emulator's throughput; then
# the fleet's. BENCH_QUICK=1: sizes / 10 and no fleet (CI's smoke run).
# simbench, readbench and planbench remain for a closer look.
bench: $(TORQ_APPLY) $(TORQ_SIM) $(SIM_LOAD_BIN)
	@/usr/bin/python3 tests/bench/bench.py $(TORQ_APPLY) $(TORQ_SIM) \
		--simload $(SIM_LOAD_BIN) $(if $(BENCH_QUICK),--quick)
	$(if $(BENCH_QUICK),,@$(MAKE) --no-print-directory fleetbench)

# Coverage-guided fuzzing (clang's libFuzzer with ASan and UBSan),
# FUZZ_SECONDS per harness, after replaying tests/fuzz/regressions-*:
# - manifest: the manifest front end (load, extends, variables, secrets,
#   schema, checks, desired state, plan) and the workflow-YAML reader,
#   seeded with every manifest in the tree;
# - api: every answer the API client, the reader and the executor parse,
#   served by a loopback server from the input (seeds in tests/fuzz/seeds-api);
# - sim: torq-sim's request handling (seeds in tests/fuzz/seeds-sim).
# CI runs `make fuzz FUZZ_SECONDS=60`. Findings land in build/fuzz/crashes.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FUZZ_FLAGS   := -g -O1 -std=c11 -D_XOPEN_SOURCE=700 -Iinclude $(PKG_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_M_SRC   := $(LIB_SRC) $(BUILD)/gen/manifest_schema.c \
	tests/fuzz/fuzz_manifest.c
FUZZ_A_SRC   := $(LIB_SRC) $(BUILD)/gen/manifest_schema.c \
	tests/fuzz/fuzz_api.c
FUZZ_S_SRC   := $(filter-out src/sim/main.c src/sim/server.c,$(SIM_SRC)) \
	$(patsubst %,src/%.c,buf wrapper options suggest load doc diag \
		sha256 utf8 secretcmd redact) tests/fuzz/fuzz_sim.c
FUZZ_HDRS    := $(wildcard include/torq/*.h include/torq/sim/*.h)

build/fuzz/fuzz_manifest: $(FUZZ_M_SRC) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_M_SRC) $(PKG_LIBS)

build/fuzz/fuzz_api: $(FUZZ_A_SRC) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_A_SRC) $(PKG_LIBS) -lpthread

build/fuzz/fuzz_sim: $(FUZZ_S_SRC) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(SIM_CFLAGS) -o $@ $(FUZZ_S_SRC) \
		$(PKG_LIBS) -lpthread -lm

fuzz: build/fuzz/fuzz_manifest build/fuzz/fuzz_api build/fuzz/fuzz_sim
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf build bin

export VALGRIND
JSTS_DIR ?= /usr/share/json-schema-test-suite/tests/draft7

-include $(shell find build -name '*.d' 2>/dev/null)
