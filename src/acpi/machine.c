/*
 * The ACPI configuration of a live PC machine: CPU count and RAM split from
 * the config, the PIIX4 PM block where it currently is, the HPET only if
 * the board has one (with the block ID its capabilities register reports). Shared by fw_cfg (tables for firmware) and the
 * firmware-less install (direct.c), so both describe the same machine.
 *
 * The PM block is wherever PMBA (PIIX4 config 0x40, enabled by PMREGMISC
 * bit 0, config 0x80; 82371AB datasheet) points: SeaBIOS moves it to 0x600
 * when it sees etc/table-loader (src/fw/paravirt.c), OVMF uses 0xB000, and
 * for direct kernel boot the chipset code programs it as firmware would.
 * Before anything enables it, the chipset default (piix4_pm.h) is assumed.
 */
#include "acpi/acpi.h"

#include "core/bus.h"
#include "core/machine.h"
#include "hw/pci/pci.h"
#include "hw/pci/piix4_pm.h"

#define PIIX4_CFG_PMBA 0x40
#define PIIX4_CFG_PMREGMISC 0x80

uint16_t acpi_pc_pm_base(struct machine *m)
{
	unsigned devfn = PCI_DEVFN(PIIX4_PM_DEV, PIIX4_PM_FN);

	if (m->pci && pci_bus_find(m->pci, devfn) &&
	    (pci_bus_config_read(m->pci, devfn, PIIX4_CFG_PMREGMISC, 1) & 1)) {
		uint32_t pmba = pci_bus_config_read(m->pci, devfn, PIIX4_CFG_PMBA, 4) & 0xFFC0;
		if (pmba)
			return (uint16_t)pmba;
	}
	return PIIX4_PM_BASE;
}

void acpi_pc_config(struct machine *m, struct acpi_config *c)
{
	acpi_config_pc(c, m->cfg.cpus, m->mem.below_4g, m->mem.above_4g);
	c->pm_base = acpi_pc_pm_base(m);
	c->hpet = bus_owner(&m->mmio, c->hpet_addr) != NULL;
	/* The table's event timer block ID is the low half of the block's
	 * capabilities register: take it from the device itself. */
	if (c->hpet) {
		uint64_t cap;
		if (bus_read(&m->mmio, c->hpet_addr, 4, &cap))
			c->hpet_block_id = (uint32_t)cap;
	}
}
