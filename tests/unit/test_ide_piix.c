/*
 * PIIX IDE against a temporary raw image: the probe sequence SeaBIOS uses,
 * IDENTIFY words (ATA-6 8.15), PIO and bus-master DMA round trips, error
 * and reset semantics, and hostile DMA programming.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"
#include "hw/storage/ide.h"
#include "pc_fixture.h"

#define IDE PCI_DEVFN(1, 1)
#define SECTORS 2048                  /* 1 MiB image */
#define BM 0xc000

static char img[64];

static uint8_t pattern(uint64_t byte) { return (uint8_t)(byte * 7 + (byte >> 9)); }

static int make_image(void)
{
	snprintf(img, sizeof(img), "/tmp/nyx-ide-XXXXXX");
	int fd = mkstemp(img);
	if (fd < 0)
		return -1;
	static uint8_t buf[SECTORS * 512];
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	int ok = write(fd, buf, sizeof(buf)) == sizeof(buf);
	close(fd);
	return ok ? 0 : -1;
}

static int ide_fixture(struct fixture *f)
{
	char err[256];
	if (make_image() || !fixture_machine(f))
		return -1;
	f->m->cfg.disks[0] = (struct disk_config){ .path = img, .iface = DISK_IF_IDE };
	f->m->cfg.ndisks = 1;
	if (!fixture_chipset(f, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static void ide_fini(struct fixture *f)
{
	fixture_fini(f);
	unlink(img);
}

static void task(struct fixture *f, uint8_t sel, uint32_t lba, uint8_t count, uint8_t cmd)
{
	outp(f, 0x1f6, 1, sel | ((lba >> 24) & 0x0f));
	outp(f, 0x1f2, 1, count);
	outp(f, 0x1f3, 1, lba & 0xff);
	outp(f, 0x1f4, 1, (lba >> 8) & 0xff);
	outp(f, 0x1f5, 1, (lba >> 16) & 0xff);
	outp(f, 0x1f7, 1, cmd);
}

TEST(ide_probe_like_seabios)
{
	struct fixture f;
	REQUIRE(ide_fixture(&f) == 0);
	/* Master present: registers latch, status DRDY|DSC. */
	outp(&f, 0x1f6, 1, 0xa0);
	outp(&f, 0x1f2, 1, 0x55);
	outp(&f, 0x1f3, 1, 0xaa);
	CHECK_EQ(inp(&f, 0x1f2, 1), 0x55);
	CHECK_EQ(inp(&f, 0x1f3, 1), 0xaa);
	CHECK_EQ(inp(&f, 0x1f6, 1), 0xa0);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x50);
	/* Slave absent: task file still latches, status reads 00h, commands
	 * are ignored (SeaBIOS then sees "status not set" and skips it). */
	outp(&f, 0x1f6, 1, 0xb0);
	CHECK_EQ(inp(&f, 0x1f6, 1), 0xb0);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x00);
	CHECK_EQ(inp(&f, 0x3f6, 1), 0x00);
	outp(&f, 0x1f7, 1, 0xec);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x00);
	/* Secondary channel empty: the floating bus reads 7Fh, BSY clear. */
	CHECK_EQ(inp(&f, 0x177, 1), 0x7f);
	CHECK_EQ(inp(&f, 0x376, 1), 0x7f);
	outp(&f, 0x172, 1, 0x55);
	CHECK_EQ(inp(&f, 0x172, 1), 0x7f);
	/* IDENTIFY PACKET DEVICE on an ATA disk: aborted. */
	outp(&f, 0x1f6, 1, 0xa0);
	outp(&f, 0x1f7, 1, 0xa1);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x41);
	CHECK_EQ(inp(&f, 0x1f1, 1), 0x04);
	/* Soft reset: BSY while SRST is set, then the ATA signature. */
	outp(&f, 0x3f6, 1, 0x0e);                  /* HD15 | nIEN | SRST */
	CHECK_EQ(inp(&f, 0x3f6, 1) & 0x80, 0x80);
	outp(&f, 0x3f6, 1, 0x0a);
	CHECK_EQ(inp(&f, 0x3f6, 1), 0x50);
	CHECK_EQ(inp(&f, 0x1f2, 1), 0x01);
	CHECK_EQ(inp(&f, 0x1f3, 1), 0x01);
	CHECK_EQ(inp(&f, 0x1f4, 1), 0x00);
	CHECK_EQ(inp(&f, 0x1f5, 1), 0x00);
	CHECK_EQ(inp(&f, 0x1f1, 1), 0x01);         /* diagnostic code: passed */
	ide_fini(&f);
}

