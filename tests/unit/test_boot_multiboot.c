/*
 * Multiboot v1 loader against the Multiboot Specification 0.6.96: ELF and
 * a.out-kludge images, the machine state (section 3.2), the boot
 * information structure (section 3.3) and bad input.
 */
#include <errno.h>

#include "test_boot_fixture.h"

/* ELF32 multiboot kernel: text+data at 0x100000 (virtual 0xC0100000, so
 * the entry point must be translated) with 0xE00 bytes of bss, plus a
 * second segment at 0x200000. Multiboot header at file offset 0x1000. */
#define MB_IMG 0x3000
static size_t mb_elf32(uint8_t *img, uint32_t mb_flags)
{
	struct bt_ph ph[2] = {
		{ 1, 0x1000, 0xC0100000, 0x100000, 0x200, 0x1000 },
		{ 1, 0x2000, 0xC0200000, 0x200000, 0x100, 0x100 },
	};
	memset(img, 0, MB_IMG);
	bt_pattern(img + 0x1000, 0x2000, 1);
	bt_elf(img, false, 3, 0xC0100010, ph, 2);
	bt_mb_header(img + 0x1000, mb_flags);
	return MB_IMG;
}

TEST(boot_multiboot_elf32_entry_state)
{
	struct bt t;
	static uint8_t img[MB_IMG];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	t.m->cfg.kernel = bt_file(&t, "kernel.elf", img, mb_elf32(img, 0x3));
	bt_fill(&t, 0x100000, 0xAA, 0x2000);       /* stale bytes where bss goes */
	REQUIRE(bt_load(&t) == 0);
	struct vcpu_state *s = t.m->boot_state;
	REQUIRE(s);
	/* Section 3.2: EAX magic, EBX info, CS/DS.. flat 32-bit, CR0 PE on PG off,
	 * EFLAGS VM and IF clear. */
	CHECK_EQ(s->regs[REG_RAX], 0x2BADB002);
	CHECK_EQ(s->rip, 0x100010);
	CHECK(s->cr0 & 1);
	CHECK(!(s->cr0 & 0x80000000));
	CHECK_EQ(s->efer & 0x500, 0);
	CHECK(!(s->rflags & (1 << 9)));
	CHECK(!(s->rflags & (1 << 17)));
	CHECK(bt_seg_flat(&s->seg[SEG_CS]));
	CHECK(s->seg[SEG_CS].type & 0x8);           /* code */
	CHECK_EQ(s->seg[SEG_CS].db, 1);
	CHECK_EQ(s->seg[SEG_CS].l, 0);
	for (int i = 0; i < SEG_COUNT; i++) {
		if (i == SEG_CS)
			continue;
		CHECK(bt_seg_flat(&s->seg[i]));
		CHECK_EQ(s->seg[i].type & 0xA, 0x2);  /* data, writable */
		CHECK_EQ(s->seg[i].db, 1);
	}
	/* The GDT in memory agrees with the cached segments. */
	struct bt_desc cs = bt_gdt_entry(&t, s->gdt.base, s->seg[SEG_CS].selector);
	struct bt_desc ds = bt_gdt_entry(&t, s->gdt.base, s->seg[SEG_DS].selector);
	CHECK(s->gdt.limit >= (s->seg[SEG_DS].selector | 7));
	CHECK(cs.base == 0 && cs.limit == 0xFFFFF && cs.g && cs.p && cs.s && cs.db && !cs.l);
	CHECK(cs.type & 0x8);
	CHECK(ds.base == 0 && ds.limit == 0xFFFFF && ds.g && ds.p && ds.s && ds.db);
	CHECK_EQ(ds.type & 0xA, 0x2);
	/* Segments by physical address, bss zeroed. */
	CHECK(bt_mem_eq(&t, 0x100000, img + 0x1000, 0x200));
	CHECK(bt_mem_all(&t, 0x100200, 0, 0xE00));
	CHECK(bt_mem_eq(&t, 0x200000, img + 0x2000, 0x100));
	bt_fini(&t);
}

