/*
 * The CPUID model shared by both backends: what a guest of Nyx is told
 * about its processor. The KVM backend intersects its feature leaves with
 * what the host supports; the emulator answers it as is, so every feature
 * advertised here is implemented by cpu/emu, and a feature cpu/emu lacks
 * is absent here (its instructions raise #UD there, as on a processor
 * without it).
 *
 * The model: an Intel-style family 6 / model 0x0F / stepping 1 processor
 * (signature 0x6F1, the same value vcpu_state_reset() puts in EDX), vendor
 * "GenuineIntel", hypervisor signature "NyxNyxNyxNyx" at 0x40000000,
 * 40 physical and 48 linear address bits. Topology: one package of
 * vcpu_count cores, one thread each, APIC ID = vCPU index; leaves 1 (HTT,
 * addressable IDs), 4 (cores per package, cache sharing) and 0xB (x2APIC
 * ID, SMT and core levels) all say so.
 *
 * Advertised (and where the emulator implements it):
 *   leaf 1 EDX: FPU (emu/x87.c: every x87 instruction, #MF with CR0.NE,
 *     FERR#/IRQ 13 without, hw/pc/ferr.c) TSC MSR PAE CX8 APIC SEP MTRR PGE CMOV PAT PSE PSE36
 *     CLFSH MMX (emu/mmx.c, with the SSE/SSE2 MMX-register forms) FXSR SSE
 *     SSE2 DE, HTT with more than one vCPU.
 *     MTRR, PAT: registers only, reserved values #GP (emu/msr.c).
 *   leaf 1 ECX: SSE3 (emu/sse_ext.c, sse_fp.c; FISTTP in x87.c), SSSE3
 *     (sse_ext.c, XMM and MMX forms), SSE4.1 (sse_41.c, sse_fp.c), SSE4.2
 *     (sse_42.c), CX16 (CMPXCHG16B, exec.c), MOVBE, POPCNT (alu.c),
 *     XSAVE (emu/xsave.c: XGETBV, XSETBV, XSAVE, XRSTOR for XCR0 bits 0
 *     and 1, leaf 0xD; OSXSAVE is CR4.OSXSAVE, set by the emulator),
 *     PCID (below), TSC-deadline (the LAPIC timer, hw/intc/lapic.c, and
 *     IA32_TSC_DEADLINE in emu/msr.c), hypervisor.
 *   leaf 7.0 EBX: FSGSBASE (RD/WR FS/GS BASE with CR4.FSGSBASE), BMI1
 *     and BMI2 (VEX-encoded, emu/bmi.c; every other VEX form #UD), SMEP,
 *     SMAP (with STAC/CLAC and EFLAGS.AC; implicit supervisor accesses at
 *     CPL 3 always refused; emu/mmu.c), INVPCID (emu/system.c), and bit
 *     13, FCS/FDS deprecated: FXSAVE without REX.W, FNSTENV and FNSAVE
 *     store the x87 CS and DS selectors as 0 (the emulator keeps none).
 *   leaf 7.0 ECX: UMIP (SGDT SIDT SLDT SMSW STR #GP above CPL 0), RDPID.
 *   leaf 0x80000001: LAHF/SAHF in 64-bit mode, ABM (LZCNT; TZCNT is
 *     BMI1's); SYSCALL NX 1-GiB pages RDTSCP LM.
 *   leaf 0x80000007: invariant TSC (the TSC is the machine's guest clock).
 *   leaves 2, 4, 0x80000006: caches (32 KiB L1d and L1i, 1 MiB L2 per
 *     core, 16 MiB L3 shared): descriptive only.
 * PCID: CR4.PCIDE, the PCID in CR3[11:0] and CR3 bit 63 (no flush) are
 * architectural; the emulator's TLB is not tagged, so every CR3 load
 * drops non-global translations (the SDM allows invalidating more than
 * asked). The emulator also reports the TSC and LAPIC clock in leaves
 * 0x15/0x16 (emu/system.c).
 * SSE/SSE2 (emu/sse.c, sse_fp.c) are complete, MXCSR included.
 *
 * Deliberately absent: VME, MCE/MCA (no banks),
 *   AVX and every XSAVE component past SSE, XSAVEOPT/XSAVEC/XSAVES,
 *   x2APIC, MONITOR/MWAIT (the instructions #UD; HLT is the idle
 *   path), RDRAND/RDSEED, ERMS/FSRM,
 *   ADX, performance counters (leaf 0xA zero, RDPMC #GP), thermal and
 *   power (leaf 6 zero).
 * Leaves above the maximum, and leaves 3, 5, 6, 8-0xA, 0xC, return zeros.
 */
#include <string.h>

#include "cpu/cpu.h"

#define CPUID_SIGNATURE 0x000006F1u
#define CPUID_MAX_BASIC 0xDu
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
#define F1_EDX_MMX (1u << 23)
#define F1_EDX_FXSR (1u << 24)
#define F1_EDX_SSE (1u << 25)
#define F1_EDX_SSE2 (1u << 26)
#define F1_EDX_HTT (1u << 28)
#define F1_ECX_SSE3 (1u << 0)
#define F1_ECX_SSSE3 (1u << 9)
#define F1_ECX_SSE41 (1u << 19)
#define F1_ECX_SSE42 (1u << 20)
#define F1_ECX_CX16 (1u << 13)
#define F1_ECX_PCID (1u << 17)
#define F1_ECX_MOVBE (1u << 22)
#define F1_ECX_POPCNT (1u << 23)
#define F1_ECX_XSAVE (1u << 26)
#define F1_ECX_TSC_DEADLINE (1u << 24)
#define F1_ECX_HYPERVISOR (1u << 31)

