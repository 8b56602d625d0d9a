/*
 * fw_cfg kernel loader items (--uefi with --kernel): read back through the
 * data port as OVMF's QemuFwCfgLib does. Expected layout from the Linux x86
 * boot protocol (Documentation/arch/x86/boot.rst: setup is setup_sects + 1
 * sectors, setup_sects 0 meaning 4; initrd_addr_max at 0x22C) and QEMU's
 * key numbers (docs/specs/fw_cfg.rst, hw/nvram/fw_cfg.h): OVMF's "kernel"
 * file is SETUP_DATA followed by KERNEL_DATA, so together they must give
 * back the file byte for byte.
 */
#include "harness.h"
#include "test_dev_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/pc/fw_cfg.h"

static void write_file(const char *path, const uint8_t *d, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f) {
		fwrite(d, 1, n, f);
		fclose(f);
	}
}

static void read_item(struct fw_cfg *fc, uint16_t key, uint8_t *buf, size_t n)
{
	fw_cfg_io_write(fc, FW_CFG_PORT_SEL, key, 2);
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)fw_cfg_io_read(fc, FW_CFG_PORT_DATA, 1);
}

static uint32_t read_u32(struct fw_cfg *fc, uint16_t key)
{
	uint8_t b[4];

	read_item(fc, key, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* A bzImage-shaped file: setup_sects, "HdrS", protocol version,
 * initrd_addr_max; the rest a byte pattern. */
static void make_bzimage(uint8_t *k, size_t n, uint8_t setup_sects, uint16_t version,
			 uint32_t initrd_max)
{
	for (size_t i = 0; i < n; i++)
		k[i] = (uint8_t)(i * 7 + 3);
	k[0x1F1] = setup_sects;
	memcpy(k + 0x202, "HdrS", 4);
	k[0x206] = (uint8_t)version;
	k[0x207] = (uint8_t)(version >> 8);
	for (int i = 0; i < 4; i++)
		k[0x22C + i] = (uint8_t)(initrd_max >> (8 * i));
}

TEST(fwcfg_kernel_items_for_uefi)
{
	static uint8_t k[40000], got[40000], initrd[10000];
	char kpath[256], ipath[256], err[256] = "";
	struct dev_rig r;

	rig_tmpfile(kpath, sizeof kpath, "fwk-bzimage");
	rig_tmpfile(ipath, sizeof ipath, "fwk-initrd");
	make_bzimage(k, sizeof k, 27, 0x20F, 0x7FFFFFFF);
	write_file(kpath, k, sizeof k);
	for (size_t i = 0; i < sizeof initrd; i++)
		initrd[i] = (uint8_t)(i ^ 0x5A);
	write_file(ipath, initrd, sizeof initrd);

	rig_init(&r, 256 << 20, 1);
	r.m.cfg.kernel = kpath;
	r.m.cfg.initrd = ipath;
	r.m.cfg.append = "console=ttyS0 quiet";
	r.m.cfg.uefi = "OVMF.fd";
	struct fw_cfg *fc = fw_cfg_new(&r.m.mem, NULL);
	REQUIRE(fc);
	CHECK_EQ(fw_cfg_pc_add_kernel(fc, &r.m, err, sizeof err), 0);

	/* (27 + 1) * 512 bytes of setup, the rest is the kernel proper. */
	CHECK_EQ(read_u32(fc, FW_CFG_SETUP_SIZE), 28 * 512);
	CHECK_EQ(read_u32(fc, FW_CFG_KERNEL_SIZE), sizeof k - 28 * 512);
	read_item(fc, FW_CFG_SETUP_DATA, got, 28 * 512);
	read_item(fc, FW_CFG_KERNEL_DATA, got + 28 * 512, sizeof k - 28 * 512);
	CHECK(!memcmp(got, k, sizeof k));
	CHECK_EQ(read_u32(fc, FW_CFG_KERNEL_ADDR), 0x100000);
	/* The command line with its NUL. */
	CHECK_EQ(read_u32(fc, FW_CFG_CMDLINE_SIZE), strlen("console=ttyS0 quiet") + 1);
	read_item(fc, FW_CFG_CMDLINE_DATA, got, 20);
	CHECK(!memcmp(got, "console=ttyS0 quiet", 20));
	/* The initrd, placed page-aligned at the top of RAM below 4 GiB
	 * (256 MiB here, under initrd_addr_max). */
	CHECK_EQ(read_u32(fc, FW_CFG_INITRD_SIZE), sizeof initrd);
	CHECK_EQ(read_u32(fc, FW_CFG_INITRD_ADDR), (0x10000000 - sizeof initrd) & ~0xFFFu);
	read_item(fc, FW_CFG_INITRD_DATA, got, sizeof initrd);
	CHECK(!memcmp(got, initrd, sizeof initrd));
	fw_cfg_free(fc);

	/* setup_sects 0 means 4; no initrd, no command line: an empty string. */
	make_bzimage(k, sizeof k, 0, 0x20F, 0x7FFFFFFF);
	write_file(kpath, k, sizeof k);
	r.m.cfg.initrd = NULL;
	r.m.cfg.append = NULL;
	fc = fw_cfg_new(&r.m.mem, NULL);
	REQUIRE(fc);
	CHECK_EQ(fw_cfg_pc_add_kernel(fc, &r.m, err, sizeof err), 0);
	CHECK_EQ(read_u32(fc, FW_CFG_SETUP_SIZE), 5 * 512);
	CHECK_EQ(read_u32(fc, FW_CFG_CMDLINE_SIZE), 1);
	CHECK_EQ(read_u32(fc, FW_CFG_INITRD_SIZE), 0);   /* absent: reads as 0 */
	fw_cfg_free(fc);

	unlink(kpath);
	unlink(ipath);
	r.m.cfg.kernel = r.m.cfg.uefi = NULL;
	rig_free(&r);
}

/* Without --uefi there is no firmware to hand the kernel to (direct boot
 * loads it itself): no items. */
TEST(fwcfg_kernel_items_only_with_uefi)
{
	char err[256] = "";
	struct dev_rig r;

	rig_init(&r, 128 << 20, 1);
	r.m.cfg.kernel = "/nonexistent/vmlinuz";
	struct fw_cfg *fc = fw_cfg_new(&r.m.mem, NULL);
	REQUIRE(fc);
	CHECK_EQ(fw_cfg_pc_add_kernel(fc, &r.m, err, sizeof err), 0);
	CHECK_EQ(read_u32(fc, FW_CFG_KERNEL_SIZE), 0);
	CHECK_EQ(read_u32(fc, FW_CFG_SETUP_SIZE), 0);
	fw_cfg_free(fc);
	r.m.cfg.kernel = NULL;
	rig_free(&r);
}

/* OVMF loads bzImages: an ELF (PVH vmlinux) or a missing file is refused
 * with a message naming the file and why. */
TEST(fwcfg_kernel_refuses_what_ovmf_cannot_boot)
{
	static uint8_t elf[4096] = { 0x7F, 'E', 'L', 'F', 2, 1, 1 };
	char kpath[256], err[512] = "";
	struct dev_rig r;

	rig_tmpfile(kpath, sizeof kpath, "fwk-elf");
	write_file(kpath, elf, sizeof elf);
	rig_init(&r, 128 << 20, 1);
	r.m.cfg.kernel = kpath;
	r.m.cfg.uefi = "OVMF.fd";
	struct fw_cfg *fc = fw_cfg_new(&r.m.mem, NULL);
	REQUIRE(fc);
	CHECK_EQ(fw_cfg_pc_add_kernel(fc, &r.m, err, sizeof err), -EINVAL);
	CHECK(strstr(err, kpath) && strstr(err, "bzImage"));
	unlink(kpath);
	CHECK(fw_cfg_pc_add_kernel(fc, &r.m, err, sizeof err) < 0);
	CHECK(strstr(err, kpath) && strstr(err, "cannot open"));
	fw_cfg_free(fc);
	r.m.cfg.kernel = r.m.cfg.uefi = NULL;
	rig_free(&r);
}
