/*
 * ACPI tables: structure, checksums and field values checked against the
 * ACPI specification's table layouts (offsets from the spec, values from
 * the PIIX4 / QEMU i440FX conventions), plus the independent oracle: the
 * tables are written to files and disassembled with iasl (Debian's
 * acpica-tools), which must accept them and show the expected objects.
 */
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acpi/acpi.h"
#include "core/memory.h"

#define TABLES_ADDR 0x07FE0000ULL
#define RSDP_ADDR 0x000F5000ULL

static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s;
}

struct placed {
	struct acpi_build b;
	uint8_t *t;
	uint8_t rsdp[36];
};

static int place_cfg(struct placed *p, const struct acpi_config *c)
{
	if (acpi_build(c, &p->b))
		return -1;
	p->t = malloc(p->b.tables.len);
	if (!p->t || p->b.rsdp.len != 36)
		return -1;
	return acpi_place(&p->b, p->t, TABLES_ADDR, p->rsdp, RSDP_ADDR);
}

static int place(struct placed *p, unsigned ncpus, uint64_t below_4g, uint64_t above_4g)
{
	struct acpi_config c;
	acpi_config_pc(&c, ncpus, below_4g, above_4g);
	return place_cfg(p, &c);
}

static void unplace(struct placed *p)
{
	free(p->t);
	acpi_build_free(&p->b);
}

/* The table at guest address a, or NULL if outside the blob. */
static const uint8_t *at(const struct placed *p, uint64_t a)
{
	if (a < TABLES_ADDR || a + 36 > TABLES_ADDR + p->b.tables.len)
		return NULL;
	return p->t + (a - TABLES_ADDR);
}

static int table_ok(const struct placed *p, const uint8_t *t, const char *sig)
{
	if (!t || memcmp(t, sig, 4))
		return 0;
	uint32_t len = (uint32_t)rd(t + 4, 4);
	if ((size_t)(t - p->t) + len > p->b.tables.len)
		return 0;
	return sum8(t, len) == 0;
}

TEST(acpi_rsdp_and_root_tables)
{
	struct placed p;
	REQUIRE(place(&p, 2, 128 << 20, 0) == 0);
	const uint8_t *r = p.rsdp;

	CHECK(memcmp(r, "RSD PTR ", 8) == 0);
	CHECK_EQ(sum8(r, 20), 0);          /* ACPI 1.0 checksum */
	CHECK_EQ(sum8(r, 36), 0);          /* extended checksum */
	CHECK_EQ(r[15], 2);                /* revision: has XSDT */
	CHECK_EQ(rd(r + 20, 4), 36);

	const uint8_t *rsdt = at(&p, rd(r + 16, 4));
	const uint8_t *xsdt = at(&p, rd(r + 24, 8));
	REQUIRE(table_ok(&p, rsdt, "RSDT"));
	REQUIRE(table_ok(&p, xsdt, "XSDT"));
	unsigned n = (unsigned)(rd(rsdt + 4, 4) - 36) / 4;
	CHECK_EQ(n, (rd(xsdt + 4, 4) - 36) / 8);
	const char *want[] = {"FACP", "APIC", "HPET"};
	CHECK_EQ(n, 3);
	for (unsigned i = 0; i < n && i < 3; i++) {
		uint64_t a32 = rd(rsdt + 36 + 4 * i, 4), a64 = rd(xsdt + 36 + 8 * i, 8);
		CHECK_EQ(a32, a64);
		CHECK(table_ok(&p, at(&p, a32), want[i]));
	}
	unplace(&p);
}

