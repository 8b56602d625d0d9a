/*
 * CPUID for KVM vCPUs: what the host's KVM supports, with the topology of
 * this VM (APIC IDs, logical counts), the hypervisor bit, and our own
 * hypervisor leaf "NyxNyxNyxNyx" replacing KVM's paravirtual leaves, so the
 * guest sees the same identity on both backends.
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

int kvm_cpuid_set(struct vcpu *v, const struct kvm_cpuid2 *sup)
{
	struct kvm_vcpu *kc = v->backend;
	unsigned ncpu = v->m->nvcpus ? v->m->nvcpus : v->m->cfg.cpus;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (sup->nent + 2) * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	unsigned n = 0;
	for (unsigned i = 0; i < sup->nent; i++) {
		struct kvm_cpuid_entry2 e = sup->entries[i];
		if (e.function >= 0x40000000 && e.function < 0x40000100)
			continue;   /* KVM's paravirtual leaves: replaced below */
		switch (e.function) {
		case 1:
			e.ebx = (e.ebx & 0x0000FFFF) | (v->index << 24) |
				((ncpu > 255 ? 255 : ncpu) << 16);
			e.ecx |= 1u << 31;          /* hypervisor present */
			if (ncpu > 1)
				e.edx |= 1u << 28;  /* HTT: the count in EBX is valid */
			break;
		case 0xB:
		case 0x1F:
			e.edx = v->index;            /* x2APIC ID */
			if (e.index == 0) {
				e.eax = 0;
				e.ebx = 1;
				e.ecx = (e.ecx & ~0xFF00u) | (1 << 8);   /* SMT level */
			} else if (e.index == 1) {
				unsigned shift = 0;
				while ((1u << shift) < ncpu)
					shift++;
				e.eax = shift;
				e.ebx = ncpu;
				e.ecx = (e.ecx & ~0xFF00u) | (2 << 8);   /* core level */
			}
			break;
		}
		c->entries[n++] = e;
	}
	/* Hypervisor leaf: max leaf and the 12-byte signature in EBX ECX EDX. */
	struct kvm_cpuid_entry2 hv;
	memset(&hv, 0, sizeof(hv));
	hv.function = 0x40000000;
	hv.eax = 0x40000000;
	memcpy(&hv.ebx, "NyxN", 4);
	memcpy(&hv.ecx, "yxNy", 4);
	memcpy(&hv.edx, "xNyx", 4);
	c->entries[n++] = hv;
	c->nent = n;
	int rc = ioctl(kc->fd, KVM_SET_CPUID2, c) ? -errno : 0;
	free(c);
	return rc;
}
