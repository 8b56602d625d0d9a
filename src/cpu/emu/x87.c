/*
 * x87 FPU (stage 2, first part): the register stack kept in the FXSAVE
 * image, loads and stores (float, double, extended, integer), constants,
 * the basic arithmetic group with its reversed and popping forms, FCHS,
 * FABS, FSQRT, FXCH, FCOMI/FUCOMI, and the control instructions (FNINIT,
 * FNCLEX, FNSTSW, FNSTCW, FLDCW).
 *
 * Design note: the host's long double is the x87 80-bit format, so values
 * are computed with host arithmetic in the default precision and rounding
 * (FCW 0x37F; other precision/rounding controls are not applied yet) and
 * the exception flags come from the host's floating-point environment.
 * FXSAVE stores ST(i) in slot i (relative to TOP, SDM Vol. 1 table 10-2),
 * so pushes and pops shift the slots; TOP lives in FSW bits 11-13 and the
 * abridged tag byte (offset 4) has one bit per physical register.
 * Unmasked x87 exceptions are recorded (ES) but #MF delivery is stage 2.
 */
#include <fenv.h>
#include <math.h>

#include "cpu/emu/emu.h"

#define FSW_IE 0x01
#define FSW_ZE 0x04
#define FSW_OE 0x08
#define FSW_UE 0x10
#define FSW_PE 0x20
#define FSW_SF 0x40
#define FSW_C1 0x200

static uint16_t fsw(struct emu_cpu *cpu) { return (uint16_t)(cpu->fxsave[2] | cpu->fxsave[3] << 8); }

static void set_fsw(struct emu_cpu *cpu, uint16_t v)
{
	cpu->fxsave[2] = (uint8_t)v;
	cpu->fxsave[3] = (uint8_t)(v >> 8);
}

static unsigned top(struct emu_cpu *cpu) { return (fsw(cpu) >> 11) & 7; }

static long double st_get(struct emu_cpu *cpu, unsigned i)
{
	long double v = 0;
	memcpy(&v, cpu->fxsave + 32 + 16 * (i & 7), 10);
	return v;
}

static void st_set(struct emu_cpu *cpu, unsigned i, long double v)
{
	memcpy(cpu->fxsave + 32 + 16 * (i & 7), &v, 10);
}

static void push(struct emu_cpu *cpu, long double v)
{
	unsigned t = (top(cpu) - 1) & 7;
	if (cpu->fxsave[4] & (1u << t))   /* stack overflow: masked -> indefinite */
		set_fsw(cpu, fsw(cpu) | FSW_IE | FSW_SF | FSW_C1);
	memmove(cpu->fxsave + 48, cpu->fxsave + 32, 16 * 7);
	st_set(cpu, 0, v);
	set_fsw(cpu, (uint16_t)((fsw(cpu) & ~0x3800u) | t << 11));
	cpu->fxsave[4] |= (uint8_t)(1u << t);
}

static void pop(struct emu_cpu *cpu)
{
	unsigned t = top(cpu);
	cpu->fxsave[4] &= (uint8_t)~(1u << t);
	memmove(cpu->fxsave + 32, cpu->fxsave + 48, 16 * 7);
	memset(cpu->fxsave + 32 + 16 * 7, 0, 16);
	set_fsw(cpu, (uint16_t)((fsw(cpu) & ~0x3800u) | ((t + 1) & 7) << 11));
}

static void flags_begin(void)
{
	feclearexcept(FE_ALL_EXCEPT);
}

static void flags_end(struct emu_cpu *cpu)
{
	int e = fetestexcept(FE_ALL_EXCEPT);
	uint16_t f = 0;
	if (e & FE_INVALID) f |= FSW_IE;
	if (e & FE_DIVBYZERO) f |= FSW_ZE;
	if (e & FE_OVERFLOW) f |= FSW_OE;
	if (e & FE_UNDERFLOW) f |= FSW_UE;
	if (e & FE_INEXACT) f |= FSW_PE;
	uint16_t unmasked = f & ~(cpu->fxsave[0] & 0x3f);
	set_fsw(cpu, fsw(cpu) | f | (unmasked ? 0x8080 : 0));
}

static long double arith(unsigned op, long double a, long double b)
{
	volatile long double x = a, y = b, r;
	switch (op & 7) {
	case 0: r = x + y; break;
	case 1: r = x * y; break;
	case 4: r = x - y; break;
	case 5: r = y - x; break;
	case 6: r = x / y; break;
	case 7: r = y / x; break;
	default: r = x; break;   /* FCOM/FCOMP: not handled here */
	}
	return r;
}