TEST(acpi_fadt_fields)
{
	struct placed p;
	struct acpi_config c;
	/* The PM block where SeaBIOS puts it once it sees etc/table-loader
	 * (fw_cfg_pc.c rebuilds the FADT for wherever firmware put it). */
	acpi_config_pc(&c, 1, 128 << 20, 0);
	c.pm_base = 0x600;
	REQUIRE(place_cfg(&p, &c) == 0);
	const uint8_t *rsdt = at(&p, rd(p.rsdp + 16, 4));
	REQUIRE(rsdt);
	const uint8_t *f = at(&p, rd(rsdt + 36, 4));
	REQUIRE(table_ok(&p, f, "FACP"));

	CHECK_EQ(rd(f + 4, 4), 244);       /* revision 3 layout */
	CHECK_EQ(f[8], 3);
	const uint8_t *facs = at(&p, rd(f + 36, 4));
	REQUIRE(facs);
	CHECK(memcmp(facs, "FACS", 4) == 0);
	CHECK_EQ(rd(facs + 4, 4), 64);
	CHECK_EQ(rd(f + 36, 4) % 64, 0);   /* FACS must be 64-byte aligned */
	uint64_t dsdt = rd(f + 40, 4);
	CHECK(table_ok(&p, at(&p, dsdt), "DSDT"));
	CHECK_EQ(rd(f + 140, 8), dsdt);    /* X_DSDT */
	CHECK_EQ(rd(f + 46, 2), 9);        /* SCI_INT */
	CHECK_EQ(rd(f + 48, 4), 0xB2);     /* SMI_CMD */
	CHECK_EQ(f[52], 0xF1);             /* ACPI_ENABLE */
	CHECK_EQ(f[53], 0xF0);             /* ACPI_DISABLE */
	CHECK_EQ(rd(f + 56, 4), 0x600);    /* PM1a_EVT_BLK */
	CHECK_EQ(rd(f + 64, 4), 0x604);    /* PM1a_CNT_BLK */
	CHECK_EQ(rd(f + 76, 4), 0x608);    /* PM_TMR_BLK */
	CHECK_EQ(rd(f + 80, 4), 0xAFE0);   /* GPE0_BLK */
	CHECK_EQ(f[88], 4);                /* PM1_EVT_LEN */
	CHECK_EQ(f[89], 2);                /* PM1_CNT_LEN */
	CHECK_EQ(f[91], 4);                /* PM_TMR_LEN */
	CHECK_EQ(f[92], 4);                /* GPE0_BLK_LEN */
	CHECK_EQ(f[108], 0x32);            /* CENTURY */
	CHECK(rd(f + 109, 2) & 2);         /* IAPC_BOOT_ARCH: 8042 */
	uint32_t flags = (uint32_t)rd(f + 112, 4);
	CHECK(flags & (1u << 0));          /* WBINVD */
	CHECK(flags & (1u << 10));         /* RESET_REG_SUP */
	CHECK_EQ(f[116], 1);               /* RESET_REG in system I/O */
	CHECK_EQ(rd(f + 120, 8), 0xCF9);
	CHECK_EQ(f[128], 0x06);            /* RESET_VALUE */
	CHECK_EQ(f[148], 1);               /* X_PM1a_EVT_BLK: I/O, 32 bits */
	CHECK_EQ(f[149], 32);
	CHECK_EQ(rd(f + 152, 8), 0x600);
	CHECK_EQ(rd(f + 212, 8), 0x608);   /* X_PM_TMR_BLK address */
	unplace(&p);
}

TEST(acpi_madt_entries)
{
	struct placed p;
	REQUIRE(place(&p, 4, 128 << 20, 0) == 0);
	const uint8_t *rsdt = at(&p, rd(p.rsdp + 16, 4));
	REQUIRE(rsdt);
	const uint8_t *m = at(&p, rd(rsdt + 40, 4));
	REQUIRE(table_ok(&p, m, "APIC"));
	CHECK_EQ(rd(m + 36, 4), 0xFEE00000);
	CHECK_EQ(rd(m + 40, 4) & 1, 1);    /* PCAT_COMPAT: 8259s present */

	unsigned len = (unsigned)rd(m + 4, 4), lapics = 0, ioapics = 0, nmis = 0;
	int irq0_gsi = -1, sci_flags = -1;
	for (unsigned o = 44; o + 2 <= len; o += m[o + 1]) {
		REQUIRE(m[o + 1] >= 2);
		switch (m[o]) {
		case 0:
			CHECK_EQ(m[o + 3], lapics);        /* APIC ids 0..n-1 */
			CHECK_EQ(rd(m + o + 4, 4) & 1, 1); /* enabled */
			lapics++;
			break;
		case 1:
			CHECK_EQ(rd(m + o + 4, 4), 0xFEC00000);
			CHECK_EQ(rd(m + o + 8, 4), 0);
			ioapics++;
			break;
		case 2:
			if (m[o + 3] == 0)
				irq0_gsi = (int)rd(m + o + 4, 4);
			if (m[o + 3] == 9)
				sci_flags = (int)rd(m + o + 8, 2);
			break;
		case 4:
			CHECK_EQ(m[o + 5], 1);             /* LINT1 */
			nmis++;
			break;
		}
	}
	CHECK_EQ(lapics, 4);
	CHECK_EQ(ioapics, 1);
	CHECK_EQ(nmis, 1);
	CHECK_EQ(irq0_gsi, 2);                     /* PIT on IOAPIC pin 2 */
	CHECK_EQ(sci_flags, 0x0D);                 /* level, active high */
	unplace(&p);
}

