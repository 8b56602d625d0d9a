/*
 * Emulated interrupt hardware (8259 PIC pair, IOAPIC, per-vCPU LAPIC, 8254
 * PIT) used when the CPU backend has no in-kernel irqchip (the emulator).
 * With KVM the in-kernel models are used instead; the choice is made once
 * in machine_create() from cpu_backend.irq_set being NULL or not.
 *
 * The emulator talks to this module only through the functions below.
 */
#ifndef NYX_HW_INTC_H
#define NYX_HW_INTC_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

/* Creates PIC, IOAPIC, PIT and one LAPIC per vCPU; installs m->irq. */
int intc_create(struct machine *m);

/* --- CPU side, called by the emulator on vCPU `cpu` ---------------------- */
/* A maskable interrupt is pending for this CPU (LAPIC or PIC via ExtINT),
 * ignoring RFLAGS.IF (the CPU checks IF itself). */
bool intc_irq_pending(struct machine *m, unsigned cpu);
/* Acknowledge (INTA): returns the vector to deliver, or -1 if it vanished. */
int intc_irq_ack(struct machine *m, unsigned cpu);
bool intc_nmi_take(struct machine *m, unsigned cpu);
/* INIT / SIPI received by this CPU's LAPIC since the last call:
 * returns 1 for INIT, 2 for SIPI (vector in *sipi_vector), 0 for none. */
int intc_take_init_sipi(struct machine *m, unsigned cpu, uint8_t *sipi_vector);

/* LAPIC register page (xAPIC MMIO at the APIC base) of CPU `cpu`. */
uint64_t intc_lapic_read(struct machine *m, unsigned cpu, uint64_t offset, unsigned size);
void intc_lapic_write(struct machine *m, unsigned cpu, uint64_t offset, uint64_t value,
		      unsigned size);
/* x2APIC MSRs 0x800-0x8FF; false if the MSR is invalid (→ #GP). The caller
 * checks IA32_APIC_BASE.EXTD; a LAPIC not yet told (intc_set_apic_base)
 * switches to x2APIC mode on the first of these calls. */
bool intc_lapic_rdmsr(struct machine *m, unsigned cpu, uint32_t msr, uint64_t *value);
bool intc_lapic_wrmsr(struct machine *m, unsigned cpu, uint32_t msr, uint64_t value);
/* CR8 <-> TPR: the whole 8-bit TPR (CR8 = TPR >> 4; MOV to CR8 sets
 * TPR = CR8 << 4). */
uint8_t intc_get_tpr(struct machine *m, unsigned cpu);
void intc_set_tpr(struct machine *m, unsigned cpu, uint8_t tpr);
/* IA32_TSC_DEADLINE. */
uint64_t intc_get_tsc_deadline(struct machine *m, unsigned cpu);
void intc_set_tsc_deadline(struct machine *m, unsigned cpu, uint64_t deadline);

/* Guest time stamp counter of the emulated machine (same clock as timers). */
uint64_t intc_guest_tsc(struct machine *m);
#define INTC_TSC_HZ 2000000000ULL
/* The LAPIC timer's input clock (before the DCR divider). The emulator
 * reports it as the core crystal clock in CPUID leaf 0x15: Linux takes
 * that crystal to be the LAPIC timer clock (native_calibrate_tsc() sets
 * lapic_timer_period = crystal_khz * 1000 / HZ and skips calibration), so
 * the two must be the same number. INTC_TSC_HZ is a whole multiple. */
#define INTC_LAPIC_HZ 1000000000ULL
/* A vCPU's TSC is set to `value` (reset state, snapshot load, WRMSR):
 * returns the offset that vCPU adds to intc_guest_tsc(). On hardware all
 * TSCs start together; here vCPUs are set up one after another, and Linux
 * drops the TSC if it finds them apart by even a few cycles. So a write
 * that, within a second of the previous one, agrees with it to within a
 * second of TSC counts gets its exact offset (as KVM matches TSC writes). */
uint64_t intc_tsc_write(struct machine *m, uint64_t value);

/* LAPIC state <-> vcpu_state.lapic (KVM_GET_LAPIC layout) for snapshots. */
void intc_lapic_get(struct machine *m, unsigned cpu, uint8_t regs[1024]);
void intc_lapic_set(struct machine *m, unsigned cpu, const uint8_t regs[1024]);

/* --- Additions (hw/intc owner) ----------------------------------------- */
/* IA32_APIC_BASE of CPU `cpu` (EN, EXTD = x2APIC, BSP), so the LAPIC knows
 * its mode (x2APIC ID/LDR/ICR formats, hardware disable). set returns false
 * for an invalid value or transition (the caller raises #GP). */
uint64_t intc_get_apic_base(struct machine *m, unsigned cpu);
bool intc_set_apic_base(struct machine *m, unsigned cpu, uint64_t value);
/* ELCR (ports 0x4D0/0x4D1): bit n = IRQ n level triggered. The PIIX3
 * model and ACPI code use these; the registers live in the PIC model. */
uint16_t intc_get_elcr(struct machine *m);
void intc_set_elcr(struct machine *m, uint16_t elcr);
/* Replaces the guest clock (ns) of the interrupt hardware; for tests and
 * deterministic runs. NULL restores machine_clock_ns(). */
void intc_set_clock(struct machine *m, uint64_t (*now)(void *opaque), void *opaque);
/* HPET legacy replacement (hw/pc/hpet.c, LEG_RT_CNF): while `gated`, the
 * PIT's channel 0 no longer reaches IRQ 0 (the HPET's timer 0 drives it),
 * as on real chipsets and QEMU. The PIT keeps counting. */
