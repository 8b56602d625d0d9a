/*
 * System instructions: MOV to/from CR and DR, CLTS, LMSW/SMSW,
 * LGDT/LIDT/SGDT/SIDT, LLDT/SLDT, LTR/STR, LAR/LSL/VERR/VERW, INVLPG,
 * CPUID, RDMSR/WRMSR, RDTSC/RDTSCP/RDPMC, HLT, CLI/STI, IN/OUT (with IOPL
 * and the TSS I/O permission bitmap), SYSCALL/SYSRET, SYSENTER/SYSEXIT,
 * SWAPGS, RDPID, RD/WR FS/GS BASE, STAC/CLAC, INVPCID, fences, CLFLUSH,
 * LDMXCSR/STMXCSR, UD0/UD1/UD2; UMIP. MSRs are in msr.c.
 */
#include "cpu/emu/emu.h"
#include "hw/intc/intc.h"

uint64_t emu_tsc(struct emu_cpu *cpu)
{
	return intc_guest_tsc(cpu->m) + cpu->tsc_offset;
}

static bool canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

static void require_cpl0(struct emu_cpu *cpu)
{
	if (cpu->cpl != 0)
		emu_raise(cpu, EXC_GP, 0);
}

static void require_pmode(struct emu_cpu *cpu)
{
	if (!(cpu->cr0 & CR0_PE) || (cpu->rflags & FL_VM))
		emu_raise(cpu, EXC_UD, 0);
}

bool emu_io_allowed(struct emu_cpu *cpu, uint16_t port, unsigned size)
{
	if (!(cpu->cr0 & CR0_PE))
		return true;
	unsigned iopl = (cpu->rflags >> 12) & 3;
	if (!(cpu->rflags & FL_VM) && cpu->cpl <= iopl)
		return true;
	const struct vcpu_segment *tr = &cpu->tr;
	if (tr->unusable || (tr->type & 7) != 3 || tr->limit < 0x67)
		return false;
	uint32_t base = (uint32_t)emu_sys_read(cpu, tr->base + 0x66, 2);
	uint32_t byte = base + port / 8;
	if (byte + 1 > tr->limit)
		return false;
	uint32_t bits = (uint32_t)emu_sys_read(cpu, tr->base + byte, 2);
	return !((bits >> (port & 7)) & ((1u << size) - 1));
}

/* --- Control registers ----------------------------------------------------------- */

void emu_write_cr(struct emu_cpu *cpu, unsigned n, uint64_t val)
{
	switch (n) {
	case 0: {
		uint64_t old = cpu->cr0;
		if (val >> 32)
			emu_raise(cpu, EXC_GP, 0);
		val |= CR0_ET;
		if ((val & CR0_PG) && !(val & CR0_PE))
			emu_raise(cpu, EXC_GP, 0);
		if ((val & CR0_NW) && !(val & CR0_CD))
			emu_raise(cpu, EXC_GP, 0);
		if ((val & CR0_PG) && !(old & CR0_PG) && (cpu->efer & EFER_LME)) {
			if (!(cpu->cr4 & CR4_PAE) || cpu->seg[SEG_CS].l)
				emu_raise(cpu, EXC_GP, 0);
			cpu->efer |= EFER_LMA;
		}
		if (!(val & CR0_PG) && (old & CR0_PG) && (cpu->efer & EFER_LMA)) {
			if (cpu->code64 || (cpu->cr4 & CR4_PCIDE))
				emu_raise(cpu, EXC_GP, 0);
			cpu->efer &= ~(uint64_t)EFER_LMA;
		}
		cpu->cr0 = val;
		if ((old ^ val) & (CR0_PG | CR0_PE | CR0_WP))
			emu_tlb_flush(cpu, false);
		emu_update_mode(cpu);
		return;
	}
	case 2:
		cpu->cr2 = val;
		return;
	case 3: {
		/* With CR4.PCIDE, bits 11:0 are the PCID and bit 63 asks to keep
		 * the PCID's translations (SDM Vol. 3, 4.10.4.1): it is not
		 * stored. The TLB keeps a bank of entries per recent PCID
		 * (mmu.c), so a kernel that switches address spaces with bit 63
		 * set (page-table isolation, text patching) keeps its
		 * translations; a load with bit 63 clear, or without PCIDs,
		 * drops the new PCID's non-global entries. */
		bool keep = (cpu->cr4 & CR4_PCIDE) && (val >> 63);
		if (cpu->cr4 & CR4_PCIDE)
			val &= ~(1ULL << 63);
		if ((cpu->efer & EFER_LMA) && (val >> 40))
			emu_raise(cpu, EXC_GP, 0);
		cpu->cr3 = (cpu->efer & EFER_LMA) ? val : (uint32_t)val;
		emu_tlb_cr3(cpu, !keep);
		return;
	}
	case 4: {
		uint64_t allowed = CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE |
				   CR4_MCE | CR4_PGE | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT |
				   CR4_UMIP | CR4_FSGSBASE | CR4_PCIDE | CR4_OSXSAVE | CR4_SMEP |
				   CR4_SMAP;
		if (val & ~allowed)
			emu_raise(cpu, EXC_GP, 0);
		if ((cpu->efer & EFER_LMA) && !(val & CR4_PAE))
			emu_raise(cpu, EXC_GP, 0);
		uint64_t old = cpu->cr4;
		/* PCIDE may be set only in IA-32e mode with PCID 0 (SDM Vol. 3,
		 * 2.5 and 4.10.1). */
		if ((val & ~old & CR4_PCIDE) && (!(cpu->efer & EFER_LMA) || (cpu->cr3 & 0xfff)))
			emu_raise(cpu, EXC_GP, 0);
		cpu->cr4 = val;
		if ((old ^ val) & (CR4_PGE | CR4_PAE | CR4_PSE | CR4_PCIDE | CR4_SMEP | CR4_SMAP))
			emu_tlb_flush(cpu, false);
		return;
	}
	case 8:
		if (val >> 4)
			emu_raise(cpu, EXC_GP, 0);
		intc_set_tpr(cpu->m, cpu->index, (uint8_t)(val << 4));
		cpu->check_irq = true;
		return;
	default:
		emu_raise(cpu, EXC_UD, 0);
	}
}

