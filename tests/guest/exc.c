/*
 * exc32 / exc64: raises #DE, #UD, #GP and #PF on purpose (softint32 /
 * softint64, built with SOFTINT: #BP from INT3 and two INT n instead) and
 * prints what the handler saw: the vector, the error code for vectors that
 * push one, CR2 for #PF, and whether the saved IP points at the
 * faulting instruction ("fault") or after it ("next"). Expected values come
 * from the Intel SDM vol. 3, chapter 6 (exception classes, error codes) and
 * 4.7 (page-fault error code bits: P=1, W/R=2, U/S=4, RSVD=8, I/D=16).
 *
 * Each trigger is an asm block that records the addresses of its faulting
 * instruction (label 1) and of the instruction after it (label 2); the
 * handler resumes at label 2.
 */
#include "rt.h"

#ifdef SOFTINT
#define KIND "softint"
#else
#define KIND "exc"
#endif

static volatile uintptr_t fault_ip, resume_ip;
static volatile uintptr_t got_vector, got_err, got_ip, got_cr2;

#ifdef __x86_64__
#define MODE KIND "64"
#define ARM "lea 1f(%%rip), %%r11; mov %%r11, %[f]; lea 2f(%%rip), %%r11; mov %%r11, %[r]\n\t"
#define ARM_CLOBBER "r11"
#else
#define MODE KIND "32"
#define ARM "movl $1f, %[f]; movl $2f, %[r]\n\t"
#define ARM_CLOBBER "memory"
#endif
#define OUTS [f] "=m"(fault_ip), [r] "=m"(resume_ip)

static void on_exception(struct rt_frame *f)
{
	got_vector = f->vector;
	got_err = f->err;
	got_ip = f->ip;
	got_cr2 = read_cr2();
	f->ip = resume_ip;
}

static void expect_start(void)
{
	got_vector = ~(uintptr_t)0;
	got_ip = got_err = got_cr2 = 0;
}

static void report(const char *what)
{
	if (got_vector == ~(uintptr_t)0) {
		rt_printf(MODE ": %s: no exception\n", what);
		return;
	}
	rt_printf(MODE ": %s: vector=%u", what, (unsigned)got_vector);
	if (rt_has_error_code((int)got_vector))
		rt_printf(" err=0x%lx", (unsigned long)got_err);
	if (got_vector == 14)
		rt_printf(" cr2=0x%lx", (unsigned long)got_cr2);
	if (got_ip == fault_ip)
		rt_printf(" ip=fault\n");
	else if (got_ip == resume_ip)
		rt_printf(" ip=next\n");
	else
		rt_printf(" ip=0x%lx (fault 0x%lx)\n", (unsigned long)got_ip,
			  (unsigned long)fault_ip);
}

#ifdef SOFTINT
/* Software interrupts: traps, so the saved IP is the next instruction. */
static void test_common(void)
{
	expect_start();
	asm volatile(ARM "1: int3\n2:" : OUTS : : ARM_CLOBBER);
	report("#BP int3");

	expect_start();
	asm volatile(ARM "1: int $0x40\n2:" : OUTS : : ARM_CLOBBER);
	report("int $0x40");

	expect_start();
	asm volatile(ARM "1: int $0x80\n2:" : OUTS : : ARM_CLOBBER);
	report("int $0x80");
}

static void test_paging(void)
{
}
#else
static void test_common(void)
{
	expect_start();
	asm volatile(ARM "xor %%edx, %%edx; mov $1, %%eax; xor %%ecx, %%ecx\n"
		     "1: divl %%ecx\n2:" : OUTS : : "eax", "ecx", "edx", ARM_CLOBBER);
	report("#DE divide by zero");

	expect_start();
#ifdef __x86_64__
	asm volatile(ARM "mov $0x8000000000000000, %%rax; cqo; mov $-1, %%rcx\n"
		     "1: idivq %%rcx\n2:" : OUTS : : "rax", "rcx", "rdx", ARM_CLOBBER);
#else
	asm volatile(ARM "mov $0x80000000, %%eax; cltd; mov $-1, %%ecx\n"
		     "1: idivl %%ecx\n2:" : OUTS : : "eax", "ecx", "edx", ARM_CLOBBER);
#endif
	report("#DE quotient overflow");

	expect_start();
	asm volatile(ARM "1: ud2\n2:" : OUTS : : ARM_CLOBBER);
	report("#UD ud2");

	/* Selector 0x1238 (index 0x247) lies past our 7-entry GDT. */
	expect_start();
	asm volatile(ARM "mov $0x1238, %%ax\n1: mov %%ax, %%ds\n2:" : OUTS : : "eax", ARM_CLOBBER);
	report("#GP selector past GDT limit");
}

