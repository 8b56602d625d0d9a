/*
 * Interrupt lines. Devices hold a `struct irq_line` and raise/lower it; the
 * machine routes the GSI either to the CPU backend's in-kernel irqchip (KVM)
 * or to the emulated PIC/IOAPIC (hw/intc), chosen once at machine build time.
 */
#ifndef NYX_CORE_IRQ_H
#define NYX_CORE_IRQ_H

#include <stdint.h>

struct machine;

/* The interrupt controller the machine routes GSIs to. */
struct irq_router {
	void (*set_level)(void *opaque, unsigned gsi, int level);
	/* MSI: address/data as written by the guest into the device. */
	void (*send_msi)(void *opaque, uint64_t addr, uint32_t data);
	void *opaque;
};

struct irq_line {
	struct machine *m;
	unsigned gsi;
	int level;
};

void irq_line_init(struct irq_line *line, struct machine *m, unsigned gsi);
void irq_line_set(struct irq_line *line, int level);
static inline void irq_line_raise(struct irq_line *line) { irq_line_set(line, 1); }
static inline void irq_line_lower(struct irq_line *line) { irq_line_set(line, 0); }
/* Edge: raise then lower. */
void irq_line_pulse(struct irq_line *line);
void irq_send_msi(struct machine *m, uint64_t addr, uint32_t data);

#endif
