/*
 * halt: CLI; HLT with no NMI source, a vCPU that can never wake. The nyx
 * contract (docs: exit status) says that is a power-off: status 0.
 */
#include "rt.h"

int guest_main(void)
{
	rt_puts("halt: halting with interrupts off\n");
	for (;;)
		asm volatile("cli; hlt");
}
