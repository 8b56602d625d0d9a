/*
 * Internal interface between the interrupt-controller models of hw/intc:
 * the state of each model and the calls they make to one another. Nothing
 * outside src/hw/intc (and its unit tests) includes this file.
 *
 * Locking: one mutex (struct intc.lock) guards the whole complex. Every
 * entry point from outside (bus handlers, the irq router, timer callbacks,
 * the intc.h functions, device ops) takes it; the model functions declared
 * here expect it held and never take it themselves. CPUs to wake are
 * collected in `kick` while the lock is held and woken by intc_unlock()
 * after it is released, so the vCPU's halt lock is never taken under ours.
 */
#ifndef NYX_HW_INTC_PRIV_H
#define NYX_HW_INTC_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/log.h"
#include "hw/intc/intc.h"

struct intc;
struct loop_timer;

/* a * mul / div, the product in 128 bits, truncated to 64. Callers pass
 * constant rates, so the first test folds away; a 64-bit product divides
 * without the 128-bit division's library call (RDTSC runs this). */
static inline uint64_t intc_muldiv(uint64_t a, uint64_t mul, uint64_t div)
{
	if (mul % div == 0)
		return a * (mul / div);   /* the same value modulo 2^64 */
	unsigned __int128 p = (unsigned __int128)a * mul;
	if (!(p >> 64))
		return (uint64_t)p / div;
	return (uint64_t)(p / div);
}

/* What an edge on an input would do now (catchup.c): ordered so that the
 * larger of two paths' values is the GSI's. */
enum intc_path { INTC_PATH_MASKED, INTC_PATH_BUSY, INTC_PATH_OPEN };

/* ---- 8259A pair (pic.c) ------------------------------------------------ */
struct pic_chip {
	uint8_t irr, isr, imr;
	uint8_t lines;          /* input levels: edge detection and level mode */
	uint8_t elcr, elcr_mask;
	uint8_t base;           /* ICW2: vector of IR0 */
	uint8_t prio_top;       /* IR with the highest priority (rotation) */
	uint8_t init_step;      /* 0 ready, else the ICW (2, 3, 4) expected next */
	bool icw4, single, ltim, auto_eoi, rotate_aeoi, sfnm;
	bool read_isr, poll, special_mask;
};

struct pic {
	struct pic_chip chip[2];        /* [0] master 0x20, [1] slave 0xA0 */
	struct intc *ic;
	unsigned inta_cpu;              /* CPU of the last INTA, for ack notifiers */
	struct log_ratelimit rl;
};

void pic_init(struct pic *p, struct intc *ic);
int pic_register(struct pic *p, struct machine *m);
void pic_reset(struct pic *p);
void pic_set_irq(struct pic *p, unsigned irq, int level);
/* Level of the master's INT output. */
bool pic_intr(const struct pic *p);
/* INTA cycle: the vector the pair puts on the bus (IR7/IR15 if spurious). */
int pic_ack(struct pic *p, unsigned cpu);
uint16_t pic_elcr_get(const struct pic *p);
/* An edge on ISA IRQ `irq`: masked (IMR, or its output reaches no CPU),
 * busy (IRR already set) or open. */
enum intc_path pic_path(const struct pic *p, unsigned irq);
/* The input's IRR bit is clear and only its own IMR bit masks it: an edge
 * latches in IRR and reaches the CPU once the guest unmasks it. */
bool pic_latches_masked(const struct pic *p, unsigned irq);
void pic_elcr_set(struct pic *p, uint16_t elcr);

/* ---- IOAPIC (ioapic.c) ------------------------------------------------- */
#define IOAPIC_BASE 0xFEC00000ULL
#define IOAPIC_PINS 24

struct ioapic {
	uint32_t regsel;
	uint8_t id;
	uint64_t redir[IOAPIC_PINS];
	uint32_t lines;                 /* input levels */
	struct intc *ic;
	struct log_ratelimit rl;
};

void ioapic_init(struct ioapic *io, struct intc *ic);
int ioapic_register(struct ioapic *io, struct machine *m);
void ioapic_reset(struct ioapic *io);
void ioapic_set_irq(struct ioapic *io, unsigned pin, int level);
/* EOI broadcast from a LAPIC for a level-triggered vector. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);
/* CPU `cpu` sent the EOI of `vector` (its handler is done): ack
 * notifications for the unmasked pins that map it. */
void ioapic_vector_acked(struct ioapic *io, uint8_t vector, unsigned cpu);
/* An edge on `pin`: masked, busy (remote IRR, or the vector already in a
 * LAPIC's IRR) or open. */
enum intc_path ioapic_path(const struct ioapic *io, unsigned pin);

