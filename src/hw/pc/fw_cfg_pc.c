/*
 * What the PC machine tells firmware through fw_cfg: the legacy keys
 * (signature, RAM size, CPU counts, boot menu, ...) and the files SeaBIOS
 * and OVMF read on QEMU's i440FX machine (etc/e820, the ACPI blobs and
 * their loader script, SMBIOS, bootorder, console and boot-failure
 * settings).
 */
#include "hw/pc/fw_cfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/acpi.h"
#include "boot/optionrom.h"
#include "core/log.h"
#include "core/machine.h"
#include "cpu/cpu.h"
#include "hw/pc/smbios.h"
#include "hw/pci/piix4_pm.h"
#include "hw/storage/ide.h"

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ENTRY_SIZE 20       /* le64 address, le64 length, le32 type */
/* KVM's identity-map page and TSS (cpu/kvm) sit here, as on QEMU. */
#define E820_KVM_RESERVED 0xFEFFC000ULL
#define E820_KVM_RESERVED_LEN 0x4000ULL

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void e820_put(uint8_t *t, size_t *n, uint64_t addr, uint64_t len, uint32_t type)
{
	uint8_t *e = t + *n * E820_ENTRY_SIZE;
	put_le(e, addr, 8);
	put_le(e + 8, len, 8);
	put_le(e + 16, type, 4);
	(*n)++;
}

/*
 * etc/e820 is what QEMU hands firmware, not the map a kernel finally sees
 * (boot/e820.c): RAM from 0 to the PCI hole, the reserved KVM pages, RAM
 * above 4 GiB. SeaBIOS and OVMF carve the legacy holes (EBDA, VGA, BIOS)
 * and their own reservations out of it themselves; handing them those holes
 * too would make OVMF see reserved RAM where it creates its own HOBs.
 */
static int add_e820(struct fw_cfg *fc, const struct guest_mem *mem)
{
	uint8_t t[3 * E820_ENTRY_SIZE];
	size_t n = 0;

	e820_put(t, &n, 0, mem->below_4g, E820_RAM);
	e820_put(t, &n, E820_KVM_RESERVED, E820_KVM_RESERVED_LEN, E820_RESERVED);
	if (mem->above_4g)
		e820_put(t, &n, MEM_4G, mem->above_4g, E820_RAM);
	return fw_cfg_add_file(fc, "etc/e820", t, n * E820_ENTRY_SIZE);
}

/* The tables for the machine as it is now (see acpi/machine.c): firmware
 * has programmed the PM block by the time it reads them. */
static int pc_acpi_build(struct machine *m, struct acpi_build *b)
{
	struct acpi_config c;

	acpi_pc_config(m, &c);
	return acpi_build(&c, b);
}

/* Select callback of etc/acpi/tables: the same tables with the PM block
 * where firmware put it. The layout does not depend on it, so the size
 * cannot change; if it somehow did, the old tables stay. */
static void pc_acpi_refresh(void *opaque, uint8_t *data, uint32_t len)
{
	struct machine *m = opaque;
	struct acpi_build b;

	if (pc_acpi_build(m, &b))
		return;
	if (b.tables.len == len)
		memcpy(data, b.tables.buf, len);
	else
		LOG(m->log, LOG_ERROR, "fw_cfg", "ACPI tables changed size (%u -> %zu); kept the old",
		    len, b.tables.len);
	acpi_build_free(&b);
}

static int add_acpi(struct fw_cfg *fc, struct machine *m)
{
	struct acpi_build b;
	int err = pc_acpi_build(m, &b);

	if (err)
		return err;
	err = fw_cfg_add_file(fc, ACPI_FILE_TABLES, b.tables.buf, b.tables.len);
	if (!err)
		err = fw_cfg_add_file(fc, ACPI_FILE_RSDP, b.rsdp.buf, b.rsdp.len);
	if (!err)
		err = fw_cfg_add_file(fc, ACPI_FILE_LOADER, b.loader.cmds.buf, b.loader.cmds.len);
	if (!err)
		err = fw_cfg_set_select_cb(fc, ACPI_FILE_TABLES, pc_acpi_refresh, m);
	acpi_build_free(&b);
	return err;
}

static int add_smbios(struct fw_cfg *fc, const struct machine *m)
{
	struct smbios_config c = {
		.ncpus = m->cfg.cpus,
		.below_4g = m->mem.below_4g,
		.above_4g = m->mem.above_4g,
	};
	struct smbios_tables t;
	struct cpuid_regs r;
	char vendor[13] = {0}, brand[49] = {0};

	cpuid_model(0, m->cfg.cpus, 1, 0, &r);
	c.cpuid1_eax = r.eax;
	c.cpuid1_edx = r.edx;
	cpuid_model(0, m->cfg.cpus, 0, 0, &r);
	memcpy(vendor, &r.ebx, 4);
	memcpy(vendor + 4, &r.edx, 4);
	memcpy(vendor + 8, &r.ecx, 4);
	for (unsigned i = 0; i < 3; i++) {
		cpuid_model(0, m->cfg.cpus, 0x80000002 + i, 0, &r);
		memcpy(brand + 16 * i, &r, 16);
	}
	c.cpu_vendor = vendor;
	c.cpu_brand = brand;
	int err = smbios_build(&c, &t);

	if (err)
		return err;
	err = fw_cfg_add_file(fc, "etc/smbios/smbios-tables", t.tables, t.len);
	if (!err)
		err = fw_cfg_add_file(fc, "etc/smbios/smbios-anchor", t.anchor, sizeof(t.anchor));
	smbios_tables_free(&t);
	return err;
}

