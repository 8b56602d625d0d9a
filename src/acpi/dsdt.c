/*
 * The DSDT of the PC machine, generated as AML.
 *
 * Namespace (ASL-ish):
 *   \_SB.PCI0          host bridge PNP0A03: _CRS (bus 0-255, config ports,
 *                      I/O around them, VGA window, 32-bit and 64-bit PCI
 *                      windows), static _PRT for 32 slots x INTA-D
 *   \_SB.PCI0.ISA_     PIIX3 function 0 (_ADR 0x00010000); its PCI config
 *                      bytes 0x60-0x63 (PIRQRC[A-D]) as fields PRQA-PRQD;
 *                      ISA devices RTC, KBD, MOU, COM1, COM2 below it
 *   \_SB.PCI0.FWCF     fw_cfg I/O ports (QEMU0002), as on QEMU
 *   \_SB.LNKA-LNKD     PCI interrupt links (PNP0C0F) backed by PRQA-PRQD:
 *                      bit 7 of a PIRQRC register disables the route, bits
 *                      0-3 select the ISA IRQ; _PRS offers 5, 10, 11
 *   \_SB.LNKS          fixed link for the SCI (IRQ 9), used by slot 1 INTA
 *                      (the PIIX4 power-management function)
 *   \_SB.HPET          PNP0103; _STA reports it only if the block answers
 *   \_SB.Cnnn          processors: Device ACPI0007, _UID = MADT UID = APIC id
 *   \_GPE              GPE block device scope
 *   \_S5               soft-off: SLP_TYP as the PIIX4 PM expects
 *
 * PCI interrupt routing is the PIIX3 wiring of hw/pci/pirq.h (pirq_of()).
 */
#include "acpi/acpi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hw/pci/pirq.h"

#define DSDT_REVISION 2         /* 64-bit integers */

static const char *const link_names[4] = {"\\_SB.LNKA", "\\_SB.LNKB", "\\_SB.LNKC",
					  "\\_SB.LNKD"};
static const char *const pirq_fields[4] = {"\\_SB.PCI0.ISA.PRQA", "\\_SB.PCI0.ISA.PRQB",
					   "\\_SB.PCI0.ISA.PRQC", "\\_SB.PCI0.ISA.PRQD"};

static void name_crs(struct aml *a, const struct aml *res)
{
	aml_name_decl(a, "_CRS");
	aml_resource_template(a, res);
}

static void build_pci0_crs(struct aml *a, const struct acpi_config *c)
{
	struct aml r;

	aml_init(&r);
	aml_res_word_bus(&r, 0x00, 0xFF);
	aml_res_io(&r, 0x0CF8, 8);
	aml_res_word_io(&r, 0x0000, 0x0CF7);
	aml_res_word_io(&r, 0x0D00, 0xFFFF);
	aml_res_dword_memory(&r, true, 0x000A0000, 0x000BFFFF);
	aml_res_dword_memory(&r, false, (uint32_t)c->pci_hole_start,
			     (uint32_t)(c->pci_hole_end - 1));
	if (c->pci_hole64_size)
		aml_res_qword_memory(&r, true, c->pci_hole64_start,
				     c->pci_hole64_start + c->pci_hole64_size - 1);
	name_crs(a, &r);
	aml_free(&r);
}

static void build_prt(struct aml *a)
{
	aml_name_decl(a, "_PRT");
	aml_package_begin(a, 128);
	for (unsigned slot = 0; slot < 32; slot++) {
		for (unsigned pin = 0; pin < 4; pin++) {
			aml_package_begin(a, 4);
			aml_int(a, (slot << 16) | 0xFFFF);
			aml_int(a, pin);
			if (slot == 1 && pin == 0)
				aml_name(a, "\\_SB.LNKS");
			else
				aml_name(a, link_names[pirq_of(slot, pin + 1)]);
			aml_int(a, 0);
			aml_end(a);
		}
	}
	aml_end(a);
}

