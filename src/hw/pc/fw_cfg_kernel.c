/*
 * The kernel loader items of fw_cfg: a bzImage given with --kernel (and
 * --initrd, --append) together with firmware is not loaded by the VMM but
 * handed to the firmware, as QEMU does.
 *   - --uefi: OVMF boots it (QemuKernelLoaderFsDxe serves "kernel" = setup +
 *     kernel, "initrd" and "cmdline" as files; the EFI stub or OVMF's legacy
 *     Linux loader runs it). The setup header is served as in the file:
 *     OVMF fills in its own loader fields.
 *   - --bios: SeaBIOS runs our option ROM "genroms/linuxboot.bin"
 *     (boot/rom/linuxboot.S), which DMAs the parts to the addresses below
 *     and runs the real-mode setup code. So that the ROM stays a copier, the
 *     served setup header already holds what a real-mode boot loader writes
 *     (Documentation/arch/x86/boot.rst, "Sample boot configuration"):
 *     type_of_loader 0xFF, loadflags |= CAN_USE_HEAP, heap_end_ptr 0xDE00
 *     (heap end 0xE000 in the setup segment; the ROM puts SP there),
 *     cmd_line_ptr, ramdisk_image and ramdisk_size. Needs protocol 2.02
 *     (cmd_line_ptr) and a kernel loaded high (bzImage), setup code within
 *     the 32 KiB boot.rst allows, and a command line within cmdline_size.
 *
 * Items (keys from QEMU's fw_cfg, all integers le32):
 *   0x07 KERNEL_ADDR   0x08 KERNEL_SIZE  0x11 KERNEL_DATA   protected-mode part
 *   0x16 SETUP_ADDR    0x17 SETUP_SIZE   0x18 SETUP_DATA    (setup_sects+1)*512
 *   0x0a INITRD_ADDR   0x0b INITRD_SIZE  0x12 INITRD_DATA
 *   0x13 CMDLINE_ADDR  0x14 CMDLINE_SIZE 0x15 CMDLINE_DATA  NUL included
 * The addresses are where a real-mode loader puts the parts (setup at
 * 0x10000, command line at 0x20000, kernel at 1 MiB, initrd page-aligned
 * at the top of what the header allows); OVMF chooses its own and ignores
 * them. With --bios the initrd also stays below the top 1 MiB of low RAM:
 * SeaBIOS keeps its tables at the end of RAM (8 KiB of them on a 512 MiB
 * machine, out of a larger zone it uses while it starts) and the ROM's DMA
 * runs after they are built. Without a kernel no item
 * exists and the firmware reads their sizes as 0.
 */
#include "hw/pc/fw_cfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/optionrom.h"
#include "core/machine.h"

#define FWK_SETUP_ADDR 0x10000u
#define FWK_CMDLINE_ADDR 0x20000u
#define FWK_KERNEL_ADDR 0x100000u
#define FWK_HEAP_END 0xE000u           /* offset in the setup segment */
#define FWK_SETUP_MAX 0x8000u          /* real-mode code, boot.rst */
#define FWK_BIOS_HIGH_KEEP (1u << 20)  /* SeaBIOS's tables below the RAM top */
/* Boot protocol header fields (Documentation/arch/x86/boot.rst). */
#define HDR_SETUP_SECTS 0x1F1
#define HDR_MAGIC 0x202            /* "HdrS" */
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21C
#define HDR_HEAP_END_PTR 0x224     /* protocol 2.01+ */
#define HDR_CMD_LINE_PTR 0x228     /* protocol 2.02+ */
#define HDR_INITRD_MAX 0x22C       /* initrd_addr_max, protocol 2.03+ */
#define HDR_CMDLINE_SIZE 0x238     /* protocol 2.06+ */
#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80

static uint32_t rd_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* --bios: can a real-mode loader run this kernel? (see the top note) */
static int fwk_check_realmode(const struct machine_config *cfg, const uint8_t *k,
			      size_t setup_len, const char *cmdline, char *err, size_t err_len)
{
	uint16_t version = (uint16_t)(k[HDR_VERSION] | k[HDR_VERSION + 1] << 8);
	size_t max_cmdline = version >= 0x206 ? rd_le32(k + HDR_CMDLINE_SIZE) : 255;

	if (version < 0x202 || !(k[HDR_LOADFLAGS] & LOADED_HIGH)) {
		snprintf(err, err_len,
			 "kernel: '%s' speaks boot protocol %u.%02u%s: the SeaBIOS loader needs a bzImage of protocol 2.02 or newer",
			 cfg->kernel, version >> 8, version & 0xFF,
			 k[HDR_LOADFLAGS] & LOADED_HIGH ? "" : " and is not loaded high");
		return -EINVAL;
	}
	if (setup_len > FWK_SETUP_MAX) {
		snprintf(err, err_len, "kernel: '%s': %zu bytes of real-mode setup code, more than the %u a real-mode loader has room for",
			 cfg->kernel, setup_len, FWK_SETUP_MAX);
		return -EINVAL;
	}
	if (strlen(cmdline) > max_cmdline) {
		snprintf(err, err_len, "append: the %zu-byte command line is longer than the %zu bytes kernel '%s' accepts",
			 strlen(cmdline), max_cmdline, cfg->kernel);
		return -E2BIG;
	}
	return 0;
}

