/*
 * PCI bus 0 of the PC: configuration mechanism #1 (0xCF8/0xCFC), a
 * configuration space per function with write masks, BARs that map
 * themselves on the machine's PIO/MMIO bus, capability lists, MSI and INTx.
 *
 * A device embeds (or points to) a `struct pci_device`, fills it with
 * pci_device_init(), declares its BARs and capabilities, then joins the bus
 * with pci_bus_add(). From then on the guest owns the configuration space:
 * the generic code applies write masks, W1C bits and BAR decoding; the
 * device's config_write hook sees every write after it was applied.
 *
 * Locking: configuration cycles are serialised by the bus lock (the CF8
 * address register is one register for all CPUs, as on the chipset). INTx
 * and MSI delivery take only the bus irq lock, so a device may raise its
 * interrupt from any thread while holding its own lock. Lock order:
 * bus lock -> device lock -> irq lock.
 */
#ifndef NYX_HW_PCI_H
#define NYX_HW_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/log.h"

struct machine;
struct state_writer;
struct state_reader;

#define PCI_CFG_SIZE 256         /* conventional; PCIe would be 4096 */
#define PCIE_CFG_SIZE 4096
#define PCI_DEVFN(dev, fn) ((((dev) & 0x1f) << 3) | ((fn) & 7))
#define PCI_NUM_BARS 6
#define PCI_ROM_SLOT 6           /* expansion ROM, bars[6] */
#define PCI_BAR_UNMAPPED (~0ULL)

/* Configuration header offsets (PCI 3.0 section 6.1). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_ROM_ADDRESS 0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_PARITY 0x0040
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400

#define PCI_STATUS_INTERRUPT 0x0008
#define PCI_STATUS_CAP_LIST 0x0010
/* Error bits the guest clears by writing one (PCI 3.0 section 6.2.3). */
#define PCI_STATUS_W1C 0xf900

#define PCI_HEADER_MULTI_FUNCTION 0x80
#define PCI_CAP_ID_MSI 0x05

/* The subsystem IDs QEMU gives its chipset functions; guests only show them. */
#define PCI_SUBSYS_VENDOR_DEFAULT 0x1af4
#define PCI_SUBSYS_ID_DEFAULT 0x1100

enum pci_bar_type { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
	enum pci_bar_type type;
	bool prefetch;
	uint64_t size;            /* power of two; 0 = BAR not implemented */
	const struct io_ops *ops;
	void *opaque;
	uint64_t addr;            /* where it is mapped now, or PCI_BAR_UNMAPPED */
	char name[40];
};

struct pci_device;

struct pci_device_ops {
	/* Called after the generic code applied a guest write (masks, W1C,
	 * BAR remapping). `off`/`size` are what the guest wrote. */
	void (*config_write)(struct pci_device *d, unsigned off, uint32_t val, unsigned size);
	/* Device registers to reset to their non-zero defaults; the generic
	 * reset already cleared every guest-writable bit. */
	void (*reset)(struct pci_device *d);
};

struct pci_msi {
	uint8_t cap;              /* offset of the MSI capability, 0 = none */
	bool addr64;
	unsigned nvectors;        /* power of two, 1..32 */
	/* Decoded from the capability on each write (under the irq lock). */
	bool enabled;
	uint64_t addr;
	uint16_t data;
	unsigned enabled_vectors;
};

struct pci_device {
	struct pci_bus *bus;
	uint8_t devfn;
	char name[32];
	unsigned cfg_size;
	uint8_t *config;          /* what the guest reads */
	uint8_t *wmask;           /* bits the guest may write */
	uint8_t *w1cmask;         /* bits the guest clears by writing one */
	struct pci_bar bars[PCI_NUM_BARS + 1];
	const struct pci_device_ops *ops;
	void *opaque;             /* the device model's state */
	bool intx_level;          /* the function's internal interrupt request */
	bool intx_out;            /* what it drives onto its PIRQ now */
	struct pci_msi msi;
	struct log_ratelimit rl;
};

/* Receives the level of PIRQ `pirq` (0..3) whenever it changes. */
typedef void (*pci_pirq_fn)(void *opaque, unsigned pirq, int level);

struct pci_bus {
	struct machine *m;
	struct bus *pio, *mmio;
	struct pci_device *devs[256];
	uint32_t cf8;             /* CONFADD */
	pthread_mutex_t lock;     /* configuration cycles */
	pthread_mutex_t irq_lock; /* INTx counts, MSI decode */
	unsigned pirq_count[4];   /* device pins asserting each PIRQ */
	pci_pirq_fn pirq_set;
	void *pirq_opaque;
	struct log_ratelimit rl;
};