TEST(acpi_loader_script_shape)
{
	struct placed p;
	REQUIRE(place(&p, 1, 128 << 20, 0) == 0);
	const uint8_t *s = p.b.loader.cmds.buf;
	size_t len = p.b.loader.cmds.len;

	CHECK_EQ(len % 128, 0);
	/* The RSDP goes to the F segment (16-byte aligned), the tables high
	 * (64-byte aligned for the FACS), before any other command. */
	CHECK_EQ(rd(s, 4), 1);
	CHECK_STR((const char *)s + 4, "etc/acpi/rsdp");
	CHECK_EQ(rd(s + 60, 4), 16);
	CHECK_EQ(s[64], 2);
	CHECK_EQ(rd(s + 128, 4), 1);
	CHECK_STR((const char *)s + 132, "etc/acpi/tables");
	CHECK_EQ(rd(s + 188, 4), 64);
	CHECK_EQ(s[192], 1);
	unplace(&p);
}

TEST(acpi_loader_rejects_bad_scripts)
{
	uint8_t data[16] = {0};
	struct acpi_loader_file f = {"etc/x", data, sizeof(data), 0x1000};
	struct acpi_loader l;

	/* A pointer patch past the end of its file. */
	acpi_loader_init(&l);
	acpi_loader_add_pointer(&l, "etc/x", "etc/x", 12, 8);
	CHECK(acpi_loader_apply(l.cmds.buf, l.cmds.len, &f, 1) != 0);
	acpi_loader_free(&l);
	/* A checksum range past the end. */
	acpi_loader_init(&l);
	acpi_loader_add_checksum(&l, "etc/x", 0, 8, 9);
	CHECK(acpi_loader_apply(l.cmds.buf, l.cmds.len, &f, 1) != 0);
	acpi_loader_free(&l);
	/* An unknown file and a truncated script. */
	acpi_loader_init(&l);
	acpi_loader_add_pointer(&l, "etc/x", "etc/nope", 0, 4);
	CHECK(acpi_loader_apply(l.cmds.buf, l.cmds.len, &f, 1) != 0);
	CHECK(acpi_loader_apply(l.cmds.buf, 100, &f, 1) != 0);
	acpi_loader_free(&l);
	/* A 4-byte pointer cannot hold an address above 4 GiB. */
	f.addr = 0x100000000ULL;
	acpi_loader_init(&l);
	acpi_loader_add_pointer(&l, "etc/x", "etc/x", 0, 4);
	CHECK(acpi_loader_apply(l.cmds.buf, l.cmds.len, &f, 1) != 0);
	acpi_loader_free(&l);
}

TEST(acpi_build_rejects_bad_config)
{
	struct acpi_config c;
	struct acpi_build b;
	acpi_config_pc(&c, 0, 128 << 20, 0);
	CHECK_EQ(acpi_build(&c, &b), -EINVAL);
	acpi_config_pc(&c, 256, 128 << 20, 0);
	CHECK_EQ(acpi_build(&c, &b), -EINVAL);
	acpi_config_pc(&c, 1, 0xFEC00000, 0);    /* no room for a PCI window */
	CHECK_EQ(acpi_build(&c, &b), -EINVAL);
}

/* ---- iasl: the independent oracle ---- */

static int write_file(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(p, 1, n, f);
	return fclose(f) == 0 && w == n ? 0 : -1;
}