TEST(ide_identify_words)
{
	struct fixture f;
	REQUIRE(ide_fixture(&f) == 0);
	outp(&f, 0x3f6, 1, 0x00);
	task(&f, 0xa0, 0, 0, 0xec);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x58);         /* DRDY DSC DRQ */
	CHECK_EQ(f.irq.level[14], 0);              /* the status read acknowledged it */
	uint16_t id[256];
	for (unsigned i = 0; i < 256; i++)
		id[i] = inp(&f, 0x1f0, 2);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x50);
	CHECK_EQ(id[0] & 0x8000, 0);               /* ATA device */
	CHECK_EQ(id[1], 2);                        /* 2048 / (16 * 63) cylinders */
	CHECK_EQ(id[3], 16);
	CHECK_EQ(id[6], 63);
	CHECK_EQ(id[47], 0x8010);
	CHECK_EQ(id[49] & 0x0300, 0x0300);         /* LBA and DMA */
	CHECK_EQ(id[60] | (uint32_t)id[61] << 16, SECTORS);
	CHECK_EQ(id[83] & 0xc400, 0x4400);         /* valid, LBA48 */
	CHECK_EQ(id[86] & 0x0400, 0x0400);
	CHECK_EQ(id[100] | (uint64_t)id[101] << 16 | (uint64_t)id[102] << 32 |
		 (uint64_t)id[103] << 48, SECTORS);
	CHECK_EQ(id[88] & 0x3f, 0x3f);             /* UDMA 0-5 */
	/* Model: "NYX HARDDISK", first character in the high byte. */
	char model[41];
	for (unsigned i = 0; i < 20; i++) {
		model[2 * i] = id[27 + i] >> 8;
		model[2 * i + 1] = id[27 + i] & 0xff;
	}
	model[40] = 0;
	CHECK(!strncmp(model, "NYX HARDDISK        ", 20));
	/* Integrity word: A5h signature, all bytes sum to 0. */
	CHECK_EQ(id[255] & 0xff, 0xa5);
	uint8_t sum = 0;
	for (unsigned i = 0; i < 256; i++)
		sum += (id[i] & 0xff) + (id[i] >> 8);
	CHECK_EQ(sum, 0);
	char path[64];
	CHECK(ide_boot_path(1, path, sizeof(path)) > 0);
	CHECK_STR(path, "/pci@i0cf8/ide@1,1/drive@0/disk@1");
	ide_fini(&f);
}

static uint8_t file_byte(uint64_t off)
{
	uint8_t b = 0;
	int fd = open(img, O_RDONLY);
	if (pread(fd, &b, 1, off) != 1)
		b = 0xee;
	close(fd);
	return b;
}

