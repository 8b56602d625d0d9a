/*
 * fpu64: x87 and SSE in 64-bit mode, with the CR0/CR4 bits an OS sets
 * (CR0.MP|NE, EM clear; CR4.OSFXSR|OSXMMEXCPT). Checks reset state after
 * FNINIT (FCW 0x037F, FSW 0) and MXCSR (0x1F80), x87 and SSE2 arithmetic
 * whose IEEE 754 results are given as bit patterns (computed independently
 * with Python's struct/math), FXSAVE/FXRSTOR, and the faults an OS relies
 * on: #NM with CR0.TS set (lazy FPU switching), #UD for SSE with
 * CR4.OSFXSR clear, #XM for an unmasked SIMD divide by zero (Intel SDM
 * vol. 1 ch. 8, 10, 11; vol. 3 ch. 6, 13).
 *
 * Built with -mgeneral-regs-only, so the compiler never touches XMM or x87
 * registers itself and the asm blocks need not (may not) list them.
 */
#include "rt.h"

static volatile uintptr_t fault_ip, resume_ip, got_vector, got_ip, nm_count;

#define ARM "lea 1f(%%rip), %%r11; mov %%r11, %[f]; lea 2f(%%rip), %%r11; mov %%r11, %[r]\n\t"
#define OUTS [f] "=m"(fault_ip), [r] "=m"(resume_ip)

static void on_fault(struct rt_frame *f)
{
	if (f->ip != fault_ip) {
		rt_printf("fpu64: unexpected exception %lu at ip 0x%lx\n",
			  (unsigned long)f->vector, (unsigned long)f->ip);
		rt_exit(RT_EXIT_TRAP);
	}
	got_vector = f->vector;
	got_ip = f->ip;
	f->ip = resume_ip;
}

/* #NM: clear CR0.TS and retry the instruction, as a lazy-FPU OS does. */
static void on_nm(struct rt_frame *f)
{
	nm_count++;
	got_vector = f->vector;
	got_ip = f->ip;
	asm volatile("clts");
}

static const char *where(void)
{
	return got_ip == fault_ip ? "fault" : got_ip == resume_ip ? "next" : "other";
}

static uint64_t bits(double d)
{
	uint64_t v;

	memcpy(&v, &d, 8);
	return v;
}

static uint8_t fxarea[512] __attribute__((aligned(16)));