#ifdef __x86_64__
extern uint64_t rt_pd[];

static void test_paging(void)
{
	/* rt_pd maps 0-4 GiB with 2 MiB pages; PD entry 2 covers 4-6 MiB. */
	expect_start();
	asm volatile(ARM "mov $0x0000800000000000, %%rax\n1: mov (%%rax), %%rax\n2:"
		     : OUTS : : "rax", ARM_CLOBBER);
	report("#GP non-canonical address");

	expect_start();
	asm volatile(ARM "mov $0x100000123, %%rax\n1: mov (%%rax), %%rax\n2:"
		     : OUTS : : "rax", ARM_CLOBBER);
	report("#PF read not present");

	expect_start();
	asm volatile(ARM "mov $0x100000456, %%rax\n1: movl $1, (%%rax)\n2:"
		     : OUTS : : "rax", ARM_CLOBBER);
	report("#PF write not present");

	rt_pd[2] &= ~2ull;			/* 4-6 MiB read-only */
	invlpg(0x400000);
	write_cr0(read_cr0() | (1u << 16));	/* CR0.WP: supervisor honours R/W */
	expect_start();
	asm volatile(ARM "mov $0x500010, %%rax\n1: movl $1, (%%rax)\n2:"
		     : OUTS : : "rax", ARM_CLOBBER);
	report("#PF write read-only");

	uint32_t a, b, c, d;
	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000001u), "c"(0));
	if (!(d & (1u << 20))) {
		rt_printf(MODE ": #PF fetch no-execute: NX not in CPUID\n");
		return;
	}
	wrmsr(0xC0000080, rdmsr(0xC0000080) | (1u << 11));	/* EFER.NXE */
	*(volatile uint8_t *)0x600000 = 0xc3;			/* ret, never run */
	rt_pd[3] |= 1ull << 63;					/* 6-8 MiB no-execute */
	invlpg(0x600000);
	expect_start();
	asm volatile(ARM "mov $0x600000, %%rax\n1: jmp *%%rax\n2:" : OUTS : : "rax", ARM_CLOBBER);
	fault_ip = 0x600000;			/* the fetch faults at the target */
	report("#PF fetch no-execute");
}
#else
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));

static void test_paging(void)
{
	/* A 32-bit segment limit is still checked: FS limit 0xfff. */
	expect_start();
	asm volatile(ARM "mov %[sel], %%ax; mov %%ax, %%fs\n1: mov %%fs:0x2000, %%eax\n2:"
		     "mov %[flat], %%ax; mov %%ax, %%fs"
		     : OUTS : [sel] "i"(RT_SEL_SMALL), [flat] "i"(RT_SEL_DATA) : "eax", ARM_CLOBBER);
	report("#GP segment limit");

	/* 4 MiB pages identity-map 4 GiB, except: 4-8 MiB through a page
	 * table whose page at 5 MiB is read-only, and 1-1.004 GiB absent. */
	for (unsigned i = 0; i < 1024; i++)
		pd[i] = i << 22 | 0x83;		/* present, writable, 4 MiB */
	for (unsigned i = 0; i < 1024; i++)
		pt[i] = (0x400000 + (i << 12)) | (i == 0x100 ? 0x1 : 0x3);
	pd[1] = (uint32_t)(uintptr_t)pt | 0x3;
	pd[0x40000000 >> 22] = 0;
	write_cr4(read_cr4() | 0x10);		/* CR4.PSE */
	write_cr3((uintptr_t)pd);
	write_cr0(read_cr0() | 0x80000000u | (1u << 16));	/* PG, WP */

	expect_start();
	asm volatile(ARM "mov $0x40000123, %%eax\n1: mov (%%eax), %%eax\n2:"
		     : OUTS : : "eax", ARM_CLOBBER);
	report("#PF read not present");

	expect_start();
	asm volatile(ARM "mov $0x40000456, %%eax\n1: movl $1, (%%eax)\n2:"
		     : OUTS : : "eax", ARM_CLOBBER);
	report("#PF write not present");

	expect_start();
	asm volatile(ARM "mov $0x500010, %%eax\n1: movl $1, (%%eax)\n2:"
		     : OUTS : : "eax", ARM_CLOBBER);
	report("#PF write read-only");
}
#endif

#endif /* SOFTINT */

int guest_main(void)
{
	rt_idt_init();
	for (int v = 0; v < 256; v++)
		if (v < 32 || v == 0x40 || v == 0x80)
			rt_set_handler(v, on_exception);
	test_common();
	test_paging();
	rt_printf(MODE ": done\n");
	return RT_EXIT_OK;
}
