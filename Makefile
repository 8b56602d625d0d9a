# Nyx build. `make` builds build/nyx and build/libnyx.a; `make test` runs every
# test layer. Sources are found by wildcard: adding a file needs no edit here.
# BUILD=dir puts all outputs elsewhere (parallel work trees, sanitizer builds).

BUILD   ?= build
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
           -Wno-format-truncation
CFLAGS  += -std=gnu11 $(WARN) -Isrc -Iinclude -MMD -MP -pthread -fno-strict-aliasing
LDLIBS  += -pthread -lm -lz
SAN     ?=
ifneq ($(SAN),)
CFLAGS  += -fsanitize=$(SAN) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SAN)
endif

LIB_SRCS  := $(shell find src -name '*.c' ! -path src/main.c | sort)
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/rom/roms.o
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o)

all: $(BUILD)/nyx

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libnyx.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# Link the objects, not the archive: a strong definition must always win
# over a weak stub, which archive member selection does not guarantee.
$(BUILD)/nyx: $(BUILD)/src/main.o $(LIB_OBJS) | $(BUILD)/libnyx.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit-tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Test drivers (small programs the shell test layers call).
$(BUILD)/tests/qcow2io: tests/storage/qcow2io.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/acpi-blobs: tests/firmware/acpi_blobs.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

TEST_TOOLS := $(BUILD)/tests/qcow2io $(BUILD)/tests/acpi-blobs

# Guest programs (tests/guest): assembled with binutils, no extra toolchain.
include src/boot/rom/rom.mk
include tests/guest/guest.mk
include tests/lang/lang.mk
include tests/fuzz/fuzz.mk
include bench/emu.mk
include tests/diff/diff.mk

test: all $(BUILD)/unit-tests $(TEST_TOOLS) guests
	@BUILD=$(BUILD) tests/run-all

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

# The main job: boot a real guest to a visible result.
run: all guests
	@BUILD=$(BUILD) scripts/demo

bench: all guests
	@BUILD=$(BUILD) bench/run

clean:
	rm -rf $(BUILD)

.PHONY: all test unit run bench clean guests
-include $(LIB_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(BUILD)/src/main.d

# Benchmark programs (bench/): built by `make bench`, never by `make test`.
$(BUILD)/bench/storage_bench: bench/storage_bench.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
