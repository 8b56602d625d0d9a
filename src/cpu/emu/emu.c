/*
 * The emulator backend (cpu_backend_emu): vCPU create/run/kick and the
 * mapping between struct emu_cpu and the backend-neutral struct vcpu_state,
 * plus the step loop that fetches, decodes and executes instructions and
 * takes interrupts, NMIs and INIT/SIPI between them.
 *
 * Design note — the step loop: emu_step() sets a jmp_buf once; a fault
 * anywhere in an instruction longjmps back, the loop restores RSP from
 * insn_rsp, applies the double/triple-fault rules and delivers the
 * exception, then carries on. Event checks (interrupt hardware, kick,
 * memory-map change) run only when something flagged them (check_irq after
 * STI/POPF/IRET/I/O/CR8/LAPIC writes; poke from the interrupt hardware) and
 * every EMU_EVENT_PERIOD (16384) instructions as a safety net, so the hot
 * path stays free of locks. Instructions run in decoded blocks (block.c: one lookup and one
 * event check per block, code-page write tracking instead of byte checks);
 * debugging, TF, interrupt shadows and code the block path declines run
 * one instruction at a time through the decoded-instruction cache, keyed by
 * host address of the first byte and reused only while the guest bytes
 * still match (see emu.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "cpu/emu/emu.h"
#include "hw/intc/intc.h"
#include "hw/pc/pc.h"

/* Instructions between two event checks nothing asked for (a power of
 * two): the safety net for what does not poke the vCPU, chiefly the
 * interrupt hardware's run-time bookkeeping (gaps up to INTC_RUN_GAP_NS
 * count as run time: 16384 instructions take well under that even
 * interpreted) and timers whose loop thread runs late. Each check also
 * ends the chained run of translated code. NYX_EMU_PROFILE samples at
 * every EMU_PROF_PERIOD instructions (bench/emu_profile.py's unit). */
#define EMU_EVENT_PERIOD 16384
#define EMU_PROF_PERIOD 4096

static inline bool has_intc(const struct emu_cpu *cpu)
{
	return cpu->m && cpu->m->intc;
}

void emu_update_mode(struct emu_cpu *cpu)
{
	bool pe = cpu->cr0 & CR0_PE, vm = cpu->rflags & FL_VM;
	cpu->cpl = !pe ? 0 : vm ? 3 : cpu->seg[SEG_SS].dpl;
	cpu->code64 = (cpu->efer & EFER_LMA) && cpu->seg[SEG_CS].l;
	cpu->code_size = cpu->code64 ? 8 : cpu->seg[SEG_CS].db ? 4 : 2;
	cpu->stack_size = cpu->code64 ? 8 : cpu->seg[SEG_SS].db ? 4 : 2;
	cpu->paging = pe && (cpu->cr0 & CR0_PG);
	cpu->tlbc = cpu->tlb->e[cpu->cpl == 3];
}

struct emu_cpu *emu_cpu_new(struct vcpu *v)
{
	struct emu_cpu *cpu = calloc(1, sizeof(*cpu));
	if (!cpu)
		return NULL;
	cpu->icache = aligned_alloc(64, EMU_ICACHE_SIZE * sizeof(*cpu->icache));
	cpu->blocks = calloc(EMU_BLOCKS, sizeof(*cpu->blocks));
	cpu->scratch = calloc(1, sizeof(*cpu->scratch));
	if (!cpu->icache || !cpu->blocks || !cpu->scratch || emu_tlb_init(cpu)) {
		emu_cpu_free(cpu);
		return NULL;
	}
	for (unsigned i = 0; i < EMU_ICACHE_SIZE; i++)
		cpu->icache[i].key = 0;
	cpu->v = v;
	cpu->m = v->m;
	cpu->vm = v->m ? v->m->cpu_priv : NULL;
	cpu->index = v->index;
	cpu->delivering = -1;
	cpu->a20_mask = ~0ULL;
	emu_jit_open(cpu);   /* failure only logged: the interpreter runs everything */
	vcpu_state_reset(cpu->scratch, v->index);
	emu_state_set(cpu, cpu->scratch);
	return cpu;
}

void emu_cpu_free(struct emu_cpu *cpu)
{
	if (!cpu)
		return;
	emu_prof_close(cpu);
	emu_jit_close(cpu);
	free(cpu->icache);
	free(cpu->blocks);
	free(cpu->scratch);
	emu_tlb_free(cpu);
	free(cpu);
}

/* --- State mapping ------------------------------------------------------------------ */