/* --- the bus and configuration mechanism #1 (pci_host.c) ----------------- */
/* Creates bus 0 and claims 0xCF8 (dword only: 0xCF9 is the reset register)
 * and 0xCFC-0xCFF on `pio`. `mmio` receives memory BARs. NULL on failure. */
struct pci_bus *pci_bus_create(struct machine *m, struct bus *pio, struct bus *mmio);
void pci_bus_destroy(struct pci_bus *bus);
/* Where INTx levels go (the PIIX3 router). */
void pci_bus_set_pirq_router(struct pci_bus *bus, pci_pirq_fn fn, void *opaque);
/* Adds an initialised device at its devfn; -EEXIST if the slot is taken. */
int pci_bus_add(struct pci_bus *bus, struct pci_device *d);
struct pci_device *pci_bus_find(struct pci_bus *bus, unsigned devfn);
/* Takes a function off the bus: BARs unmapped, INTx released, slot freed.
 * A device model calls it before freeing a device the bus still holds. */
void pci_bus_remove(struct pci_bus *bus, struct pci_device *d);
/* A configuration cycle as the guest would issue it (under the bus lock).
 * Nonexistent functions read all ones and ignore writes. */
uint32_t pci_bus_config_read(struct pci_bus *bus, unsigned devfn, unsigned off, unsigned size);
void pci_bus_config_write(struct pci_bus *bus, unsigned devfn, unsigned off, uint32_t val,
			  unsigned size);
/* Resets every function (machine reset): registers to defaults, BARs unmapped. */
void pci_bus_reset(struct pci_bus *bus);

/* --- a function's configuration space (pci.c) ---------------------------- */
/* class_code = base class << 16 | subclass << 8 | programming interface. */
int pci_device_init(struct pci_device *d, unsigned devfn, const char *name, uint16_t vendor,
		    uint16_t device, uint8_t revision, uint32_t class_code, uint8_t header_type,
		    const struct pci_device_ops *ops, void *opaque);
void pci_device_free(struct pci_device *d);
/* Declares BAR `bar` (0-5, or PCI_ROM_SLOT with type PCI_BAR_MEM32). A
 * 64-bit BAR also takes bar + 1. size must be a power of two (IO >= 4,
 * MEM >= 16, ROM >= 2 KiB). */
int pci_device_set_bar(struct pci_device *d, unsigned bar, enum pci_bar_type type,
		       bool prefetch, uint64_t size, const struct io_ops *ops, void *opaque);
/* Interrupt pin 1..4 (INTA..INTD), 0 = none. */
void pci_device_set_pin(struct pci_device *d, unsigned pin);
/* Adds a capability of `size` bytes at `off` and links it first in the
 * list; returns off or -EINVAL if it overlaps the header or the end. */
int pci_add_capability(struct pci_device *d, uint8_t id, unsigned off, unsigned size);
/* Generic config access used by the bus (no locking of its own). */
uint32_t pci_config_read(struct pci_device *d, unsigned off, unsigned size);
void pci_config_write(struct pci_device *d, unsigned off, uint32_t val, unsigned size);
/* Re-evaluates every BAR against the command register and maps/unmaps. */
void pci_update_mappings(struct pci_device *d);
void pci_device_reset(struct pci_device *d);
/* Snapshot: configuration bytes and INTx request; load re-maps the BARs. */
void pci_device_save(struct pci_device *d, struct state_writer *w);
void pci_device_load(struct pci_device *d, struct state_reader *r);

/* Little-endian helpers on the configuration bytes. */
static inline uint16_t pci_get_word(const uint8_t *p) { return p[0] | p[1] << 8; }
static inline uint32_t pci_get_long(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void pci_set_word(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static inline void pci_set_long(uint8_t *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

/* --- interrupts (pci_irq.c) ---------------------------------------------- */
/* INTx: the function's interrupt request; delivered on its PIRQ unless the
 * command register's INTx disable bit is set. Any thread. */
void pci_set_irq(struct pci_device *d, int level);
/* Re-applies INTx disable after a command register write. */
void pci_intx_update(struct pci_device *d);
/* Adds an MSI capability at `off` (nvectors a power of two, 1..32). */
int pci_msi_init(struct pci_device *d, unsigned off, unsigned nvectors, bool addr64);
bool pci_msi_enabled(struct pci_device *d);
/* Sends MSI `vector` if the guest enabled MSI and that many vectors;
 * returns false if not sent (then the device may use INTx). Any thread. */
bool pci_msi_notify(struct pci_device *d, unsigned vector);
/* Re-decodes the MSI capability after a config write. */
void pci_msi_update(struct pci_device *d);

#endif
