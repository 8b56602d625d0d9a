/* AHCI driven the way Linux's ahci/libata and SeaBIOS do: registers,
 * command list, FIS receive area, PRDT. Expected values from the AHCI 1.3
 * and ATA8-ACS specifications. */
#include <fcntl.h>
#include <unistd.h>

#include "harness.h"
#include "hw/storage/ahci.h"
#include "hw/storage/block.h"
#include "pci_fixture.h"

#define DEVFN (4 << 3)
#define ABAR 0xFEBF0000ULL
#define P0 (ABAR + 0x100)
#define CLB 0x100000
#define FB 0x101000
#define CT 0x102000
#define BUF 0x110000

struct ahci_fx {
	struct pci_fixture f;
	struct ahci *a;
	struct block_backend *disk;
	char path[64];
};

static void setup(struct ahci_fx *x)
{
	fx_init(&x->f, 64ULL << 20);
	snprintf(x->path, sizeof(x->path), "/tmp/nyx-ahci-XXXXXX");
	int fd = mkstemp(x->path);
	REQUIRE(ftruncate(fd, 1 << 20) == 0);   /* 2048 sectors */
	close(fd);
	char err[256];
	x->disk = block_raw_open(x->path, false, err, sizeof(err));
	struct block_backend *disks[AHCI_PORTS] = { x->disk };
	x->a = ahci_create(x->f.m, x->f.bus, DEVFN, disks, err, sizeof(err));
	/* BAR5 = ABAR, memory + bus master on. */
	fx_cfg_write(&x->f, DEVFN, 0x24, (uint32_t)ABAR, 4);
	fx_cfg_write(&x->f, DEVFN, 0x04, 0x0006, 2);
}

static void teardown(struct ahci_fx *x)
{
	ahci_destroy(x->a);          /* takes itself off the bus */
	fx_fini(&x->f);
	block_close(x->disk);
	unlink(x->path);
}

/* Issues slots like a driver: write PxCI, then poll until they clear (data
 * commands complete on I/O worker threads). */
static void issue(struct ahci_fx *x, uint32_t slots)
{
	fx_mmio_write(&x->f, P0 + 0x38, slots, 4);
	for (int i = 0; i < 2000 && (fx_mmio_read(&x->f, P0 + 0x38, 4) & slots); i++)
		usleep(1000);
}

static void start_port(struct ahci_fx *x)
{
	fx_mmio_write(&x->f, P0 + 0x00, CLB, 4);
	fx_mmio_write(&x->f, P0 + 0x04, 0, 4);
	fx_mmio_write(&x->f, P0 + 0x08, FB, 4);
	fx_mmio_write(&x->f, P0 + 0x0C, 0, 4);
	fx_mmio_write(&x->f, P0 + 0x18, (1 << 4), 4);            /* FRE */
	fx_mmio_write(&x->f, P0 + 0x18, (1 << 4) | 1, 4);        /* FRE | ST */
}

/* Command slot `slot`: H2D register FIS with cmd, lba, count (or NCQ form),
 * one PRD per buffer. */
static void build(struct ahci_fx *x, unsigned slot, uint8_t cmd, uint64_t lba, uint16_t count,
		  bool write, unsigned nprd, uint32_t prd_len)
{
	struct guest_mem *mem = &x->f.m->mem;
	uint64_t ct = CT + slot * 0x1000ULL;
	uint32_t hdr[8] = { 5 | (write ? 1 << 6 : 0) | (nprd << 16), 0, (uint32_t)ct, 0 };
	gpa_write(mem, CLB + 32 * slot, hdr, 32);
	uint8_t fis[64] = { 0x27, 0x80, cmd, 0, (uint8_t)lba, (uint8_t)(lba >> 8),
			    (uint8_t)(lba >> 16), 0x40, (uint8_t)(lba >> 24), (uint8_t)(lba >> 32),
			    (uint8_t)(lba >> 40), 0, (uint8_t)count, (uint8_t)(count >> 8) };
	if (cmd == 0x60 || cmd == 0x61) {       /* FPDMA: count in features, tag in count */
		fis[3] = (uint8_t)count;
		fis[11] = (uint8_t)(count >> 8);
		fis[12] = (uint8_t)(slot << 3);
		fis[13] = 0;
	}
	gpa_write(mem, ct, fis, sizeof(fis));
	for (unsigned i = 0; i < nprd; i++) {
		uint32_t prd[4] = { (uint32_t)(BUF + i * prd_len), 0, 0, prd_len - 1 };
		gpa_write(mem, ct + 0x80 + 16 * i, prd, 16);
	}
}

