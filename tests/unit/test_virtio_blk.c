/* virtio-blk through the modern PCI transport, driven as the virtio 1.1
 * spec (section 3.1 device initialization, 5.2 block device) tells a
 * driver to: capabilities, feature negotiation, queue setup, requests. */
#include <fcntl.h>
#include <unistd.h>

#include "harness.h"
#include "hw/storage/block.h"
#include "hw/virtio/virtio_blk.h"
#include "pci_fixture.h"

#define DEVFN (5 << 3)
#define BAR4 0xFE000000ULL
#define BAR1 0xFEBF1000ULL
#define DESC 0x100000
#define AVAIL 0x101000
#define USED 0x102000
#define HDR 0x110000
#define DATA 0x111000
#define STATUS 0x118000
#define QSZ 16

struct vfx {
	struct pci_fixture f;
	struct virtio_blk *b;
	struct block_backend *disk;
	char path[64];
	uint16_t avail_idx;
};

static uint64_t common(struct vfx *x, unsigned off, unsigned size)
{
	return fx_mmio_read(&x->f, BAR4 + off, size);
}

static void common_w(struct vfx *x, unsigned off, uint64_t v, unsigned size)
{
	fx_mmio_write(&x->f, BAR4 + off, v, size);
}

static void setup(struct vfx *x, bool negotiate)
{
	memset(x, 0, sizeof(*x));
	fx_init(&x->f, 64ULL << 20);
	snprintf(x->path, sizeof(x->path), "/tmp/nyx-vblk-XXXXXX");
	int fd = mkstemp(x->path);
	REQUIRE(ftruncate(fd, 1 << 20) == 0);
	close(fd);
	char err[256];
	x->disk = block_raw_open(x->path, false, err, sizeof(err));
	x->b = virtio_blk_create(x->f.m, x->f.bus, DEVFN, x->disk, 0, err, sizeof(err));
	REQUIRE(x->b);
	fx_cfg_write(&x->f, DEVFN, 0x14, (uint32_t)BAR1, 4);
	fx_cfg_write(&x->f, DEVFN, 0x20, (uint32_t)BAR4, 4);
	fx_cfg_write(&x->f, DEVFN, 0x24, 0, 4);
	fx_cfg_write(&x->f, DEVFN, 0x04, 0x0006, 2);
	if (!negotiate)
		return;
	common_w(x, 0x14, 0, 1);                       /* reset */
	common_w(x, 0x14, 1, 1);                       /* ACKNOWLEDGE */
	common_w(x, 0x14, 3, 1);                       /* DRIVER */
	common_w(x, 0x08, 1, 4);
	common_w(x, 0x0C, 1, 4);                       /* VERSION_1 */
	common_w(x, 0x08, 0, 4);
	common_w(x, 0x0C, (1u << 9), 4);               /* FLUSH */
	common_w(x, 0x14, 11, 1);                      /* FEATURES_OK */
	common_w(x, 0x16, 0, 2);
	common_w(x, 0x18, QSZ, 2);
	common_w(x, 0x20, DESC, 8);
	common_w(x, 0x28, AVAIL, 8);
	common_w(x, 0x30, USED, 8);
	common_w(x, 0x1C, 1, 2);
	common_w(x, 0x14, 15, 1);                      /* DRIVER_OK */
}

static void teardown(struct vfx *x)
{
	virtio_blk_destroy(x->b);    /* takes itself off the bus */
	fx_fini(&x->f);
	block_close(x->disk);
	unlink(x->path);
}

static void desc(struct vfx *x, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	uint8_t d[16];
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	gpa_write(&x->f.m->mem, DESC + 16 * i, d, 16);
}

/* Submits header/data/status as descriptors 0,1,2 and waits for the used
 * ring to advance. Returns the status byte. */
