/*
 * Integer arithmetic and logic: the lazy flag evaluator, the eight group-1
 * operations, INC/DEC/NEG/NOT, shifts and rotates (incl. RCL/RCR,
 * SHLD/SHRD), MUL/IMUL/DIV/IDIV, BCD adjusts, bit tests and scans, XADD,
 * CMPXCHG, POPCNT, LZCNT/TZCNT and MOVBE.
 *
 * Design note — lazy flags: an arithmetic instruction records its operands
 * and result (cc_a, cc_b, cc_res, cc_size, cc_op, cc_cin) instead of
 * computing six flags; emu_get_flags() computes them when something reads
 * RFLAGS, and emu_cond() answers Jcc/SETcc/CMOVcc mostly without building
 * the whole word. Instructions whose flag rules are irregular (shifts,
 * multiplies, BCD) compute flags eagerly with set_arith().
 */
#include "cpu/emu/emu.h"

static inline uint64_t sign_bit(unsigned size) { return 1ULL << (size * 8 - 1); }

static inline uint64_t parity_zf_sf(uint64_t r, unsigned size)
{
	uint64_t f = 0;
	r &= emu_mask(size);
	if (!__builtin_parity((unsigned)(r & 0xff)))
		f |= FL_PF;
	if (!r)
		f |= FL_ZF;
	if (r & sign_bit(size))
		f |= FL_SF;
	return f;
}

static uint64_t cc_compute(const struct emu_cpu *cpu)
{
	unsigned sz = cpu->cc_size;
	uint64_t a = cpu->cc_a, b = cpu->cc_b, r = cpu->cc_res, sb = sign_bit(sz);
	uint64_t f = parity_zf_sf(r, sz);
	switch (cpu->cc_op) {
	case CC_ADD:
	case CC_ADC:
		if (cpu->cc_op == CC_ADC && cpu->cc_cin ? r <= a : r < a)
			f |= FL_CF;
		if ((a ^ r) & (b ^ r) & sb)
			f |= FL_OF;
		f |= (a ^ b ^ r) & FL_AF;
		break;
	case CC_SUB:
	case CC_SBB:
		if (cpu->cc_op == CC_SBB && cpu->cc_cin ? a <= b : a < b)
			f |= FL_CF;
		if ((a ^ b) & (a ^ r) & sb)
			f |= FL_OF;
		f |= (a ^ b ^ r) & FL_AF;
		break;
	case CC_INC:
		f |= cpu->cc_cin ? FL_CF : 0;
		if (r == sb)
			f |= FL_OF;
		if ((r & 0xf) == 0)
			f |= FL_AF;
		break;
	case CC_DEC:
		f |= cpu->cc_cin ? FL_CF : 0;
		if (r == sb - 1)
			f |= FL_OF;
		if ((r & 0xf) == 0xf)
			f |= FL_AF;
		break;
	case CC_LOGIC:
	default:
		break;
	}
	return f;
}

uint64_t emu_get_flags(struct emu_cpu *cpu)
{
	if (cpu->cc_op == CC_EAGER)
		return cpu->rflags;
	return (cpu->rflags & ~(uint64_t)FL_ARITH) | cc_compute(cpu);
}

void emu_set_flags(struct emu_cpu *cpu, uint64_t fl)
{
	cpu->rflags = (fl | 2) & ~(uint64_t)(0x8 | 0x20 | 0x8000);
	cpu->cc_op = CC_EAGER;
}

/* Replaces the arithmetic flags in `mask` with `f`. */
static void set_arith(struct emu_cpu *cpu, uint64_t mask, uint64_t f)
{
	uint64_t fl = emu_get_flags(cpu);
	emu_set_flags(cpu, (fl & ~mask) | (f & mask));
}

static inline bool get_cf(struct emu_cpu *cpu)
{
	return emu_get_cf(cpu);
}

bool emu_cond(struct emu_cpu *cpu, unsigned cc)
{
	return emu_cond_inline(cpu, cc);
}

