/*
 * bench guest alu: a register-only loop of exactly 8 instructions per
 * iteration, "n=N" iterations, so (time with N - time with 0) gives guest
 * instructions per second for any backend, QEMU's TCG included.
 */
#include "rt.h"

int guest_main(void)
{
	unsigned long n = rt_cmdline_num("n", 0);
	uint32_t a = 1, b = 2, c = 3;

	if (n)
		asm volatile("1:\n\t"
			     "addl %1, %0\n\t"
			     "xorl %0, %2\n\t"
			     "leal 3(%1,%2), %1\n\t"
			     "shll $1, %2\n\t"
			     "subl %2, %0\n\t"
			     "andl $0x7fffffff, %1\n\t"
			     "decl %3\n\t"
			     "jnz 1b"
			     : "+r"(a), "+r"(b), "+r"(c), "+r"(n));
	rt_printf("alu: %x %x %x\n", a, b, c);
	return RT_EXIT_OK;
}
