/*
 * CPUID for KVM vCPUs: the shared model (cpu/cpuid.c) — the same identity
 * and feature set the emulator presents — with every feature bit also
 * masked by what this host's KVM supports, so both backends give the guest
 * the same processor wherever the host allows it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/machine.h"
#include "cpu/kvm/kvm_priv.h"

struct kvm_cpuid2 *kvm_cpuid_supported(int kvm_fd)
{
	for (unsigned n = 128; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return NULL;
		c->nent = n;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c))
			return c;
		free(c);
		if (errno != E2BIG)
			return NULL;
	}
	return NULL;
}

static const struct kvm_cpuid_entry2 *host_leaf(const struct kvm_cpuid2 *sup, uint32_t fn,
						 uint32_t index)
{
	for (unsigned i = 0; i < sup->nent; i++)
		if (sup->entries[i].function == fn &&
		    (!(sup->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     sup->entries[i].index == index))
			return &sup->entries[i];
	return NULL;
}

/* Leaves whose registers are feature bitmaps: masked by host support.
 * Leaf 1 ECX bit 31 (hypervisor) and EDX bit 28 (HTT) describe the VM, not
 * the host, and are kept from the model. */
static void mask_features(struct kvm_cpuid_entry2 *e, const struct kvm_cpuid2 *sup)
{
	const struct kvm_cpuid_entry2 *h = host_leaf(sup, e->function, e->index);
	switch (e->function) {
	case 1: {
		uint32_t keep_ecx = e->ecx & (1u << 31), keep_edx = e->edx & (1u << 28);
		e->ecx = (h ? e->ecx & h->ecx : 0) | keep_ecx;
		e->edx = (h ? e->edx & h->edx : 0) | keep_edx;
		break;
	}
	case 0xd:   /* XCR0 bits and XSAVE instruction variants, as the host has them */
		if (e->index <= 1)
			e->eax = h ? e->eax & h->eax : 0;
		break;
	case 7:
	case 0x80000001:
		e->ebx = h ? e->ebx & h->ebx : 0;
		e->ecx = h ? e->ecx & h->ecx : 0;
		e->edx = h ? e->edx & h->edx : 0;
		break;
	}
}

int kvm_cpuid_set(struct vcpu *v, const struct kvm_cpuid2 *sup)
{
	struct kvm_vcpu *kc = v->backend;
	unsigned ncpu = v->m->cfg.cpus ? v->m->cfg.cpus : 1;
	enum { MAX_ENTRIES = 64 };
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + MAX_ENTRIES * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	struct cpuid_regs r;
	cpuid_model(v->index, ncpu, 0, 0, &r);
	uint32_t max_basic = r.eax;
	cpuid_model(v->index, ncpu, 0x80000000, 0, &r);
	uint32_t max_ext = r.eax;
	const uint32_t ranges[][2] = { { 0, max_basic }, { 0x40000000, 0x40000000 },
				       { 0x80000000, max_ext } };
	unsigned n = 0;
	for (unsigned g = 0; g < 3; g++) {
		for (uint32_t fn = ranges[g][0]; fn <= ranges[g][1] && n < MAX_ENTRIES; fn++) {
			bool indexed = fn == 4 || fn == 7 || fn == 0xB || fn == 0xD;
			for (uint32_t idx = 0; idx < (indexed ? 4u : 1u) && n < MAX_ENTRIES; idx++) {
				cpuid_model(v->index, ncpu, fn, idx, &r);
				struct kvm_cpuid_entry2 *e = &c->entries[n++];
				memset(e, 0, sizeof(*e));
				e->function = fn;
				e->index = idx;
				e->flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
				e->eax = r.eax;
				e->ebx = r.ebx;
				e->ecx = r.ecx;
				e->edx = r.edx;
				mask_features(e, sup);
			}
		}
	}
	c->nent = n;
	int rc = ioctl(kc->fd, KVM_SET_CPUID2, c) ? -errno : 0;
	free(c);
	return rc;
}
