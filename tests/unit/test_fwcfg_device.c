/*
 * fw_cfg device, driven through its ports the way SeaBIOS (qemu_cfg_*) and
 * OVMF (QemuFwCfgLib) drive it: signature and feature probing, the file
 * directory, DMA transfers, and guests that hand it bad descriptors.
 * Expected values come from QEMU's docs/specs/fw_cfg.rst and the PC memory
 * map, not from this implementation.
 */
#include "harness.h"

#include <stdlib.h>

#include "core/device.h"
#include "core/machine.h"
#include "core/memory.h"
#include "core/state.h"
#include "hw/pc/fw_cfg.h"

struct rig {
	struct machine m;
	struct fw_cfg *fc;
};

static int rig_init(struct rig *r, uint64_t ram, unsigned cpus)
{
	char err[256];

	memset(r, 0, sizeof(*r));
	machine_config_init(&r->m.cfg);
	r->m.cfg.cpus = cpus;
	r->m.cfg.mem_size = ram;
	bus_init(&r->m.pio, "pio");
	bus_init(&r->m.mmio, "mmio");
	if (mem_init(&r->m.mem, ram))
		return -1;
	r->fc = fw_cfg_new(&r->m.mem, NULL);
	if (!r->fc)
		return -1;
	if (fw_cfg_pc_populate(r->fc, &r->m, err, sizeof(err))) {
		fprintf(stderr, "  populate: %s\n", err);
		return -1;
	}
	return 0;
}

static void rig_free(struct rig *r)
{
	fw_cfg_free(r->fc);
	mem_destroy(&r->m.mem);
	bus_destroy(&r->m.pio);
	bus_destroy(&r->m.mmio);
	machine_config_free(&r->m.cfg);
}

static uint32_t bswap32_t(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24);
}

static uint64_t be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* outw(key, 0x510); insb(0x511, buf, n) */
static void pio_read_item(struct fw_cfg *fc, uint16_t key, uint8_t *buf, size_t n)
{
	fw_cfg_io_write(fc, FW_CFG_PORT_SEL, key, 2);
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)fw_cfg_io_read(fc, FW_CFG_PORT_DATA, 1);
}

/*
 * SeaBIOS qemu_cfg_dma_transfer(): builds the big-endian descriptor in RAM
 * and writes its (32-bit) address, byte-swapped, to port 0x518 only.
 * Returns the control word the device left in the descriptor.
 */
static uint32_t seabios_dma(struct rig *r, uint64_t desc, uint32_t control, uint32_t len,
			    uint64_t addr)
{
	uint8_t d[16];
	put_be(d, control, 4);
	put_be(d + 4, len, 4);
	put_be(d + 8, addr, 8);
	if (gpa_write(&r->m.mem, desc, d, 16))
		return 0xDEAD;
	fw_cfg_io_write(r->fc, FW_CFG_PORT_DMA + 4, bswap32_t((uint32_t)desc), 4);
	if (gpa_read(&r->m.mem, desc, d, 4))
		return 0xDEAD;
	return (uint32_t)be(d, 4);
}

/* Finds a file in the directory read through the ports; its key or 0. */
static uint16_t find_file(struct fw_cfg *fc, const char *name, uint32_t *size)
{
	uint8_t cnt[4], e[64];
	pio_read_item(fc, FW_CFG_FILE_DIR, cnt, 4);
	uint32_t n = (uint32_t)be(cnt, 4);
	for (uint32_t i = 0; i < n; i++) {
		for (int j = 0; j < 64; j++)
			e[j] = (uint8_t)fw_cfg_io_read(fc, FW_CFG_PORT_DATA, 1);
		if (!strncmp((char *)e + 8, name, 56)) {
			if (size)
				*size = (uint32_t)be(e, 4);
			return (uint16_t)be(e + 4, 2);
		}
	}
	return 0;
}