static char *read_text(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	if (s)
		s[n] = 0;
	fclose(f);
	return s;
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Runs a command in dir; its exit status, or -1. */
static int run_in(const char *dir, const char *cmd)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "cd '%s' && %s >iasl.log 2>&1", dir, cmd);
	int st = system(buf);
	return st == -1 ? -1 : WEXITSTATUS(st);
}

/* Dumps every table (after linking) to dir as NAME.dat, ready for iasl. */
static int dump_tables(const struct placed *p, const char *dir)
{
	const uint8_t *rsdt = at(p, rd(p->rsdp + 16, 4));
	if (!rsdt)
		return -1;
	const uint8_t *fadt = at(p, rd(rsdt + 36, 4));
	if (!fadt)
		return -1;
	const uint8_t *dsdt = at(p, rd(fadt + 40, 4));
	const uint8_t *madt = at(p, rd(rsdt + 40, 4));
	const uint8_t *hpet = at(p, rd(rsdt + 44, 4));
	if (!dsdt || !madt || !hpet)
		return -1;
	return write_file(dir, "dsdt.dat", dsdt, rd(dsdt + 4, 4)) ||
	       write_file(dir, "facp.dat", fadt, rd(fadt + 4, 4)) ||
	       write_file(dir, "apic.dat", madt, rd(madt + 4, 4)) ||
	       write_file(dir, "hpet.dat", hpet, rd(hpet + 4, 4)) ||
	       write_file(dir, "rsdt.dat", rsdt, rd(rsdt + 4, 4)) ? -1 : 0;
}

TEST(acpi_iasl_disassembles_dsdt)
{
	struct placed p;
	char dir[] = "/tmp/nyx-acpi-XXXXXX";
	REQUIRE(place(&p, 3, 0xC0000000ULL, 1ULL << 30) == 0);
	REQUIRE(mkdtemp(dir));
	REQUIRE(dump_tables(&p, dir) == 0);

	/* iasl must accept the table and produce ASL ... */
	CHECK_EQ(run_in(dir, "iasl -d dsdt.dat"), 0);
	char *dsl = read_text(dir, "dsdt.dsl");
	REQUIRE(dsl);
	CHECK(strstr(dsl, "Device (PCI0)"));
	CHECK(strstr(dsl, "EisaId (\"PNP0A03\")"));
	CHECK(strstr(dsl, "Name (_PRT, Package (0x80)"));
	for (int i = 0; i < 4; i++) {
		char dev[32];
		snprintf(dev, sizeof(dev), "Device (LNK%c)", 'A' + i);
		CHECK(strstr(dsl, dev));
	}
	CHECK(strstr(dsl, "EisaId (\"PNP0C0F\")"));
	CHECK(strstr(dsl, "OperationRegion (PIRQ, PCI_Config, 0x60, 0x04)"));
	CHECK(strstr(dsl, "_S5, Package (0x04)"));
	CHECK(strstr(dsl, "Device (COM1)"));
	CHECK(strstr(dsl, "Device (COM2)"));
	CHECK_EQ(count_of(dsl, "EisaId (\"PNP0501\")"), 2);
	CHECK(strstr(dsl, "EisaId (\"PNP0B00\")"));   /* RTC */
	CHECK(strstr(dsl, "EisaId (\"PNP0303\")"));   /* keyboard */
	CHECK(strstr(dsl, "EisaId (\"PNP0F13\")"));   /* mouse */
	CHECK(strstr(dsl, "EisaId (\"PNP0103\")"));   /* HPET */
	CHECK_EQ(count_of(dsl, "\"ACPI0007\""), 3);   /* one per vCPU */
	/* The 32-bit PCI window starts where RAM below 4 GiB ends. */
	CHECK(strstr(dsl, "0xC0000000,         // Range Minimum"));
	CHECK(strstr(dsl, "0xFEBFFFFF,         // Range Maximum"));
	/* ... and the ASL must compile back without errors. */
	CHECK_EQ(run_in(dir, "iasl -p recompiled dsdt.dsl"), 0);
	char *log = read_text(dir, "iasl.log");
	CHECK(log && strstr(log, " 0 Errors, 0 Warnings"));
	free(log);
	free(dsl);
	unplace(&p);
	run_in(dir, "rm -f *.dat *.dsl *.aml iasl.log");
	rmdir(dir);
}

