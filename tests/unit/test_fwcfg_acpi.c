/*
 * fw_cfg + chipset: the FADT firmware reads describes the PIIX4 PM block
 * where that firmware put it (PMBA), as on QEMU: SeaBIOS moves it to 0x600
 * when it finds etc/table-loader (src/fw/paravirt.c), OVMF programs 0xB000
 * (PcdAcpiPmBaseAddress). Config cycles go through ports 0xCF8/0xCFC.
 */
#include "harness.h"

#include "acpi/acpi.h"
#include "hw/pc/fw_cfg.h"
#include "hw/pci/piix4_pm.h"
#include "pc_fixture.h"

static uint64_t rd_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Selects etc/acpi/tables through the ports and reads it whole; returns
 * the FADT's offset in buf, or -1. */
static long read_fadt(struct fw_cfg *fc, uint8_t *buf, size_t cap)
{
	uint8_t cnt[4], e[64];
	uint16_t key = 0;
	uint32_t size = 0;

	fw_cfg_io_write(fc, FW_CFG_PORT_SEL, FW_CFG_FILE_DIR, 2);
	for (int i = 0; i < 4; i++)
		cnt[i] = (uint8_t)fw_cfg_io_read(fc, FW_CFG_PORT_DATA, 1);
	uint32_t n = (uint32_t)cnt[0] << 24 | cnt[1] << 16 | cnt[2] << 8 | cnt[3];
	for (uint32_t i = 0; i < n; i++) {
		for (int j = 0; j < 64; j++)
			e[j] = (uint8_t)fw_cfg_io_read(fc, FW_CFG_PORT_DATA, 1);
		if (!strcmp((char *)e + 8, "etc/acpi/tables")) {
			size = (uint32_t)e[0] << 24 | e[1] << 16 | e[2] << 8 | e[3];
			key = (uint16_t)(e[4] << 8 | e[5]);
		}
	}
	if (!key || size > cap)
		return -1;
	fw_cfg_io_write(fc, FW_CFG_PORT_SEL, key, 2);
	for (uint32_t i = 0; i < size; i++)
		buf[i] = (uint8_t)fw_cfg_io_read(fc, FW_CFG_PORT_DATA, 1);
	for (uint32_t o = 0; o + 244 <= size; o += 4)
		if (!memcmp(buf + o, "FACP", 4))
			return o;
	return -1;
}

TEST(fwcfg_fadt_follows_firmware_pm_base)
{
	struct fixture f;
	char err[256];
	static uint8_t buf[65536];
	unsigned pm = PCI_DEVFN(PIIX4_PM_DEV, PIIX4_PM_FN);

	REQUIRE(fixture_init(&f) == 0);
	f.m->cfg.cpus = 1;
	struct fw_cfg *fc = fw_cfg_new(&f.m->mem, NULL);
	REQUIRE(fc);
	REQUIRE(fw_cfg_pc_populate(fc, f.m, err, sizeof(err)) == 0);

	/* OVMF: PMBA = 0xB000 (bit 0 reads as I/O), then PMREGMISC enable. */
	cfg_write(&f, pm, 0x40, 4, 0xB000 | 1);
	cfg_write(&f, pm, 0x80, 1, 1);
	long o = read_fadt(fc, buf, sizeof(buf));
	REQUIRE(o >= 0);
	CHECK_EQ(rd_le(buf + o + 56, 4), 0xB000);     /* PM1a_EVT_BLK */
	CHECK_EQ(rd_le(buf + o + 64, 4), 0xB004);     /* PM1a_CNT_BLK */
	CHECK_EQ(rd_le(buf + o + 76, 4), 0xB008);     /* PM_TMR_BLK */
	CHECK_EQ(rd_le(buf + o + 152, 8), 0xB000);    /* X_PM1a_EVT_BLK */

	/* SeaBIOS with etc/table-loader present: 0x600. */
	cfg_write(&f, pm, 0x40, 4, 0x600 | 1);
	o = read_fadt(fc, buf, sizeof(buf));
	REQUIRE(o >= 0);
	CHECK_EQ(rd_le(buf + o + 56, 4), 0x600);
	CHECK_EQ(rd_le(buf + o + 76, 4), 0x608);
	CHECK_EQ(rd_le(buf + o + 212, 8), 0x608);    /* X_PM_TMR_BLK */

	fw_cfg_free(fc);
	fixture_fini(&f);
}

