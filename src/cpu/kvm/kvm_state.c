/* KVM backend: struct vcpu_state <-> KVM's register ioctls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/machine.h"
#include "cpu/kvm/kvm_priv.h"

/* MSRs carried in vcpu_state.msrs (EFER, APIC base, FS/GS base travel in
 * sregs/segments). */
static const uint32_t saved_msrs[] = {
	0x10,        /* IA32_TSC (also vcpu_state.tsc) */
	0x174, 0x175, 0x176,   /* SYSENTER_CS/ESP/EIP */
	0x1A0,       /* IA32_MISC_ENABLE */
	0x277,       /* IA32_PAT */
	0x6E0,       /* IA32_TSC_DEADLINE */
	0xC0000081, 0xC0000082, 0xC0000083, 0xC0000084,   /* STAR LSTAR CSTAR SFMASK */
	0xC0000102,  /* KERNEL_GS_BASE */
	0xC0000103,  /* TSC_AUX */
};
#define NSAVED (sizeof(saved_msrs) / sizeof(saved_msrs[0]))

static void seg_from_kvm(struct vcpu_segment *d, const struct kvm_segment *s)
{
	d->base = s->base;
	d->limit = s->limit;
	d->selector = s->selector;
	d->type = s->type;
	d->present = s->present;
	d->dpl = s->dpl;
	d->db = s->db;
	d->s = s->s;
	d->l = s->l;
	d->g = s->g;
	d->avl = s->avl;
	d->unusable = s->unusable;
}

static void seg_to_kvm(struct kvm_segment *d, const struct vcpu_segment *s)
{
	memset(d, 0, sizeof(*d));
	d->base = s->base;
	d->limit = s->limit;
	d->selector = s->selector;
	d->type = s->type;
	d->present = s->present;
	d->dpl = s->dpl;
	d->db = s->db;
	d->s = s->s;
	d->l = s->l;
	d->g = s->g;
	d->avl = s->avl;
	d->unusable = s->unusable;
}

static struct kvm_segment *sregs_seg(struct kvm_sregs *sr, int i)
{
	switch (i) {
	case SEG_ES: return &sr->es;
	case SEG_CS: return &sr->cs;
	case SEG_SS: return &sr->ss;
	case SEG_DS: return &sr->ds;
	case SEG_FS: return &sr->fs;
	default: return &sr->gs;
	}
}

/* KVM's GPR struct order differs from the x86 encoding order. */
static __u64 *kvm_gpr(struct kvm_regs *r, int i)
{
	__u64 *map[REG_COUNT] = {
		&r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
		&r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};
	return map[i];
}

