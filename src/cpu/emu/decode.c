/*
 * x86 instruction decoder: legacy prefixes, REX, opcode maps (one byte and
 * 0F; the third byte of the 0F38/0F3A maps is kept in op3), the VEX
 * prefix (C4/C5: its map selects op/op3, its pp field stands for 66/F3/F2,
 * R X B W fill in->rex, vvvv and L are kept), ModRM/SIB, displacements,
 * immediates, operand and address size.
 *
 * Design note: decoding is table driven. op_attr[] holds, per opcode of the
 * one-byte (0-255) and 0F (256-511) maps, whether a ModRM byte follows, the
 * kind of immediate, and the 64-bit mode rules (invalid, default 64-bit
 * operand size, forced 64-bit). The table is built once from ranges so it
 * reads like the opcode map in the SDM (Vol. 2, appendix A).
 */
#include <errno.h>
#include <pthread.h>

#include "cpu/emu/emu.h"

enum {
	A_M = 1 << 0,        /* ModRM follows */
	A_I8 = 1 << 1,       /* imm8 */
	A_I16 = 1 << 2,      /* imm16 */
	A_IZ = 1 << 3,       /* imm16/32 (32 sign-extended for 64-bit operands) */
	A_IV = 1 << 4,       /* imm16/32/64 */
	A_MOFFS = 1 << 5,    /* address-sized offset */
	A_FAR = 1 << 6,      /* ptr16:16/32 */
	A_ENTER = 1 << 7,    /* imm16 + imm8 */
	A_D64 = 1 << 8,      /* default 64-bit operand size in 64-bit mode */
	A_F64 = 1 << 9,      /* forced 64-bit operand size in 64-bit mode */
	A_INV64 = 1 << 10,   /* #UD in 64-bit mode */
	A_GRP3 = 1 << 11,    /* F6/F7: /0 and /1 take an immediate */
	A_3BYTE = 1 << 12,   /* 0F 38 / 0F 3A escape */
};

static uint16_t op_attr[512];
static pthread_once_t op_once = PTHREAD_ONCE_INIT;

static void set_range(unsigned lo, unsigned hi, uint16_t a)
{
	for (unsigned i = lo; i <= hi; i++)
		op_attr[i] |= a;
}

