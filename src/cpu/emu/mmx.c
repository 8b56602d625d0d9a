/*
 * MMX: the 0F opcodes without a 66/F2/F3 prefix that work on MM0-7 (the
 * MMX set, and the MMX-register forms SSE and SSE2 added: PSHUFW, PINSRW,
 * PEXTRW, PMOVMSKB, PMINUB/PMAXUB/PMINSW/PMAXSW, PAVGB/PAVGW, PMULHUW,
 * PSADBW, MOVNTQ, MASKMOVQ, PADDQ/PSUBQ/PMULUDQ), and MOVQ2DQ/MOVDQ2Q.
 * and the conversions between MMX and XMM registers (CVTPI2PS/PD,
 * CVT(T)PS2PI, CVT(T)PD2PI: the host's SSE unit under the guest's MXCSR
 * with every exception masked; flags merged, #XM for unmasked ones).
 *
 * Design note — the register file: MMi is the low 64 bits of physical x87
 * register Ri (SDM Vol. 1 9.5). The FXSAVE image (cpu->fxsave) keeps the
 * x87 registers relative to TOP, so an MMX instruction first rotates the
 * image to TOP=0 (which every MMX instruction but EMMS sets), then finds
 * MMi in slot i; it marks every register valid, and a register it writes
 * gets 0xFFFF in bits 64-79. EMMS sets TOP=0 and marks them all empty. Faults (memory
 * operands) come before any of this. CR0.EM gives #UD, CR0.TS #NM, and a
 * pending unmasked x87 exception #MF, as for an x87 instruction.
 *
 * The arithmetic of the two-operand forms (mm, mm/m64) is the host's: a
 * 16-byte stub per opcode (movq mm0, [rdi]; op mm0, [rsi]; movq [rdi], mm0;
 * emms), the same reasoning as the x87 (x87.c). The shifts by an
 * immediate run the shift-by-register stub with the immediate as count.
 */
#include <stdbool.h>

#include "cpu/emu/emu.h"
#include "cpu/emu/x87.h"

__asm__(
	".pushsection .text\n"
	"	.balign 32\n"
	"	.globl nyx_mmx_stubs\n"
	"	.hidden nyx_mmx_stubs\n"
	"nyx_mmx_stubs:\n"
	"	.irp hi, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15\n"
	"	.irp lo, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15\n"
	"	.balign 32\n"
	"	endbr64\n"
	"	movq (%rdi), %mm0\n"
	"	.byte 0x0F, (\\hi << 4) | \\lo, 0x06\n"
	"	movq %mm0, (%rdi)\n"
	"	emms\n"
	"	ret\n"
	"	.endr\n"
	"	.endr\n"
	".popsection\n");

extern const char nyx_mmx_stubs[];

typedef void (*mmx_stub_fn)(uint64_t *d, const uint64_t *s);

/* Two-operand forms the host computes: opcode bytes 60-6B, 74-76, D1-D5,
 * D8-DF, E0-E5, E8-EF, F1-F6, F8-FE. */
static bool is_binary(unsigned lo)
{
	return (lo >= 0x60 && lo <= 0x6B) || (lo >= 0x74 && lo <= 0x76) ||
	       (lo >= 0xD1 && lo <= 0xD5) || (lo >= 0xD8 && lo <= 0xDF) ||
	       (lo >= 0xE0 && lo <= 0xE5) || (lo >= 0xE8 && lo <= 0xEF) ||
	       (lo >= 0xF1 && lo <= 0xF6) || (lo >= 0xF8 && lo <= 0xFE);
}

static bool is_mmx(unsigned lo)
{
	return is_binary(lo) || lo == 0x6E || lo == 0x6F || (lo >= 0x70 && lo <= 0x73) ||
	       lo == 0x77 || lo == 0x7E || lo == 0x7F || lo == 0xC4 || lo == 0xC5 ||
	       lo == 0xD7 || lo == 0xE7 || lo == 0xF7;
}

static uint64_t host_binary(unsigned lo, uint64_t d, uint64_t s)
{
	mmx_stub_fn fn = (mmx_stub_fn)(uintptr_t)(nyx_mmx_stubs + 32 * (lo - 0x60));
	fn(&d, &s);
	return d;
}

static uint64_t mm_get(struct emu_cpu *cpu, unsigned i)
{
	uint64_t v;
	memcpy(&v, cpu->fxsave + FX_ST + 16 * (i & 7), 8);
	return v;
}

static void mm_set(struct emu_cpu *cpu, unsigned i, uint64_t v)
{
	uint8_t *p = cpu->fxsave + FX_ST + 16 * (i & 7);
	memcpy(p, &v, 8);
	x87_put16(p + 8, 0xFFFF);
}