int kvm_get_state(struct vcpu *v, struct vcpu_state *s)
{
	struct kvm_vcpu *kc = v->backend;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	memset(s, 0, sizeof(*s));
	if (ioctl(kc->fd, KVM_GET_REGS, &regs) || ioctl(kc->fd, KVM_GET_SREGS, &sregs))
		return -errno;
	for (int i = 0; i < REG_COUNT; i++)
		s->regs[i] = *kvm_gpr(&regs, i);
	s->rip = regs.rip;
	s->rflags = regs.rflags;
	for (int i = 0; i < SEG_COUNT; i++)
		seg_from_kvm(&s->seg[i], sregs_seg(&sregs, i));
	seg_from_kvm(&s->ldt, &sregs.ldt);
	seg_from_kvm(&s->tr, &sregs.tr);
	s->gdt.base = sregs.gdt.base;
	s->gdt.limit = sregs.gdt.limit;
	s->idt.base = sregs.idt.base;
	s->idt.limit = sregs.idt.limit;
	s->cr0 = sregs.cr0;
	s->cr2 = sregs.cr2;
	s->cr3 = sregs.cr3;
	s->cr4 = sregs.cr4;
	s->cr8 = sregs.cr8;
	s->efer = sregs.efer;
	s->apic_base = sregs.apic_base;

	struct kvm_debugregs dr;
	if (!ioctl(kc->fd, KVM_GET_DEBUGREGS, &dr)) {
		memcpy(s->dr, dr.db, sizeof(s->dr));
		s->dr6 = dr.dr6;
		s->dr7 = dr.dr7;
	}
	struct kvm_xcrs xcrs;
	s->xcr0 = 1;
	if (!ioctl(kc->fd, KVM_GET_XCRS, &xcrs))
		for (unsigned i = 0; i < xcrs.nr_xcrs; i++)
			if (xcrs.xcrs[i].xcr == 0)
				s->xcr0 = xcrs.xcrs[i].value;
	struct kvm_xsave *xs = calloc(1, sizeof(*xs));
	if (!xs)
		return -ENOMEM;
	if (ioctl(kc->fd, KVM_GET_XSAVE, xs)) {
		free(xs);
		return -errno;
	}
	memcpy(s->xsave, xs->region, VCPU_XSAVE_SIZE);
	free(xs);

	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[NSAVED];
	} msrs;
	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = NSAVED;
	for (unsigned i = 0; i < NSAVED; i++)
		msrs.e[i].index = saved_msrs[i];
	int n = ioctl(kc->fd, KVM_GET_MSRS, &msrs);
	for (int i = 0; i < n; i++) {
		s->msrs[s->nmsrs++] = (struct vcpu_msr){ msrs.e[i].index, msrs.e[i].data };
		if (msrs.e[i].index == 0x10)
			s->tsc = msrs.e[i].data;
	}

	struct kvm_lapic_state lapic;
	if (ioctl(kc->fd, KVM_GET_LAPIC, &lapic))
		return -errno;
	memcpy(s->lapic, lapic.regs, sizeof(s->lapic));
	s->lapic_valid = 1;

	struct kvm_vcpu_events ev;
	if (ioctl(kc->fd, KVM_GET_VCPU_EVENTS, &ev))
		return -errno;
	s->events.exception_injected = ev.exception.injected;
	s->events.exception_nr = ev.exception.nr;
	s->events.exception_has_error = ev.exception.has_error_code;
	s->events.exception_error = ev.exception.error_code;
	s->events.interrupt_injected = ev.interrupt.injected;
	s->events.interrupt_nr = ev.interrupt.nr;
	s->events.interrupt_soft = ev.interrupt.soft;
	s->events.interrupt_shadow = ev.interrupt.shadow;
	s->events.nmi_injected = ev.nmi.injected;
	s->events.nmi_pending = ev.nmi.pending;
	s->events.nmi_masked = ev.nmi.masked;
	s->events.sipi_vector = (uint8_t)ev.sipi_vector;

	struct kvm_mp_state mp;
	if (ioctl(kc->fd, KVM_GET_MP_STATE, &mp))
		return -errno;
	switch (mp.mp_state) {
	case KVM_MP_STATE_UNINITIALIZED: s->mp_state = VCPU_MP_UNINITIALIZED; break;
	case KVM_MP_STATE_INIT_RECEIVED: s->mp_state = VCPU_MP_INIT_RECEIVED; break;
	case KVM_MP_STATE_HALTED: s->mp_state = VCPU_MP_HALTED; break;
	case KVM_MP_STATE_SIPI_RECEIVED: s->mp_state = VCPU_MP_SIPI_RECEIVED; break;
	default: s->mp_state = VCPU_MP_RUNNABLE; break;
	}
	return 0;
}