static int request(struct vfx *x, uint32_t type, uint64_t sector, uint32_t len, bool data_in)
{
	struct guest_mem *mem = &x->f.m->mem;
	uint8_t hdr[16] = { 0 };
	memcpy(hdr, &type, 4);
	memcpy(hdr + 8, &sector, 8);
	gpa_write(mem, HDR, hdr, 16);
	uint8_t st = 0xFF;
	gpa_write(mem, STATUS, &st, 1);
	desc(x, 0, HDR, 16, 1, 1);
	if (len) {
		desc(x, 1, DATA, len, 1 | (data_in ? 2 : 0), 2);
		desc(x, 2, STATUS, 1, 2, 0);
	} else {
		desc(x, 0, HDR, 16, 1, 2);
		desc(x, 2, STATUS, 1, 2, 0);
	}
	uint16_t head = 0;
	gpa_write(mem, AVAIL + 4 + 2 * (x->avail_idx % QSZ), &head, 2);
	x->avail_idx++;
	gpa_write(mem, AVAIL + 2, &x->avail_idx, 2);
	unsigned off = (unsigned)fx_cfg_read(&x->f, DEVFN, 0, 1);   /* any config access */
	(void)off;
	fx_mmio_write(&x->f, BAR4 + 0x3000, 0, 2);                 /* notify queue 0 */
	uint16_t used = 0;
	for (int i = 0; i < 2000; i++) {
		gpa_read(mem, USED + 2, &used, 2);
		if (used == x->avail_idx)
			break;
		usleep(1000);
	}
	if (used != x->avail_idx)
		return -1;
	gpa_read(mem, STATUS, &st, 1);
	return st;
}

TEST(virtio_blk_pci_identity_and_capabilities)
{
	struct vfx x;
	setup(&x, false);
	CHECK_EQ(fx_cfg_read(&x.f, DEVFN, 0, 4), 0x10421AF4);     /* modern virtio-blk */
	CHECK_EQ(fx_cfg_read(&x.f, DEVFN, 0x08, 1), 1);           /* revision 1 */
	CHECK(fx_cfg_read(&x.f, DEVFN, 0x06, 2) & 0x10);          /* capability list */
	/* Walk the list: common, ISR, device, notify (vendor caps) and MSI-X. */
	unsigned found = 0, p = fx_cfg_read(&x.f, DEVFN, 0x34, 1);
	for (int guard = 0; p && guard < 16; guard++) {
		unsigned id = fx_cfg_read(&x.f, DEVFN, p, 1);
		if (id == 0x09)
			found |= 1u << fx_cfg_read(&x.f, DEVFN, p + 3, 1);
		if (id == 0x11)
			found |= 1u << 7;
		p = fx_cfg_read(&x.f, DEVFN, p + 1, 1);
	}
	CHECK_EQ(found, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 7));
	/* Device features: VERSION_1 (bit 32), FLUSH (bit 9). */
	common_w(&x, 0x00, 1, 4);
	CHECK(common(&x, 0x04, 4) & 1);
	common_w(&x, 0x00, 0, 4);
	CHECK(common(&x, 0x04, 4) & (1u << 9));
	/* Capacity in 512-byte sectors from the device config. */
	CHECK_EQ(fx_mmio_read(&x.f, BAR4 + 0x2000, 8), 2048);
	/* A driver that does not accept VERSION_1 has FEATURES_OK refused. */
	common_w(&x, 0x14, 3, 1);
	common_w(&x, 0x14, 11, 1);
	CHECK_EQ(common(&x, 0x14, 1) & 8, 0);
	teardown(&x);
}

