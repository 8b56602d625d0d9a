/*
 * Control transfers: Jcc, JMP, CALL, RET, LOOP/JCXZ, far JMP/CALL/RET
 * (direct, through call gates, with the privilege-change stack switch),
 * IRET in real, virtual-8086, protected, compatibility and 64-bit mode,
 * INT n / INT3 / INTO / INT1 and BOUND.
 *
 * Design note: every far transfer reads and checks all descriptors and
 * stack slots before it changes a register, so a fault leaves the
 * instruction restartable (the step loop also restores RSP on a fault).
 * Task gates and hardware task switches are not implemented: they log once
 * and raise #GP, which no 64-bit OS and no firmware we run depends on.
 */
#include "cpu/emu/emu.h"

static void jump_near(struct emu_cpu *cpu, uint64_t target, unsigned opsize)
{
	emu_jump_near(cpu, target, opsize);
}

/* Loads CS from a checked descriptor at privilege `cpl`. */
void emu_load_cs(struct emu_cpu *cpu, uint16_t sel, uint64_t d, unsigned cpl)
{
	emu_set_accessed(cpu, sel, d);
	emu_desc_to_seg(d | (1ULL << 40), (uint16_t)((sel & ~3u) | cpl), &cpu->seg[SEG_CS]);
	cpu->cpl = cpl;
}

static void check_target_limit(struct emu_cpu *cpu, uint64_t d, uint64_t off)
{
	struct vcpu_segment s;
	emu_desc_to_seg(d, 0, &s);
	bool lm64 = (cpu->efer & EFER_LMA) && s.l;
	if (!lm64 && off > s.limit)
		emu_raise(cpu, EXC_GP, 0);
	if (lm64 && (uint64_t)((int64_t)(off << 16) >> 16) != off)
		emu_raise(cpu, EXC_GP, 0);
}

/* After a return to an outer level: data segments the new CPL may not use
 * become null (SDM Vol. 2, RET / IRET). */
static void invalidate_data_segs(struct emu_cpu *cpu)
{
	static const unsigned segs[4] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
	for (unsigned i = 0; i < 4; i++) {
		struct vcpu_segment *s = &cpu->seg[segs[i]];
		bool conf_code = (s->type & 0xc) == 0xc;
		if (!s->unusable && !conf_code && s->dpl < cpu->cpl) {
			s->selector = 0;
			s->unusable = 1;
			s->present = 0;
		}
	}
}

/* Reads a 32-bit or 64-bit TSS for the stack of ring `rpl`. */
void emu_tss_stack(struct emu_cpu *cpu, unsigned rpl, uint16_t *ss, uint64_t *sp)
{
	struct vcpu_segment *tr = &cpu->tr;
	if (cpu->efer & EFER_LMA) {
		if (4 + 8 * rpl + 7 > tr->limit)
			emu_raise(cpu, EXC_TS, tr->selector & 0xfffc);
		*sp = emu_sys_read(cpu, tr->base + 4 + 8 * rpl, 8);
		*ss = (uint16_t)rpl;
		return;
	}
	if (tr->type & 8) {   /* 32-bit TSS */
		if (8 * rpl + 4 + 5 > tr->limit)
			emu_raise(cpu, EXC_TS, tr->selector & 0xfffc);
		*sp = emu_sys_read(cpu, tr->base + 4 + 8 * rpl, 4);
		*ss = (uint16_t)emu_sys_read(cpu, tr->base + 8 + 8 * rpl, 2);
	} else {              /* 16-bit TSS */
		if (4 * rpl + 2 + 3 > tr->limit)
			emu_raise(cpu, EXC_TS, tr->selector & 0xfffc);
		*sp = emu_sys_read(cpu, tr->base + 2 + 4 * rpl, 2);
		*ss = (uint16_t)emu_sys_read(cpu, tr->base + 4 + 4 * rpl, 2);
	}
}

/* Checks a new stack segment for privilege level `cpl`; returns its descriptor. */
uint64_t emu_check_new_ss(struct emu_cpu *cpu, uint16_t ss, unsigned cpl, int exc)
{
	if (!(ss & ~3u)) {
		if ((cpu->efer & EFER_LMA) && cpl < 3)
			return 0;
		emu_raise(cpu, exc, 0);
	}
	uint64_t d = emu_read_desc(cpu, ss, exc);
	struct vcpu_segment s;
	emu_desc_to_seg(d, ss, &s);
	if ((ss & 3) != cpl || s.dpl != cpl || !s.s || (s.type & 0xa) != 0x2)
		emu_raise(cpu, exc, ss & 0xfffc);
	if (!s.present)
		emu_raise(cpu, EXC_SS, ss & 0xfffc);
	return d;
}

