/* The architectural power-on / INIT state of a vCPU (Intel SDM vol. 3,
 * table 9-1), shared by both backends and by machine reset. */
#include <string.h>

#include "cpu/cpu.h"

void vcpu_segment_flat(struct vcpu_segment *seg, uint16_t sel, uint8_t type, bool code64,
		       bool db)
{
	memset(seg, 0, sizeof(*seg));
	seg->base = 0;
	seg->limit = 0xFFFFFFFF;
	seg->selector = sel;
	seg->type = type;
	seg->s = 1;
	seg->present = 1;
	seg->l = code64;
	seg->db = code64 ? 0 : db;
	seg->g = 1;
}

static void real_segment(struct vcpu_segment *seg, uint16_t sel, uint64_t base, uint8_t type)
{
	memset(seg, 0, sizeof(*seg));
	seg->selector = sel;
	seg->base = base;
	seg->limit = 0xFFFF;
	seg->type = type;
	seg->s = 1;
	seg->present = 1;
}

void vcpu_state_reset(struct vcpu_state *s, unsigned index)
{
	memset(s, 0, sizeof(*s));
	s->rip = 0xFFF0;
	s->rflags = 0x2;
	/* EDX holds the processor signature: family 6, model 0x0F, stepping 1
	 * (matches CPUID leaf 1 of our model, cpu/cpuid.c). */
	s->regs[REG_RDX] = 0x000006F1;
	real_segment(&s->seg[SEG_CS], 0xF000, 0xFFFF0000, 0xB); /* code, exec/read, accessed */
	for (int i = 0; i < SEG_COUNT; i++)
		if (i != SEG_CS)
			real_segment(&s->seg[i], 0, 0, 0x3);     /* data, read/write, accessed */
	s->ldt.limit = 0xFFFF;
	s->ldt.type = 0x2;
	s->ldt.present = 1;
	s->tr.limit = 0xFFFF;
	s->tr.type = 0xB;                                        /* busy 32-bit TSS */
	s->tr.present = 1;
	s->gdt.limit = 0xFFFF;
	s->idt.limit = 0xFFFF;
	s->cr0 = 0x60000010;                                     /* CD NW ET */
	s->dr6 = 0xFFFF0FF0;
	s->dr7 = 0x400;
	s->xcr0 = 1;
	s->apic_base = 0xFEE00000 | (1 << 11) | (index == 0 ? (1 << 8) : 0);
	/* FXSAVE region: FCW 0x37F, MXCSR 0x1F80. */
	s->xsave[0] = 0x7F;
	s->xsave[1] = 0x03;
	s->xsave[24] = 0x80;
	s->xsave[25] = 0x1F;
	s->xsave[512] = 0x3;                                    /* XSTATE_BV: x87, SSE */
	s->msrs[0] = (struct vcpu_msr){ 0x277, 0x0007040600070406ULL };   /* IA32_PAT */
	s->nmsrs = 1;
	s->mp_state = index == 0 ? VCPU_MP_RUNNABLE : VCPU_MP_UNINITIALIZED;
}
