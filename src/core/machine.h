/*
 * The machine: guest memory, the two buses, IRQ routing, vCPUs and their
 * threads, the event loop, the device list and the VM lifecycle.
 *
 * Lifecycle (one state machine, driven by machine_run on the caller's
 * thread, which also runs the event loop):
 *
 *   CREATED --machine_run--> RUNNING --stop request--> STOPPED (run returns)
 *                              |  ^
 *                 reset request|  |devices reset, boot state reloaded
 *                              v  |
 *                            RESETTING
 *   RUNNING --machine_pause--> PAUSED --machine_resume--> RUNNING
 *
 * Invariants: only the thread in machine_run changes `state`; vCPU threads
 * leave vcpu_run when kicked and park while state != RUNNING; a stop
 * request records the first reason and exit status only (later ones lose).
 */
#ifndef NYX_CORE_MACHINE_H
#define NYX_CORE_MACHINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/device.h"
#include "core/irq.h"
#include "core/log.h"
#include "core/memory.h"
#include "cpu/cpu.h"

#define MACHINE_MAX_VCPUS 64
#define MACHINE_MAX_DISKS 8
#define MACHINE_MAX_NICS 4

enum accel_kind { ACCEL_AUTO, ACCEL_KVM, ACCEL_EMU };
enum disk_if { DISK_IF_IDE, DISK_IF_AHCI, DISK_IF_VIRTIO };
enum disk_format { DISK_FMT_AUTO, DISK_FMT_RAW, DISK_FMT_QCOW2 };

struct disk_config {
	char *path;
	enum disk_if iface;
	enum disk_format format;
	bool readonly;
};

struct nic_config {
	char *model;             /* "e1000" | "virtio" */
	char *net;               /* "user" | "tap:IF" */
	char *hostfwd;
};

/* Everything a VM is built from: the builder, `nyx run` flags and the
 * control socket all fill this in, then machine_config_validate() checks it. */
struct machine_config {
	char *name;
	uint64_t mem_size;
	unsigned cpus;
	enum accel_kind accel;
	char *kernel, *initrd, *append;
	char *bios, *uefi;
	struct disk_config disks[MACHINE_MAX_DISKS];
	unsigned ndisks;
	struct nic_config nics[MACHINE_MAX_NICS];
	unsigned nnics;
	bool gpu, tpm, iommu;
	char *tpm_state_dir;
	char *serial;            /* stdio | none | file:PATH | unix:PATH */
	char *debugcon;          /* file receiving port 0x402 output */
	enum log_level log_level;
	bool no_reboot;
	double timeout_s;        /* 0 = none */
	char *restore, *incoming, *api_sock, *gdb, *trace, *metrics_file;
};

void machine_config_init(struct machine_config *c);
void machine_config_free(struct machine_config *c);
/* 0 if valid; else -EINVAL with err naming the setting and why. */
int machine_config_validate(const struct machine_config *c, char *err, size_t err_len);

/* Exit statuses (INTERFACE.md). */
#define EXIT_POWEROFF 0
#define EXIT_CONFIG 2
#define EXIT_FAILURE_VM 3
#define EXIT_TIMEOUT 124

enum machine_state { MACHINE_CREATED, MACHINE_RUNNING, MACHINE_PAUSED, MACHINE_RESETTING,
		     MACHINE_STOPPED };

enum stop_reason { STOP_NONE, STOP_POWEROFF, STOP_DEBUG_EXIT, STOP_RESET_NO_REBOOT,
		   STOP_TIMEOUT, STOP_FAILURE, STOP_USER };

struct vcpu {
	struct machine *m;
	unsigned index;
	pthread_t thread;
	void *backend;           /* backend private state */
	atomic_bool kicked;
	atomic_bool probe;       /* the halt probe asked this vCPU to look at itself */
	/* Halt wait (used when the backend returns VCPU_EXIT_HLT). */
	pthread_mutex_t halt_lock;
	pthread_cond_t halt_cond;
	bool wake;
	uint64_t exits;          /* exits handled by this vCPU (metrics) */
};

struct event_loop;
struct loop_timer;
struct intc;
struct pci_bus;

struct machine {
	struct machine_config cfg;
	struct logger *log;
	struct guest_mem mem;
	struct bus pio, mmio;
	const struct cpu_backend *cpu;
	void *cpu_priv;
	struct irq_router irq;
	struct vcpu *vcpus[MACHINE_MAX_VCPUS];
	unsigned nvcpus;
	struct event_loop *loop;
	struct device *devices;   /* reset/save/load/destroy in registration order */
	/* Boot: what a reset restores. Filled by the loader or firmware setup. */
	struct vcpu_state *boot_state;   /* BSP state (NULL = architectural reset) */
	uint8_t *boot_ram;               /* RAM image after loading (direct boot) */
	void *board;                     /* hw/pc board state */
	struct intc *intc;               /* hw/intc, when the machine emulates the irqchip */
	struct pci_bus *pci;             /* PCI bus 0 (hw/pci), once the board built it */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum machine_state state;        /* guarded by lock */
	_Atomic int run_state;           /* lock-free copy of state for vCPU fast paths */
	unsigned parked;                 /* vCPU threads parked (guarded by lock) */
	atomic_uint dead_halted;         /* vCPUs halted with interrupts disabled */
	/* Backends that halt in the kernel (KVM) never report HLT: a periodic
	 * probe kicks the vCPUs and counts those halted for good this round. */
	atomic_uint probe_dead;
	struct loop_timer *probe_timer;
	enum stop_reason stop_reason;
	int exit_status;
	bool reset_requested;
	uint64_t start_ns;
	struct loop_timer *timeout_timer;
};

/* Builds the machine from a validated config: memory, backend, vCPUs, board
 * devices and boot images. NULL with err filled on failure. */
struct machine *machine_create(const struct machine_config *cfg, char *err, size_t err_len);
void machine_destroy(struct machine *m);
/* Destroys every registered device, newest first (machine_destroy does this
 * first; hand-built test machines call it directly). */
void machine_destroy_devices(struct machine *m);
/* Runs until the guest powers off, resets with no_reboot, fails, or the
 * timeout expires; returns the exit status of INTERFACE.md. */
int machine_run(struct machine *m);

/* Requests from devices and vCPU threads (any thread). */
void machine_request_stop(struct machine *m, enum stop_reason why, int exit_status);
void machine_request_reset(struct machine *m);
void machine_pause(struct machine *m);
void machine_resume(struct machine *m);
void machine_kick_all(struct machine *m);
/* Wakes a halted vCPU (interrupt arrived). */
void machine_wake_vcpu(struct machine *m, unsigned index);

/* Registers a device for reset/save/load/destroy. */
int machine_add_device(struct machine *m, const struct device_ops *ops, void *opaque,
		       const char *name);
void machine_reset_devices(struct machine *m);

/* I/O dispatch for backends: unclaimed accesses read as all ones. */
uint64_t machine_pio_read(struct machine *m, uint16_t port, unsigned size);
void machine_pio_write(struct machine *m, uint16_t port, unsigned size, uint64_t value);
uint64_t machine_mmio_read(struct machine *m, uint64_t addr, unsigned size);
void machine_mmio_write(struct machine *m, uint64_t addr, unsigned size, uint64_t value);

/* ns since machine start (the guest-visible clock base). */
uint64_t machine_clock_ns(struct machine *m);

#endif
