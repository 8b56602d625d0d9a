/*
 * cmdline: echoes the multiboot command line (flags bit 2) between brackets
 * so the runner can compare it byte for byte with what it passed.
 */
#include "rt.h"

int guest_main(void)
{
	const struct mb_info *mbi = (const struct mb_info *)(uintptr_t)rt_mb_info;

	rt_printf("cmdline flag: %u\n", (mbi->flags >> 2) & 1);
	rt_printf("cmdline: [%s]\n", rt_cmdline());
	return RT_EXIT_OK;
}
