/* A bare machine with a PCI bus for device-model tests: RAM, the two buses,
 * a logger and an interrupt router that records what devices raise. */
#ifndef NYX_TESTS_PCI_FIXTURE_H
#define NYX_TESTS_PCI_FIXTURE_H

#include <stdlib.h>

#include "core/machine.h"
#include "hw/pci/pci.h"

struct pci_fixture {
	struct machine *m;
	struct pci_bus *bus;
	int pirq_level[4];
	unsigned msi_count;
	uint64_t msi_addr;
	uint32_t msi_data;
};

static void fx_pirq(void *o, unsigned pirq, int level)
{
	struct pci_fixture *f = o;
	f->pirq_level[pirq & 3] = level;
}

static void fx_msi(void *o, uint64_t addr, uint32_t data)
{
	struct pci_fixture *f = o;
	__atomic_fetch_add(&f->msi_count, 1, __ATOMIC_SEQ_CST);
	f->msi_addr = addr;
	f->msi_data = data;
}

static inline void fx_init(struct pci_fixture *f, uint64_t ram)
{
	memset(f, 0, sizeof(*f));
	struct machine *m = calloc(1, sizeof(*m));
	m->log = logger_new();
	logger_set_level(m->log, LOG_FATAL);
	mem_init(&m->mem, ram);
	bus_init(&m->pio, "pio");
	bus_init(&m->mmio, "mmio");
	m->irq.send_msi = fx_msi;
	m->irq.opaque = f;
	f->m = m;
	f->bus = pci_bus_create(m, &m->pio, &m->mmio);
	pci_bus_set_pirq_router(f->bus, fx_pirq, f);
}

static inline void fx_fini(struct pci_fixture *f)
{
	pci_bus_destroy(f->bus);
	bus_destroy(&f->m->pio);
	bus_destroy(&f->m->mmio);
	mem_destroy(&f->m->mem);
	logger_free(f->m->log);
	free(f->m);
}

static inline uint32_t fx_cfg_read(struct pci_fixture *f, unsigned devfn, unsigned off,
				   unsigned size)
{
	return pci_bus_config_read(f->bus, devfn, off, size);
}

static inline void fx_cfg_write(struct pci_fixture *f, unsigned devfn, unsigned off,
				uint32_t v, unsigned size)
{
	pci_bus_config_write(f->bus, devfn, off, v, size);
}

static inline uint64_t fx_mmio_read(struct pci_fixture *f, uint64_t a, unsigned size)
{
	uint64_t v = 0;
	bus_read(&f->m->mmio, a, size, &v);
	return v;
}

static inline void fx_mmio_write(struct pci_fixture *f, uint64_t a, uint64_t v, unsigned size)
{
	bus_write(&f->m->mmio, a, size, v);
}

#endif