void emu_set_ss(struct emu_cpu *cpu, uint16_t ss, uint64_t d, unsigned cpl)
{
	if (!(ss & ~3u)) {
		struct vcpu_segment *s = &cpu->seg[SEG_SS];
		memset(s, 0, sizeof(*s));
		s->selector = ss;
		s->unusable = 1;
		s->dpl = (uint8_t)cpl;
		s->type = 3;
		s->s = 1;
		s->db = 1;
		return;
	}
	emu_set_accessed(cpu, ss, d);
	emu_desc_to_seg(d | (1ULL << 40), ss, &cpu->seg[SEG_SS]);
}

void emu_far_jump(struct emu_cpu *cpu, uint16_t sel, uint64_t off, bool call, unsigned opsize)
{
	if (!(cpu->cr0 & CR0_PE) || (cpu->rflags & FL_VM)) {
		off &= emu_mask(opsize);
		if (call) {
			emu_push(cpu, opsize, cpu->seg[SEG_CS].selector);
			emu_push(cpu, opsize, cpu->next_rip);
		}
		if (off > cpu->seg[SEG_CS].limit)
			emu_raise(cpu, EXC_GP, 0);
		emu_seg_real(cpu, SEG_CS, sel);
		cpu->next_rip = off;
		return;
	}
	if (!(sel & ~3u))
		emu_raise(cpu, EXC_GP, 0);
	unsigned cpl = cpu->cpl, rpl = sel & 3;
	uint64_t d = emu_read_desc(cpu, sel, EXC_GP);
	struct vcpu_segment s;
	emu_desc_to_seg(d, sel, &s);

	if (s.s) {
		if (!(s.type & 8))
			emu_raise(cpu, EXC_GP, sel & 0xfffc);
		if (s.type & 4) {
			if (s.dpl > cpl)
				emu_raise(cpu, EXC_GP, sel & 0xfffc);
		} else if (rpl > cpl || s.dpl != cpl) {
			emu_raise(cpu, EXC_GP, sel & 0xfffc);
		}
		if (!s.present)
			emu_raise(cpu, EXC_NP, sel & 0xfffc);
		off &= emu_mask(opsize);
		check_target_limit(cpu, d, off);
		if (call) {
			emu_push(cpu, opsize, cpu->seg[SEG_CS].selector);
			emu_push(cpu, opsize, cpu->next_rip);
		}
		emu_load_cs(cpu, sel, d, cpl);
		emu_update_mode(cpu);
		cpu->next_rip = off;
		return;
	}

	/* System descriptor: only call gates are supported. */
	bool lma = cpu->efer & EFER_LMA;
	bool gate32 = s.type == 0xc, gate16 = s.type == 4 && !lma;
	if (!gate32 && !gate16) {
		if (log_ratelimit_ok(&cpu->rl_misc, 5))
			EMU_LOG(cpu, LOG_WARN, "cpu%u: far %s to system descriptor type %u (task "
				"switch?) not supported", cpu->index, call ? "call" : "jmp", s.type);
		emu_raise(cpu, EXC_GP, sel & 0xfffc);
	}
	if (s.dpl < cpl || s.dpl < rpl)
		emu_raise(cpu, EXC_GP, sel & 0xfffc);
	if (!s.present)
		emu_raise(cpu, EXC_NP, sel & 0xfffc);
	uint16_t tsel = (uint16_t)(d >> 16);
	uint64_t toff = (d & 0xffff) | ((d >> 32) & 0xffff0000);
	unsigned nparams = (d >> 32) & 0x1f;
	unsigned gsize = gate16 ? 2 : lma ? 8 : 4;
	if (lma) {
		uint64_t hi = emu_sys_read(cpu, ((sel & 4) ? cpu->ldt.base : cpu->gdt.base) +
						     (sel & ~7u) + 8, 8);
		if ((hi >> 40) & 0x1f)
			emu_raise(cpu, EXC_GP, sel & 0xfffc);
		toff |= hi << 32;
		nparams = 0;
	}
	if (gate16)
		toff &= 0xffff;
	if (!(tsel & ~3u))
		emu_raise(cpu, EXC_GP, 0);
	uint64_t td = emu_read_desc(cpu, tsel, EXC_GP);
	struct vcpu_segment ts;
	emu_desc_to_seg(td, tsel, &ts);
	if (!ts.s || !(ts.type & 8) || ts.dpl > cpl || (lma && (!ts.l || ts.db)))
		emu_raise(cpu, EXC_GP, tsel & 0xfffc);
	if (!ts.present)
		emu_raise(cpu, EXC_NP, tsel & 0xfffc);
	check_target_limit(cpu, td, toff);

	if (!call) {
		if (!(ts.type & 4) && ts.dpl != cpl)
			emu_raise(cpu, EXC_GP, tsel & 0xfffc);
		emu_load_cs(cpu, tsel, td, cpl);
		emu_update_mode(cpu);
		cpu->next_rip = toff;
		return;
	}
	if (!(ts.type & 4) && ts.dpl < cpl) {
		/* Call to an inner ring: new stack from the TSS. */
		unsigned ncpl = ts.dpl;
		uint16_t nss;
		uint64_t nsp;
		emu_tss_stack(cpu, ncpl, &nss, &nsp);
		uint64_t ssd = emu_check_new_ss(cpu, nss, ncpl, EXC_TS);
		uint16_t old_ss = cpu->seg[SEG_SS].selector;
		uint64_t old_sp = emu_rsp(cpu), old_cs = cpu->seg[SEG_CS].selector;
		uint64_t params[32];
		for (unsigned i = 0; i < nparams; i++)
			params[i] = emu_read(cpu, SEG_SS, (old_sp + i * gsize) & emu_stack_mask(cpu),
					     gsize);
		struct vcpu_segment nseg;
		emu_desc_to_seg(ssd, nss, &nseg);
		uint64_t base = lma ? 0 : nseg.base;
		uint64_t smask = lma ? ~0ULL : nseg.db ? 0xffffffffULL : 0xffff;
		uint64_t sp = lma ? nsp & ~15ULL : nsp;
		uint64_t slots[40];
		unsigned n = 0;
		slots[n++] = old_ss;
		slots[n++] = old_sp;
		for (int i = (int)nparams - 1; i >= 0; i--)
			slots[n++] = params[i];
		slots[n++] = old_cs;
		slots[n++] = cpu->next_rip;
		for (unsigned i = 0; i < n; i++) {
			sp = (sp - gsize) & smask;
			uint64_t lin = base + sp;
			if (!lma && !nseg.db)
				lin = (uint32_t)lin;
			/* The new stack is written at the new (supervisor) privilege. */
			emu_write_lin_slow(cpu, lma ? lin : (uint32_t)lin, gsize, slots[i], false);
		}
		emu_load_cs(cpu, tsel, td, ncpl);
		emu_set_ss(cpu, nss, ssd, ncpl);
		emu_update_mode(cpu);
		emu_set_rsp(cpu, sp);
		cpu->next_rip = toff;
		return;
	}
	emu_push(cpu, gsize, cpu->seg[SEG_CS].selector);
	emu_push(cpu, gsize, cpu->next_rip);
	emu_load_cs(cpu, tsel, td, cpl);
	emu_update_mode(cpu);
	cpu->next_rip = toff;
}

