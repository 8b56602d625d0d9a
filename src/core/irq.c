/* Interrupt lines: devices set levels, the machine's router delivers. */
#include "core/irq.h"
#include "core/machine.h"

void irq_line_init(struct irq_line *line, struct machine *m, unsigned gsi)
{
	line->m = m;
	line->gsi = gsi;
	line->level = 0;
}

void irq_line_set(struct irq_line *line, int level)
{
	level = !!level;
	line->level = level;
	struct machine *m = line->m;
	if (m && m->irq.set_level)
		m->irq.set_level(m->irq.opaque, line->gsi, level);
}

void irq_line_pulse(struct irq_line *line)
{
	irq_line_set(line, 1);
	irq_line_set(line, 0);
}

void irq_send_msi(struct machine *m, uint64_t addr, uint32_t data)
{
	if (m && m->irq.send_msi)
		m->irq.send_msi(m->irq.opaque, addr, data);
}
