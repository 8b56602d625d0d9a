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

/* Without firmware there is nothing to hand the kernel to (direct boot
 * loads it itself): no items. */
TEST(fwcfg_kernel_items_only_with_firmware)
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

/* A bzImage a real-mode loader can run: protocol 2.15, loaded high,
 * cmdline_size 2047 (the fields Debian's 6.1 kernel has). */
static void make_bzimage_high(uint8_t *k, size_t n, uint8_t setup_sects)
{
	make_bzimage(k, n, setup_sects, 0x20F, 0x7FFFFFFF);
	k[0x211] = 0x01;                        /* loadflags: LOADED_HIGH */
	memset(k + 0x238, 0, 4);
	k[0x238] = 0xFF;                        /* cmdline_size 2047 */
	k[0x239] = 0x07;
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * --bios with --kernel: SeaBIOS gets the same parts plus our loader ROM,
 * and the setup it is served already holds what a real-mode loader writes
 * (boot.rst, "Sample boot configuration": heap end 0xE000 with
 * heap_end_ptr = heap end - 0x200, CAN_USE_HEAP, cmd_line_ptr, the
 * initrd's address and size; type_of_loader 0xFF, undefined loader). The
 * ROM's header follows the BIOS Boot Specification: 55 AA, size in 512-byte
 * blocks, all bytes summing to 0, a "$PnP" header (32 bytes summing to 0)
 * whose bootstrap entry vector lies inside the ROM. SeaBIOS boots the ROM
 * first because "bootorder" names it first, as "/rom@" + its file name.
 */
TEST(fwcfg_kernel_items_for_seabios)
{
	static uint8_t k[40000], got[40000], initrd[10000];
	char kpath[256], ipath[256], err[256] = "";
	struct dev_rig r;
	size_t len;

	rig_tmpfile(kpath, sizeof kpath, "fwk-bzimage");
	rig_tmpfile(ipath, sizeof ipath, "fwk-initrd");
	make_bzimage_high(k, sizeof k, 27);
	write_file(kpath, k, sizeof k);
	for (size_t i = 0; i < sizeof initrd; i++)
		initrd[i] = (uint8_t)(i ^ 0xA5);
	write_file(ipath, initrd, sizeof initrd);

	rig_init(&r, 256 << 20, 1);
	r.m.cfg.kernel = kpath;
	r.m.cfg.initrd = ipath;
	r.m.cfg.append = "console=ttyS0 quiet";
	r.m.cfg.bios = "bios-256k.bin";
	struct fw_cfg *fc = fw_cfg_new(&r.m.mem, NULL);
	REQUIRE(fc);
	CHECK_EQ(fw_cfg_pc_populate(fc, &r.m, err, sizeof err), 0);

	CHECK_EQ(read_u32(fc, FW_CFG_SETUP_ADDR), 0x10000);
	CHECK_EQ(read_u32(fc, FW_CFG_CMDLINE_ADDR), 0x20000);
	CHECK_EQ(read_u32(fc, FW_CFG_KERNEL_ADDR), 0x100000);
	CHECK_EQ(read_u32(fc, FW_CFG_SETUP_SIZE), 28 * 512);
	read_item(fc, FW_CFG_SETUP_DATA, got, 28 * 512);
	CHECK_EQ(got[0x210], 0xFF);
	CHECK_EQ(got[0x211], 0x81);
	CHECK_EQ(got[0x224] | got[0x225] << 8, 0xDE00);
	CHECK_EQ(le32_at(got + 0x228), 0x20000);
	uint32_t rd = read_u32(fc, FW_CFG_INITRD_ADDR);
	CHECK_EQ(le32_at(got + 0x218), rd);
	CHECK_EQ(le32_at(got + 0x21C), sizeof initrd);
	/* Page aligned, and clear of the top 1 MiB of RAM (SeaBIOS's tables). */
	CHECK_EQ(rd & 0xFFF, 0);
	CHECK(rd + sizeof initrd <= (256u << 20) - (1u << 20));
	CHECK(rd + sizeof initrd > (256u << 20) - (1u << 20) - 0x2000);
	/* Every other setup byte as in the file; the kernel proper untouched. */
	for (size_t i = 0; i < 28 * 512; i++) {
		if ((i >= 0x210 && i < 0x212) || (i >= 0x218 && i < 0x220) ||
		    (i >= 0x224 && i < 0x226) || (i >= 0x228 && i < 0x22C))
			continue;
		if (got[i] != k[i]) {
			CHECK_EQ(got[i], k[i]);
			break;
		}
	}
	read_item(fc, FW_CFG_KERNEL_DATA, got, sizeof k - 28 * 512);
	CHECK(!memcmp(got, k + 28 * 512, sizeof k - 28 * 512));
	read_item(fc, FW_CFG_INITRD_DATA, got, sizeof initrd);
	CHECK(!memcmp(got, initrd, sizeof initrd));

	const uint8_t *rom = fw_cfg_file_data(fc, "genroms/linuxboot.bin", &len);
	REQUIRE(rom);
	CHECK(len >= 512 && len % 512 == 0);
	CHECK(rom[0] == 0x55 && rom[1] == 0xAA);
	CHECK_EQ(rom[2] * 512u, len);
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += rom[i];
	CHECK_EQ(sum, 0);
	unsigned pnp = rom[0x1A] | rom[0x1B] << 8;
	REQUIRE(pnp && pnp + 32 <= len);
	CHECK(!memcmp(rom + pnp, "$PnP", 4));
	CHECK_EQ(rom[pnp + 5], 2);                       /* length, 16-byte units */
	sum = 0;
	for (unsigned i = 0; i < 32; i++)
		sum += rom[pnp + i];
	CHECK_EQ(sum, 0);
	unsigned bev = rom[pnp + 0x1A] | rom[pnp + 0x1B] << 8;
	CHECK(bev >= 0x20 && bev < len);

	const uint8_t *bo = fw_cfg_file_data(fc, "bootorder", &len);
	REQUIRE(bo);
	CHECK(len > 26 && !memcmp(bo, "/rom@genroms/linuxboot.bin", 26) &&
	      (bo[26] == '\n' || bo[26] == 0));
	fw_cfg_free(fc);

	/* --uefi gets neither the ROM nor a patched header (OVMF fills in its
	 * own loader fields). */
	r.m.cfg.bios = NULL;
	r.m.cfg.uefi = "OVMF.fd";
	fc = fw_cfg_new(&r.m.mem, NULL);
	REQUIRE(fc);
	CHECK_EQ(fw_cfg_pc_add_kernel(fc, &r.m, err, sizeof err), 0);
	CHECK(!fw_cfg_file_data(fc, "genroms/linuxboot.bin", &len));
	read_item(fc, FW_CFG_SETUP_DATA, got, 28 * 512);
	CHECK(!memcmp(got, k, 28 * 512));
	fw_cfg_free(fc);

	unlink(kpath);
	unlink(ipath);
	r.m.cfg.kernel = r.m.cfg.initrd = r.m.cfg.uefi = NULL;
	r.m.cfg.append = NULL;
	rig_free(&r);
}

/* What a real-mode loader cannot run is refused with the reason: boot
 * protocol before 2.02 (no cmd_line_ptr), a kernel not loaded high
 * (zImage), setup code past 32 KiB, a command line over cmdline_size. */
TEST(fwcfg_kernel_seabios_refusals)
{
	static uint8_t k[40000];
	char kpath[256], err[512] = "";
	char longline[3000];
	struct dev_rig r;
	struct fw_cfg *fc;

	rig_tmpfile(kpath, sizeof kpath, "fwk-old");
	rig_init(&r, 128 << 20, 1);
	r.m.cfg.kernel = kpath;
	r.m.cfg.bios = "bios.bin";

	make_bzimage_high(k, sizeof k, 4);
	k[0x206] = 0x01;                        /* protocol 2.01 */
	write_file(kpath, k, sizeof k);
	fc = fw_cfg_new(&r.m.mem, NULL);
	REQUIRE(fc);
	CHECK_EQ(fw_cfg_pc_add_kernel(fc, &r.m, err, sizeof err), -EINVAL);
	CHECK(strstr(err, kpath) && strstr(err, "2.01") && strstr(err, "2.02"));
	fw_cfg_free(fc);

	make_bzimage_high(k, sizeof k, 4);
	k[0x211] = 0;                           /* zImage: loaded at 0x10000 */
	write_file(kpath, k, sizeof k);
	fc = fw_cfg_new(&r.m.mem, NULL);
	REQUIRE(fc);
	CHECK_EQ(fw_cfg_pc_add_kernel(fc, &r.m, err, sizeof err), -EINVAL);
	CHECK(strstr(err, "not loaded high"));
	fw_cfg_free(fc);

	make_bzimage_high(k, sizeof k, 64);     /* 65 sectors of setup */
	write_file(kpath, k, sizeof k);
	fc = fw_cfg_new(&r.m.mem, NULL);
	REQUIRE(fc);
	CHECK_EQ(fw_cfg_pc_add_kernel(fc, &r.m, err, sizeof err), -EINVAL);
	CHECK(strstr(err, "33280 bytes of real-mode setup"));
	fw_cfg_free(fc);

	make_bzimage_high(k, sizeof k, 4);
	write_file(kpath, k, sizeof k);
	memset(longline, 'x', 2048);
	longline[2048] = 0;
	r.m.cfg.append = longline;
	fc = fw_cfg_new(&r.m.mem, NULL);
	REQUIRE(fc);
	CHECK_EQ(fw_cfg_pc_add_kernel(fc, &r.m, err, sizeof err), -E2BIG);
	CHECK(strstr(err, "2048-byte command line") && strstr(err, "2047"));
	longline[2047] = 0;                     /* exactly cmdline_size: fine */
	CHECK_EQ(fw_cfg_pc_add_kernel(fc, &r.m, err, sizeof err), 0);
	fw_cfg_free(fc);

	unlink(kpath);
	r.m.cfg.kernel = r.m.cfg.bios = r.m.cfg.append = NULL;
	rig_free(&r);
}
