/*
 * Linux bzImage loader against Documentation/arch/x86/boot.rst (setup
 * header, loader duties, 32-bit and 64-bit boot protocol) and zero-page.rst
 * (boot_params offsets). The images are synthetic: a real setup header and
 * a patterned protected-mode kernel.
 */
#include <errno.h>

#include "test_boot_fixture.h"

#define BZ_SETUP_SECTS 4
#define BZ_SETUP ((BZ_SETUP_SECTS + 1) * 512)
#define BZ_PM 0x4000
#define BZ_SIZE (BZ_SETUP + BZ_PM)
#define BZ_INIT_SIZE 0x800000

/* A protocol 2.15 bzImage: relocatable, pref_address 16 MiB, init_size
 * 8 MiB, XLF_KERNEL_64 if lm. Header ends at 0x202 + 0x6A = 0x26C. */
static void bz_build(uint8_t *img, bool lm)
{
	memset(img, 0, BZ_SIZE);
	bt_pattern(img, BZ_SIZE, 21);
	memset(img + 0x1F1, 0, 0x26C - 0x1F1);
	img[0x1F1] = BZ_SETUP_SECTS;
	bt_put32(img + 0x1F4, BZ_PM / 16);          /* syssize */
	bt_put16(img + 0x1FA, 0xFFFF);              /* vid_mode: normal */
	bt_put16(img + 0x1FE, 0xAA55);
	img[0x200] = 0xEB;                          /* jmp over the header */
	img[0x201] = 0x6A;
	memcpy(img + 0x202, "HdrS", 4);
	bt_put16(img + 0x206, 0x020F);
	img[0x211] = 0x01;                          /* LOADED_HIGH */
	bt_put32(img + 0x214, 0x100000);            /* code32_start */
	bt_put32(img + 0x22C, 0x7FFFFFFF);          /* initrd_addr_max */
	bt_put32(img + 0x230, 0x200000);            /* kernel_alignment */
	img[0x234] = 1;                             /* relocatable_kernel */
	img[0x235] = 21;                            /* min_alignment */
	bt_put16(img + 0x236, lm ? 0x7F : 0x00);    /* xloadflags */
	bt_put32(img + 0x238, 2047);                /* cmdline_size */
	bt_put64(img + 0x258, 0x1000000);           /* pref_address */
	bt_put32(img + 0x260, BZ_INIT_SIZE);        /* init_size */
}

/* Walks the 4-level page tables from CR3 (SDM vol. 3 4.5); returns the
 * physical address or ~0 if not present. */
static uint64_t bz_walk(struct bt *t, uint64_t cr3, uint64_t va)
{
	uint64_t e = bt_r64(t, (cr3 & ~0xFFFULL) + ((va >> 39) & 511) * 8);
	if (!(e & 1))
		return ~0ULL;
	e = bt_r64(t, (e & 0xFFFFFFFFF000ULL) + ((va >> 30) & 511) * 8);
	if (!(e & 1))
		return ~0ULL;
	if (e & 0x80)
		return (e & 0xFFFFC0000000ULL) | (va & 0x3FFFFFFF);
	e = bt_r64(t, (e & 0xFFFFFFFFF000ULL) + ((va >> 21) & 511) * 8);
	if (!(e & 1) || !(e & 2))
		return ~0ULL;
	if (e & 0x80)
		return (e & 0xFFFFFFE00000ULL) | (va & 0x1FFFFF);
	e = bt_r64(t, (e & 0xFFFFFFFFF000ULL) + ((va >> 12) & 511) * 8);
	return (e & 1) ? (e & 0xFFFFFFFFF000ULL) | (va & 0xFFF) : ~0ULL;
}

