/*
 * The CPU backend interface. Two implementations: cpu/kvm (hardware
 * assisted) and cpu/emu (our x86-64 emulator). Everything above this line —
 * devices, loaders, snapshots, migration, the gdb stub — speaks only
 * `struct vcpu_state`, so a snapshot taken on one backend restores on the
 * other.
 *
 * A backend's vcpu_run() handles port and memory-mapped I/O itself by
 * calling machine_pio()/machine_mmio() (core/machine.h), and returns only
 * for what the vCPU thread must decide: halt with no interrupt controller
 * in the kernel, shutdown (triple fault), a kick, a debug event, or an error.
 */
#ifndef NYX_CPU_CPU_H
#define NYX_CPU_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;
struct vcpu;

/* GPR indices: x86 encoding order. */
enum {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
	REG_COUNT
};

/* Segment indices: x86 encoding order. */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_COUNT };

struct vcpu_segment {
	uint64_t base;
	uint32_t limit;          /* byte granular (already scaled by G) */
	uint16_t selector;
	uint8_t type;            /* 4-bit descriptor type */
	uint8_t s, dpl, present, avl, l, db, g;
	uint8_t unusable;
};

struct vcpu_dtable {
	uint64_t base;
	uint16_t limit;
};

struct vcpu_msr {
	uint32_t index;
	uint64_t value;
};

#define VCPU_MAX_MSRS 64
#define VCPU_XSAVE_SIZE 4096

enum vcpu_mp_state {
	VCPU_MP_RUNNABLE = 0,
	VCPU_MP_UNINITIALIZED,   /* AP waiting for INIT */
	VCPU_MP_INIT_RECEIVED,   /* waiting for SIPI */
	VCPU_MP_HALTED,
	VCPU_MP_SIPI_RECEIVED,
};

struct vcpu_events {
	uint8_t exception_injected, exception_nr, exception_has_error;
	uint32_t exception_error;
	uint8_t interrupt_injected, interrupt_nr, interrupt_soft;
	uint8_t interrupt_shadow;
	uint8_t nmi_injected, nmi_pending, nmi_masked;
	uint8_t sipi_vector;
};

/* Backend-neutral architectural state of one vCPU. */
struct vcpu_state {
	uint64_t regs[REG_COUNT];
	uint64_t rip, rflags;
	struct vcpu_segment seg[SEG_COUNT];
	struct vcpu_segment ldt, tr;
	struct vcpu_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t efer, apic_base;
	uint64_t dr[4], dr6, dr7;
	uint64_t xcr0;
	uint64_t tsc;
	/* Standard (non-compacted) XSAVE layout; first 512 bytes = FXSAVE. */
	uint8_t xsave[VCPU_XSAVE_SIZE] __attribute__((aligned(64)));
	uint32_t nmsrs;
	struct vcpu_msr msrs[VCPU_MAX_MSRS];
	uint8_t lapic[1024];     /* LAPIC register page as KVM_GET_LAPIC lays it out */
	uint8_t lapic_valid;     /* 0: leave the LAPIC as it is (reset state) */
	struct vcpu_events events;
	uint32_t mp_state;       /* enum vcpu_mp_state */
};

enum vcpu_exit {
	VCPU_EXIT_KICK = 0,      /* asked to stop (machine state change) */
	VCPU_EXIT_HLT,           /* halted; the vCPU thread waits for an interrupt */
	VCPU_EXIT_SHUTDOWN,      /* triple fault */
	VCPU_EXIT_DEBUG,         /* breakpoint / single step (gdb stub) */
	VCPU_EXIT_ERROR,         /* internal error; message in the log */
};

struct cpu_backend {
	const char *name;                     /* "kvm", "emu" */
	/* 0 if usable on this host; else negative errno and why[] filled. */
	int (*probe)(char *why, size_t why_len);
	int (*vm_create)(struct machine *m);
	void (*vm_destroy)(struct machine *m);
	/* Called after mem regions change (ROM added, PAM, hotplug). */
	int (*mem_sync)(struct machine *m);
	int (*vcpu_create)(struct vcpu *v);
	void (*vcpu_destroy)(struct vcpu *v);
	enum vcpu_exit (*vcpu_run)(struct vcpu *v);
	/* Makes vcpu_run return VCPU_EXIT_KICK soon (any thread). */
	void (*vcpu_kick)(struct vcpu *v);
	int (*get_state)(struct vcpu *v, struct vcpu_state *s);
	int (*set_state)(struct vcpu *v, const struct vcpu_state *s);
	/* Non-NULL when the backend has its own interrupt controllers
	 * (in-kernel PIC/IOAPIC/LAPIC); NULL means the machine emulates them. */
	void (*irq_set)(struct machine *m, unsigned gsi, int level);
	void (*msi_send)(struct machine *m, uint64_t addr, uint32_t data);
	/* Dirty pages written by vCPUs since the last call, per memory region:
	 * bitmap of region->size / 4096 bits, OR-ed into `bitmap`. */
	int (*get_dirty_log)(struct machine *m, unsigned region, unsigned long *bitmap);
	int (*set_dirty_logging)(struct machine *m, bool on);
	/* Optional: signal eventfd `fd` instead of exiting to the VMM when the
	 * guest writes `len` bytes at MMIO address `addr` (virtio notify). */
	int (*ioeventfd)(struct machine *m, uint64_t addr, unsigned len, int fd, bool assign);
	/* Single-step / hardware breakpoints for the gdb stub (may be NULL). */
	int (*set_debug)(struct vcpu *v, bool single_step, const uint64_t *hw_bp, unsigned nbp);
};

extern const struct cpu_backend cpu_backend_kvm;
extern const struct cpu_backend cpu_backend_emu;

/* The architectural reset state (INIT/power-on) for vCPU `index`. */
void vcpu_state_reset(struct vcpu_state *s, unsigned index);
/* Flat segment helper for loaders: base 0, limit 4G, given type/db/l. */
void vcpu_segment_flat(struct vcpu_segment *seg, uint16_t sel, uint8_t type, bool code64,
		       bool db);

/* CPUID model shared by both backends (cpu/cpuid.c). */
struct cpuid_regs { uint32_t eax, ebx, ecx, edx; };
void cpuid_model(unsigned vcpu_index, unsigned vcpu_count, uint32_t leaf, uint32_t subleaf,
		 struct cpuid_regs *out);

#endif