/* ---- Local APIC (lapic.c) ---------------------------------------------- */
#define LAPIC_LVT_COUNT 6               /* timer thermal perf lint0 lint1 error */
enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR };

/* Interrupt message as the APIC bus (or an MSI write) carries it. */
enum apic_dm {
	APIC_DM_FIXED = 0, APIC_DM_LOWEST = 1, APIC_DM_SMI = 2, APIC_DM_NMI = 4,
	APIC_DM_INIT = 5, APIC_DM_SIPI = 6, APIC_DM_EXTINT = 7,
};
enum apic_shorthand { APIC_SH_NONE, APIC_SH_SELF, APIC_SH_ALL, APIC_SH_OTHERS };

struct apic_msg {
	uint32_t dest;          /* 8-bit xAPIC or 32-bit x2APIC destination */
	uint8_t vector;
	uint8_t mode;           /* enum apic_dm */
	bool logical;
	bool level;             /* trigger mode: level */
	bool wide;              /* dest is 32-bit (x2APIC ICR) */
	uint8_t shorthand;      /* enum apic_shorthand, IPIs only */
	int src;                /* sending CPU for shorthands, -1 otherwise */
};

struct lapic {
	struct intc *ic;
	unsigned cpu;
	uint32_t id;
	uint64_t apic_base;
	uint32_t tpr, ldr, dfr, svr;
	uint32_t esr, esr_pending;
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[LAPIC_LVT_COUNT];
	uint32_t dcr, initial_count;
	uint32_t isr[8], tmr[8], irr[8];
	/* Timer: the count was timer_count at guest time timer_start. */
	bool timer_running;
	uint64_t timer_start;
	uint32_t timer_count;
	uint64_t tsc_deadline;
	bool nmi, init, sipi, extint;
	uint8_t sipi_vector;
	/* Run time (catchup.c): the CPU was last seen running at seen_ns and
	 * has run run_ns in all, continuously since run_from; tick_mark is
	 * its run time when the timer's waiting periodic tick was due. */
	uint64_t seen_ns, run_ns, run_from, tick_mark;
	struct loop_timer *timer;
	uint64_t due_ns;                /* the timer's next expiry, or UINT64_MAX */
	struct log_ratelimit rl;
};

void lapic_init(struct lapic *l, struct intc *ic, unsigned cpu);
int lapic_register(struct lapic *l, struct machine *m);
void lapic_reset(struct lapic *l, bool init_only);
void lapic_deliver(struct intc *ic, const struct apic_msg *msg);
/* Highest vector the CPU may take now, or -1. */
int lapic_pending(const struct lapic *l);
int lapic_ack(struct lapic *l);
/* LINT0 is ExtINT (or the APIC is off): the PIC talks to this CPU directly. */
bool lapic_accepts_pic(const struct lapic *l);
bool lapic_irr_test(const struct lapic *l, uint8_t vector);
bool lapic_isr_test(const struct lapic *l, uint8_t vector);
uint32_t lapic_reg_read(struct lapic *l, unsigned reg);
void lapic_reg_write(struct lapic *l, unsigned reg, uint32_t v);
bool lapic_msr_read(struct lapic *l, uint32_t msr, uint64_t *v);
bool lapic_msr_write(struct lapic *l, uint32_t msr, uint64_t v);
void lapic_timer_run(struct lapic *l);
void lapic_set_tsc_deadline(struct lapic *l, uint64_t deadline);
bool lapic_set_base(struct lapic *l, uint64_t base);
void lapic_get_page(struct lapic *l, uint8_t regs[1024]);
void lapic_set_page(struct lapic *l, const uint8_t regs[1024]);

/* ---- 8254 PIT (pit.c) -------------------------------------------------- */
#define PIT_HZ 1193182ULL

struct pit_channel {
	uint32_t count;         /* reload value: 1..65536 (binary), 1..10000 (BCD) */
	uint8_t mode, rw, bcd;
	bool gate;
	bool armed;             /* a count was loaded */
	bool triggered;         /* counting runs (modes 1, 5 wait for a gate edge) */
	bool null_count;
	bool write_msb;         /* next write is the MSB (rw 3) */
	bool read_msb;          /* next live read is the MSB (rw 3) */
	uint8_t write_lsb;
	uint16_t latch;
	uint8_t latch_bytes;    /* latched count bytes still to read (0-2) */
	bool latch_msb_first;   /* rw 2: only the MSB */
	uint8_t status;
	bool status_latched;
	uint64_t start;         /* guest ns when the count was loaded/triggered */
	uint64_t paused_ticks;  /* ticks counted before `start` (gate pauses) */
	uint64_t next_irq;      /* channel 0: tick index of the next IRQ edge */
};