static const uint32_t mtrr_msrs[] = {
	0x2ff, 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,
	0x200, 0x201, 0x202, 0x203, 0x204, 0x205, 0x206, 0x207,
	0x208, 0x209, 0x20a, 0x20b, 0x20c, 0x20d, 0x20e, 0x20f,
};

static void add_msr(struct vcpu_state *s, uint32_t idx, uint64_t v)
{
	if (s->nmsrs < VCPU_MAX_MSRS)
		s->msrs[s->nmsrs++] = (struct vcpu_msr){ idx, v };
}

void emu_state_get(struct emu_cpu *cpu, struct vcpu_state *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->regs, cpu->regs, sizeof(s->regs));
	s->rip = cpu->rip;
	s->rflags = emu_get_flags(cpu);
	memcpy(s->seg, cpu->seg, sizeof(s->seg));
	s->ldt = cpu->ldt;
	s->tr = cpu->tr;
	s->gdt = cpu->gdt;
	s->idt = cpu->idt;
	s->cr0 = cpu->cr0;
	s->cr2 = cpu->cr2;
	s->cr3 = cpu->cr3;
	s->cr4 = cpu->cr4;
	s->cr8 = has_intc(cpu) ? intc_get_tpr(cpu->m, cpu->index) >> 4 : 0;
	s->efer = cpu->efer;
	s->apic_base = cpu->apic_base;
	memcpy(s->dr, cpu->dr, sizeof(s->dr));
	s->dr6 = cpu->dr6;
	s->dr7 = cpu->dr7;
	s->xcr0 = cpu->xcr0;
	s->tsc = cpu->m ? emu_tsc(cpu) : cpu->tsc_offset;
	memcpy(s->xsave, cpu->fxsave, sizeof(cpu->fxsave));
	s->xsave[512] = 3;   /* XSTATE_BV: x87 and SSE state present */
	add_msr(s, MSR_EFER, cpu->efer);
	add_msr(s, MSR_STAR, cpu->star);
	add_msr(s, MSR_LSTAR, cpu->lstar);
	add_msr(s, MSR_CSTAR, cpu->cstar);
	add_msr(s, MSR_SFMASK, cpu->sfmask);
	add_msr(s, MSR_KERNEL_GS_BASE, cpu->kernel_gs_base);
	add_msr(s, MSR_FS_BASE, cpu->seg[SEG_FS].base);
	add_msr(s, MSR_GS_BASE, cpu->seg[SEG_GS].base);
	add_msr(s, MSR_SYSENTER_CS, cpu->sysenter_cs);
	add_msr(s, MSR_SYSENTER_ESP, cpu->sysenter_esp);
	add_msr(s, MSR_SYSENTER_EIP, cpu->sysenter_eip);
	add_msr(s, MSR_TSC, s->tsc);
	add_msr(s, MSR_APIC_BASE, cpu->apic_base);
	add_msr(s, MSR_PAT, cpu->pat);
	add_msr(s, MSR_MISC_ENABLE, cpu->misc_enable);
	add_msr(s, MSR_TSC_AUX, cpu->tsc_aux);
	for (unsigned i = 0; i < sizeof(mtrr_msrs) / sizeof(mtrr_msrs[0]); i++) {
		uint64_t v = 0;
		emu_rdmsr(cpu, mtrr_msrs[i], &v);
		add_msr(s, mtrr_msrs[i], v);
	}
	if (has_intc(cpu)) {
		intc_lapic_get(cpu->m, cpu->index, s->lapic);
		s->lapic_valid = 1;
	}
	s->events.interrupt_shadow = cpu->intr_shadow;
	s->events.nmi_masked = cpu->nmi_masked;
	s->events.exception_injected = cpu->pending.exception_injected;
	s->events.exception_nr = cpu->pending.exception_nr;
	s->events.exception_has_error = cpu->pending.exception_has_error;
	s->events.exception_error = cpu->pending.exception_error;
	s->events.interrupt_injected = cpu->pending.interrupt_injected;
	s->events.interrupt_nr = cpu->pending.interrupt_nr;
	s->events.nmi_pending = cpu->pending.nmi_pending;
	s->mp_state = cpu->halted ? VCPU_MP_HALTED : cpu->mp_state;
}

