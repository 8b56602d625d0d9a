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
 *
 * The 64-bit PCI window (_CRS of the host bridge) must hold every 64-bit
 * BAR firmware placed above 4 GiB, or the OS finds them outside any bridge
 * window and moves them ("can't claim"). OVMF puts them in its own
 * aperture (32 GiB up on a 256 MiB guest, not our default window) and
 * fetches etc/acpi/tables with memory decoding still off, so the window
 * grows to cover the BARs as programmed in configuration space, enabled or
 * not: where a driver will enable them. Addresses beyond the CPU's 40
 * physical address bits are not memory anyone can reach and are ignored.
 * The window's size in the AML is fixed, so the table layout never changes.
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

#define PHYS_ADDR_LIMIT (1ULL << 40)     /* cpu/cpuid.c: 40 physical address bits */

/* The 64-bit window grown to cover the memory BARs programmed above 4 GiB. */
static void cover_mem64_bars(struct pci_bus *bus, struct acpi_config *c)
{
	uint64_t lo = c->pci_hole64_start, hi = c->pci_hole64_start + c->pci_hole64_size;

	for (unsigned devfn = 0; devfn < 256; devfn++) {
		const struct pci_device *d = pci_bus_find(bus, devfn);
		for (unsigned i = 0; d && i + 1 < PCI_NUM_BARS; i++) {
			const struct pci_bar *b = &d->bars[i];
			if (b->type != PCI_BAR_MEM64 || !b->size)
				continue;
			unsigned reg = PCI_BASE_ADDRESS_0 + 4 * i;
			uint64_t addr = (pci_bus_config_read(bus, devfn, reg, 4) & ~0xFULL) |
					(uint64_t)pci_bus_config_read(bus, devfn, reg + 4, 4) << 32;
			if (addr < MEM_4G || addr >= PHYS_ADDR_LIMIT ||
			    b->size > PHYS_ADDR_LIMIT - addr)
				continue;
			if (addr < lo)
				lo = addr;
			if (addr + b->size > hi)
				hi = addr + b->size;
		}
	}
	c->pci_hole64_start = lo;
	c->pci_hole64_size = hi - lo;
}

void acpi_pc_config(struct machine *m, struct acpi_config *c)
{
	acpi_config_pc(c, m->cfg.cpus, m->mem.below_4g, m->mem.above_4g);
	if (m->pci)
		cover_mem64_bars(m->pci, c);
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