struct pit {
	struct pit_channel ch[3];
	uint8_t port61;         /* bits 0-3 as written */
	struct intc_catchup cu; /* channel 0's late ticks */
	struct intc *ic;
	struct loop_timer *timer;
	uint64_t due_ns;        /* channel 0's next edge, or UINT64_MAX */
	struct log_ratelimit rl;
};

void pit_init(struct pit *p, struct intc *ic);
int pit_register(struct pit *p, struct machine *m);
void pit_reset(struct pit *p);
void pit_timer_run(struct pit *p);

/* ---- The complex (intc.c) ---------------------------------------------- */
struct intc {
	pthread_mutex_t lock;
	struct machine *m;
	unsigned ncpus;
	struct pic pic;
	struct ioapic ioapic;
	struct pit pit;
	struct lapic *lapic;            /* ncpus entries */
	uint64_t kick;                  /* CPUs to wake at unlock */
	uint64_t (*clock)(void *opaque);
	void *clock_opaque;
	/* The TSC write the others match (intc_tsc_write). */
	bool tsc_written;
	uint64_t tsc_write_ns, tsc_write_value, tsc_write_offset;
	bool pit_irq_gated;             /* HPET legacy replacement owns IRQ 0 */
	uint64_t late_ns;               /* NYX_DEBUG_TIMER_LATE_US */
	struct log_ratelimit catchup_rl;
	/* Ack notifiers (catchup.c); GSIs taken under the lock, their
	 * notifiers run by intc_unlock once it is dropped. */
	struct intc_ack_notifier {
		uint32_t gsis;
		void (*fn)(void *opaque, unsigned gsi, unsigned cpu);
		void *opaque;
	} notifier[INTC_ACK_NOTIFIERS];
	unsigned nnotifiers;
	uint32_t acked;
	uint8_t acked_cpu[IOAPIC_PINS];
	/* Timer devices outside hw/intc that running CPUs poll (catchup.c). */
	struct intc_ext_timer {
		void (*poll)(void *opaque);
		void *opaque;
		uint64_t due;
	} ext[INTC_EXT_TIMERS];
	unsigned next;
};

struct intc *intc_of(struct machine *m);
void intc_lock(struct intc *ic);
void intc_unlock(struct intc *ic);
/* Guest time in ns (machine clock, or the test clock). */
uint64_t intc_now(struct intc *ic);
/* An interrupt may have become deliverable to `cpu`: wake it at unlock. */
void intc_cpu_notify(struct intc *ic, unsigned cpu);
/* The PIC's INT output may have changed. */
void intc_pic_changed(struct intc *ic);
/* ISA IRQ line (0-15): PIC input and IOAPIC pin (IRQ 0 -> pin 2). */
void intc_isa_irq(struct intc *ic, unsigned irq, int level);
/* Arms a loop timer for guest time `when` (without an event loop, only
 * *due), and records `when` in *due, where a running CPU's event check
 * (intc_cpu_running) looks too; stop sets *due to UINT64_MAX. */
struct loop_timer *intc_timer_new(struct intc *ic, void (*fn)(void *), void *opaque);
void intc_timer_arm(struct intc *ic, struct loop_timer *t, uint64_t *due, uint64_t when);
void intc_timer_stop(struct intc *ic, struct loop_timer *t, uint64_t *due);
/* catchup.c, lock held: CPU `cpu` took an interrupt from `gsi`. */
void intc_gsi_acked(struct intc *ic, unsigned gsi, unsigned cpu);
/* Runs the notifiers of the GSIs in `acked` (no lock held). */
void intc_ack_notify(struct intc *ic, uint32_t acked, const uint8_t cpu[IOAPIC_PINS]);
/* intc_cpu_running with the lock held: returns whether timers outside
 * hw/intc are due, then flagged in poll[] for intc_run_polls (no lock held). */
bool intc_cpu_running_locked(struct intc *ic, unsigned cpu, bool poll[INTC_EXT_TIMERS]);
void intc_run_polls(struct intc *ic, const bool poll[INTC_EXT_TIMERS]);
/* The CPU's run time so far (ns; see intc_cpu_running). */
uint64_t intc_run_ns(struct intc *ic, unsigned cpu);
uint64_t intc_run_at(struct intc *ic, unsigned cpu, uint64_t t);
bool intc_catchup_due_locked(struct intc *ic, struct intc_catchup *c, unsigned gsi,
			     uint64_t n, uint64_t period_ns, uint64_t last_ns);
bool intc_catchup_acked_locked(struct intc *ic, struct intc_catchup *c, unsigned gsi,
			       unsigned cpu);

#endif
