/*
 * The XSAVE feature set for the two state components the emulator has,
 * x87 (XCR0 bit 0) and SSE (bit 1): XGETBV, XSETBV, and XSAVE/XRSTOR in
 * the standard format, with and without REX.W. CPUID leaf 0xD describes
 * the 576-byte area (cpu/cpuid.c); XSAVEOPT, XSAVEC, XSAVES and XGETBV
 * with ECX = 1 are not advertised (#UD, #GP).
 *
 * Design note — the area (SDM Vol. 1, 13.4 to 13.8): the legacy region is
 * the FXSAVE image (x87 in bytes 0-23 and 32-159, SSE in 24-31 and
 * 160-415, XMM8-15 only in 64-bit mode; 416-511 never written), then the
 * 64-byte header at 512: XSTATE_BV, XCOMP_BV (0: the compacted form is
 * not supported), reserved bytes. XSAVE writes component i when RFBM[i]
 * (RFBM = EDX:EAX & XCR0), MXCSR when RFBM[1], and XSTATE_BV[i] = XINUSE[i]
 * for i in RFBM, keeping the header's other bits. XRSTOR checks the header
 * (XSTATE_BV within XCR0, bytes 8-23 zero; 24-63 are not looked at, as on
 * the CPU: tests/diff "xsave") and the MXCSR it would load,
 * then for i in RFBM loads component i if XSTATE_BV[i] or else puts it in
 * its initial configuration; MXCSR is loaded whenever RFBM[1].
 * XINUSE is not tracked instruction by instruction: a component is in use
 * unless its registers hold the initial configuration (x87: FCW 037FH,
 * everything else 0 and all registers empty; SSE: XMM all zero), which
 * the SDM allows (XINUSE[i] = 0 only in the initial configuration).
 */
#include <string.h>

#include "cpu/emu/sse_priv.h"
#include "cpu/emu/x87.h"

#define XCR0_SUPPORTED 3ULL
#define XSAVE_HDR 512
#define XSAVE_SIZE 576

static void xsave_check(struct emu_cpu *cpu, struct emu_insn *in)
{
	if (!(cpu->cr4 & CR4_OSXSAVE) || in->lock)
		emu_raise(cpu, EXC_UD, 0);
}

void emu_xgetbv(struct emu_cpu *cpu, struct emu_insn *in)
{
	xsave_check(cpu, in);
	if ((uint32_t)cpu->regs[REG_RCX] != 0)
		emu_raise(cpu, EXC_GP, 0);
	cpu->regs[REG_RAX] = (uint32_t)cpu->xcr0;
	cpu->regs[REG_RDX] = cpu->xcr0 >> 32;
}

void emu_xsetbv(struct emu_cpu *cpu, struct emu_insn *in)
{
	xsave_check(cpu, in);
	uint64_t v = (cpu->regs[REG_RDX] << 32) | (uint32_t)cpu->regs[REG_RAX];
	if (cpu->cpl || (uint32_t)cpu->regs[REG_RCX] != 0 || !(v & 1) ||
	    (v & ~XCR0_SUPPORTED))
		emu_raise(cpu, EXC_GP, 0);
	cpu->xcr0 = v;
}

static bool x87_in_use(const uint8_t *fx)
{
	static const uint8_t init[24] = { 0x7f, 0x03 };
	if (memcmp(fx, init, 24))
		return true;
	for (unsigned i = 0; i < 8; i++)
		for (unsigned b = 0; b < 10; b++)
			if (fx[32 + 16 * i + b])
				return true;
	return false;
}

static bool sse_in_use(const struct emu_cpu *cpu)
{
	unsigned n = cpu->code64 ? 16 : 8;
	for (unsigned i = 0; i < 16 * n; i++)
		if (cpu->fxsave[160 + i])
			return true;
	return false;
}

/* The x87 pointer fields in the 32-bit format (FIP[31:0], FCS = 0,
 * FDP[31:0], FDS = 0) or whole (REX.W), as FXSAVE stores them. */