TEST(acpi_iasl_decodes_fadt_madt_hpet)
{
	struct placed p;
	struct acpi_config c;
	char dir[] = "/tmp/nyx-acpi-XXXXXX";
	acpi_config_pc(&c, 2, 128 << 20, 0);
	c.pm_base = 0x600;
	REQUIRE(place_cfg(&p, &c) == 0);
	REQUIRE(mkdtemp(dir));
	REQUIRE(dump_tables(&p, dir) == 0);

	CHECK_EQ(run_in(dir, "iasl -d facp.dat apic.dat hpet.dat rsdt.dat"), 0);
	char *f = read_text(dir, "facp.dsl");
	char *m = read_text(dir, "apic.dsl");
	char *h = read_text(dir, "hpet.dsl");
	REQUIRE(f && m && h);
	CHECK(strstr(f, "SCI Interrupt : 0009"));
	CHECK(strstr(f, "SMI Command Port : 000000B2"));
	CHECK(strstr(f, "PM1A Event Block Address : 00000600"));
	CHECK(strstr(f, "PM Timer Block Address : 00000608"));
	CHECK(strstr(f, "Reset Register Supported (V2) : 1"));
	CHECK(strstr(f, "Address : 0000000000000CF9"));
	CHECK(strstr(f, "Value to cause reset : 06"));
	CHECK(!strstr(f, "Invalid"));
	CHECK_EQ(count_of(m, "Subtable Type : 00 [Processor Local APIC]"), 2);
	CHECK(strstr(m, "Local Apic ID : 01"));
	CHECK(strstr(m, "Subtable Type : 01 [I/O APIC]"));
	CHECK(strstr(m, "Address : FEC00000"));
	CHECK(strstr(m, "Subtable Type : 04 [Local APIC NMI]"));
	CHECK(strstr(h, "Address : 00000000FED00000"));
	CHECK(!strstr(m, "Invalid") && !strstr(h, "Invalid"));
	free(f);
	free(m);
	free(h);
	unplace(&p);
	run_in(dir, "rm -f *.dat *.dsl iasl.log");
	rmdir(dir);
}

TEST(acpi_install_into_guest_ram)
{
	struct guest_mem mem;
	struct acpi_config c;
	struct acpi_build b;
	uint8_t r[36], hdr[36];
	REQUIRE(mem_init(&mem, 64 << 20) == 0);
	acpi_config_pc(&c, 2, mem.below_4g, mem.above_4g);
	REQUIRE(acpi_build(&c, &b) == 0);

	/* Tables high in RAM, RSDP in the BIOS area where OSes scan for it. */
	uint64_t tables = (64 << 20) - 0x10000;
	CHECK_EQ(acpi_install(&mem, &b, tables, 0xE0000), 0);
	REQUIRE(gpa_read(&mem, 0xE0000, r, 36) == 0);
	CHECK(memcmp(r, "RSD PTR ", 8) == 0);
	CHECK_EQ(sum8(r, 20), 0);
	CHECK_EQ(sum8(r, 36), 0);
	uint64_t xsdt = rd(r + 24, 8);
	REQUIRE(gpa_read(&mem, xsdt, hdr, 36) == 0);
	CHECK(memcmp(hdr, "XSDT", 4) == 0);
	uint32_t len = (uint32_t)rd(hdr + 4, 4);
	uint8_t *x = malloc(len);
	REQUIRE(x && gpa_read(&mem, xsdt, x, len) == 0);
	CHECK_EQ(sum8(x, len), 0);
	for (uint32_t o = 36; o + 8 <= len; o += 8) {
		uint64_t a = rd(x + o, 8);
		CHECK(a >= tables && a < tables + b.tables.len);
		REQUIRE(gpa_read(&mem, a, hdr, 36) == 0);
		uint32_t tl = (uint32_t)rd(hdr + 4, 4);
		uint8_t *t = malloc(tl);
		REQUIRE(t && gpa_read(&mem, a, t, tl) == 0);
		CHECK_EQ(sum8(t, tl), 0);
		free(t);
	}
	free(x);
	/* Outside RAM, or where a 32-bit pointer cannot reach: refused. */
	CHECK(acpi_install(&mem, &b, 0xF0000000ULL, 0xE0000) != 0);
	acpi_build_free(&b);
	mem_destroy(&mem);
}