TEST(boot_linux_bzimage_64bit_entry)
{
	struct bt t;
	static uint8_t img[BZ_SIZE];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	bz_build(img, true);
	t.m->cfg.kernel = bt_file(&t, "bzImage", img, BZ_SIZE);
	REQUIRE(bt_load(&t) == 0);
	struct vcpu_state *s = t.m->boot_state;
	REQUIRE(s);
	/* Relocatable and [16 MiB, 24 MiB) fits: loaded at pref_address. */
	CHECK(bt_mem_eq(&t, 0x1000000, img + BZ_SETUP, BZ_PM));
	/* 64-bit boot protocol: long mode, paging, startup_64 at +0x200. */
	CHECK_EQ(s->rip, 0x1000200);
	CHECK_EQ(s->efer & 0x500, 0x500);           /* LME | LMA */
	CHECK_EQ(s->cr0 & 0x80000001, 0x80000001);  /* PG | PE */
	CHECK(s->cr4 & 0x20);                       /* PAE */
	CHECK(!(s->rflags & (1 << 9)));             /* interrupts disabled */
	CHECK_EQ(s->seg[SEG_CS].selector, 0x10);    /* __BOOT_CS */
	CHECK_EQ(s->seg[SEG_CS].l, 1);
	CHECK_EQ(s->seg[SEG_CS].db, 0);
	CHECK(bt_seg_flat(&s->seg[SEG_CS]));
	CHECK_EQ(s->seg[SEG_DS].selector, 0x18);    /* __BOOT_DS */
	CHECK_EQ(s->seg[SEG_ES].selector, 0x18);
	CHECK_EQ(s->seg[SEG_SS].selector, 0x18);
	CHECK(bt_seg_flat(&s->seg[SEG_DS]));
	CHECK(bt_seg_flat(&s->seg[SEG_SS]));
	struct bt_desc cs = bt_gdt_entry(&t, s->gdt.base, 0x10);
	struct bt_desc ds = bt_gdt_entry(&t, s->gdt.base, 0x18);
	CHECK(s->gdt.limit >= 0x1F);
	CHECK(cs.p && cs.s && cs.l && !cs.db && cs.g && cs.limit == 0xFFFFF && (cs.type & 0xA) == 0xA);
	CHECK(ds.p && ds.s && ds.g && ds.limit == 0xFFFFF && ds.base == 0 && (ds.type & 0xA) == 0x2);
	/* Identity map covering the kernel's init_size, the zero page and the
	 * command line (and, here, all of the first 4 GiB). */
	uint64_t zp = s->regs[REG_RSI];
	const uint64_t va[] = { 0, zp, 0x1000200, 0x1000000 + BZ_INIT_SIZE - 1, 0x7FFFFFF,
				0xFEE00000, 0xFFFFFFFF };
	for (unsigned i = 0; i < sizeof(va) / sizeof(va[0]); i++)
		CHECK_EQ(bz_walk(&t, s->cr3, va[i]), va[i]);
	CHECK_EQ(bz_walk(&t, s->cr3, bt_r32(&t, zp + 0x228)), bt_r32(&t, zp + 0x228));
	bt_fini(&t);
}

TEST(boot_linux_zero_page)
{
	struct bt t;
	static uint8_t img[BZ_SIZE], rd[10000];
	char buf[256];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	bz_build(img, true);
	bt_pattern(rd, sizeof(rd), 99);
	t.m->cfg.kernel = bt_file(&t, "bzImage", img, BZ_SIZE);
	t.m->cfg.initrd = bt_file(&t, "initrd.cpio", rd, sizeof(rd));
	t.m->cfg.append = "console=ttyS0 root=/dev/ram0";
	REQUIRE(bt_load(&t) == 0);
	uint64_t zp = t.m->boot_state->regs[REG_RSI];
	REQUIRE(zp);
	/* Setup header copied from the file (0x1F1 up to 0x26C), with the
	 * fields a loader must write changed. */
	CHECK_EQ(bt_r8(&t, zp + 0x1F1), BZ_SETUP_SECTS);
	CHECK_EQ(bt_r32(&t, zp + 0x202), 0x53726448); /* "HdrS" */
	CHECK_EQ(bt_r32(&t, zp + 0x1FE) & 0xFFFF, 0xAA55);
	CHECK_EQ(bt_r32(&t, zp + 0x206) & 0xFFFF, 0x020F);
	CHECK_EQ(bt_r32(&t, zp + 0x1FA) & 0xFFFF, 0xFFFF);
	CHECK_EQ(bt_r32(&t, zp + 0x260), BZ_INIT_SIZE);
	CHECK_EQ(bt_r8(&t, zp + 0x210), 0xFF);         /* type_of_loader: undefined */
	CHECK_EQ(bt_r8(&t, zp + 0x211), 0x81);         /* LOADED_HIGH | CAN_USE_HEAP */
	CHECK_EQ(bt_r32(&t, zp + 0x224) & 0xFFFF, 0xFE00);
	CHECK_STR(bt_str(&t, bt_r32(&t, zp + 0x228), buf, sizeof(buf)), t.m->cfg.append);
	CHECK_EQ(bt_r32(&t, zp + 0x0C8), 0);           /* ext_cmd_line_ptr */
	CHECK_EQ(bt_r8(&t, zp + 0x1EF), 0);            /* sentinel */
	/* Initrd: page aligned, as high as possible below the ACPI tables at
	 * the top 64 KiB of RAM, above the kernel's [16 MiB, 24 MiB) footprint. */
	uint32_t ri = bt_r32(&t, zp + 0x218), rs = bt_r32(&t, zp + 0x21C);
	CHECK_EQ(rs, sizeof(rd));
	CHECK_EQ(ri & 0xFFF, 0);
	CHECK_EQ(ri, (BT_RSDP_128M - sizeof(rd)) & ~0xFFFULL);
	CHECK(bt_mem_eq(&t, ri, rd, sizeof(rd)));
	/* e820 table: count at 0x1E8, 20-byte entries from 0x2D0. */
	CHECK_EQ(bt_r8(&t, zp + 0x1E8), BT_MAP_128M_DIRECT_N);
	for (unsigned i = 0; i < BT_MAP_128M_DIRECT_N; i++) {
		CHECK_EQ(bt_r64(&t, zp + 0x2D0 + i * 20), bt_map_128m_direct[i].addr);
		CHECK_EQ(bt_r64(&t, zp + 0x2D0 + i * 20 + 8), bt_map_128m_direct[i].size);
		CHECK_EQ(bt_r32(&t, zp + 0x2D0 + i * 20 + 16), bt_map_128m_direct[i].type);
	}
	/* acpi_rsdp_addr (0x070, protocol 2.14) points at a valid RSDP. */
	CHECK_EQ(bt_r64(&t, zp + 0x070), BT_RSDP_128M);
	CHECK(bt_is_rsdp(&t, bt_r64(&t, zp + 0x070)));
	/* Boot structures stay out of the kernel and the initrd. */
	CHECK(zp + 4096 <= 0x9F000);
	CHECK(t.m->boot_state->cr3 + 6 * 4096 <= 0x9F000);
	bt_fini(&t);
}