TEST(boot_multiboot_info_structure)
{
	struct bt t;
	static uint8_t img[MB_IMG], rd[5000];
	char buf[256], want[256];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	bt_pattern(rd, sizeof(rd), 77);
	t.m->cfg.kernel = bt_file(&t, "kernel.elf", img, mb_elf32(img, 0x1));
	t.m->cfg.initrd = bt_file(&t, "initrd.img", rd, sizeof(rd));
	t.m->cfg.append = "console=ttyS0 quiet";
	REQUIRE(bt_load(&t) == 0);
	uint32_t mbi = (uint32_t)t.m->boot_state->regs[REG_RBX];
	/* The info block does not overlap the kernel [0x100000, 0x201000). */
	CHECK(mbi + 88 <= 0x100000 || mbi >= 0x200100);

	uint32_t flags = bt_r32(&t, mbi);
	CHECK(flags & (1 << 0));                    /* mem_lower/upper */
	CHECK(flags & (1 << 2));                    /* cmdline */
	CHECK(flags & (1 << 3));                    /* mods */
	CHECK(flags & (1 << 6));                    /* mmap */
	CHECK(flags & (1 << 9));                    /* boot_loader_name */
	CHECK(!(flags & (1 << 11)));                /* no VBE info offered */
	/* 639 KiB below the EBDA; 128 MiB - 1 MiB = 130048 KiB above 1 MiB. */
	CHECK_EQ(bt_r32(&t, mbi + 4), 639);
	CHECK_EQ(bt_r32(&t, mbi + 8), 130048);
	snprintf(want, sizeof(want), "%s console=ttyS0 quiet", t.m->cfg.kernel);
	CHECK_STR(bt_str(&t, bt_r32(&t, mbi + 16), buf, sizeof(buf)), want);
	CHECK_STR(bt_str(&t, bt_r32(&t, mbi + 64), buf, sizeof(buf)), "nyx");

	/* Module 0 = the initrd, page aligned (flag 0), after the kernel. */
	CHECK_EQ(bt_r32(&t, mbi + 20), 1);
	uint32_t mod = bt_r32(&t, mbi + 24);
	uint32_t start = bt_r32(&t, mod), end = bt_r32(&t, mod + 4);
	CHECK_EQ(start & 0xFFF, 0);
	CHECK_EQ(end - start, sizeof(rd));
	CHECK(start >= 0x200100);
	CHECK(end <= 128 * BT_MiB);
	CHECK(bt_mem_eq(&t, start, rd, sizeof(rd)));
	CHECK_STR(bt_str(&t, bt_r32(&t, mod + 8), buf, sizeof(buf)), t.m->cfg.initrd);
	CHECK(mbi + 88 <= start || mbi >= end);

	/* Memory map: entries of size 20 (+4 for the size field itself). */
	uint32_t len = bt_r32(&t, mbi + 44), addr = bt_r32(&t, mbi + 48);
	CHECK_EQ(len, BT_MAP_128M_N * 24);
	unsigned i = 0;
	for (uint32_t p = addr; p < addr + len && i < BT_MAP_128M_N; i++) {
		CHECK_EQ(bt_r32(&t, p), 20);
		CHECK_EQ(bt_r64(&t, p + 4), bt_map_128m[i].addr);
		CHECK_EQ(bt_r64(&t, p + 12), bt_map_128m[i].size);
		CHECK_EQ(bt_r32(&t, p + 20), bt_map_128m[i].type);
		p += bt_r32(&t, p) + 4;
	}
	CHECK_EQ(i, BT_MAP_128M_N);
	bt_fini(&t);
}

TEST(boot_multiboot_no_initrd_no_append)
{
	struct bt t;
	static uint8_t img[MB_IMG];
	char buf[256];
	REQUIRE(bt_init(&t, 64 * BT_MiB));
	t.m->cfg.kernel = bt_file(&t, "k", img, mb_elf32(img, 0x2));
	REQUIRE(bt_load(&t) == 0);
	uint32_t mbi = (uint32_t)t.m->boot_state->regs[REG_RBX];
	CHECK_EQ(bt_r32(&t, mbi + 8), 63 * 1024);   /* 64 MiB - 1 MiB */
	CHECK_EQ(bt_r32(&t, mbi + 20), 0);
	CHECK_STR(bt_str(&t, bt_r32(&t, mbi + 16), buf, sizeof(buf)), t.m->cfg.kernel);
	bt_fini(&t);
}

/* ELF64 kernels are loaded by program headers too (GRUB 2 does). */
TEST(boot_multiboot_elf64)
{
	struct bt t;
	static uint8_t img[MB_IMG];
	struct bt_ph ph = { 1, 0x1000, 0x300000, 0x300000, 0x800, 0x800 };
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	memset(img, 0, sizeof(img));
	bt_pattern(img + 0x1000, 0x800, 5);
	bt_elf(img, true, 62, 0x300020, &ph, 1);
	bt_mb_header(img + 0x1000, 0);
	t.m->cfg.kernel = bt_file(&t, "k64", img, 0x1800);
	REQUIRE(bt_load(&t) == 0);
	CHECK_EQ(t.m->boot_state->rip, 0x300020);
	CHECK(bt_mem_eq(&t, 0x300000, img + 0x1000, 0x800));
	bt_fini(&t);
}