TEST(ide_pio_read_write_round_trip)
{
	struct fixture f;
	REQUIRE(ide_fixture(&f) == 0);
	/* READ SECTORS, LBA 5, 2 sectors: interrupt per block, data = file. */
	task(&f, 0xe0, 5, 2, 0x20);
	CHECK_EQ(f.irq.level[14], 1);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x58);
	bool same = true;
	for (unsigned i = 0; i < 256; i++) {
		uint16_t w = inp(&f, 0x1f0, 2);
		same &= w == (pattern(5 * 512 + 2 * i) | pattern(5 * 512 + 2 * i + 1) << 8);
	}
	CHECK(same);
	CHECK_EQ(f.irq.level[14], 1);              /* second block announced */
	for (unsigned i = 0; i < 128; i++) {       /* 32-bit PIO works too */
		uint32_t d = inp(&f, 0x1f0, 4);
		same &= (d & 0xff) == pattern(6 * 512 + 4 * i);
	}
	CHECK(same);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x50);
	/* WRITE SECTORS at LBA 10: the file changes. */
	task(&f, 0xe0, 10, 1, 0x30);
	CHECK_EQ(inp(&f, 0x3f6, 1), 0x58);
	for (unsigned i = 0; i < 256; i++)
		outp(&f, 0x1f0, 2, 0xbeef);
	CHECK_EQ(f.irq.level[14], 1);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x50);
	CHECK_EQ(file_byte(10 * 512), 0xef);
	CHECK_EQ(file_byte(10 * 512 + 511), 0xbe);
	CHECK_EQ(file_byte(11 * 512), pattern(11 * 512));
	/* READ SECTORS EXT (48-bit): high bytes written first. */
	outp(&f, 0x1f6, 1, 0x40);
	outp(&f, 0x1f2, 1, 0);
	outp(&f, 0x1f3, 1, 0);
	outp(&f, 0x1f4, 1, 0);
	outp(&f, 0x1f5, 1, 0);
	outp(&f, 0x1f2, 1, 1);
	outp(&f, 0x1f3, 1, 10);
	outp(&f, 0x1f4, 1, 0);
	outp(&f, 0x1f5, 1, 0);
	outp(&f, 0x1f7, 1, 0x24);
	CHECK_EQ(inp(&f, 0x1f0, 2), 0xbeef);
	for (unsigned i = 1; i < 256; i++)
		inp(&f, 0x1f0, 2);
	/* READ MULTIPLE needs SET MULTIPLE first; then 4-sector blocks. */
	task(&f, 0xe0, 0, 8, 0xc4);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x41);
	CHECK_EQ(inp(&f, 0x1f1, 1), 0x04);
	task(&f, 0xe0, 0, 4, 0xc6);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x50);
	task(&f, 0xe0, 0, 8, 0xc4);
	for (unsigned i = 0; i < 1024; i++)
		inp(&f, 0x1f0, 2);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x58);         /* the second block */
	for (unsigned i = 0; i < 1024; i++)
		inp(&f, 0x1f0, 2);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x50);
	/* Beyond the end: IDNF. Unknown command: ABRT. */
	task(&f, 0xe0, SECTORS - 1, 2, 0x20);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x41);
	CHECK_EQ(inp(&f, 0x1f1, 1), 0x10);
	task(&f, 0xe0, 0, 1, 0xff);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x41);
	CHECK_EQ(inp(&f, 0x1f1, 1), 0x04);
	/* CHS: cylinder 0, head 1, sector 1 = LBA 63 with the 16/63 geometry. */
	task(&f, 0xa1, 0x000001, 1, 0x20);
	CHECK_EQ(inp(&f, 0x1f0, 2), pattern(63 * 512) | pattern(63 * 512 + 1) << 8);
	/* FLUSH CACHE completes. */
	task(&f, 0xe0, 0, 0, 0xe7);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x50);
	ide_fini(&f);
}

static void bm_setup(struct fixture *f, uint32_t prd_table)
{
	cfg_write(f, IDE, 0x20, 4, BM | 1);
	cfg_write(f, IDE, 0x04, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
	outp(f, BM + 4, 4, prd_table);
}

static void put_prd(struct fixture *f, uint64_t at, uint32_t addr, uint16_t len, bool eot)
{
	uint32_t e[2] = { addr, len | (eot ? 0x80000000u : 0) };
	gpa_write(&f->m->mem, at, e, sizeof(e));
}

TEST(ide_dma_read_write_round_trip)
{
	struct fixture f;
	REQUIRE(ide_fixture(&f) == 0);
	bm_setup(&f, 0x10000);
	/* Two PRDs, 512 + 1024 bytes, reading LBA 3-5. */
	put_prd(&f, 0x10000, 0x20000, 512, false);
	put_prd(&f, 0x10008, 0x30000, 1024, true);
	task(&f, 0xe0, 3, 3, 0xc8);
	CHECK_EQ(inp(&f, 0x3f6, 1) & 0x08, 0x08);       /* waiting for the engine */
	outp(&f, BM, 1, 0x09);                          /* start, to memory */
	uint8_t a[512], b[1024];
	gpa_read(&f.m->mem, 0x20000, a, sizeof(a));
	gpa_read(&f.m->mem, 0x30000, b, sizeof(b));
	bool same = true;
	for (unsigned i = 0; i < 512; i++)
		same &= a[i] == pattern(3 * 512 + i);
	for (unsigned i = 0; i < 1024; i++)
		same &= b[i] == pattern(4 * 512 + i);
	CHECK(same);
	CHECK_EQ(inp(&f, BM + 2, 1), 0x04);             /* INT, no longer active */
	CHECK_EQ(f.irq.level[14], 1);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x50);
	outp(&f, BM, 1, 0x00);
	outp(&f, BM + 2, 1, 0x04);                      /* W1C */
	CHECK_EQ(inp(&f, BM + 2, 1), 0x00);
	/* WRITE DMA of LBA 20 from a filled buffer; engine started first. */
	uint8_t w[512];
	memset(w, 0xc3, sizeof(w));
	gpa_write(&f.m->mem, 0x40000, w, sizeof(w));
	put_prd(&f, 0x10000, 0x40000, 4096, true);      /* larger than the transfer */
	outp(&f, BM, 1, 0x01);
	task(&f, 0xe0, 20, 1, 0xca);
	CHECK_EQ(file_byte(20 * 512), 0xc3);
	CHECK_EQ(file_byte(20 * 512 + 511), 0xc3);
	CHECK_EQ(file_byte(21 * 512), pattern(21 * 512));
	CHECK_EQ(inp(&f, BM + 2, 1), 0x05);             /* INT, still active */
	outp(&f, BM, 1, 0x00);
	CHECK_EQ(inp(&f, BM + 2, 1) & 1, 0);
	ide_fini(&f);
}

