/*
 * The kernel loader items of fw_cfg: with --uefi, a bzImage given with
 * --kernel (and --initrd, --append) is not loaded by the VMM but handed to
 * the firmware, as QEMU does, and OVMF boots it (QemuKernelLoaderFsDxe
 * serves "kernel" = setup + kernel, "initrd" and "cmdline" as files; the
 * EFI stub or OVMF's legacy Linux loader runs it).
 *
 * Items (keys from QEMU's fw_cfg, all integers le32):
 *   0x07 KERNEL_ADDR   0x08 KERNEL_SIZE  0x11 KERNEL_DATA   protected-mode part
 *   0x16 SETUP_ADDR    0x17 SETUP_SIZE   0x18 SETUP_DATA    (setup_sects+1)*512
 *   0x0a INITRD_ADDR   0x0b INITRD_SIZE  0x12 INITRD_DATA
 *   0x13 CMDLINE_ADDR  0x14 CMDLINE_SIZE 0x15 CMDLINE_DATA  NUL included
 * The addresses are where a real-mode loader would put the parts (Linux
 * boot protocol: setup at 0x10000, command line at 0x20000, kernel at
 * 1 MiB, initrd page-aligned at the top of what the header allows); OVMF
 * chooses its own and ignores them. Without a kernel no item exists and
 * the firmware reads their sizes as 0.
 */
#include "hw/pc/fw_cfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"

#define FWK_SETUP_ADDR 0x10000u
#define FWK_CMDLINE_ADDR 0x20000u
#define FWK_KERNEL_ADDR 0x100000u
/* Boot protocol header fields (Documentation/arch/x86/boot.rst). */
#define HDR_SETUP_SECTS 0x1F1
#define HDR_MAGIC 0x202            /* "HdrS" */
#define HDR_VERSION 0x206
#define HDR_INITRD_MAX 0x22C       /* initrd_addr_max, protocol 2.03+ */

static uint32_t rd_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Reads `path` whole into *data (malloc'd). */
static int fwk_read(const char *path, uint8_t **data, size_t *len, char *err, size_t err_len,
		    const char *what)
{
	FILE *f = fopen(path, "rb");
	long n;
	int ret = 0;

	*data = NULL;
	*len = 0;
	if (!f) {
		ret = -errno;
		snprintf(err, err_len, "%s: cannot open '%s': %s", what, path, strerror(errno));
		return ret;
	}
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		ret = -errno;
		snprintf(err, err_len, "%s: cannot size '%s': %s", what, path, strerror(errno));
		goto out;
	}
	*data = malloc(n ? (size_t)n : 1);
	if (!*data) {
		ret = -ENOMEM;
		snprintf(err, err_len, "%s: '%s': out of memory for %ld bytes", what, path, n);
		goto out;
	}
	if (fread(*data, 1, (size_t)n, f) != (size_t)n) {
		ret = -EIO;
		snprintf(err, err_len, "%s: short read of '%s'", what, path);
		free(*data);
		*data = NULL;
		goto out;
	}
	*len = (size_t)n;
out:
	fclose(f);
	return ret;
}

static int fwk_add_part(struct fw_cfg *fc, uint16_t addr_key, uint32_t addr, uint16_t size_key,
			uint16_t data_key, const uint8_t *data, size_t len)
{
	int ret = fw_cfg_add_i32(fc, addr_key, addr);

	ret = ret ? ret : fw_cfg_add_i32(fc, size_key, (uint32_t)len);
	return ret ? ret : fw_cfg_add_bytes(fc, data_key, data, len);
}

int fw_cfg_pc_add_kernel(struct fw_cfg *fc, struct machine *m, char *err, size_t err_len)
{
	const struct machine_config *cfg = &m->cfg;
	uint8_t *k = NULL, *initrd = NULL;
	size_t klen, ilen = 0, setup_len;
	const char *cmdline = cfg->append ? cfg->append : "";
	int ret;

	if (!cfg->kernel || !cfg->uefi)
		return 0;
	ret = fwk_read(cfg->kernel, &k, &klen, err, err_len, "kernel");
	if (ret)
		return ret;
	if (klen < 0x400 || memcmp(k + HDR_MAGIC, "HdrS", 4)) {
		snprintf(err, err_len,
			 "kernel: '%s' is not a bzImage (no \"HdrS\" setup header): with --uefi the firmware loads the kernel, and OVMF loads bzImages only",
			 cfg->kernel);
		ret = -EINVAL;
		goto out;
	}
	setup_len = ((size_t)(k[HDR_SETUP_SECTS] ? k[HDR_SETUP_SECTS] : 4) + 1) * 512;
	if (setup_len >= klen || klen > UINT32_MAX) {
		snprintf(err, err_len, "kernel: '%s': setup_sects %u does not fit a %zu-byte file",
			 cfg->kernel, k[HDR_SETUP_SECTS], klen);
		ret = -EINVAL;
		goto out;
	}
	ret = fwk_add_part(fc, FW_CFG_SETUP_ADDR, FWK_SETUP_ADDR, FW_CFG_SETUP_SIZE,
			   FW_CFG_SETUP_DATA, k, setup_len);
	ret = ret ? ret : fwk_add_part(fc, FW_CFG_KERNEL_ADDR, FWK_KERNEL_ADDR, FW_CFG_KERNEL_SIZE,
				       FW_CFG_KERNEL_DATA, k + setup_len, klen - setup_len);
	ret = ret ? ret : fwk_add_part(fc, FW_CFG_CMDLINE_ADDR, FWK_CMDLINE_ADDR,
				       FW_CFG_CMDLINE_SIZE, FW_CFG_CMDLINE_DATA,
				       (const uint8_t *)cmdline, strlen(cmdline) + 1);
	if (ret) {
		snprintf(err, err_len, "fw_cfg: cannot add the kernel items (%s)", strerror(-ret));
		goto out;
	}
	if (cfg->initrd) {
		/* Highest page-aligned spot below initrd_addr_max (protocol 2.03+;
		 * older kernels: 0x37FFFFFF) and below the PCI hole. */
		uint64_t max = rd_le32(k + HDR_VERSION) >= 0x203 ? rd_le32(k + HDR_INITRD_MAX)
								  : 0x37FFFFFF;
		uint64_t addr;

		ret = fwk_read(cfg->initrd, &initrd, &ilen, err, err_len, "initrd");
		if (ret)
			goto out;
		if (max >= m->mem.below_4g)
			max = m->mem.below_4g - 1;
		if (ilen > UINT32_MAX || ilen > max + 1 - FWK_KERNEL_ADDR - (klen - setup_len)) {
			snprintf(err, err_len, "initrd: '%s' (%zu bytes) does not fit below 0x%llx",
				 cfg->initrd, ilen, (unsigned long long)max + 1);
			ret = -EFBIG;
			goto out;
		}
		addr = (max + 1 - ilen) & ~0xFFFULL;
		ret = fwk_add_part(fc, FW_CFG_INITRD_ADDR, (uint32_t)addr, FW_CFG_INITRD_SIZE,
				   FW_CFG_INITRD_DATA, initrd, ilen);
		if (ret) {
			snprintf(err, err_len, "fw_cfg: cannot add the initrd (%s)", strerror(-ret));
			goto out;
		}
	}
	LOG(m->log, LOG_INFO, "fw_cfg", "kernel %s for the firmware: setup %zu + %zu bytes, initrd %zu bytes, command line \"%s\"",
	    cfg->kernel, setup_len, klen - setup_len, ilen, cmdline);
out:
	free(k);
	free(initrd);
	return ret;
}