TEST(ahci_hba_registers_and_signature)
{
	struct ahci_fx x;
	setup(&x);
	REQUIRE(x.a);
	CHECK_EQ(fx_cfg_read(&x.f, DEVFN, 0, 4), 0x29228086);
	CHECK_EQ(fx_cfg_read(&x.f, DEVFN, 0x08, 4) >> 8, 0x010601);   /* SATA, AHCI 1.0 */
	uint32_t cap = (uint32_t)fx_mmio_read(&x.f, ABAR + 0x00, 4);
	CHECK_EQ(cap & 0x1F, 5);                  /* six ports */
	CHECK_EQ((cap >> 8) & 0x1F, 31);          /* 32 command slots */
	CHECK(cap & (1u << 30));                  /* NCQ */
	CHECK(cap & (1u << 31));                  /* 64-bit addressing */
	CHECK(fx_mmio_read(&x.f, ABAR + 0x04, 4) & (1u << 31));   /* GHC.AE */
	CHECK_EQ(fx_mmio_read(&x.f, ABAR + 0x0C, 4), 0x3F);
	CHECK_EQ(fx_mmio_read(&x.f, P0 + 0x28, 4) & 0xF, 3);      /* device present, phy up */
	CHECK_EQ(fx_mmio_read(&x.f, P0 + 0x24, 4), 0x101);        /* ATA signature */
	CHECK_EQ(fx_mmio_read(&x.f, P0 + 0x80 + 0x28, 4) & 0xF, 0);  /* port 1 empty */
	/* Odd widths are ignored, not fatal. */
	fx_mmio_write(&x.f, ABAR + 0x05, 0xFF, 1);
	CHECK_EQ(fx_mmio_read(&x.f, ABAR + 0x02, 2), 0);
	teardown(&x);
}

TEST(ahci_identify_through_command_list)
{
	struct ahci_fx x;
	setup(&x);
	start_port(&x);
	fx_mmio_write(&x.f, ABAR + 0x04, (1u << 31) | 2, 4);   /* GHC.IE */
	fx_mmio_write(&x.f, P0 + 0x14, 0x3, 4);                 /* DHRS, PSS */
	build(&x, 0, 0xEC, 0, 0, false, 1, 512);
	issue(&x, 1);
	CHECK_EQ(fx_mmio_read(&x.f, P0 + 0x38, 4), 0);          /* CI cleared */
	CHECK_EQ(fx_mmio_read(&x.f, P0 + 0x20, 4) & 0xFF, 0x50);
	CHECK(fx_mmio_read(&x.f, P0 + 0x10, 4) & 0x3);
	CHECK_EQ(fx_mmio_read(&x.f, ABAR + 0x08, 4), 1);        /* HBA IS: port 0 */
	CHECK_EQ(x.f.pirq_level[(4 + 0) & 3] | x.f.pirq_level[0] | x.f.pirq_level[1] |
		 x.f.pirq_level[2] | x.f.pirq_level[3], 1);
	uint16_t id[256];
	gpa_read(&x.f.m->mem, BUF, id, 512);
	CHECK_EQ(id[0] & 0x8000, 0);                             /* ATA device */
	CHECK_EQ(id[100] | (uint32_t)id[101] << 16, 2048);      /* LBA48 capacity */
	CHECK_EQ(id[60] | (uint32_t)id[61] << 16, 2048);
	CHECK(id[76] & (1 << 8));                                /* NCQ supported */
	CHECK_EQ(id[75] & 0x1F, 31);
	uint8_t sum = 0;
	for (unsigned i = 0; i < 512; i++)
		sum += ((uint8_t *)id)[i];
	CHECK_EQ(sum, 0);                                        /* word 255 checksum */
	CHECK_EQ(id[255] & 0xFF, 0xA5);
	uint32_t prdbc;
	gpa_read(&x.f.m->mem, CLB + 4, &prdbc, 4);
	CHECK_EQ(prdbc, 512);
	/* Clearing PxIS then HBA IS lowers the interrupt. */
	fx_mmio_write(&x.f, P0 + 0x10, 0xFFFFFFFF, 4);
	CHECK_EQ(fx_mmio_read(&x.f, ABAR + 0x08, 4), 0);
	CHECK_EQ(x.f.pirq_level[0] | x.f.pirq_level[1] | x.f.pirq_level[2] |
		 x.f.pirq_level[3], 0);
	teardown(&x);
}

