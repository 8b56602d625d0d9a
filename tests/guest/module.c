/*
 * module: checks the first multiboot module (nyx --initrd, qemu -initrd):
 * its size, its POSIX cksum (the CRC `cksum` prints: polynomial 0x04C11DB7
 * MSB first, length appended, result inverted) so the runner can compare it
 * with coreutils, that it is page aligned (we ask for that in the header),
 * and that it overlaps neither the kernel image nor the multiboot info.
 */
#include "rt.h"

extern char __image_start[], __bss_end[];

static uint32_t crc_table[256];

static uint32_t crc_step(uint32_t crc, uint8_t c)
{
	return crc << 8 ^ crc_table[(crc >> 24 ^ c) & 0xff];
}

static uint32_t posix_cksum(const uint8_t *p, uint32_t n)
{
	uint32_t crc = 0;

	for (unsigned i = 0; i < 256; i++) {
		uint32_t c = i << 24;
		for (int k = 0; k < 8; k++)
			c = c & 0x80000000u ? c << 1 ^ 0x04C11DB7u : c << 1;
		crc_table[i] = c;
	}
	for (uint32_t i = 0; i < n; i++)
		crc = crc_step(crc, p[i]);
	for (; n; n >>= 8)
		crc = crc_step(crc, (uint8_t)n);
	return ~crc;
}

static int overlaps(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	return a < d && c < b;
}

int guest_main(void)
{
	const struct mb_info *mbi = (const struct mb_info *)(uintptr_t)rt_mb_info;

	rt_printf("mods flag: %u\n", (mbi->flags >> 3) & 1);
	if (!(mbi->flags & (1 << 3)))
		rt_fail("no modules in the multiboot info (flags 0x%x)", mbi->flags);
	rt_printf("mods_count=%u\n", mbi->mods_count);
	if (!mbi->mods_count)
		rt_fail("mods_count is 0");

	const struct mb_module *m = (const void *)(uintptr_t)mbi->mods_addr;
	uint32_t size = m->mod_end - m->mod_start;
	uint32_t kstart = (uint32_t)(uintptr_t)__image_start, kend = (uint32_t)(uintptr_t)__bss_end;

	rt_printf("size=%u\n", size);
	rt_printf("cksum=%u\n", posix_cksum((const uint8_t *)(uintptr_t)m->mod_start, size));
	rt_printf("aligned=%u\n", (m->mod_start & 0xfff) == 0);
	rt_printf("overlaps kernel=%u info=%u\n",
		  overlaps(m->mod_start, m->mod_end, kstart, kend),
		  overlaps(m->mod_start, m->mod_end, rt_mb_info, rt_mb_info + sizeof(*mbi)));
	rt_printf("string=[%s]\n", m->string ? (const char *)(uintptr_t)m->string : "");
	return RT_EXIT_OK;
}