void intc_set_pit_irq_gate(struct machine *m, bool gated);
/* Runs the PIT and LAPIC timers that are due at the current clock (what
 * the event-loop timers do; tests call it after moving the clock). */
void intc_poll_timers(struct machine *m);

/* --- Late periodic ticks (catchup.c: read its design note) -------------- */
/* The CPU is running guest code: called by the emulator at every event
 * check, whatever RFLAGS.IF (at least every few thousand instructions).
 * Gaps between calls longer than INTC_RUN_GAP_NS are time the guest did
 * not get to run; the rest is its run time, which tells a tick the guest
 * kept waiting (IF=0, in service: merged, as on hardware) from one the
 * host kept from it (owed, delivered later). */
void intc_cpu_running(struct machine *m, unsigned cpu);
/* An emulated CPU's event check in one lock round: intc_cpu_running, then
 * intc_take_init_sipi's result (init_sipi, sipi_vector), and whether an
 * NMI (nmi; intc_nmi_take takes it) and a maskable interrupt (irq, as
 * intc_irq_pending) are pending. */
struct intc_cpu_events {
	int init_sipi;
	uint8_t sipi_vector;
	bool nmi, irq;
};
void intc_cpu_check(struct machine *m, unsigned cpu, struct intc_cpu_events *ev);
#define INTC_RUN_GAP_NS 1000000ULL
/* Owed ticks are kept at most this far behind, and at most this many
 * (a tiny period); older ones are dropped. */
#define INTC_CATCHUP_MAX_NS 500000000ULL
#define INTC_CATCHUP_MAX_TICKS 1000

/* What a periodic interrupt source keeps to deliver late ticks one by
 * one: embedded in the source, zero-initialised, guarded by its lock. */
struct intc_catchup {
	uint32_t owed;          /* ticks due that the guest has not been given */
	unsigned cpu;           /* CPU that took the last tick (whose run time counts) */
	uint64_t mark;          /* that CPU's run time when the guest last got a tick */
	uint64_t merged;        /* ticks merged because the guest kept one waiting */
	uint64_t dropped;       /* owed ticks given up beyond INTC_CATCHUP_MAX_NS */
};
/* `n` ticks of a source with period `period_ns` on GSI `gsi` fell due,
 * the last at guest time `last_ns` (the machine clock). Returns true if
 * the caller must raise one edge now; the others are merged or owed.
 * Without emulated interrupt hardware (KVM), always true (late ticks
 * merge). */
bool intc_catchup_due(struct machine *m, struct intc_catchup *c, unsigned gsi, uint64_t n,
		      uint64_t period_ns, uint64_t last_ns);
/* As intc_catchup_due, for a source whose output is held by a flag of its
 * own until the guest clears it (the RTC's IRQF until register C is
 * read): with `held` (the flag was set before these ticks), the first
 * tick finds the last one waiting as a busy path would. */
bool intc_catchup_due_held(struct machine *m, struct intc_catchup *c, unsigned gsi, uint64_t n,
			   uint64_t period_ns, uint64_t last_ns, bool held);
/* The CPU `cpu`'s handler of an interrupt from the source's GSI is done
 * (its ack notifier, or for the RTC the read of C after it): returns true
 * if the caller must raise the next owed tick. */
bool intc_catchup_acked(struct machine *m, struct intc_catchup *c, unsigned gsi, unsigned cpu);
/* Whether an interrupt from `gsi` is in service (8259 ISR, or the vector
 * its IOAPIC pin maps in a LAPIC's ISR): its handler has not sent the EOI.
 * False without emulated interrupt hardware. */
bool intc_gsi_in_service(struct machine *m, unsigned gsi);
/* Calls fn(opaque, gsi, cpu) after a CPU's handler of an interrupt from a
 * GSI in `gsis` is done: its EOI (at the 8259, INTA in auto-EOI mode; at
 * a LAPIC, of a vector an unmasked IOAPIC pin maps) (bit n = GSI n; ISA
 * IRQ 0 is GSI 0 on both paths). Runs with no interrupt-hardware lock held, so fn
 * may take its device's lock and raise lines. At most INTC_ACK_NOTIFIERS;
 * registered at device creation. Returns 0 or -ENOSPC, and 0 doing
 * nothing without emulated interrupt hardware. */
#define INTC_ACK_NOTIFIERS 4
int intc_add_ack_notifier(struct machine *m, uint32_t gsis,
			  void (*fn)(void *opaque, unsigned gsi, unsigned cpu), void *opaque);
/* A timer device outside hw/intc (the HPET) lets running CPUs run it, so
 * a late event loop does not delay its interrupts while the guest runs:
 * poll(opaque) is called, with no interrupt-hardware lock held, from a
 * CPU's intc_cpu_running() once guest time reaches the due time last
 * given to intc_ext_timer_due (UINT64_MAX: none; the poll gives the next).
 * add returns an id >= 0, -ENOSPC, or -ENODEV without emulated interrupt
 * hardware. */
#define INTC_EXT_TIMERS 2
int intc_add_ext_timer(struct machine *m, void (*poll)(void *opaque), void *opaque);
void intc_ext_timer_due(struct machine *m, int id, uint64_t due_ns);
/* Debug knob NYX_DEBUG_TIMER_LATE_US=N (docs/platform.md): the PIT,
 * LAPIC and HPET timers run N microseconds after their due time, from the
 * event loop and from running CPUs alike: a deterministically late host.
 * 0 when unset. */
uint64_t intc_debug_late_ns(void);

#endif
