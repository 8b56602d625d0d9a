/*
 * PVH loader against Xen's public headers: the XEN_ELFNOTE_PHYS32_ENTRY
 * note (elfnote.h, type 18), struct hvm_start_info version 1 and its
 * module and memory map entries (arch-x86/hvm/start_info.h), and the PVH
 * entry state (docs/misc/pvh.pandoc: 32-bit protected mode, paging off,
 * flat CS/DS/ES/SS, TR a 32-bit TSS with base 0 and limit 0x67, EBX = start
 * info).
 */
#include <errno.h>

#include "test_boot_fixture.h"

#define PVH_IMG 0x3000

/* An ELF64 x86-64 vmlinux lookalike: one PT_LOAD at physical 16 MiB
 * (virtual 0xffffffff81000000) with bss, and a PT_NOTE holding a GNU
 * build-id note, then the Xen PHYS32_ENTRY note (8-byte value, as Linux
 * emits it). */
static void pvh_build(uint8_t *img, bool with_note, uint16_t machine)
{
	struct bt_ph ph[2] = {
		{ 1, 0x1000, 0xffffffff81000000ULL, 0x1000000, 0x1000, 0x3000 },
		{ 4, 0x2000, 0xffffffff81001000ULL, 0x1001000, 0x40, 0x40 },
	};
	memset(img, 0, PVH_IMG);
	bt_pattern(img + 0x1000, 0x1000, 33);
	bt_elf(img, true, machine, 0x1000000, ph, 2);
	uint8_t *n = img + 0x2000;
	memset(n, 0, 0x40);
	bt_put32(n, 4);                    /* "GNU\0" */
	bt_put32(n + 4, 8);
	bt_put32(n + 8, 3);                /* NT_GNU_BUILD_ID */
	memcpy(n + 12, "GNU", 4);
	memset(n + 16, 0xAB, 8);
	if (with_note) {
		n += 24;
		bt_put32(n, 4);            /* "Xen\0" */
		bt_put32(n + 4, 8);
		bt_put32(n + 8, 18);       /* XEN_ELFNOTE_PHYS32_ENTRY */
		memcpy(n + 12, "Xen", 4);
		bt_put64(n + 16, 0x1000850);
	}
}

TEST(boot_pvh_start_info_and_state)
{
	struct bt t;
	static uint8_t img[PVH_IMG], rd[6000];
	char buf[256];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	pvh_build(img, true, 62);
	bt_pattern(rd, sizeof(rd), 5);
	t.m->cfg.kernel = bt_file(&t, "vmlinux", img, PVH_IMG);
	t.m->cfg.initrd = bt_file(&t, "initrd", rd, sizeof(rd));
	t.m->cfg.append = "console=ttyS0";
	bt_fill(&t, 0x1001000, 0xAA, 0x2000);
	REQUIRE(bt_load(&t) == 0);
	struct vcpu_state *s = t.m->boot_state;
	REQUIRE(s);

	CHECK_EQ(s->rip, 0x1000850);
	CHECK(s->cr0 & 1);
	CHECK(!(s->cr0 & 0x80000000));
	CHECK_EQ(s->cr4, 0);
	CHECK_EQ(s->efer & 0x500, 0);
	CHECK(!(s->rflags & ((1 << 9) | (1 << 8) | (1 << 17))));   /* IF TF VM */
	CHECK(bt_seg_flat(&s->seg[SEG_CS]));
	CHECK(s->seg[SEG_CS].type & 0x8);
	CHECK_EQ(s->seg[SEG_CS].db, 1);
	for (int i = SEG_ES; i <= SEG_DS; i++) {
		CHECK(bt_seg_flat(&s->seg[i]));
		CHECK_EQ(s->seg[i].db, 1);
	}
	CHECK_EQ(s->tr.base, 0);
	CHECK_EQ(s->tr.limit, 0x67);
	CHECK_EQ(s->tr.type, 0xB);                  /* 32-bit TSS (busy) */
	CHECK(s->tr.present);

	CHECK(bt_mem_eq(&t, 0x1000000, img + 0x1000, 0x1000));
	CHECK(bt_mem_all(&t, 0x1001000, 0, 0x2000));  /* bss zeroed */

	uint64_t si = s->regs[REG_RBX];
	CHECK(si + 56 <= 0x1000000 || si >= 0x1003000);
	CHECK_EQ(bt_r32(&t, si + 0), 0x336ec578);
	CHECK_EQ(bt_r32(&t, si + 4), 1);
	CHECK_EQ(bt_r32(&t, si + 12), 1);           /* nr_modules */
	CHECK_EQ(bt_r64(&t, si + 32), BT_RSDP_128M);   /* rsdp_paddr */
	CHECK(bt_is_rsdp(&t, bt_r64(&t, si + 32)));
	CHECK_STR(bt_str(&t, bt_r64(&t, si + 24), buf, sizeof(buf)), "console=ttyS0");
	uint64_t mod = bt_r64(&t, si + 16);
	uint64_t maddr = bt_r64(&t, mod), msize = bt_r64(&t, mod + 8);
	CHECK_EQ(msize, sizeof(rd));
	CHECK_EQ(maddr & 0xFFF, 0);
	CHECK(maddr >= 0x1003000);
	CHECK(maddr + msize <= 128 * BT_MiB);
	CHECK(bt_mem_eq(&t, maddr, rd, sizeof(rd)));
	CHECK(maddr + msize <= BT_RSDP_128M);        /* below the ACPI tables */
	CHECK_EQ(bt_r32(&t, si + 48), BT_MAP_128M_DIRECT_N);
	uint64_t mm = bt_r64(&t, si + 40);
	for (unsigned i = 0; i < BT_MAP_128M_DIRECT_N; i++) {
		CHECK_EQ(bt_r64(&t, mm + i * 24), bt_map_128m_direct[i].addr);
		CHECK_EQ(bt_r64(&t, mm + i * 24 + 8), bt_map_128m_direct[i].size);
		CHECK_EQ(bt_r32(&t, mm + i * 24 + 16), bt_map_128m_direct[i].type);
		CHECK_EQ(bt_r32(&t, mm + i * 24 + 20), 0);
	}
	bt_fini(&t);
}