TEST(ide_dma_hostile_programming_is_contained)
{
	struct fixture f;
	REQUIRE(ide_fixture(&f) == 0);
	bm_setup(&f, 0x10000);
	/* Buffer outside RAM (16 MiB machine): error, no write anywhere. */
	put_prd(&f, 0x10000, 0xfff00000, 512, true);
	task(&f, 0xe0, 0, 1, 0xc8);
	outp(&f, BM, 1, 0x09);
	CHECK_EQ(inp(&f, BM + 2, 1) & 0x07, 0x06);      /* error + interrupt, inactive */
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x41);
	CHECK_EQ(inp(&f, 0x1f1, 1), 0x04);
	outp(&f, BM, 1, 0);
	outp(&f, BM + 2, 1, 0x06);
	/* PRD table itself outside RAM. */
	outp(&f, BM + 4, 4, 0xfffffff8);
	task(&f, 0xe0, 0, 1, 0xc8);
	outp(&f, BM, 1, 0x09);
	CHECK_EQ(inp(&f, BM + 2, 1) & 0x02, 0x02);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x41);
	outp(&f, BM, 1, 0);
	outp(&f, BM + 2, 1, 0x06);
	/* Table shorter than the transfer. */
	outp(&f, BM + 4, 4, 0x10000);
	put_prd(&f, 0x10000, 0x20000, 512, true);
	task(&f, 0xe0, 0, 4, 0xc8);
	outp(&f, BM, 1, 0x09);
	CHECK_EQ(inp(&f, BM + 2, 1) & 0x02, 0x02);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x41);
	outp(&f, BM, 1, 0);
	outp(&f, BM + 2, 1, 0x06);
	/* A table of all zeros (64 KiB entries, never EOT) on a huge read:
	 * bounded walk, error. */
	outp(&f, BM + 4, 4, 0x200000);
	outp(&f, 0x1f6, 1, 0x40);
	outp(&f, 0x1f2, 1, 0);
	outp(&f, 0x1f2, 1, 0);                          /* 65536 sectors */
	outp(&f, 0x1f3, 1, 0);
	outp(&f, 0x1f7, 1, 0x25);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x41);              /* beyond the disk: IDNF */
	CHECK_EQ(inp(&f, 0x1f1, 1), 0x10);
	/* The device still works afterwards. */
	task(&f, 0xe0, 7, 1, 0x20);
	CHECK_EQ(inp(&f, 0x1f0, 1), pattern(7 * 512));
	/* Odd-width accesses to task file registers split into bytes. */
	outp(&f, 0x1f2, 2, 0x3412);                     /* nsector=12h, lbal=34h */
	CHECK_EQ(inp(&f, 0x1f7, 1) & 0x08, 0x08);       /* still in the data phase */
	ide_fini(&f);
}

TEST(ide_disk_config_errors)
{
	struct fixture f;
	char err[256];
	REQUIRE(make_image() == 0);
	REQUIRE(fixture_machine(&f) != NULL);
	int fd = open(img, O_WRONLY);
	CHECK_EQ(pwrite(fd, "QFI\xfb", 4, 0), 4);
	close(fd);
	f.m->cfg.disks[0] = (struct disk_config){ .path = img, .iface = DISK_IF_IDE };
	f.m->cfg.ndisks = 1;
	CHECK(!fixture_chipset(&f, err, sizeof(err)));
	/* The qcow2 magic over raw data: refused as a corrupt qcow2 header. */
	CHECK(strstr(err, "is not supported (2 and 3 are)") != NULL);
	CHECK(strstr(err, img) != NULL);
	for (unsigned i = 0; i < 5; i++)
		f.m->cfg.disks[i] = (struct disk_config){ .path = img, .iface = DISK_IF_IDE,
							  .format = DISK_FMT_RAW };
	f.m->cfg.ndisks = 5;
	CHECK(!fixture_chipset(&f, err, sizeof(err)));
	CHECK(strstr(err, "too many IDE disks") != NULL);
	f.m->cfg.disks[0].path = "/nonexistent/disk.img";
	CHECK(!fixture_chipset(&f, err, sizeof(err)));
	CHECK(strstr(err, "/nonexistent/disk.img") != NULL);
	/* Nothing leaked onto the buses by the failed attempts. */
	CHECK(bus_owner(&f.m->pio, 0x1f0) == NULL);
	CHECK(bus_owner(&f.m->pio, 0xcf8) == NULL);
	f.cs = NULL;
	fixture_fini(&f);
	unlink(img);
}

