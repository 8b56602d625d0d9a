/*
 * ACPI static tables (everything but the DSDT's AML) and their linking.
 *
 * Design note: the tables blob is laid out as FACS (64-byte aligned, at
 * offset 0), DSDT, FADT, MADT, HPET, RSDT, XSDT. Every pointer field holds
 * the offset of its target inside its blob; the loader script adds the
 * blob's final address (ADD_POINTER) and then recomputes each checksum
 * (ADD_CHECKSUM), so checksum bytes are left zero here. The RSDP is its own
 * blob because firmware must put it in the F segment (SeaBIOS) or hand it
 * to the UEFI configuration table (OVMF).
 *
 * FADT: revision 3 (ACPI 2.0 layout, 244 bytes): it has the reset register
 * and 64-bit X_ blocks, which Linux and Windows both accept on PIIX4. The
 * FACS pointer is given in the 32-bit FIRMWARE_CTRL only (the spec wants
 * X_FIRMWARE_CTRL zero when FIRMWARE_CTRL is used); the DSDT in both DSDT
 * and X_DSDT with the same value.
 */
#include "acpi/acpi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/memory.h"
#include "hw/pci/piix4_pm.h"

#define ACPI_OEM_ID "NYX   "
#define ACPI_OEM_TABLE_ID "NYXPC   "
#define ACPI_CREATOR_ID "NYX "

void acpi_config_pc(struct acpi_config *c, unsigned ncpus, uint64_t below_4g,
		    uint64_t above_4g)
{
	memset(c, 0, sizeof(*c));
	c->ncpus = ncpus;
	c->pci_hole_start = below_4g;
	c->pci_hole_end = 0xFEC00000;          /* the IOAPIC and friends above */
	/* 64-bit window: 2 GiB from the first GiB boundary above high RAM. */
	c->pci_hole64_start = (MEM_4G + above_4g + (1ULL << 30) - 1) & ~((1ULL << 30) - 1);
	c->pci_hole64_size = 1ULL << 31;
	c->pm_base = PIIX4_PM_BASE;
	c->gpe0_base = PIIX4_GPE0_BLK;
	c->gpe0_len = PIIX4_GPE0_BLK_LEN;
	c->sci_irq = PIIX4_SCI_IRQ;
	c->smi_cmd = PIIX4_SMI_CMD;
	c->acpi_enable = PIIX4_ACPI_ENABLE;
	c->acpi_disable = PIIX4_ACPI_DISABLE;
	c->s5_slp_typ = PIIX4_SLP_TYP_S5;
	c->reset_port = 0xCF9;
	c->reset_value = 0x06;                 /* PIIX3 RCR: SRST | RCPU */
	c->ioapic_addr = 0xFEC00000;
	c->ioapic_id = 0;
	c->lapic_addr = 0xFEE00000;
	c->hpet = true;
	c->hpet_addr = 0xFED00000;
	/* vendor 8086, legacy replacement capable, 64-bit counter, 3 timers,
	 * revision 1 */
	c->hpet_block_id = 0x8086A201;
	c->com2 = true;
}

uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;
	for (size_t i = 0; i < len; i++)
		s += p[i];
	return (uint8_t)-s;
}

