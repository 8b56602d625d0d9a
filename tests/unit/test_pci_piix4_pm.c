/*
 * PIIX4 power management as SeaBIOS sets it up (PMBA 0xB000, PMREGMISC,
 * SMBus at 0xB100) and as an ACPI OS uses it: PM timer rate on a fake
 * clock (3.579545 MHz, 24 bits: ACPI 4.7.2.1 and 82371AB 3.5), S5 through
 * PM1_CNT, SCI_EN through the SMI command port, SCI on IRQ 9.
 */
#include "harness.h"
#include "hw/pci/piix4_pm.h"
#include "pc_fixture.h"

#define PM PCI_DEVFN(1, 3)

static uint64_t fake_ns;
static uint64_t fake_clock(void *opaque) { return fake_ns; }
static unsigned poweroffs;
static void fake_power_off(void *opaque) { poweroffs++; }

static int pm_fixture(struct fixture *f)
{
	char err[256];
	if (!fixture_machine(f))
		return -1;
	if (!fixture_chipset(f, err, sizeof(err)))
		return -1;
	f->cs->pm.clock_ns = fake_clock;
	f->cs->pm.power_off = fake_power_off;
	fake_ns = 0;
	poweroffs = 0;
	/* SeaBIOS piix4_pm_setup. */
	cfg_write(f, PM, 0x40, 4, 0xb000 | 1);       /* as SeaBIOS 1.16 logs */
	cfg_write(f, PM, 0x80, 1, 0x01);
	cfg_write(f, PM, 0x90, 4, 0xb100 | 1);
	cfg_write(f, PM, 0xd2, 1, 0x09);
	return 0;
}

TEST(pci_pm_config_and_mapping)
{
	struct fixture f;
	REQUIRE(pm_fixture(&f) == 0);
	CHECK_EQ(cfg_read(&f, PM, 0x40, 4), 0xb001);
	CHECK_STR(bus_owner(&f.m->pio, 0xb008), "piix4-pm");
	CHECK_STR(bus_owner(&f.m->pio, 0xb100), "piix4-smbus");
	/* SMM looks set up already, so SeaBIOS skips its relocation. */
	CHECK_EQ(cfg_read(&f, PM, 0x58, 4) & (1u << 25), 1u << 25);
	/* PMIOSE off: the block disappears. */
	cfg_write(&f, PM, 0x80, 1, 0);
	CHECK(bus_owner(&f.m->pio, 0xb008) == NULL);
	cfg_write(&f, PM, 0x80, 1, 1);
	/* Base bits below bit 6 are not writable (64-byte block). */
	cfg_write(&f, PM, 0x40, 4, 0x1234 | 1);
	CHECK_EQ(cfg_read(&f, PM, 0x40, 4), 0x1201);
	CHECK(bus_owner(&f.m->pio, 0xb008) == NULL);
	CHECK_STR(bus_owner(&f.m->pio, 0x1208), "piix4-pm");
	fixture_fini(&f);
}

TEST(pci_pm_timer_rate)
{
	struct fixture f;
	REQUIRE(pm_fixture(&f) == 0);
	CHECK_EQ(inp(&f, PIIX4_PM_TMR, 4), 0);
	fake_ns = 1000000000ULL;                      /* 1 s = 3579545 ticks */
	CHECK_EQ(inp(&f, PIIX4_PM_TMR, 4), 3579545);
	fake_ns = 1000ULL;                            /* 1 us = 3.58 ticks */
	CHECK_EQ(inp(&f, PIIX4_PM_TMR, 4), 3);
	fake_ns = 5000000000ULL;                      /* 17897725 wraps at 2^24 */
	CHECK_EQ(inp(&f, PIIX4_PM_TMR, 4), 17897725 - 16777216);
	/* 100 hours in: no overflow in the arithmetic. */
	fake_ns = 360000ULL * 1000000000ULL;
	CHECK_EQ(inp(&f, PIIX4_PM_TMR, 4), (360000ULL * 3579545) & 0xffffff);
	/* Byte reads see the same value; writes do not change it. */
	fake_ns = 1000000000ULL;
	CHECK_EQ(inp(&f, PIIX4_PM_TMR + 1, 1), (3579545 >> 8) & 0xff);
	outp(&f, PIIX4_PM_TMR, 4, 0);
	CHECK_EQ(inp(&f, PIIX4_PM_TMR, 4), 3579545);
	/* TMR_STS once bit 23 toggled, cleared by writing one. */
	fake_ns = 0;
	outp(&f, PIIX4_PM1_EVT, 2, 0xffff);
	CHECK_EQ(inp(&f, PIIX4_PM1_EVT, 2) & PIIX4_PM1_TMR, 0);
	fake_ns = 3000000000ULL;                      /* past 2^23 ticks (2.34 s) */
	CHECK_EQ(inp(&f, PIIX4_PM1_EVT, 2) & PIIX4_PM1_TMR, PIIX4_PM1_TMR);
	outp(&f, PIIX4_PM1_EVT, 2, PIIX4_PM1_TMR);
	CHECK_EQ(inp(&f, PIIX4_PM1_EVT, 2) & PIIX4_PM1_TMR, 0);
	fixture_fini(&f);
}