static long double load_mem(struct emu_cpu *cpu, struct emu_insn *in, unsigned kind)
{
	uint64_t ea = emu_ea(cpu, in);
	switch (kind) {
	case 0: { uint32_t v = (uint32_t)emu_read(cpu, in->seg, ea, 4); float f; memcpy(&f, &v, 4); return f; }
	case 1: { uint64_t v = emu_read(cpu, in->seg, ea, 8); double d; memcpy(&d, &v, 8); return d; }
	case 2: return (int16_t)emu_read(cpu, in->seg, ea, 2);
	case 3: return (int32_t)emu_read(cpu, in->seg, ea, 4);
	case 4: return (int64_t)emu_read(cpu, in->seg, ea, 8);
	default: {
		uint64_t lo = emu_read(cpu, in->seg, ea, 8);
		uint16_t hi = (uint16_t)emu_read(cpu, in->seg, (ea + 8) & emu_mask(in->addrsize), 2);
		uint8_t b[16] = { 0 };
		memcpy(b, &lo, 8);
		memcpy(b + 8, &hi, 2);
		long double v;
		memcpy(&v, b, sizeof(v));
		return v;
	}
	}
}

static int64_t to_int(struct emu_cpu *cpu, long double v, unsigned size)
{
	long double r = nearbyintl(v);
	long double lim = size == 2 ? 32768.0L : size == 4 ? 2147483648.0L : 9223372036854775808.0L;
	if (isnan(r) || r >= lim || r < -lim) {
		set_fsw(cpu, fsw(cpu) | FSW_IE);
		return size == 2 ? INT16_MIN : size == 4 ? INT32_MIN : INT64_MIN;
	}
	if (r != v)
		set_fsw(cpu, fsw(cpu) | FSW_PE);
	return (int64_t)r;
}

static void store_mem(struct emu_cpu *cpu, struct emu_insn *in, unsigned kind, long double v)
{
	uint64_t ea = emu_ea(cpu, in);
	switch (kind) {
	case 0: { volatile float f = (float)v; uint32_t x; memcpy(&x, (const void *)&f, 4);
		emu_write(cpu, in->seg, ea, 4, x); return; }
	case 1: { volatile double d = (double)v; uint64_t x; memcpy(&x, (const void *)&d, 8);
		emu_write(cpu, in->seg, ea, 8, x); return; }
	case 2: emu_write(cpu, in->seg, ea, 2, (uint64_t)to_int(cpu, v, 2)); return;
	case 3: emu_write(cpu, in->seg, ea, 4, (uint64_t)to_int(cpu, v, 4)); return;
	case 4: emu_write(cpu, in->seg, ea, 8, (uint64_t)to_int(cpu, v, 8)); return;
	default: {
		uint8_t b[16] = { 0 };
		memcpy(b, &v, 10);
		uint64_t lo;
		memcpy(&lo, b, 8);
		emu_linear(cpu, in->seg, ea, 10, ACC_WRITE);
		emu_write(cpu, in->seg, ea, 8, lo);
		emu_write(cpu, in->seg, (ea + 8) & emu_mask(in->addrsize), 2, b[8] | b[9] << 8);
		return;
	}
	}
}

static void set_comi(struct emu_cpu *cpu, long double a, long double b)
{
	uint64_t fl = emu_get_flags(cpu) & ~(uint64_t)FL_ARITH;
	if (isnan(a) || isnan(b))
		fl |= FL_ZF | FL_PF | FL_CF;
	else if (a < b)
		fl |= FL_CF;
	else if (a == b)
		fl |= FL_ZF;
	emu_set_flags(cpu, fl);
}