/* TOP=0 (the image rotated with it) and every register valid. */
static void mmx_state(struct emu_cpu *cpu)
{
	uint8_t *fx = cpu->fxsave;
	x87_set_top(fx, 0);
	fx[FX_FTW] = 0xFF;
}

/* The mm/m64 (or m32) source operand. */
static uint64_t src_mm(struct emu_cpu *cpu, struct emu_insn *in, unsigned size)
{
	if (in->mod == 3) {
		unsigned top = (x87_get16(cpu->fxsave + FX_FSW) >> 11) & 7;
		return mm_get(cpu, (in->rm - top) & 7);   /* before the rotation */
	}
	return emu_read(cpu, in->seg, emu_ea(cpu, in), size);
}

static uint64_t src_mm_reg(struct emu_cpu *cpu, unsigned r)
{
	unsigned top = (x87_get16(cpu->fxsave + FX_FSW) >> 11) & 7;
	return mm_get(cpu, (r - top) & 7);
}

/* F2/F3 0F D6: MOVDQ2Q mm, xmm / MOVQ2DQ xmm, mm (register forms only). */
static bool exec_xmm_mm(struct emu_cpu *cpu, struct emu_insn *in)
{
	if (in->mod != 3)
		emu_raise_noerr(cpu, EXC_UD);
	if (!(cpu->cr4 & CR4_OSFXSR))
		emu_raise_noerr(cpu, EXC_UD);
	emu_x87_mmx_enter(cpu);
	uint8_t *x = cpu->fxsave + 160;
	if (in->rep == 0xf2) {
		uint64_t v;
		memcpy(&v, x + 16 * (in->rm & 15), 8);
		mmx_state(cpu);
		mm_set(cpu, in->reg & 7, v);
	} else {
		uint64_t v = src_mm_reg(cpu, in->rm & 7), z = 0;
		mmx_state(cpu);
		memcpy(x + 16 * (in->reg & 15), &v, 8);
		memcpy(x + 16 * (in->reg & 15) + 8, &z, 8);
	}
	return true;
}

/* CVTPI2PS, CVTPI2PD, CVT(T)PS2PI, CVT(T)PD2PI on the host's SSE unit:
 * rdi = the destination (xmm: 16 bytes, mm: 8), rsi = the source (16-byte
 * aligned), rdx = MXCSR in (all exceptions masked) and out. The host's
 * own MXCSR is kept in the red zone and put back. */
__asm__(
	".pushsection .text\n"
	".macro NYX_CVT name, insn, to_mm\n"
	"	.balign 16\n"
	"\\name:\n"
	"	endbr64\n"
	"	stmxcsr -4(%rsp)\n"
	"	ldmxcsr (%rdx)\n"
	"	.if \\to_mm\n"
	"	\\insn (%rsi), %mm0\n"
	"	movq %mm0, (%rdi)\n"
	"	emms\n"
	"	.else\n"
	"	movdqu (%rdi), %xmm0\n"
	"	\\insn (%rsi), %xmm0\n"
	"	movdqu %xmm0, (%rdi)\n"
	"	.endif\n"
	"	stmxcsr (%rdx)\n"
	"	ldmxcsr -4(%rsp)\n"
	"	ret\n"
	".endm\n"
	"NYX_CVT nyx_cvtpi2ps, cvtpi2ps, 0\n"
	"NYX_CVT nyx_cvtpi2pd, cvtpi2pd, 0\n"
	"NYX_CVT nyx_cvttps2pi, cvttps2pi, 1\n"
	"NYX_CVT nyx_cvtps2pi, cvtps2pi, 1\n"
	"NYX_CVT nyx_cvttpd2pi, cvttpd2pi, 1\n"
	"NYX_CVT nyx_cvtpd2pi, cvtpd2pi, 1\n"
	".purgem NYX_CVT\n"
	".popsection\n");

typedef void (*cvt_fn)(void *dst, const void *src, uint32_t *mxcsr);
void nyx_cvtpi2ps(void *, const void *, uint32_t *);
void nyx_cvtpi2pd(void *, const void *, uint32_t *);
void nyx_cvttps2pi(void *, const void *, uint32_t *);
void nyx_cvtps2pi(void *, const void *, uint32_t *);
void nyx_cvttpd2pi(void *, const void *, uint32_t *);
void nyx_cvtpd2pi(void *, const void *, uint32_t *);