static void le(struct aml *a, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

static void set_le(struct aml *a, size_t at, uint64_t v, unsigned n)
{
	if (a->failed || at + n > a->len)
		return;
	for (unsigned i = 0; i < n; i++)
		a->buf[at + i] = (uint8_t)(v >> (8 * i));
}

/* Standard 36-byte header; length patched by table_end(). */
static size_t table_begin(struct aml *a, const char *sig, uint8_t rev)
{
	size_t at = a->len;
	aml_bytes(a, sig, 4);
	le(a, 0, 4);
	aml_byte(a, rev);
	aml_byte(a, 0);                 /* checksum: filled by the loader */
	aml_bytes(a, ACPI_OEM_ID, 6);
	aml_bytes(a, ACPI_OEM_TABLE_ID, 8);
	le(a, 1, 4);
	aml_bytes(a, ACPI_CREATOR_ID, 4);
	le(a, 1, 4);
	return at;
}

static void table_end(struct acpi_build *b, size_t at)
{
	uint32_t len = (uint32_t)(b->tables.len - at);
	set_le(&b->tables, at + 4, len, 4);
	acpi_loader_add_checksum(&b->loader, ACPI_FILE_TABLES, (uint32_t)at + 9,
				 (uint32_t)at, len);
}

/* A pointer field inside the tables blob to another table in it. */
static void table_ptr(struct acpi_build *b, uint32_t target, unsigned size)
{
	acpi_loader_add_pointer(&b->loader, ACPI_FILE_TABLES, ACPI_FILE_TABLES,
				(uint32_t)b->tables.len, (uint8_t)size);
	le(&b->tables, target, size);
}

/* Generic Address Structure in system I/O space. */
static void gas_io(struct aml *a, uint16_t port, unsigned bits)
{
	aml_byte(a, port ? 1 : 0);
	aml_byte(a, port ? (uint8_t)bits : 0);
	aml_byte(a, 0);                 /* bit offset */
	aml_byte(a, 0);                 /* access size: legacy */
	le(a, port, 8);
}

static void build_facs(struct acpi_build *b)
{
	struct aml *t = &b->tables;
	b->at.facs = (uint32_t)t->len;
	aml_bytes(t, "FACS", 4);
	le(t, 64, 4);
	le(t, 0, 4);                    /* hardware signature */
	le(t, 0, 4);                    /* firmware waking vector */
	le(t, 0, 4);                    /* global lock */
	le(t, 0, 4);                    /* flags */
	le(t, 0, 8);                    /* X firmware waking vector */
	aml_byte(t, 1);                 /* version (ACPI 2.0+) */
	for (int i = 0; i < 31; i++)
		aml_byte(t, 0);
}

#define FADT_F_WBINVD (1u << 0)
#define FADT_F_PROC_C1 (1u << 2)
#define FADT_F_SLP_BUTTON (1u << 5)
#define FADT_F_RTC_S4 (1u << 7)
#define FADT_F_RESET_REG_SUP (1u << 10)
#define FADT_F_USE_PLATFORM_CLOCK (1u << 15)
#define FADT_BOOT_LEGACY_DEVICES (1u << 0)
#define FADT_BOOT_8042 (1u << 1)

static void build_fadt(struct acpi_build *b, const struct acpi_config *c)
{
	struct aml *t = &b->tables;
	size_t at = table_begin(t, "FACP", 3);

	b->at.fadt = (uint32_t)at;
	table_ptr(b, b->at.facs, 4);    /* FIRMWARE_CTRL */
	table_ptr(b, b->at.dsdt, 4);    /* DSDT */
	aml_byte(t, 1);                 /* INT_MODEL (ACPI 1.0): APIC */
	aml_byte(t, 0);                 /* preferred PM profile: unspecified */
	le(t, c->sci_irq, 2);
	le(t, c->smi_cmd, 4);
	aml_byte(t, c->acpi_enable);
	aml_byte(t, c->acpi_disable);
	aml_byte(t, 0);                 /* S4BIOS_REQ */
	aml_byte(t, 0);                 /* PSTATE_CNT */
	le(t, c->pm_base, 4);           /* PM1a_EVT_BLK */
	le(t, 0, 4);
	le(t, c->pm_base + 4u, 4);      /* PM1a_CNT_BLK */
	le(t, 0, 4);
	le(t, 0, 4);                    /* PM2_CNT_BLK */
	le(t, c->pm_base + 8u, 4);      /* PM_TMR_BLK */
	le(t, c->gpe0_base, 4);
	le(t, 0, 4);                    /* GPE1_BLK */
	aml_byte(t, 4);                 /* PM1_EVT_LEN */
	aml_byte(t, 2);                 /* PM1_CNT_LEN */
	aml_byte(t, 0);                 /* PM2_CNT_LEN */
	aml_byte(t, 4);                 /* PM_TMR_LEN */
	aml_byte(t, c->gpe0_len);
	aml_byte(t, 0);                 /* GPE1_BLK_LEN */
	aml_byte(t, 0);                 /* GPE1_BASE */
	aml_byte(t, 0);                 /* CST_CNT */
	le(t, 0xFFF, 2);                /* P_LVL2_LAT: C2 not supported */
	le(t, 0xFFF, 2);                /* P_LVL3_LAT: C3 not supported */
	le(t, 0, 2);                    /* FLUSH_SIZE */
	le(t, 0, 2);                    /* FLUSH_STRIDE */
	aml_byte(t, 0);                 /* DUTY_OFFSET */
	aml_byte(t, 0);                 /* DUTY_WIDTH */
	aml_byte(t, 0);                 /* DAY_ALRM */
	aml_byte(t, 0);                 /* MON_ALRM */
	aml_byte(t, 0x32);              /* CENTURY: CMOS register 0x32 */
	le(t, FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042, 2);
	aml_byte(t, 0);
	le(t, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON | FADT_F_RTC_S4 |
	   FADT_F_RESET_REG_SUP | FADT_F_USE_PLATFORM_CLOCK, 4);
	gas_io(t, c->reset_port, 8);    /* RESET_REG */
	aml_byte(t, c->reset_value);
	le(t, 0, 3);
	le(t, 0, 8);                    /* X_FIRMWARE_CTRL: see design note */
	table_ptr(b, b->at.dsdt, 8);    /* X_DSDT */
	gas_io(t, c->pm_base, 32);      /* X_PM1a_EVT_BLK */
	gas_io(t, 0, 0);
	gas_io(t, c->pm_base + 4, 16);  /* X_PM1a_CNT_BLK */
	gas_io(t, 0, 0);
	gas_io(t, 0, 0);                /* X_PM2_CNT_BLK */
	gas_io(t, c->pm_base + 8, 32);  /* X_PM_TMR_BLK */
	gas_io(t, c->gpe0_base, c->gpe0_len * 8u);
	gas_io(t, 0, 0);                /* X_GPE1_BLK */
	table_end(b, at);
}

#define MADT_PCAT_COMPAT 1u
#define MADT_ISO_ACTIVE_HIGH 0x1u
#define MADT_ISO_LEVEL 0xCu

static void madt_iso(struct aml *t, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	aml_byte(t, 2);                 /* interrupt source override */
	aml_byte(t, 10);
	aml_byte(t, 0);                 /* bus: ISA */
	aml_byte(t, irq);
	le(t, gsi, 4);
	le(t, flags, 2);
}

static void build_madt(struct acpi_build *b, const struct acpi_config *c)
{
	struct aml *t = &b->tables;
	size_t at = table_begin(t, "APIC", 1);

	b->at.madt = (uint32_t)at;
	le(t, c->lapic_addr, 4);
	le(t, MADT_PCAT_COMPAT, 4);
	for (unsigned i = 0; i < c->ncpus; i++) {
		aml_byte(t, 0);         /* processor local APIC */
		aml_byte(t, 8);
		aml_byte(t, (uint8_t)i);        /* ACPI processor UID */
		aml_byte(t, (uint8_t)i);        /* APIC id */
		le(t, 1, 4);                    /* enabled */
	}
	aml_byte(t, 1);                 /* I/O APIC */
	aml_byte(t, 12);
	aml_byte(t, c->ioapic_id);
	aml_byte(t, 0);
	le(t, c->ioapic_addr, 4);
	le(t, 0, 4);                    /* GSI base */
	/* The PIT's IRQ0 is wired to IOAPIC pin 2; the PCI link IRQs and the
	 * SCI are level-triggered, active high (as the PIIX routes them). */
	madt_iso(t, 0, 2, 0);
	static const uint8_t level_irqs[] = {5, 9, 10, 11};
	for (unsigned i = 0; i < sizeof(level_irqs); i++)
		madt_iso(t, level_irqs[i], level_irqs[i], MADT_ISO_ACTIVE_HIGH | MADT_ISO_LEVEL);
	aml_byte(t, 4);                 /* local APIC NMI */
	aml_byte(t, 6);
	aml_byte(t, 0xFF);              /* all processors */
	le(t, 0, 2);
	aml_byte(t, 1);                 /* LINT1 */
	table_end(b, at);
}

static void build_hpet(struct acpi_build *b, const struct acpi_config *c)
{
	struct aml *t = &b->tables;
	size_t at = table_begin(t, "HPET", 1);

	b->at.hpet = (uint32_t)at;
	le(t, c->hpet_block_id, 4);
	aml_byte(t, 0);                 /* GAS: system memory */
	aml_byte(t, 64);
	aml_byte(t, 0);
	aml_byte(t, 0);
	le(t, c->hpet_addr, 8);
	aml_byte(t, 0);                 /* HPET number */
	le(t, 0, 2);                    /* minimum clock tick */
	aml_byte(t, 0);                 /* no page protection */
	table_end(b, at);
}

static void build_sdt(struct acpi_build *b, const char *sig, unsigned ptr_size,
		      const uint32_t *targets, unsigned n)
{
	size_t at = table_begin(&b->tables, sig, 1);
	for (unsigned i = 0; i < n; i++)
		table_ptr(b, targets[i], ptr_size);
	table_end(b, at);
	if (ptr_size == 4)
		b->at.rsdt = (uint32_t)at;
	else
		b->at.xsdt = (uint32_t)at;
}

static void build_rsdp(struct acpi_build *b)
{
	struct aml *r = &b->rsdp;

	aml_bytes(r, "RSD PTR ", 8);
	aml_byte(r, 0);                 /* checksum of the first 20 bytes */
	aml_bytes(r, ACPI_OEM_ID, 6);
	aml_byte(r, 2);                 /* revision: ACPI 2.0+, has XSDT */
	acpi_loader_add_pointer(&b->loader, ACPI_FILE_RSDP, ACPI_FILE_TABLES, 16, 4);
	le(r, b->at.rsdt, 4);
	le(r, 36, 4);                   /* length */
	acpi_loader_add_pointer(&b->loader, ACPI_FILE_RSDP, ACPI_FILE_TABLES, 24, 8);
	le(r, b->at.xsdt, 8);
	aml_byte(r, 0);                 /* extended checksum */
	le(r, 0, 3);
	acpi_loader_add_checksum(&b->loader, ACPI_FILE_RSDP, 8, 0, 20);
	acpi_loader_add_checksum(&b->loader, ACPI_FILE_RSDP, 32, 0, 36);
}

int acpi_build(const struct acpi_config *c, struct acpi_build *b)
{
	memset(b, 0, sizeof(*b));
	aml_init(&b->tables);
	aml_init(&b->rsdp);
	acpi_loader_init(&b->loader);
	if (c->ncpus == 0 || c->ncpus > ACPI_MAX_CPUS || c->pci_hole_start >= c->pci_hole_end ||
	    c->pci_hole_end > MEM_4G)
		return -EINVAL;

	/* Allocation first: firmware must know the files before any link. */
	acpi_loader_alloc(&b->loader, ACPI_FILE_RSDP, 16, ACPI_LOADER_ZONE_FSEG);
	acpi_loader_alloc(&b->loader, ACPI_FILE_TABLES, 64, ACPI_LOADER_ZONE_HIGH);

	build_facs(b);
	b->at.dsdt = (uint32_t)b->tables.len;
	int err = acpi_dsdt_build(c, &b->tables);
	if (err) {
		acpi_build_free(b);
		return err;
	}
	acpi_loader_add_checksum(&b->loader, ACPI_FILE_TABLES, b->at.dsdt + 9, b->at.dsdt,
				 (uint32_t)(b->tables.len - b->at.dsdt));
	build_fadt(b, c);
	build_madt(b, c);
	uint32_t tabs[3] = {b->at.fadt, b->at.madt, 0};
	unsigned ntabs = 2;
	if (c->hpet) {
		build_hpet(b, c);
		tabs[ntabs++] = b->at.hpet;
	}
	build_sdt(b, "RSDT", 4, tabs, ntabs);
	build_sdt(b, "XSDT", 8, tabs, ntabs);
	build_rsdp(b);

	if (aml_finish(&b->tables) || aml_finish(&b->rsdp) || aml_finish(&b->loader.cmds)) {
		acpi_build_free(b);
		return -ENOMEM;
	}
	return 0;
}

void acpi_build_free(struct acpi_build *b)
{
	aml_free(&b->tables);
	aml_free(&b->rsdp);
	acpi_loader_free(&b->loader);
}

int acpi_place(const struct acpi_build *b, uint8_t *tables_out, uint64_t tables_addr,
	       uint8_t *rsdp_out, uint64_t rsdp_addr)
{
	struct acpi_loader_file files[2] = {
		{ACPI_FILE_TABLES, tables_out, b->tables.len, tables_addr},
		{ACPI_FILE_RSDP, rsdp_out, b->rsdp.len, rsdp_addr},
	};

	memcpy(tables_out, b->tables.buf, b->tables.len);
	memcpy(rsdp_out, b->rsdp.buf, b->rsdp.len);
	return acpi_loader_apply(b->loader.cmds.buf, b->loader.cmds.len, files, 2);
}