/* Firmware device paths of the IDE disks, in configuration order, one a
 * line (SeaBIOS and OVMF match them against the devices they find). A
 * kernel for SeaBIOS comes first: its loader ROM, named as SeaBIOS names a
 * fw_cfg option ROM ("/rom@" + file name). */
static int add_bootorder(struct fw_cfg *fc, const struct machine_config *cfg)
{
	char buf[MACHINE_MAX_DISKS * 64 + 64];
	size_t len = 0;
	unsigned ide = 0;

	if (cfg->kernel && cfg->bios)
		len = (size_t)snprintf(buf, sizeof(buf), "/rom@%s", LINUXBOOT_ROM_NAME);

	for (unsigned i = 0; i < cfg->ndisks; i++) {
		if (cfg->disks[i].iface != DISK_IF_IDE)
			continue;
		char path[64];
		if (ide_boot_path(ide++, path, sizeof(path)) < 0)
			continue;
		int n = snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? "\n" : "", path);
		if (n < 0 || (size_t)n >= sizeof(buf) - len)
			break;
		len += (size_t)n;
	}
	if (len == 0)
		return 0;
	return fw_cfg_add_file(fc, "bootorder", buf, len + 1);
}

int fw_cfg_pc_populate(struct fw_cfg *fc, struct machine *m, char *err, size_t err_len)
{
	const struct machine_config *cfg = &m->cfg;
	unsigned ncpus = cfg->cpus;
	const char *what = "legacy keys";
	uint8_t uuid[16] = {0};
	int ret;

	/* Legacy items, with QEMU's sizes: SeaBIOS reads them at fixed widths. */
	ret = fw_cfg_add_bytes(fc, FW_CFG_UUID, uuid, sizeof(uuid));
	ret = ret ? ret : fw_cfg_add_i64(fc, FW_CFG_RAM_SIZE, m->mem.ram_size);
	ret = ret ? ret : fw_cfg_add_i16(fc, FW_CFG_NOGRAPHIC, !cfg->gpu);
	ret = ret ? ret : fw_cfg_add_i16(fc, FW_CFG_NB_CPUS, (uint16_t)ncpus);
	ret = ret ? ret : fw_cfg_add_i16(fc, FW_CFG_MAX_CPUS, (uint16_t)ncpus);
	ret = ret ? ret : fw_cfg_add_i16(fc, FW_CFG_BOOT_MENU, 0);
	ret = ret ? ret : fw_cfg_add_i32(fc, FW_CFG_IRQ0_OVERRIDE, 1);
	if (!ret) {
		/* NUMA: u64 node count (0), then a u64 per CPU and per node. */
		size_t len = 8 * (1 + (size_t)ncpus);
		uint8_t *numa = calloc(1, len);
		ret = numa ? fw_cfg_add_bytes(fc, FW_CFG_NUMA, numa, len) : -ENOMEM;
		free(numa);
	}
	if (ret)
		goto fail;

	what = "etc/e820";
	if ((ret = add_e820(fc, &m->mem)))
		goto fail;
	what = "ACPI tables";
	if ((ret = add_acpi(fc, m)))
		goto fail;
	what = "SMBIOS tables";
	if ((ret = add_smbios(fc, m)))
		goto fail;
	what = "bootorder";
	if ((ret = add_bootorder(fc, cfg)))
		goto fail;

	/* A kernel for the firmware to boot (--uefi or --bios with --kernel). */
	ret = fw_cfg_pc_add_kernel(fc, m, err, err_len);
	if (ret)
		return ret;

	what = "firmware settings";
	uint8_t b[4];
	/* Boot failure: retry after 0 ms (then the reset ends a --no-reboot
	 * run) or never (QEMU's default, -1). */
	put_le(b, cfg->no_reboot ? 0 : 0xFFFFFFFFu, 4);
	ret = fw_cfg_add_file(fc, "etc/boot-fail-wait", b, 4);
	/* SeaBIOS's own console on COM1 (read as a little-endian integer). */
	put_le(b, 0x3F8, 2);
	ret = ret ? ret : fw_cfg_add_file(fc, "etc/sercon-port", b, 2);
	/* Sleep states: one byte each for S0..S5, bit 7 = supported, low bits
	 * the SLP_TYP value. S3 and S4 are not offered. */
	static const uint8_t states[6] = {0x80, 0, 0, 0x01, 0x02, 0x80 | PIIX4_SLP_TYP_S5};
	ret = ret ? ret : fw_cfg_add_file(fc, "etc/system-states", states, sizeof(states));
	if (ret)
		goto fail;
	return 0;

fail:
	snprintf(err, err_len, "fw_cfg: cannot build %s (%s)", what, strerror(-ret));
	return ret;
}