TEST(virtio_blk_write_read_flush_getid)
{
	struct vfx x;
	setup(&x, true);
	CHECK_EQ(common(&x, 0x14, 1), 15);
	struct guest_mem *mem = &x.f.m->mem;
	uint8_t pat[1024];
	for (unsigned i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i ^ 0x5A);
	gpa_write(mem, DATA, pat, sizeof(pat));
	CHECK_EQ(request(&x, 1, 100, 1024, false), 0);            /* OUT */
	int fd = open(x.path, O_RDONLY);
	uint8_t disk[1024];
	CHECK_EQ(pread(fd, disk, sizeof(disk), 100 * 512), 1024);
	close(fd);
	CHECK(!memcmp(disk, pat, sizeof(pat)));
	uint8_t zero[1024] = { 0 };
	gpa_write(mem, DATA, zero, sizeof(zero));
	CHECK_EQ(request(&x, 0, 100, 1024, true), 0);             /* IN */
	uint8_t back[1024];
	gpa_read(mem, DATA, back, sizeof(back));
	CHECK(!memcmp(back, pat, sizeof(pat)));
	uint32_t used_len;
	gpa_read(mem, USED + 4 + 8 * 1 + 4, &used_len, 4);
	CHECK_EQ(used_len, 1025);                                  /* data + status */
	CHECK_EQ(request(&x, 4, 0, 0, false), 0);                  /* FLUSH */
	CHECK_EQ(request(&x, 8, 0, 20, true), 0);                  /* GET_ID */
	char id[21] = { 0 };
	gpa_read(mem, DATA, id, 20);
	CHECK_STR(id, "NYX-VD0");
	CHECK_EQ(request(&x, 0, 2047, 1024, true), 1);             /* past the end: IOERR */
	CHECK_EQ(request(&x, 99, 0, 512, true), 2);                /* unknown: UNSUPP */
	/* INTx with ISR bit 0 since MSI-X is off; reading ISR clears it. */
	CHECK_EQ(fx_mmio_read(&x.f, BAR4 + 0x1000, 1) & 1, 1);
	CHECK_EQ(fx_mmio_read(&x.f, BAR4 + 0x1000, 1), 0);
	teardown(&x);
}

TEST(virtio_blk_msix_and_hostile_ring)
{
	struct vfx x;
	setup(&x, true);
	/* MSI-X: enable in config, program vector 1 for queue 0. */
	unsigned p = fx_cfg_read(&x.f, DEVFN, 0x34, 1), msix = 0;
	for (int guard = 0; p && guard < 16; guard++) {
		if (fx_cfg_read(&x.f, DEVFN, p, 1) == 0x11)
			msix = p;
		p = fx_cfg_read(&x.f, DEVFN, p + 1, 1);
	}
	REQUIRE(msix);
	fx_cfg_write(&x.f, DEVFN, msix + 2, 0x8000, 2);
	fx_mmio_write(&x.f, BAR1 + 16 + 0, 0xFEE00000, 4);
	fx_mmio_write(&x.f, BAR1 + 16 + 4, 0, 4);
	fx_mmio_write(&x.f, BAR1 + 16 + 8, 0x45, 4);
	fx_mmio_write(&x.f, BAR1 + 16 + 12, 0, 4);                  /* unmask */
	common_w(&x, 0x16, 0, 2);
	common_w(&x, 0x1A, 1, 2);
	CHECK_EQ(common(&x, 0x1A, 2), 1);
	CHECK_EQ(request(&x, 4, 0, 0, false), 0);
	CHECK(x.f.msi_count >= 1);
	CHECK_EQ(x.f.msi_data, 0x45);
	/* A descriptor loop: the device needs a reset, nothing crashes. */
	desc(&x, 0, HDR, 16, 1, 0);
	uint16_t head = 0;
	gpa_write(&x.f.m->mem, AVAIL + 4 + 2 * (x.avail_idx % QSZ), &head, 2);
	x.avail_idx++;
	gpa_write(&x.f.m->mem, AVAIL + 2, &x.avail_idx, 2);
	fx_mmio_write(&x.f, BAR4 + 0x3000, 0, 2);
	CHECK(common(&x, 0x14, 1) & 64);                           /* DEVICE_NEEDS_RESET */
	common_w(&x, 0x14, 0, 1);
	CHECK_EQ(common(&x, 0x14, 1), 0);
	teardown(&x);
}
