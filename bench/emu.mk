# Emulator throughput benchmark: `make bench-emu` builds and runs it.
$(BUILD)/bench/emu-mips: bench/emu_mips.c bench/emu_code.h $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ bench/emu_mips.c $(LIB_OBJS) $(LDLIBS)

bench-emu: $(BUILD)/bench/emu-mips
	$(BUILD)/bench/emu-mips

.PHONY: bench-emu