static uint64_t read_cr(struct emu_cpu *cpu, unsigned n)
{
	switch (n) {
	case 0: return cpu->cr0;
	case 2: return cpu->cr2;
	case 3: return cpu->cr3;
	case 4: return cpu->cr4;
	case 8: return intc_get_tpr(cpu->m, cpu->index) >> 4;
	default: emu_raise(cpu, EXC_UD, 0);
	}
}

static void exec_mov_dr(struct emu_cpu *cpu, struct emu_insn *in, bool to_dr)
{
	unsigned n = in->reg;
	require_cpl0(cpu);
	if ((n == 4 || n == 5) && (cpu->cr4 & CR4_DE))
		emu_raise(cpu, EXC_UD, 0);
	if (n == 4 || n == 5)
		n += 2;
	if (n > 7)
		emu_raise(cpu, EXC_UD, 0);
	unsigned size = cpu->code64 ? 8 : 4;
	if (!to_dr) {
		uint64_t v = n < 4 ? cpu->dr[n] : n == 6 ? cpu->dr6 : cpu->dr7;
		emu_reg_set(cpu, in, in->rm, size, v);
		return;
	}
	uint64_t v = emu_reg_get(cpu, in, in->rm, size);
	if (n >= 6 && (v >> 32))
		emu_raise(cpu, EXC_GP, 0);
	if (n < 4)
		cpu->dr[n] = v;
	else if (n == 6)
		cpu->dr6 = (v & 0x1e00f) | 0xffff0ff0;
	else
		cpu->dr7 = (v & 0xffff2bff) | 0x400;
}

/* --- Descriptor tables --------------------------------------------------------------- */

/* UMIP (CR4 bit 11): SGDT SIDT SLDT SMSW STR are #GP(0) above CPL 0. */
static void check_umip(struct emu_cpu *cpu)
{
	if ((cpu->cr4 & CR4_UMIP) && cpu->cpl > 0)
		emu_raise(cpu, EXC_GP, 0);
}