TEST(acpi_direct_boot_install)
{
	struct fixture f;
	char err[256];
	uint8_t r[36], t[244];
	uint64_t rsdp = 0;
	uint64_t v;

	/* A direct kernel boot: the chipset is programmed as firmware would
	 * (hw/pci); the tables must describe the PM block where it is. */
	REQUIRE(fixture_machine(&f));
	f.m->cfg.cpus = 2;
	f.m->cfg.kernel = "vmlinux";
	REQUIRE(fixture_chipset(&f, err, sizeof(err)));
	REQUIRE(acpi_direct_install(f.m, &rsdp) == 0);
	/* The top 64 KiB below the PCI hole (16 MiB of RAM here). */
	CHECK_EQ(rsdp, (16 << 20) - 0x10000);
	REQUIRE(gpa_read(&f.m->mem, rsdp, r, 36) == 0);
	CHECK(memcmp(r, "RSD PTR ", 8) == 0);
	uint8_t s = 0;
	for (int i = 0; i < 36; i++)
		s += r[i];
	CHECK_EQ(s, 0);
	/* XSDT -> FADT -> the PM timer, which answers at that port. */
	uint64_t xsdt = rd_le(r + 24, 8);
	REQUIRE(gpa_read(&f.m->mem, xsdt, t, 44) == 0);
	CHECK(memcmp(t, "XSDT", 4) == 0);
	uint64_t fadt = rd_le(t + 36, 8);
	CHECK(fadt > rsdp && fadt < (16 << 20));
	REQUIRE(gpa_read(&f.m->mem, fadt, t, 244) == 0);
	CHECK(memcmp(t, "FACP", 4) == 0);
	uint32_t pmba = cfg_read(&f, PCI_DEVFN(PIIX4_PM_DEV, PIIX4_PM_FN), 0x40, 4) & 0xFFC0;
	CHECK(pmba != 0);
	CHECK_EQ(rd_le(t + 56, 4), pmba);
	CHECK_EQ(rd_le(t + 76, 4), pmba + 8);
	CHECK(bus_read(&f.m->pio, (uint16_t)(pmba + 8), 4, &v));
	f.m->cfg.kernel = NULL;
	fixture_fini(&f);
}

/* Capabilities low half of the HPET (IA-PC HPET 1.0a 2.3.4): vendor
 * 8086, legacy capable, 64-bit, 3 timers, revision 1; the table copies it. */
static uint64_t hpet_read(void *opaque, uint64_t off, unsigned size)
{
	return off == 0 ? 0x8086A201 : 0;
}

static void hpet_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
}

/* The tables list an HPET exactly when the board has one at 0xFED00000. */
TEST(fwcfg_acpi_hpet_only_when_present)
{
	static const struct io_ops ops = {hpet_read, hpet_write};
	static uint8_t buf[65536];
	struct fixture f;
	char err[256];

	for (int with = 0; with < 2; with++) {
		REQUIRE(fixture_init(&f) == 0);
		f.m->cfg.cpus = 1;
		if (with)
			REQUIRE(bus_register(&f.m->mmio, 0xFED00000, 0x400, &ops, NULL, "hpet") == 0);
		struct fw_cfg *fc = fw_cfg_new(&f.m->mem, NULL);
		REQUIRE(fc);
		REQUIRE(fw_cfg_pc_populate(fc, f.m, err, sizeof(err)) == 0);
		long o = read_fadt(fc, buf, sizeof(buf));
		REQUIRE(o >= 0);
		size_t len = 0;
		const uint8_t *t = fw_cfg_file_data(fc, "etc/acpi/tables", &len);
		REQUIRE(t);
		int found = 0;
		for (size_t i = 0; i + 4 <= len; i += 4)
			found |= !memcmp(t + i, "HPET", 4) && rd_le(t + i + 36, 4) == 0x8086A201;
		CHECK_EQ(found, with);
		fw_cfg_free(fc);
		fixture_fini(&f);
	}
}

/* The host bridge's 64-bit window in the DSDT: the QWord Address Space
 * Descriptor of type memory (ACPI 6.4 section 6.4.3.5.1: tag 0x8A, length
 * 43, resource type 0; minimum at +14, maximum at +22). */
static int dsdt_mem64_window(const uint8_t *t, size_t len, uint64_t *min, uint64_t *max)
{
	int n = 0;
	for (size_t i = 0; i + 46 <= len; i++) {
		if (t[i] != 0x8A || t[i + 1] != 43 || t[i + 2] != 0 || t[i + 3] != 0)
			continue;
		*min = rd_le(t + i + 14, 8);
		*max = rd_le(t + i + 22, 8);
		n++;
	}
	return n;
}

