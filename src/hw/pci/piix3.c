/*
 * Intel 82371SB PIIX3 PCI-ISA bridge, function 0 of device 1 (8086:7000,
 * class 0601, multi-function header): PCI interrupt routing.
 *
 * Routing (82371SB datasheet 2.2.9, PIRQRC[A:D] at 0x60-0x63): bit 7 set
 * disables the route; bits 3:0 name the ISA IRQ (3-7, 9-12, 14, 15; other
 * values are reserved and route nowhere). Bits 6:4 are stored as written,
 * as on QEMU (tests/unit/test_pci_qemu.c). See pirq.h for the wiring and
 * why only the ISA IRQ (not an IOAPIC pin 16-19) is driven.
 *
 * State: pirq_level (from the bus, under its irq lock) and the routing bytes
 * give the wanted level of every ISA IRQ; isa_driven remembers what we last
 * drove, so only changes reach the interrupt controller, a route change
 * lowers the old IRQ and raises the new one, and ISA IRQs no PIRQ feeds are
 * never touched. The other registers (IORT, XBCS, TOM, MBIRQ, ...) are
 * plain storage with their datasheet reset values; the ELCR (0x4D0) and
 * reset control (0xCF9) are ISA-side registers modelled elsewhere.
 */
#include "core/machine.h"
#include "hw/pci/chipset.h"
#include "hw/pci/pirq.h"

/* Caller holds the bus irq lock. */
static void piix3_update(struct piix3 *p)
{
	uint16_t want = 0;
	for (unsigned n = 0; n < PIRQ_COUNT; n++) {
		uint8_t route = p->pci.config[PIRQ_ROUTE_REG + n];
		unsigned irq = route & PIRQ_ROUTE_IRQ_MASK;
		if (route & PIRQ_ROUTE_DISABLED || !(PIRQ_VALID_IRQS >> irq & 1))
			continue;
		if (p->pirq_level >> n & 1)
			want |= 1u << irq;
	}
	uint16_t changed = want ^ p->isa_driven;
	p->isa_driven = want;
	for (unsigned irq = 0; irq < 16; irq++)
		if (changed >> irq & 1)
			irq_line_set(&p->isa[irq], want >> irq & 1);
}

void piix3_set_pirq(void *opaque, unsigned pirq, int level)
{
	struct piix3 *p = opaque;
	if (level)
		p->pirq_level |= 1u << pirq;
	else
		p->pirq_level &= ~(1u << pirq);
	piix3_update(p);
}

static void piix3_relock_update(struct piix3 *p)
{
	struct pci_bus *bus = p->pci.bus;
	if (bus)
		pthread_mutex_lock(&bus->irq_lock);
	piix3_update(p);
	if (bus)
		pthread_mutex_unlock(&bus->irq_lock);
}

void piix3_post_load(struct piix3 *p)
{
	piix3_relock_update(p);
}

static void piix3_config_write(struct pci_device *d, unsigned off, uint32_t val, unsigned size)
{
	if (off < PIRQ_ROUTE_REG + PIRQ_COUNT && off + size > PIRQ_ROUTE_REG)
		piix3_relock_update(d->opaque);
}

/* 82371SB reset values of the function 0 registers we store. */
static const struct { uint8_t off, val; } piix3_defaults[] = {
	{ 0x4c, 0x4d },    /* IORT: ISA I/O recovery timer */
	{ 0x4e, 0x03 },    /* XBCS: X-bus chip select */
	{ 0x60, 0x80 }, { 0x61, 0x80 }, { 0x62, 0x80 }, { 0x63, 0x80 },  /* PIRQRC */
	{ 0x69, 0x02 },    /* TOM: top of memory */
	{ 0x70, 0x80 },    /* MBIRQ0 */
	{ 0x76, 0x0c }, { 0x77, 0x0c },  /* MBDMA */
	{ 0x78, 0x02 },    /* PCSC */
	{ 0xa0, 0x08 },    /* SMICNTL */
	{ 0xa8, 0x0f },    /* CTLTMR */
};

static void piix3_reset(struct pci_device *d)
{
	for (unsigned i = 0; i < sizeof(piix3_defaults) / sizeof(piix3_defaults[0]); i++)
		d->config[piix3_defaults[i].off] = piix3_defaults[i].val;
	piix3_relock_update(d->opaque);
}

static const struct pci_device_ops piix3_ops = {
	.config_write = piix3_config_write,
	.reset = piix3_reset,
};

int piix3_init(struct piix3 *p, struct machine *m)
{
	p->m = m;
	p->pirq_level = 0;
	p->isa_driven = 0;
	for (unsigned irq = 0; irq < 16; irq++)
		irq_line_init(&p->isa[irq], m, irq);
	int rc = pci_device_init(&p->pci, PCI_DEVFN(PIRQ_PIIX3_DEV, PIRQ_PIIX3_FN), "piix3",
				 0x8086, 0x7000, 0x00, 0x060100, PCI_HEADER_MULTI_FUNCTION,
				 &piix3_ops, p);
	if (rc)
		return rc;
	struct pci_device *d = &p->pci;
	for (unsigned i = 0x40; i < PCI_CFG_SIZE; i++)
		d->wmask[i] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0;
	/* Status: medium DEVSEL timing (as QEMU's PIIX3 reads). */
	pci_set_word(d->config + PCI_STATUS, 0x0200);
	piix3_reset(d);
	return 0;
}
