/*
 * The KVM backend: VM and vCPU creation, memory slots, the in-kernel
 * irqchip and PIT, and the vCPU run loop that services port and MMIO exits
 * by calling the machine's buses.
 *
 * Kicks: vcpu_kick sets kvm_run->immediate_exit and signals the thread, so
 * a thread either leaves KVM_RUN with EINTR or never enters it. The run
 * loop checks v->kicked before every KVM_RUN.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/machine.h"
#include "core/vcpu_thread.h"
#include "cpu/kvm/kvm_priv.h"

/* Placed in the PCI hole below the IOAPIC, where QEMU puts them, so they
 * never collide with a 2 MiB firmware image at the top of 4 GiB. */
#define KVM_TSS_ADDR 0xFEFFD000ULL
#define KVM_IDENTITY_MAP_ADDR 0xFEFFC000ULL

static int kvm_open(char *why, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(why, len, "cannot open /dev/kvm: %s", strerror(e));
		return -e;
	}
	int ver = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION) {
		snprintf(why, len, "KVM API version %d, expected %d", ver, KVM_API_VERSION);
		close(fd);
		return -ENOTSUP;
	}
	static const struct { int cap; const char *name; } need[] = {
		{ KVM_CAP_USER_MEMORY, "user memory" },
		{ KVM_CAP_IRQCHIP, "in-kernel irqchip" },
		{ KVM_CAP_PIT2, "in-kernel PIT" },
		{ KVM_CAP_IMMEDIATE_EXIT, "immediate exit" },
		{ KVM_CAP_READONLY_MEM, "read-only memory slots" },
		{ KVM_CAP_SET_TSS_ADDR, "TSS address" },
	};
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0) {
			snprintf(why, len, "KVM lacks %s", need[i].name);
			close(fd);
			return -ENOTSUP;
		}
	}
	return fd;
}

