/*
 * PCI interrupts: INTx pins fanned into the four PIRQ lines, and MSI.
 *
 * INTx: each function keeps its internal request (intx_level, shown in the
 * status register's Interrupt Status bit) and what it drives on its pin
 * (intx_out = request and not INTx-disabled). The bus counts the pins
 * asserting each PIRQ; a PIRQ is the wired OR of its pins, so the router is
 * told only on 0 <-> 1 transitions of that count. Everything under the bus
 * irq lock, which the device may call with its own lock held.
 *
 * MSI (PCI 3.0 section 6.8.1, no per-vector masking): the capability is
 * decoded into struct pci_msi on every configuration write that touches it,
 * so the fast path (pci_msi_notify) reads a consistent snapshot under the
 * irq lock and never parses config bytes that a concurrent write may change.
 */
#include <errno.h>

#include "core/irq.h"
#include "hw/pci/pci.h"
#include "hw/pci/pirq.h"

#define MSI_CTRL 2
#define MSI_CTRL_ENABLE 0x0001
#define MSI_CTRL_64BIT 0x0080
#define MSI_ADDR_LO 4

/* Caller holds irq_lock. */
static void intx_apply(struct pci_device *d)
{
	uint16_t cmd = pci_get_word(d->config + PCI_COMMAND);
	unsigned pin = d->config[PCI_INTERRUPT_PIN];
	bool out = d->intx_level && pin && !(cmd & PCI_COMMAND_INTX_DISABLE);
	if (d->intx_level)
		d->config[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		d->config[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
	if (out == d->intx_out || !d->bus)
		return;
	struct pci_bus *bus = d->bus;
	unsigned pirq = pirq_of(d->devfn >> 3, pin);
	d->intx_out = out;
	if (out) {
		if (bus->pirq_count[pirq]++ == 0 && bus->pirq_set)
			bus->pirq_set(bus->pirq_opaque, pirq, 1);
	} else {
		if (--bus->pirq_count[pirq] == 0 && bus->pirq_set)
			bus->pirq_set(bus->pirq_opaque, pirq, 0);
	}
}

void pci_set_irq(struct pci_device *d, int level)
{
	if (!d->bus) {
		d->intx_level = level;
		return;
	}
	pthread_mutex_lock(&d->bus->irq_lock);
	d->intx_level = level != 0;
	intx_apply(d);
	pthread_mutex_unlock(&d->bus->irq_lock);
}

void pci_intx_update(struct pci_device *d)
{
	if (!d->bus)
		return;
	pthread_mutex_lock(&d->bus->irq_lock);
	intx_apply(d);
	pthread_mutex_unlock(&d->bus->irq_lock);
}

int pci_msi_init(struct pci_device *d, unsigned off, unsigned nvectors, bool addr64)
{
	if (!nvectors || nvectors > 32 || (nvectors & (nvectors - 1)))
		return -EINVAL;
	unsigned size = addr64 ? 14 : 10;
	int rc = pci_add_capability(d, PCI_CAP_ID_MSI, off, size);
	if (rc < 0)
		return rc;
	unsigned mmc = __builtin_ctz(nvectors);
	pci_set_word(d->config + off + MSI_CTRL, (mmc << 1) | (addr64 ? MSI_CTRL_64BIT : 0));
	pci_set_word(d->wmask + off + MSI_CTRL, MSI_CTRL_ENABLE | 0x0070);
	pci_set_long(d->wmask + off + MSI_ADDR_LO, 0xfffffffc);
	if (addr64) {
		pci_set_long(d->wmask + off + 8, 0xffffffff);
		pci_set_word(d->wmask + off + 12, 0xffff);
	} else {
		pci_set_word(d->wmask + off + 8, 0xffff);
	}
	d->msi.cap = off;
	d->msi.addr64 = addr64;
	d->msi.nvectors = nvectors;
	pci_msi_update(d);
	return 0;
}

void pci_msi_update(struct pci_device *d)
{
	struct pci_msi *msi = &d->msi;
	if (!msi->cap)
		return;
	const uint8_t *c = d->config + msi->cap;
	uint16_t ctrl = pci_get_word(c + MSI_CTRL);
	unsigned mme = (ctrl >> 4) & 7, mmc = (ctrl >> 1) & 7;
	if (mme > mmc)
		mme = mmc;     /* enabling more vectors than offered: use what exists */
	struct pci_msi n = *msi;
	n.enabled = ctrl & MSI_CTRL_ENABLE;
	n.addr = pci_get_long(c + MSI_ADDR_LO);
	if (msi->addr64) {
		n.addr |= (uint64_t)pci_get_long(c + 8) << 32;
		n.data = pci_get_word(c + 12);
	} else {
		n.data = pci_get_word(c + 8);
	}
	n.enabled_vectors = 1u << mme;
	if (d->bus)
		pthread_mutex_lock(&d->bus->irq_lock);
	*msi = n;
	if (d->bus)
		pthread_mutex_unlock(&d->bus->irq_lock);
}

bool pci_msi_enabled(struct pci_device *d)
{
	return d->msi.cap && d->msi.enabled;
}

bool pci_msi_notify(struct pci_device *d, unsigned vector)
{
	if (!d->bus || !d->msi.cap)
		return false;
	pthread_mutex_lock(&d->bus->irq_lock);
	struct pci_msi msi = d->msi;
	bool master = pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_MASTER;
	pthread_mutex_unlock(&d->bus->irq_lock);
	/* An MSI is a memory write: no bus mastering, no message. */
	if (!msi.enabled || !master || vector >= msi.enabled_vectors)
		return false;
	uint32_t data = (msi.data & ~(msi.enabled_vectors - 1)) | vector;
	irq_send_msi(d->bus->m, msi.addr, data);
	return true;
}