static uint64_t bar_read(void *o, uint64_t off, unsigned size) { return 0; }
static void bar_write(void *o, uint64_t off, uint64_t v, unsigned size) {}

/*
 * OVMF places 64-bit BARs in its own aperture (32 GiB up on a small guest)
 * and fetches the tables before it enables memory decoding: the _CRS
 * window must still contain them, or Linux reports "can't claim; no
 * compatible bridge window" and moves the BAR (seen with virtio-blk's BAR
 * 4 at 0x800000000 while the window said 0x100000000-0x17fffffff).
 */
TEST(fwcfg_acpi_mem64_window_covers_firmware_bars)
{
	static const struct io_ops ops = {bar_read, bar_write};
	static uint8_t buf[65536];
	struct fixture f;
	struct pci_device d;
	char err[256];
	uint64_t min = 0, max = 0;
	unsigned fn = PCI_DEVFN(5, 0);

	REQUIRE(fixture_init(&f) == 0);
	f.m->cfg.cpus = 1;
	REQUIRE(pci_device_init(&d, fn, "bar64", 0x1234, 0x0002, 0, 0xff0000, 0, NULL, NULL) == 0);
	REQUIRE(pci_device_set_bar(&d, 4, PCI_BAR_MEM64, true, 0x4000, &ops, &d) == 0);
	REQUIRE(pci_bus_add(f.cs->bus, &d) == 0);
	struct fw_cfg *fc = fw_cfg_new(&f.m->mem, NULL);
	REQUIRE(fc);
	REQUIRE(fw_cfg_pc_populate(fc, f.m, err, sizeof(err)) == 0);
	size_t len = 0;
	const uint8_t *t = fw_cfg_file_data(fc, "etc/acpi/tables", &len);
	REQUIRE(t);

	/* Nothing above 4 GiB yet: 2 GiB from the first GiB boundary above
	 * RAM (no RAM above 4 GiB here), QEMU's i440FX default. */
	REQUIRE(read_fadt(fc, buf, sizeof(buf)) >= 0);
	REQUIRE(dsdt_mem64_window(t, len, &min, &max) == 1);
	CHECK_EQ(min, 0x100000000ULL);
	CHECK_EQ(max, 0x17FFFFFFFULL);

	/* OVMF's placement: BAR 4 at 32 GiB, memory decoding still off. */
	cfg_write(&f, fn, 0x20, 4, 0x0000000c);
	cfg_write(&f, fn, 0x24, 4, 0x00000008);
	REQUIRE(read_fadt(fc, buf, sizeof(buf)) >= 0);
	REQUIRE(dsdt_mem64_window(t, len, &min, &max) == 1);
	CHECK_EQ(min, 0x100000000ULL);
	CHECK_EQ(max, 0x800003FFFULL);
	/* Decoding on changes nothing. */
	cfg_write(&f, fn, 0x04, 2, PCI_COMMAND_MEMORY);
	REQUIRE(bus_owner(&f.m->mmio, 0x800000000ULL) != NULL);
	REQUIRE(read_fadt(fc, buf, sizeof(buf)) >= 0);
	REQUIRE(dsdt_mem64_window(t, len, &min, &max) == 1);
	CHECK_EQ(max, 0x800003FFFULL);

	/* A BAR beyond the CPU's 40 address bits is no memory: ignored. */
	cfg_write(&f, fn, 0x04, 2, 0);
	cfg_write(&f, fn, 0x24, 4, 0x00010000);           /* 2^48 */
	REQUIRE(read_fadt(fc, buf, sizeof(buf)) >= 0);
	REQUIRE(dsdt_mem64_window(t, len, &min, &max) == 1);
	CHECK_EQ(max, 0x17FFFFFFFULL);
	/* Unassigned (0) again: the default window. */
	cfg_write(&f, fn, 0x24, 4, 0);
	REQUIRE(read_fadt(fc, buf, sizeof(buf)) >= 0);
	REQUIRE(dsdt_mem64_window(t, len, &min, &max) == 1);
	CHECK_EQ(min, 0x100000000ULL);
	CHECK_EQ(max, 0x17FFFFFFFULL);

	fw_cfg_free(fc);
	pci_bus_destroy(f.cs->bus);     /* detach the device before it goes out of scope */
	f.cs->bus = NULL;
	f.m->pci = NULL;
	pci_device_free(&d);
	fixture_fini(&f);
}
