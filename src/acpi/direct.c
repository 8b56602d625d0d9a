/*
 * ACPI for a firmware-less boot (Linux bzImage or PVH straight into the
 * kernel): what SeaBIOS would otherwise do with our fw_cfg blobs.
 *
 * Layout: the tables and the RSDP live in the top ACPI_DIRECT_SIZE bytes of
 * RAM below the PCI hole ([acpi_direct_base(), below_4g)); the e820 map a
 * loader hands the kernel must mark that range E820_ACPI (3) so the kernel
 * keeps it. The RSDP address goes to the kernel in hvm_start_info.rsdp_paddr
 * (PVH) or boot_params.acpi_rsdp_addr (bzImage, boot protocol 2.14+).
 *
 * Firmware also programs the chipset before the OS runs; the one piece the
 * tables depend on is the PIIX4 PM block, so it is enabled at the FADT's
 * address (PMBA = 0x600, PMREGMISC bit 0), as SeaBIOS does. Everything else
 * (PCI BARs, PIRQ routes through the link devices) Linux sets up itself.
 */
#include "acpi/acpi.h"

#include <errno.h>

#include "core/bus.h"
#include "core/machine.h"
#include "hw/pci/pci.h"
#include "hw/pci/piix4_pm.h"

#define DIRECT_PM_BASE 0x600          /* SeaBIOS's choice with etc/table-loader */
#define PIIX4_CFG_PMBA 0x40
#define PIIX4_CFG_PMREGMISC 0x80

uint64_t acpi_direct_base(const struct guest_mem *mem)
{
	return mem->below_4g - ACPI_DIRECT_SIZE;
}

int acpi_direct_install(struct machine *m, uint64_t *rsdp_gpa)
{
	struct acpi_config c;
	struct acpi_build b;
	uint64_t base = acpi_direct_base(&m->mem);
	int err;

	if (m->mem.below_4g < 2 * ACPI_DIRECT_SIZE)
		return -EINVAL;
	acpi_config_pc(&c, m->cfg.cpus, m->mem.below_4g, m->mem.above_4g);
	c.pm_base = DIRECT_PM_BASE;
	c.hpet = bus_owner(&m->mmio, c.hpet_addr) != NULL;
	err = acpi_build(&c, &b);
	if (err)
		return err;
	/* RSDP first (16-byte aligned), the tables 64-byte aligned after it. */
	if (b.tables.len + 64 > ACPI_DIRECT_SIZE) {
		acpi_build_free(&b);
		return -ENOSPC;
	}
	err = acpi_install(&m->mem, &b, base + 64, base);
	acpi_build_free(&b);
	if (err)
		return err;

	unsigned devfn = PCI_DEVFN(PIIX4_PM_DEV, PIIX4_PM_FN);
	if (m->pci && pci_bus_find(m->pci, devfn)) {
		pci_bus_config_write(m->pci, devfn, PIIX4_CFG_PMBA, DIRECT_PM_BASE | 1, 4);
		pci_bus_config_write(m->pci, devfn, PIIX4_CFG_PMREGMISC, 1, 1);
	}
	*rsdp_gpa = base;
	return 0;
}