static void put_x87(struct emu_cpu *cpu, uint64_t lin, bool wide)
{
	uint8_t b[160];
	memcpy(b, cpu->fxsave, 160);
	if (!wide) {
		memset(b + 12, 0, 4);
		memset(b + 20, 0, 4);
	}
	for (unsigned i = 0; i < 24; i += 8)
		emu_write_lin(cpu, lin + i, 8, *(uint64_t *)(b + i));
	for (unsigned i = 32; i < 160; i += 8)
		emu_write_lin(cpu, lin + i, 8, *(uint64_t *)(b + i));
}

void emu_xsave(struct emu_cpu *cpu, struct emu_insn *in, bool restore)
{
	xsave_check(cpu, in);
	if (cpu->cr0 & CR0_TS)
		emu_raise(cpu, EXC_NM, 0);
	bool wide = cpu->code64 && (in->rex & 8);
	uint64_t lin = emu_linear(cpu, in->seg, emu_ea(cpu, in), XSAVE_SIZE,
				  restore ? ACC_READ : ACC_WRITE);
	if (lin & 63)
		emu_raise(cpu, EXC_GP, 0);
	uint64_t rfbm = ((cpu->regs[REG_RDX] << 32) | (uint32_t)cpu->regs[REG_RAX]) & cpu->xcr0;
	unsigned nxmm = cpu->code64 ? 16 : 8;
	uint8_t *fx = cpu->fxsave;
	if (!restore) {
		emu_translate_range(cpu, lin, XSAVE_SIZE, ACC_WRITE);
		uint64_t bv = emu_read_lin(cpu, lin + XSAVE_HDR, 8, ACC_WRITE);
		uint64_t inuse = (x87_in_use(fx) ? 1 : 0) | (sse_in_use(cpu) ? 2 : 0);
		if (rfbm & 1)
			put_x87(cpu, lin, wide);
		if (rfbm & 2) {
			uint32_t mask = MXCSR_MASK;
			memcpy(fx + 28, &mask, 4);
			emu_write_lin(cpu, lin + 24, 8, *(uint64_t *)(fx + 24));
			for (unsigned i = 0; i < 16 * nxmm; i += 8)
				emu_write_lin(cpu, lin + 160 + i, 8, *(uint64_t *)(fx + 160 + i));
		}
		emu_write_lin(cpu, lin + XSAVE_HDR, 8, (bv & ~rfbm) | (inuse & rfbm));
		return;
	}
	uint64_t hdr[3];
	for (unsigned i = 0; i < 3; i++)
		hdr[i] = emu_read_lin(cpu, lin + XSAVE_HDR + 8 * i, 8, ACC_READ);
	uint64_t bv = hdr[0];
	if (bv & ~cpu->xcr0)
		emu_raise(cpu, EXC_GP, 0);
	if (hdr[1] || hdr[2])   /* XCOMP_BV and the next 8 bytes; 24-63 are not checked */
		emu_raise(cpu, EXC_GP, 0);
	uint32_t mxcsr = 0;
	if (rfbm & 2) {
		mxcsr = (uint32_t)emu_read_lin(cpu, lin + 24, 4, ACC_READ);
		if (mxcsr & ~MXCSR_MASK)
			emu_raise(cpu, EXC_GP, 0);
	}
	/* Everything read before anything changes. */
	uint8_t img[416];
	for (unsigned i = 0; i < 160 + 16 * nxmm; i += 8) {
		uint64_t v = emu_read_lin(cpu, lin + i, 8, ACC_READ);
		memcpy(img + i, &v, 8);
	}
	if (rfbm & 1) {
		if (!(bv & 1)) {   /* the initial configuration */
			memset(img, 0, 24);
			img[0] = 0x7f;
			img[1] = 0x03;
			memset(img + 32, 0, 128);
		}
		x87_load_image(cpu, img, wide);
	}
	if (rfbm & 2) {
		memcpy(fx + 24, &mxcsr, 4);
		if (bv & 2)
			memcpy(fx + 160, img + 160, 16 * nxmm);
		else
			memset(fx + 160, 0, 16 * nxmm);
	}
}
