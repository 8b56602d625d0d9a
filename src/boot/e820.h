/*
 * The guest's physical memory map in BIOS e820 form, derived from the
 * machine's memory layout. Shared by the direct-boot loaders (Linux zero
 * page, multiboot mmap, PVH memmap) and fw_cfg's etc/e820.
 */
#ifndef NYX_BOOT_E820_H
#define NYX_BOOT_E820_H

#include <stdint.h>

struct machine;

enum e820_type {
	E820_RAM = 1,
	E820_RESERVED = 2,
	E820_ACPI = 3,
	E820_NVS = 4,
	E820_UNUSABLE = 5,
};

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* Most entries e820_build() ever produces. */
#define E820_MAX_ENTRIES 16

/*
 * Fills out[] (sorted by address, non-overlapping) and returns the number
 * of entries, or -ENOSPC if more than `max` are needed.
 */
int e820_build(struct machine *m, struct e820_entry *out, unsigned max);

/*
 * Gives [addr, addr+size) the type `type`; the range must lie inside one
 * entry of map[0..n), which is split as needed. Returns the new number of
 * entries, -EINVAL if no single entry holds the range, -ENOSPC if the
 * split needs more than `max` entries.
 */
int e820_mark(struct e820_entry *map, int n, unsigned max, uint64_t addr, uint64_t size,
	      uint32_t type);

#endif
