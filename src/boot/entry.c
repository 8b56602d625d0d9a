/*
 * CPU state at a direct-boot entry point: the GDT and identity page tables
 * the loaders put into guest memory, and the BSP's vcpu_state.
 *
 * 32-bit entries (multiboot, PVH, Linux without XLF_KERNEL_64): CR0 = PE|ET,
 * paging off, CS = __BOOT_CS (flat 32-bit code), DS/ES/FS/GS/SS = __BOOT_DS
 * (flat data), TR a 32-bit TSS with base 0 and limit 0x67, EFLAGS = 2
 * (interrupts off). This satisfies the multiboot 0.6.96 machine state, the
 * PVH start state and Linux's 32-bit boot protocol at once.
 *
 * 64-bit entry (Linux XLF_KERNEL_64): the same with CS a 64-bit code
 * segment, CR0 = PE|ET|NE|PG, CR4 = PAE, EFER = LME|LMA and CR3 pointing at
 * an identity map of [0, 4 GiB) in 2 MiB pages (1 PML4, 1 PDPT, 4 PDs), so
 * the kernel image, the zero page and the command line are all mapped.
 *
 * The IDT limit is 0: an exception before the kernel installs its own IDT
 * triple-faults at once instead of running from a garbage table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/loader.h"
#include "core/machine.h"

#define CR0_PE (1ULL << 0)
#define CR0_ET (1ULL << 4)
#define CR0_NE (1ULL << 5)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

#define SEG_TYPE_CODE_RX_ACC 0xB
#define SEG_TYPE_DATA_RW_ACC 0x3
#define SEG_TYPE_TSS32_BUSY 0xB

/* GDT descriptors: base 0, limit 0xFFFFF pages, present, DPL 0. */
#define GDT_CODE32 0x00CF9B000000FFFFULL   /* G D P S type B */
#define GDT_CODE64 0x00AF9B000000FFFFULL   /* G L P S type B */
#define GDT_DATA 0x00CF93000000FFFFULL     /* G B P S type 3 */

#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_PS 0x80ULL

int boot_gdt_write(struct boot_ctx *c, struct boot_area *a, bool code64, uint64_t *gdt)
{
	uint64_t desc[4] = { 0, 0, code64 ? GDT_CODE64 : GDT_CODE32, GDT_DATA };
	uint8_t buf[sizeof(desc)];

	for (unsigned i = 0; i < 4; i++)
		for (unsigned b = 0; b < 8; b++)
			buf[i * 8 + b] = (uint8_t)(desc[i] >> (8 * b));
	*gdt = boot_area_alloc(c, a, sizeof(buf), 16, "GDT");
	if (!*gdt)
		return -ENOSPC;
	return boot_write(c, "GDT", *gdt, buf, sizeof(buf));
}

int boot_pagetables_write(struct boot_ctx *c, struct boot_area *a, uint64_t *pml4)
{
	enum { PAGES = 6 };                /* PML4, PDPT, 4 page directories */
	uint8_t *buf = calloc(PAGES, BOOT_PAGE);
	uint64_t base;
	int rc;

	if (!buf)
		return boot_fail(c, -ENOMEM, "out of memory building page tables");
	base = boot_area_alloc(c, a, PAGES * BOOT_PAGE, BOOT_PAGE, "page tables");
	if (!base) {
		free(buf);
		return -ENOSPC;
	}
	uint64_t *t = (uint64_t *)buf;     /* host is little endian like the guest */
	t[0] = (base + BOOT_PAGE) | PTE_P | PTE_RW;
	for (unsigned i = 0; i < 4; i++) {
		t[512 + i] = (base + (2 + i) * BOOT_PAGE) | PTE_P | PTE_RW;
		for (unsigned j = 0; j < 512; j++)
			t[(2 + i) * 512 + j] = ((uint64_t)(i * 512 + j) << 21) | PTE_P | PTE_RW | PTE_PS;
	}
	rc = boot_write(c, "page tables", base, buf, PAGES * BOOT_PAGE);
	free(buf);
	if (!rc)
		*pml4 = base;
	return rc;
}

static struct vcpu_state *entry_state_new(struct boot_ctx *c, uint64_t gdt, bool code64)
{
	size_t size = (sizeof(struct vcpu_state) + 63) & ~(size_t)63;
	struct vcpu_state *s = aligned_alloc(64, size);

	if (!s) {
		boot_fail(c, -ENOMEM, "out of memory for the boot vCPU state");
		return NULL;
	}
	vcpu_state_reset(s, 0);
	for (unsigned i = 0; i < SEG_COUNT; i++)
		vcpu_segment_flat(&s->seg[i], BOOT_SEL_DS, SEG_TYPE_DATA_RW_ACC, false, true);
	vcpu_segment_flat(&s->seg[SEG_CS], BOOT_SEL_CS, SEG_TYPE_CODE_RX_ACC, code64, true);
	s->regs[REG_RDX] = 0;
	s->tr = (struct vcpu_segment){ .limit = 0x67, .type = SEG_TYPE_TSS32_BUSY, .present = 1 };
	s->gdt = (struct vcpu_dtable){ .base = gdt, .limit = 4 * 8 - 1 };
	s->idt = (struct vcpu_dtable){ .base = 0, .limit = 0 };
	s->rflags = 0x2;
	return s;
}

struct vcpu_state *boot_state_prot32(struct boot_ctx *c, uint64_t gdt, uint32_t entry)
{
	struct vcpu_state *s = entry_state_new(c, gdt, false);

	if (!s)
		return NULL;
	s->cr0 = CR0_PE | CR0_ET;
	s->rip = entry;
	return s;
}

struct vcpu_state *boot_state_long64(struct boot_ctx *c, uint64_t gdt, uint64_t cr3,
				     uint64_t entry)
{
	struct vcpu_state *s = entry_state_new(c, gdt, true);

	if (!s)
		return NULL;
	s->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	s->cr3 = cr3;
	s->cr4 = CR4_PAE;
	s->efer = EFER_LME | EFER_LMA;
	s->rip = entry;
	return s;
}