static void exec_grp6(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned r = in->reg & 7;
	require_pmode(cpu);
	switch (r) {
	case 0: case 1: {
		check_umip(cpu);
		uint16_t sel = r == 0 ? cpu->ldt.selector : cpu->tr.selector;
		if (in->mod == 3)
			emu_reg_set(cpu, in, in->rm, in->opsize, sel);
		else
			emu_rm_write(cpu, in, 2, sel);
		return;
	}
	case 2: case 3: {
		require_cpl0(cpu);
		uint16_t sel = (uint16_t)emu_rm_read(cpu, in, 2);
		bool lma = cpu->efer & EFER_LMA;
		struct vcpu_segment *dst = r == 2 ? &cpu->ldt : &cpu->tr;
		if (!(sel & ~3u)) {
			if (r == 3)
				emu_raise(cpu, EXC_GP, 0);
			memset(dst, 0, sizeof(*dst));
			dst->selector = sel;
			dst->unusable = 1;
			return;
		}
		if (sel & 4)
			emu_raise(cpu, EXC_GP, sel & 0xfffc);
		uint64_t d = emu_read_desc(cpu, sel, EXC_GP);
		struct vcpu_segment s;
		emu_desc_to_seg(d, sel, &s);
		bool ok = r == 2 ? s.type == 2 : (lma ? s.type == 9 : (s.type == 1 || s.type == 9));
		if (s.s || !ok)
			emu_raise(cpu, EXC_GP, sel & 0xfffc);
		if (!s.present)
			emu_raise(cpu, EXC_NP, sel & 0xfffc);
		if (lma) {
			uint64_t hi = emu_sys_read(cpu, cpu->gdt.base + (sel & ~7u) + 8, 8);
			s.base |= (hi & 0xffffffff) << 32;
		}
		if (r == 3) {   /* mark busy */
			emu_sys_write(cpu, cpu->gdt.base + (sel & ~7u) + 5, 1,
				      ((d >> 40) & 0xff) | 2);
			s.type |= 2;
		}
		*dst = s;
		return;
	}
	case 4: case 5: {   /* VERR / VERW */
		uint16_t sel = (uint16_t)emu_rm_read(cpu, in, 2);
		bool ok = false;
		uint64_t base = (sel & 4) ? cpu->ldt.base : cpu->gdt.base;
		uint32_t lim = (sel & 4) ? cpu->ldt.limit : cpu->gdt.limit;
		if ((sel & ~3u) && (uint32_t)(sel & ~7u) + 7 <= lim && !((sel & 4) && cpu->ldt.unusable)) {
			struct vcpu_segment s;
			emu_desc_to_seg(emu_sys_read(cpu, base + (sel & ~7u), 8), sel, &s);
			bool conf = (s.type & 0xc) == 0xc;
			if (s.s && (conf || (s.dpl >= cpu->cpl && s.dpl >= (sel & 3u)))) {
				if (r == 4)
					ok = !(s.type & 8) || (s.type & 2);
				else
					ok = !(s.type & 8) && (s.type & 2);
			}
		}
		uint64_t fl = emu_get_flags(cpu) & ~(uint64_t)FL_ZF;
		emu_set_flags(cpu, fl | (ok ? FL_ZF : 0));
		return;
	}
	default:
		emu_unimplemented(cpu, in);
	}
}