#define F7_EBX_FSGSBASE (1u << 0)
#define F7_EBX_BMI1 (1u << 3)
#define F7_EBX_SMEP (1u << 7)
#define F7_EBX_BMI2 (1u << 8)
#define F7_EBX_INVPCID (1u << 10)
#define F7_EBX_ZERO_FCS_FDS (1u << 13)
#define F7_EBX_SMAP (1u << 20)
#define F7_ECX_UMIP (1u << 2)
#define F7_ECX_RDPID (1u << 22)

#define E1_ECX_LAHF (1u << 0)
#define E1_ECX_ABM (1u << 5)
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

/* Leaf 4 (SDM Vol. 2, CPUID, table 3-8): one subleaf per cache. */
struct cache_desc {
	uint8_t type, level;      /* type 1 data, 2 instruction, 3 unified */
	bool shared;              /* by every core of the package */
	uint16_t ways;
	uint32_t sets;
};

static const struct cache_desc caches[] = {
	{ 1, 1, false, 8, 64 },       /* L1d 32 KiB */
	{ 2, 1, false, 8, 64 },       /* L1i 32 KiB */
	{ 3, 2, false, 16, 1024 },    /* L2 1 MiB */
	{ 3, 3, true, 16, 16384 },    /* L3 16 MiB */
};

static void cache_leaf(unsigned vcpu_count, uint32_t subleaf, struct cpuid_regs *out)
{
	if (subleaf >= sizeof(caches) / sizeof(caches[0]))
		return;   /* type 0: no more caches */
	const struct cache_desc *c = &caches[subleaf];
	uint32_t ids = (1u << bits_for(vcpu_count)) - 1;   /* APIC IDs in the package - 1 */
	if (ids > 63)
		ids = 63;
	out->eax = c->type | (uint32_t)c->level << 5 | 1u << 8 /* self-initialising */ |
		   (c->shared ? ids : 0) << 14 | ids << 26;
	out->ebx = (uint32_t)(c->ways - 1) << 22 | 63;    /* one partition, 64-byte lines */
	out->ecx = c->sets - 1;
	out->edx = c->level == 3 ? 1u << 1 : 0;           /* L3 inclusive */
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
			   F1_EDX_MMX | F1_EDX_FXSR | F1_EDX_SSE | F1_EDX_SSE2;
		if (vcpu_count > 1) {
			/* Addressable logical processor IDs in the package: the
			 * power of two leaf 0xB's core level shifts by. */
			unsigned ids = 1u << bits_for(vcpu_count);
			out->edx |= F1_EDX_HTT;
			out->ebx |= (ids > 255 ? 255 : ids) << 16;
		}
		out->ecx = F1_ECX_SSE3 | F1_ECX_SSSE3 | F1_ECX_SSE41 | F1_ECX_SSE42 |
			   F1_ECX_CX16 | F1_ECX_PCID | F1_ECX_MOVBE | F1_ECX_POPCNT |
			   F1_ECX_TSC_DEADLINE | F1_ECX_XSAVE | F1_ECX_HYPERVISOR;
		return;
	case 2:
		out->eax = 1;      /* one iteration */
		out->ebx = 0xff;   /* descriptor FF: cache parameters are in leaf 4 */
		return;
	case 4:
		cache_leaf(vcpu_count, subleaf, out);
		return;
	case 7:
		if (subleaf == 0) {
			out->ebx = F7_EBX_FSGSBASE | F7_EBX_BMI1 | F7_EBX_SMEP | F7_EBX_BMI2 |
				   F7_EBX_INVPCID | F7_EBX_ZERO_FCS_FDS | F7_EBX_SMAP;
			out->ecx = F7_ECX_UMIP | F7_ECX_RDPID;
		}
		return;
	case 0xd:
		/* XSAVE: x87 and SSE only, the 512-byte legacy region and the
		 * 64-byte header, standard format; subleaf 1 (XSAVEOPT, XSAVEC,
		 * XGETBV with ECX = 1, XSAVES) all clear. */
		if (subleaf == 0) {
			out->eax = 3;       /* XCR0 bits that may be set */
			out->ebx = 576;     /* area size for the XCR0 in force */
			out->ecx = 576;     /* ... and for every supported bit */
		}
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
		out->ecx = E1_ECX_LAHF | E1_ECX_ABM;
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
	case 0x80000006:
		out->ecx = 1024u << 16 | 8u << 12 | 64;   /* L2: 1 MiB, 16-way, 64-byte lines */
		return;
	case 0x80000007:
		out->edx = 1u << 8;   /* invariant TSC */
		return;
	case 0x80000008:
		out->eax = 40 | (48 << 8);
		return;
	default:
		return;   /* leaves 3, 5, 6, 8-0xA (power, perfmon): nothing to report */
	}
}