TEST(fwcfg_signature_id_and_dma_probe)
{
	struct rig r;
	uint8_t b[8];
	REQUIRE(rig_init(&r, 128 << 20, 2) == 0);

	pio_read_item(r.fc, FW_CFG_SIGNATURE, b, 4);
	CHECK(memcmp(b, "QEMU", 4) == 0);
	/* 8-bit reads at 0x510 read data too (QEMU's combined port). */
	fw_cfg_io_write(r.fc, FW_CFG_PORT_SEL, FW_CFG_SIGNATURE, 2);
	CHECK_EQ(fw_cfg_io_read(r.fc, FW_CFG_PORT_SEL, 1), 'Q');

	pio_read_item(r.fc, FW_CFG_ID, b, 4);
	CHECK_EQ(le(b, 4), 3);            /* traditional + DMA */

	/* inl(0x514), inl(0x518): "QEMU CFG" in port order. */
	uint32_t hi = (uint32_t)fw_cfg_io_read(r.fc, FW_CFG_PORT_DMA, 4);
	uint32_t lo = (uint32_t)fw_cfg_io_read(r.fc, FW_CFG_PORT_DMA + 4, 4);
	memcpy(b, &hi, 4);
	memcpy(b + 4, &lo, 4);
	CHECK(memcmp(b, "QEMU CFG", 8) == 0);
	rig_free(&r);
}

TEST(fwcfg_legacy_keys)
{
	struct rig r;
	uint8_t b[16];
	REQUIRE(rig_init(&r, 256 << 20, 3) == 0);

	pio_read_item(r.fc, FW_CFG_RAM_SIZE, b, 8);
	CHECK_EQ(le(b, 8), 256ULL << 20);
	pio_read_item(r.fc, FW_CFG_NB_CPUS, b, 2);
	CHECK_EQ(le(b, 2), 3);
	pio_read_item(r.fc, FW_CFG_MAX_CPUS, b, 2);
	CHECK_EQ(le(b, 2), 3);
	pio_read_item(r.fc, FW_CFG_BOOT_MENU, b, 2);
	CHECK_EQ(le(b, 2), 0);
	/* Past the end of an item, and for a key nobody defined: zeros. */
	pio_read_item(r.fc, FW_CFG_NB_CPUS, b, 6);
	CHECK_EQ(b[2] | b[3] | b[4] | b[5], 0);
	pio_read_item(r.fc, 0x3000, b, 4);
	CHECK_EQ(le(b, 4), 0);
	pio_read_item(r.fc, 0xBFFF, b, 4);
	CHECK_EQ(le(b, 4), 0);
	rig_free(&r);
}

TEST(fwcfg_file_directory_sorted)
{
	struct rig r;
	uint8_t cnt[4], e[64];
	char prev[57] = "";
	int seen_e820 = 0, seen_loader = 0, seen_rsdp = 0, seen_tables = 0, seen_smbios = 0;
	REQUIRE(rig_init(&r, 128 << 20, 1) == 0);

	pio_read_item(r.fc, FW_CFG_FILE_DIR, cnt, 4);
	uint32_t n = (uint32_t)be(cnt, 4);
	CHECK(n >= 8);
	for (uint32_t i = 0; i < n; i++) {
		for (int j = 0; j < 64; j++)
			e[j] = (uint8_t)fw_cfg_io_read(r.fc, FW_CFG_PORT_DATA, 1);
		char name[57];
		memcpy(name, e + 8, 56);
		name[56] = 0;
		CHECK(strlen(name) > 0);
		CHECK(strcmp(prev, name) < 0);              /* sorted, no duplicates */
		CHECK_EQ(be(e + 4, 2), FW_CFG_FILE_FIRST + i);
		CHECK_EQ(be(e + 6, 2), 0);                  /* reserved */
		seen_e820 += !strcmp(name, "etc/e820");
		seen_loader += !strcmp(name, "etc/table-loader");
		seen_rsdp += !strcmp(name, "etc/acpi/rsdp");
		seen_tables += !strcmp(name, "etc/acpi/tables");
		seen_smbios += !strcmp(name, "etc/smbios/smbios-anchor");
		if (!strcmp(name, "etc/table-loader"))
			CHECK_EQ(be(e, 4) % 128, 0);        /* whole loader entries */
		if (!strcmp(name, "etc/acpi/rsdp"))
			CHECK_EQ(be(e, 4), 36);             /* ACPI 2.0 RSDP */
		if (!strcmp(name, "etc/sercon-port") || !strcmp(name, "etc/boot-fail-wait")) {
			uint32_t sz = (uint32_t)be(e, 4);   /* SeaBIOS romfile_loadint */
			CHECK(sz && sz <= 8 && !(sz & (sz - 1)));
		}
		memcpy(prev, name, sizeof(prev));
	}
	CHECK(seen_e820 == 1 && seen_loader == 1 && seen_rsdp == 1 && seen_tables == 1 &&
	      seen_smbios == 1);
	rig_free(&r);
}

