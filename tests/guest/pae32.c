/*
 * pae32: 32-bit PAE paging (Intel SDM vol. 3, 4.4), the mode 32-bit Linux
 * and Windows use: CR4.PAE with a 4-entry PDPT, 64-bit entries, 2 MiB
 * pages in the page directory and 4 KiB pages in page tables. Checks a 4K
 * alias at 0xC0000000, a 2 MiB alias at 0x80000000, the Accessed/Dirty
 * bits (4.8; the unused PTE names memory above 4 GiB and is never touched),
 * and INVLPG after a remap.
 */
#include "rt.h"

#define P	0x001ull
#define W	0x002ull
#define A	0x020ull
#define D	0x040ull
#define PS	0x080ull

static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pd_low[512] __attribute__((aligned(4096)));	/* 0-1 GiB */
static uint64_t pd_2g[512] __attribute__((aligned(4096)));	/* 2-3 GiB */
static uint64_t pd_3g[512] __attribute__((aligned(4096)));	/* 3-4 GiB */
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint32_t page_a[1024] __attribute__((aligned(4096)));
static uint32_t page_b[1024] __attribute__((aligned(4096)));
static volatile uint32_t marker = 0x9ae0f00d;

static uint64_t peek(const uint64_t *p)
{
	return *(const volatile uint64_t *)p;
}

static void show(const char *what, uint64_t e)
{
	rt_printf("pae32: %s accessed=%u dirty=%u\n", what, (unsigned)!!(e & A),
		  (unsigned)!!(e & D));
}

int guest_main(void)
{
	volatile uint32_t *va = (volatile uint32_t *)0xC0000000;

	for (unsigned i = 0; i < 512; i++)
		pd_low[i] = (uint64_t)i << 21 | PS | W | P;
	pd_2g[0] = 0 | PS | W | P;				/* 0x80000000 -> 0 */
	pd_3g[0] = (uintptr_t)pt | W | P;			/* 0xC0000000 */
	pt[0] = (uintptr_t)page_a | W | P;
	pt[1] = (uintptr_t)page_b | P;
	pt[2] = 0x123456000ull | W | P;				/* above 4 GiB, not accessed */
	pdpt[0] = (uintptr_t)pd_low | P;			/* PDPTEs: no R/W bit */
	pdpt[2] = (uintptr_t)pd_2g | P;
	pdpt[3] = (uintptr_t)pd_3g | P;
	page_b[4] = 0xcafebabe;

	write_cr4(read_cr4() | 0x20);				/* PAE */
	write_cr3((uintptr_t)pdpt);
	write_cr0(read_cr0() | 0x80000000u);
	rt_printf("pae32: cr0.pg=%u cr4.pae=%u\n", (unsigned)(read_cr0() >> 31),
		  (unsigned)(read_cr4() >> 5) & 1);

	va[4] = 0x87654321;
	rt_printf("pae32: wrote 0x87654321 at 0xc0000010, page reads 0x%x\n",
		  *(volatile uint32_t *)&page_a[4]);
	show("written 4K page", peek(&pt[0]));
	rt_printf("pae32: 0xc0001010 reads 0x%x\n", va[0x404]);
	show("read 4K page", peek(&pt[1]));
	show("unused 4K page", peek(&pt[2]));

	uint32_t v = *(volatile uint32_t *)(0x80000000u + (uintptr_t)&marker);
	rt_printf("pae32: 2M alias reads 0x%x\n", v);
	show("read 2M page", peek(&pd_2g[0]));

	pt[0] = (uintptr_t)page_b | W | P;
	invlpg(0xC0000000);
	rt_printf("pae32: after remap and invlpg 0xc0000010 reads 0x%x\n", va[4]);
	return RT_EXIT_OK;
}
