/*
 * Model-specific registers of the emulated CPU: RDMSR/WRMSR's back end,
 * also used to save and restore the MSRs of struct vcpu_state.
 *
 * Design note — which MSRs exist: the architectural ones the emulator
 * implements are fields of struct emu_cpu; the MTRRs and a few
 * identification/feature MSRs firmware and kernels read (microcode
 * signature, MCG, DEBUGCTL, feature control) live in cpu->mtrr[] (slots
 * below); any other index raises #GP, as on hardware. The MTRRs are
 * registers only: memory types change nothing in an emulator whose memory
 * is coherent, but the values are checked as the SDM says (Vol. 3, 11.11:
 * a reserved type or a set reserved bit is #GP), so firmware and kernels
 * read back what they wrote and a buggy write faults as on hardware.
 * MTRRcap (0xFE) reports 8 variable ranges, the fixed ranges and WC, no
 * SMRR; it is read-only. PAT entries take the types 0 1 4 5 6 7.
 */
#include "cpu/emu/emu.h"
#include "hw/intc/intc.h"

#define MSR_MTRRCAP 0xfe
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MTRRCAP_VALUE 0x508ULL          /* VCNT 8, FIX, WC */
#define MTRR_PHYS_BITS 40               /* CPUID 0x80000008 EAX[7:0] */
#define MTRR_PHYS_RSVD (~0ULL << MTRR_PHYS_BITS)

static bool canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

/* --- MTRRs and the other table MSRs ---------------------------------------- */

static bool misc_msr(uint32_t msr)
{
	return (msr >= 0x200 && msr <= 0x20f) || msr == 0x250 || msr == 0x258 || msr == 0x259 ||
	       (msr >= 0x268 && msr <= 0x26f) || msr == MSR_MTRR_DEF_TYPE || msr == 0x3a ||
	       msr == 0x8b || msr == 0x1d9 || msr == 0x17a || msr == 0x17 || msr == 0x79 ||
	       (msr >= 0x400 && msr < 0x400 + 4 * 10);
}

static unsigned misc_slot(uint32_t msr)
{
	if (msr >= 0x200 && msr <= 0x20f) return msr - 0x200;          /* 0..15 */
	if (msr >= 0x268 && msr <= 0x26f) return 16 + (msr - 0x268);   /* 16..23 */
	switch (msr) {
	case 0x250: return 24;
	case 0x258: return 25;
	case 0x259: return 26;
	case MSR_MTRR_DEF_TYPE: return 27;
	case 0x3a: return 28;
	case 0x1d9: return 29;
	case 0x17a: return 30;
	default: return 31;    /* write-ignored, reads 0 */
	}
}

/* Memory types an MTRR may hold (SDM Vol. 3, table 11-8): UC WC WT WP WB. */
static bool mtrr_type_ok(unsigned t)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

/* Returns whether a write of val to MTRR msr is architecturally valid. */
static bool mtrr_valid(uint32_t msr, uint64_t val)
{
	if (msr == MSR_MTRR_DEF_TYPE)   /* type, FE (10), E (11) */
		return !(val & ~0xcffULL) && mtrr_type_ok(val & 0xff);
	if (msr == 0x250 || msr == 0x258 || msr == 0x259 || (msr >= 0x268 && msr <= 0x26f)) {
		for (unsigned i = 0; i < 8; i++)   /* eight fixed ranges, a type each */
			if (!mtrr_type_ok((val >> (8 * i)) & 0xff))
				return false;
		return true;
	}
	if (msr >= 0x200 && msr <= 0x20f) {
		if (!(msr & 1))   /* PHYSBASE: type, base address */
			return !(val & (MTRR_PHYS_RSVD | 0xf00)) && mtrr_type_ok(val & 0xff);
		return !(val & (MTRR_PHYS_RSVD | 0x7ff));   /* PHYSMASK: V (11), mask */
	}
	return true;
}

static bool pat_valid(uint64_t v)
{
	for (unsigned i = 0; i < 8; i++) {
		unsigned t = (v >> (8 * i)) & 0xff;
		if (t != 0 && t != 1 && t != 4 && t != 5 && t != 6 && t != 7)
			return false;
	}
	return true;
}

/* --- RDMSR / WRMSR ------------------------------------------------------------ */