static void set_msr_raw(struct emu_cpu *cpu, uint32_t idx, uint64_t v)
{
	switch (idx) {
	case MSR_EFER: cpu->efer = v; return;
	case MSR_STAR: cpu->star = v; return;
	case MSR_LSTAR: cpu->lstar = v; return;
	case MSR_CSTAR: cpu->cstar = v; return;
	case MSR_SFMASK: cpu->sfmask = v; return;
	case MSR_KERNEL_GS_BASE: cpu->kernel_gs_base = v; return;
	case MSR_FS_BASE: cpu->seg[SEG_FS].base = v; return;
	case MSR_GS_BASE: cpu->seg[SEG_GS].base = v; return;
	case MSR_SYSENTER_CS: cpu->sysenter_cs = v; return;
	case MSR_SYSENTER_ESP: cpu->sysenter_esp = v; return;
	case MSR_SYSENTER_EIP: cpu->sysenter_eip = v; return;
	case MSR_TSC: cpu->tsc_offset = cpu->m ? intc_tsc_write(cpu->m, v) : v; return;
	case MSR_APIC_BASE: cpu->apic_base = v; return;
	case MSR_PAT: cpu->pat = v; return;
	case MSR_MISC_ENABLE: cpu->misc_enable = v; return;
	case MSR_TSC_AUX: cpu->tsc_aux = v; return;
	default:
		emu_wrmsr(cpu, idx, v);   /* MTRRs and the rest of the table */
		return;
	}
}

void emu_state_set(struct emu_cpu *cpu, const struct vcpu_state *s)
{
	memcpy(cpu->regs, s->regs, sizeof(cpu->regs));
	cpu->rip = cpu->next_rip = s->rip;
	emu_set_flags(cpu, s->rflags);
	memcpy(cpu->seg, s->seg, sizeof(cpu->seg));
	cpu->ldt = s->ldt;
	cpu->tr = s->tr;
	cpu->gdt = s->gdt;
	cpu->idt = s->idt;
	cpu->cr0 = s->cr0;
	cpu->cr2 = s->cr2;
	cpu->cr3 = s->cr3;
	cpu->cr4 = s->cr4;
	cpu->efer = s->efer;
	cpu->apic_base = s->apic_base;
	memcpy(cpu->dr, s->dr, sizeof(cpu->dr));
	cpu->dr6 = s->dr6;
	cpu->dr7 = s->dr7;
	cpu->xcr0 = (s->xcr0 & 3) | 1;   /* x87 and SSE are all the emulator has */
	cpu->tsc_offset = cpu->m ? intc_tsc_write(cpu->m, s->tsc) : s->tsc;
	memcpy(cpu->fxsave, s->xsave, sizeof(cpu->fxsave));
	cpu->pat = 0x0007040600070406ULL;
	cpu->misc_enable = 1;   /* fast strings */
	for (uint32_t i = 0; i < s->nmsrs && i < VCPU_MAX_MSRS; i++)
		set_msr_raw(cpu, s->msrs[i].index, s->msrs[i].value);
	if (has_intc(cpu)) {
		if (s->lapic_valid)
			intc_lapic_set(cpu->m, cpu->index, s->lapic);
		intc_set_apic_base(cpu->m, cpu->index, cpu->apic_base);
		if (s->cr8 || s->lapic_valid)
			intc_set_tpr(cpu->m, cpu->index, (uint8_t)(s->cr8 << 4));
	}
	cpu->intr_shadow = s->events.interrupt_shadow;
	cpu->nmi_masked = s->events.nmi_masked;
	cpu->pending = s->events;
	cpu->halted = s->mp_state == VCPU_MP_HALTED;
	cpu->mp_state = s->mp_state == VCPU_MP_HALTED ? VCPU_MP_RUNNABLE : s->mp_state;
	cpu->delivering = -1;
	cpu->in_shutdown = false;
	cpu->check_irq = true;
	emu_update_mode(cpu);
	emu_tlb_flush(cpu, false);
}

/* --- Events between instructions ------------------------------------------------------ */

static void do_init(struct emu_cpu *cpu)
{
	uint64_t apic_base = cpu->apic_base;
	vcpu_state_reset(cpu->scratch, cpu->index);
	cpu->scratch->apic_base = apic_base;
	for (uint32_t i = 0; i < cpu->scratch->nmsrs; i++)
		if (cpu->scratch->msrs[i].index == MSR_APIC_BASE)
			cpu->scratch->msrs[i].value = apic_base;
	uint64_t tsc_offset = cpu->tsc_offset;
	emu_state_set(cpu, cpu->scratch);
	cpu->tsc_offset = tsc_offset;
	/* As KVM: INIT puts an AP in wait-for-SIPI, the BSP restarts at reset. */
	cpu->mp_state = cpu->index == 0 ? VCPU_MP_RUNNABLE : VCPU_MP_INIT_RECEIVED;
}