TEST(ahci_dma_and_ncq_round_trip)
{
	struct ahci_fx x;
	setup(&x);
	start_port(&x);
	struct guest_mem *mem = &x.f.m->mem;
	uint8_t pattern[4096];
	for (unsigned i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 3);
	gpa_write(mem, BUF, pattern, sizeof(pattern));
	/* WRITE DMA EXT: 8 sectors at LBA 10 from two 2 KiB PRDs. */
	build(&x, 2, 0x35, 10, 8, true, 2, 2048);
	issue(&x, 1 << 2);
	CHECK_EQ(fx_mmio_read(&x.f, P0 + 0x20, 4) & 0x01, 0);
	int fd = open(x.path, O_RDONLY);
	uint8_t disk[4096];
	CHECK_EQ(pread(fd, disk, sizeof(disk), 10 * 512), 4096);
	close(fd);
	CHECK(!memcmp(disk, pattern, sizeof(disk)));
	/* READ FPDMA QUEUED, tag 5: back into a cleared buffer. */
	uint8_t zero[4096] = { 0 };
	gpa_write(mem, BUF, zero, sizeof(zero));
	build(&x, 5, 0x60, 10, 8, false, 1, 4096);
	fx_mmio_write(&x.f, P0 + 0x34, 1 << 5, 4);              /* SACT */
	issue(&x, 1 << 5);                                       /* CI */
	CHECK_EQ(fx_mmio_read(&x.f, P0 + 0x34, 4), 0);
	CHECK(fx_mmio_read(&x.f, P0 + 0x10, 4) & (1 << 3));     /* SDBS */
	uint8_t sdb[8];
	gpa_read(mem, FB + 0x58, sdb, 8);
	CHECK_EQ(sdb[0], 0xA1);
	CHECK_EQ(sdb[4], 1 << 5);
	uint8_t back[4096];
	gpa_read(mem, BUF, back, sizeof(back));
	CHECK(!memcmp(back, pattern, sizeof(back)));
	teardown(&x);
}

TEST(ahci_errors_and_hostile_pointers_are_contained)
{
	struct ahci_fx x;
	setup(&x);
	start_port(&x);
	/* Beyond the end of the disk: task-file error, ABRT|IDNF. */
	build(&x, 0, 0x25, 2047, 2, false, 1, 1024);
	issue(&x, 1);
	uint32_t tfd = (uint32_t)fx_mmio_read(&x.f, P0 + 0x20, 4);
	CHECK(tfd & 0x01);
	CHECK((tfd >> 8) & 0x10);
	CHECK(fx_mmio_read(&x.f, P0 + 0x10, 4) & (1u << 30));   /* TFES */
	/* Command table outside RAM. */
	uint32_t hdr[4] = { 5 | (1 << 16), 0, 0xF0000000u, 0 };
	gpa_write(&x.f.m->mem, CLB + 32, hdr, 16);
	issue(&x, 2);
	CHECK_EQ(fx_mmio_read(&x.f, P0 + 0x38, 4), 0);
	CHECK(fx_mmio_read(&x.f, P0 + 0x20, 4) & 0x01);
	/* PRD buffer outside RAM on a read. */
	build(&x, 3, 0xC8, 0, 1, false, 1, 512);
	uint32_t prd[4] = { 0xFFFFF000u, 0, 0, 511 };
	gpa_write(&x.f.m->mem, CT + 3 * 0x1000 + 0x80, prd, 16);
	issue(&x, 8);
	CHECK(fx_mmio_read(&x.f, P0 + 0x20, 4) & 0x01);
	/* Unknown command: aborted. */
	build(&x, 4, 0xB0, 0, 0, false, 0, 0);
	issue(&x, 16);
	CHECK_EQ((fx_mmio_read(&x.f, P0 + 0x20, 4) >> 8) & 0xFF, 0x04);
	/* HBA reset returns everything to power-on state. */
	fx_mmio_write(&x.f, ABAR + 0x04, 1, 4);
	CHECK_EQ(fx_mmio_read(&x.f, P0 + 0x18, 4) & 1, 0);
	CHECK_EQ(fx_mmio_read(&x.f, P0 + 0x10, 4), 0);
	teardown(&x);
}

TEST(ahci_many_ncq_commands_in_flight)
{
	struct ahci_fx x;
	setup(&x);
	start_port(&x);
	struct guest_mem *mem = &x.f.m->mem;
	/* Write 8 distinct sectors, then read them back with 8 queued commands
	 * issued at once, each into its own buffer. */
	for (unsigned t = 0; t < 8; t++) {
		uint8_t sec[512];
		memset(sec, 0x30 + t, sizeof(sec));
		gpa_write(mem, BUF, sec, sizeof(sec));
		build(&x, 0, 0xCA, 100 + t, 1, true, 1, 512);
		issue(&x, 1);
	}
	uint32_t all = 0;
	for (unsigned t = 0; t < 8; t++) {
		build(&x, t, 0x60, 100 + t, 1, false, 1, 512);
		uint32_t prd[4] = { (uint32_t)(BUF + 0x1000 * t), 0, 0, 511 };
		gpa_write(mem, CT + t * 0x1000ULL + 0x80, prd, 16);
		all |= 1u << t;
	}
	fx_mmio_write(&x.f, P0 + 0x34, all, 4);
	issue(&x, all);
	CHECK_EQ(fx_mmio_read(&x.f, P0 + 0x38, 4), 0);
	CHECK_EQ(fx_mmio_read(&x.f, P0 + 0x34, 4), 0);
	for (unsigned t = 0; t < 8; t++) {
		uint8_t sec[512];
		gpa_read(mem, BUF + 0x1000 * t, sec, sizeof(sec));
		CHECK_EQ(sec[0], 0x30 + t);
		CHECK_EQ(sec[511], 0x30 + t);
	}
	teardown(&x);
}