static inline void cc_set(struct emu_cpu *cpu, unsigned op, uint64_t a, uint64_t b, uint64_t r,
			  unsigned size)
{
	emu_cc_set(cpu, op, a, b, r, size);
}

/* Group-1 operation op (0 ADD .. 7 CMP); returns the (masked) result. */
uint64_t emu_alu(struct emu_cpu *cpu, unsigned op, uint64_t a, uint64_t b, unsigned size)
{
	return emu_alu_inline(cpu, op, a, b, size);
}

static uint64_t rmw_alu(struct emu_cpu *cpu, uint64_t old, uint64_t arg, unsigned size,
			unsigned op)
{
	return emu_alu(cpu, op, old, arg, size);
}

/* dest (r/m or reg) op= src. */
void emu_exec_alu_group(struct emu_cpu *cpu, struct emu_insn *in, unsigned op, unsigned size,
			uint64_t src, bool to_reg)
{
	if (to_reg) {
		uint64_t r = emu_alu(cpu, op, emu_reg_get(cpu, in, in->reg, size), src, size);
		if (op != 7)
			emu_reg_set(cpu, in, in->reg, size, r);
		return;
	}
	if (op == 7) {
		emu_alu(cpu, 7, emu_rm_read(cpu, in, size), src, size);
		return;
	}
	emu_rm_rmw(cpu, in, size, rmw_alu, src, op);
}

static uint64_t rmw_incdec(struct emu_cpu *cpu, uint64_t old, uint64_t arg, unsigned size,
			   unsigned op)
{
	uint64_t m = emu_mask(size), r = op ? (old - 1) & m : (old + 1) & m;
	bool cf = get_cf(cpu);
	cc_set(cpu, op ? CC_DEC : CC_INC, old & m, 1, r, size);
	cpu->cc_cin = cf;
	return r;
}

static uint64_t rmw_not(struct emu_cpu *cpu, uint64_t old, uint64_t arg, unsigned size,
			unsigned op)
{
	return ~old & emu_mask(size);
}

static uint64_t rmw_neg(struct emu_cpu *cpu, uint64_t old, uint64_t arg, unsigned size,
			unsigned op)
{
	return emu_alu(cpu, 5, 0, old, size);
}

/* --- Shifts and rotates ---------------------------------------------------- */

static uint64_t shift_op(struct emu_cpu *cpu, uint64_t a, uint64_t cnt_in, unsigned size,
			 unsigned op)
{
	unsigned bits = size * 8;
	uint64_t m = emu_mask(size), sb = sign_bit(size), r;
	unsigned cnt = (unsigned)cnt_in & (size == 8 ? 63 : 31);
	uint64_t fl = emu_get_flags(cpu), cf = fl & FL_CF, of;
	a &= m;
	if (!cnt)
		return a;
	switch (op & 7) {
	case 0: /* ROL */
		cnt %= bits;
		r = cnt ? ((a << cnt) | (a >> (bits - cnt))) & m : a;
		cf = r & 1;
		of = !!(r & sb) ^ cf;
		emu_set_flags(cpu, (fl & ~(uint64_t)(FL_CF | FL_OF)) | cf | (of ? FL_OF : 0));
		return r;
	case 1: /* ROR */
		cnt %= bits;
		r = cnt ? ((a >> cnt) | (a << (bits - cnt))) & m : a;
		cf = !!(r & sb);
		of = !!(r & sb) ^ !!(r & (sb >> 1));
		emu_set_flags(cpu, (fl & ~(uint64_t)(FL_CF | FL_OF)) | cf | (of ? FL_OF : 0));
		return r;
	case 2: /* RCL */
		cnt %= bits + 1;
		r = a;
		for (unsigned k = 0; k < cnt; k++) {
			uint64_t out = !!(r & sb);
			r = ((r << 1) | cf) & m;
			cf = out;
		}
		of = !!(r & sb) ^ cf;
		emu_set_flags(cpu, (fl & ~(uint64_t)(FL_CF | FL_OF)) | cf | (of ? FL_OF : 0));
		return r;
	case 3: /* RCR */
		cnt %= bits + 1;
		r = a;
		for (unsigned k = 0; k < cnt; k++) {
			uint64_t out = r & 1;
			r = (r >> 1) | (cf ? sb : 0);
			cf = out;
		}
		of = !!(r & sb) ^ !!(r & (sb >> 1));
		emu_set_flags(cpu, (fl & ~(uint64_t)(FL_CF | FL_OF)) | cf | (of ? FL_OF : 0));
		return r;
	case 4: /* SHL */
	case 6:
		r = cnt >= 64 ? 0 : (a << cnt) & m;
		cf = cnt > bits ? 0 : (a >> (bits - cnt)) & 1;
		of = !!(r & sb) ^ cf;
		break;
	case 5: /* SHR */
		r = cnt >= 64 ? 0 : a >> cnt;
		cf = (a >> (cnt - 1)) & 1;
		of = !!(a & sb);
		break;
	default: { /* SAR */
		int64_t s = (int64_t)emu_sext(a, size);
		r = (uint64_t)(s >> (cnt > 63 ? 63 : cnt)) & m;
		cf = (uint64_t)(s >> (cnt - 1 > 63 ? 63 : cnt - 1)) & 1;
		of = 0;
		break;
	}
	}
	emu_set_flags(cpu, (fl & ~(uint64_t)FL_ARITH) | cf | (of ? FL_OF : 0) |
		      parity_zf_sf(r, size));
	return r;
}

