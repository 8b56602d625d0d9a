/*
 * IDT for the guest runtime: every vector points at its stub in idt32.S or
 * idt64.S (interrupt gates, DPL 0), and rt_trap() dispatches to the handler
 * a test registered. A vector nobody claimed is reported and ends the test
 * with RT_EXIT_TRAP, so an unexpected fault never passes silently.
 */
#include "rt.h"

extern char rt_isr_stubs[];

#ifdef __x86_64__
struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));
#define RT_SEL_CODE RT_SEL_CODE64
#else
struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));
#define RT_SEL_CODE RT_SEL_CODE32
#endif

static struct idt_gate idt[256] __attribute__((aligned(16)));
static rt_handler handlers[256];

int rt_has_error_code(int v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

void rt_set_handler(int vector, rt_handler fn)
{
	handlers[vector & 255] = fn;
}

void rt_idt_init(void)
{
	struct {
		uint16_t limit;
		uintptr_t base;
	} __attribute__((packed)) desc = { sizeof(idt) - 1, (uintptr_t)idt };

	for (int v = 0; v < 256; v++) {
		uintptr_t off = (uintptr_t)(rt_isr_stubs + 16 * v);
		struct idt_gate *g = &idt[v];

		memset(g, 0, sizeof(*g));
		g->off_lo = (uint16_t)off;
		g->sel = RT_SEL_CODE;
		g->type = 0x8E;		/* present, DPL 0, interrupt gate */
#ifdef __x86_64__
		g->off_mid = (uint16_t)(off >> 16);
		g->off_hi = (uint32_t)(off >> 32);
#else
		g->off_hi = (uint16_t)(off >> 16);
#endif
	}
	asm volatile("lidt %0" : : "m"(desc));
}

void rt_trap(struct rt_frame *f);
void rt_trap(struct rt_frame *f)
{
	rt_handler h = handlers[f->vector & 255];

	if (h) {
		h(f);
		return;
	}
	rt_printf("unexpected exception: vector %u error 0x%lx ip 0x%lx cr2 0x%lx\n",
		  (unsigned)f->vector, (unsigned long)f->err, (unsigned long)f->ip,
		  (unsigned long)read_cr2());
	rt_exit(RT_EXIT_TRAP);
}
