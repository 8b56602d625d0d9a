/*
 * smp64: starts the application processors the way an OS does (Intel SDM
 * vol. 3, 8.4.4: INIT IPI, then two STARTUP IPIs through the local APIC's
 * ICR at 0xFEE00300/310) and counts them. The runner passes the vCPU count
 * as "cpus=N" on the command line; APIC IDs are 0 (the BSP) .. N-1.
 *
 * The APs run a trampoline copied to 0x8000 (SIPI vector 0x08): real mode ->
 * flat 32-bit protected mode, read their APIC ID from the local APIC, then
 * LOCK INC a counter, LOCK BTS their ID into a bitmap, note whether their
 * IA32_APIC_BASE claims BSP, and halt with interrupts off. The BSP waits
 * for N-1 check-ins (a missing AP shows up as the runner's timeout).
 */
#include "rt.h"

#define LAPIC		0xFEE00000u
#define LAPIC_ID	(LAPIC + 0x20)
#define LAPIC_SVR	(LAPIC + 0xF0)
#define LAPIC_ICR_LO	(LAPIC + 0x300)
#define LAPIC_ICR_HI	(LAPIC + 0x310)

#define TRAMP		0x8000u
#define TRAMP_COUNT	(TRAMP + 0xFF0)	/* APs checked in */
#define TRAMP_BITMAP	(TRAMP + 0xFF4)	/* bit n: APIC ID n checked in */
#define TRAMP_BSPFLAG	(TRAMP + 0xFF8)	/* APs whose APIC_BASE.BSP is set */

extern char smp_tramp[], smp_tramp_end[];

/* Offsets are relative to smp_tramp and rebased to 0x8000 by hand, so the
 * code runs after copying; DS = 0 makes them linear addresses. */
asm(".pushsection .text\n"
    ".code16\n"
    "smp_tramp:\n"
    "	cli\n"
    "	xorw %ax, %ax\n"
    "	movw %ax, %ds\n"
    "	lgdtl 0x8000 + (tramp_gdtr - smp_tramp)\n"
    "	movl %cr0, %eax\n"
    "	orl $1, %eax\n"
    "	movl %eax, %cr0\n"
    "	ljmpl $0x08, $0x8000 + (tramp_pm - smp_tramp)\n"
    ".code32\n"
    "tramp_pm:\n"
    "	movw $0x10, %ax\n"
    "	movw %ax, %ds\n"
    "	movw %ax, %ss\n"
    "	movl 0xFEE00020, %eax\n"
    "	shrl $24, %eax\n"
    "	lock incl 0x8FF0\n"
    "	lock btsl %eax, 0x8FF4\n"
    "	movl $0x1B, %ecx\n"
    "	rdmsr\n"
    "	testl $0x100, %eax\n"
    "	jz 1f\n"
    "	lock incl 0x8FF8\n"
    "1:	cli\n"
    "	hlt\n"
    "	jmp 1b\n"
    "	.align 8\n"
    "tramp_gdt:\n"
    "	.quad 0\n"
    "	.quad 0x00cf9a000000ffff\n"
    "	.quad 0x00cf92000000ffff\n"
    "tramp_gdtr:\n"
    "	.word 23\n"
    "	.long 0x8000 + (tramp_gdt - smp_tramp)\n"
    "smp_tramp_end:\n"
    ".code64\n"
    ".popsection\n");

static void icr_send(unsigned apic_id, uint32_t lo)
{
	mmio_write32(LAPIC_ICR_HI, apic_id << 24);
	mmio_write32(LAPIC_ICR_LO, lo);
	while (mmio_read32(LAPIC_ICR_LO) & (1u << 12))	/* delivery pending */
		asm volatile("pause");
}

/* Virtual hardware needs no 10 ms / 200 us waits; keep a token pause. */
static void settle(void)
{
	for (int i = 0; i < 1000; i++)
		asm volatile("pause");
}

int guest_main(void)
{
	unsigned n = (unsigned)rt_cmdline_num("cpus", 0);
	volatile uint32_t *count = (volatile uint32_t *)(uintptr_t)TRAMP_COUNT;
	volatile uint32_t *bitmap = (volatile uint32_t *)(uintptr_t)TRAMP_BITMAP;
	volatile uint32_t *bspflag = (volatile uint32_t *)(uintptr_t)TRAMP_BSPFLAG;
	uint64_t apic_base = rdmsr(0x1B);

	if (n < 1 || n > 32)
		rt_fail("cmdline \"%s\" has no cpus=N (1..32)", rt_cmdline());
	rt_printf("smp64: cpus=%u\n", n);
	rt_printf("smp64: bsp apic_id=%u bsp_flag=%u base=0x%lx\n",
		  mmio_read32(LAPIC_ID) >> 24, (unsigned)(apic_base >> 8) & 1,
		  (unsigned long)(apic_base & ~0xFFFull));

	memcpy((void *)(uintptr_t)TRAMP, smp_tramp, smp_tramp_end - smp_tramp);
	*count = *bitmap = *bspflag = 0;
	mmio_write32(LAPIC_SVR, 0x1FF);
	for (unsigned id = 1; id < n; id++) {
		icr_send(id, 0x00004500);		/* INIT, assert */
		settle();
		icr_send(id, 0x00004600 | TRAMP >> 12);	/* STARTUP */
		settle();
		icr_send(id, 0x00004600 | TRAMP >> 12);
	}
	while (*count < n - 1)
		asm volatile("pause");
	settle();
	rt_printf("smp64: aps started=%u\n", *count);
	rt_puts("smp64: ap ids:");
	for (unsigned id = 0; id < 32; id++)
		if (*bitmap & (1u << id))
			rt_printf(" %u", id);
	rt_printf("\nsmp64: aps claiming bsp=%u\n", *bspflag);
	return RT_EXIT_OK;
}