static uint64_t shiftd(struct emu_cpu *cpu, uint64_t d, uint64_t s, unsigned cnt, unsigned size,
		       bool left)
{
	unsigned bits = size * 8;
	uint64_t m = emu_mask(size), sb = sign_bit(size), r, cf;
	cnt &= size == 8 ? 63 : 31;
	if (!cnt)
		return d & m;
	d &= m;
	s &= m;
	/* 16-bit counts above 16 are undefined (SDM); the formulas below then
	 * shift source bits in, deterministically. */
	if (left) {
		r = ((d << cnt) | (cnt >= bits ? s << (cnt - bits) : s >> (bits - cnt))) & m;
		cf = cnt > bits ? (s >> (2 * bits - cnt)) & 1 : (d >> (bits - cnt)) & 1;
	} else {
		r = ((d >> cnt) | (cnt >= bits ? s >> (cnt - bits) : s << (bits - cnt))) & m;
		cf = cnt > bits ? (s >> (cnt - bits - 1)) & 1 : (d >> (cnt - 1)) & 1;
	}
	uint64_t of = ((r ^ d) & sb) ? FL_OF : 0;
	set_arith(cpu, FL_ARITH, cf | of | parity_zf_sf(r, size));
	return r;
}

static uint64_t rmw_shld(struct emu_cpu *cpu, uint64_t old, uint64_t src, unsigned size,
			 unsigned cnt)
{
	return shiftd(cpu, old, src, cnt, size, true);
}

static uint64_t rmw_shrd(struct emu_cpu *cpu, uint64_t old, uint64_t src, unsigned size,
			 unsigned cnt)
{
	return shiftd(cpu, old, src, cnt, size, false);
}

static uint64_t rmw_shift(struct emu_cpu *cpu, uint64_t old, uint64_t arg, unsigned size,
			  unsigned op)
{
	return shift_op(cpu, old, arg, size, op);
}

/* --- Multiply and divide ---------------------------------------------------- */

static void mul_flags(struct emu_cpu *cpu, bool overflow, uint64_t lo, unsigned size)
{
	set_arith(cpu, FL_ARITH, (overflow ? FL_CF | FL_OF : 0) | parity_zf_sf(lo, size));
}

/* IMUL r, r/m[, imm] truncating form. */
static uint64_t imul_trunc(struct emu_cpu *cpu, uint64_t a, uint64_t b, unsigned size)
{
	__int128 p = (__int128)(int64_t)emu_sext(a, size) * (int64_t)emu_sext(b, size);
	uint64_t lo = (uint64_t)p & emu_mask(size);
	mul_flags(cpu, (__int128)(int64_t)emu_sext(lo, size) != p, lo, size);
	return lo;
}

