/*
 * meminfo: reports what the multiboot information says about memory, in a
 * form the runner checks against the -m it passed (Multiboot 0.6.96, 3.3):
 * mem_lower/mem_upper in KiB (lower from 0, at most 640; upper from 1 MiB to
 * the first hole), and sums over the BIOS-style memory map (type 1 =
 * available). Entries are walked by their size field, as the spec says.
 */
#include "rt.h"

#define MiB	0x100000ull

int guest_main(void)
{
	const struct mb_info *mbi = (const struct mb_info *)(uintptr_t)rt_mb_info;
	uint64_t low = 0, hole = 0, above = 0, high_end = 0;
	unsigned entries = 0, overlaps = 0;

	if (rt_mb_magic != MB_MAGIC)
		rt_fail("EAX was 0x%x, not the multiboot magic", rt_mb_magic);
	rt_printf("flags: mem=%u mmap=%u\n", mbi->flags & 1, (mbi->flags >> 6) & 1);
	if (!(mbi->flags & 1) || !(mbi->flags & (1 << 6)))
		rt_fail("flags 0x%x lack mem_* or mmap", mbi->flags);
	rt_printf("mem_lower=%u\n", mbi->mem_lower);
	rt_printf("mem_upper=%u\n", mbi->mem_upper);

	uintptr_t p = mbi->mmap_addr, end = p + mbi->mmap_length;
	while (p < end) {
		const struct mb_mmap_entry *e = (const void *)p;
		uint64_t a = e->addr, z = e->addr + e->len;

		/* Any two entries sharing a byte is a broken map. */
		for (uintptr_t q = mbi->mmap_addr; q < p;) {
			const struct mb_mmap_entry *o = (const void *)q;
			if (e->len && o->len && a < o->addr + o->len && o->addr < z)
				overlaps++;
			q += o->size + 4;
		}
		entries++;
		if (e->type == 1) {
			if (a == 0)
				low = z;
			if (a < 0x100000 && z > 0xA0000)
				hole += (z < 0x100000 ? z : 0x100000) - (a > 0xA0000 ? a : 0xA0000);
			if (a == MiB)
				high_end = z;
			if (z > MiB && a < 0x100000000ull)
				above += (z < 0x100000000ull ? z : 0x100000000ull) - (a > MiB ? a : MiB);
		}
		p += e->size + 4;
	}
	rt_printf("mmap_low_kib=%u\n", (unsigned)(low >> 10));
	rt_printf("mmap_hole_kib=%u\n", (unsigned)(hole >> 10));
	rt_printf("mmap_high_end=0x%lx\n", (unsigned long)high_end);
	rt_printf("mmap_above_1m_kib=%u\n", (unsigned)(above >> 10));
	rt_printf("mmap_overlaps=%u\n", overlaps);
	if (!entries)
		rt_fail("memory map is empty");
	return RT_EXIT_OK;
}