static void op_table_build(void)
{
	/* One-byte map. ALU blocks 00-3F: r/m forms, AL,imm8 and eAX,immz. */
	for (unsigned b = 0; b < 0x40; b += 8) {
		set_range(b, b + 3, A_M);
		op_attr[b + 4] |= A_I8;
		op_attr[b + 5] |= A_IZ;
	}
	set_range(0x06, 0x07, A_INV64);
	op_attr[0x0e] |= A_INV64;
	set_range(0x16, 0x17, A_INV64);
	set_range(0x1e, 0x1f, A_INV64);
	op_attr[0x27] |= A_INV64;
	op_attr[0x2f] |= A_INV64;
	op_attr[0x37] |= A_INV64;
	op_attr[0x3f] |= A_INV64;
	set_range(0x50, 0x5f, A_D64);
	set_range(0x60, 0x61, A_INV64);
	op_attr[0x62] |= A_M | A_INV64;
	op_attr[0x63] |= A_M;
	op_attr[0x68] |= A_IZ | A_D64;
	op_attr[0x69] |= A_M | A_IZ;
	op_attr[0x6a] |= A_I8 | A_D64;
	op_attr[0x6b] |= A_M | A_I8;
	set_range(0x70, 0x7f, A_I8 | A_F64);
	op_attr[0x80] |= A_M | A_I8;
	op_attr[0x81] |= A_M | A_IZ;
	op_attr[0x82] |= A_M | A_I8 | A_INV64;
	op_attr[0x83] |= A_M | A_I8;
	set_range(0x84, 0x8e, A_M);
	op_attr[0x8f] |= A_M | A_D64;
	op_attr[0x9a] |= A_FAR | A_INV64;
	set_range(0x9c, 0x9d, A_D64);
	set_range(0xa0, 0xa3, A_MOFFS);
	op_attr[0xa8] |= A_I8;
	op_attr[0xa9] |= A_IZ;
	set_range(0xb0, 0xb7, A_I8);
	set_range(0xb8, 0xbf, A_IV);
	set_range(0xc0, 0xc1, A_M | A_I8);
	op_attr[0xc2] |= A_I16 | A_F64;
	op_attr[0xc3] |= A_F64;
	set_range(0xc4, 0xc5, A_M | A_INV64);
	op_attr[0xc6] |= A_M | A_I8;
	op_attr[0xc7] |= A_M | A_IZ;
	op_attr[0xc8] |= A_ENTER | A_D64;
	op_attr[0xc9] |= A_D64;
	op_attr[0xca] |= A_I16;
	op_attr[0xcd] |= A_I8;
	op_attr[0xce] |= A_INV64;
	set_range(0xd0, 0xd3, A_M);
	set_range(0xd4, 0xd6, A_INV64);
	set_range(0xd4, 0xd5, A_I8);
	set_range(0xd8, 0xdf, A_M);
	set_range(0xe0, 0xe3, A_I8 | A_F64);
	set_range(0xe4, 0xe7, A_I8);
	set_range(0xe8, 0xe9, A_IZ | A_F64);
	op_attr[0xea] |= A_FAR | A_INV64;
	op_attr[0xeb] |= A_I8 | A_F64;
	set_range(0xf6, 0xf7, A_M | A_GRP3);
	set_range(0xfe, 0xff, A_M);

	/* 0F map. */
	uint16_t *t = op_attr + 256;
	for (unsigned i = 0; i < 256; i++)
		t[i] = A_M;   /* most of the 0F map (SSE, NOP hints) has ModRM */
	static const uint8_t no_modrm[] = {
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0e, 0x30, 0x31, 0x32, 0x33, 0x34,
		0x35, 0x37, 0x77, 0xa0, 0xa1, 0xa2, 0xa8, 0xa9, 0xaa,
		0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
	};
	for (unsigned i = 0; i < sizeof(no_modrm); i++)
		t[no_modrm[i]] &= ~A_M;
	for (unsigned i = 0x80; i <= 0x8f; i++)
		t[i] = A_IZ | A_F64;
	t[0xa0] |= A_D64;
	t[0xa1] |= A_D64;
	t[0xa8] |= A_D64;
	t[0xa9] |= A_D64;
	static const uint8_t with_i8[] = { 0x70, 0x71, 0x72, 0x73, 0xa4, 0xac, 0xba,
					   0xc2, 0xc4, 0xc5, 0xc6 };
	for (unsigned i = 0; i < sizeof(with_i8); i++)
		t[with_i8[i]] |= A_I8;
	t[0x38] |= A_3BYTE;
	t[0x3a] |= A_3BYTE;
}

static const uint8_t modrm16_base[8] = { REG_RBX, REG_RBX, REG_RBP, REG_RBP, 0xff, 0xff,
					 REG_RBP, REG_RBX };
static const uint8_t modrm16_index[8] = { REG_RSI, REG_RDI, REG_RSI, REG_RDI, REG_RSI,
					  REG_RDI, 0xff, 0xff };

#define NEED(n)                                                              \
	do {                                                                 \
		if (i + (n) > 15)                                            \
			emu_raise(cpu, EXC_GP, 0);                           \
		if (i + (n) > avail)                                         \
			return -EAGAIN;                                      \
	} while (0)

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned k = 0; k < n; k++)
		v |= (uint64_t)p[k] << (8 * k);
	return v;
}

/* The VEX prefix from p[i] (the byte after C4/C5) through the opcode byte
 * (SDM Vol. 2, 2.3): returns the index after the opcode, 0 if more bytes
 * are needed; raises #UD for a REX, 66, F2, F3 or LOCK prefix before it
 * and for an unknown map. */
