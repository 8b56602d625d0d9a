/*
 * Hostile guest traffic against the chipset: random widths, offsets and
 * values on every port the chipset and the IDE function decode, random
 * configuration writes, random IDE commands and DMA programming. Nothing
 * may crash or touch host memory (run it under SAN=address), and after a
 * machine reset the chipset must enumerate and the disk must read right.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"
#include "pc_fixture.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned poweroffs;
static void count_power_off(void *opaque) { poweroffs++; }

TEST(pci_random_traffic_then_reset)
{
	static const struct { uint16_t base, len; } ranges[] = {
		{ 0xcf8, 8 }, { 0x1f0, 8 }, { 0x3f6, 1 }, { 0x170, 8 }, { 0x376, 1 },
		{ 0xc000, 16 }, { 0xb000, 64 }, { 0xafe0, 4 }, { 0xb2, 2 }, { 0xb100, 16 },
	};
	char path[] = "/tmp/nyx-robust-XXXXXX";
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	uint8_t sector[512];
	for (unsigned i = 0; i < 512; i++)
		sector[i] = i * 3;
	for (unsigned s = 0; s < 256; s++)
		REQUIRE(write(fd, sector, 512) == 512);
	close(fd);

	struct fixture f;
	char err[256];
	REQUIRE(fixture_machine(&f) != NULL);
	f.m->cfg.disks[0] = (struct disk_config){ .path = path, .iface = DISK_IF_IDE };
	f.m->cfg.ndisks = 1;
	REQUIRE(fixture_chipset(&f, err, sizeof(err)));
	f.cs->pm.power_off = count_power_off;
	/* Give the random traffic something mapped to hit. */
	cfg_write(&f, PCI_DEVFN(1, 1), 0x20, 4, 0xc001);
	cfg_write(&f, PCI_DEVFN(1, 1), 0x04, 2, 7);
	cfg_write(&f, PCI_DEVFN(1, 3), 0x40, 4, 0xb001);
	cfg_write(&f, PCI_DEVFN(1, 3), 0x80, 1, 1);
	cfg_write(&f, PCI_DEVFN(1, 3), 0x90, 4, 0xb101);
	cfg_write(&f, PCI_DEVFN(1, 3), 0xd2, 1, 1);

	static const unsigned sizes[] = { 1, 2, 4, 8, 3 };
	for (unsigned i = 0; i < 200000; i++) {
		uint64_t r = next();
		unsigned k = r % (sizeof(ranges) / sizeof(ranges[0]));
		uint16_t port = ranges[k].base + (r >> 8) % ranges[k].len;
		unsigned size = sizes[(r >> 16) % 5];
		uint64_t v = next();
		if (k == 0 && (r >> 20) % 4 == 0)      /* aim config cycles at our functions */
			v = 0x80000000u | (8 + (v & 7)) << 8 | ((v >> 8) & 0xfc);
		if (k == 1 && (r >> 22) % 8 == 0)      /* and at real ATA commands */
			v = (uint8_t[]){ 0x20, 0x30, 0xc8, 0xca, 0x25, 0xec, 0xc6, 0xc4, 0x90, 0xef,
					 0x91, 0x24, 0x35 }[v % 13];
		if ((r >> 24) & 1) {
			uint64_t x;
			bus_read(&f.m->pio, port, size, &x);
		} else {
			bus_write(&f.m->pio, port, size, v);
		}
	}

	/* Machine reset: the chipset comes back to its datasheet state. */
	pc_chipset_reset(f.cs);
	CHECK_EQ(cfg_read(&f, PCI_DEVFN(0, 0), 0, 4), 0x12378086);
	CHECK_EQ(cfg_read(&f, PCI_DEVFN(1, 0), 0x60, 4), 0x80808080);
	CHECK_EQ(cfg_read(&f, PCI_DEVFN(1, 1), 0x20, 4), 0x00000001);
	CHECK_EQ(cfg_read(&f, PCI_DEVFN(1, 3), 0x40, 4), 0x00000001);
	uint8_t b = 0;
	CHECK_EQ(gpa_write(&f.m->mem, 0xf0000, &b, 1), 0);   /* PAM writable again */
	/* The disk still reads what the file holds (the traffic may have
	 * written sectors: compare against the file itself). */
	outp(&f, 0x1f6, 1, 0xe0);
	outp(&f, 0x1f2, 1, 1);
	outp(&f, 0x1f3, 1, 200);
	outp(&f, 0x1f4, 1, 0);
	outp(&f, 0x1f5, 1, 0);
	outp(&f, 0x1f7, 1, 0x20);
	CHECK_EQ(inp(&f, 0x1f7, 1), 0x58);
	fd = open(path, O_RDONLY);
	REQUIRE(pread(fd, sector, 512, 200 * 512) == 512);
	close(fd);
	bool same = true;
	for (unsigned i = 0; i < 256; i++)
		same &= inp(&f, 0x1f0, 2) == (uint16_t)(sector[2 * i] | sector[2 * i + 1] << 8);
	CHECK(same);
	fixture_fini(&f);
	unlink(path);
}
