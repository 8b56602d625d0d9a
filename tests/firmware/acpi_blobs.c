/*
 * Test driver: writes the three fw_cfg ACPI blobs of the PC machine
 * (etc/acpi/tables, etc/acpi/rsdp, etc/table-loader) for a given CPU count
 * and RAM size into a directory, so another firmware/VMM (QEMU with
 * -fw_cfg) can load them and a Linux guest can judge them.
 * Usage: acpi-blobs DIR NCPUS RAM_MIB
 */
#include <stdio.h>
#include <stdlib.h>

#include "acpi/acpi.h"

static int write_blob(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "acpi-blobs: cannot write %s\n", path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct acpi_config c;
	struct acpi_build b;

	if (argc != 4) {
		fprintf(stderr, "usage: acpi-blobs DIR NCPUS RAM_MIB\n");
		return 2;
	}
	uint64_t ram = strtoull(argv[3], NULL, 0) << 20;
	uint64_t below = ram < 0xE0000000ULL ? ram : 0xC0000000ULL;
	acpi_config_pc(&c, (unsigned)atoi(argv[2]), below, ram - below);
	c.pm_base = 0x600;   /* where SeaBIOS puts it once it sees the loader */
	if (acpi_build(&c, &b)) {
		fprintf(stderr, "acpi-blobs: bad configuration\n");
		return 2;
	}
	int rc = write_blob(argv[1], "tables", b.tables.buf, b.tables.len) ||
		 write_blob(argv[1], "rsdp", b.rsdp.buf, b.rsdp.len) ||
		 write_blob(argv[1], "loader", b.loader.cmds.buf, b.loader.cmds.len);
	acpi_build_free(&b);
	return rc;
}