static unsigned decode_vex(struct emu_cpu *cpu, const uint8_t *p, unsigned i, unsigned avail,
			   struct emu_insn *in, unsigned *op)
{
	unsigned b0 = p[i - 1], r1, r2, map, rex;
	if (in->rex || in->p66 || in->rep || in->lock)
		emu_raise(cpu, EXC_UD, 0);
	if (i + (b0 == 0xc4 ? 3 : 2) > 15)
		emu_raise(cpu, EXC_GP, 0);
	if (i + (b0 == 0xc4 ? 3 : 2) > avail)
		return 0;
	r1 = p[i++];
	if (b0 == 0xc5) {
		r2 = r1;
		map = 1;
		rex = (r1 & 0x80) ? 0 : 4;
	} else {
		r2 = p[i++];
		map = r1 & 0x1f;
		rex = ((~r1 >> 5) & 7) | ((r2 >> 4) & 8);   /* R X B from bits 7-5, W */
	}
	if (!cpu->code64)
		rex &= 8;   /* no R X B outside 64-bit mode; W is ignored by the users */
	in->vex = 1;
	in->vex_v = (uint8_t)((~r2 >> 3) & (cpu->code64 ? 15 : 7));
	in->vex_l = (uint8_t)((r2 >> 2) & 1);
	in->p66 = (r2 & 3) == 1;
	in->rep = (r2 & 3) == 2 ? 0xf3 : (r2 & 3) == 3 ? 0xf2 : 0;
	in->rex = (uint8_t)(rex && cpu->code64 ? 0x40 | rex : 0);
	unsigned opc = p[i++];
	switch (map) {
	case 1:
		if (opc == 0x38 || opc == 0x3a)   /* maps 2 and 3 have their own codes */
			emu_raise(cpu, EXC_UD, 0);
		*op = 0x100 | opc;
		break;
	case 2: *op = 0x138; in->op3 = (uint8_t)opc; break;
	case 3: *op = 0x13a; in->op3 = (uint8_t)opc; break;
	default: emu_raise(cpu, EXC_UD, 0);
	}
	return i;
}