/* An ISA device with a fixed resource template. */
static void isa_device(struct aml *a, const char *name, const char *hid, int uid,
		       const struct aml *res)
{
	aml_device_begin(a, name);
	aml_name_eisaid(a, "_HID", hid);
	if (uid >= 0)
		aml_name_int(a, "_UID", (uint64_t)uid);
	aml_name_int(a, "_STA", 0x0F);
	name_crs(a, res);
	aml_end(a);
}

static void build_isa(struct aml *a, const struct acpi_config *c)
{
	struct aml r;

	aml_device_begin(a, "ISA");
	aml_name_int(a, "_ADR", (PIRQ_PIIX3_DEV << 16) | PIRQ_PIIX3_FN);
	aml_opregion(a, "PIRQ", AML_PCI_CONFIG, PIRQ_ROUTE_REG, PIRQ_COUNT);
	aml_field_begin(a, "PIRQ", AML_FIELD_BYTE_ACC | AML_FIELD_PRESERVE);
	aml_field_unit(a, "PRQA", 8);
	aml_field_unit(a, "PRQB", 8);
	aml_field_unit(a, "PRQC", 8);
	aml_field_unit(a, "PRQD", 8);
	aml_end(a);

	aml_init(&r);
	aml_res_io(&r, 0x70, 8);
	aml_res_irq_noflags(&r, 1u << 8);
	isa_device(a, "RTC", "PNP0B00", -1, &r);
	aml_free(&r);

	aml_init(&r);
	aml_res_io(&r, 0x60, 1);
	aml_res_io(&r, 0x64, 1);
	aml_res_irq_noflags(&r, 1u << 1);
	isa_device(a, "KBD", "PNP0303", -1, &r);
	aml_free(&r);

	aml_init(&r);
	aml_res_irq_noflags(&r, 1u << 12);
	isa_device(a, "MOU", "PNP0F13", -1, &r);
	aml_free(&r);

	aml_init(&r);
	aml_res_io(&r, 0x3F8, 8);
	aml_res_irq_noflags(&r, 1u << 4);
	isa_device(a, "COM1", "PNP0501", 1, &r);
	aml_free(&r);

	if (c->com2) {
		aml_init(&r);
		aml_res_io(&r, 0x2F8, 8);
		aml_res_irq_noflags(&r, 1u << 3);
		isa_device(a, "COM2", "PNP0501", 2, &r);
		aml_free(&r);
	}
	aml_end(a);
}

static void build_fwcfg_dev(struct aml *a)
{
	struct aml r;

	aml_device_begin(a, "FWCF");
	aml_name_string(a, "_HID", "QEMU0002");
	aml_name_int(a, "_STA", 0x0B);
	aml_init(&r);
	aml_res_io(&r, 0x510, 0x0C);
	name_crs(a, &r);
	aml_free(&r);
	aml_end(a);
}

/*
 * Method(LSTA, 1): a link's _STA from its PIRQRC value: 0x09 (present,
 * disabled... functioning) if routing is off, 0x0B (enabled) otherwise.
 * Method(LCRS, 1, Serialized): a link's current setting as a resource
 * template holding the routed IRQ (none if routing is off).
 */
static void build_link_helpers(struct aml *a)
{
	static const uint32_t irq0[1] = {0};
	struct aml r;

	aml_method_begin(a, "LSTA", 1, false);
	aml_if_begin(a);
	aml_op(a, AML_AND);             /* If (Arg0 & 0x80) */
	aml_arg(a, 0);
	aml_int(a, PIRQ_ROUTE_DISABLED);
	aml_int(a, 0);
	aml_op(a, AML_RETURN);
	aml_int(a, 0x09);
	aml_end(a);
	aml_op(a, AML_RETURN);
	aml_int(a, 0x0B);
	aml_end(a);

	aml_method_begin(a, "LCRS", 1, true);
	aml_name_decl(a, "RES0");
	aml_init(&r);
	aml_res_interrupt_level_shared(&r, irq0, 1);
	aml_resource_template(a, &r);
	aml_free(&r);
	/* The first IRQ of an extended interrupt descriptor is at byte 5. */
	aml_op(a, AML_CREATE_DWORD_FIELD);
	aml_name(a, "RES0");
	aml_int(a, 5);
	aml_name(a, "IRQ0");
	aml_if_begin(a);
	aml_op(a, AML_LLESS);           /* If (Arg0 < 0x80) */
	aml_arg(a, 0);
	aml_int(a, PIRQ_ROUTE_DISABLED);
	aml_op(a, AML_STORE);           /* IRQ0 = Arg0 & 0x0F */
	aml_op(a, AML_AND);
	aml_arg(a, 0);
	aml_int(a, PIRQ_ROUTE_IRQ_MASK);
	aml_int(a, 0);
	aml_name(a, "IRQ0");
	aml_end(a);
	aml_op(a, AML_RETURN);
	aml_name(a, "RES0");
	aml_end(a);
	aml_free(&r);
}

