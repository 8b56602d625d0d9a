/* e820 map: the layout Linux sees on QEMU's PC, for small and large guests. */
#include <errno.h>

#include "boot/e820.h"
#include "test_boot_fixture.h"

TEST(boot_e820_128m_matches_qemu_layout)
{
	struct bt t;
	struct e820_entry e[E820_MAX_ENTRIES];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	int n = e820_build(t.m, e, E820_MAX_ENTRIES);
	CHECK_EQ(n, BT_MAP_128M_N);
	for (unsigned i = 0; i < BT_MAP_128M_N && (int)i < n; i++) {
		CHECK_EQ(e[i].addr, bt_map_128m[i].addr);
		CHECK_EQ(e[i].size, bt_map_128m[i].size);
		CHECK_EQ(e[i].type, bt_map_128m[i].type);
	}
	bt_fini(&t);
}

/* 4 GiB of RAM: 3 GiB below the PCI hole (QEMU's split for > 3.5 GiB),
 * 1 GiB from 4 GiB; a firmware ROM at the top of 4 GiB is reserved. */
TEST(boot_e820_4g_split_and_rom)
{
	struct bt t;
	struct e820_entry e[E820_MAX_ENTRIES];
	static uint8_t rom[0x40000];
	REQUIRE(bt_init(&t, 4096 * BT_MiB));
	REQUIRE(mem_add_rom(&t.m->mem, 0xFFFC0000, rom, sizeof(rom), "bios") == 0);
	int n = e820_build(t.m, e, E820_MAX_ENTRIES);
	REQUIRE(n == 9);
	CHECK_EQ(e[3].addr, 0x100000);
	CHECK_EQ(e[3].size, 0xC0000000 - 0x100000);
	CHECK_EQ(e[3].type, E820_RAM);
	CHECK_EQ(e[7].addr, 0xFFFC0000);
	CHECK_EQ(e[7].size, 0x40000);
	CHECK_EQ(e[7].type, E820_RESERVED);
	CHECK_EQ(e[8].addr, 0x100000000ULL);
	CHECK_EQ(e[8].size, 0x40000000ULL);
	CHECK_EQ(e[8].type, E820_RAM);
	for (int i = 1; i < n; i++)
		CHECK(e[i - 1].addr + e[i - 1].size <= e[i].addr);
	bt_fini(&t);
}

TEST(boot_e820_too_small_table)
{
	struct bt t;
	struct e820_entry e[3];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	CHECK_EQ(e820_build(t.m, e, 3), -ENOSPC);
	bt_fini(&t);
}

TEST(boot_e820_mark_splits_an_entry)
{
	struct e820_entry m[6] = {
		{ 0, 0x9FC00, E820_RAM },
		{ 0x100000, 0x7F00000, E820_RAM },
		{ 0xFEC00000, 0x1000, E820_RESERVED },
	};
	/* Middle of the RAM entry: three pieces. */
	int n = e820_mark(m, 3, 6, 0x200000, 0x1000, E820_NVS);
	REQUIRE(n == 5);
	CHECK(m[1].addr == 0x100000 && m[1].size == 0x100000 && m[1].type == E820_RAM);
	CHECK(m[2].addr == 0x200000 && m[2].size == 0x1000 && m[2].type == E820_NVS);
	CHECK(m[3].addr == 0x201000 && m[3].size == 0x7DFF000 && m[3].type == E820_RAM);
	CHECK(m[4].addr == 0xFEC00000 && m[4].type == E820_RESERVED);
	/* Tail of an entry: two pieces. */
	n = e820_mark(m, n, 6, 0x7FF0000, 0x10000, E820_ACPI);
	REQUIRE(n == 6);
	CHECK(m[3].addr == 0x201000 && m[3].size == 0x7DEF000);
	CHECK(m[4].addr == 0x7FF0000 && m[4].size == 0x10000 && m[4].type == E820_ACPI);
	/* No room for another split; a range across two entries. */
	CHECK_EQ(e820_mark(m, n, 6, 0x300000, 0x1000, E820_NVS), -ENOSPC);
	CHECK_EQ(e820_mark(m, n, 6, 0x9F000, 0x70000, E820_NVS), -EINVAL);
}
