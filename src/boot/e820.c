/*
 * The e820 memory map, built from the machine's memory layout the way a
 * Linux guest sees it on QEMU's i440FX PC with SeaBIOS:
 *
 *   [0, 0x9FC00)               RAM        conventional memory
 *   [0x9FC00, 0xA0000)         reserved   EBDA
 *   [0xA0000, 0xF0000)         (absent)   VGA window, option ROM space
 *   [0xF0000, 0x100000)        reserved   BIOS
 *   [0x100000, below_4g)       RAM
 *   [0xFEC00000, +4 KiB)       reserved   IOAPIC
 *   [0xFEE00000, +4 KiB)       reserved   LAPIC
 *   [0xFEFFC000, 0xFF000000)   reserved   KVM identity map + TSS (QEMU's place)
 *   ROM regions above below_4g reserved   firmware image at the top of 4 GiB
 *   [4 GiB, 4 GiB + above_4g)  RAM
 *
 * Entries are sorted by address and never overlap.
 */
#include <errno.h>
#include <string.h>

#include "boot/e820.h"
#include "core/machine.h"

#define E820_EBDA 0x9FC00ULL
#define E820_LOW_END 0xA0000ULL
#define E820_BIOS 0xF0000ULL
#define E820_1M 0x100000ULL

static int e820_add(struct e820_entry *out, unsigned max, unsigned *n, uint64_t addr,
		    uint64_t size, uint32_t type)
{
	if (!size)
		return 0;
	if (*n >= max)
		return -ENOSPC;
	/* Insertion keeps the table sorted by address. */
	unsigned i = *n;
	while (i > 0 && out[i - 1].addr > addr) {
		out[i] = out[i - 1];
		i--;
	}
	out[i] = (struct e820_entry){ addr, size, type };
	(*n)++;
	return 0;
}

int e820_build(struct machine *m, struct e820_entry *out, unsigned max)
{
	const struct guest_mem *mem = &m->mem;
	uint64_t below = mem->below_4g;
	unsigned n = 0;
	int rc = 0;

	rc |= e820_add(out, max, &n, 0, below < E820_EBDA ? below : E820_EBDA, E820_RAM);
	rc |= e820_add(out, max, &n, E820_EBDA, E820_LOW_END - E820_EBDA, E820_RESERVED);
	rc |= e820_add(out, max, &n, E820_BIOS, E820_1M - E820_BIOS, E820_RESERVED);
	if (below > E820_1M)
		rc |= e820_add(out, max, &n, E820_1M, below - E820_1M, E820_RAM);
	rc |= e820_add(out, max, &n, 0xFEC00000ULL, 0x1000, E820_RESERVED);
	rc |= e820_add(out, max, &n, 0xFEE00000ULL, 0x1000, E820_RESERVED);
	rc |= e820_add(out, max, &n, 0xFEFFC000ULL, 0x4000, E820_RESERVED);
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct mem_region *r = &mem->regions[i];
		if (r->kind == MEM_ROM && r->gpa >= below && r->gpa + r->size <= MEM_4G)
			rc |= e820_add(out, max, &n, r->gpa, r->size, E820_RESERVED);
	}
	if (mem->above_4g)
		rc |= e820_add(out, max, &n, MEM_4G, mem->above_4g, E820_RAM);
	return rc ? -ENOSPC : (int)n;
}

int e820_mark(struct e820_entry *map, int n, unsigned max, uint64_t addr, uint64_t size,
	      uint32_t type)
{
	int i;

	for (i = 0; i < n; i++)
		if (addr >= map[i].addr && addr + size <= map[i].addr + map[i].size)
			break;
	if (i == n || !size)
		return -EINVAL;
	struct e820_entry old = map[i];
	struct e820_entry part[3] = {
		{ old.addr, addr - old.addr, old.type },
		{ addr, size, type },
		{ addr + size, old.addr + old.size - addr - size, old.type },
	};
	int add = (part[0].size != 0) + (part[2].size != 0);
	if ((unsigned)(n + add) > max)
		return -ENOSPC;
	memmove(&map[i + 1 + add], &map[i + 1], (size_t)(n - i - 1) * sizeof(*map));
	for (int k = 0, j = i; k < 3; k++)
		if (part[k].size)
			map[j++] = part[k];
	return n + add;
}
