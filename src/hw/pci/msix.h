/*
 * MSI-X (PCI 3.0 section 6.8.2) for PCI functions: the capability, the
 * vector table and the pending-bit array. The device maps the table and PBA
 * inside one of its memory BARs and forwards accesses there to
 * pci_msix_mmio_read/write; it calls pci_msix_config_written() from its
 * config_write hook so enable and function-mask changes take effect.
 */
#ifndef NYX_HW_PCI_MSIX_H
#define NYX_HW_PCI_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct pci_device;

#define PCI_CAP_ID_MSIX 0x11
#define MSIX_MAX_VECTORS 64

struct pci_msix {
	struct pci_device *dev;
	unsigned cap;                /* capability offset in config space */
	unsigned nvectors;
	uint32_t table_off, pba_off; /* inside the BAR */
	pthread_mutex_t lock;
	uint8_t table[MSIX_MAX_VECTORS * 16];
	uint64_t pending;            /* one bit a vector */
	bool enabled, fn_masked;
};

int pci_msix_init(struct pci_msix *x, struct pci_device *d, unsigned cap_off,
		  unsigned nvectors, unsigned bar, uint32_t table_off, uint32_t pba_off);
void pci_msix_destroy(struct pci_msix *x);
/* Re-decodes the control word after a config write. */
void pci_msix_config_written(struct pci_msix *x);
bool pci_msix_enabled(struct pci_msix *x);
/* Sends `vector` (or records it pending while masked). false if MSI-X is
 * off or the vector does not exist: the device falls back to INTx. */
bool pci_msix_notify(struct pci_msix *x, unsigned vector);
/* Table/PBA accesses at `off` from the start of the BAR. */
uint64_t pci_msix_mmio_read(struct pci_msix *x, uint64_t off, unsigned size);
void pci_msix_mmio_write(struct pci_msix *x, uint64_t off, uint64_t val, unsigned size);
void pci_msix_reset(struct pci_msix *x);

#endif
