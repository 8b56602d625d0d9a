/*
 * long64: 64-bit mode basics. The start code entered long mode with 2 MiB
 * identity pages; here we check EFER.LME/LMA and the code selector, do
 * 64-bit arithmetic whose results are worked out by hand (a 64x64->128 MUL,
 * shifts, a division with a 64-bit remainder), add a higher-half 2 MiB alias
 * (PML4 entry 256) and a 4-level 4 KiB mapping, and check the aliases and
 * the Accessed/Dirty bits (Intel SDM vol. 3, 4.5 and 4.8).
 */
#include "rt.h"

extern uint64_t rt_pml4[];

static uint64_t pdpt_hi[512] __attribute__((aligned(4096)));
static uint64_t pd_hi[512] __attribute__((aligned(4096)));
static uint64_t pdpt_4k[512] __attribute__((aligned(4096)));
static uint64_t pd_4k[512] __attribute__((aligned(4096)));
static uint64_t pt_4k[512] __attribute__((aligned(4096)));
static uint64_t page[512] __attribute__((aligned(4096)));
static volatile uint64_t marker = 0x0123456789abcdefull;

/* The CPU, not C code, changes these; keep the compiler from assuming. */
static uint64_t peek(const uint64_t *p)
{
	return *(const volatile uint64_t *)p;
}

int guest_main(void)
{
	uint64_t efer = rdmsr(0xC0000080);
	uint16_t cs;
	uint64_t a = 0xffffffffffffffffull, hi, lo, q, r;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	rt_printf("long64: efer.lme=%u efer.lma=%u cs=0x%x\n",
		  (unsigned)(efer >> 8) & 1, (unsigned)(efer >> 10) & 1, cs);

	asm volatile("mulq %3" : "=a"(lo), "=d"(hi) : "a"(a), "r"(a));
	rt_printf("long64: ffffffffffffffff^2 = %016lx%016lx\n", hi, lo);
	asm volatile("divq %4" : "=a"(q), "=d"(r) : "a"(0x0123456789abcdefull), "d"(0ull),
		     "r"(0x100000000ull));
	rt_printf("long64: 0123456789abcdef / 2^32 = %lx rem %lx\n", q, r);
	asm volatile("shl $63, %0; sar $63, %0" : "=r"(q) : "0"(1ull));
	rt_printf("long64: (1 << 63) >> 63 arithmetic = %lx\n", q);

	/* 0xffff800000000000: PML4 256 -> PDPT 0 -> PD 0 -> 2 MiB page at 0. */
	pd_hi[0] = 0x83;
	pdpt_hi[0] = (uintptr_t)pd_hi | 3;
	rt_pml4[256] = (uintptr_t)pdpt_hi | 3;
	/* 0x0000008000005000: PML4 1 -> PDPT 0 -> PD 0 -> PT 5 -> page. */
	pt_4k[5] = (uintptr_t)page | 3;
	pd_4k[0] = (uintptr_t)pt_4k | 3;
	pdpt_4k[0] = (uintptr_t)pd_4k | 3;
	rt_pml4[1] = (uintptr_t)pdpt_4k | 3;
	write_cr3(read_cr3());

	uint64_t hv = *(volatile uint64_t *)(0xffff800000000000ull + (uintptr_t)&marker);
	rt_printf("long64: higher-half alias reads %lx\n", hv);
	*(volatile uint64_t *)0x8000005008ull = 0xfeedfacecafebeefull;
	rt_printf("long64: 4K page written at 0x8000005008 reads %lx\n", *(volatile uint64_t *)&page[1]);
	rt_printf("long64: pte accessed=%u dirty=%u, pde accessed=%u\n",
		  (unsigned)(peek(&pt_4k[5]) >> 5) & 1, (unsigned)(peek(&pt_4k[5]) >> 6) & 1,
		  (unsigned)(peek(&pd_4k[0]) >> 5) & 1);
	return RT_EXIT_OK;
}
