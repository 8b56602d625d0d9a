# Option ROMs (src/boot/rom): 16-bit programs assembled with binutils,
# finished by tools/optionrom_sum (size byte, PnP and ROM checksums) into
# $(BUILD)/rom/NAME.bin, and linked into libnyx by roms.S.

ROM_OUT := $(BUILD)/rom

$(BUILD)/tools/optionrom_sum: tools/optionrom_sum.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

$(ROM_OUT)/%.o: src/boot/rom/%.S
	@mkdir -p $(dir $@)
	$(CC) -m32 -c -o $@ $<

$(ROM_OUT)/%.raw: $(ROM_OUT)/%.o
	ld -m elf_i386 -Ttext 0 --oformat binary -o $@ $<

$(ROM_OUT)/%.bin: $(ROM_OUT)/%.raw $(BUILD)/tools/optionrom_sum
	$(BUILD)/tools/optionrom_sum $< $@

$(ROM_OUT)/roms.o: src/boot/rom/roms.S $(ROM_OUT)/linuxboot.bin
	$(CC) -c -DLINUXBOOT_BIN='"$(ROM_OUT)/linuxboot.bin"' -o $@ $<

# Keep the assembled and linked stages (make would delete them as
# intermediates after every build).
.SECONDARY: $(ROM_OUT)/linuxboot.o $(ROM_OUT)/linuxboot.raw