static void exec_lar_lsl(struct emu_cpu *cpu, struct emu_insn *in, bool lsl)
{
	require_pmode(cpu);
	uint16_t sel = (uint16_t)emu_rm_read(cpu, in, 2);
	uint64_t base = (sel & 4) ? cpu->ldt.base : cpu->gdt.base;
	uint32_t lim = (sel & 4) ? cpu->ldt.limit : cpu->gdt.limit;
	bool ok = false;
	uint64_t d = 0;
	if ((sel & ~3u) && (uint32_t)(sel & ~7u) + 7 <= lim && !((sel & 4) && cpu->ldt.unusable)) {
		d = emu_sys_read(cpu, base + (sel & ~7u), 8);
		struct vcpu_segment s;
		emu_desc_to_seg(d, sel, &s);
		bool conf = s.s && (s.type & 0xc) == 0xc;
		bool priv = conf || (s.dpl >= cpu->cpl && s.dpl >= (sel & 3u));
		if (s.s) {
			ok = priv;
		} else {
			static const bool lar_ok[16] = { [1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 1,
							 [9] = 1, [11] = 1, [12] = 1 };
			static const bool lsl_ok[16] = { [1] = 1, [2] = 1, [3] = 1, [9] = 1, [11] = 1 };
			bool t = lsl ? lsl_ok[s.type] : lar_ok[s.type];
			if (cpu->efer & EFER_LMA)
				t = t && (s.type == 2 || s.type == 9 || s.type == 11 ||
					  (!lsl && s.type == 12));
			ok = priv && t;
		}
		if (ok) {
			uint64_t v = lsl ? s.limit : (d >> 32) & 0x00f0ff00;
			emu_reg_set(cpu, in, in->reg, in->opsize, v);
		}
	}
	uint64_t fl = emu_get_flags(cpu) & ~(uint64_t)FL_ZF;
	emu_set_flags(cpu, fl | (ok ? FL_ZF : 0));
}

static void exec_grp7(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned r = in->reg & 7;
	if (in->mod == 3) {
		unsigned rm = in->rm & 7;
		if (r == 7 && rm == 0) {   /* SWAPGS */
			if (!cpu->code64)
				emu_raise(cpu, EXC_UD, 0);
			require_cpl0(cpu);
			uint64_t t = cpu->seg[SEG_GS].base;
			cpu->seg[SEG_GS].base = cpu->kernel_gs_base;
			cpu->kernel_gs_base = t;
			return;
		}
		if (r == 7 && rm == 1) {   /* RDTSCP */
			if ((cpu->cr4 & CR4_TSD) && cpu->cpl)
				emu_raise(cpu, EXC_GP, 0);
			uint64_t t = emu_tsc(cpu);
			cpu->regs[REG_RAX] = (uint32_t)t;
			cpu->regs[REG_RDX] = t >> 32;
			cpu->regs[REG_RCX] = (uint32_t)cpu->tsc_aux;
			return;
		}
		if (r == 2 && rm == 0) {
			emu_xgetbv(cpu, in);
			return;
		}
		if (r == 2 && rm == 1) {
			emu_xsetbv(cpu, in);
			return;
		}
		if (r == 1 && (rm == 2 || rm == 3)) {   /* CLAC, STAC */
			if (cpu->cpl > 0)
				emu_raise(cpu, EXC_UD, 0);
			if (rm == 2)
				cpu->rflags &= ~(uint64_t)FL_AC;
			else
				cpu->rflags |= FL_AC;
			return;
		}
		if (r == 4) {   /* SMSW reg */
			check_umip(cpu);
			emu_reg_set(cpu, in, in->rm, in->opsize, cpu->cr0);
			return;
		}
		if (r == 6) {
			require_cpl0(cpu);
			uint64_t v = emu_reg_get(cpu, in, in->rm, 2);
			emu_write_cr(cpu, 0, (cpu->cr0 & ~0xeULL) | (v & 0xf) | (cpu->cr0 & 1));
			return;
		}
		emu_unimplemented(cpu, in);
	}
	uint64_t ea = emu_ea(cpu, in);
	switch (r) {
	case 0: case 1: {
		if ((cpu->cr0 & CR0_PE) && (cpu->rflags & FL_VM))
			require_cpl0(cpu);
		check_umip(cpu);
		struct vcpu_dtable *t = r == 0 ? &cpu->gdt : &cpu->idt;
		unsigned bsize = cpu->code64 ? 8 : 4;
		emu_linear(cpu, in->seg, ea, 2 + bsize, ACC_WRITE);
		emu_write(cpu, in->seg, ea, 2, t->limit);
		emu_write(cpu, in->seg, (ea + 2) & emu_mask(in->addrsize), bsize, t->base);
		return;
	}
	case 2: case 3: {
		require_cpl0(cpu);
		unsigned bsize = cpu->code64 ? 8 : 4;
		uint16_t lim = (uint16_t)emu_read(cpu, in->seg, ea, 2);
		uint64_t base = emu_read(cpu, in->seg, (ea + 2) & emu_mask(in->addrsize), bsize);
		if (!cpu->code64 && in->opsize == 2)
			base &= 0xffffff;
		if (cpu->code64 && !canonical(base))
			emu_raise(cpu, EXC_GP, 0);
		struct vcpu_dtable *t = r == 2 ? &cpu->gdt : &cpu->idt;
		t->limit = lim;
		t->base = base;
		return;
	}
	case 4:
		check_umip(cpu);
		emu_rm_write(cpu, in, 2, cpu->cr0);
		return;
	case 6: {
		require_cpl0(cpu);
		uint64_t v = emu_rm_read(cpu, in, 2);
		emu_write_cr(cpu, 0, (cpu->cr0 & ~0xeULL) | (v & 0xf) | (cpu->cr0 & 1));
		return;
	}
	case 7: {
		require_cpl0(cpu);
		uint64_t lin = cpu->code64 ? ea + (in->seg >= SEG_FS ? cpu->seg[in->seg].base : 0) :
					     (uint32_t)(cpu->seg[in->seg].base + ea);
		emu_tlb_flush_page(cpu, lin);
		return;
	}
	default:
		emu_unimplemented(cpu, in);
	}
}

/* INVPCID (66 0F 38 82 /r; SDM Vol. 2): the type in a register, a 16-byte
 * descriptor {PCID, linear address} in memory. Type 0 drops the address
 * (for every PCID, which is more than asked), type 1 the PCID's non-global
 * entries, type 2 everything, type 3 every PCID's non-global entries. */
static void exec_invpcid(struct emu_cpu *cpu, struct emu_insn *in)
{
	if (!in->p66 || in->mod == 3 || !(cpu->cr0 & CR0_PE) || (cpu->rflags & FL_VM))
		emu_raise(cpu, EXC_UD, 0);
	require_cpl0(cpu);
	uint64_t type = emu_reg_get(cpu, in, in->reg, cpu->code64 ? 8 : 4);
	uint64_t ea = emu_ea(cpu, in);
	uint64_t desc = emu_read(cpu, in->seg, ea, 8);
	uint64_t lin = emu_read(cpu, in->seg, (ea + 8) & emu_mask(in->addrsize), 8);
	if (type > 3 || (desc >> 12))
		emu_raise(cpu, EXC_GP, 0);
	if (type <= 1 && (desc & 0xfff) && !(cpu->cr4 & CR4_PCIDE))
		emu_raise(cpu, EXC_GP, 0);
	switch (type) {
	case 0:
		if (!canonical(lin))
			emu_raise(cpu, EXC_GP, 0);
		emu_tlb_flush_page(cpu, lin);
		return;
	case 1:
		emu_tlb_flush_pcid(cpu, desc & 0xfff);
		return;
	case 2:
		emu_tlb_flush(cpu, false);
		return;
	default:
		emu_tlb_flush(cpu, true);
		return;
	}
}

/* RDFSBASE RDGSBASE WRFSBASE WRGSBASE (F3 [REX.W] 0F AE /0-3, register
 * operand): 64-bit mode with CR4.FSGSBASE only, any CPL; a 32-bit
 * operand reads the low half and writes a zero-extended base; a
 * non-canonical base is #GP(0). */
static void exec_fsgsbase(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned r = in->reg & 7, size = in->opsize == 8 ? 8 : 4;
	if (!cpu->code64 || !(cpu->cr4 & CR4_FSGSBASE) || in->lock)
		emu_raise(cpu, EXC_UD, 0);
	struct vcpu_segment *s = &cpu->seg[(r & 1) ? SEG_GS : SEG_FS];
	if (r < 2) {
		emu_reg_set(cpu, in, in->rm, size, s->base);
		return;
	}
	uint64_t v = emu_reg_get(cpu, in, in->rm, size);
	if (!canonical(v))
		emu_raise(cpu, EXC_GP, 0);
	s->base = v;
}

/* --- Fast system calls ---------------------------------------------------------------- */

static void flat_seg(struct vcpu_segment *s, uint16_t sel, uint8_t type, unsigned dpl, bool l,
		     bool db)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->s = 1;
	s->dpl = (uint8_t)dpl;
	s->present = 1;
	s->l = l;
	s->db = db;
	s->g = 1;
}

