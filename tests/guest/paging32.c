/*
 * paging32: 32-bit paging without PAE (Intel SDM vol. 3, 4.3). Maps a 4 KiB
 * page table at 0xC0000000 and a 4 MiB PSE page at 0x80000000 and checks
 * what a kernel relies on: aliases see the same bytes, the CPU sets the
 * Accessed bit on any access and Dirty only on a write (4.8), INVLPG makes a
 * changed PTE visible, and with CR0.WP clear a supervisor write to a
 * read-only page is allowed.
 */
#include "rt.h"

#define PTE_P	0x001
#define PTE_W	0x002
#define PTE_A	0x020
#define PTE_D	0x040
#define PDE_PS	0x080

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));
static uint32_t page_a[1024] __attribute__((aligned(4096)));
static uint32_t page_b[1024] __attribute__((aligned(4096)));
static uint32_t page_ro[1024] __attribute__((aligned(4096)));
static volatile uint32_t marker = 0x5a5aa5a5;

/* The CPU, not C code, changes these; keep the compiler from assuming. */
static uint32_t peek(const uint32_t *p)
{
	return *(const volatile uint32_t *)p;
}

static void show(const char *what, uint32_t e)
{
	rt_printf("paging32: %s accessed=%u dirty=%u\n", what, !!(e & PTE_A), !!(e & PTE_D));
}

int guest_main(void)
{
	volatile uint32_t *va = (volatile uint32_t *)0xC0000000;
	volatile uint32_t *va_ro = (volatile uint32_t *)0xC0001000;

	page_b[4] = 0xcafebabe;
	page_ro[0] = 0x0000feed;
	pd[0] = 0 | PDE_PS | PTE_W | PTE_P;		/* identity 0-4 MiB: us */
	pd[0x80000000u >> 22] = 0 | PDE_PS | PTE_W | PTE_P;	/* alias of 0-4 MiB */
	pd[0xC0000000u >> 22] = (uint32_t)(uintptr_t)pt | PTE_W | PTE_P;
	pt[0] = (uint32_t)(uintptr_t)page_a | PTE_W | PTE_P;
	pt[1] = (uint32_t)(uintptr_t)page_ro | PTE_P;	/* read-only */
	pt[2] = (uint32_t)(uintptr_t)page_b | PTE_W | PTE_P;	/* never touched */
	write_cr4(read_cr4() | 0x10);			/* PSE */
	write_cr3((uintptr_t)pd);
	write_cr0((read_cr0() | 0x80000000u) & ~(1u << 16));	/* PG on, WP off */
	rt_printf("paging32: cr0.pg=%u\n", (unsigned)(read_cr0() >> 31));

	va[4] = 0x12345678;
	rt_printf("paging32: wrote 0x12345678 at 0xc0000010, page reads 0x%x\n", peek(&page_a[4]));
	show("written 4K page", peek(&pt[0]));
	rt_printf("paging32: read-only page reads 0x%x\n", va_ro[0]);
	show("read 4K page", peek(&pt[1]));
	show("untouched 4K page", peek(&pt[2]));

	uint32_t via_alias = *(volatile uint32_t *)(0x80000000u + (uintptr_t)&marker);
	rt_printf("paging32: 4M alias reads 0x%x\n", via_alias);
	show("read 4M page", peek(&pd[0x80000000u >> 22]));

	pt[0] = (uint32_t)(uintptr_t)page_b | PTE_W | PTE_P;
	invlpg(0xC0000000);
	rt_printf("paging32: after remap and invlpg 0xc0000010 reads 0x%x\n", va[4]);

	va_ro[0] = 0x0000beef;				/* allowed: CR0.WP = 0 */
	rt_printf("paging32: WP=0 write to read-only page: page reads 0x%x\n", peek(&page_ro[0]));
	show("written read-only page", peek(&pt[1]));
	return RT_EXIT_OK;
}