static void build_link(struct aml *a, unsigned i)
{
	const char *field = pirq_fields[i];
	uint32_t possible[16];
	unsigned n = 0;
	struct aml r;

	for (unsigned irq = 0; irq < 16; irq++)
		if (PIRQ_LINK_IRQS & (1u << irq))
			possible[n++] = irq;

	aml_device_begin(a, link_names[i] + 5);     /* "LNKx" under \_SB */
	aml_name_eisaid(a, "_HID", "PNP0C0F");
	aml_name_int(a, "_UID", i);
	aml_name_decl(a, "_PRS");
	aml_init(&r);
	aml_res_interrupt_level_shared(&r, possible, n);
	aml_resource_template(a, &r);
	aml_free(&r);

	aml_method_begin(a, "_STA", 0, false);
	aml_op(a, AML_RETURN);
	aml_name(a, "\\_SB.LSTA");
	aml_name(a, field);
	aml_end(a);

	aml_method_begin(a, "_DIS", 0, false);
	aml_op(a, AML_OR);              /* PRQx |= 0x80 */
	aml_name(a, field);
	aml_int(a, PIRQ_ROUTE_DISABLED);
	aml_name(a, field);
	aml_end(a);

	aml_method_begin(a, "_CRS", 0, false);
	aml_op(a, AML_RETURN);
	aml_name(a, "\\_SB.LCRS");
	aml_name(a, field);
	aml_end(a);

	aml_method_begin(a, "_SRS", 1, false);
	aml_op(a, AML_CREATE_DWORD_FIELD);
	aml_arg(a, 0);
	aml_int(a, 5);
	aml_name(a, "IRQ0");
	aml_op(a, AML_STORE);           /* PRQx = IRQ0 (bit 7 clear: enabled) */
	aml_name(a, "IRQ0");
	aml_name(a, field);
	aml_end(a);
	aml_end(a);
}

static void build_link_sci(struct aml *a, const struct acpi_config *c)
{
	uint32_t sci = c->sci_irq;
	struct aml r;

	aml_device_begin(a, "LNKS");
	aml_name_eisaid(a, "_HID", "PNP0C0F");
	aml_name_int(a, "_UID", 4);
	aml_name_int(a, "_STA", 0x0B);
	aml_init(&r);
	aml_res_interrupt_level_shared(&r, &sci, 1);
	aml_name_decl(a, "_PRS");
	aml_resource_template(a, &r);
	aml_name_decl(a, "_CRS");
	aml_resource_template(a, &r);
	aml_free(&r);
	aml_method_begin(a, "_SRS", 1, false);
	aml_end(a);
	aml_method_begin(a, "_DIS", 0, false);
	aml_end(a);
	aml_end(a);
}

