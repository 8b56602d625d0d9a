/*
 * The BIOS linker/loader script ("etc/table-loader"): commands that tell
 * firmware (SeaBIOS, OVMF) to allocate our fw_cfg blobs in guest memory,
 * patch the pointers between them and fix up checksums. The same script is
 * also executed by the VMM itself (acpi_loader_apply) to place tables for a
 * firmware-less boot, so both paths share one description of the links.
 */
#ifndef NYX_ACPI_LOADER_H
#define NYX_ACPI_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acpi/aml.h"

#define ACPI_LOADER_FILESZ 56     /* file names, NUL included */
#define ACPI_LOADER_ENTRY_SIZE 128

enum acpi_loader_cmd {
	ACPI_LOADER_ALLOCATE = 1,
	ACPI_LOADER_ADD_POINTER = 2,
	ACPI_LOADER_ADD_CHECKSUM = 3,
};

enum acpi_loader_zone { ACPI_LOADER_ZONE_HIGH = 1, ACPI_LOADER_ZONE_FSEG = 2 };

/* The script is a sequence of 128-byte little-endian entries. */
struct acpi_loader {
	struct aml cmds;
};

void acpi_loader_init(struct acpi_loader *l);
void acpi_loader_free(struct acpi_loader *l);
void acpi_loader_alloc(struct acpi_loader *l, const char *file, uint32_t align,
		       enum acpi_loader_zone zone);
/* dest[offset .. offset+size) += address of src (size 1, 2, 4 or 8). */
void acpi_loader_add_pointer(struct acpi_loader *l, const char *dest, const char *src,
			     uint32_t offset, uint8_t size);
/* file[offset] -= sum of file[start .. start+len) */
void acpi_loader_add_checksum(struct acpi_loader *l, const char *file, uint32_t offset,
			      uint32_t start, uint32_t len);

/* A blob the script refers to, placed at `addr` with contents `data`. */
struct acpi_loader_file {
	const char *name;
	uint8_t *data;
	size_t size;
	uint64_t addr;
};

/*
 * Executes a script over already-placed files (the caller copied each blob
 * into data and chose addr), as firmware would. Every command is checked
 * against the files' sizes and alignment; 0, or -EINVAL for a malformed
 * script or an address that does not fit its pointer (the caller reports).
 */
int acpi_loader_apply(const uint8_t *script, size_t len, struct acpi_loader_file *files,
		      unsigned nfiles);

#endif