static void do_sipi(struct emu_cpu *cpu, uint8_t vec)
{
	cpu->seg[SEG_CS].selector = (uint16_t)(vec << 8);
	cpu->seg[SEG_CS].base = (uint64_t)vec << 12;
	cpu->rip = cpu->next_rip = 0;
	cpu->mp_state = VCPU_MP_RUNNABLE;
	cpu->halted = false;
	emu_update_mode(cpu);
}

/* Returns a VCPU_EXIT_* to leave the run loop, or -1 to go on. */
static int events(struct emu_cpu *cpu)
{
	if (cpu->icount >= cpu->ev_next) {
		uint64_t period = EMU_EVENT_PERIOD;
		if (__builtin_expect(cpu->prof != NULL, 0)) {
			emu_prof_sample(cpu);
			period = EMU_PROF_PERIOD;
		}
		cpu->ev_next = (cpu->icount | (period - 1)) + 1;
	}
	if (cpu->v && atomic_load_explicit(&cpu->v->kicked, memory_order_relaxed))
		return VCPU_EXIT_KICK;
	atomic_store_explicit(&cpu->poke, false, memory_order_relaxed);
	if (atomic_load_explicit(&cpu->tlb_flush_req, memory_order_relaxed) &&
	    atomic_exchange(&cpu->tlb_flush_req, false))
		emu_tlb_flush(cpu, false);
	uint64_t a20 = !cpu->m || pc_a20_enabled(cpu->m) ? ~0ULL : ~(1ULL << 20);
	if (a20 != cpu->a20_mask) {
		cpu->a20_mask = a20;
		emu_tlb_flush(cpu, false);
	}
	cpu->check_irq = false;
	/* In an interrupt shadow (the instruction after STI, MOV SS or POP
	 * SS) nothing is taken, so the interrupt hardware is asked after the
	 * shadowed instruction, not now (each STI asked it twice). INIT and
	 * SIPI wait that one instruction too. */
	if (cpu->intr_shadow && !cpu->in_shutdown && cpu->mp_state == VCPU_MP_RUNNABLE &&
	    !cpu->pending.exception_injected && !cpu->pending.interrupt_injected) {
		cpu->check_irq = true;
		return cpu->halted ? VCPU_EXIT_HLT : -1;
	}
	bool intc = has_intc(cpu);
	struct intc_cpu_events ev = { 0 };
	if (intc) {
		/* One lock round for the run time, INIT/SIPI and what is
		 * pending; the NMI and the interrupt are taken below. */
		intc_cpu_check(cpu->m, cpu->index, &ev);
		if (ev.init_sipi == 1)
			do_init(cpu);
		else if (ev.init_sipi == 2 && cpu->mp_state == VCPU_MP_INIT_RECEIVED)
			do_sipi(cpu, ev.sipi_vector);
	}
	if (cpu->in_shutdown) {
		cpu->check_irq = true;   /* only INIT (or a new state) leaves it */
		return VCPU_EXIT_HLT;
	}
	if (cpu->mp_state != VCPU_MP_RUNNABLE) {
		cpu->check_irq = true;   /* keep looking for INIT/SIPI on every entry */
		return VCPU_EXIT_HLT;
	}

	cpu->insn_rsp = cpu->regs[REG_RSP];
	if (cpu->pending.exception_injected) {
		cpu->pending.exception_injected = 0;
		cpu->delivering = cpu->pending.exception_nr;
		emu_deliver(cpu, cpu->pending.exception_nr, cpu->pending.exception_has_error,
			    cpu->pending.exception_error, EV_FAULT);
		cpu->delivering = -1;
		return -1;
	}
	if (cpu->pending.interrupt_injected) {
		cpu->pending.interrupt_injected = 0;
		emu_deliver(cpu, cpu->pending.interrupt_nr, false, 0, EV_EXT);
		return -1;
	}
	if (cpu->intr_shadow) {
		cpu->check_irq = true;   /* look again after the shadowed instruction */
		return cpu->halted ? VCPU_EXIT_HLT : -1;
	}
	if (!cpu->nmi_masked &&
	    (cpu->pending.nmi_pending || (ev.nmi && intc_nmi_take(cpu->m, cpu->index)))) {
		cpu->pending.nmi_pending = 0;
		emu_deliver(cpu, EXC_NMI, false, 0, EV_EXT);
		return -1;
	}
	if ((cpu->rflags & FL_IF) && ev.irq) {
		int vec = intc_irq_ack(cpu->m, cpu->index);
		if (vec >= 0) {
			emu_deliver(cpu, vec, false, 0, EV_EXT);
			cpu->check_irq = true;   /* more may be pending */
			return -1;
		}
	}
	if (cpu->halted)
		return VCPU_EXIT_HLT;
	return -1;
}