static void exec_grp3_muldiv(struct emu_cpu *cpu, struct emu_insn *in, unsigned size,
			     unsigned sub)
{
	uint64_t src = emu_rm_read(cpu, in, size), m = emu_mask(size);
	unsigned bits = size * 8;
	uint64_t *ax = &cpu->regs[REG_RAX], *dx = &cpu->regs[REG_RDX];

	if (size == 1) {
		uint16_t axv = (uint16_t)*ax;
		switch (sub) {
		case 4: { unsigned p = (axv & 0xff) * (unsigned)src;
			emu_reg_set(cpu, in, REG_RAX, 2, p);
			mul_flags(cpu, p >> 8, p, 1); return; }
		case 5: { int p = (int8_t)axv * (int8_t)src;
			emu_reg_set(cpu, in, REG_RAX, 2, (uint16_t)p);
			mul_flags(cpu, p != (int8_t)p, (uint64_t)p, 1); return; }
		case 6: {
			if (!src)
				emu_raise(cpu, EXC_DE, 0);
			unsigned q = axv / (unsigned)src, r = axv % (unsigned)src;
			if (q > 0xff)
				emu_raise(cpu, EXC_DE, 0);
			emu_reg_set(cpu, in, REG_RAX, 2, (r << 8) | q);
			return; }
		default: {
			if (!src)
				emu_raise(cpu, EXC_DE, 0);
			int n = (int16_t)axv, d = (int8_t)src, q = n / d, r = n % d;
			if (q != (int8_t)q)
				emu_raise(cpu, EXC_DE, 0);
			emu_reg_set(cpu, in, REG_RAX, 2, ((unsigned)(r & 0xff) << 8) | (q & 0xff));
			return; }
		}
	}
	uint64_t lo_in = *ax & m, hi_in = *dx & m;
	switch (sub) {
	case 4: {
		unsigned __int128 p = (unsigned __int128)lo_in * src;
		uint64_t lo = (uint64_t)p & m, hi = (uint64_t)(p >> bits) & m;
		emu_reg_set(cpu, in, REG_RAX, size, lo);
		emu_reg_set(cpu, in, REG_RDX, size, hi);
		mul_flags(cpu, hi != 0, lo, size);
		return;
	}
	case 5: {
		__int128 p = (__int128)(int64_t)emu_sext(lo_in, size) * (int64_t)emu_sext(src, size);
		uint64_t lo = (uint64_t)p & m, hi = (uint64_t)(p >> bits) & m;
		emu_reg_set(cpu, in, REG_RAX, size, lo);
		emu_reg_set(cpu, in, REG_RDX, size, hi);
		mul_flags(cpu, (__int128)(int64_t)emu_sext(lo, size) != p, lo, size);
		return;
	}
	case 6: {
		if (!src)
			emu_raise(cpu, EXC_DE, 0);
		unsigned __int128 n = ((unsigned __int128)hi_in << bits) | lo_in;
		unsigned __int128 q = n / src, r = n % src;
		if (q > m)
			emu_raise(cpu, EXC_DE, 0);
		emu_reg_set(cpu, in, REG_RAX, size, (uint64_t)q);
		emu_reg_set(cpu, in, REG_RDX, size, (uint64_t)r);
		return;
	}
	default: {
		if (!src)
			emu_raise(cpu, EXC_DE, 0);
		unsigned __int128 un = ((unsigned __int128)hi_in << bits) | lo_in;
		__int128 n;
		if (size == 8)
			n = (__int128)un;
		else
			n = (__int128)(int64_t)emu_sext((uint64_t)un, size * 2);
		__int128 d = (int64_t)emu_sext(src, size);
		if (size == 8 && d == -1 && n == (__int128)((unsigned __int128)1 << 127))
			emu_raise(cpu, EXC_DE, 0);
		__int128 q = n / d, r = n % d;
		__int128 lim = (__int128)1 << (bits - 1);
		if (q >= lim || q < -lim)
			emu_raise(cpu, EXC_DE, 0);
		emu_reg_set(cpu, in, REG_RAX, size, (uint64_t)q);
		emu_reg_set(cpu, in, REG_RDX, size, (uint64_t)r);
		return;
	}
	}
}

