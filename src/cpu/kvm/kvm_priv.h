/* KVM backend private state, shared by the backend's files. */
#ifndef NYX_CPU_KVM_PRIV_H
#define NYX_CPU_KVM_PRIV_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>

#include "core/memory.h"

struct vcpu;
struct vcpu_state;

struct kvm_vm {
	int kvm_fd, vm_fd;
	int run_size;
	unsigned nslots;         /* memory regions already given to KVM */
	/* The region list as KVM last saw it: mem_sync deletes slots that
	 * left or changed (PAM read-only splits) before adding new ones. */
	struct mem_region synced[MEM_MAX_REGIONS];
	bool dirty_logging;
	struct kvm_cpuid2 *cpuid;   /* host-supported, filtered */
};

struct kvm_vcpu {
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_valid;
};

struct kvm_cpuid2 *kvm_cpuid_supported(int kvm_fd);
int kvm_cpuid_set(struct vcpu *v, const struct kvm_cpuid2 *supported);
void kvm_log_registers(struct vcpu *v);
int kvm_get_state(struct vcpu *v, struct vcpu_state *s);
int kvm_set_state(struct vcpu *v, const struct vcpu_state *s);

#endif