/* --- Fetch and the decoded-instruction cache ------------------------------------------ */

static void handle_fault(struct emu_cpu *cpu)
{
	int vec = cpu->exc_vec;
	uint32_t err = cpu->exc_err;
	bool has = cpu->exc_has_err;

	if (cpu->delivering < 0) {
		cpu->regs[REG_RSP] = cpu->insn_rsp;
	} else {
		int first = cpu->delivering;
		bool c1 = first == EXC_DE || (first >= EXC_TS && first <= EXC_GP);
		bool c2 = vec == EXC_DE || (vec >= EXC_TS && vec <= EXC_GP);
		if (first == EXC_DF) {
			cpu->shutdown = true;
			cpu->delivering = -1;
			return;
		}
		if ((c1 && c2) || (first == EXC_PF && (c2 || vec == EXC_PF))) {
			vec = EXC_DF;
			err = 0;
			has = true;
		}
	}
	cpu->intr_shadow = 0;
	cpu->halted = false;
	cpu->delivering = vec;
	emu_deliver(cpu, vec, has, err, EV_FAULT);
	cpu->delivering = -1;
}

_Static_assert(sizeof(struct emu_icache_entry) == 64, "a cache entry is one host cache line");

static inline uint32_t icache_hash(uintptr_t host)
{
	return (uint32_t)((host ^ (host >> 12)) & (EMU_ICACHE_SIZE - 1));
}

/* Which of the bytes compared for an instruction of length n (index) are
 * its own: bytes 0-7 in the first word, 7-14 in the second. */
#define LEN_MASK(n) ((n) >= 8 ? ~0ULL : (1ULL << (8 * (n))) - 1)
static const uint64_t icache_mlo[16] = {
	LEN_MASK(0), LEN_MASK(1), LEN_MASK(2), LEN_MASK(3), LEN_MASK(4), LEN_MASK(5),
	LEN_MASK(6), LEN_MASK(7), LEN_MASK(8), LEN_MASK(9), LEN_MASK(10), LEN_MASK(11),
	LEN_MASK(12), LEN_MASK(13), LEN_MASK(14), LEN_MASK(15),
};
static const uint64_t icache_mhi[16] = {
	0, 0, 0, 0, 0, 0, 0, 0, LEN_MASK(1), LEN_MASK(2), LEN_MASK(3), LEN_MASK(4),
	LEN_MASK(5), LEN_MASK(6), LEN_MASK(7), LEN_MASK(8),
};

/* Decodes the instruction at CS:RIP into cpu->in (or returns a cached copy). */
static struct emu_insn *fetch_decode(struct emu_cpu *cpu)
{
	const struct vcpu_segment *cs = &cpu->seg[SEG_CS];
	uint64_t lin = emu_code_lin(cpu);
	struct emu_tlb_entry *e = &cpu->tlbc[(lin >> 12) & (EMU_TLB_SIZE - 1)];
	if (e->tag[ACC_EXEC] != (lin & ~0xfffULL)) {
		emu_translate(cpu, lin, ACC_EXEC, emu_user(cpu));
	}
	struct emu_insn *in = &cpu->in;
	if (e->tag[ACC_EXEC] == (lin & ~0xfffULL)) {
		const uint8_t *p = (const uint8_t *)(e->addend + (uintptr_t)lin);
		unsigned avail = 4096 - (unsigned)(lin & 0xfff);
		if (avail >= 15) {
			uintptr_t host = (uintptr_t)p;
			uintptr_t key = host | (uintptr_t)cpu->code_size << 56;
			struct emu_icache_entry *ce = &cpu->icache[icache_hash(host)];
			uint64_t w0, w1;
			memcpy(&w0, p, 8);
			memcpy(&w1, p + 7, 8);
			if (ce->key == key) {
				unsigned n = ce->insn.len;
				if (!(((w0 ^ ce->lo) & icache_mlo[n]) | ((w1 ^ ce->hi) & icache_mhi[n])))
					return &ce->insn;
			}
			if (emu_decode(cpu, p, avail, in) == 0) {
				unsigned n = in->len;
				ce->key = key;
				ce->lo = w0 & icache_mlo[n];
				ce->hi = w1 & icache_mhi[n];
				ce->insn = *in;
				goto limit;
			}
		}
		uint8_t buf[16];
		unsigned n = avail < 15 ? avail : 15;
		memcpy(buf, p, n);
		while (emu_decode(cpu, buf, n, in) == -EAGAIN)
			buf[n] = (uint8_t)emu_read_lin_slow(cpu, lin + n, 1, ACC_EXEC, emu_user(cpu)), n++;
	} else {
		/* Code outside RAM (MMIO): fetch byte by byte as the decoder asks. */
		uint8_t buf[16];
		unsigned n = 0;
		do
			buf[n] = (uint8_t)emu_read_lin_slow(cpu, lin + n, 1, ACC_EXEC, emu_user(cpu)), n++;
		while (emu_decode(cpu, buf, n, in) == -EAGAIN);
	}
limit:
	if (!cpu->code64 && cpu->rip + in->len - 1 > cs->limit)
		emu_raise(cpu, EXC_GP, 0);
	return in;
}

