/*
 * bench guest pio: writes the COM1 scratch register (0x3FF) n times, n from
 * the command line ("n=N"), then exits. Each write is one PIO exit to the
 * VMM (the port is emulated in user space by both nyx and QEMU), so the run
 * time difference between n=N and n=0 over N is the exit round trip.
 * POST codes 0x40 (guest entry) and 0x41 (loop done) mark the phases; nyx
 * logs them with the time since machine start (--log-level info).
 */
#include "rt.h"

int guest_main(void)
{
	unsigned long n = rt_cmdline_num("n", 0);

	outb(0x80, 0x40);
	for (unsigned long i = 0; i < n; i++)
		outb(0x3FF, (uint8_t)i);
	outb(0x80, 0x41);
	rt_printf("pio: %lu writes\n", n);
	return RT_EXIT_OK;
}