TEST(pci_pm_s5_powers_off)
{
	struct fixture f;
	REQUIRE(pm_fixture(&f) == 0);
	/* SLP_TYP without SLP_EN: nothing happens. */
	outp(&f, PIIX4_PM1_CNT, 2, PIIX4_SLP_TYP_S5 << 10);
	CHECK_EQ(poweroffs, 0);
	/* S3 is refused (logged), the guest keeps running. */
	outp(&f, PIIX4_PM1_CNT, 2, PIIX4_SLP_TYP_S3 << 10 | PIIX4_PM1_SLP_EN);
	CHECK_EQ(poweroffs, 0);
	/* SLP_EN reads back 0 (write-only). */
	CHECK_EQ(inp(&f, PIIX4_PM1_CNT, 2) & PIIX4_PM1_SLP_EN, 0);
	/* Linux's acpi_hw_legacy_sleep: SLP_TYP=0 then SLP_EN, word writes. */
	outp(&f, PIIX4_PM1_CNT, 2, PIIX4_PM1_SCI_EN | PIIX4_SLP_TYP_S5 << 10 | PIIX4_PM1_SLP_EN);
	CHECK_EQ(poweroffs, 1);
	fixture_fini(&f);
}

TEST(pci_pm_acpi_enable_and_sci)
{
	struct fixture f;
	REQUIRE(pm_fixture(&f) == 0);
	CHECK_EQ(inp(&f, PIIX4_PM1_CNT, 2) & PIIX4_PM1_SCI_EN, 0);
	outp(&f, PIIX4_SMI_CMD, 1, PIIX4_ACPI_ENABLE);
	CHECK_EQ(inp(&f, PIIX4_PM1_CNT, 2) & PIIX4_PM1_SCI_EN, PIIX4_PM1_SCI_EN);
	CHECK_EQ(inp(&f, PIIX4_SMI_CMD, 1), PIIX4_ACPI_ENABLE);
	outp(&f, PIIX4_SMI_CMD, 1, PIIX4_ACPI_DISABLE);
	CHECK_EQ(inp(&f, PIIX4_PM1_CNT, 2) & PIIX4_PM1_SCI_EN, 0);
	/* Power button: SCI (IRQ 9) only once enabled; W1C clears it. */
	piix4_pm_power_button(&f.cs->pm);
	CHECK(f.irq.level[9] != 1);
	outp(&f, PIIX4_PM1_EVT + 2, 2, PIIX4_PM1_PWRBTN);
	CHECK_EQ(f.irq.level[9], 1);
	CHECK_EQ(inp(&f, PIIX4_PM1_EVT, 2) & PIIX4_PM1_PWRBTN, PIIX4_PM1_PWRBTN);
	outp(&f, PIIX4_PM1_EVT, 2, 0);                 /* writing 0 keeps it */
	CHECK_EQ(f.irq.level[9], 1);
	outp(&f, PIIX4_PM1_EVT, 2, PIIX4_PM1_PWRBTN);
	CHECK_EQ(f.irq.level[9], 0);
	/* GPE0: status W1C, enable plain; SCI follows. */
	f.cs->pm.gpe_sts = 0x0002;
	outp(&f, PIIX4_GPE0_BLK + 2, 1, 0x02);
	CHECK_EQ(f.irq.level[9], 1);
	CHECK_EQ(inp(&f, PIIX4_GPE0_BLK, 4), 0x00020002);
	outp(&f, PIIX4_GPE0_BLK, 1, 0x02);
	CHECK_EQ(f.irq.level[9], 0);
	/* SMBus: a transaction to nobody ends in DEV_ERR, cleared by W1C. */
	outp(&f, PIIX4_SMB_BASE + 4, 1, 0xa1);
	outp(&f, PIIX4_SMB_BASE + 2, 1, 0x48);
	CHECK_EQ(inp(&f, PIIX4_SMB_BASE, 1) & 0x04, 0x04);
	outp(&f, PIIX4_SMB_BASE, 1, 0x04);
	CHECK_EQ(inp(&f, PIIX4_SMB_BASE, 1) & 0x04, 0);
	fixture_fini(&f);
}

TEST(pci_direct_kernel_boot_programs_the_chipset)
{
	/* No firmware runs before a directly booted kernel, but the FADT
	 * points at the PM block: the board programs it as SeaBIOS would. */
	struct fixture f;
	char err[256];
	REQUIRE(fixture_machine(&f) != NULL);
	f.m->cfg.kernel = "vmlinuz";
	REQUIRE(fixture_chipset(&f, err, sizeof(err)));
	CHECK_EQ(cfg_read(&f, PM, 0x40, 4), 0xb001);
	CHECK_STR(bus_owner(&f.m->pio, 0xb008), "piix4-pm");
	CHECK_STR(bus_owner(&f.m->pio, 0xb100), "piix4-smbus");
	CHECK_EQ(cfg_read(&f, PCI_DEVFN(1, 0), 0x60, 4), 0x0b0b0a0a);
	CHECK_EQ(cfg_read(&f, PM, 0x3c, 1), 9);
	/* And again after a machine reset. */
	pc_chipset_reset(f.cs);
	CHECK_STR(bus_owner(&f.m->pio, 0xb008), "piix4-pm");
	/* With firmware, reset leaves the datasheet defaults for it to program. */
	f.m->cfg.bios = "bios.bin";
	pc_chipset_reset(f.cs);
	CHECK_EQ(cfg_read(&f, PM, 0x40, 4), 0x0001);
	CHECK(bus_owner(&f.m->pio, 0xb008) == NULL);
	CHECK_EQ(cfg_read(&f, PCI_DEVFN(1, 0), 0x60, 4), 0x80808080);
	f.m->cfg.kernel = f.m->cfg.bios = NULL;
	fixture_fini(&f);
}