/* --bios: the setup header fields a real-mode boot loader fills in. */
static void fwk_patch_setup(uint8_t *setup, uint32_t initrd_addr, uint32_t initrd_size)
{
	setup[HDR_TYPE_OF_LOADER] = 0xFF;
	setup[HDR_LOADFLAGS] |= CAN_USE_HEAP;
	setup[HDR_HEAP_END_PTR] = (uint8_t)(FWK_HEAP_END - 0x200);
	setup[HDR_HEAP_END_PTR + 1] = (uint8_t)((FWK_HEAP_END - 0x200) >> 8);
	wr_le32(setup + HDR_CMD_LINE_PTR, FWK_CMDLINE_ADDR);
	wr_le32(setup + HDR_RAMDISK_IMAGE, initrd_addr);
	wr_le32(setup + HDR_RAMDISK_SIZE, initrd_size);
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
	uint64_t initrd_addr = 0;
	int ret;

	if (!cfg->kernel || !(cfg->uefi || cfg->bios))
		return 0;
	ret = fwk_read(cfg->kernel, &k, &klen, err, err_len, "kernel");
	if (ret)
		return ret;
	if (klen < 0x400 || memcmp(k + HDR_MAGIC, "HdrS", 4)) {
		snprintf(err, err_len,
			 "kernel: '%s' is not a bzImage (no \"HdrS\" setup header): with %s the firmware loads the kernel, and it loads bzImages only",
			 cfg->kernel, cfg->uefi ? "--uefi" : "--bios");
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
	if (!cfg->uefi && (ret = fwk_check_realmode(cfg, k, setup_len, cmdline, err, err_len)))
		goto out;
	if (cfg->initrd) {
		/* Highest page-aligned spot below initrd_addr_max (protocol 2.03+;
		 * older kernels: 0x37FFFFFF) and below the PCI hole (for SeaBIOS
		 * also below its tables). */
		uint64_t max = rd_le32(k + HDR_VERSION) >= 0x203 ? rd_le32(k + HDR_INITRD_MAX)
								  : 0x37FFFFFF;
		uint64_t top = m->mem.below_4g - (cfg->uefi ? 0 : FWK_BIOS_HIGH_KEEP);

		ret = fwk_read(cfg->initrd, &initrd, &ilen, err, err_len, "initrd");
		if (ret)
			goto out;
		if (max >= top)
			max = top - 1;
		if (ilen > UINT32_MAX || ilen > max + 1 - FWK_KERNEL_ADDR - (klen - setup_len)) {
			snprintf(err, err_len, "initrd: '%s' (%zu bytes) does not fit below 0x%llx",
				 cfg->initrd, ilen, (unsigned long long)max + 1);
			ret = -EFBIG;
			goto out;
		}
		initrd_addr = (max + 1 - ilen) & ~0xFFFULL;
	}
	if (!cfg->uefi)
		fwk_patch_setup(k, (uint32_t)initrd_addr, (uint32_t)ilen);
	ret = fwk_add_part(fc, FW_CFG_SETUP_ADDR, FWK_SETUP_ADDR, FW_CFG_SETUP_SIZE,
			   FW_CFG_SETUP_DATA, k, setup_len);
	ret = ret ? ret : fwk_add_part(fc, FW_CFG_KERNEL_ADDR, FWK_KERNEL_ADDR, FW_CFG_KERNEL_SIZE,
				       FW_CFG_KERNEL_DATA, k + setup_len, klen - setup_len);
	ret = ret ? ret : fwk_add_part(fc, FW_CFG_CMDLINE_ADDR, FWK_CMDLINE_ADDR,
				       FW_CFG_CMDLINE_SIZE, FW_CFG_CMDLINE_DATA,
				       (const uint8_t *)cmdline, strlen(cmdline) + 1);
	if (!ret && cfg->initrd)
		ret = fwk_add_part(fc, FW_CFG_INITRD_ADDR, (uint32_t)initrd_addr, FW_CFG_INITRD_SIZE,
				   FW_CFG_INITRD_DATA, initrd, ilen);
	if (!ret && !cfg->uefi)
		ret = fw_cfg_add_file(fc, LINUXBOOT_ROM_NAME, nyx_linuxboot_rom,
				      linuxboot_rom_size());
	if (ret) {
		snprintf(err, err_len, "fw_cfg: cannot add the kernel items (%s)", strerror(-ret));
		goto out;
	}
	LOG(m->log, LOG_INFO, "fw_cfg", "kernel %s for the firmware: setup %zu + %zu bytes, initrd %zu bytes, command line \"%s\"",
	    cfg->kernel, setup_len, klen - setup_len, ilen, cmdline);
out:
	free(k);
	free(initrd);
	return ret;
}