static int kvm_probe(char *why, size_t len)
{
	int fd = kvm_open(why, len);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static int set_slot(struct kvm_vm *kv, const struct mem_region *r, uint32_t flags)
{
	struct kvm_userspace_memory_region mr = {
		.slot = r->slot,
		.flags = flags | (r->kind != MEM_RAM && r->size ? KVM_MEM_READONLY : 0),
		.guest_phys_addr = r->gpa,
		.memory_size = r->size,
		.userspace_addr = (uintptr_t)r->host,
	};
	return ioctl(kv->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) ? -errno : 0;
}

static bool region_same(const struct mem_region *a, const struct mem_region *b)
{
	return a->slot == b->slot && a->gpa == b->gpa && a->size == b->size &&
	       a->host == b->host && a->kind == b->kind;
}

/* Makes KVM's slots match the region list: removed or changed regions are
 * deleted first (a slot cannot change size, and the new pieces may overlap
 * the old ones), then new regions are added. */
static int kvm_mem_sync(struct machine *m)
{
	struct kvm_vm *kv = m->cpu_priv;
	struct guest_mem *mem = &m->mem;
	pthread_mutex_lock(&mem->lock);
	int rc = 0;
	for (unsigned i = 0; i < kv->nslots && !rc; i++) {
		bool still = false;
		for (unsigned j = 0; j < mem->nregions && !still; j++)
			still = region_same(&kv->synced[i], &mem->regions[j]);
		if (!still) {
			struct mem_region gone = kv->synced[i];
			gone.size = 0;
			gone.kind = MEM_RAM;
			rc = set_slot(kv, &gone, 0);
		}
	}
	for (unsigned j = 0; j < mem->nregions && !rc; j++) {
		const struct mem_region *r = &mem->regions[j];
		bool known = false;
		for (unsigned i = 0; i < kv->nslots && !known; i++)
			known = region_same(&kv->synced[i], r);
		if (!known)
			rc = set_slot(kv, r, kv->dirty_logging && r->kind == MEM_RAM ?
						    KVM_MEM_LOG_DIRTY_PAGES : 0);
	}
	if (!rc) {
		memcpy(kv->synced, mem->regions, mem->nregions * sizeof(*mem->regions));
		kv->nslots = mem->nregions;
	}
	pthread_mutex_unlock(&mem->lock);
	return rc;
}

/*
 * GSI routing as on a PC (and QEMU's i440FX): GSIs 0-15 reach the 8259s,
 * GSIs 0-23 the IOAPIC, except that ISA IRQ 0 (the PIT) is wired to IOAPIC
 * pin 2, as the MADT's interrupt source override tells the guest, and
 * GSI 2 (the cascade) goes nowhere. The emulated interrupt controllers
 * (hw/intc) route the same way.
 */
static int set_gsi_routing(struct kvm_vm *kv)
{
	enum { MAX_ROUTES = 64 };
	struct kvm_irq_routing *r = calloc(1, sizeof(*r) + MAX_ROUTES * sizeof(r->entries[0]));
	if (!r)
		return -ENOMEM;
	unsigned n = 0;
	for (unsigned gsi = 0; gsi < 16; gsi++) {
		if (gsi == 2)
			continue;
		r->entries[n].gsi = gsi;
		r->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		r->entries[n].u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
		r->entries[n].u.irqchip.pin = gsi & 7;
		n++;
	}
	for (unsigned gsi = 0; gsi < 24; gsi++) {
		if (gsi == 2)
			continue;
		r->entries[n].gsi = gsi;
		r->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		r->entries[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		r->entries[n].u.irqchip.pin = gsi == 0 ? 2 : gsi;
		n++;
	}
	r->nr = n;
	int rc = ioctl(kv->vm_fd, KVM_SET_GSI_ROUTING, r) ? -errno : 0;
	free(r);
	return rc;
}

static int kvm_vm_create(struct machine *m)
{
	char why[128];
	struct kvm_vm *kv = calloc(1, sizeof(*kv));
	if (!kv)
		return -ENOMEM;
	kv->vm_fd = -1;
	kv->kvm_fd = kvm_open(why, sizeof(why));
	if (kv->kvm_fd < 0) {
		int rc = kv->kvm_fd;
		free(kv);
		return rc;
	}
	int rc;
	kv->vm_fd = ioctl(kv->kvm_fd, KVM_CREATE_VM, 0);
	if (kv->vm_fd < 0) {
		rc = -errno;
		goto err;
	}
	kv->run_size = ioctl(kv->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kv->run_size <= 0) {
		rc = -EIO;
		goto err;
	}
	uint64_t idmap = KVM_IDENTITY_MAP_ADDR;
	if (ioctl(kv->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) ||
	    ioctl(kv->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) ||
	    ioctl(kv->vm_fd, KVM_CREATE_IRQCHIP, 0)) {
		rc = -errno;
		goto err;
	}
	if ((rc = set_gsi_routing(kv)))
		goto err;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (ioctl(kv->vm_fd, KVM_CREATE_PIT2, &pit)) {
		rc = -errno;
		goto err;
	}
	kv->cpuid = kvm_cpuid_supported(kv->kvm_fd);
	if (!kv->cpuid) {
		rc = -EIO;
		goto err;
	}
	m->cpu_priv = kv;
	rc = kvm_mem_sync(m);
	if (rc) {
		m->cpu_priv = NULL;
		goto err;
	}
	return 0;
err:
	free(kv->cpuid);
	if (kv->vm_fd >= 0)
		close(kv->vm_fd);
	close(kv->kvm_fd);
	free(kv);
	return rc;
}

static void kvm_vm_destroy(struct machine *m)
{
	struct kvm_vm *kv = m->cpu_priv;
	if (!kv)
		return;
	close(kv->vm_fd);
	close(kv->kvm_fd);
	free(kv->cpuid);
	free(kv);
	m->cpu_priv = NULL;
}

static int kvm_vcpu_create(struct vcpu *v)
{
	struct kvm_vm *kv = v->m->cpu_priv;
	struct kvm_vcpu *kc = calloc(1, sizeof(*kc));
	if (!kc)
		return -ENOMEM;
	kc->fd = ioctl(kv->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->index);
	if (kc->fd < 0) {
		int rc = -errno;
		free(kc);
		return rc;
	}
	kc->run = mmap(NULL, kv->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, kc->fd, 0);
	if (kc->run == MAP_FAILED) {
		int rc = -errno;
		close(kc->fd);
		free(kc);
		return rc;
	}
	v->backend = kc;
	int rc = kvm_cpuid_set(v, kv->cpuid);
	if (rc)
		LOG(v->m->log, LOG_ERROR, "kvm", "vCPU %u: KVM_SET_CPUID2 failed: %s", v->index,
		    strerror(-rc));
	return rc;
}

static void kvm_vcpu_destroy(struct vcpu *v)
{
	struct kvm_vm *kv = v->m->cpu_priv;
	struct kvm_vcpu *kc = v->backend;
	if (!kc)
		return;
	munmap(kc->run, kv->run_size);
	close(kc->fd);
	free(kc);
	v->backend = NULL;
}

static void kvm_vcpu_kick(struct vcpu *v)
{
	struct kvm_vcpu *kc = v->backend;
	if (!kc)
		return;
	__atomic_store_n(&kc->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&kc->thread_valid, __ATOMIC_ACQUIRE))
		pthread_kill(kc->thread, VCPU_KICK_SIGNAL);
}

static void handle_io(struct vcpu *v, struct kvm_run *run)
{
	struct machine *m = v->m;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size;
	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			uint64_t val = 0;
			memcpy(&val, data, size);
			machine_pio_write(m, run->io.port, size, val);
		} else {
			uint64_t val = machine_pio_read(m, run->io.port, size);
			memcpy(data, &val, size);
		}
	}
}

