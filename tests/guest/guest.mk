# Guest test programs (see tests/guest/README.md). Everything lands in
# $(BUILD)/guests: NAME.elf multiboot kernels (ELF32 even for 64-bit code)
# and NAME.bin raw BIOS images. Built with gcc (freestanding) and binutils.

GUEST_DIR  := tests/guest
GUEST_OUT  := $(BUILD)/guests
GUEST_CC   := gcc
GUEST_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -nostdlib -fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fcf-protection=none -mno-red-zone -mgeneral-regs-only -fno-builtin -MMD -MP \
	-I$(GUEST_DIR)/rt
GUEST_LDFLAGS := -nostdlib -z max-page-size=4096 -z noexecstack \
	--no-warn-rwx-segments --build-id=none -T $(GUEST_DIR)/rt/link.ld

# Each guest NAME is built from NAME.c, as 32-bit or 64-bit code; a test that
# runs in both modes has two one-line files including the shared source.
GUEST_32   := hello meminfo cmdline module realdrop paging32 pae32 exc32 softint32 triple rtc loop halt
GUEST_64   := hello64 long64 exc64 softint64 fpu64 irq64 smp64
GUEST_BIOS := realmode
# Guests for bench/ (sources in bench/guest/, same runtime, 32-bit).
BENCH_32   := pio memtouch alu

GUEST_RT32 := $(addprefix $(GUEST_OUT)/rt32/,boot.o idt32.o rt.o idt.o)
GUEST_RT64 := $(addprefix $(GUEST_OUT)/rt64/,boot.o idt64.o rt.o idt.o)

guests: $(GUEST_32:%=$(GUEST_OUT)/%.elf) $(GUEST_64:%=$(GUEST_OUT)/%.elf) \
	$(GUEST_BIOS:%=$(GUEST_OUT)/%.bin) $(BENCH_32:%=$(GUEST_OUT)/%.elf)

$(GUEST_OUT)/rt32/%.o: $(GUEST_DIR)/rt/%.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) -m32 $(GUEST_CFLAGS) -c -o $@ $<
$(GUEST_OUT)/rt32/%.o: $(GUEST_DIR)/rt/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) -m32 $(GUEST_CFLAGS) -c -o $@ $<
$(GUEST_OUT)/rt64/%.o: $(GUEST_DIR)/rt/%.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) -m64 $(GUEST_CFLAGS) -c -o $@ $<
$(GUEST_OUT)/rt64/%.o: $(GUEST_DIR)/rt/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) -m64 -DRT_LONG $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_OUT)/obj32/%.o: $(GUEST_DIR)/%.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) -m32 $(GUEST_CFLAGS) -c -o $@ $<
$(GUEST_OUT)/obj32/%.o: bench/guest/%.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) -m32 $(GUEST_CFLAGS) -c -o $@ $<
$(GUEST_OUT)/obj64/%.o: $(GUEST_DIR)/%.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) -m64 $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_64:%=$(GUEST_OUT)/%.elf): $(GUEST_OUT)/%.elf: $(GUEST_OUT)/obj64/%.o $(GUEST_RT64) $(GUEST_DIR)/rt/link.ld
	ld -m elf_x86_64 $(GUEST_LDFLAGS) -o $@.64 $(GUEST_RT64) $<
	objcopy -O elf32-i386 $@.64 $@
	@rm -f $@.64
$(GUEST_32:%=$(GUEST_OUT)/%.elf) $(BENCH_32:%=$(GUEST_OUT)/%.elf): $(GUEST_OUT)/%.elf: $(GUEST_OUT)/obj32/%.o $(GUEST_RT32) $(GUEST_DIR)/rt/link.ld
	ld -m elf_i386 $(GUEST_LDFLAGS) -o $@ $(GUEST_RT32) $<

# 64 KiB flat BIOS images: linked at 0xF0000, reset vector at offset 0xFFF0.
$(GUEST_OUT)/%.bin: $(GUEST_DIR)/%.S $(GUEST_DIR)/rt/bios.ld
	@mkdir -p $(dir $@)
	as --32 -o $(GUEST_OUT)/$*.bios.o $<
	ld -m elf_i386 -nostdlib --build-id=none -T $(GUEST_DIR)/rt/bios.ld \
		--oformat binary -o $@ $(GUEST_OUT)/$*.bios.o
	@test $$(stat -c %s $@) -eq 65536 || { echo "$@: not 64 KiB"; rm -f $@; exit 1; }

.SECONDARY: $(GUEST_RT32) $(GUEST_RT64)
.PRECIOUS: $(GUEST_OUT)/obj32/%.o $(GUEST_OUT)/obj64/%.o
-include $(wildcard $(GUEST_OUT)/*/*.d)