int emu_decode(struct emu_cpu *cpu, const uint8_t *p, unsigned avail, struct emu_insn *in)
{
	unsigned i = 0, b;
	bool p67 = false;
	int seg = -1;

	pthread_once(&op_once, op_table_build);
	in->rex = 0;
	in->rep = 0;
	in->lock = 0;
	in->p66 = 0;
	in->group = 0;
	in->vex = 0;
	for (;;) {
		NEED(1);
		b = p[i];
		if (cpu->code64 && (b & 0xf0) == 0x40) {
			in->rex = (uint8_t)b;
			i++;
			continue;
		}
		switch (b) {
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			/* 64-bit mode ignores ES/CS/DS overrides (an RBP or RSP
			 * base stays SS-relative: #SS when non-canonical), but an
			 * SS override makes any base SS-relative. Measured on the
			 * CPU: tests/diff case_code.S, group segpfx. */
			if (!cpu->code64 || b == 0x36)
				seg = (b >> 3) & 3;
			break;
		case 0x64: seg = SEG_FS; break;
		case 0x65: seg = SEG_GS; break;
		case 0x66: in->p66 = 1; break;
		case 0x67: p67 = true; break;
		case 0xf0: in->lock = 1; break;
		case 0xf2: case 0xf3: in->rep = (uint8_t)b; break;
		default: goto opcode;
		}
		in->rex = 0;   /* REX must come last */
		i++;
	}
opcode:
	i++;
	unsigned op = b;
	uint16_t a;
	if (b == 0xc4 || b == 0xc5) {
		/* VEX in 64-bit mode; in protected mode only when the next byte
		 * would be a register ModRM (else LES/LDS); never in real or
		 * virtual-8086 mode. */
		NEED(1);
		if (cpu->code64 || ((cpu->cr0 & CR0_PE) && !(cpu->rflags & FL_VM) &&
				    (p[i] & 0xc0) == 0xc0)) {
			i = decode_vex(cpu, p, i, avail, in, &op);
			if (!i)
				return -EAGAIN;
			goto have_op;
		}
	}
	if (b == 0x0f) {
		NEED(1);
		op = 0x100 | p[i++];
	}
have_op:
	a = op_attr[op];
	if (in->vex) {
		if (op == 0x138 || op == 0x13a)
			a = (uint16_t)(A_M | (op == 0x13a ? A_I8 : 0));
	} else if (a & A_3BYTE) {
		NEED(1);
		in->op3 = p[i++];   /* the handlers of these maps switch on it */
		if (op == 0x13a)
			a |= A_I8;
	}
	in->op = (uint16_t)op;
	if (cpu->code64) {
		if ((a & A_INV64) && !in->vex)
			emu_raise(cpu, EXC_UD, 0);
		in->addrsize = p67 ? 4 : 8;
		if ((in->rex & 8) || (a & A_F64))
			in->opsize = 8;
		else if (in->p66)
			in->opsize = 2;
		else
			in->opsize = (a & A_D64) ? 8 : 4;
	} else {
		unsigned cs = cpu->code_size;
		in->opsize = (uint8_t)(in->p66 ? 6 - cs : cs);
		in->addrsize = (uint8_t)(p67 ? 6 - cs : cs);
	}
	if (in->vex)   /* pp is not an operand-size prefix; W is, in 64-bit mode */
		in->opsize = cpu->code64 && (in->rex & 8) ? 8 : 4;

	in->has_modrm = !!(a & A_M);
	in->base = 0xff;
	in->index = 0xff;
	in->scale = 0;
	in->disp = 0;
	in->seg = seg >= 0 ? (uint8_t)seg : SEG_DS;
	if (in->has_modrm) {
		NEED(1);
		unsigned m = p[i++];
		unsigned rex = in->rex;
		in->mod = (uint8_t)(m >> 6);
		in->reg = (uint8_t)(((m >> 3) & 7) | ((rex & 4) << 1));
		in->rm = (uint8_t)(m & 7);
		if (in->mod == 3) {
			in->rm |= (uint8_t)((rex & 1) << 3);
		} else if (in->addrsize == 2) {
			unsigned r = in->rm;
			in->base = modrm16_base[r];
			in->index = modrm16_index[r];
			if (in->mod == 0 && r == 6) {
				in->base = 0xff;
				NEED(2);
				in->disp = (int16_t)get_le(p + i, 2);
				i += 2;
			} else if (in->mod == 1) {
				NEED(1);
				in->disp = (int8_t)p[i++];
			} else if (in->mod == 2) {
				NEED(2);
				in->disp = (int16_t)get_le(p + i, 2);
				i += 2;
			}
			if (seg < 0 && in->base == REG_RBP)
				in->seg = SEG_SS;
		} else {
			unsigned r = in->rm;
			bool disp32 = false;
			if (r == 4) {
				NEED(1);
				unsigned sib = p[i++];
				unsigned idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
				in->scale = (uint8_t)(sib >> 6);
				in->index = idx == 4 ? 0xff : (uint8_t)idx;
				unsigned base = sib & 7;
				if (base == 5 && in->mod == 0) {
					in->base = 0xff;
					disp32 = true;
				} else {
					in->base = (uint8_t)(base | ((rex & 1) << 3));
				}
			} else if (r == 5 && in->mod == 0) {
				in->base = cpu->code64 ? 0xfe : 0xff;
				disp32 = true;
			} else {
				in->base = (uint8_t)(r | ((rex & 1) << 3));
			}
			if (in->mod == 1) {
				NEED(1);
				in->disp = (int8_t)p[i++];
			} else if (in->mod == 2 || disp32) {
				NEED(4);
				in->disp = (int32_t)get_le(p + i, 4);
				i += 4;
			}
			if (seg < 0 && in->base != 0xff && in->base != 0xfe &&
			    ((in->base & 7) == REG_RSP || (in->base & 7) == REG_RBP) && in->base < 8)
				in->seg = SEG_SS;
		}
	}

	/* Immediates. */
	unsigned isz = 0;
	if ((a & A_GRP3) && in->has_modrm && ((in->reg & 7) < 2))
		a |= (op & 1) ? A_IZ : A_I8;
	if (a & A_I8)
		isz = 1;
	else if (a & A_I16)
		isz = 2;
	else if (a & A_IZ)
		isz = in->opsize == 2 ? 2 : 4;
	else if (a & A_IV)
		isz = in->opsize;
	else if (a & A_MOFFS)
		isz = in->addrsize;
	if (isz) {
		NEED(isz);
		uint64_t v = get_le(p + i, isz);
		/* imm8 and immz are sign-extended to the operand size by their users
		 * where the SDM says so; store them sign-extended to 64 bits. */
		if (!(a & (A_IV | A_MOFFS)))
			v = emu_sext(v, isz);
		in->imm = v;
		i += isz;
	}
	if (a & A_FAR) {
		unsigned osz = in->opsize == 2 ? 2 : 4;
		NEED(osz + 2);
		in->imm = get_le(p + i, osz);
		in->imm2 = get_le(p + i + osz, 2);
		i += osz + 2;
	}
	if (a & A_ENTER) {
		NEED(3);
		in->imm = get_le(p + i, 2);
		in->imm2 = p[i + 2];
		i += 3;
	}
	in->len = (uint8_t)i;
	in->fast = in->vex ? NULL : emu_fast_pick(in, cpu->code64);   /* VEX: emu_exec_vex */
	return 0;
}
