/*
 * SSE4.2 string and CRC instructions of the emulator: PCMPESTRI,
 * PCMPESTRM, PCMPISTRI, PCMPISTRM (66 0F 3A 60-63) and CRC32 (F2 0F 38
 * F0/F1). PCMPGTQ, the remaining SSE4.2 instruction, is in sse_41.c.
 *
 * Design note: the string compares (SDM Vol. 2, 4.1, "Imm8 Control Byte
 * Operation for PCMPESTRI / PCMPESTRM / PCMPISTRI / PCMPISTRM") work on
 * n = 16 bytes or 8 words of reg1 (the XMM register operand) and reg2
 * (XMM or unaligned m128), each valid up to its length: explicit (|EAX|
 * and |EDX|, RAX/RDX with REX.W, saturated to n) or implicit (up to the
 * first zero element). imm8 chooses
 *   [1:0] the element: unsigned bytes, unsigned words, signed bytes,
 *         signed words;
 *   [3:2] the aggregation, giving IntRes1 bit j for reg2 element j:
 *         equal any (reg2[j] is some reg1[i]), ranges (reg1[2k] <=
 *         reg2[j] <= reg1[2k+1] for some k), equal each (reg1[j] ==
 *         reg2[j]), equal ordered (reg1 occurs in reg2 from j on);
 *         invalid elements compare false, except that two invalid ones
 *         are equal in equal each, and an invalid reg1 element matches
 *         anything in equal ordered;
 *   [5:4] the polarity: IntRes2 = IntRes1, its complement, or (11) its
 *         complement on the valid reg2 elements only;
 *   [6]   the output: STRI writes ECX = the lowest (0) or highest (1) set
 *         bit of IntRes2, n when none; STRM writes XMM0 = IntRes2 as bits
 *         (0) or expanded to element masks (1).
 * Flags: CF = IntRes2 != 0, ZF = reg2 shorter than n, SF = reg1 shorter
 * than n, OF = IntRes2 bit 0, AF = PF = 0.
 */
#include "cpu/emu/sse_priv.h"

/* Element i of v: n = 16 bytes or 8 words, signed or not. */
static int32_t elem(const xmm_t *v, unsigned i, unsigned fmt)
{
	switch (fmt & 3) {
	case 0: return v->b[i];
	case 1: return v->w[i];
	case 2: return v->sb[i];
	default: return v->sw[i];
	}
}

static unsigned implicit_len(const xmm_t *v, unsigned n, unsigned fmt)
{
	for (unsigned i = 0; i < n; i++)
		if (!elem(v, i, fmt))
			return i;
	return n;
}

static unsigned explicit_len(uint64_t r, bool w, unsigned n)
{
	int64_t v = w ? (int64_t)r : (int64_t)(int32_t)r;
	uint64_t a = v < 0 ? -(uint64_t)v : (uint64_t)v;
	return a > n ? n : (unsigned)a;
}

static unsigned aggregate(const xmm_t *a, const xmm_t *b, unsigned la, unsigned lb, unsigned n,
			  unsigned imm)
{
	unsigned fmt = imm & 3, res = 0;
	for (unsigned j = 0; j < n; j++) {
		bool bit = false;
		switch ((imm >> 2) & 3) {
		case 0:   /* equal any */
			for (unsigned i = 0; i < la && j < lb && !bit; i++)
				bit = elem(a, i, fmt) == elem(b, j, fmt);
			break;
		case 1:   /* ranges */
			for (unsigned i = 0; i + 1 < la && j < lb && !bit; i += 2)
				bit = elem(a, i, fmt) <= elem(b, j, fmt) &&
				      elem(b, j, fmt) <= elem(a, i + 1, fmt);
			break;
		case 2:   /* equal each */
			if (j >= la && j >= lb)
				bit = true;
			else if (j < la && j < lb)
				bit = elem(a, j, fmt) == elem(b, j, fmt);
			break;
		default:  /* equal ordered */
			bit = true;
			for (unsigned k = 0; k < n - j && bit; k++) {
				if (k >= la)
					break;
				if (j + k >= lb)
					bit = false;
				else
					bit = elem(a, k, fmt) == elem(b, j + k, fmt);
			}
			break;
		}
		res |= (unsigned)bit << j;
	}
	return res;
}

static void exec_pcmpstr(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op3, imm = in->imm & 0xff;
	unsigned n = (imm & 1) ? 8 : 16, all = (1u << n) - 1;
	const xmm_t *a = sse_xreg(cpu, in->reg);
	xmm_t b;
	sse_get_src(cpu, in, &b, 16, false);
	unsigned la, lb;
	if (op < 0x62) {   /* explicit lengths */
		la = explicit_len(cpu->regs[REG_RAX], in->rex & 8, n);
		lb = explicit_len(cpu->regs[REG_RDX], in->rex & 8, n);
	} else {
		la = implicit_len(a, n, imm);
		lb = implicit_len(&b, n, imm);
	}
	unsigned r = aggregate(a, &b, la, lb, n, imm);
	switch ((imm >> 4) & 3) {
	case 1: r = ~r & all; break;
	case 3: r ^= (1u << lb) - 1; break;
	default: break;
	}
	if (op & 1) {      /* PCMPxSTRI */
		unsigned idx = n;
		if (r)
			idx = (imm & 0x40) ? 31 - (unsigned)__builtin_clz(r) : (unsigned)__builtin_ctz(r);
		cpu->regs[REG_RCX] = idx;
	} else {           /* PCMPxSTRM */
		xmm_t *x0 = sse_xreg(cpu, 0), m;
		memset(&m, 0, sizeof(m));
		if (!(imm & 0x40))
			m.w[0] = (uint16_t)r;
		else if (n == 16)
			for (unsigned i = 0; i < 16; i++)
				m.b[i] = (r >> i) & 1 ? 0xff : 0;
		else
			for (unsigned i = 0; i < 8; i++)
				m.w[i] = (r >> i) & 1 ? 0xffff : 0;
		*x0 = m;
	}
	uint64_t fl = emu_get_flags(cpu) & ~(uint64_t)FL_ARITH;
	if (r)
		fl |= FL_CF;
	if (lb < n)
		fl |= FL_ZF;
	if (la < n)
		fl |= FL_SF;
	if (r & 1)
		fl |= FL_OF;
	emu_set_flags(cpu, fl);
}

/* CRC32 F2 [66|REX.W] 0F 38 F0 (r/m8) / F1 (r/m16/32/64): CRC-32C
 * (Castagnoli, polynomial 0x1EDC6F41, bit-reflected) of the source bytes
 * in memory order, continued from the destination's low 32 bits; the
 * result is zero-extended into r32/r64. */
void sse_exec_crc32(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = in->op3 == 0xf0 ? 1 : (in->rex & 8) ? 8 : in->p66 ? 2 : 4;
	uint64_t v = emu_rm_read(cpu, in, size);
	uint32_t crc = (uint32_t)cpu->regs[in->reg & 15];
	for (unsigned i = 0; i < size; i++) {
		crc ^= (uint8_t)(v >> (8 * i));
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
	}
	emu_reg_set(cpu, in, in->reg, (in->rex & 8) ? 8 : 4, crc);
}

bool sse_exec_42(struct emu_cpu *cpu, struct emu_insn *in)
{
	if (in->op != 0x13a || in->op3 < 0x60 || in->op3 > 0x63)
		return false;
	if (!in->p66 || in->rep)
		emu_raise(cpu, EXC_UD, 0);
	exec_pcmpstr(cpu, in);
	return true;
}
