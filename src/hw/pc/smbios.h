/*
 * SMBIOS 2.8 tables for the PC machine, handed to firmware through fw_cfg
 * as "etc/smbios/smbios-tables" (the structures) and
 * "etc/smbios/smbios-anchor" (the 31-byte 2.1-style entry point; firmware
 * fills in the table address and checksums when it places them).
 */
#ifndef NYX_HW_PC_SMBIOS_H
#define NYX_HW_PC_SMBIOS_H

#include <stddef.h>
#include <stdint.h>

#define SMBIOS_ANCHOR_SIZE 31

struct smbios_config {
	unsigned ncpus;
	uint64_t below_4g, above_4g;   /* RAM below and above 4 GiB */
	uint8_t uuid[16];
	const char *product;           /* system product name */
	/* What CPUID tells the guest (type 4): leaf 1 EAX and EDX, the vendor
	 * and brand strings; NULL strings leave the fields empty. */
	uint32_t cpuid1_eax, cpuid1_edx;
	const char *cpu_vendor, *cpu_brand;
};

struct smbios_tables {
	uint8_t *tables;
	size_t len;
	uint8_t anchor[SMBIOS_ANCHOR_SIZE];
	unsigned count;                /* structures, end marker included */
	unsigned max_size;             /* largest structure with its strings */
};

/* 0, -EINVAL (0 CPUs, tables over 64 KiB), -ENOMEM. */
int smbios_build(const struct smbios_config *c, struct smbios_tables *out);
void smbios_tables_free(struct smbios_tables *t);

#endif