/* --- BCD ---------------------------------------------------------------------- */

static void exec_bcd(struct emu_cpu *cpu, struct emu_insn *in)
{
	uint64_t fl = emu_get_flags(cpu);
	unsigned al = cpu->regs[REG_RAX] & 0xff, ah = (cpu->regs[REG_RAX] >> 8) & 0xff;
	bool cf = fl & FL_CF, af = fl & FL_AF;
	uint64_t nf;

	switch (in->op) {
	case 0x27: /* DAA */
	case 0x2f: { /* DAS */
		unsigned old_al = al;
		bool old_cf = cf, add = in->op == 0x27;
		cf = false;
		if ((al & 0xf) > 9 || af) {
			cf = old_cf || (add ? al + 6 > 0xff : al < 6);
			al = (add ? al + 6 : al - 6) & 0xff;
			af = true;
		} else {
			af = false;
		}
		if (old_al > 0x99 || old_cf) {
			al = (add ? al + 0x60 : al - 0x60) & 0xff;
			cf = true;
		} else if (add) {
			cf = false;
		}
		nf = parity_zf_sf(al, 1) | (cf ? FL_CF : 0) | (af ? FL_AF : 0);
		emu_reg_set(cpu, in, REG_RAX, 1, al);
		break;
	}
	case 0x37: /* AAA */
	case 0x3f: { /* AAS */
		unsigned ax = (ah << 8) | al;
		if ((al & 0xf) > 9 || af) {
			if (in->op == 0x37)
				ax += 0x106;
			else
				ax = (((ax >> 8) - 1) << 8 | ((ax - 6) & 0xff));
			af = cf = true;
		} else {
			af = cf = false;
		}
		ax = (ax & 0xff00) | (ax & 0x0f);
		emu_reg_set(cpu, in, REG_RAX, 2, ax);
		nf = parity_zf_sf(ax & 0xff, 1) | (cf ? FL_CF : 0) | (af ? FL_AF : 0);
		break;
	}
	case 0xd4: { /* AAM */
		unsigned base = in->imm & 0xff;
		if (!base)
			emu_raise(cpu, EXC_DE, 0);
		ah = al / base;
		al = al % base;
		emu_reg_set(cpu, in, REG_RAX, 2, (ah << 8) | al);
		nf = parity_zf_sf(al, 1);
		break;
	}
	default: { /* AAD */
		unsigned base = in->imm & 0xff;
		al = (al + ah * base) & 0xff;
		emu_reg_set(cpu, in, REG_RAX, 2, al);
		nf = parity_zf_sf(al, 1);
		break;
	}
	}
	emu_set_flags(cpu, (fl & ~(uint64_t)FL_ARITH) | nf);
}

/* --- Bit test / scan ------------------------------------------------------------ */

static uint64_t rmw_bit(struct emu_cpu *cpu, uint64_t old, uint64_t bit, unsigned size,
			unsigned op)
{
	uint64_t mask = 1ULL << bit;
	set_arith(cpu, FL_CF, (old & mask) ? FL_CF : 0);
	switch (op) {
	case 1: return old | mask;     /* BTS */
	case 2: return old & ~mask;    /* BTR */
	case 3: return old ^ mask;     /* BTC */
	default: return old;
	}
}