int guest_main(void)
{
	uint16_t fcw, fsw;
	uint32_t mxcsr;
	int64_t i64;
	uint64_t r, one = bits(1.0), zero = 0, a = bits(1.5), b = bits(2.25);
	uint64_t three = bits(3.0), two = bits(2.0), m275 = bits(-2.75);

	rt_idt_init();
	rt_set_handler(6, on_fault);
	rt_set_handler(19, on_fault);
	rt_set_handler(7, on_nm);
	write_cr0((read_cr0() & ~4ul) | 2 | 32);	/* EM off, MP, NE */
	write_cr4(read_cr4() | 1u << 9 | 1u << 10);	/* OSFXSR, OSXMMEXCPT */

	fault_ip = 0;
	asm volatile("fninit; fnstcw %0; fnstsw %1" : "=m"(fcw), "=m"(fsw));
	asm volatile("stmxcsr %0" : "=m"(mxcsr));
	rt_printf("fpu64: after fninit fcw=0x%04x fsw=0x%04x, mxcsr=0x%x\n", fcw, fsw, mxcsr);

	int32_t x3 = 3, x4 = 4, x5 = 5, res;
	asm volatile("fildl %1; fildl %2; fmulp; fildl %3; faddp; fistpl %0"
		     : "=m"(res) : "m"(x3), "m"(x4), "m"(x5));
	rt_printf("fpu64: x87 3*4+5=%d\n", res);
	asm volatile("fldpi; fstpl %0" : "=m"(r));
	rt_printf("fpu64: x87 pi=%lx\n", r);
	asm volatile("fld1; fld1; faddp; fsqrt; fstpl %0" : "=m"(r));
	rt_printf("fpu64: x87 sqrt(2)=%lx\n", r);
	asm volatile("fnclex; fld1; fdivl %2; fstpl %0; fnstsw %1" : "=m"(r), "=m"(fsw) : "m"(zero));
	rt_printf("fpu64: x87 1/0=%lx fsw.ze=%u\n", r, (fsw >> 2) & 1);

	asm volatile("movsd %1, %%xmm0; addsd %2, %%xmm0; movsd %%xmm0, %0"
		     : "=m"(r) : "m"(a), "m"(b));
	rt_printf("fpu64: sse2 1.5+2.25=%lx\n", r);
	asm volatile("movsd %1, %%xmm0; mulsd %2, %%xmm0; movsd %%xmm0, %0"
		     : "=m"(r) : "m"(a), "m"(b));
	rt_printf("fpu64: sse2 1.5*2.25=%lx\n", r);
	asm volatile("movsd %1, %%xmm0; divsd %2, %%xmm0; movsd %%xmm0, %0"
		     : "=m"(r) : "m"(one), "m"(three));
	rt_printf("fpu64: sse2 1/3=%lx\n", r);
	asm volatile("sqrtsd %1, %%xmm1; movsd %%xmm1, %0" : "=m"(r) : "m"(two));
	rt_printf("fpu64: sse2 sqrt(2)=%lx\n", r);
	asm volatile("cvtsi2sdq %1, %%xmm2; movsd %%xmm2, %0" : "=m"(r) : "r"(-7ll));
	asm volatile("cvttsd2si %1, %0" : "=r"(i64) : "m"(m275));
	rt_printf("fpu64: sse2 cvtsi2sd(-7)=%lx cvttsd2si(-2.75)=%ld\n", r, i64);

	static const float fa[4] __attribute__((aligned(16))) = { 1, 2, 3, 4 };
	static const float fb[4] __attribute__((aligned(16))) = { 10, 20, 30, 40 };
	int32_t ints[4] __attribute__((aligned(16)));
	asm volatile("movaps %1, %%xmm3; addps %2, %%xmm3; cvttps2dq %%xmm3, %%xmm3; movdqa %%xmm3, %0"
		     : "=m"(ints) : "m"(fa), "m"(fb));
	rt_printf("fpu64: sse addps=%d %d %d %d\n", ints[0], ints[1], ints[2], ints[3]);
	uint64_t q[2] __attribute__((aligned(16))) = { 0xffffffffull, 0 };
	asm volatile("movdqa %0, %%xmm4; pmuludq %%xmm4, %%xmm4; pshufd $0x4e, %%xmm4, %%xmm5;"
		     "movdqa %%xmm5, %0" : "+m"(q) :);
	rt_printf("fpu64: sse2 pmuludq+pshufd hi=%lx lo=%lx\n", q[1], q[0]);

	asm volatile("divsd %0, %%xmm0" : : "m"(zero));	/* masked: sets ZE */
	asm volatile("stmxcsr %0" : "=m"(mxcsr));
	rt_printf("fpu64: masked sse 1/0 mxcsr=0x%x\n", mxcsr);

	uint64_t pat = 0x0123456789abcdefull, back;
	asm volatile("movq %1, %%xmm6; fxsave %0" : "=m"(fxarea) : "r"(pat));
	asm volatile("pxor %%xmm6, %%xmm6; fxrstor %1; movq %%xmm6, %0"
		     : "=r"(back) : "m"(fxarea));
	rt_printf("fpu64: fxsave/fxrstor xmm6=%lx fcw=0x%04x\n", back, *(uint16_t *)fxarea);

	write_cr0(read_cr0() | 8);			/* CR0.TS */
	got_vector = ~0ul;
	asm volatile(ARM "1: fld1; fstp %%st(0)\n2:" : OUTS : : "r11");
	rt_printf("fpu64: x87 with cr0.ts: vector=%lu ip=%s nm=%lu\n", got_vector, where(), nm_count);
	write_cr0(read_cr0() | 8);
	got_vector = ~0ul;
	asm volatile(ARM "1: addps %%xmm0, %%xmm0\n2:" : OUTS : : "r11");
	rt_printf("fpu64: sse with cr0.ts: vector=%lu ip=%s nm=%lu\n", got_vector, where(), nm_count);

	write_cr4(read_cr4() & ~(1ul << 9));
	got_vector = ~0ul;
	asm volatile(ARM "1: addps %%xmm0, %%xmm0\n2:" : OUTS : : "r11");
	rt_printf("fpu64: sse with cr4.osfxsr=0: vector=%lu ip=%s\n", got_vector, where());
	write_cr4(read_cr4() | 1u << 9);
	fault_ip = 0;

	uint32_t unmasked = 0x1f80 & ~(1u << 9);	/* ZM clear */
	asm volatile("ldmxcsr %0" : : "m"(unmasked));
	got_vector = ~0ul;
	asm volatile(ARM "movsd %[one], %%xmm0\n1: divsd %[zero], %%xmm0\n2:"
		     : OUTS : [one] "m"(one), [zero] "m"(zero) : "r11");
	rt_printf("fpu64: unmasked sse 1/0: vector=%lu ip=%s\n", got_vector, where());
	return RT_EXIT_OK;
}