TEST(boot_linux_initrd_addr_max)
{
	struct bt t;
	static uint8_t img[BZ_SIZE], rd[4096];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	bz_build(img, true);
	bt_put32(img + 0x22C, 0x3FFFFFF);            /* initrd must end below 64 MiB */
	t.m->cfg.kernel = bt_file(&t, "bzImage", img, BZ_SIZE);
	t.m->cfg.initrd = bt_file(&t, "rd", rd, sizeof(rd));
	REQUIRE(bt_load(&t) == 0);
	uint64_t zp = t.m->boot_state->regs[REG_RSI];
	CHECK_EQ(bt_r32(&t, zp + 0x218), 0x4000000 - 4096);
	bt_fini(&t);
}

/* No XLF_KERNEL_64, not relocatable: 1 MiB, 32-bit boot protocol. */
TEST(boot_linux_bzimage_32bit_entry)
{
	struct bt t;
	static uint8_t img[BZ_SIZE];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	bz_build(img, false);
	img[0x234] = 0;
	t.m->cfg.kernel = bt_file(&t, "bzImage32", img, BZ_SIZE);
	REQUIRE(bt_load(&t) == 0);
	struct vcpu_state *s = t.m->boot_state;
	CHECK(bt_mem_eq(&t, 0x100000, img + BZ_SETUP, BZ_PM));
	CHECK_EQ(s->rip, 0x100000);
	CHECK(s->cr0 & 1);
	CHECK(!(s->cr0 & 0x80000000));
	CHECK_EQ(s->efer & 0x500, 0);
	CHECK_EQ(s->seg[SEG_CS].selector, 0x10);
	CHECK_EQ(s->seg[SEG_CS].db, 1);
	CHECK_EQ(s->seg[SEG_DS].selector, 0x18);
	CHECK(!(s->rflags & (1 << 9)));
	CHECK_EQ(s->regs[REG_RBP], 0);
	CHECK_EQ(s->regs[REG_RDI], 0);
	CHECK_EQ(s->regs[REG_RBX], 0);
	uint64_t zp = s->regs[REG_RSI];
	CHECK_EQ(bt_r32(&t, zp + 0x202), 0x53726448);
	struct bt_desc cs = bt_gdt_entry(&t, s->gdt.base, 0x10);
	CHECK(cs.p && cs.db && !cs.l && cs.g && cs.limit == 0xFFFFF);
	bt_fini(&t);
}