TEST(boot_pvh_without_append_or_initrd)
{
	struct bt t;
	static uint8_t img[PVH_IMG];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	pvh_build(img, true, 62);
	t.m->cfg.kernel = bt_file(&t, "vmlinux", img, PVH_IMG);
	REQUIRE(bt_load(&t) == 0);
	uint64_t si = t.m->boot_state->regs[REG_RBX];
	CHECK_EQ(bt_r32(&t, si + 12), 0);
	CHECK_EQ(bt_r64(&t, si + 16), 0);
	CHECK_EQ(bt_r64(&t, si + 24), 0);           /* 0 = no command line */
	bt_fini(&t);
}

TEST(boot_pvh_bad_images)
{
	struct bt t;
	static uint8_t img[PVH_IMG];
	REQUIRE(bt_init(&t, 128 * BT_MiB));

	pvh_build(img, false, 62);
	t.m->cfg.kernel = bt_file(&t, "plain.elf", img, PVH_IMG);
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "plain.elf") && strstr(t.err, "PVH") && strstr(t.err, "multiboot"));

	pvh_build(img, true, 3);                     /* ELF64 claiming i386 */
	t.m->cfg.kernel = bt_file(&t, "m386", img, PVH_IMG);
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "m386") && strstr(t.err, "ELF64") && strstr(t.err, "EM_X86_64"));

	pvh_build(img, true, 62);
	t.m->cfg.kernel = bt_file(&t, "cut.elf", img, 0x1800);   /* PT_LOAD runs to 0x2000 */
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "cut.elf") && strstr(t.err, "truncated"));
	CHECK(t.m->boot_state == NULL);
	bt_fini(&t);

	/* 16 MiB guest: the segment at 16 MiB is past the end of RAM. */
	REQUIRE(bt_init(&t, 16 * BT_MiB));
	pvh_build(img, true, 62);
	t.m->cfg.kernel = bt_file(&t, "vmlinux", img, PVH_IMG);
	CHECK_EQ(bt_load(&t), -ERANGE);
	CHECK(strstr(t.err, "vmlinux") && strstr(t.err, "outside guest RAM"));
	bt_fini(&t);
}

/* A segment reaching into the top 64 KiB of RAM would overwrite the ACPI
 * tables the loader puts there. */
TEST(boot_pvh_segment_over_acpi_tables)
{
	struct bt t;
	static uint8_t img[PVH_IMG];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	pvh_build(img, true, 62);
	bt_put64(img + 64 + 24, 0x7FF8000);         /* PT_LOAD p_paddr */
	t.m->cfg.kernel = bt_file(&t, "vmlinux", img, PVH_IMG);
	CHECK_EQ(bt_load(&t), -ERANGE);
	CHECK(strstr(t.err, "vmlinux") && strstr(t.err, "ACPI"));
	bt_fini(&t);
}

TEST(boot_pvh_initrd_too_large)
{
	struct bt t;
	static uint8_t img[PVH_IMG];
	REQUIRE(bt_init(&t, 64 * BT_MiB));
	pvh_build(img, true, 62);
	t.m->cfg.kernel = bt_file(&t, "vmlinux", img, PVH_IMG);
	t.m->cfg.initrd = bt_sparse(&t, "big.cpio", 60 * BT_MiB);
	CHECK_EQ(bt_load(&t), -ENOSPC);
	CHECK(strstr(t.err, "big.cpio") && strstr(t.err, "too large"));
	bt_fini(&t);
}