/* One instruction through the decoded-instruction cache, with the debugger,
 * interrupt shadow and TF rules. Returns VCPU_EXIT_* or -1 to go on. */
static int step_one(struct emu_cpu *cpu)
{
	if (__builtin_expect(cpu->debug_active, 0)) {
		uint64_t lin = cpu->code64 ? cpu->rip : (uint32_t)(cpu->seg[SEG_CS].base + cpu->rip);
		for (unsigned i = 0; i < cpu->nbp && !cpu->bp_resume; i++)
			if (cpu->bp[i] == lin) {
				cpu->bp_resume = true;   /* run it when resumed */
				return VCPU_EXIT_DEBUG;
			}
		cpu->bp_resume = false;   /* emu_set_debug clears it too */
	}
	cpu->insn_rsp = cpu->regs[REG_RSP];
	struct emu_insn *in = fetch_decode(cpu);
	uint8_t shadow = cpu->intr_shadow;
	bool tf = cpu->rflags & FL_TF;
	cpu->next_rip = cpu->rip + in->len;
	if (!cpu->code64)
		cpu->next_rip &= cpu->code_size == 2 ? 0xffff : 0xffffffff;
	if (in->fast)
		in->fast(cpu, in);
	else
		emu_exec(cpu, in);
	cpu->rip = cpu->next_rip;
	cpu->budget--;
	cpu->icount++;
	if (__builtin_expect(shadow | tf | cpu->single_step, 0)) {
		if (shadow) {
			cpu->intr_shadow = 0;
			cpu->check_irq = true;
		}
		if (cpu->single_step)
			return VCPU_EXIT_DEBUG;
		if (tf) {
			cpu->dr6 |= 1u << 14;   /* BS: single step */
			cpu->delivering = EXC_DB;
			emu_deliver(cpu, EXC_DB, false, 0, EV_FAULT);
			cpu->delivering = -1;
		}
	}
	return -1;
}

/* The instruction loop proper. Kept out of emu_step() so that the compiler
 * may hold cpu and the loop's temporaries in registers: in the function
 * that calls setjmp() they are spilled to the stack on every use. */
