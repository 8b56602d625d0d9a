# Differential CPU tests (tests/diff/README.md): build/tests/difftest runs
# instruction sequences on KVM (the host CPU as oracle) and on the emulator.
DIFF_SRCS := $(sort $(wildcard tests/diff/*.c))
DIFF_OBJS := $(DIFF_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/tests/diff/case_code.o

$(BUILD)/tests/diff/case_code.o: tests/diff/case_code.S
	@mkdir -p $(dir $@)
	$(CC) -c -o $@ $<

$(BUILD)/tests/difftest: $(DIFF_OBJS) $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

TEST_TOOLS += $(BUILD)/tests/difftest

# The long run: DIFF_COUNT random sequences from seed DIFF_SEED.
DIFF_SEED ?= 1
DIFF_COUNT ?= 100000
difftest-long: $(BUILD)/tests/difftest
	BUILD=$(BUILD) tests/diff/run --seed $(DIFF_SEED) --count $(DIFF_COUNT)

.PHONY: difftest-long
-include $(DIFF_SRCS:%.c=$(BUILD)/%.d)