int kvm_set_state(struct vcpu *v, const struct vcpu_state *s)
{
	struct kvm_vcpu *kc = v->backend;
	struct kvm_sregs sregs;
	if (ioctl(kc->fd, KVM_GET_SREGS, &sregs))
		return -errno;
	for (int i = 0; i < SEG_COUNT; i++)
		seg_to_kvm(sregs_seg(&sregs, i), &s->seg[i]);
	seg_to_kvm(&sregs.ldt, &s->ldt);
	seg_to_kvm(&sregs.tr, &s->tr);
	sregs.gdt.base = s->gdt.base;
	sregs.gdt.limit = s->gdt.limit;
	sregs.idt.base = s->idt.base;
	sregs.idt.limit = s->idt.limit;
	sregs.cr0 = s->cr0;
	sregs.cr2 = s->cr2;
	sregs.cr3 = s->cr3;
	sregs.cr4 = s->cr4;
	sregs.cr8 = s->cr8;
	sregs.efer = s->efer;
	sregs.apic_base = s->apic_base;
	memset(sregs.interrupt_bitmap, 0, sizeof(sregs.interrupt_bitmap));
	if (ioctl(kc->fd, KVM_SET_SREGS, &sregs))
		return -errno;

	struct kvm_regs regs;
	memset(&regs, 0, sizeof(regs));
	for (int i = 0; i < REG_COUNT; i++)
		*kvm_gpr(&regs, i) = s->regs[i];
	regs.rip = s->rip;
	regs.rflags = s->rflags;
	if (ioctl(kc->fd, KVM_SET_REGS, &regs))
		return -errno;

	struct kvm_xcrs xcrs;
	memset(&xcrs, 0, sizeof(xcrs));
	xcrs.nr_xcrs = 1;
	xcrs.xcrs[0].xcr = 0;
	xcrs.xcrs[0].value = s->xcr0 ? s->xcr0 : 1;
	ioctl(kc->fd, KVM_SET_XCRS, &xcrs);   /* absent without XSAVE support: fine */

	struct kvm_xsave *xs = calloc(1, sizeof(*xs));
	if (!xs)
		return -ENOMEM;
	memcpy(xs->region, s->xsave, VCPU_XSAVE_SIZE);
	int rc = ioctl(kc->fd, KVM_SET_XSAVE, xs) ? -errno : 0;
	free(xs);
	if (rc)
		return rc;

	struct kvm_debugregs dr;
	memset(&dr, 0, sizeof(dr));
	memcpy(dr.db, s->dr, sizeof(dr.db));
	dr.dr6 = s->dr6 ? s->dr6 : 0xFFFF0FF0;
	dr.dr7 = s->dr7 ? s->dr7 : 0x400;
	if (ioctl(kc->fd, KVM_SET_DEBUGREGS, &dr))
		return -errno;

	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[VCPU_MAX_MSRS + 1];
	} msrs;
	memset(&msrs, 0, sizeof(msrs));
	unsigned n = 0;
	bool have_tsc = false;
	for (unsigned i = 0; i < s->nmsrs && i < VCPU_MAX_MSRS; i++) {
		msrs.e[n].index = s->msrs[i].index;
		msrs.e[n++].data = s->msrs[i].value;
		have_tsc |= s->msrs[i].index == 0x10;
	}
	if (!have_tsc) {
		msrs.e[n].index = 0x10;
		msrs.e[n++].data = s->tsc;
	}
	msrs.hdr.nmsrs = n;
	int set = ioctl(kc->fd, KVM_SET_MSRS, &msrs);
	if (set < 0)
		return -errno;
	if ((unsigned)set < n)
		LOG(v->m->log, LOG_WARN, "kvm", "vCPU %u: KVM refused MSR 0x%x", v->index,
		    msrs.e[set].index);

	if (s->lapic_valid) {
		struct kvm_lapic_state lapic;
		memcpy(lapic.regs, s->lapic, sizeof(lapic.regs));
		if (ioctl(kc->fd, KVM_SET_LAPIC, &lapic))
			return -errno;
	}

	struct kvm_vcpu_events ev;
	memset(&ev, 0, sizeof(ev));
	ev.exception.injected = s->events.exception_injected;
	ev.exception.nr = s->events.exception_nr;
	ev.exception.has_error_code = s->events.exception_has_error;
	ev.exception.error_code = s->events.exception_error;
	ev.interrupt.injected = s->events.interrupt_injected;
	ev.interrupt.nr = s->events.interrupt_nr;
	ev.interrupt.soft = s->events.interrupt_soft;
	ev.interrupt.shadow = s->events.interrupt_shadow;
	ev.nmi.injected = s->events.nmi_injected;
	ev.nmi.pending = s->events.nmi_pending;
	ev.nmi.masked = s->events.nmi_masked;
	ev.sipi_vector = s->events.sipi_vector;
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
		   KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	if (ioctl(kc->fd, KVM_SET_VCPU_EVENTS, &ev))
		return -errno;

	struct kvm_mp_state mp;
	switch (s->mp_state) {
	case VCPU_MP_UNINITIALIZED: mp.mp_state = KVM_MP_STATE_UNINITIALIZED; break;
	case VCPU_MP_INIT_RECEIVED: mp.mp_state = KVM_MP_STATE_INIT_RECEIVED; break;
	case VCPU_MP_HALTED: mp.mp_state = KVM_MP_STATE_HALTED; break;
	case VCPU_MP_SIPI_RECEIVED: mp.mp_state = KVM_MP_STATE_SIPI_RECEIVED; break;
	default: mp.mp_state = KVM_MP_STATE_RUNNABLE; break;
	}
	if (ioctl(kc->fd, KVM_SET_MP_STATE, &mp))
		return -errno;
	return 0;
}

void kvm_log_registers(struct vcpu *v)
{
	struct vcpu_state *s = malloc(sizeof(*s));
	if (!s)
		return;
	if (!kvm_get_state(v, s))
		LOG(v->m->log, LOG_ERROR, "kvm",
		    "vCPU %u: rip=%llx rsp=%llx rflags=%llx cs=%04x cr0=%llx cr3=%llx cr4=%llx efer=%llx",
		    v->index, (unsigned long long)s->rip, (unsigned long long)s->regs[REG_RSP],
		    (unsigned long long)s->rflags, s->seg[SEG_CS].selector,
		    (unsigned long long)s->cr0, (unsigned long long)s->cr3,
		    (unsigned long long)s->cr4, (unsigned long long)s->efer);
	free(s);
}
