/*
 * loop: spins forever with interrupts off, so only the host can end it:
 * `nyx run --timeout 1` must stop it with status 124.
 */
#include "rt.h"

int guest_main(void)
{
	rt_puts("loop: spinning\n");
	for (;;)
		asm volatile("" ::: "memory");
}
