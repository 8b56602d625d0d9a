/*
 * Firmware-less placement of the ACPI tables: writes them into guest RAM,
 * linked by the same loader script firmware would run (for direct PVH boot,
 * whose start info carries the RSDP address).
 */
#include "acpi/acpi.h"

#include <errno.h>
#include <stdlib.h>

#include "core/memory.h"

int acpi_install(struct guest_mem *mem, const struct acpi_build *b, uint64_t tables_gpa,
		 uint64_t rsdp_gpa)
{
	uint8_t *t = malloc(b->tables.len);
	uint8_t *r = malloc(b->rsdp.len);
	int err = -ENOMEM;

	if (!t || !r)
		goto out;
	err = acpi_place(b, t, tables_gpa, r, rsdp_gpa);
	if (err)
		goto out;
	err = gpa_write(mem, tables_gpa, t, b->tables.len);
	if (!err)
		err = gpa_write(mem, rsdp_gpa, r, b->rsdp.len);
out:
	free(t);
	free(r);
	return err;
}