#include "core/state.h"

/* Runs fn(cs) inside one state section; returns the stream. */
static void snapshot(struct fixture *f, struct state_writer *w)
{
	sw_init(w);
	sw_begin(w);
	sw_section_begin(w, "chipset", PC_CHIPSET_STATE_VERSION);
	pc_chipset_save(f->cs, w);
	sw_section_end(w);
	sw_finish(w);
}

static bool restore(struct fixture *f, struct state_writer *w, char *why, size_t len)
{
	struct state_reader r;
	char name[64];
	uint32_t version;
	if (!sr_init(&r, w->buf, w->len) || !sr_next_section(&r, name, sizeof(name), &version)) {
		snprintf(why, len, "%s", r.error);
		return false;
	}
	pc_chipset_load(f->cs, &r, version);
	snprintf(why, len, "%s", r.error);
	return sr_ok(&r);
}

TEST(ide_chipset_snapshot_mid_command)
{
	struct fixture a, b;
	struct state_writer w;
	char why[256];
	REQUIRE(ide_fixture(&a) == 0);
	bm_setup(&a, 0x10000);
	cfg_write(&a, PCI_DEVFN(0, 0), 0x59, 1, 0x10);       /* 0xF0000 read only */
	cfg_write(&a, PCI_DEVFN(1, 3), 0x40, 4, 0xb001);
	cfg_write(&a, PCI_DEVFN(1, 3), 0x80, 1, 1);
	cfg_write(&a, PCI_DEVFN(1, 0), 0x60, 1, 10);
	/* Halfway through a two-sector PIO read of LBA 5. */
	task(&a, 0xe0, 5, 2, 0x20);
	for (unsigned i = 0; i < 50; i++)
		inp(&a, 0x1f0, 2);
	snapshot(&a, &w);
	REQUIRE(!w.failed);

	/* Another machine on the same image takes over where it stopped. */
	REQUIRE(fixture_machine(&b) != NULL);
	b.m->cfg.disks[0] = (struct disk_config){ .path = img, .iface = DISK_IF_IDE };
	b.m->cfg.ndisks = 1;
	REQUIRE(fixture_chipset(&b, why, sizeof(why)));
	CHECK(restore(&b, &w, why, sizeof(why)));
	CHECK_EQ(inp(&b, 0x1f7, 1), 0x58);
	bool same = true;
	for (unsigned i = 50; i < 256; i++) {
		uint16_t v = inp(&b, 0x1f0, 2);
		same &= v == (pattern(5 * 512 + 2 * i) | pattern(5 * 512 + 2 * i + 1) << 8);
	}
	CHECK(same);
	CHECK_EQ(inp(&b, 0x1f7, 1), 0x58);                   /* second sector next */
	CHECK_EQ(inp(&b, 0x1f0, 1), pattern(6 * 512));
	CHECK(bus_owner(&b.m->pio, BM + 2) != NULL);         /* BAR4 re-mapped */
	CHECK_STR(bus_owner(&b.m->pio, 0xb008), "piix4-pm");
	uint8_t x = 0;
	CHECK_EQ(gpa_write(&b.m->mem, 0xf0000, &x, 1), -EFAULT);  /* PAM re-applied */
	CHECK_EQ(cfg_read(&b, PCI_DEVFN(1, 0), 0x60, 1), 10);
	fixture_fini(&b);

	/* A machine without that disk refuses the snapshot, naming why. */
	REQUIRE(fixture_machine(&b) != NULL);
	REQUIRE(fixture_chipset(&b, why, sizeof(why)));
	CHECK(!restore(&b, &w, why, sizeof(why)));
	CHECK(strstr(why, "sectors") != NULL);
	fixture_fini(&b);
	sw_free(&w);
	ide_fini(&a);
}