void emu_far_return(struct emu_cpu *cpu, unsigned opsize, unsigned pop)
{
	uint64_t sp = emu_rsp(cpu), smask = emu_stack_mask(cpu);
	uint64_t off = emu_read(cpu, SEG_SS, sp, opsize);
	uint16_t sel = (uint16_t)emu_read(cpu, SEG_SS, (sp + opsize) & smask, 2);

	if (!(cpu->cr0 & CR0_PE) || (cpu->rflags & FL_VM)) {
		if (off > cpu->seg[SEG_CS].limit)
			emu_raise(cpu, EXC_GP, 0);
		emu_seg_real(cpu, SEG_CS, sel);
		emu_set_rsp(cpu, sp + 2 * opsize + pop);
		cpu->next_rip = off;
		return;
	}
	unsigned cpl = cpu->cpl, rpl = sel & 3;
	if (!(sel & ~3u))
		emu_raise(cpu, EXC_GP, 0);
	if (rpl < cpl)
		emu_raise(cpu, EXC_GP, sel & 0xfffc);
	uint64_t d = emu_read_desc(cpu, sel, EXC_GP);
	struct vcpu_segment s;
	emu_desc_to_seg(d, sel, &s);
	if (!s.s || !(s.type & 8))
		emu_raise(cpu, EXC_GP, sel & 0xfffc);
	if ((s.type & 4) ? s.dpl > rpl : s.dpl != rpl)
		emu_raise(cpu, EXC_GP, sel & 0xfffc);
	if (!s.present)
		emu_raise(cpu, EXC_NP, sel & 0xfffc);
	check_target_limit(cpu, d, off);
	if (rpl == cpl) {
		emu_load_cs(cpu, sel, d, cpl);
		emu_update_mode(cpu);
		emu_set_rsp(cpu, sp + 2 * opsize + pop);
		cpu->next_rip = off;
		return;
	}
	uint64_t sp2 = (sp + 2 * opsize + pop) & smask;
	uint64_t nsp = emu_read(cpu, SEG_SS, sp2, opsize);
	uint16_t nss = (uint16_t)emu_read(cpu, SEG_SS, (sp2 + opsize) & smask, 2);
	uint64_t ssd = emu_check_new_ss(cpu, nss, rpl, EXC_GP);
	emu_load_cs(cpu, sel, d, rpl);
	emu_set_ss(cpu, nss, ssd, rpl);
	emu_update_mode(cpu);
	emu_set_rsp(cpu, nsp + pop);
	invalidate_data_segs(cpu);
	cpu->next_rip = off;
}

