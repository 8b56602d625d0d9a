/*
 * Test fixture for the chipset tests: a machine with RAM, the two buses, a
 * recording interrupt router and no CPU backend, plus helpers that issue
 * port I/O and PCI configuration cycles the way firmware does.
 */
#ifndef NYX_TESTS_PC_FIXTURE_H
#define NYX_TESTS_PC_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "hw/pci/chipset.h"

struct irq_record {
	int level[32];            /* last level per GSI, -1 = never set */
	unsigned sets[32];
	uint64_t msi_addr;
	uint32_t msi_data;
	unsigned msis;
};

static inline void fixture_set_level(void *opaque, unsigned gsi, int level)
{
	struct irq_record *r = opaque;
	if (gsi < 32) {
		r->level[gsi] = level;
		r->sets[gsi]++;
	}
}

static inline void fixture_send_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct irq_record *r = opaque;
	r->msi_addr = addr;
	r->msi_data = data;
	r->msis++;
}

struct fixture {
	struct machine *m;
	struct irq_record irq;
	struct pc_chipset *cs;
};

/* Machine with 16 MiB of RAM; disks (if any) set in m->cfg before the chipset. */
static inline struct machine *fixture_machine(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	for (unsigned i = 0; i < 32; i++)
		f->irq.level[i] = -1;
	f->m = calloc(1, sizeof(*f->m));
	if (!f->m || mem_init(&f->m->mem, 16ULL << 20))
		return NULL;
	bus_init(&f->m->pio, "pio");
	bus_init(&f->m->mmio, "mmio");
	f->m->irq = (struct irq_router){ fixture_set_level, fixture_send_msi, &f->irq };
	return f->m;
}

static inline bool fixture_chipset(struct fixture *f, char *err, size_t len)
{
	f->cs = pc_chipset_create(f->m, err, len);
	return f->cs != NULL;
}

static inline int fixture_init(struct fixture *f)
{
	char err[256];
	if (!fixture_machine(f))
		return -1;
	return fixture_chipset(f, err, sizeof(err)) ? 0 : -1;
}

static inline void fixture_fini(struct fixture *f)
{
	pc_chipset_destroy(f->cs);
	bus_destroy(&f->m->pio);
	bus_destroy(&f->m->mmio);
	mem_destroy(&f->m->mem);
	free(f->m);
}

static inline uint64_t inp(struct fixture *f, uint16_t port, unsigned size)
{
	uint64_t v;
	if (!bus_read(&f->m->pio, port, size, &v))
		return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
	return v;
}

static inline void outp(struct fixture *f, uint16_t port, unsigned size, uint64_t v)
{
	bus_write(&f->m->pio, port, size, v);
}

/* Configuration mechanism #1, as SeaBIOS's pci_config_read/write do. */
static inline uint32_t cfg_read(struct fixture *f, unsigned devfn, unsigned off, unsigned size)
{
	outp(f, 0xcf8, 4, 0x80000000u | devfn << 8 | (off & 0xfc));
	return inp(f, 0xcfc + (off & 3), size);
}

static inline void cfg_write(struct fixture *f, unsigned devfn, unsigned off, unsigned size,
			     uint32_t v)
{
	outp(f, 0xcf8, 4, 0x80000000u | devfn << 8 | (off & 0xfc));
	outp(f, 0xcfc + (off & 3), size, v);
}

#endif