static __attribute__((noinline)) int step_loop(struct emu_cpu *cpu)
{
	struct emu_block *prev = NULL, *b;
	unsigned slot = 0;
	/* The block that last left through an unlinked static chain jump
	 * (jit_chain.c), to point it at the next block's code. */
	struct emu_block *link = NULL;
	emu_jit_fn link_fn = NULL;
	uint32_t link_epoch = 0;
	uint64_t link_rip = 0;
	unsigned link_slot = 0;
	while (cpu->budget) {
		if (__builtin_expect(cpu->check_irq || cpu->halted || cpu->icount >= cpu->ev_next ||
				     atomic_load_explicit(&cpu->poke, memory_order_relaxed), 0)) {
			int r = events(cpu);
			if (r >= 0)
				return r;
			prev = NULL;
		}
		cpu->insn_rsp = cpu->regs[REG_RSP];   /* a fetch fault rolls back to it */
		if (__builtin_expect(cpu->debug_active | cpu->intr_shadow | !!(cpu->rflags & FL_TF), 0))
			b = NULL;
		else if (!prev || !(b = emu_block_chained(cpu, prev, slot))) {
			b = emu_block_get(cpu);
			if (prev && b)
				prev->next[slot] = b;
		}
		if (!b) {
			cpu->blk_page = 0;
			prev = NULL;
			int r = step_one(cpu);
			if (r >= 0)
				return r;
			continue;
		}
		if (cpu->jit && b->ninsn <= cpu->budget && emu_jit_ready(cpu, b)) {
			if (link) {
				emu_jit_link(cpu, link, link_slot, link_fn, link_epoch, link_rip, b);
				link = NULL;
			}
			cpu->blk_exit = false;
			cpu->jit_cur = b;
			/* Chained code goes on while a whole block of budget is
			 * left and no event check is due. */
			uint64_t lim = cpu->budget >= EMU_BLOCK_INSNS ?
				       cpu->icount + cpu->budget - (EMU_BLOCK_INSNS - 1) : 0;
			cpu->jit_limit = lim < cpu->ev_next ? lim : cpu->ev_next;
			int r = b->jit_fn(cpu);
			cpu->budget = cpu->budget_end - cpu->icount;   /* it counted icount only */
			b = cpu->jit_cur;   /* the last of the blocks it chained through */
			prev = ((r & 2) || b->chain_ok) && !cpu->blk_exit ? b : NULL;
			slot = r & 1;
			if (r & 8) {   /* through its static chain jump, not linked yet */
				link = b;
				link_slot = slot;
				link_fn = b->jit_fn;
				link_epoch = b->jit_epoch;
				link_rip = cpu->rip;
			}
			continue;
		}
		/* Run the block: exactly what step_one() does per instruction,
		 * minus fetch, cache check, debugger, shadow and TF (none apply). */
		uint64_t mask = cpu->code64 ? ~0ULL : cpu->code_size == 2 ? 0xffff : 0xffffffff;
		unsigned n = b->ninsn < cpu->budget ? b->ninsn : (unsigned)cpu->budget;
		struct emu_insn *in = b->insn, *end = in + n;
		uint64_t fall;
		cpu->blk_exit = false;
		do {
			cpu->insn_rsp = cpu->regs[REG_RSP];
			fall = (cpu->rip + in->len) & mask;
			cpu->next_rip = fall;
			if (in->fast)
				in->fast(cpu, in);
			else
				emu_exec(cpu, in);
			cpu->rip = cpu->next_rip;
			cpu->budget--;
			cpu->icount++;
			in++;
		} while (in < end && cpu->rip == fall && !(cpu->check_irq | cpu->blk_exit));
		prev = (in < b->insn + b->ninsn || b->chain_ok) && !cpu->blk_exit ? b : NULL;
		slot = cpu->rip != fall;
	}
	cpu->blk_page = 0;
	return -1;
}

int emu_step(struct emu_cpu *cpu, uint64_t n)
{
	cpu->budget = n;
	cpu->budget_end = cpu->icount + n;   /* (mod 2^64: budget_end - icount is exact) */
	cpu->shutdown = false;
	if (setjmp(cpu->jmp)) {
		cpu->budget = cpu->budget_end - cpu->icount;   /* translated code counted only icount */
		handle_fault(cpu);
		if (cpu->shutdown) {
			/* Reported once; the CPU then stays in the shutdown state. */
			cpu->in_shutdown = true;
			cpu->check_irq = true;
			return VCPU_EXIT_SHUTDOWN;
		}
	}
	return step_loop(cpu);
}

/* --- Backend operations --------------------------------------------------------------------- */

static int emu_probe(char *why, size_t why_len)
{
	return 0;
}

static int emu_vm_create(struct machine *m)
{
	struct emu_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	pthread_mutex_init(&vm->lock_mutex, NULL);
	m->cpu_priv = vm;
	return 0;
}

static void emu_vm_destroy(struct machine *m)
{
	struct emu_vm *vm = m->cpu_priv;
	if (!vm)
		return;
	for (unsigned i = 0; i < MEM_MAX_REGIONS; i++)
		free(vm->dirty[i]);
	pthread_mutex_destroy(&vm->lock_mutex);
	free(vm);
	m->cpu_priv = NULL;
}


/* Every vCPU drops its TLB before its next instruction (the one a vCPU
 * may be executing right now is the only write that can escape a change
 * of dirty logging). */
static void flush_all_tlbs(struct machine *m)
{
	for (unsigned i = 0; i < m->nvcpus; i++) {
		struct emu_cpu *cpu = m->vcpus[i] ? m->vcpus[i]->backend : NULL;
		if (cpu) {
			atomic_store(&cpu->tlb_flush_req, true);
			atomic_store(&cpu->poke, true);
		}
	}
}

