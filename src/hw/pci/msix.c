/* MSI-X capability, vector table and pending bits (see msix.h). */
#include "hw/pci/msix.h"

#include <errno.h>
#include <string.h>

#include "core/irq.h"
#include "hw/pci/pci.h"

#define MSIX_CTRL 2
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_MASKALL 0x4000
#define MSIX_ENTRY_CTRL_MASKED 1

int pci_msix_init(struct pci_msix *x, struct pci_device *d, unsigned cap_off,
		  unsigned nvectors, unsigned bar, uint32_t table_off, uint32_t pba_off)
{
	if (!nvectors || nvectors > MSIX_MAX_VECTORS || (table_off & 7) || (pba_off & 7) ||
	    bar > 5)
		return -EINVAL;
	int rc = pci_add_capability(d, PCI_CAP_ID_MSIX, cap_off, 12);
	if (rc < 0)
		return rc;
	memset(x, 0, sizeof(*x));
	x->dev = d;
	x->cap = cap_off;
	x->nvectors = nvectors;
	x->table_off = table_off;
	x->pba_off = pba_off;
	pthread_mutex_init(&x->lock, NULL);
	pci_set_word(d->config + cap_off + MSIX_CTRL, (uint16_t)(nvectors - 1));
	pci_set_long(d->config + cap_off + 4, table_off | bar);
	pci_set_long(d->config + cap_off + 8, pba_off | bar);
	/* Only enable and function mask are writable. */
	d->wmask[cap_off + MSIX_CTRL + 1] = 0xC0;
	pci_msix_reset(x);
	return 0;
}

void pci_msix_destroy(struct pci_msix *x)
{
	pthread_mutex_destroy(&x->lock);
}

void pci_msix_reset(struct pci_msix *x)
{
	pthread_mutex_lock(&x->lock);
	memset(x->table, 0, sizeof(x->table));
	for (unsigned i = 0; i < x->nvectors; i++)
		x->table[i * 16 + 12] = MSIX_ENTRY_CTRL_MASKED;   /* masked at reset */
	x->pending = 0;
	x->enabled = x->fn_masked = false;
	pthread_mutex_unlock(&x->lock);
}

/* Caller holds the lock. Sends vector i now if it is deliverable. */
static bool deliver(struct pci_msix *x, unsigned i)
{
	const uint8_t *e = x->table + i * 16;
	if (!x->enabled)
		return false;
	if (x->fn_masked || (e[12] & MSIX_ENTRY_CTRL_MASKED)) {
		x->pending |= 1ULL << i;
		return true;
	}
	x->pending &= ~(1ULL << i);
	uint64_t addr = pci_get_long(e) | (uint64_t)pci_get_long(e + 4) << 32;
	uint32_t data = pci_get_long(e + 8);
	if (x->dev->bus && x->dev->bus->m)
		irq_send_msi(x->dev->bus->m, addr, data);
	return true;
}

static void flush_pending(struct pci_msix *x)
{
	for (unsigned i = 0; i < x->nvectors; i++)
		if (x->pending & (1ULL << i))
			deliver(x, i);
}

void pci_msix_config_written(struct pci_msix *x)
{
	uint16_t ctrl = pci_get_word(x->dev->config + x->cap + MSIX_CTRL);
	pthread_mutex_lock(&x->lock);
	x->enabled = ctrl & MSIX_CTRL_ENABLE;
	x->fn_masked = ctrl & MSIX_CTRL_MASKALL;
	flush_pending(x);
	pthread_mutex_unlock(&x->lock);
}

bool pci_msix_enabled(struct pci_msix *x)
{
	pthread_mutex_lock(&x->lock);
	bool on = x->enabled;
	pthread_mutex_unlock(&x->lock);
	return on;
}

bool pci_msix_notify(struct pci_msix *x, unsigned vector)
{
	if (vector >= x->nvectors)
		return false;
	pthread_mutex_lock(&x->lock);
	bool ok = deliver(x, vector);
	pthread_mutex_unlock(&x->lock);
	return ok;
}

uint64_t pci_msix_mmio_read(struct pci_msix *x, uint64_t off, unsigned size)
{
	uint64_t v = 0;
	pthread_mutex_lock(&x->lock);
	if (off >= x->table_off && off + size <= x->table_off + 16ULL * x->nvectors) {
		memcpy(&v, x->table + (off - x->table_off), size);
	} else if (off >= x->pba_off && off + size <= x->pba_off + 8) {
		uint64_t p = x->pending;
		memcpy(&v, (uint8_t *)&p + (off - x->pba_off), size);
	}
	pthread_mutex_unlock(&x->lock);
	return v;
}

void pci_msix_mmio_write(struct pci_msix *x, uint64_t off, uint64_t val, unsigned size)
{
	pthread_mutex_lock(&x->lock);
	if (off >= x->table_off && off + size <= x->table_off + 16ULL * x->nvectors &&
	    (size == 4 || size == 8) && !(off & (size - 1))) {
		uint64_t rel = off - x->table_off;
		unsigned i = (unsigned)(rel / 16);
		memcpy(x->table + rel, &val, size);
		x->table[i * 16 + 12] &= MSIX_ENTRY_CTRL_MASKED;   /* reserved bits read 0 */
		x->table[i * 16 + 13] = x->table[i * 16 + 14] = x->table[i * 16 + 15] = 0;
		if ((x->pending & (1ULL << i)) && !(x->table[i * 16 + 12] & MSIX_ENTRY_CTRL_MASKED))
			deliver(x, i);
	}
	/* PBA is read-only; other accesses are ignored. */
	pthread_mutex_unlock(&x->lock);
}
