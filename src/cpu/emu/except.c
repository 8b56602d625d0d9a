/*
 * Exceptions and interrupt delivery: raising a fault (longjmp back to the
 * step loop), the double-fault / triple-fault rules, and delivery through
 * the real-mode IVT, the protected-mode IDT (interrupt and trap gates,
 * privilege change through the TSS, return from virtual-8086 mode) and
 * the long-mode IDT (16-byte gates, IST, aligned 64-bit frames).
 *
 * Design note — classes (SDM Vol. 3, table 6-5): benign (everything not
 * listed), contributory (#DE #TS #NP #SS #GP) and page fault. While an
 * exception is being delivered cpu->delivering holds its vector; a second
 * fault then becomes #DF when both are contributory or the first is #PF and
 * the second contributory or #PF; any fault while delivering #DF is a
 * triple fault (VCPU_EXIT_SHUTDOWN). Delivery builds the whole frame in
 * memory before it changes CS, SS, RSP or RFLAGS, so a fault part way
 * leaves the CPU as it was.
 */
#include "cpu/emu/emu.h"

bool emu_exc_has_error(int vec)
{
	return vec == EXC_DF || (vec >= EXC_TS && vec <= EXC_PF) || vec == EXC_AC;
}

void emu_raise(struct emu_cpu *cpu, int vec, uint32_t err)
{
	cpu->exc_vec = vec;
	cpu->exc_err = err;
	cpu->exc_has_err = emu_exc_has_error(vec);
	longjmp(cpu->jmp, 1);
}

void emu_raise_noerr(struct emu_cpu *cpu, int vec)
{
	emu_raise(cpu, vec, 0);
}

/* Fault-class exceptions push RFLAGS with RF set (SDM Vol. 3, 17.3.1.1),
 * so the handler's IRET does not re-trigger an instruction breakpoint. */
static bool pushes_rf(int vec, enum emu_event kind)
{
	if (kind != EV_FAULT)
		return false;
	switch (vec) {
	case EXC_DE: case EXC_BR: case EXC_UD: case EXC_NM: case EXC_TS: case EXC_NP:
	case EXC_SS: case EXC_GP: case EXC_PF: case EXC_MF: case EXC_AC: case EXC_XM:
		return true;
	default:
		return false;
	}
}

static void deliver_real(struct emu_cpu *cpu, int vec, uint64_t ret)
{
	if ((unsigned)vec * 4 + 3 > cpu->idt.limit)
		emu_raise(cpu, EXC_GP, 0);
	uint64_t ent = emu_sys_read(cpu, cpu->idt.base + (unsigned)vec * 4, 4);
	uint64_t fl = emu_get_flags(cpu);
	emu_push(cpu, 2, fl);
	emu_push(cpu, 2, cpu->seg[SEG_CS].selector);
	emu_push(cpu, 2, ret);
	emu_set_flags(cpu, fl & ~(uint64_t)(FL_IF | FL_TF | FL_AC | FL_RF));
	emu_seg_real(cpu, SEG_CS, (uint16_t)(ent >> 16));
	cpu->rip = cpu->next_rip = ent & 0xffff;
}

/* Writes frame slots (first = highest address) below sp; returns the new sp. */
static uint64_t write_frame(struct emu_cpu *cpu, uint64_t base, uint64_t sp, uint64_t smask,
			    const uint64_t *slots, unsigned n, unsigned size, bool user, bool lma)
{
	for (unsigned i = 0; i < n; i++) {
		sp = (sp - size) & smask;
		uint64_t lin = base + sp;
		emu_write_lin_slow(cpu, lma ? lin : (uint32_t)lin, size, slots[i], user);
	}
	return sp;
}