/* Flag bits IRET may load, by privilege (SDM Vol. 2, IRET). */
static uint64_t iret_flag_mask(struct emu_cpu *cpu, unsigned opsize)
{
	uint64_t fl = emu_get_flags(cpu);
	uint64_t mask = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_RF | FL_AC | FL_ID;
	unsigned iopl = (fl >> 12) & 3;
	if (cpu->cpl == 0)
		mask |= FL_IOPL | FL_VIF | FL_VIP | FL_IF;
	else if (cpu->cpl <= iopl)
		mask |= FL_IF;
	if (opsize == 2)
		mask &= 0xffff;
	return mask;
}

void emu_iret(struct emu_cpu *cpu, unsigned opsize)
{
	uint64_t sp = emu_rsp(cpu), smask = emu_stack_mask(cpu);
	uint64_t fl = emu_get_flags(cpu);

	/* IRET ends the blocking of NMIs that delivering one began, even
	 * when it faults (SDM Vol. 3, 6.7.1). */
	cpu->nmi_masked = false;
	cpu->check_irq = true;

	if (!(cpu->cr0 & CR0_PE) || (fl & FL_VM)) {
		if ((fl & FL_VM) && ((fl >> 12) & 3) < 3)
			emu_raise(cpu, EXC_GP, 0);
		uint64_t ip = emu_read(cpu, SEG_SS, sp, opsize);
		uint16_t cs = (uint16_t)emu_read(cpu, SEG_SS, (sp + opsize) & smask, 2);
		uint64_t nf = emu_read(cpu, SEG_SS, (sp + 2 * opsize) & smask, opsize);
		if (ip > cpu->seg[SEG_CS].limit)
			emu_raise(cpu, EXC_GP, 0);
		uint64_t mask = FL_ARITH | FL_TF | FL_IF | FL_DF | FL_NT | FL_AC | FL_ID | FL_RF;
		if (!(fl & FL_VM))
			mask |= FL_IOPL;
		if (opsize == 2)
			mask &= 0xffff;
		emu_set_flags(cpu, (fl & ~mask) | (nf & mask));
		emu_seg_real(cpu, SEG_CS, cs);
		emu_set_rsp(cpu, sp + 3 * opsize);
		cpu->next_rip = ip;
		cpu->check_irq = true;
		return;
	}
	if ((fl & FL_NT) && !(cpu->efer & EFER_LMA)) {
		if (log_ratelimit_ok(&cpu->rl_misc, 5))
			EMU_LOG(cpu, LOG_WARN, "cpu%u: IRET with NT=1 (task return) not supported",
				cpu->index);
		emu_raise(cpu, EXC_GP, 0);
	}
	uint64_t ip = emu_read(cpu, SEG_SS, sp, opsize);
	uint16_t cs = (uint16_t)emu_read(cpu, SEG_SS, (sp + opsize) & smask, 2);
	uint64_t nf = emu_read(cpu, SEG_SS, (sp + 2 * opsize) & smask, opsize);

	if ((nf & FL_VM) && cpu->cpl == 0 && opsize == 4 && !(cpu->efer & EFER_LMA)) {
		/* Return to virtual-8086 mode. */
		uint64_t esp = emu_read(cpu, SEG_SS, (sp + 12) & smask, 4);
		uint16_t sel[5];
		for (unsigned i = 0; i < 5; i++)
			sel[i] = (uint16_t)emu_read(cpu, SEG_SS, (sp + 16 + 4 * i) & smask, 2);
		emu_set_flags(cpu, (nf & 0x3f7fd5) | 2);
		static const unsigned order[5] = { SEG_SS, SEG_ES, SEG_DS, SEG_FS, SEG_GS };
		for (unsigned i = 0; i < 5; i++)
			emu_seg_real(cpu, order[i], sel[i]);
		emu_seg_real(cpu, SEG_CS, cs);
		cpu->regs[REG_RSP] = (uint32_t)esp;
		emu_update_mode(cpu);
		cpu->next_rip = ip & 0xffff;
		cpu->check_irq = true;
		return;
	}
	unsigned cpl = cpu->cpl, rpl = cs & 3;
	if (!(cs & ~3u))
		emu_raise(cpu, EXC_GP, 0);
	if (rpl < cpl)
		emu_raise(cpu, EXC_GP, cs & 0xfffc);
	uint64_t d = emu_read_desc(cpu, cs, EXC_GP);
	struct vcpu_segment s;
	emu_desc_to_seg(d, cs, &s);
	if (!s.s || !(s.type & 8))
		emu_raise(cpu, EXC_GP, cs & 0xfffc);
	if ((s.type & 4) ? s.dpl > rpl : s.dpl != rpl)
		emu_raise(cpu, EXC_GP, cs & 0xfffc);
	if (!s.present)
		emu_raise(cpu, EXC_NP, cs & 0xfffc);
	if ((cpu->efer & EFER_LMA) && s.l && s.db)
		emu_raise(cpu, EXC_GP, cs & 0xfffc);
	check_target_limit(cpu, d, ip);
	uint64_t mask = iret_flag_mask(cpu, opsize);
	if (rpl == cpl && !cpu->code64) {
		emu_load_cs(cpu, cs, d, cpl);
		emu_set_flags(cpu, (fl & ~mask) | (nf & mask));
		emu_update_mode(cpu);
		emu_set_rsp(cpu, sp + 3 * opsize);
		cpu->next_rip = ip;
		cpu->check_irq = true;
		return;
	}
	uint64_t nsp = emu_read(cpu, SEG_SS, (sp + 3 * opsize) & smask, opsize);
	uint16_t nss = (uint16_t)emu_read(cpu, SEG_SS, (sp + 4 * opsize) & smask, 2);
	uint64_t ssd = emu_check_new_ss(cpu, nss, rpl, EXC_GP);
	emu_load_cs(cpu, cs, d, rpl);
	emu_set_ss(cpu, nss, ssd, rpl);
	emu_set_flags(cpu, (fl & ~mask) | (nf & mask));
	emu_update_mode(cpu);
	cpu->regs[REG_RSP] = opsize == 8 || cpu->stack_size == 8 ? nsp :
			     cpu->stack_size == 4 ? (uint32_t)nsp :
			     (cpu->regs[REG_RSP] & ~0xffffULL) | (nsp & 0xffff);
	if (rpl > cpl)
		invalidate_data_segs(cpu);
	cpu->next_rip = ip;
	cpu->check_irq = true;
}