/* 0F 2A/2C/2D and 66 0F 2A/2C/2D: conversions between MMX and XMM. */
static bool exec_cvt_pi(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned lo = in->op & 0xff;
	bool pd = in->p66;
	if ((cpu->cr0 & CR0_EM) || !(cpu->cr4 & CR4_OSFXSR))
		emu_raise_noerr(cpu, EXC_UD);
	if (cpu->cr0 & CR0_TS)
		emu_raise_noerr(cpu, EXC_NM);
	uint8_t src[16] __attribute__((aligned(16))) = { 0 };
	uint8_t dst[16] __attribute__((aligned(16)));
	uint8_t *xmm = cpu->fxsave + 160;
	bool mm_src = lo == 0x2A && in->mod == 3, mm_dst = lo != 0x2A;
	/* An MMX register operand makes it an MMX instruction: pending #MF
	 * first, then the x87-to-MMX transition (SDM Vol. 2, CVTPI2PS). */
	if (mm_src || mm_dst)
		emu_x87_mmx_enter(cpu);
	if (lo == 0x2A) {
		uint64_t v = mm_src ? src_mm_reg(cpu, in->rm & 7) :
				      emu_read(cpu, in->seg, emu_ea(cpu, in), 8);
		memcpy(src, &v, 8);
		memcpy(dst, xmm + 16 * (in->reg & 15), 16);
	} else if (in->mod == 3) {
		memcpy(src, xmm + 16 * (in->rm & 15), 16);
	} else {
		uint64_t lin = emu_linear(cpu, in->seg, emu_ea(cpu, in), pd ? 16 : 8, ACC_READ);
		if (pd && (lin & 15))
			emu_raise(cpu, EXC_GP, 0);
		for (unsigned i = 0; i < (pd ? 16u : 8u); i += 8) {
			uint64_t v = emu_read_lin(cpu, lin + i, 8, ACC_READ);
			memcpy(src + i, &v, 8);
		}
	}
	uint32_t guest, m;
	memcpy(&guest, cpu->fxsave + FX_MXCSR, 4);
	m = (guest & ~0x3Fu) | 0x1F80;   /* every exception masked, no flags */
	static const cvt_fn fns[2][3] = {
		{ nyx_cvtpi2ps, nyx_cvttps2pi, nyx_cvtps2pi },
		{ nyx_cvtpi2pd, nyx_cvttpd2pi, nyx_cvtpd2pi },
	};
	fns[pd][lo == 0x2A ? 0 : lo - 0x2B](dst, src, &m);
	uint32_t raised = m & 0x3F;
	/* An unmasked invalid or denormal operand (detected before the
	 * computation) keeps the result flags out (SDM Vol. 1 11.5.2). */
	if (raised & ~(guest >> 7) & 0x3)
		raised &= 0x3;
	guest |= raised;
	memcpy(cpu->fxsave + FX_MXCSR, &guest, 4);
	/* The x87-to-MMX transition happens even when #XM follows. */
	if (mm_src || mm_dst)
		mmx_state(cpu);
	if (raised & ~(guest >> 7) & 0x3F)
		emu_raise(cpu, (cpu->cr4 & CR4_OSXMMEXCPT) ? EXC_XM : EXC_UD, 0);
	if (lo == 0x2A) {
		memcpy(xmm + 16 * (in->reg & 15), dst, 16);
	} else {
		uint64_t v;
		memcpy(&v, dst, 8);
		mm_set(cpu, in->reg & 7, v);
	}
	return true;
}

