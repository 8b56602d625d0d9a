/*
 * What the SSE files of the emulator share (sse.c: register file, moves,
 * packed integer; sse_fp.c: floating point under MXCSR): the XMM register
 * view, operand fetch and the MXCSR bits.
 */
#ifndef NYX_CPU_EMU_SSE_PRIV_H
#define NYX_CPU_EMU_SSE_PRIV_H

#include "cpu/emu/emu.h"

typedef union {
	uint8_t b[16];
	uint16_t w[8];
	uint32_t d[4];
	uint64_t q[2];
	int8_t sb[16];
	int16_t sw[8];
	int32_t sd[4];
	int64_t sq[2];
	float f[4];
	double g[2];
} xmm_t;

/* MXCSR (SDM Vol. 1, 10.2.3): flags IE DE ZE OE UE PE in bits 0-5, DAZ 6,
 * masks 7-12, RC 13-14, FTZ 15; bits 16-31 reserved (#GP when set). */
#define MXCSR_IE 0x01u
#define MXCSR_DE 0x02u
#define MXCSR_ZE 0x04u
#define MXCSR_OE 0x08u
#define MXCSR_UE 0x10u
#define MXCSR_PE 0x20u
#define MXCSR_FLAGS 0x3fu
#define MXCSR_DAZ 0x40u
#define MXCSR_MASKS 0x1f80u
#define MXCSR_FTZ 0x8000u
#define MXCSR_MASK 0xffffu   /* writable bits, as FXSAVE reports them */

static inline xmm_t *sse_xreg(struct emu_cpu *cpu, unsigned n)
{
	return (xmm_t *)(void *)(cpu->fxsave + 160 + 16 * (n & 15));
}

static inline uint32_t sse_mxcsr(struct emu_cpu *cpu)
{
	uint32_t m;
	memcpy(&m, cpu->fxsave + 24, 4);
	return m;
}

static inline void sse_set_mxcsr(struct emu_cpu *cpu, uint32_t m)
{
	memcpy(cpu->fxsave + 24, &m, 4);
}

/* Source operand: XMM rm or `size` bytes of memory (zero extended);
 * `aligned` 16-byte operands raise #GP when misaligned. */
void sse_get_src(struct emu_cpu *cpu, struct emu_insn *in, xmm_t *v, unsigned size, bool aligned);

/* sse_fp.c: the float instructions of the 0F map (arithmetic 51 58-5F,
 * compares C2 2E 2F, conversions 2A 2C 2D 5A 5B E6, SSE3 7C 7D D0; and
 * 0F 3A 08-0B 40 41, the SSE4.1 ROUND and DP). */
void sse_exec_fp(struct emu_cpu *cpu, struct emu_insn *in);

/* sse_ext.c: SSE3 moves, the 0F 38 / 0F 3A maps (SSSE3 on); false for an
 * opcode that is not its own. */
bool sse_exec_ext(struct emu_cpu *cpu, struct emu_insn *in);

/* sse_41.c: SSE4.1/4.2 in the 0F 38 / 0F 3A maps; false for another opcode. */
bool sse_exec_41(struct emu_cpu *cpu, struct emu_insn *in);

/* sse_42.c: PCMPxSTRx (false for another opcode) and CRC32, which is not
 * an SSE instruction (no CR0/CR4 checks). */
bool sse_exec_42(struct emu_cpu *cpu, struct emu_insn *in);
void sse_exec_crc32(struct emu_cpu *cpu, struct emu_insn *in);

#endif