TEST(fwcfg_dma_read_e820_as_seabios)
{
	struct rig r;
	uint8_t buf[64];
	uint32_t size = 0;
	REQUIRE(rig_init(&r, 128 << 20, 1) == 0);

	uint16_t key = find_file(r.fc, "etc/e820", &size);
	REQUIRE(key >= FW_CFG_FILE_FIRST);
	CHECK_EQ(size, 40);                /* two {le64, le64, le32} entries */
	memset(buf, 0xAA, sizeof(buf));
	REQUIRE(gpa_write(&r.m.mem, 0x3000, buf, sizeof(buf)) == 0);
	uint32_t st = seabios_dma(&r, 0x2000,
				  ((uint32_t)key << 16) | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ,
				  size, 0x3000);
	CHECK_EQ(st, 0);                   /* done, no error */
	REQUIRE(gpa_read(&r.m.mem, 0x3000, buf, sizeof(buf)) == 0);
	CHECK_EQ(le(buf, 8), 0);
	CHECK_EQ(le(buf + 8, 8), 128 << 20);   /* all RAM, below the PCI hole */
	CHECK_EQ(le(buf + 16, 4), 1);          /* E820_RAM */
	/* The pages KVM uses for its TSS and identity map (QEMU's place). */
	CHECK_EQ(le(buf + 20, 8), 0xFEFFC000ULL);
	CHECK_EQ(le(buf + 28, 8), 0x4000);
	CHECK_EQ(le(buf + 36, 4), 2);          /* E820_RESERVED */
	CHECK_EQ(buf[40], 0xAA);               /* nothing written past length */
	rig_free(&r);
}

TEST(fwcfg_e820_large_guest_splits_at_hole)
{
	struct rig r;
	uint8_t buf[60];
	uint32_t size = 0;
	REQUIRE(rig_init(&r, 4ULL << 30, 1) == 0);

	uint16_t key = find_file(r.fc, "etc/e820", &size);
	REQUIRE(key && size == 60);
	/* OVMF style: high half of the address first, then the low half. */
	uint8_t d[16];
	put_be(d, ((uint32_t)key << 16) | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 4);
	put_be(d + 4, 60, 4);
	put_be(d + 8, 0x5000, 8);
	REQUIRE(gpa_write(&r.m.mem, 0x4000, d, 16) == 0);
	fw_cfg_io_write(r.fc, FW_CFG_PORT_DMA, 0, 4);
	fw_cfg_io_write(r.fc, FW_CFG_PORT_DMA + 4, bswap32_t(0x4000), 4);
	REQUIRE(gpa_read(&r.m.mem, 0x4000, d, 4) == 0);
	CHECK_EQ(be(d, 4), 0);
	REQUIRE(gpa_read(&r.m.mem, 0x5000, buf, 60) == 0);
	/* 4 GiB: 3 GiB below the hole at 0xC0000000, 1 GiB from 4 GiB. */
	CHECK_EQ(le(buf + 8, 8), 0xC0000000ULL);
	CHECK_EQ(le(buf + 40, 8), 0x100000000ULL);
	CHECK_EQ(le(buf + 48, 8), 0x40000000ULL);
	CHECK_EQ(le(buf + 56, 4), 1);
	rig_free(&r);
}