/* op: 0 BT, 1 BTS, 2 BTR, 3 BTC. */
static void exec_bt(struct emu_cpu *cpu, struct emu_insn *in, unsigned op, uint64_t off,
		    bool imm)
{
	unsigned size = in->opsize, bits = size * 8;
	if (in->mod == 3 || imm) {
		uint64_t bit = off & (bits - 1);
		if (in->mod == 3) {
			uint64_t v = emu_reg_get(cpu, in, in->rm, size);
			uint64_t r = rmw_bit(cpu, v, bit, size, op);
			if (op)
				emu_reg_set(cpu, in, in->rm, size, r);
			return;
		}
		if (op)
			emu_rm_rmw(cpu, in, size, rmw_bit, bit, op);
		else
			rmw_bit(cpu, emu_rm_read(cpu, in, size), bit, size, 0);
		return;
	}
	/* Register bit offset addresses memory beyond the operand (signed). */
	int64_t soff = (int64_t)emu_sext(off, size);
	int64_t disp = (soff >> (size == 2 ? 4 : size == 4 ? 5 : 6)) * (int64_t)size;
	uint64_t ea = (emu_ea(cpu, in) + (uint64_t)disp) & emu_mask(in->addrsize);
	uint64_t bit = (uint64_t)soff & (bits - 1);
	if (!op) {
		rmw_bit(cpu, emu_read(cpu, in->seg, ea, size), bit, size, 0);
		return;
	}
	uint64_t lin = emu_linear(cpu, in->seg, ea, size, ACC_WRITE);
	emu_mem_rmw(cpu, lin, size, rmw_bit, bit, op, in->lock);
}

/* TZCNT / LZCNT (F3 0F BC / BD): the count of trailing / leading zero
 * bits, the operand width for 0; CF = source was 0, ZF = result is 0; OF
 * SF AF PF are undefined and left as they were. */
static void exec_tzcnt_lzcnt(struct emu_cpu *cpu, struct emu_insn *in, bool lz)
{
	unsigned size = in->opsize, bits = size * 8;
	uint64_t v = emu_rm_read(cpu, in, size);
	uint64_t n;
	if (!v)
		n = bits;
	else if (lz)
		n = (unsigned)__builtin_clzll(v) - (64 - bits);
	else
		n = (unsigned)__builtin_ctzll(v);
	emu_reg_set(cpu, in, in->reg, size, n);
	set_arith(cpu, FL_CF | FL_ZF, (v ? 0 : FL_CF) | (n ? 0 : FL_ZF));
}

/* POPCNT (F3 0F B8): ZF = source was 0, the other arithmetic flags clear. */
static void exec_popcnt(struct emu_cpu *cpu, struct emu_insn *in)
{
	if (in->rep != 0xf3)
		emu_raise(cpu, EXC_UD, 0);   /* 0F B8 alone is JMPE (IA-64) */
	unsigned size = in->opsize;
	uint64_t v = emu_rm_read(cpu, in, size);
	emu_reg_set(cpu, in, in->reg, size, (unsigned)__builtin_popcountll(v));
	set_arith(cpu, FL_ARITH, v ? 0 : FL_ZF);
}

/* MOVBE (0F 38 F0 /r load, F1 /r store): a move that reverses byte
 * order; memory operands only. F2 makes these CRC32 (sse_42.c). */
static void exec_movbe(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = in->opsize;
	if (in->mod == 3 || in->rep)
		emu_raise(cpu, EXC_UD, 0);
	if (in->op3 == 0xf0) {
		uint64_t v = emu_rm_read(cpu, in, size);
		v = size == 8 ? __builtin_bswap64(v) : size == 4 ? __builtin_bswap32((uint32_t)v) :
			__builtin_bswap16((uint16_t)v);
		emu_reg_set(cpu, in, in->reg, size, v);
	} else {
		uint64_t v = emu_reg_get(cpu, in, in->reg, size);
		v = size == 8 ? __builtin_bswap64(v) : size == 4 ? __builtin_bswap32((uint32_t)v) :
			__builtin_bswap16((uint16_t)v);
		emu_rm_write(cpu, in, size, v);
	}
}

static void exec_bsf_bsr(struct emu_cpu *cpu, struct emu_insn *in, bool rev)
{
	unsigned size = in->opsize;
	if (in->rep == 0xf3) {
		exec_tzcnt_lzcnt(cpu, in, rev);
		return;
	}
	uint64_t v = emu_rm_read(cpu, in, size);
	if (!v) {
		set_arith(cpu, FL_ARITH, FL_ZF);
		return;   /* destination unchanged */
	}
	uint64_t idx = rev ? 63 - (unsigned)__builtin_clzll(v) : (unsigned)__builtin_ctzll(v);
	emu_reg_set(cpu, in, in->reg, size, idx);
	set_arith(cpu, FL_ARITH, parity_zf_sf(idx, size) & ~(uint64_t)(FL_ZF | FL_SF));
}