static void exec_syscall(struct emu_cpu *cpu, struct emu_insn *in)
{
	if (!(cpu->efer & EFER_SCE) || !cpu->code64)
		emu_raise(cpu, EXC_UD, 0);
	uint16_t sel = (uint16_t)(cpu->star >> 32);
	uint64_t fl = emu_get_flags(cpu);
	cpu->regs[REG_RCX] = cpu->next_rip;
	cpu->regs[REG_R11] = fl & ~(uint64_t)FL_RF;
	flat_seg(&cpu->seg[SEG_CS], sel & 0xfffc, 0xb, 0, true, false);
	flat_seg(&cpu->seg[SEG_SS], (uint16_t)(sel + 8), 0x3, 0, false, true);
	emu_set_flags(cpu, fl & ~cpu->sfmask & ~(uint64_t)FL_RF);
	cpu->cpl = 0;
	emu_update_mode(cpu);
	cpu->next_rip = cpu->lstar;
}

static void exec_sysret(struct emu_cpu *cpu, struct emu_insn *in)
{
	if (!(cpu->efer & EFER_SCE) || !cpu->code64)
		emu_raise(cpu, EXC_UD, 0);
	require_cpl0(cpu);
	uint16_t sel = (uint16_t)(cpu->star >> 48);
	bool to64 = in->opsize == 8;
	uint64_t rip = to64 ? cpu->regs[REG_RCX] : (uint32_t)cpu->regs[REG_RCX];
	if (to64 && !canonical(rip))
		emu_raise(cpu, EXC_GP, 0);
	if (to64)
		flat_seg(&cpu->seg[SEG_CS], (uint16_t)((sel + 16) | 3), 0xb, 3, true, false);
	else
		flat_seg(&cpu->seg[SEG_CS], (uint16_t)(sel | 3), 0xb, 3, false, true);
	/* SS keeps a flat cache; only the selector and DPL change (Intel). */
	flat_seg(&cpu->seg[SEG_SS], (uint16_t)((sel + 8) | 3), 0x3, 3, false, true);
	emu_set_flags(cpu, (cpu->regs[REG_R11] & 0x3c7fd7) | 2);
	cpu->cpl = 3;
	emu_update_mode(cpu);
	cpu->next_rip = rip;
	cpu->check_irq = true;
}