/* a.out kludge (flag 16): header at file offset 0x40 = header_addr
 * 0x100040, so the file from offset 0 loads at 0x100000; 0x1800 bytes
 * loaded, bss up to 0x103000, entry 0x100080. */
static void mb_aout(uint8_t *img, uint32_t load, uint32_t load_end, uint32_t bss_end)
{
	memset(img, 0, 0x2000);
	bt_pattern(img, 0x2000, 11);
	bt_mb_header(img + 0x40, (1u << 16) | 0x3);
	bt_put32(img + 0x40 + 12, load + 0x40);
	bt_put32(img + 0x40 + 16, load);
	bt_put32(img + 0x40 + 20, load_end);
	bt_put32(img + 0x40 + 24, bss_end);
	bt_put32(img + 0x40 + 28, load + 0x80);
}

TEST(boot_multiboot_aout_kludge)
{
	struct bt t;
	static uint8_t img[0x2000];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	mb_aout(img, 0x100000, 0x101800, 0x103000);
	t.m->cfg.kernel = bt_file(&t, "aout.bin", img, sizeof(img));
	bt_fill(&t, 0x100000, 0xAA, 0x4000);
	REQUIRE(bt_load(&t) == 0);
	CHECK_EQ(t.m->boot_state->rip, 0x100080);
	CHECK(bt_mem_eq(&t, 0x100000, img, 0x1800));
	CHECK(bt_mem_all(&t, 0x101800, 0, 0x1800));  /* bss, not file bytes */
	CHECK_EQ(bt_r8(&t, 0x103000), 0xAA);          /* untouched past bss_end */
	bt_fini(&t);
}

/* A kernel loaded into low memory: the info block must go elsewhere. */
TEST(boot_multiboot_low_kernel_info_not_overlapping)
{
	struct bt t;
	static uint8_t img[0x2000];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	mb_aout(img, 0x1000, 0, 0x90000);           /* whole file, bss to 0x90000 */
	t.m->cfg.kernel = bt_file(&t, "low.bin", img, sizeof(img));
	t.m->cfg.append = "x";
	REQUIRE(bt_load(&t) == 0);
	uint32_t mbi = (uint32_t)t.m->boot_state->regs[REG_RBX];
	uint32_t mmap = bt_r32(&t, mbi + 48), cmd = bt_r32(&t, mbi + 16);
	uint64_t gdt = t.m->boot_state->gdt.base;
	CHECK(mbi >= 0x90000);
	CHECK(mmap >= 0x90000);
	CHECK(cmd >= 0x90000);
	CHECK(gdt >= 0x90000);
	CHECK(bt_mem_eq(&t, 0x1000, img, 0x2000));
	CHECK(bt_mem_all(&t, 0x3000, 0, 0x8D000));
	CHECK_EQ(bt_r32(&t, mbi + 8), 130048);
	bt_fini(&t);
}

TEST(boot_multiboot_bad_headers)
{
	struct bt t;
	static uint8_t img[MB_IMG];
	REQUIRE(bt_init(&t, 128 * BT_MiB));

	mb_elf32(img, 0);
	bt_put32(img + 0x1008, 0x12345678);          /* wrong checksum */
	t.m->cfg.kernel = bt_file(&t, "badsum", img, MB_IMG);
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "badsum") && strstr(t.err, "checksum"));

	mb_elf32(img, 1u << 3);                      /* unknown requirement bit */
	t.m->cfg.kernel = bt_file(&t, "flag3", img, MB_IMG);
	CHECK_EQ(bt_load(&t), -ENOTSUP);
	CHECK(strstr(t.err, "flag3") && strstr(t.err, "0x8"));

	/* Neither ELF nor flag 16: nothing tells where to load. */
	memset(img, 0, MB_IMG);
	bt_mb_header(img + 0x100, 0);
	t.m->cfg.kernel = bt_file(&t, "raw", img, MB_IMG);
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "raw") && strstr(t.err, "flag 16"));

	/* Header past the first 8 KiB is not found: not a multiboot image. */
	static uint8_t big[0x3000];
	memset(big, 0x90, sizeof(big));
	bt_mb_header(big + 0x2000, 0);
	t.m->cfg.kernel = bt_file(&t, "late", big, sizeof(big));
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "late") && strstr(t.err, "unrecognised"));
	CHECK(t.m->boot_state == NULL);
	bt_fini(&t);
}