static void deliver_long(struct emu_cpu *cpu, int vec, bool has_err, uint32_t err,
			 enum emu_event kind, uint64_t ret)
{
	/* Gates are 16 bytes here, but an error code naming one still holds
	 * the vector in its index field (bits 15:3) with IDT = bit 1, as in
	 * protected mode (SDM Vol. 3, 6.13 and 6.14.1): vector * 8 + 2. */
	unsigned idx = (unsigned)vec * 16, ext = kind != EV_SOFT;
	uint32_t gerr = (unsigned)vec * 8 + 2;
	if (idx + 15 > cpu->idt.limit)
		emu_raise(cpu, EXC_GP, gerr + ext);
	uint64_t lo = emu_sys_read(cpu, cpu->idt.base + idx, 8);
	uint64_t hi = emu_sys_read(cpu, cpu->idt.base + idx + 8, 8);
	unsigned type = (lo >> 40) & 0xf, dpl = (lo >> 45) & 3, cpl = cpu->cpl;
	if (type != 0xe && type != 0xf)
		emu_raise(cpu, EXC_GP, gerr + ext);
	if (kind == EV_SOFT && dpl < cpl)
		emu_raise(cpu, EXC_GP, gerr);
	if (!((lo >> 47) & 1))
		emu_raise(cpu, EXC_NP, gerr + ext);
	uint16_t sel = (uint16_t)(lo >> 16);
	uint64_t off = (lo & 0xffff) | ((lo >> 32) & 0xffff0000) | (hi << 32);
	unsigned ist = (lo >> 32) & 7;
	if (!(sel & ~3u))
		emu_raise(cpu, EXC_GP, ext);
	uint64_t cd = emu_read_desc(cpu, sel, EXC_GP);
	struct vcpu_segment cs;
	emu_desc_to_seg(cd, sel, &cs);
	if (!cs.s || !(cs.type & 8) || cs.dpl > cpl || !cs.l || cs.db)
		emu_raise(cpu, EXC_GP, (sel & 0xfffc) + ext);
	if (!cs.present)
		emu_raise(cpu, EXC_NP, (sel & 0xfffc) + ext);
	if ((uint64_t)((int64_t)(off << 16) >> 16) != off)
		emu_raise(cpu, EXC_GP, ext);
	unsigned ncpl = (cs.type & 4) ? cpl : cs.dpl;
	uint64_t sp = cpu->regs[REG_RSP];
	if (ist) {
		if (0x24 + 8 * (ist - 1) + 7 > cpu->tr.limit)
			emu_raise(cpu, EXC_TS, (cpu->tr.selector & 0xfffc) + ext);
		sp = emu_sys_read(cpu, cpu->tr.base + 0x24 + 8 * (ist - 1), 8);
	} else if (ncpl < cpl) {
		uint16_t dummy;
		emu_tss_stack(cpu, ncpl, &dummy, &sp);
	}
	if ((uint64_t)((int64_t)(sp << 16) >> 16) != sp)
		emu_raise(cpu, EXC_SS, ext);
	sp &= ~15ULL;
	uint64_t fl = emu_get_flags(cpu);
	uint64_t slots[6] = { cpu->seg[SEG_SS].selector, cpu->regs[REG_RSP],
			      fl | (pushes_rf(vec, kind) ? FL_RF : 0),
			      cpu->seg[SEG_CS].selector, ret, err };
	sp = write_frame(cpu, 0, sp, ~0ULL, slots, has_err ? 6 : 5, 8, ncpl == 3, true);

	emu_load_cs(cpu, sel, cd, ncpl);
	if (ncpl != cpl)
		emu_set_ss(cpu, (uint16_t)ncpl, 0, ncpl);
	fl &= ~(uint64_t)(FL_TF | FL_NT | FL_RF | FL_VM);
	if (type == 0xe)
		fl &= ~(uint64_t)FL_IF;
	emu_set_flags(cpu, fl);
	emu_update_mode(cpu);
	cpu->regs[REG_RSP] = sp;
	cpu->rip = cpu->next_rip = off;
}

static void deliver_prot(struct emu_cpu *cpu, int vec, bool has_err, uint32_t err,
			 enum emu_event kind, uint64_t ret)
{
	unsigned idx = (unsigned)vec * 8, ext = kind != EV_SOFT;
	if (idx + 7 > cpu->idt.limit)
		emu_raise(cpu, EXC_GP, idx + 2 + ext);
	uint64_t g = emu_sys_read(cpu, cpu->idt.base + idx, 8);
	unsigned type = (g >> 40) & 0xf, dpl = (g >> 45) & 3, cpl = cpu->cpl;
	if (type != 5 && type != 6 && type != 7 && type != 0xe && type != 0xf)
		emu_raise(cpu, EXC_GP, idx + 2 + ext);
	if (kind == EV_SOFT && dpl < cpl)
		emu_raise(cpu, EXC_GP, idx + 2);
	if (!((g >> 47) & 1))
		emu_raise(cpu, EXC_NP, idx + 2 + ext);
	if (type == 5) {
		if (log_ratelimit_ok(&cpu->rl_misc, 5))
			EMU_LOG(cpu, LOG_WARN, "cpu%u: task gate for vector %d not supported",
				cpu->index, vec);
		emu_raise(cpu, EXC_GP, idx + 2 + ext);
	}
	uint16_t sel = (uint16_t)(g >> 16);
	uint64_t off = (g & 0xffff) | ((g >> 32) & 0xffff0000);
	unsigned size = (type & 8) ? 4 : 2;
	if (size == 2)
		off &= 0xffff;
	if (!(sel & ~3u))
		emu_raise(cpu, EXC_GP, ext);
	uint64_t cd = emu_read_desc(cpu, sel, EXC_GP);
	struct vcpu_segment cs;
	emu_desc_to_seg(cd, sel, &cs);
	if (!cs.s || !(cs.type & 8) || cs.dpl > cpl)
		emu_raise(cpu, EXC_GP, (sel & 0xfffc) + ext);
	if (!cs.present)
		emu_raise(cpu, EXC_NP, (sel & 0xfffc) + ext);
	if (off > cs.limit)
		emu_raise(cpu, EXC_GP, ext);
	uint64_t fl = emu_get_flags(cpu);
	bool from_vm = fl & FL_VM;
	unsigned ncpl = (cs.type & 4) ? cpl : cs.dpl;
	if (from_vm && ncpl != 0)
		emu_raise(cpu, EXC_GP, (sel & 0xfffc) + ext);