static void exec_sysenter(struct emu_cpu *cpu)
{
	if (!(cpu->cr0 & CR0_PE) || !(cpu->sysenter_cs & 0xfffc))
		emu_raise(cpu, EXC_GP, 0);
	bool lma = cpu->efer & EFER_LMA;
	uint16_t cs = cpu->sysenter_cs & 0xfffc;
	emu_set_flags(cpu, emu_get_flags(cpu) & ~(uint64_t)(FL_VM | FL_IF | FL_RF));
	flat_seg(&cpu->seg[SEG_CS], cs, 0xb, 0, lma, !lma);
	flat_seg(&cpu->seg[SEG_SS], (uint16_t)(cs + 8), 0x3, 0, false, true);
	cpu->cpl = 0;
	emu_update_mode(cpu);
	cpu->regs[REG_RSP] = lma ? cpu->sysenter_esp : (uint32_t)cpu->sysenter_esp;
	cpu->next_rip = lma ? cpu->sysenter_eip : (uint32_t)cpu->sysenter_eip;
}

static void exec_sysexit(struct emu_cpu *cpu, struct emu_insn *in)
{
	if (!(cpu->cr0 & CR0_PE) || (cpu->rflags & FL_VM) || !(cpu->sysenter_cs & 0xfffc))
		emu_raise(cpu, EXC_GP, 0);
	require_cpl0(cpu);
	bool to64 = in->opsize == 8;
	uint16_t cs = (uint16_t)cpu->sysenter_cs;
	if (to64) {
		if (!canonical(cpu->regs[REG_RDX]) || !canonical(cpu->regs[REG_RCX]))
			emu_raise(cpu, EXC_GP, 0);
		flat_seg(&cpu->seg[SEG_CS], (uint16_t)((cs + 32) | 3), 0xb, 3, true, false);
		flat_seg(&cpu->seg[SEG_SS], (uint16_t)((cs + 40) | 3), 0x3, 3, false, true);
	} else {
		flat_seg(&cpu->seg[SEG_CS], (uint16_t)((cs + 16) | 3), 0xb, 3, false, true);
		flat_seg(&cpu->seg[SEG_SS], (uint16_t)((cs + 24) | 3), 0x3, 3, false, true);
	}
	cpu->cpl = 3;
	emu_update_mode(cpu);
	cpu->regs[REG_RSP] = to64 ? cpu->regs[REG_RCX] : (uint32_t)cpu->regs[REG_RCX];
	cpu->next_rip = to64 ? cpu->regs[REG_RDX] : (uint32_t)cpu->regs[REG_RDX];
}