/* Returns false if the opcode is not implemented (caller raises #UD). */
bool emu_x87(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op, r = in->reg & 7, i = in->rm & 7;
	bool reg = in->mod == 3;

	if (!reg) {
		static const signed char ld[8][8] = {
			/* D8 */ { -1 }, /* D9 */ { 0 }, /* DA */ { -1 }, /* DB */ { 3, -1, -1, -1, -1, 5 },
			/* DC */ { -1 }, /* DD */ { 1 }, /* DE */ { -1 }, /* DF */ { 2, -1, -1, -1, -1, 4 },
		};
		static const signed char stk[8][8] = {   /* store kind for /2 (FST) and /3 (FSTP) */
			{ -1 }, { -1, -1, 0, 0 }, { -1 }, { -1, -1, 3, 3, -1, -1, -1, 5 },
			{ -1 }, { -1, -1, 1, 1 }, { -1 }, { -1, -1, 2, 2, -1, -1, -1, 4 },
		};
		unsigned row = op - 0xd8;
		if ((op == 0xd8 || op == 0xdc) && r != 2 && r != 3) {   /* arith with m32/m64 */
			long double m = load_mem(cpu, in, op == 0xd8 ? 0 : 1);
			flags_begin();
			long double v = arith(r, st_get(cpu, 0), m);
			flags_end(cpu);
			st_set(cpu, 0, v);
			return true;
		}
		if (r == 0 || (r == 5 && (op == 0xdb || op == 0xdf))) {
			int k = ld[row][r];
			if (k < 0)
				return false;
			push(cpu, load_mem(cpu, in, (unsigned)k));
			return true;
		}
		if (r == 7 && (op == 0xdb || op == 0xdf)) {
			store_mem(cpu, in, (unsigned)stk[row][7], st_get(cpu, 0));
			pop(cpu);
			return true;
		}
		if (r == 2 || r == 3) {
			int k = stk[row][r];
			if (k < 0)
				return false;
			flags_begin();
			store_mem(cpu, in, (unsigned)k, st_get(cpu, 0));
			flags_end(cpu);
			if (r == 3)
				pop(cpu);
			return true;
		}
		return false;
	}
	switch (op) {
	case 0xd8: case 0xdc: case 0xde: {
		if (r == 2 || r == 3) {
			if (op != 0xd8)
				return false;
			return false;   /* FCOM/FCOMP: stage 2 */
		}
		/* D8: ST(0) = ST(0) op ST(i); DC/DE: ST(i) = ST(i) op ST(0), where
		 * the SUB/DIV senses are swapped (SDM Vol. 2, opcode map). */
		long double v;
		flags_begin();
		if (op == 0xd8) {
			v = arith(r, st_get(cpu, 0), st_get(cpu, i));
			flags_end(cpu);
			st_set(cpu, 0, v);
			return true;
		}
		unsigned rr = r >= 4 ? r ^ 1 : r;
		v = arith(rr, st_get(cpu, i), st_get(cpu, 0));
		flags_end(cpu);
		st_set(cpu, i, v);
		if (op == 0xde)
			pop(cpu);
		return true;
	}
	case 0xd9:
		if (r == 0) {                          /* FLD ST(i) */
			push(cpu, st_get(cpu, i));
			return true;
		}
		if (r == 1) {                          /* FXCH */
			long double a = st_get(cpu, 0), b = st_get(cpu, i);
			st_set(cpu, 0, b);
			st_set(cpu, i, a);
			return true;
		}
		if (r == 5 && i < 7) {                 /* constants */
			static const long double k[7] = {
				1.0L, 3.32192809488736234787L, 1.44269504088896340736L,
				3.14159265358979323846L, 0.30102999566398119521L,
				0.69314718055994530942L, 0.0L };
			push(cpu, k[i]);
			return true;
		}
		if (r == 4 && i == 0) {                /* FCHS */
			st_set(cpu, 0, -st_get(cpu, 0));
			return true;
		}
		if (r == 4 && i == 1) {                /* FABS */
			st_set(cpu, 0, fabsl(st_get(cpu, 0)));
			return true;
		}
		if (r == 7 && i == 2) {                /* FSQRT */
			flags_begin();
			volatile long double v = sqrtl(st_get(cpu, 0));
			flags_end(cpu);
			st_set(cpu, 0, v);
			return true;
		}
		if (r == 2 && i == 0)                  /* FNOP */
			return true;
		return false;
	case 0xdd:
		if (r == 2 || r == 3) {                /* FST/FSTP ST(i) */
			st_set(cpu, i, st_get(cpu, 0));
			if (r == 3)
				pop(cpu);
			return true;
		}
		if (r == 0) {                          /* FFREE */
			cpu->fxsave[4] &= (uint8_t)~(1u << ((top(cpu) + i) & 7));
			return true;
		}
		return false;
	case 0xda:
		if (r < 4) {                           /* FCMOVB/E/BE/U */
			static const unsigned cc[4] = { 2, 4, 6, 10 };
			if (emu_cond(cpu, cc[r]))
				st_set(cpu, 0, st_get(cpu, i));
			return true;
		}
		return false;
	case 0xdb: case 0xdf:
		if (op == 0xdb && r < 4) {             /* FCMOVNB/NE/NBE/NU */
			static const unsigned cc[4] = { 3, 5, 7, 11 };
			if (emu_cond(cpu, cc[r]))
				st_set(cpu, 0, st_get(cpu, i));
			return true;
		}
		if (r == 5 || r == 6) {                /* FUCOMI(P) / FCOMI(P) */
			set_comi(cpu, st_get(cpu, 0), st_get(cpu, i));
			if (op == 0xdf)
				pop(cpu);
			return true;
		}
		return false;
	default:
		return false;
	}
}
