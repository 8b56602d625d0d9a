/*
 * hello: the smallest guest. Prints a greeting with the CPU mode and checks
 * that the loader honoured the basics: the multiboot magic in EAX and a
 * zeroed .bss (ELF p_memsz beyond p_filesz). Exits with 0x10 (status 33).
 */
#include "rt.h"

static uint32_t bss_probe[1024];

int guest_main(void)
{
	unsigned nonzero = 0;

	for (unsigned i = 0; i < 1024; i++)
		nonzero += bss_probe[i] != 0;
#ifdef __x86_64__
	rt_puts("Hello from Nyx guest (64-bit)\n");
#else
	rt_puts("Hello from Nyx guest\n");
#endif
	rt_printf("magic: 0x%x\n", rt_mb_magic);
	rt_printf("bss: %u nonzero words\n", nonzero);
	return RT_EXIT_OK;
}