TEST(boot_multiboot_aout_truncated)
{
	struct bt t;
	static uint8_t img[0x2000];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	mb_aout(img, 0x100000, 0x104000, 0);         /* wants 0x4000 bytes, file has 0x2000 */
	t.m->cfg.kernel = bt_file(&t, "short.bin", img, sizeof(img));
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "short.bin") && strstr(t.err, "truncated"));
	bt_fini(&t);
}

TEST(boot_elf_bad_class_machine_truncation)
{
	struct bt t;
	static uint8_t img[MB_IMG];
	REQUIRE(bt_init(&t, 128 * BT_MiB));

	mb_elf32(img, 0);
	bt_put16(img + 18, 62);                      /* ELF32 claiming x86-64 */
	t.m->cfg.kernel = bt_file(&t, "cls", img, MB_IMG);
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "cls") && strstr(t.err, "ELF32") && strstr(t.err, "EM_386"));

	mb_elf32(img, 0);
	bt_put16(img + 18, 40);                      /* ARM */
	t.m->cfg.kernel = bt_file(&t, "arm", img, MB_IMG);
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "arm") && strstr(t.err, "machine 40"));

	mb_elf32(img, 0);
	img[4] = 3;                                  /* no such class */
	t.m->cfg.kernel = bt_file(&t, "class3", img, MB_IMG);
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "class3") && strstr(t.err, "class"));

	mb_elf32(img, 0);
	bt_put32(img + 28, 0x10000);                 /* e_phoff past the end */
	t.m->cfg.kernel = bt_file(&t, "phoff", img, MB_IMG);
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "phoff") && strstr(t.err, "truncated"));

	mb_elf32(img, 0);
	t.m->cfg.kernel = bt_file(&t, "cut", img, 0x2080);   /* segment 1 ends at 0x2100 */
	CHECK_EQ(bt_load(&t), -EINVAL);
	CHECK(strstr(t.err, "cut") && strstr(t.err, "truncated") && strstr(t.err, "program header 1"));
	bt_fini(&t);
}

TEST(boot_elf_segments_outside_ram)
{
	struct bt t;
	static uint8_t img[MB_IMG];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	mb_elf32(img, 0);
	bt_put32(img + 64 + 32 + 12, 0x9000000);    /* segment 1 at 144 MiB */
	t.m->cfg.kernel = bt_file(&t, "high", img, MB_IMG);
	CHECK_EQ(bt_load(&t), -ERANGE);
	CHECK(strstr(t.err, "high") && strstr(t.err, "segment 1") &&
	      strstr(t.err, "outside guest RAM"));
	bt_fini(&t);

	/* 4 GiB guest: RAM below 3 GiB and above 4 GiB; 3.25 GiB is the PCI hole. */
	REQUIRE(bt_init(&t, 4096 * BT_MiB));
	mb_elf32(img, 0);
	bt_put32(img + 64 + 32 + 12, 0xD0000000);
	t.m->cfg.kernel = bt_file(&t, "hole", img, MB_IMG);
	CHECK_EQ(bt_load(&t), -ERANGE);
	CHECK(strstr(t.err, "hole") && strstr(t.err, "PCI hole"));
	bt_fini(&t);
}

TEST(boot_multiboot_initrd_errors)
{
	struct bt t;
	static uint8_t img[MB_IMG];
	REQUIRE(bt_init(&t, 128 * BT_MiB));
	t.m->cfg.kernel = bt_file(&t, "k", img, mb_elf32(img, 0));
	t.m->cfg.initrd = bt_sparse(&t, "big.img", 200 * BT_MiB);
	CHECK_EQ(bt_load(&t), -ENOSPC);
	CHECK(strstr(t.err, "big.img") && strstr(t.err, "too large"));

	t.m->cfg.initrd = "/nonexistent/initrd";
	CHECK_EQ(bt_load(&t), -ENOENT);
	CHECK(strstr(t.err, "/nonexistent/initrd"));

	t.m->cfg.kernel = "/nonexistent/kernel";
	CHECK_EQ(bt_load(&t), -ENOENT);
	CHECK(strstr(t.err, "/nonexistent/kernel") && strstr(t.err, "No such file"));
	bt_fini(&t);
}