static void handle_mmio(struct vcpu *v, struct kvm_run *run)
{
	struct machine *m = v->m;
	unsigned len = run->mmio.len;
	if (len == 0 || len > 8)
		return;
	if (run->mmio.is_write) {
		uint64_t val = 0;
		memcpy(&val, run->mmio.data, len);
		/* A write to a read-only slot (firmware ROM) exits here: drop it. */
		if (mem_find(&m->mem, run->mmio.phys_addr))
			return;
		machine_mmio_write(m, run->mmio.phys_addr, len, val);
	} else {
		uint64_t val = machine_mmio_read(m, run->mmio.phys_addr, len);
		memcpy(run->mmio.data, &val, len);
	}
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_UNKNOWN: return "unknown";
	case KVM_EXIT_EXCEPTION: return "exception";
	case KVM_EXIT_HYPERCALL: return "hypercall";
	case KVM_EXIT_NMI: return "nmi";
	case KVM_EXIT_X86_RDMSR: return "rdmsr";
	case KVM_EXIT_X86_WRMSR: return "wrmsr";
	case KVM_EXIT_X86_BUS_LOCK: return "bus lock";
	case KVM_EXIT_NOTIFY: return "notify";
	default: return "unhandled";
	}
}

static enum vcpu_exit system_event(struct vcpu *v, struct kvm_run *run)
{
	struct machine *m = v->m;
	switch (run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		machine_request_stop(m, STOP_POWEROFF, EXIT_POWEROFF);
		return VCPU_EXIT_KICK;
	case KVM_SYSTEM_EVENT_RESET:
		machine_request_reset(m);
		return VCPU_EXIT_KICK;
	default:
		LOG(m->log, LOG_ERROR, "kvm", "vCPU %u: system event %u (crash or unknown)",
		    v->index, run->system_event.type);
		return VCPU_EXIT_ERROR;
	}
}

static enum vcpu_exit kvm_vcpu_run(struct vcpu *v)
{
	struct kvm_vcpu *kc = v->backend;
	struct kvm_run *run = kc->run;
	struct machine *m = v->m;
	if (!kc->thread_valid) {
		kc->thread = pthread_self();
		__atomic_store_n(&kc->thread_valid, true, __ATOMIC_RELEASE);
	}
	for (;;) {
		if (atomic_exchange(&v->kicked, false)) {
			__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
			return VCPU_EXIT_KICK;
		}
		int rc = ioctl(kc->fd, KVM_RUN, 0);
		if (rc < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				atomic_store(&v->kicked, false);
				return VCPU_EXIT_KICK;
			}
			LOG(m->log, LOG_ERROR, "kvm", "vCPU %u: KVM_RUN failed: %s", v->index,
			    strerror(errno));
			return VCPU_EXIT_ERROR;
		}
		v->exits++;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(v, run);
			break;
		case KVM_EXIT_MMIO:
			handle_mmio(v, run);
			break;
		case KVM_EXIT_HLT:
			return VCPU_EXIT_HLT;
		case KVM_EXIT_SHUTDOWN:
			return VCPU_EXIT_SHUTDOWN;
		case KVM_EXIT_DEBUG:
			return VCPU_EXIT_DEBUG;
		case KVM_EXIT_INTR:
			return VCPU_EXIT_KICK;
		case KVM_EXIT_IRQ_WINDOW_OPEN:
		case KVM_EXIT_SET_TPR:
		case KVM_EXIT_TPR_ACCESS:
		case KVM_EXIT_IOAPIC_EOI:
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			return system_event(v, run);
		case KVM_EXIT_FAIL_ENTRY:
			LOG(m->log, LOG_ERROR, "kvm",
			    "vCPU %u: VM entry failed, hardware reason 0x%llx", v->index,
			    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			kvm_log_registers(v);
			return VCPU_EXIT_ERROR;
		case KVM_EXIT_INTERNAL_ERROR:
			LOG(m->log, LOG_ERROR, "kvm", "vCPU %u: KVM internal error, suberror %u",
			    v->index, run->internal.suberror);
			kvm_log_registers(v);
			return VCPU_EXIT_ERROR;
		default:
			LOG(m->log, LOG_ERROR, "kvm", "vCPU %u: unexpected exit %u (%s)", v->index,
			    run->exit_reason, exit_name(run->exit_reason));
			kvm_log_registers(v);
			return VCPU_EXIT_ERROR;
		}
	}
}

