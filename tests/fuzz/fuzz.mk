# Fuzz harnesses (libFuzzer, built with clang and ASan/UBSan), kept out of
# `make`/`make test`: `make fuzz-emu` builds $(FUZZ_BUILD)/fuzz-emu.
FUZZ_BUILD ?= build-fuzz
FUZZ_CC ?= clang
FUZZ_CFLAGS := -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined \
	-fno-omit-frame-pointer -Isrc -Iinclude -Itests/unit -Itests/fuzz -pthread

$(FUZZ_BUILD)/fuzz-emu: tests/fuzz/fuzz_emu.c tests/fuzz/fuzz_emu_run.h $(LIB_SRCS)
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_emu.c $(LIB_SRCS) $(LDLIBS)

fuzz-emu: $(FUZZ_BUILD)/fuzz-emu

.PHONY: fuzz-emu
