/*
 * String instructions: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS with and
 * without REP/REPE/REPNE.
 *
 * Design note: a REP instruction runs at most EMU_REP_BATCH iterations per
 * step, then leaves RIP on itself so that interrupts are taken between
 * batches (as hardware takes them between iterations); rCX, rSI and rDI are
 * committed after every iteration, so a fault restarts the instruction
 * where it stopped. REP MOVS and REP STOS with DF=0 copy whole runs inside
 * one page at a time through host pointers when both sides are RAM and do
 * not overlap within the run.
 */
#include "cpu/emu/emu.h"

#define EMU_REP_BATCH 65536

static inline uint64_t idx_get(struct emu_cpu *cpu, unsigned r, unsigned as)
{
	return cpu->regs[r] & emu_mask(as);
}

static inline void idx_set(struct emu_cpu *cpu, unsigned r, unsigned as, uint64_t v)
{
	if (as == 8)
		cpu->regs[r] = v;
	else if (as == 4)
		cpu->regs[r] = (uint32_t)v;
	else
		cpu->regs[r] = (cpu->regs[r] & ~0xffffULL) | (v & 0xffff);
}

/* Bulk forward run for REP MOVS / REP STOS; returns iterations done (0 if
 * the fast path does not apply). */
static uint64_t rep_fast(struct emu_cpu *cpu, struct emu_insn *in, unsigned size, uint64_t count,
			 bool movs)
{
	unsigned as = in->addrsize;
	uint64_t di = idx_get(cpu, REG_RDI, as), si = idx_get(cpu, REG_RSI, as);
	uint64_t n = count;
	uint64_t dl = emu_linear(cpu, SEG_ES, di, size, ACC_WRITE);
	uint64_t room = (4096 - (dl & 0xfff)) / size;
	if (room < n)
		n = room;
	if (as != 8 && (di + n * size - 1) > emu_mask(as))
		return 0;
	uint64_t sl = 0;
	if (movs) {
		sl = emu_linear(cpu, in->seg, si, size, ACC_READ);
		room = (4096 - (sl & 0xfff)) / size;
		if (room < n)
			n = room;
		if (as != 8 && (si + n * size - 1) > emu_mask(as))
			return 0;
	}
	if (n < 2)
		return 0;
	/* Segment limits for the whole run. */
	emu_linear(cpu, SEG_ES, di + (n - 1) * size, size, ACC_WRITE);
	if (movs)
		emu_linear(cpu, in->seg, si + (n - 1) * size, size, ACC_READ);
	uint8_t *d = emu_host_ptr(cpu, dl, (unsigned)(n * size), ACC_WRITE);
	if (!d)
		return 0;
	if (movs) {
		uint8_t *s = emu_host_ptr(cpu, sl, (unsigned)(n * size), ACC_READ);
		if (!s)
			return 0;
		uint64_t len = n * size;
		if ((d > s && d < s + len) || (s > d && s < d + len))
			return 0;
		memcpy(d, s, len);
		idx_set(cpu, REG_RSI, as, si + len);
	} else {
		uint64_t v = cpu->regs[REG_RAX];
		if (size == 1) {
			memset(d, (int)(v & 0xff), n);
		} else {
			for (uint64_t i = 0; i < n; i++)
				emu_store_host(d + i * size, size, v);
		}
	}
	emu_code_wrote(cpu, d, n * size);
	idx_set(cpu, REG_RDI, as, di + n * size);
	return n;
}

