/*
 * bench guest memtouch: writes one byte in every 4 KiB page of "mib=M"
 * MiB starting at 4 MiB, so the VMM's resident set holds at least that much
 * guest RAM; peak RSS minus M MiB is the VMM's own memory.
 */
#include "rt.h"

int guest_main(void)
{
	unsigned long mib = rt_cmdline_num("mib", 0);
	volatile uint8_t *p = (volatile uint8_t *)0x400000;

	for (unsigned long off = 0; off < mib << 20; off += 4096)
		p[off] = 1;
	rt_printf("memtouch: %lu MiB\n", mib);
	return RT_EXIT_OK;
}
