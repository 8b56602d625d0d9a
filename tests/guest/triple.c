/*
 * triple: a triple fault. With an empty IDT (limit 0) the #UD from UD2
 * cannot be delivered, nor can the resulting #GP or #DF, so the processor
 * shuts down (Intel SDM vol. 3, 6.15 "Interrupt 8"). `nyx run` must report
 * it as a failure (status 3) after the line below; nothing after it prints.
 */
#include "rt.h"

int guest_main(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) empty = { 0, 0 };

	rt_puts("triple: loading an empty IDT and executing ud2\n");
	asm volatile("lidt %0; ud2" : : "m"(empty));
	rt_puts("triple: still running\n");
	return RT_EXIT_FAIL;
}
