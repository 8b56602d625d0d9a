/*
 * PCI bus 0 and configuration mechanism #1 (PCI 3.0 section 3.2.2.3.2).
 *
 * CONFADD at 0xCF8 is decoded only for dword accesses (bit 31 enable,
 * 23:16 bus, 15:11 device, 10:8 function, 7:2 register; 30:24 and 1:0 read
 * as zero); byte accesses to 0xCF8-0xCFB belong to other functions (0xCF9
 * is the PIIX3 reset control register, owned by hw/pc), which is why only
 * one byte at 0xCF8 is claimed on the PIO bus: the bus dispatches an access
 * by its first port. CONFDATA at 0xCFC-0xCFF forwards a byte, word or dword
 * access, at any offset that stays inside the dword, to the register CONFADD
 * selects. Only bus 0 exists; other buses and absent functions read all
 * ones and ignore writes, which is how firmware and Linux enumerate.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "hw/pci/pci.h"

#define CONFADD_PORT 0xcf8
#define CONFDATA_PORT 0xcfc
#define CONFADD_ENABLE 0x80000000u
#define CONFADD_MASK 0x80fffffcu

static uint64_t confadd_read(void *opaque, uint64_t off, unsigned size)
{
	struct pci_bus *bus = opaque;
	if (size != 4)
		return ~0ULL;
	pthread_mutex_lock(&bus->lock);
	uint32_t v = bus->cf8;
	pthread_mutex_unlock(&bus->lock);
	return v;
}

static void confadd_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct pci_bus *bus = opaque;
	if (size != 4)
		return;
	pthread_mutex_lock(&bus->lock);
	bus->cf8 = (uint32_t)val & CONFADD_MASK;
	pthread_mutex_unlock(&bus->lock);
}

/* The function and register CONFADD selects for a data access at `off`
 * (0..3) of `size` bytes; false if no configuration cycle results. */
static bool confdata_target(struct pci_bus *bus, unsigned off, unsigned size,
			    struct pci_device **d, unsigned *reg)
{
	uint32_t a = bus->cf8;
	if (!(a & CONFADD_ENABLE))
		return false;
	if (off + size > 4 || (size != 1 && size != 2 && size != 4)) {
		if (log_ratelimit_ok(&bus->rl, 5))
			LOG(bus->m ? bus->m->log : NULL, LOG_WARN, "pci",
			    "config data access of %u bytes at 0x%x crosses the dword: ignored",
			    size, CONFDATA_PORT + off);
		return false;
	}
	if ((a >> 16) & 0xff)
		return false;                  /* no bus behind a bridge */
	*d = bus->devs[(a >> 8) & 0xff];
	*reg = (a & 0xfc) + off;
	return *d != NULL;
}

static uint64_t confdata_read(void *opaque, uint64_t off, unsigned size)
{
	struct pci_bus *bus = opaque;
	struct pci_device *d;
	unsigned reg;
	uint64_t v = ~0ULL;
	pthread_mutex_lock(&bus->lock);
	if (confdata_target(bus, off, size, &d, &reg))
		v = pci_config_read(d, reg, size);
	pthread_mutex_unlock(&bus->lock);
	return v;
}

static void confdata_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct pci_bus *bus = opaque;
	struct pci_device *d;
	unsigned reg;
	pthread_mutex_lock(&bus->lock);
	if (confdata_target(bus, off, size, &d, &reg))
		pci_config_write(d, reg, (uint32_t)val, size);
	pthread_mutex_unlock(&bus->lock);
}

static const struct io_ops confadd_ops = { confadd_read, confadd_write };
static const struct io_ops confdata_ops = { confdata_read, confdata_write };

struct pci_bus *pci_bus_create(struct machine *m, struct bus *pio, struct bus *mmio)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	if (!bus)
		return NULL;
	bus->m = m;
	bus->pio = pio;
	bus->mmio = mmio;
	pthread_mutex_init(&bus->lock, NULL);
	pthread_mutex_init(&bus->irq_lock, NULL);
	if (bus_register(pio, CONFADD_PORT, 1, &confadd_ops, bus, "pci-confadd") ||
	    bus_register(pio, CONFDATA_PORT, 4, &confdata_ops, bus, "pci-confdata")) {
		LOG(m ? m->log : NULL, LOG_ERROR, "pci",
		    "cannot claim ports 0xcf8/0xcfc-0xcff: already taken");
		pci_bus_destroy(bus);
		return NULL;
	}
	return bus;
}

