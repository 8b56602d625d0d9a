/*
 * Builds the PC chipset (chipset.h) on a machine: PCI bus 0, the i440FX
 * host bridge, the PIIX3 ISA bridge with PIRQ routing, the PIIX IDE
 * function with the configured IDE disks, and PIIX4 power management.
 * One machine device resets them all (bus reset) and frees them at the end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "core/state.h"
#include "hw/pci/chipset.h"
#include "hw/pci/piix4_pm.h"
#include "hw/pci/pirq.h"
#include "hw/storage/piix_ide.h"

void pc_chipset_destroy(struct pc_chipset *cs)
{
	if (!cs)
		return;
	/* The bus first: it unmaps every BAR while the functions still exist. */
	pci_bus_destroy(cs->bus);
	if (cs->ide)
		piix_ide_destroy(cs->ide);
	if (cs->pm.pci.config)
		piix4_pm_destroy(&cs->pm);
	pci_device_free(&cs->host.pci);
	pci_device_free(&cs->isa.pci);
	if (cs->m && cs->m->pci == cs->bus)
		cs->m->pci = NULL;
	free(cs);
}

/* Direct kernel boot has no firmware to program the chipset, yet the ACPI
 * tables point the OS at the PM block: do what SeaBIOS's pciinit would
 * (PM base and SMBus as in piix4_pm.h, SCI line 9, PIRQA-D -> 10,10,11,11). */
static void chipset_firmware_setup(struct pc_chipset *cs)
{
	struct pci_bus *bus = cs->bus;
	unsigned pm = PCI_DEVFN(PIIX4_PM_DEV, PIIX4_PM_FN);
	static const uint8_t pirq_irq[PIRQ_COUNT] = { 10, 10, 11, 11 };
	for (unsigned n = 0; n < PIRQ_COUNT; n++)
		pci_bus_config_write(bus, PCI_DEVFN(PIRQ_PIIX3_DEV, PIRQ_PIIX3_FN),
				     PIRQ_ROUTE_REG + n, pirq_irq[n], 1);
	pci_bus_config_write(bus, pm, PCI_INTERRUPT_LINE, PIIX4_SCI_IRQ, 1);
	pci_bus_config_write(bus, pm, 0x40, PIIX4_PM_BASE | 1, 4);
	pci_bus_config_write(bus, pm, 0x80, 0x01, 1);
	pci_bus_config_write(bus, pm, 0x90, PIIX4_SMB_BASE | 1, 4);
	pci_bus_config_write(bus, pm, 0xd2, 0x09, 1);
}

void pc_chipset_reset(struct pc_chipset *cs)
{
	pci_bus_reset(cs->bus);
	if (cs->ide)
		piix_ide_reset(cs->ide);
	if (cs->m->cfg.kernel && !cs->m->cfg.bios && !cs->m->cfg.uefi)
		chipset_firmware_setup(cs);
}

struct pc_chipset *pc_chipset_create(struct machine *m, char *err, size_t err_len)
{
	struct pc_chipset *cs = calloc(1, sizeof(*cs));
	if (!cs) {
		snprintf(err, err_len, "chipset: out of memory");
		return NULL;
	}
	cs->m = m;
	cs->bus = pci_bus_create(m, &m->pio, &m->mmio);
	if (!cs->bus) {
		snprintf(err, err_len, "pci: cannot claim the configuration ports 0xcf8/0xcfc");
		goto fail;
	}
	int rc = i440fx_init(&cs->host, m);
	if (!rc)
		rc = pci_bus_add(cs->bus, &cs->host.pci);
	if (!rc)
		rc = piix3_init(&cs->isa, m);
	if (!rc)
		rc = pci_bus_add(cs->bus, &cs->isa.pci);
	if (rc) {
		snprintf(err, err_len, "pci: cannot create the host or ISA bridge: %s",
			 strerror(-rc));
		goto fail;
	}
	pci_bus_set_pirq_router(cs->bus, piix3_set_pirq, &cs->isa);

	rc = piix_ide_create(m, cs->bus, &cs->ide, err, err_len);
	if (rc)
		goto fail;

	rc = piix4_pm_init(&cs->pm, m);
	if (!rc)
		rc = pci_bus_add(cs->bus, &cs->pm.pci);
	if (!rc)
		rc = piix4_pm_attach(&cs->pm, &m->pio);
	if (rc) {
		snprintf(err, err_len, "piix4-pm: cannot create power management (ports 0x%x, 0xb2): %s",
			 0xafe0, strerror(-rc));
		goto fail;
	}
	m->pci = cs->bus;
	if (m->cfg.kernel && !m->cfg.bios && !m->cfg.uefi)
		chipset_firmware_setup(cs);
	return cs;
fail:
	pc_chipset_destroy(cs);
	return NULL;
}

void pc_chipset_save(struct pc_chipset *cs, struct state_writer *w)
{
	pthread_mutex_lock(&cs->bus->lock);
	pci_device_save(&cs->host.pci, w);
	sw_u8(w, cs->host.pam_programmed);
	pci_device_save(&cs->isa.pci, w);
	piix4_pm_save(&cs->pm, w);
	sw_u8(w, cs->ide != NULL);
	if (cs->ide)
		piix_ide_save(cs->ide, w);
	pthread_mutex_unlock(&cs->bus->lock);
}

void pc_chipset_load(struct pc_chipset *cs, struct state_reader *r, uint32_t version)
{
	if (version != PC_CHIPSET_STATE_VERSION) {
		sr_fail(r, "chipset: unsupported state version %u", version);
		return;
	}
	pthread_mutex_lock(&cs->bus->lock);
	pci_device_load(&cs->host.pci, r);
	bool pam = sr_u8(r);
	if (sr_ok(r))
		i440fx_post_load(&cs->host, pam);
	pci_device_load(&cs->isa.pci, r);
	if (sr_ok(r))
		piix3_post_load(&cs->isa);
	piix4_pm_load(&cs->pm, r);
	bool has_ide = sr_u8(r);
	if (sr_ok(r) && has_ide != (cs->ide != NULL))
		sr_fail(r, "chipset: snapshot %s an IDE function, this machine %s", has_ide ?
			"has" : "lacks", cs->ide ? "has one" : "does not");
	if (sr_ok(r) && cs->ide)
		piix_ide_load(cs->ide, r);
	pthread_mutex_unlock(&cs->bus->lock);
}

static void chipset_dev_reset(void *opaque) { pc_chipset_reset(opaque); }
static void chipset_dev_save(void *opaque, struct state_writer *w) { pc_chipset_save(opaque, w); }
static void chipset_dev_load(void *opaque, struct state_reader *r, uint32_t version)
{
	pc_chipset_load(opaque, r, version);
}
static void chipset_dev_destroy(void *opaque) { pc_chipset_destroy(opaque); }

static const struct device_ops chipset_device_ops = {
	.type = "pc-chipset",
	.state_version = PC_CHIPSET_STATE_VERSION,
	.reset = chipset_dev_reset,
	.save = chipset_dev_save,
	.load = chipset_dev_load,
	.destroy = chipset_dev_destroy,
};

int pc_chipset_init(struct machine *m, char *err, size_t err_len)
{
	struct pc_chipset *cs = pc_chipset_create(m, err, err_len);
	if (!cs)
		return -EINVAL;
	int rc = machine_add_device(m, &chipset_device_ops, cs, "chipset");
	if (rc) {
		snprintf(err, err_len, "chipset: cannot register: %s", strerror(-rc));
		pc_chipset_destroy(cs);
		return rc;
	}
	return 0;
}
