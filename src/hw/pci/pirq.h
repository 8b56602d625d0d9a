/*
 * PCI INTx routing of the i440FX/PIIX3 PC, shared by the chipset (hw/pci)
 * and the ACPI tables (DSDT _PRT, link devices, MADT overrides).
 *
 * Wiring (as on QEMU's "pc" machine, which stock firmware and guests expect):
 *   - device D, pin P (1 = INTA .. 4 = INTD) drives PIRQ (D + P - 2) & 3,
 *     i.e. slot 1 INTA -> PIRQA, slot 2 INTA -> PIRQB, slot 0 INTA -> PIRQD;
 *   - PIIX3 config registers 0x60..0x63 (PIRQRC[A-D]) route PIRQA..D to an
 *     ISA IRQ: bits 3:0 the IRQ, bit 7 set = not routed (reset value 0x80);
 *   - a routed PIRQ is level-triggered, active high, and is the OR of every
 *     device pin on it; an ISA IRQ fed by several PIRQs is their OR;
 *   - the level is delivered on GSI = the ISA IRQ number only (PIC input and
 *     the IOAPIC pin of the same number). QEMU's i440FX does exactly this: it
 *     never drives IOAPIC pins 16-23 for PCI (only its Xen variant does), so
 *     the DSDT must describe PCI interrupts with link devices LNKA..LNKD
 *     whose _CRS/_SRS read/write PIRQRC, not with GSIs 16-19.
 */
#ifndef NYX_HW_PCI_PIRQ_H
#define NYX_HW_PCI_PIRQ_H

#define PIRQ_COUNT 4

/* Where the PIIX3 sits and where its routing registers are (DSDT
 * OperationRegion on PCI config of 00:01.0, fields PRQ0..PRQ3). */
#define PIRQ_PIIX3_DEV 1
#define PIRQ_PIIX3_FN 0
#define PIRQ_ROUTE_REG 0x60
#define PIRQ_ROUTE_DISABLED 0x80
#define PIRQ_ROUTE_IRQ_MASK 0x0f

/* ISA IRQs the links offer in _PRS (QEMU's LNKA..D: 5, 10, 11), and what
 * SeaBIOS programs at boot: PIRQA,B -> 10, PIRQC,D -> 11. The MADT marks
 * these IRQs level / active high (interrupt source overrides). */
#define PIRQ_LINK_IRQS ((1u << 5) | (1u << 10) | (1u << 11))

/* ISA IRQs that PIRQRC may select (82371SB: 3-7, 9-12, 14, 15; other
 * values are reserved and leave the PIRQ unrouted). */
#define PIRQ_VALID_IRQS 0xdef8u

/* The PIRQ (0 = A) that device `dev`'s interrupt pin `pin` (1 = INTA) drives. */
static inline unsigned pirq_of(unsigned dev, unsigned pin)
{
	return (dev + pin - 2) & 3;
}

#endif