TEST(fwcfg_dma_skip_then_read_and_past_end)
{
	struct rig r;
	uint8_t buf[16];
	REQUIRE(rig_init(&r, 128 << 20, 1) == 0);

	/* Select the signature, skip 2 bytes, read 6: "MU" then zeros. */
	CHECK_EQ(seabios_dma(&r, 0x2000, FW_CFG_DMA_SELECT | FW_CFG_DMA_SKIP, 2, 0), 0);
	memset(buf, 0xAA, sizeof(buf));
	REQUIRE(gpa_write(&r.m.mem, 0x3000, buf, sizeof(buf)) == 0);
	CHECK_EQ(seabios_dma(&r, 0x2000, FW_CFG_DMA_READ, 6, 0x3000), 0);
	REQUIRE(gpa_read(&r.m.mem, 0x3000, buf, sizeof(buf)) == 0);
	CHECK(memcmp(buf, "MU\0\0\0\0", 6) == 0);
	CHECK_EQ(buf[6], 0xAA);
	/* The port interface continues where DMA stopped: past the end. */
	CHECK_EQ(fw_cfg_io_read(r.fc, FW_CFG_PORT_DATA, 1), 0);
	rig_free(&r);
}

TEST(fwcfg_hostile_dma_descriptors_are_contained)
{
	struct rig r;
	uint8_t d[16], buf[8];
	REQUIRE(rig_init(&r, 128 << 20, 1) == 0);
	uint64_t ram_end = 128 << 20;

	/* Data address outside RAM: ERROR, and nothing anywhere crashes. */
	CHECK_EQ(seabios_dma(&r, 0x2000, FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 4, 0xF0000000),
		 FW_CFG_DMA_ERROR);
	/* Straddling the end of RAM: ERROR. */
	CHECK_EQ(seabios_dma(&r, 0x2000, FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 4, ram_end - 2),
		 FW_CFG_DMA_ERROR);
	/* A 4 GiB read of zeros running off the end of a 128 MiB guest. */
	CHECK_EQ(seabios_dma(&r, 0x2000, ((uint32_t)0x3000 << 16) | FW_CFG_DMA_SELECT |
				   FW_CFG_DMA_READ, 0xFFFFFFFFu, ram_end - 4096),
		 FW_CFG_DMA_ERROR);
	/* An address that wraps around 2^64. */
	CHECK_EQ(seabios_dma(&r, 0x2000, FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 0x100,
			     UINT64_MAX - 0x10),
		 FW_CFG_DMA_ERROR);
	/* The descriptor itself outside RAM: dropped; the register resets. */
	fw_cfg_io_write(r.fc, FW_CFG_PORT_DMA, bswap32_t(0x12), 4);
	fw_cfg_io_write(r.fc, FW_CFG_PORT_DMA + 4, bswap32_t(0x34), 4);
	/* Writing a read-only item (the signature): ERROR, contents unchanged. */
	memcpy(buf, "EVIL", 4);
	REQUIRE(gpa_write(&r.m.mem, 0x3000, buf, 4) == 0);
	CHECK_EQ(seabios_dma(&r, 0x2000, FW_CFG_DMA_SELECT | FW_CFG_DMA_WRITE, 4, 0x3000),
		 FW_CFG_DMA_ERROR);
	pio_read_item(r.fc, FW_CFG_SIGNATURE, buf, 4);
	CHECK(memcmp(buf, "QEMU", 4) == 0);
	/* No operation bit at all: nothing happens, status 0. */
	CHECK_EQ(seabios_dma(&r, 0x2000, 0, 16, 0x3000), 0);
	/* After all that, a normal transfer still works. */
	memset(d, 0, sizeof(d));
	CHECK_EQ(seabios_dma(&r, 0x2000, FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 4, 0x3000), 0);
	REQUIRE(gpa_read(&r.m.mem, 0x3000, buf, 4) == 0);
	CHECK(memcmp(buf, "QEMU", 4) == 0);
	rig_free(&r);
}

struct wr_seen {
	uint32_t off, len;
	int calls;
};

static void on_write(void *opaque, uint32_t off, uint32_t len)
{
	struct wr_seen *w = opaque;
	w->off = off;
	w->len = len;
	w->calls++;
}