static void kvm_irq_set(struct machine *m, unsigned gsi, int level)
{
	struct kvm_vm *kv = m->cpu_priv;
	struct kvm_irq_level irq = { .irq = gsi, .level = level };
	if (ioctl(kv->vm_fd, KVM_IRQ_LINE, &irq))
		LOG(m->log, LOG_WARN, "kvm", "KVM_IRQ_LINE gsi %u: %s", gsi, strerror(errno));
}

static void kvm_msi_send(struct machine *m, uint64_t addr, uint32_t data)
{
	struct kvm_vm *kv = m->cpu_priv;
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = data
	};
	if (ioctl(kv->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
		LOG(m->log, LOG_WARN, "kvm", "KVM_SIGNAL_MSI: %s", strerror(errno));
}

static int kvm_set_dirty_logging(struct machine *m, bool on)
{
	struct kvm_vm *kv = m->cpu_priv;
	int rc = 0;
	kv->dirty_logging = on;
	for (unsigned i = 0; i < kv->nslots && !rc; i++)
		if (m->mem.regions[i].kind == MEM_RAM)
			rc = set_slot(kv, &m->mem.regions[i], on ? KVM_MEM_LOG_DIRTY_PAGES : 0);
	return rc;
}

static int kvm_get_dirty_log(struct machine *m, unsigned region, unsigned long *bitmap)
{
	struct kvm_vm *kv = m->cpu_priv;
	if (region >= kv->nslots || !kv->dirty_logging)
		return -EINVAL;
	const struct mem_region *r = &m->mem.regions[region];
	size_t words = (r->size / MEM_PAGE_SIZE + 63) / 64;
	uint64_t *tmp = calloc(words, sizeof(uint64_t));
	if (!tmp)
		return -ENOMEM;
	struct kvm_dirty_log log = { .slot = r->slot, .dirty_bitmap = tmp };
	int rc = ioctl(kv->vm_fd, KVM_GET_DIRTY_LOG, &log) ? -errno : 0;
	if (!rc)
		for (size_t i = 0; i < words; i++)
			((uint64_t *)bitmap)[i] |= tmp[i];
	free(tmp);
	return rc;
}

static int kvm_set_debug(struct vcpu *v, bool single_step, const uint64_t *hw_bp, unsigned nbp)
{
	struct kvm_vcpu *kc = v->backend;
	struct kvm_guest_debug dbg;
	memset(&dbg, 0, sizeof(dbg));
	if (nbp > 4)
		return -EINVAL;
	if (single_step || nbp)
		dbg.control = KVM_GUESTDBG_ENABLE;
	if (single_step)
		dbg.control |= KVM_GUESTDBG_SINGLESTEP;
	if (nbp) {
		dbg.control |= KVM_GUESTDBG_USE_HW_BP;
		for (unsigned i = 0; i < nbp; i++) {
			dbg.arch.debugreg[i] = hw_bp[i];
			dbg.arch.debugreg[7] |= 2u << (i * 2);   /* global enable, exec */
		}
	}
	return ioctl(kc->fd, KVM_SET_GUEST_DEBUG, &dbg) ? -errno : 0;
}

static int kvm_ioeventfd(struct machine *m, uint64_t addr, unsigned len, int fd, bool assign)
{
	struct kvm_vm *kv = m->cpu_priv;
	struct kvm_ioeventfd io = {
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};
	return ioctl(kv->vm_fd, KVM_IOEVENTFD, &io) ? -errno : 0;
}

const struct cpu_backend cpu_backend_kvm = {
	.name = "kvm",
	.probe = kvm_probe,
	.vm_create = kvm_vm_create,
	.vm_destroy = kvm_vm_destroy,
	.mem_sync = kvm_mem_sync,
	.vcpu_create = kvm_vcpu_create,
	.vcpu_destroy = kvm_vcpu_destroy,
	.vcpu_run = kvm_vcpu_run,
	.vcpu_kick = kvm_vcpu_kick,
	.get_state = kvm_get_state,
	.set_state = kvm_set_state,
	.irq_set = kvm_irq_set,
	.msi_send = kvm_msi_send,
	.get_dirty_log = kvm_get_dirty_log,
	.set_dirty_logging = kvm_set_dirty_logging,
	.set_debug = kvm_set_debug,
	.ioeventfd = kvm_ioeventfd,
};