	uint64_t slots[10];
	unsigned n = 0;
	uint64_t sp, base, smask;
	uint16_t nss = 0;
	uint64_t ssd = 0;
	bool switch_stack = ncpl < cpl;
	if (switch_stack) {
		uint64_t nsp;
		emu_tss_stack(cpu, ncpl, &nss, &nsp);
		ssd = emu_check_new_ss(cpu, nss, ncpl, EXC_TS);
		struct vcpu_segment ns;
		emu_desc_to_seg(ssd, nss, &ns);
		base = ns.base;
		smask = ns.db ? 0xffffffffULL : 0xffff;
		sp = nsp & smask;
		if (from_vm) {
			slots[n++] = cpu->seg[SEG_GS].selector;
			slots[n++] = cpu->seg[SEG_FS].selector;
			slots[n++] = cpu->seg[SEG_DS].selector;
			slots[n++] = cpu->seg[SEG_ES].selector;
		}
		slots[n++] = cpu->seg[SEG_SS].selector;
		slots[n++] = cpu->regs[REG_RSP] & emu_stack_mask(cpu);
	} else {
		base = cpu->seg[SEG_SS].base;
		smask = emu_stack_mask(cpu);
		sp = cpu->regs[REG_RSP] & smask;
	}
	slots[n++] = fl | (pushes_rf(vec, kind) ? FL_RF : 0);
	slots[n++] = cpu->seg[SEG_CS].selector;
	slots[n++] = ret;
	if (has_err)
		slots[n++] = err;
	sp = write_frame(cpu, base, sp, smask, slots, n, size, ncpl == 3, false);

	emu_load_cs(cpu, sel, cd, ncpl);
	if (switch_stack) {
		emu_set_ss(cpu, nss, ssd, ncpl);
		if (from_vm) {
			static const unsigned segs[4] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
			for (unsigned i = 0; i < 4; i++) {
				struct vcpu_segment *s = &cpu->seg[segs[i]];
				memset(s, 0, sizeof(*s));
				s->unusable = 1;
			}
		}
	}
	fl &= ~(uint64_t)(FL_TF | FL_NT | FL_RF | FL_VM);
	if (!(type & 1))
		fl &= ~(uint64_t)FL_IF;
	emu_set_flags(cpu, fl);
	emu_update_mode(cpu);
	if (smask == 0xffff)
		cpu->regs[REG_RSP] = (cpu->regs[REG_RSP] & ~0xffffULL) | sp;
	else
		cpu->regs[REG_RSP] = (uint32_t)sp;
	cpu->rip = cpu->next_rip = off;
}

void emu_deliver(struct emu_cpu *cpu, int vec, bool has_err, uint32_t err, enum emu_event kind)
{
	if (vec == EMU_FREEZE) {   /* rip still at the instruction: resumed there */
		cpu->halted = true;
		return;
	}
	uint64_t ret = (kind == EV_SOFT || kind == EV_TRAP) ? cpu->next_rip : cpu->rip;
	cpu->halted = false;
	if (!(cpu->cr0 & CR0_PE))
		deliver_real(cpu, vec, ret);
	else if (cpu->efer & EFER_LMA)
		deliver_long(cpu, vec, has_err, err, kind, ret);
	else
		deliver_prot(cpu, vec, has_err, err, kind, ret);
	if (vec == EXC_NMI && kind == EV_EXT)
		cpu->nmi_masked = true;
}
