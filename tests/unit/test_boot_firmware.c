/* Firmware images: mapped read-only below 4 GiB, last 128 KiB aliased
 * below 1 MiB, size rules, reset reload. */
#include <errno.h>

#include "test_boot_fixture.h"

TEST(boot_firmware_256k_bios_mapped_and_aliased)
{
	struct bt t;
	static uint8_t img[0x40000];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	bt_pattern(img, sizeof(img), 3);
	t.m->cfg.bios = bt_file(&t, "bios.bin", img, sizeof(img));
	unsigned nregions = t.m->mem.nregions;
	REQUIRE(bt_load(&t) == 0);
	CHECK(t.m->boot_state == NULL);            /* reset vector: F000:FFF0 */
	CHECK_EQ(t.m->mem.nregions, nregions + 1);
	/* The image ends at 4 GiB: the reset vector holds its last 16 bytes. */
	CHECK(bt_mem_eq(&t, 0xFFFC0000, img, sizeof(img)));
	CHECK(bt_mem_eq(&t, 0xFFFFFFF0, img + sizeof(img) - 16, 16));
	/* ISA BIOS alias: the last 128 KiB at 0xE0000-0xFFFFF. */
	CHECK(bt_mem_eq(&t, 0xE0000, img + sizeof(img) - 0x20000, 0x20000));
	CHECK_EQ(bt_r8(&t, 0xDFFFF), 0);
	/* Read-only. */
	uint8_t x = 0;
	CHECK(gpa_write(&t.m->mem, 0xFFFFFFF0, &x, 1) != 0);
	CHECK(bt_mem_eq(&t, 0xFFFFFFF0, img + sizeof(img) - 16, 16));

	/* Reset: the guest scribbled over its shadow; loading again restores
	 * it and maps no second ROM. */
	bt_fill(&t, 0xF0000, 0x55, 0x100);
	REQUIRE(bt_load(&t) == 0);
	CHECK_EQ(t.m->mem.nregions, nregions + 1);
	CHECK(bt_mem_eq(&t, 0xE0000, img + sizeof(img) - 0x20000, 0x20000));
	bt_fini(&t);
}

TEST(boot_firmware_64k_image_aliased_whole)
{
	struct bt t;
	static uint8_t img[0x10000];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	bt_pattern(img, sizeof(img), 9);
	t.m->cfg.uefi = bt_file(&t, "fw.fd", img, sizeof(img));
	REQUIRE(bt_load(&t) == 0);
	CHECK(bt_mem_eq(&t, 0xFFFF0000, img, sizeof(img)));
	CHECK(bt_mem_eq(&t, 0xF0000, img, sizeof(img)));
	CHECK_EQ(bt_r8(&t, 0xEFFFF), 0);
	bt_fini(&t);
}

TEST(boot_firmware_bad_sizes_and_missing)
{
	struct bt t;
	static uint8_t img[100000];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	t.m->cfg.bios = bt_file(&t, "odd.bin", img, sizeof(img));
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "odd.bin") && strstr(t.err, "multiple of 64 KiB"));

	t.m->cfg.bios = bt_file(&t, "empty.bin", img, 0);
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "empty.bin") && strstr(t.err, "64 KiB"));

	t.m->cfg.bios = bt_sparse(&t, "huge.bin", 17 * BT_MiB);
	CHECK_EQ(bt_load(&t), -EFBIG);
	CHECK(strstr(t.err, "huge.bin") && strstr(t.err, "16 MiB"));

	t.m->cfg.bios = "/nonexistent/bios.bin";
	CHECK_EQ(bt_load(&t), -ENOENT);
	CHECK(strstr(t.err, "/nonexistent/bios.bin") && strstr(t.err, "No such file"));
	bt_fini(&t);
}

TEST(boot_firmware_conflicting_options)
{
	struct bt t;
	static uint8_t img[0x10000];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	t.m->cfg.bios = bt_file(&t, "a.bin", img, sizeof(img));
	t.m->cfg.uefi = bt_file(&t, "b.fd", img, sizeof(img));
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "--bios") && strstr(t.err, "--uefi"));
	/* --kernel with --bios: the loader maps the firmware and leaves the
	 * kernel to it (fw_cfg and the linuxboot ROM); --initrd alone is
	 * still refused. */
	t.m->cfg.uefi = NULL;
	t.m->cfg.kernel = t.m->cfg.bios;
	CHECK_EQ(bt_load(&t), 0);
	t.m->cfg.kernel = NULL;
	t.m->cfg.initrd = t.m->cfg.bios;
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "--initrd needs --kernel"));
	t.m->cfg.initrd = NULL;
	bt_fini(&t);
}