/* --- XADD / CMPXCHG -------------------------------------------------------------- */

static uint64_t rmw_xadd(struct emu_cpu *cpu, uint64_t old, uint64_t arg, unsigned size,
			 unsigned op)
{
	return emu_alu(cpu, 0, old, arg, size);
}

static uint64_t rmw_cmpxchg(struct emu_cpu *cpu, uint64_t old, uint64_t src, unsigned size,
			    unsigned op)
{
	uint64_t acc = cpu->regs[REG_RAX] & emu_mask(size);
	emu_alu(cpu, 7, acc, old, size);
	return old == acc ? src : old;
}

bool emu_exec_alu(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op, size = (op & 1) ? in->opsize : 1;
	uint64_t v;

	if (op < 0x40 && (op & 7) < 6) {
		unsigned alu = op >> 3;
		switch (op & 7) {
		case 0: case 1:
			emu_exec_alu_group(cpu, in, alu, size, emu_reg_get(cpu, in, in->reg, size),
					   false);
			return true;
		case 2: case 3:
			if (in->lock)
				emu_raise(cpu, EXC_UD, 0);
			emu_exec_alu_group(cpu, in, alu, size, emu_rm_read(cpu, in, size), true);
			return true;
		default:
			if (in->lock)
				emu_raise(cpu, EXC_UD, 0);
			v = emu_alu(cpu, alu, cpu->regs[REG_RAX], in->imm, size);
			if (alu != 7)
				emu_reg_set(cpu, in, REG_RAX, size, v);
			return true;
		}
	}
	if (in->lock && in->mod == 3)
		emu_raise(cpu, EXC_UD, 0);
	switch (op) {
	case 0x27: case 0x2f: case 0x37: case 0x3f: case 0xd4: case 0xd5:
		exec_bcd(cpu, in);
		return true;
	case 0x40 ... 0x4f: {
		unsigned r = op & 7;
		v = rmw_incdec(cpu, emu_reg_get(cpu, in, r, in->opsize), 0, in->opsize, op >= 0x48);
		emu_reg_set(cpu, in, r, in->opsize, v);
		return true;
	}
	case 0x69: case 0x6b:
		v = imul_trunc(cpu, emu_rm_read(cpu, in, in->opsize), in->imm, in->opsize);
		emu_reg_set(cpu, in, in->reg, in->opsize, v);
		return true;
	case 0x80: case 0x81: case 0x82: case 0x83:
		size = op == 0x81 || op == 0x83 ? in->opsize : 1;
		if (in->lock && (in->reg & 7) == 7)
			emu_raise(cpu, EXC_UD, 0);
		emu_exec_alu_group(cpu, in, in->reg & 7, size, in->imm, false);
		return true;
	case 0x84: case 0x85:
		emu_alu(cpu, 4, emu_rm_read(cpu, in, size), emu_reg_get(cpu, in, in->reg, size),
			size);
		return true;
	case 0xa8: case 0xa9:
		emu_alu(cpu, 4, cpu->regs[REG_RAX], in->imm, size);
		return true;
	case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
		uint64_t cnt = op <= 0xc1 ? in->imm & 0xff : op <= 0xd1 ? 1 : cpu->regs[REG_RCX] & 0xff;
		if (in->mod == 3) {
			v = shift_op(cpu, emu_reg_get(cpu, in, in->rm, size), cnt, size, in->reg);
			emu_reg_set(cpu, in, in->rm, size, v);
		} else {
			emu_rm_rmw(cpu, in, size, rmw_shift, cnt, in->reg & 7);
		}
		return true;
	}
	case 0xf6: case 0xf7:
		switch (in->reg & 7) {
		case 0: case 1:
			emu_alu(cpu, 4, emu_rm_read(cpu, in, size), in->imm, size);
			return true;
		case 2: emu_rm_rmw(cpu, in, size, rmw_not, 0, 0); return true;
		case 3: emu_rm_rmw(cpu, in, size, rmw_neg, 0, 0); return true;
		default:
			if (in->lock)
				emu_raise(cpu, EXC_UD, 0);
			exec_grp3_muldiv(cpu, in, size, in->reg & 7);
			return true;
		}
	case 0xfe: case 0xff:
		if ((in->reg & 7) > 1)
			return false;
		emu_rm_rmw(cpu, in, size, rmw_incdec, 0, in->reg & 1);
		return true;
	case 0x1a3: exec_bt(cpu, in, 0, emu_reg_get(cpu, in, in->reg, in->opsize), false); return true;
	case 0x1ab: exec_bt(cpu, in, 1, emu_reg_get(cpu, in, in->reg, in->opsize), false); return true;
	case 0x1b3: exec_bt(cpu, in, 2, emu_reg_get(cpu, in, in->reg, in->opsize), false); return true;
	case 0x1bb: exec_bt(cpu, in, 3, emu_reg_get(cpu, in, in->reg, in->opsize), false); return true;
	case 0x1ba:
		if ((in->reg & 7) < 4)
			emu_raise(cpu, EXC_UD, 0);
		exec_bt(cpu, in, in->reg & 3, in->imm & 0xff, true);
		return true;
	case 0x1bc: exec_bsf_bsr(cpu, in, false); return true;
	case 0x1bd: exec_bsf_bsr(cpu, in, true); return true;
	case 0x1b8: exec_popcnt(cpu, in); return true;
	case 0x138:   /* F2 0F 38 F0/F1 is CRC32 (sse_42.c) */
		if ((in->op3 != 0xf0 && in->op3 != 0xf1) || in->rep == 0xf2)
			return false;
		exec_movbe(cpu, in);
		return true;
	case 0x1a4: case 0x1a5: case 0x1ac: case 0x1ad: {
		/* A read-modify-write even for count 0 (hardware accesses the
		 * operand and zero-extends a 32-bit register); flags change only
		 * once the destination is known writable. */
		unsigned cnt = (op & 1) ? cpu->regs[REG_RCX] & 0xff : in->imm & 0xff;
		uint64_t s = emu_reg_get(cpu, in, in->reg, in->opsize);
		emu_rm_rmw(cpu, in, in->opsize, op < 0x1ac ? rmw_shld : rmw_shrd, s, cnt);
		return true;
	}
	case 0x1af:
		v = imul_trunc(cpu, emu_reg_get(cpu, in, in->reg, in->opsize),
			       emu_rm_read(cpu, in, in->opsize), in->opsize);
		emu_reg_set(cpu, in, in->reg, in->opsize, v);
		return true;
	case 0x1c0: case 0x1c1: {
		size = op & 1 ? in->opsize : 1;
		uint64_t src = emu_reg_get(cpu, in, in->reg, size);
		uint64_t old;
		if (in->mod == 3) {
			old = emu_reg_get(cpu, in, in->rm, size);
			uint64_t sum = emu_alu(cpu, 0, old, src, size);
			emu_reg_set(cpu, in, in->reg, size, old);
			emu_reg_set(cpu, in, in->rm, size, sum);
		} else {
			old = emu_rm_rmw(cpu, in, size, rmw_xadd, src, 0);
			emu_reg_set(cpu, in, in->reg, size, old);
		}
		return true;
	}
	case 0x1b0: case 0x1b1: {
		size = op & 1 ? in->opsize : 1;
		uint64_t src = emu_reg_get(cpu, in, in->reg, size);
		uint64_t acc = cpu->regs[REG_RAX] & emu_mask(size);
		uint64_t old;
		if (in->mod == 3) {
			old = emu_reg_get(cpu, in, in->rm, size);
			emu_alu(cpu, 7, acc, old, size);
			if (old == acc)
				emu_reg_set(cpu, in, in->rm, size, src);
		} else {
			old = emu_rm_rmw(cpu, in, size, rmw_cmpxchg, src, 0);
		}
		if (old != acc)
			emu_reg_set(cpu, in, REG_RAX, size, old);
		return true;
	}
	default:
		return false;
	}
}