TEST(fwcfg_dma_write_to_writable_file)
{
	struct rig r;
	struct wr_seen seen = {0};
	uint8_t init[8] = {0}, buf[8];
	REQUIRE(rig_init(&r, 128 << 20, 1) == 0);
	REQUIRE(fw_cfg_add_file_writable(r.fc, "etc/test-writable", init, 8, on_write,
					 &seen) == 0);
	uint16_t key = find_file(r.fc, "etc/test-writable", NULL);
	REQUIRE(key);

	/* SeaBIOS qemu_cfg_write_file_simple with an offset: select, skip, write. */
	memcpy(buf, "\x11\x22\x33\x44", 4);
	REQUIRE(gpa_write(&r.m.mem, 0x3000, buf, 4) == 0);
	CHECK_EQ(seabios_dma(&r, 0x2000, ((uint32_t)key << 16) | FW_CFG_DMA_SELECT |
				   FW_CFG_DMA_SKIP, 2, 0), 0);
	CHECK_EQ(seabios_dma(&r, 0x2000, FW_CFG_DMA_WRITE, 4, 0x3000), 0);
	CHECK_EQ(seen.calls, 1);
	CHECK_EQ(seen.off, 2);
	CHECK_EQ(seen.len, 4);
	size_t len = 0;
	const uint8_t *data = fw_cfg_file_data(r.fc, "etc/test-writable", &len);
	REQUIRE(data && len == 8);
	CHECK(memcmp(data, "\0\0\x11\x22\x33\x44\0\0", 8) == 0);
	/* A write that would run past the end is refused whole. */
	CHECK_EQ(seabios_dma(&r, 0x2000, ((uint32_t)key << 16) | FW_CFG_DMA_SELECT |
				   FW_CFG_DMA_SKIP, 6, 0), 0);
	CHECK_EQ(seabios_dma(&r, 0x2000, FW_CFG_DMA_WRITE, 4, 0x3000), FW_CFG_DMA_ERROR);
	CHECK(memcmp(data + 6, "\0\0", 2) == 0);
	CHECK_EQ(seen.calls, 1);
	rig_free(&r);
}

TEST(fwcfg_bad_port_accesses_are_ignored)
{
	struct rig r;
	uint8_t b[4];
	REQUIRE(rig_init(&r, 128 << 20, 1) == 0);
	fw_cfg_io_write(r.fc, FW_CFG_PORT_SEL, FW_CFG_SIGNATURE, 2);
	fw_cfg_io_write(r.fc, FW_CFG_PORT_DATA, 0x55, 1);     /* data writes: ignored */
	fw_cfg_io_write(r.fc, FW_CFG_PORT_SEL, 0x1234, 4);    /* wrong width */
	CHECK_EQ(fw_cfg_io_read(r.fc, FW_CFG_PORT_SEL, 2), 0);
	fw_cfg_io_write(r.fc, FW_CFG_PORT_DMA + 2, 0x1000, 2); /* not a DMA trigger */
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)fw_cfg_io_read(r.fc, FW_CFG_PORT_DATA, 1);
	CHECK(memcmp(b, "QEMU", 4) == 0);
	rig_free(&r);
}

TEST(fwcfg_bootorder_lists_ide_disks)
{
	struct rig r;
	char err[256];
	memset(&r, 0, sizeof(r));
	machine_config_init(&r.m.cfg);
	r.m.cfg.cpus = 1;
	r.m.cfg.ndisks = 3;
	r.m.cfg.disks[0].iface = DISK_IF_IDE;
	r.m.cfg.disks[1].iface = DISK_IF_VIRTIO;
	r.m.cfg.disks[2].iface = DISK_IF_IDE;
	bus_init(&r.m.pio, "pio");
	bus_init(&r.m.mmio, "mmio");
	REQUIRE(mem_init(&r.m.mem, 64 << 20) == 0);
	r.fc = fw_cfg_new(&r.m.mem, NULL);
	REQUIRE(r.fc);
	REQUIRE(fw_cfg_pc_populate(r.fc, &r.m, err, sizeof(err)) == 0);
	uint32_t size = 0;
	uint16_t key = find_file(r.fc, "bootorder", &size);
	REQUIRE(key && size < 200);
	char text[200];
	pio_read_item(r.fc, key, (uint8_t *)text, size);
	/* QEMU's spelling for PIIX IDE at 00:01.1: first IDE disk primary
	 * master, second IDE disk primary slave; NUL terminated. */
	CHECK_STR(text, "/pci@i0cf8/ide@1,1/drive@0/disk@0\n/pci@i0cf8/ide@1,1/drive@0/disk@1");
	r.m.cfg.ndisks = 0;
	rig_free(&r);
}