static void exec_cpuid(struct emu_cpu *cpu)
{
	struct cpuid_regs r;
	unsigned n = cpu->m ? cpu->m->nvcpus : 1;
	uint32_t leaf = (uint32_t)cpu->regs[REG_RAX], sub = (uint32_t)cpu->regs[REG_RCX];
	cpuid_model(cpu->index, n ? n : 1, leaf, sub, &r);
	if (leaf == 1 && !(cpu->apic_base & (1u << 11)))
		r.edx &= ~(1u << 9);   /* APIC bit follows IA32_APIC_BASE.EN */
	if (leaf == 1 && (cpu->cr4 & CR4_OSXSAVE))
		r.ecx |= 1u << 27;     /* OSXSAVE follows CR4 */
	/* The emulated TSC runs at INTC_TSC_HZ whatever the host does, so the
	 * emulator (not the shared model, which KVM also uses) reports it in
	 * the TSC/crystal leaf 0x15 (TSC = ECX * EBX / EAX) and leaf 0x16
	 * (MHz); guests then need not calibrate against the PIT. The crystal
	 * (ECX) must be the LAPIC timer's clock: Linux programs the LAPIC
	 * timer from it without measuring (intc.h, INTC_LAPIC_HZ). */
	if (leaf == 0 && r.eax < 0x16)
		r.eax = 0x16;
	if (leaf == 0x15) {
		r.eax = 1;
		r.ebx = (uint32_t)(INTC_TSC_HZ / INTC_LAPIC_HZ);
		r.ecx = (uint32_t)INTC_LAPIC_HZ;
		r.edx = 0;
	} else if (leaf == 0x16) {
		r.eax = r.ebx = (uint32_t)(INTC_TSC_HZ / 1000000);
		r.ecx = 100;
		r.edx = 0;
	}
	cpu->regs[REG_RAX] = r.eax;
	cpu->regs[REG_RBX] = r.ebx;
	cpu->regs[REG_RCX] = r.ecx;
	cpu->regs[REG_RDX] = r.edx;
}

static void exec_io(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op;
	unsigned size = (op & 1) ? (in->opsize == 2 ? 2 : 4) : 1;
	uint16_t port = op < 0xe8 ? (uint16_t)(in->imm & 0xff) : (uint16_t)cpu->regs[REG_RDX];
	if (!emu_io_allowed(cpu, port, size))
		emu_raise(cpu, EXC_GP, 0);
	if (!(op & 2)) {
		uint64_t v = machine_pio_read(cpu->m, port, size);
		emu_reg_set(cpu, in, REG_RAX, size, v);
	} else {
		machine_pio_write(cpu->m, port, size, cpu->regs[REG_RAX] & emu_mask(size));
	}
	cpu->check_irq = true;
}