int emu_rdmsr(struct emu_cpu *cpu, uint32_t msr, uint64_t *val)
{
	switch (msr) {
	case MSR_TSC: *val = emu_tsc(cpu); return 0;
	case MSR_APIC_BASE:
		*val = cpu->m && cpu->m->intc ? intc_get_apic_base(cpu->m, cpu->index) :
						cpu->apic_base;
		return 0;
	case MSR_SYSENTER_CS: *val = cpu->sysenter_cs; return 0;
	case MSR_SYSENTER_ESP: *val = cpu->sysenter_esp; return 0;
	case MSR_SYSENTER_EIP: *val = cpu->sysenter_eip; return 0;
	case MSR_MISC_ENABLE: *val = cpu->misc_enable; return 0;
	case MSR_PAT: *val = cpu->pat; return 0;
	case MSR_EFER: *val = cpu->efer; return 0;
	case MSR_STAR: *val = cpu->star; return 0;
	case MSR_LSTAR: *val = cpu->lstar; return 0;
	case MSR_CSTAR: *val = cpu->cstar; return 0;
	case MSR_SFMASK: *val = cpu->sfmask; return 0;
	case MSR_FS_BASE: *val = cpu->seg[SEG_FS].base; return 0;
	case MSR_GS_BASE: *val = cpu->seg[SEG_GS].base; return 0;
	case MSR_KERNEL_GS_BASE: *val = cpu->kernel_gs_base; return 0;
	case MSR_TSC_AUX: *val = cpu->tsc_aux; return 0;
	case MSR_TSC_DEADLINE:
		/* The LAPIC keeps deadlines on the machine's TSC (no offset). */
		*val = intc_get_tsc_deadline(cpu->m, cpu->index);
		if (*val)
			*val += cpu->tsc_offset;
		return 0;
	case MSR_MTRRCAP: *val = MTRRCAP_VALUE; return 0;
	case 0x179: *val = 0; return 0;      /* MCG_CAP: no banks */
	}
	if (msr >= 0x800 && msr <= 0x8ff) {
		if (!(cpu->apic_base & (1u << 10)))
			return -1;
		return intc_lapic_rdmsr(cpu->m, cpu->index, msr, val) ? 0 : -1;
	}
	if (misc_msr(msr)) {
		*val = misc_slot(msr) < 31 ? cpu->mtrr[misc_slot(msr)] : 0;
		return 0;
	}
	return -1;
}

int emu_wrmsr(struct emu_cpu *cpu, uint32_t msr, uint64_t val)
{
	switch (msr) {
	case MSR_TSC:
		cpu->tsc_offset = intc_tsc_write(cpu->m, val);
		return 0;
	case MSR_APIC_BASE:
		if (cpu->m && cpu->m->intc) {
			/* The interrupt hardware owns the register (EN, EXTD, BSP). */
			if (!intc_set_apic_base(cpu->m, cpu->index, val))
				return -1;
		} else if ((val & ~(0xfffff000ULL | 0x900)) || (val >> 40)) {
			return -1;
		}
		cpu->apic_base = val;
		emu_tlb_flush(cpu, false);
		return 0;
	case MSR_SYSENTER_CS: cpu->sysenter_cs = val & 0xffff; return 0;
	case MSR_SYSENTER_ESP:
		if (!canonical(val))
			return -1;
		cpu->sysenter_esp = val;
		return 0;
	case MSR_SYSENTER_EIP:
		if (!canonical(val))
			return -1;
		cpu->sysenter_eip = val;
		return 0;
	case MSR_MISC_ENABLE:
		cpu->misc_enable = (cpu->misc_enable & ~0x400004ULL) | (val & 0x400004ULL);
		return 0;
	case MSR_PAT:
		if (!pat_valid(val))
			return -1;
		cpu->pat = val;
		return 0;
	case MSR_EFER: {
		uint64_t allowed = EFER_SCE | EFER_LME | EFER_NXE;
		if (val & ~(allowed | EFER_LMA))
			return -1;
		if ((cpu->cr0 & CR0_PG) && ((val ^ cpu->efer) & EFER_LME))
			return -1;
		cpu->efer = (val & allowed) | (cpu->efer & EFER_LMA);
		emu_tlb_flush(cpu, false);
		emu_update_mode(cpu);
		return 0;
	}
	case MSR_STAR: cpu->star = val; return 0;
	case MSR_LSTAR:
	case MSR_CSTAR:
		if (!canonical(val))
			return -1;
		*(msr == MSR_LSTAR ? &cpu->lstar : &cpu->cstar) = val;
		return 0;
	case MSR_SFMASK: cpu->sfmask = val & 0xffffffff; return 0;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
		if (!canonical(val))
			return -1;
		if (msr == MSR_KERNEL_GS_BASE)
			cpu->kernel_gs_base = val;
		else
			cpu->seg[msr == MSR_FS_BASE ? SEG_FS : SEG_GS].base = val;
		return 0;
	case MSR_TSC_AUX:
		if (val >> 32)
			return -1;
		cpu->tsc_aux = val;
		return 0;
	case MSR_TSC_DEADLINE:
		/* The LAPIC keeps deadlines on the machine's TSC (no offset);
		 * 0 disarms, so a deadline from before its 0 becomes 1. */
		if (val) {
			bool before_zero = (int64_t)cpu->tsc_offset > 0 && val <= cpu->tsc_offset;
			val = before_zero ? 1 : val - cpu->tsc_offset;
		}
		intc_set_tsc_deadline(cpu->m, cpu->index, val);
		cpu->check_irq = true;
		return 0;
	case MSR_MTRRCAP:
		return -1;   /* read-only */
	}
	if (msr >= 0x800 && msr <= 0x8ff) {
		if (!(cpu->apic_base & (1u << 10)))
			return -1;
		cpu->check_irq = true;
		return intc_lapic_wrmsr(cpu->m, cpu->index, msr, val) ? 0 : -1;
	}
	if (misc_msr(msr)) {
		if (!mtrr_valid(msr, val))
			return -1;
		if (misc_slot(msr) < 31)
			cpu->mtrr[misc_slot(msr)] = val;
		return 0;
	}
	return -1;
}