TEST(fwcfg_state_round_trip)
{
	struct rig a, b;
	struct state_writer w;
	struct state_reader rd;
	char name[64];
	uint32_t ver;
	REQUIRE(rig_init(&a, 128 << 20, 1) == 0);
	REQUIRE(rig_init(&b, 128 << 20, 1) == 0);

	/* Mid-read of the signature: "QE" consumed. */
	fw_cfg_io_write(a.fc, FW_CFG_PORT_SEL, FW_CFG_SIGNATURE, 2);
	fw_cfg_io_read(a.fc, FW_CFG_PORT_DATA, 1);
	fw_cfg_io_read(a.fc, FW_CFG_PORT_DATA, 1);
	const struct device_ops *ops = &fw_cfg_device_ops;
	sw_init(&w);
	sw_begin(&w);
	sw_section_begin(&w, "fw_cfg", ops->state_version);
	ops->save(a.fc, &w);
	sw_section_end(&w);
	sw_finish(&w);
	REQUIRE(!w.failed);
	REQUIRE(sr_init(&rd, w.buf, w.len));
	REQUIRE(sr_next_section(&rd, name, sizeof(name), &ver));
	ops->load(b.fc, &rd, ver);
	CHECK(sr_ok(&rd));
	CHECK_EQ(fw_cfg_io_read(b.fc, FW_CFG_PORT_DATA, 1), 'M');
	CHECK_EQ(fw_cfg_io_read(b.fc, FW_CFG_PORT_DATA, 1), 'U');
	/* Reset selects the signature again. */
	ops->reset(b.fc);
	CHECK_EQ(fw_cfg_io_read(b.fc, FW_CFG_PORT_DATA, 1), 'Q');
	sw_free(&w);
	rig_free(&a);
	rig_free(&b);
}

/* Random guest traffic on every fw_cfg port (selects, data reads, DMA
 * triggers with random descriptors pointing into and far outside RAM), then
 * a reset: nothing crashes (run it under SAN=address for host memory
 * safety) and the device works as before. Guest RAM itself may be
 * scribbled on: the guest asked for it. */
TEST(fwcfg_random_port_traffic)
{
	struct rig r;
	uint64_t seed = 0x9E3779B97F4A7C15ULL;
	uint8_t b[4];
	REQUIRE(rig_init(&r, 16 << 20, 1) == 0);

	for (int i = 0; i < 100000; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		uint16_t port = (uint16_t)(FW_CFG_PORT_SEL + (seed % 12));
		unsigned size = 1u << ((seed >> 8) % 3);
		uint32_t v = (uint32_t)(seed >> 24);
		switch ((seed >> 4) % 4) {
		case 0:
			fw_cfg_io_read(r.fc, port, size);
			break;
		case 1:
			fw_cfg_io_write(r.fc, port, v, size);
			break;
		case 2: {
			/* A descriptor in RAM below 0x8000 with random contents. */
			uint8_t d[16];
			for (int k = 0; k < 16; k++)
				d[k] = (uint8_t)(seed >> (k * 3));
			/* keep data transfers below 0x8000 or outside RAM */
			d[8] = d[9] = d[10] = d[11] = d[12] = d[13] = 0;
			d[14] &= 0x7F;
			if (seed & 1)
				d[8] = 0xFF;            /* far outside RAM */
			d[4] = d[5] = 0;                /* length < 64 KiB */
			uint64_t at = (seed >> 32) % (0x8000 - 16);
			if (gpa_write(&r.m.mem, at, d, 16) == 0)
				fw_cfg_io_write(r.fc, FW_CFG_PORT_DMA + 4, bswap32_t((uint32_t)at), 4);
			break;
		}
		default:
			fw_cfg_io_write(r.fc, FW_CFG_PORT_DMA + 4, v, 4);
			break;
		}
	}
	fw_cfg_device_ops.reset(r.fc);
	pio_read_item(r.fc, FW_CFG_SIGNATURE, b, 4);
	CHECK(memcmp(b, "QEMU", 4) == 0);
	CHECK_EQ(seabios_dma(&r, 0x2000, FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 4, 0x3000), 0);
	rig_free(&r);
}
