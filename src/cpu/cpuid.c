/*
 * The CPUID model shared by both backends: what a guest of Nyx is told
 * about its processor. The KVM backend intersects it with what the host
 * supports; the emulator answers it as is, so every feature advertised
 * here must be implemented by cpu/emu (or listed below as stage-2 work).
 *
 * The model: an Intel-style family 6 / model 0x0F / stepping 1 processor
 * (signature 0x6F1, the same value vcpu_state_reset() puts in EDX), vendor
 * "GenuineIntel", hypervisor signature "NyxNyxNyxNyx" at 0x40000000,
 * 40 physical and 48 linear address bits.
 *
 * Advertised and implemented by the emulator:
 *   leaf 1 EDX: FPU (control subset, see below) TSC MSR PAE CX8 APIC SEP
 *     MTRR PGE CMOV PAT PSE PSE36 CLFSH, HTT with more than one vCPU
 *   leaf 1 ECX: hypervisor
 *   leaf 0x80000001: LAHF/SAHF in 64-bit mode; SYSCALL NX 1-GiB pages
 *     RDTSCP LM
 *   leaf 0x80000007: invariant TSC (the TSC is the machine's guest clock)
 * Advertised because x86-64 Linux requires them, partly stage-2 work:
 *   FXSR (FXSAVE/FXRSTOR done), SSE and SSE2 (cpu/emu/sse.c: moves, packed
 *   integer and logic, common float arithmetic, compares and conversions;
 *   MXCSR exception flags and #XM; no rounding-mode control yet), and the
 *   x87 FPU (cpu/emu/x87.c: loads, stores, constants, basic arithmetic,
 *   FSQRT, FCOMI, control words; transcendental, BCD and environment
 *   instructions and #MF raise #UD / are not delivered yet).
 * Deliberately absent: VME, MCE/MCA, MMX, SSE3+, x2APIC, TSC-deadline,
 *   XSAVE, SMEP/SMAP, FSGSBASE, PCID, performance counters.
 * Leaves above the maximum return zeros.
 */
#include <string.h>

#include "cpu/cpu.h"

#define CPUID_SIGNATURE 0x000006F1u
#define CPUID_MAX_BASIC 0xBu
#define CPUID_MAX_EXT 0x80000008u

#define F1_EDX_FPU (1u << 0)
#define F1_EDX_DE (1u << 2)
#define F1_EDX_PSE (1u << 3)
#define F1_EDX_TSC (1u << 4)
#define F1_EDX_MSR (1u << 5)
#define F1_EDX_PAE (1u << 6)
#define F1_EDX_CX8 (1u << 8)
#define F1_EDX_APIC (1u << 9)
#define F1_EDX_SEP (1u << 11)
#define F1_EDX_MTRR (1u << 12)
#define F1_EDX_PGE (1u << 13)
#define F1_EDX_CMOV (1u << 15)
#define F1_EDX_PAT (1u << 16)
#define F1_EDX_PSE36 (1u << 17)
#define F1_EDX_CLFSH (1u << 19)
#define F1_EDX_FXSR (1u << 24)
#define F1_EDX_SSE (1u << 25)
#define F1_EDX_SSE2 (1u << 26)
#define F1_EDX_HTT (1u << 28)
#define F1_ECX_HYPERVISOR (1u << 31)

#define E1_ECX_LAHF (1u << 0)
#define E1_EDX_SYSCALL (1u << 11)
#define E1_EDX_NX (1u << 20)
#define E1_EDX_PDPE1GB (1u << 26)
#define E1_EDX_RDTSCP (1u << 27)
#define E1_EDX_LM (1u << 29)

static uint32_t str4(const char *s)
{
	uint32_t v;
	memcpy(&v, s, 4);
	return v;
}

static unsigned bits_for(unsigned n)
{
	unsigned b = 0;
	while ((1u << b) < n)
		b++;
	return b;
}

void cpuid_model(unsigned vcpu_index, unsigned vcpu_count, uint32_t leaf, uint32_t subleaf,
		 struct cpuid_regs *out)
{
	static const char brand[48] = "Nyx emulated x86-64 processor";
	memset(out, 0, sizeof(*out));
	if (!vcpu_count)
		vcpu_count = 1;
	switch (leaf) {
	case 0:
		out->eax = CPUID_MAX_BASIC;
		out->ebx = str4("Genu");
		out->edx = str4("ineI");
		out->ecx = str4("ntel");
		return;
	case 1:
		out->eax = CPUID_SIGNATURE;
		out->ebx = (vcpu_index << 24) | (8u << 8);   /* APIC ID, CLFLUSH 64 bytes */
		out->edx = F1_EDX_FPU | F1_EDX_DE | F1_EDX_PSE | F1_EDX_TSC | F1_EDX_MSR |
			   F1_EDX_PAE | F1_EDX_CX8 | F1_EDX_APIC | F1_EDX_SEP | F1_EDX_MTRR |
			   F1_EDX_PGE | F1_EDX_CMOV | F1_EDX_PAT | F1_EDX_PSE36 | F1_EDX_CLFSH |
			   F1_EDX_FXSR | F1_EDX_SSE | F1_EDX_SSE2;
		if (vcpu_count > 1) {
			out->edx |= F1_EDX_HTT;
			out->ebx |= (vcpu_count > 255 ? 255 : vcpu_count) << 16;
		}
		out->ecx = F1_ECX_HYPERVISOR;
		return;
	case 2:
		out->eax = 1;   /* one iteration, no cache descriptors (see leaf 4) */
		return;
	case 0xb: {
		/* Topology: one thread per core, vcpu_count cores in one package. */
		out->edx = vcpu_index;
		out->ecx = subleaf & 0xff;
		if (subleaf == 0) {
			out->eax = 0;
			out->ebx = 1;
			out->ecx |= 1u << 8;   /* SMT level */
		} else if (subleaf == 1) {
			out->eax = bits_for(vcpu_count);
			out->ebx = vcpu_count;
			out->ecx |= 2u << 8;   /* core level */
		}
		return;
	}
	case 0x40000000:
		out->eax = 0x40000000;
		out->ebx = str4("NyxN");
		out->ecx = str4("yxNy");
		out->edx = str4("xNyx");
		return;
	case 0x80000000:
		out->eax = CPUID_MAX_EXT;
		return;
	case 0x80000001:
		out->ecx = E1_ECX_LAHF;
		out->edx = E1_EDX_SYSCALL | E1_EDX_NX | E1_EDX_PDPE1GB | E1_EDX_RDTSCP | E1_EDX_LM;
		return;
	case 0x80000002: case 0x80000003: case 0x80000004: {
		const char *p = brand + (leaf - 0x80000002) * 16;
		out->eax = str4(p);
		out->ebx = str4(p + 4);
		out->ecx = str4(p + 8);
		out->edx = str4(p + 12);
		return;
	}
	case 0x80000007:
		out->edx = 1u << 8;   /* invariant TSC */
		return;
	case 0x80000008:
		out->eax = 40 | (48 << 8);
		return;
	default:
		return;   /* leaves 3-0xA (cache, power, perfmon) and 7: nothing to report */
	}
}