static int emu_set_dirty_logging(struct machine *m, bool on)
{
	struct emu_vm *vm = m->cpu_priv;
	if (on) {
		for (unsigned i = 0; i < m->mem.nregions; i++) {
			size_t words = (m->mem.regions[i].size / MEM_PAGE_SIZE + 63) / 64;
			if (vm->dirty[i] || m->mem.regions[i].kind != MEM_RAM)
				continue;
			vm->dirty[i] = calloc(words, sizeof(uint64_t));
			if (!vm->dirty[i])
				return -ENOMEM;
		}
	}
	atomic_store(&vm->dirty_logging, on);
	flush_all_tlbs(m);
	return 0;
}

static int emu_get_dirty_log(struct machine *m, unsigned region, unsigned long *bitmap)
{
	struct emu_vm *vm = m->cpu_priv;
	if (region >= m->mem.nregions || !atomic_load(&vm->dirty_logging))
		return -EINVAL;
	if (!vm->dirty[region])
		return 0;   /* ROM: never written by the guest */
	size_t words = (m->mem.regions[region].size / MEM_PAGE_SIZE + 63) / 64;
	uint64_t *src = (uint64_t *)vm->dirty[region], *dst = (uint64_t *)bitmap;
	for (size_t i = 0; i < words; i++)
		dst[i] |= __atomic_exchange_n(&src[i], 0, __ATOMIC_RELAXED);
	return 0;
}

static int emu_mem_sync(struct machine *m)
{
	flush_all_tlbs(m);
	return 0;
}

static int emu_vcpu_create(struct vcpu *v)
{
	struct emu_cpu *cpu = emu_cpu_new(v);
	if (!cpu)
		return -ENOMEM;
	emu_prof_open(cpu);   /* failure only logged: profiling is optional */
	v->backend = cpu;
	return 0;
}

static void emu_vcpu_destroy(struct vcpu *v)
{
	emu_cpu_free(v->backend);
	v->backend = NULL;
}

static enum vcpu_exit emu_vcpu_run(struct vcpu *v)
{
	struct emu_cpu *cpu = v->backend;
	if (__builtin_expect(cpu->prof != NULL, 0))
		emu_prof_halt(cpu, false);
	for (;;) {
		int r = emu_step(cpu, 1u << 20);
		if (r >= 0) {
			if (__builtin_expect(cpu->prof != NULL, 0) && r == VCPU_EXIT_HLT)
				emu_prof_halt(cpu, true);
			return (enum vcpu_exit)r;
		}
		if (atomic_load(&v->kicked))
			return VCPU_EXIT_KICK;
	}
}

static void emu_vcpu_kick(struct vcpu *v)
{
	struct emu_cpu *cpu = v->backend;
	if (cpu)
		atomic_store(&cpu->poke, true);
}

static int emu_set_debug(struct vcpu *v, bool single_step, const uint64_t *hw_bp, unsigned nbp)
{
	struct emu_cpu *cpu = v->backend;
	if (nbp > 4)
		return -EINVAL;
	cpu->single_step = single_step;
	cpu->nbp = nbp;
	for (unsigned i = 0; i < nbp; i++)
		cpu->bp[i] = hw_bp[i];
	cpu->debug_active = single_step || nbp;
	cpu->bp_resume = false;
	/* A running vCPU leaves chained JIT code for the step loop, which then
	 * goes instruction by instruction. */
	atomic_store(&cpu->poke, true);
	return 0;
}

static int emu_get_state(struct vcpu *v, struct vcpu_state *s)
{
	emu_state_get(v->backend, s);
	return 0;
}

static int emu_set_state(struct vcpu *v, const struct vcpu_state *s)
{
	emu_state_set(v->backend, s);
	return 0;
}

const struct cpu_backend cpu_backend_emu = {
	.name = "emu",
	.probe = emu_probe,
	.vm_create = emu_vm_create,
	.vm_destroy = emu_vm_destroy,
	.mem_sync = emu_mem_sync,
	.vcpu_create = emu_vcpu_create,
	.vcpu_destroy = emu_vcpu_destroy,
	.vcpu_run = emu_vcpu_run,
	.vcpu_kick = emu_vcpu_kick,
	.get_state = emu_get_state,
	.set_state = emu_set_state,
	.get_dirty_log = emu_get_dirty_log,
	.set_dirty_logging = emu_set_dirty_logging,
	.set_debug = emu_set_debug,
};