static void build_hpet_dev(struct aml *a, const struct acpi_config *c)
{
	struct aml r;

	aml_device_begin(a, "HPET");
	aml_name_eisaid(a, "_HID", "PNP0103");
	aml_name_int(a, "_UID", 0);
	aml_opregion(a, "HPTR", AML_SYSTEM_MEMORY, c->hpet_addr, 0x400);
	aml_field_begin(a, "HPTR", AML_FIELD_DWORD_ACC | AML_FIELD_PRESERVE);
	aml_field_unit(a, "VEND", 32);  /* capabilities, low half */
	aml_end(a);
	/* Present only if the vendor id reads as neither 0 nor all ones. */
	aml_method_begin(a, "_STA", 0, false);
	aml_op(a, AML_STORE);
	aml_op(a, AML_SHIFT_RIGHT);
	aml_name(a, "VEND");
	aml_int(a, 16);
	aml_int(a, 0);
	aml_local(a, 0);
	aml_if_begin(a);
	aml_op(a, AML_LOR);
	aml_op(a, AML_LEQUAL);
	aml_local(a, 0);
	aml_int(a, 0);
	aml_op(a, AML_LEQUAL);
	aml_local(a, 0);
	aml_int(a, 0xFFFF);
	aml_op(a, AML_RETURN);
	aml_int(a, 0);
	aml_end(a);
	aml_op(a, AML_RETURN);
	aml_int(a, 0x0F);
	aml_end(a);
	aml_init(&r);
	aml_res_memory32_fixed(&r, false, (uint32_t)c->hpet_addr, 0x400);
	name_crs(a, &r);
	aml_free(&r);
	aml_end(a);
}

static void build_cpus(struct aml *a, const struct acpi_config *c)
{
	char name[16];

	for (unsigned i = 0; i < c->ncpus; i++) {
		snprintf(name, sizeof(name), "C%03X", i & 0xFFF);
		aml_device_begin(a, name);
		aml_name_string(a, "_HID", "ACPI0007");
		aml_name_int(a, "_UID", i);
		aml_end(a);
	}
}

int acpi_dsdt_build(const struct acpi_config *c, struct aml *out)
{
	struct aml *a = out;
	size_t at = a->len;
	static const uint8_t header_tail[] = {'N', 'Y', 'X', ' ', ' ', ' ',
					      'N', 'Y', 'X', 'D', 'S', 'D', 'T', ' ',
					      1, 0, 0, 0, 'N', 'Y', 'X', ' ', 1, 0, 0, 0};

	if (c->ncpus == 0 || c->ncpus > ACPI_MAX_CPUS)
		return -EINVAL;
	aml_bytes(a, "DSDT", 4);
	aml_bytes(a, "\0\0\0\0", 4);            /* length, below */
	aml_byte(a, DSDT_REVISION);
	aml_byte(a, 0);                         /* checksum: the loader's job */
	aml_bytes(a, header_tail, sizeof(header_tail));

	aml_scope_begin(a, "\\_SB");
	aml_device_begin(a, "PCI0");
	/* No _ADR beside _HID: the spec allows one or the other (iasl warns). */
	aml_name_eisaid(a, "_HID", "PNP0A03");
	aml_name_int(a, "_UID", 0);
	aml_name_int(a, "_BBN", 0);
	build_pci0_crs(a, c);
	build_prt(a);
	build_isa(a, c);
	build_fwcfg_dev(a);
	aml_end(a);                             /* PCI0 */

	build_link_helpers(a);
	for (unsigned i = 0; i < 4; i++)
		build_link(a, i);
	build_link_sci(a, c);
	if (c->hpet)
		build_hpet_dev(a, c);
	build_cpus(a, c);
	aml_end(a);                             /* \_SB */

	aml_scope_begin(a, "\\_GPE");
	aml_name_string(a, "_HID", "ACPI0006");
	aml_end(a);

	aml_name_decl(a, "\\_S5");
	aml_package_begin(a, 4);
	aml_int(a, c->s5_slp_typ);
	aml_int(a, c->s5_slp_typ);
	aml_int(a, 0);
	aml_int(a, 0);
	aml_end(a);

	int err = aml_finish(a);
	if (err)
		return err;
	uint32_t len = (uint32_t)(a->len - at);
	for (int i = 0; i < 4; i++)
		a->buf[at + 4 + i] = (uint8_t)(len >> (8 * i));
	return 0;
}