/* Caller holds the bus lock (or owns the bus exclusively). */
static void detach(struct pci_bus *bus, struct pci_device *d)
{
	for (unsigned b = 0; b <= PCI_NUM_BARS; b++) {
		struct pci_bar *bar = &d->bars[b];
		if (bar->size && bar->addr != PCI_BAR_UNMAPPED)
			bus_unregister(bar->type == PCI_BAR_IO ? bus->pio : bus->mmio, bar->addr,
				       bar->opaque);
		bar->addr = PCI_BAR_UNMAPPED;
	}
	pci_set_irq(d, 0);
	bus->devs[d->devfn] = NULL;
	d->bus = NULL;
}

void pci_bus_remove(struct pci_bus *bus, struct pci_device *d)
{
	if (!bus || !d || d->bus != bus)
		return;
	pthread_mutex_lock(&bus->lock);
	detach(bus, d);
	pthread_mutex_unlock(&bus->lock);
}

void pci_bus_destroy(struct pci_bus *bus)
{
	if (!bus)
		return;
	for (unsigned i = 0; i < 256; i++)
		if (bus->devs[i])
			detach(bus, bus->devs[i]);
	bus_unregister(bus->pio, CONFADD_PORT, bus);
	bus_unregister(bus->pio, CONFDATA_PORT, bus);
	pthread_mutex_destroy(&bus->lock);
	pthread_mutex_destroy(&bus->irq_lock);
	free(bus);
}

void pci_bus_set_pirq_router(struct pci_bus *bus, pci_pirq_fn fn, void *opaque)
{
	pthread_mutex_lock(&bus->irq_lock);
	bus->pirq_set = fn;
	bus->pirq_opaque = opaque;
	pthread_mutex_unlock(&bus->irq_lock);
}

int pci_bus_add(struct pci_bus *bus, struct pci_device *d)
{
	pthread_mutex_lock(&bus->lock);
	int rc = 0;
	if (bus->devs[d->devfn]) {
		rc = -EEXIST;
	} else {
		d->bus = bus;
		bus->devs[d->devfn] = d;
	}
	pthread_mutex_unlock(&bus->lock);
	if (rc)
		LOG(bus->m ? bus->m->log : NULL, LOG_ERROR, "pci",
		    "cannot add %s at 00:%02x.%x: slot taken by %s", d->name, d->devfn >> 3,
		    d->devfn & 7, bus->devs[d->devfn]->name);
	return rc;
}

struct pci_device *pci_bus_find(struct pci_bus *bus, unsigned devfn)
{
	return devfn < 256 ? bus->devs[devfn] : NULL;
}

uint32_t pci_bus_config_read(struct pci_bus *bus, unsigned devfn, unsigned off, unsigned size)
{
	uint32_t v = size >= 4 ? ~0u : (1u << (8 * size)) - 1;
	pthread_mutex_lock(&bus->lock);
	struct pci_device *d = pci_bus_find(bus, devfn);
	if (d && off + size <= d->cfg_size)
		v = pci_config_read(d, off, size);
	pthread_mutex_unlock(&bus->lock);
	return v;
}

void pci_bus_config_write(struct pci_bus *bus, unsigned devfn, unsigned off, uint32_t val,
			  unsigned size)
{
	pthread_mutex_lock(&bus->lock);
	struct pci_device *d = pci_bus_find(bus, devfn);
	if (d && off + size <= d->cfg_size)
		pci_config_write(d, off, val, size);
	pthread_mutex_unlock(&bus->lock);
}

void pci_bus_reset(struct pci_bus *bus)
{
	pthread_mutex_lock(&bus->lock);
	bus->cf8 = 0;
	for (unsigned i = 0; i < 256; i++)
		if (bus->devs[i])
			pci_device_reset(bus->devs[i]);
	pthread_mutex_unlock(&bus->lock);
}