/* pref_address does not fit in a 20 MiB guest: load at 1 MiB instead. */
TEST(boot_linux_pref_address_does_not_fit)
{
	struct bt t;
	static uint8_t img[BZ_SIZE];
	REQUIRE(bt_init(&t, 20 * BT_MiB));
	bz_build(img, true);
	t.m->cfg.kernel = bt_file(&t, "bzImage", img, BZ_SIZE);
	REQUIRE(bt_load(&t) == 0);
	CHECK(bt_mem_eq(&t, 0x100000, img + BZ_SETUP, BZ_PM));
	CHECK_EQ(t.m->boot_state->rip, 0x100200);
	bt_fini(&t);
}

TEST(boot_linux_bad_images)
{
	struct bt t;
	static uint8_t img[BZ_SIZE];
	REQUIRE(bt_init(&t, 128 * BT_MiB));

	bz_build(img, true);
	bt_put16(img + 0x206, 0x0205);
	t.m->cfg.kernel = bt_file(&t, "old", img, BZ_SIZE);
	CHECK_EQ(bt_load(&t), -ENOTSUP);
	CHECK(strstr(t.err, "old") && strstr(t.err, "2.05") && strstr(t.err, "2.06"));

	bz_build(img, true);
	img[0x1F1] = 40;                             /* 41 sectors > file size */
	t.m->cfg.kernel = bt_file(&t, "sects", img, BZ_SIZE);
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "sects") && strstr(t.err, "setup_sects") &&
	      strstr(t.err, "beyond the end"));

	bz_build(img, true);
	t.m->cfg.kernel = bt_file(&t, "short", img, BZ_SIZE - 0x1000);
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "short") && strstr(t.err, "syssize"));

	bz_build(img, true);
	img[0x211] = 0;
	t.m->cfg.kernel = bt_file(&t, "zimage", img, BZ_SIZE);
	CHECK_EQ(bt_load(&t), -ENOTSUP);
	CHECK(strstr(t.err, "zimage") && strstr(t.err, "LOADED_HIGH"));

	bz_build(img, true);
	bt_put32(img + 0x238, 16);
	t.m->cfg.kernel = bt_file(&t, "cmdl", img, BZ_SIZE);
	t.m->cfg.append = "this command line is longer than sixteen bytes";
	CHECK_EQ(bt_load(&t), -E2BIG);
	CHECK(strstr(t.err, "cmdl") && strstr(t.err, "cmdline_size"));
	t.m->cfg.append = NULL;

	bz_build(img, true);
	t.m->cfg.kernel = bt_file(&t, "bzImage", img, BZ_SIZE);
	t.m->cfg.initrd = bt_sparse(&t, "huge.cpio", 120 * BT_MiB);
	CHECK_EQ(bt_load(&t), -ENOSPC);
	CHECK(strstr(t.err, "huge.cpio") && strstr(t.err, "too large"));
	CHECK(t.m->boot_state == NULL);
	bt_fini(&t);
}

TEST(boot_linux_ram_too_small_for_init_size)
{
	struct bt t;
	static uint8_t img[BZ_SIZE];
	REQUIRE(bt_init(&t, 8 * BT_MiB));
	bz_build(img, true);
	t.m->cfg.kernel = bt_file(&t, "bzImage", img, BZ_SIZE);
	CHECK_EQ(bt_load(&t), -ENOSPC);
	CHECK(strstr(t.err, "bzImage") && strstr(t.err, "init_size"));
	bt_fini(&t);
}

/* Machine reset loads again: the kernel image the guest overwrote comes
 * back, and the boot state is rebuilt. */
TEST(boot_linux_reload_at_reset)
{
	struct bt t;
	static uint8_t img[BZ_SIZE];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	bz_build(img, true);
	t.m->cfg.kernel = bt_file(&t, "bzImage", img, BZ_SIZE);
	REQUIRE(bt_load(&t) == 0);
	uint64_t rip = t.m->boot_state->rip, cr3 = t.m->boot_state->cr3;
	bt_fill(&t, 0x1000000, 0, BZ_PM);
	bt_fill(&t, cr3, 0, 4096);
	REQUIRE(bt_load(&t) == 0);
	CHECK(bt_mem_eq(&t, 0x1000000, img + BZ_SETUP, BZ_PM));
	CHECK_EQ(t.m->boot_state->rip, rip);
	CHECK_EQ(bz_walk(&t, t.m->boot_state->cr3, 0x1000200), 0x1000200);
	bt_fini(&t);
}

TEST(boot_unrecognised_kernel)
{
	struct bt t;
	static uint8_t img[4096];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	bt_pattern(img, sizeof(img), 1);
	t.m->cfg.kernel = bt_file(&t, "noise.bin", img, sizeof(img));
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "noise.bin") && strstr(t.err, "unrecognised"));
	bt_fini(&t);
}
