# torq-sim, the Torq API emulator (docs/internals/sim.md). Included by the
# top-level Makefile, whose variables it uses.

SIM_SRC  := $(wildcard src/sim/*.c)
SIM_OBJ  := $(patsubst src/sim/%.c,$(BUILD)/sim/%.o,$(SIM_SRC))
TORQ_SIM := $(BINDIR)/torq-sim

# Only the engine modules the emulator uses (the buffer, wrappers, option
# parser, did-you-mean, and the YAML loader for workflow YAML), so it
# neither drags in nor waits for the rest of the engine. doc releases the
# secret commands a manifest names, hence secretcmd and redact.
SIM_LIB_OBJ := $(patsubst %,$(BUILD)/src/%.o,buf wrapper options suggest \
	load doc diag sha256 utf8 secretcmd redact)

SIM_CFLAGS := $(shell pkg-config --cflags libmicrohttpd 2>/dev/null)
SIM_LIBS   := $(shell pkg-config --libs libmicrohttpd 2>/dev/null) \
	$(PKG_LIBS) -lpthread -lm
CURL_CFLAGS := $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS   := $(shell pkg-config --libs libcurl 2>/dev/null)

SIM_TEST_BIN := $(BUILD)/tests/sim/test_sim
SIM_LOAD_BIN := $(BUILD)/tests/sim/simload

.PHONY: simtest simbench

all: $(TORQ_SIM)

$(BUILD)/sim/%.o: src/sim/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SIM_CFLAGS) -MMD -MP -c -o $@ $<

$(TORQ_SIM): $(SIM_OBJ) $(SIM_LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(SIM_LIBS)

$(BUILD)/tests/sim/%.o: tests/sim/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CURL_CFLAGS) -MMD -MP -c -o $@ $<

$(SIM_TEST_BIN): $(BUILD)/tests/sim/test_sim.o \
		 $(BUILD)/tests/sim/simproc.o $(BUILD)/sim/util.o \
		 $(SIM_LIB_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CURL_LIBS) $(PKG_LIBS) \
		$(CMOCKA_LIBS) -lpthread

$(SIM_LOAD_BIN): $(BUILD)/tests/sim/simload.o \
		 $(BUILD)/tests/sim/simproc.o $(SIM_LIB_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CURL_LIBS) $(PKG_LIBS) -lpthread

# The integration tests: real HTTP against the real binary (under
# $(VALGRIND) when set, as `make valgrind` does).
simtest: $(TORQ_SIM) $(SIM_TEST_BIN)
	@$(SIM_TEST_BIN) $(TORQ_SIM)

# Pages per second of a 10,000-user workspace with the rate limit off.
simbench: $(TORQ_SIM) $(SIM_LOAD_BIN)
	@$(SIM_LOAD_BIN) --users 10000 $(TORQ_SIM)

SIM_CHECK += simtest