static void exec_far_indirect(struct emu_cpu *cpu, struct emu_insn *in, bool call)
{
	if (in->mod == 3)
		emu_raise(cpu, EXC_UD, 0);
	unsigned size = in->opsize;
	uint64_t ea = emu_ea(cpu, in);
	uint64_t off = emu_read(cpu, in->seg, ea, size);
	uint16_t sel = (uint16_t)emu_read(cpu, in->seg, (ea + size) & emu_mask(in->addrsize), 2);
	emu_far_jump(cpu, sel, off, call, size);
}

bool emu_exec_control(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op, size = in->opsize;
	uint64_t next = cpu->rip + in->len;

	switch (op) {
	case 0x70 ... 0x7f:
		if (emu_cond(cpu, op & 0xf))
			jump_near(cpu, next + in->imm, size);
		return true;
	case 0x180 ... 0x18f:
		if (emu_cond(cpu, op & 0xf))
			jump_near(cpu, next + in->imm, size);
		return true;
	case 0xeb: case 0xe9:
		jump_near(cpu, next + in->imm, size);
		return true;
	case 0xe8: {
		uint64_t t = (next + in->imm) & emu_mask(size);
		if (!cpu->code64 && t > cpu->seg[SEG_CS].limit)
			emu_raise(cpu, EXC_GP, 0);
		emu_push(cpu, size, next);
		jump_near(cpu, t, size);
		return true;
	}
	case 0xc2: case 0xc3: {
		uint64_t sp = emu_rsp(cpu);
		uint64_t t = emu_read(cpu, SEG_SS, sp, size);
		jump_near(cpu, t, size);
		emu_set_rsp(cpu, sp + size + (op == 0xc2 ? (in->imm & 0xffff) : 0));
		return true;
	}
	case 0xe0: case 0xe1: case 0xe2: case 0xe3: {
		unsigned as = in->addrsize;
		uint64_t c = cpu->regs[REG_RCX] & emu_mask(as);
		bool take;
		if (op == 0xe3) {
			take = c == 0;
		} else {
			c = (c - 1) & emu_mask(as);
			take = c != 0;
			if (op == 0xe0)
				take = take && !emu_cond(cpu, 4);
			else if (op == 0xe1)
				take = take && emu_cond(cpu, 4);
		}
		if (take)
			jump_near(cpu, next + in->imm, size);
		if (op != 0xe3)
			emu_reg_set(cpu, in, REG_RCX, as, c);
		return true;
	}
	case 0x9a:
		emu_far_jump(cpu, (uint16_t)in->imm2, in->imm, true, size);
		return true;
	case 0xea:
		emu_far_jump(cpu, (uint16_t)in->imm2, in->imm, false, size);
		return true;
	case 0xca: case 0xcb:
		emu_far_return(cpu, size, op == 0xca ? in->imm & 0xffff : 0);
		return true;
	case 0xcf:
		emu_iret(cpu, size);
		return true;
	case 0xcc:
		emu_deliver(cpu, EXC_BP, false, 0, EV_SOFT);
		return true;
	case 0xcd:
		if ((cpu->rflags & FL_VM) && ((cpu->rflags >> 12) & 3) < 3)
			emu_raise(cpu, EXC_GP, 0);
		emu_deliver(cpu, in->imm & 0xff, false, 0, EV_SOFT);
		return true;
	case 0xce:
		if (emu_get_flags(cpu) & FL_OF)
			emu_deliver(cpu, EXC_OF, false, 0, EV_SOFT);
		return true;
	case 0xf1:
		emu_deliver(cpu, EXC_DB, false, 0, EV_TRAP);
		return true;
	case 0x62: {   /* BOUND */
		if (in->mod == 3)
			emu_raise(cpu, EXC_UD, 0);
		uint64_t ea = emu_ea(cpu, in);
		int64_t lo = (int64_t)emu_sext(emu_read(cpu, in->seg, ea, size), size);
		int64_t hi = (int64_t)emu_sext(emu_read(cpu, in->seg, (ea + size) &
							emu_mask(in->addrsize), size), size);
		int64_t idx = (int64_t)emu_sext(emu_reg_get(cpu, in, in->reg, size), size);
		if (idx < lo || idx > hi)
			emu_raise_noerr(cpu, EXC_BR);
		return true;
	}
	case 0xff: {
		unsigned r = in->reg & 7;
		switch (r) {
		case 2: {
			if (cpu->code64)
				size = 8;
			uint64_t t = emu_rm_read(cpu, in, size);
			if (!cpu->code64 && (t & emu_mask(size)) > cpu->seg[SEG_CS].limit)
				emu_raise(cpu, EXC_GP, 0);
			emu_push(cpu, size, next);
			jump_near(cpu, t, size);
			return true;
		}
		case 3: exec_far_indirect(cpu, in, true); return true;
		case 4:
			if (cpu->code64)
				size = 8;
			jump_near(cpu, emu_rm_read(cpu, in, size), size);
			return true;
		case 5: exec_far_indirect(cpu, in, false); return true;
		case 6:
			if (cpu->code64 && size == 4)
				size = 8;
			emu_push(cpu, size, emu_rm_read(cpu, in, size));
			return true;
		default:
			return false;
		}
	}
	default:
		return false;
	}
}