bool emu_exec_system(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op;
	uint64_t v;

	switch (op) {
	case 0xe4: case 0xe5: case 0xe6: case 0xe7:
	case 0xec: case 0xed: case 0xee: case 0xef:
		exec_io(cpu, in);
		return true;
	case 0xf4:
		require_cpl0(cpu);
		cpu->halted = true;
		return true;
	case 0xfa: case 0xfb: {
		uint64_t fl = emu_get_flags(cpu);
		unsigned iopl = (fl >> 12) & 3;
		if ((cpu->cr0 & CR0_PE) && ((fl & FL_VM) ? iopl < 3 : cpu->cpl > iopl))
			emu_raise(cpu, EXC_GP, 0);
		if (op == 0xfa) {
			cpu->rflags &= ~(uint64_t)FL_IF;
		} else {
			if (!(cpu->rflags & FL_IF))
				cpu->intr_shadow = 1;
			cpu->rflags |= FL_IF;
			cpu->check_irq = true;
		}
		return true;
	}
	case 0x100: exec_grp6(cpu, in); return true;
	case 0x101: exec_grp7(cpu, in); return true;
	case 0x102: exec_lar_lsl(cpu, in, false); return true;
	case 0x103: exec_lar_lsl(cpu, in, true); return true;
	case 0x105: exec_syscall(cpu, in); return true;
	case 0x107: exec_sysret(cpu, in); return true;
	case 0x106:
		require_cpl0(cpu);
		cpu->cr0 &= ~(uint64_t)CR0_TS;
		return true;
	case 0x108: case 0x109:
		require_cpl0(cpu);
		return true;
	case 0x10b: case 0x1b9: case 0x1ff:
		emu_raise(cpu, EXC_UD, 0);
	case 0x120: case 0x122: {
		unsigned n = in->reg;
		require_cpl0(cpu);
		unsigned size = cpu->code64 ? 8 : 4;
		if (op == 0x120) {
			emu_reg_set(cpu, in, in->rm, size, read_cr(cpu, n));
		} else {
			v = emu_reg_get(cpu, in, in->rm, size);
			emu_write_cr(cpu, n, v);
		}
		return true;
	}
	case 0x121: exec_mov_dr(cpu, in, false); return true;
	case 0x123: exec_mov_dr(cpu, in, true); return true;
	case 0x130: case 0x132: {
		require_cpl0(cpu);
		uint32_t msr = (uint32_t)cpu->regs[REG_RCX];
		if (op == 0x130) {
			v = (cpu->regs[REG_RDX] << 32) | (uint32_t)cpu->regs[REG_RAX];
			if (emu_wrmsr(cpu, msr, v) < 0) {
				if (log_ratelimit_ok(&cpu->rl_msr, 10))
					EMU_LOG(cpu, LOG_DEBUG, "cpu%u: wrmsr %#x = %#llx -> #GP",
						cpu->index, msr, (unsigned long long)v);
				emu_raise(cpu, EXC_GP, 0);
			}
		} else {
			if (emu_rdmsr(cpu, msr, &v) < 0) {
				if (log_ratelimit_ok(&cpu->rl_msr, 10))
					EMU_LOG(cpu, LOG_DEBUG, "cpu%u: rdmsr %#x -> #GP", cpu->index,
						msr);
				emu_raise(cpu, EXC_GP, 0);
			}
			cpu->regs[REG_RAX] = (uint32_t)v;
			cpu->regs[REG_RDX] = v >> 32;
		}
		return true;
	}
	case 0x131:
		if ((cpu->cr4 & CR4_TSD) && cpu->cpl)
			emu_raise(cpu, EXC_GP, 0);
		v = emu_tsc(cpu);
		cpu->regs[REG_RAX] = (uint32_t)v;
		cpu->regs[REG_RDX] = v >> 32;
		return true;
	case 0x133:
		if (!(cpu->cr4 & CR4_PCE) && cpu->cpl)
			emu_raise(cpu, EXC_GP, 0);
		emu_raise(cpu, EXC_GP, 0);   /* no performance counters */
	case 0x134: exec_sysenter(cpu); return true;
	case 0x135: exec_sysexit(cpu, in); return true;
	case 0x1a2: exec_cpuid(cpu); return true;
	case 0x1c7:
		if (in->mod == 3 && (in->reg & 7) == 7 && in->rep == 0xf3) {
			/* RDPID: IA32_TSC_AUX, at any CPL (CR4.TSD does not apply). */
			emu_reg_set(cpu, in, in->rm, cpu->code64 ? 8 : 4, (uint32_t)cpu->tsc_aux);
			return true;
		}
		return false;
	case 0x138:
		if (in->op3 == 0x82) {
			exec_invpcid(cpu, in);
			return true;
		}
		return false;
	case 0x1ae: {
		unsigned r = in->reg & 7;
		if (in->mod == 3) {
			if (r >= 5)
				return true;   /* LFENCE, MFENCE, SFENCE */
			if (r < 4 && in->rep == 0xf3) {
				exec_fsgsbase(cpu, in);
				return true;
			}
			emu_unimplemented(cpu, in);
		}
		if (r < 2) {
			emu_fxsave(cpu, in, r == 1);
			return true;
		}
		if ((r == 4 || r == 5) && !in->p66 && !in->rep) {
			emu_xsave(cpu, in, r == 5);
			return true;
		}
		if (r == 7) {   /* CLFLUSH: faults like a byte read */
			emu_read(cpu, in->seg, emu_ea(cpu, in), 1);
			return true;
		}
		if (r == 2 || r == 3) {   /* LDMXCSR / STMXCSR */
			if ((cpu->cr0 & CR0_EM) || !(cpu->cr4 & CR4_OSFXSR))
				emu_raise(cpu, EXC_UD, 0);
			if (cpu->cr0 & CR0_TS)
				emu_raise(cpu, EXC_NM, 0);
			uint64_t ea = emu_ea(cpu, in);
			if (r == 3) {
				uint32_t m;
				memcpy(&m, cpu->fxsave + 24, 4);
				emu_write(cpu, in->seg, ea, 4, m);
			} else {
				uint32_t m = (uint32_t)emu_read(cpu, in->seg, ea, 4);
				if (m & ~0xffffu)
					emu_raise(cpu, EXC_GP, 0);
				memcpy(cpu->fxsave + 24, &m, 4);
			}
			return true;
		}
		emu_unimplemented(cpu, in);
	}
	default:
		return false;
	}
}