bool emu_exec_mmx(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op, lo = op & 0xff;
	if (op < 0x100 || op > 0x1ff)
		return false;
	if (lo == 0xD6 && (in->rep == 0xf2 || in->rep == 0xf3) && !in->p66)
		return exec_xmm_mm(cpu, in);
	if ((lo == 0x2A || lo == 0x2C || lo == 0x2D) && !in->rep)
		return exec_cvt_pi(cpu, in);
	if (in->p66 || in->rep || !is_mmx(lo))
		return false;
	emu_x87_mmx_enter(cpu);
	unsigned d = in->reg & 7;
	if (is_binary(lo)) {
		bool half = lo <= 0x62;   /* PUNPCKL*: m32 */
		uint64_t s = src_mm(cpu, in, half ? 4 : 8);
		uint64_t a = src_mm_reg(cpu, d);
		mmx_state(cpu);
		mm_set(cpu, d, host_binary(lo, a, s));
		return true;
	}
	switch (lo) {
	case 0x6E: {                                  /* MOVD/MOVQ mm, r/m */
		unsigned size = (in->rex & 8) ? 8 : 4;
		uint64_t v = emu_rm_read(cpu, in, size);
		mmx_state(cpu);
		mm_set(cpu, d, v);
		return true;
	}
	case 0x7E: {                                  /* MOVD/MOVQ r/m, mm */
		unsigned size = (in->rex & 8) ? 8 : 4;
		uint64_t v = src_mm_reg(cpu, d);
		if (in->mod != 3)
			emu_linear(cpu, in->seg, emu_ea(cpu, in), size, ACC_WRITE);
		emu_rm_write(cpu, in, size, v & emu_mask(size));
		mmx_state(cpu);
		return true;
	}
	case 0x6F: {                                  /* MOVQ mm, mm/m64 */
		uint64_t v = src_mm(cpu, in, 8);
		mmx_state(cpu);
		mm_set(cpu, d, v);
		return true;
	}
	case 0x7F: case 0xE7: {                       /* MOVQ mm/m64, mm; MOVNTQ */
		uint64_t v = src_mm_reg(cpu, d);
		if (in->mod == 3) {
			if (lo == 0xE7)
				emu_raise_noerr(cpu, EXC_UD);
			mmx_state(cpu);
			mm_set(cpu, in->rm & 7, v);
			return true;
		}
		emu_write(cpu, in->seg, emu_ea(cpu, in), 8, v);
		mmx_state(cpu);
		return true;
	}
	case 0x70: {                                  /* PSHUFW */
		uint64_t s = src_mm(cpu, in, 8), r = 0;
		for (unsigned k = 0; k < 4; k++)
			r |= ((s >> (16 * ((in->imm >> (2 * k)) & 3))) & 0xFFFF) << (16 * k);
		mmx_state(cpu);
		mm_set(cpu, d, r);
		return true;
	}
	case 0x71: case 0x72: case 0x73: {           /* shifts by imm8 */
		static const uint8_t by_reg[3][8] = {
			{ 0, 0, 0xD1, 0, 0xE1, 0, 0xF1, 0 },
			{ 0, 0, 0xD2, 0, 0xE2, 0, 0xF2, 0 },
			{ 0, 0, 0xD3, 0, 0, 0, 0xF3, 0 },
		};
		unsigned hop = by_reg[lo - 0x71][d];
		if (in->mod != 3 || !hop)
			emu_raise_noerr(cpu, EXC_UD);
		uint64_t a = src_mm_reg(cpu, in->rm & 7);
		mmx_state(cpu);
		mm_set(cpu, in->rm & 7, host_binary(hop, a, in->imm & 0xFF));
		return true;
	}
	case 0x77:                                    /* EMMS: TOP 0 too (SDM table 9-2) */
		x87_set_top(cpu->fxsave, 0);
		cpu->fxsave[FX_FTW] = 0;
		return true;
	case 0xC4: {                                  /* PINSRW mm, r32/m16, imm8 */
		uint64_t w = emu_rm_read(cpu, in, 2) & 0xFFFF;
		unsigned sh = 16 * (in->imm & 3);
		uint64_t a = src_mm_reg(cpu, d);
		mmx_state(cpu);
		mm_set(cpu, d, (a & ~(0xFFFFULL << sh)) | w << sh);
		return true;
	}
	case 0xC5: case 0xD7: {                       /* PEXTRW, PMOVMSKB r32, mm */
		if (in->mod != 3)
			emu_raise_noerr(cpu, EXC_UD);
		uint64_t s = src_mm_reg(cpu, in->rm & 7), v = 0;
		if (lo == 0xC5) {
			v = (s >> (16 * (in->imm & 3))) & 0xFFFF;
		} else {
			for (unsigned k = 0; k < 8; k++)
				v |= ((s >> (8 * k + 7)) & 1) << k;
		}
		emu_reg_set(cpu, in, in->reg, 8, v);
		mmx_state(cpu);
		return true;
	}
	case 0xF7: {                                  /* MASKMOVQ to DS:rDI */
		if (in->mod != 3)
			emu_raise_noerr(cpu, EXC_UD);
		uint64_t v = src_mm_reg(cpu, d), m = src_mm_reg(cpu, in->rm & 7);
		uint64_t ea = cpu->regs[REG_RDI] & emu_mask(in->addrsize);
		if (m & 0x8080808080808080ULL) {
			uint64_t lin = emu_linear(cpu, in->seg, ea, 8, ACC_WRITE);
			emu_translate_range(cpu, lin, 8, ACC_WRITE);
			for (unsigned k = 0; k < 8; k++)
				if ((m >> (8 * k + 7)) & 1)
					emu_write_lin(cpu, lin + k, 1, (v >> (8 * k)) & 0xFF);
		}
		mmx_state(cpu);
		return true;
	}
	default:
		emu_raise_noerr(cpu, EXC_UD);
	}
}
