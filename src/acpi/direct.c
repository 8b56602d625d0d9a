/*
 * ACPI for a firmware-less boot (Linux bzImage or PVH straight into the
 * kernel): what SeaBIOS would otherwise do with our fw_cfg blobs.
 *
 * Layout: the RSDP and then the tables live in the top ACPI_DIRECT_SIZE
 * bytes of RAM below the PCI hole ([acpi_direct_base(), below_4g)); the
 * e820 map a loader hands the kernel must mark that range E820_ACPI (3) so
 * the kernel keeps it, and nothing else (an initrd) may be put there. The
 * RSDP address goes to the kernel in hvm_start_info.rsdp_paddr (PVH) or
 * boot_params.acpi_rsdp_addr (bzImage, boot protocol 2.14+).
 */
#include "acpi/acpi.h"

#include <errno.h>

#include "core/machine.h"

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
	acpi_pc_config(m, &c);
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
	if (!err)
		*rsdp_gpa = base;
	return err;
}