static bool exec_string(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op, size, as = in->addrsize;
	switch (op) {
	case 0x6c: case 0x6d: case 0x6e: case 0x6f:
	case 0xa4: case 0xa5: case 0xa6: case 0xa7:
	case 0xaa: case 0xab: case 0xac: case 0xad: case 0xae: case 0xaf:
		break;
	default:
		return false;
	}
	size = (op & 1) ? in->opsize : 1;
	if (op <= 0x6f) {
		size = (op & 1) ? (in->opsize == 2 ? 2 : 4) : 1;
		if (!emu_io_allowed(cpu, (uint16_t)cpu->regs[REG_RDX], size))
			emu_raise(cpu, EXC_GP, 0);
	}
	int64_t step = (cpu->rflags & FL_DF) ? -(int64_t)size : (int64_t)size;
	bool rep = in->rep != 0;
	uint64_t count = rep ? idx_get(cpu, REG_RCX, as) : 1;
	uint64_t batch = 0;

	if (rep && !count)
		return true;
	while (count) {
		if (rep && !(cpu->rflags & FL_DF) && count > 1 && (op == 0xa4 || op == 0xa5 ||
								   op == 0xaa || op == 0xab)) {
			uint64_t n = rep_fast(cpu, in, size, count, op < 0xaa);
			if (n) {
				count -= n;
				idx_set(cpu, REG_RCX, as, count);
				batch += n;
				if (batch >= EMU_REP_BATCH && count)
					break;
				continue;
			}
		}
		uint64_t si = idx_get(cpu, REG_RSI, as), di = idx_get(cpu, REG_RDI, as);
		bool stop = false;
		switch (op) {
		case 0xa4: case 0xa5:
			emu_write(cpu, SEG_ES, di, size, emu_read(cpu, in->seg, si, size));
			idx_set(cpu, REG_RSI, as, si + step);
			idx_set(cpu, REG_RDI, as, di + step);
			break;
		case 0xa6: case 0xa7: {
			uint64_t a = emu_read(cpu, in->seg, si, size);
			uint64_t b = emu_read(cpu, SEG_ES, di, size);
			emu_alu(cpu, 7, a, b, size);
			idx_set(cpu, REG_RSI, as, si + step);
			idx_set(cpu, REG_RDI, as, di + step);
			stop = true;
			break;
		}
		case 0xaa: case 0xab:
			emu_write(cpu, SEG_ES, di, size, cpu->regs[REG_RAX]);
			idx_set(cpu, REG_RDI, as, di + step);
			break;
		case 0xac: case 0xad:
			emu_reg_set(cpu, in, REG_RAX, size, emu_read(cpu, in->seg, si, size));
			idx_set(cpu, REG_RSI, as, si + step);
			break;
		case 0xae: case 0xaf:
			emu_alu(cpu, 7, cpu->regs[REG_RAX], emu_read(cpu, SEG_ES, di, size), size);
			idx_set(cpu, REG_RDI, as, di + step);
			stop = true;
			break;
		case 0x6c: case 0x6d: {
			/* Check the destination before the port read has side effects. */
			uint64_t lin = emu_linear(cpu, SEG_ES, di, size, ACC_WRITE);
			emu_translate(cpu, lin, ACC_WRITE, emu_user(cpu));
			uint64_t v = machine_pio_read(cpu->m, (uint16_t)cpu->regs[REG_RDX], size);
			emu_write_lin(cpu, lin, size, v);
			idx_set(cpu, REG_RDI, as, di + step);
			cpu->check_irq = true;
			break;
		}
		default: {
			uint64_t v = emu_read(cpu, in->seg, si, size);
			machine_pio_write(cpu->m, (uint16_t)cpu->regs[REG_RDX], size, v);
			idx_set(cpu, REG_RSI, as, si + step);
			cpu->check_irq = true;
			break;
		}
		}
		if (!rep)
			return true;
		count--;
		idx_set(cpu, REG_RCX, as, count);
		if (stop) {
			bool zf = emu_cond(cpu, 4);
			if ((in->rep == 0xf3 && !zf) || (in->rep == 0xf2 && zf))
				return true;
		}
		if (++batch >= EMU_REP_BATCH && count)
			break;
	}
	if (count)
		cpu->next_rip = cpu->rip;   /* resume the REP after pending events */
	return true;
}

static unsigned prof_kind(unsigned op)
{
	switch (op) {
	case 0xa4: case 0xa5: return 0;
	case 0xaa: case 0xab: return 1;
	case 0xa6: case 0xa7: case 0xae: case 0xaf: return 2;
	case 0xac: case 0xad: return 3;
	default: return 4;
	}
}

bool emu_exec_string(struct emu_cpu *cpu, struct emu_insn *in)
{
	if (__builtin_expect(cpu->prof == NULL, 1) || !in->rep)
		return exec_string(cpu, in);
	uint64_t c0 = idx_get(cpu, REG_RCX, in->addrsize);
	bool done = exec_string(cpu, in);
	if (done)
		emu_prof_rep(cpu, prof_kind(in->op), c0 - idx_get(cpu, REG_RCX, in->addrsize));
	return done;
}
