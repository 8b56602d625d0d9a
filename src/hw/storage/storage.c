/* AHCI and virtio-blk disks of the machine (see storage.h). */
#include "hw/storage/storage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "hw/pci/pci.h"
#include "hw/storage/ahci.h"
#include "hw/storage/block.h"
#include "hw/virtio/virtio_blk.h"

#define FIRST_SLOT 3

struct storage {
	struct ahci *ahci;
	struct virtio_blk *vblk[MACHINE_MAX_DISKS];
	struct block_backend *disks[MACHINE_MAX_DISKS];
	unsigned ndisks, nvblk;
};

static void storage_destroy(void *opaque)
{
	struct storage *s = opaque;
	/* Each device takes itself off the PCI bus before it is freed. */
	ahci_destroy(s->ahci);
	for (unsigned i = 0; i < s->nvblk; i++)
		virtio_blk_destroy(s->vblk[i]);
	for (unsigned i = 0; i < s->ndisks; i++)
		block_close(s->disks[i]);
	free(s);
}

static const struct device_ops storage_ops = {
	.type = "storage",
	.state_version = 1,
	.destroy = storage_destroy,
};

static int free_slot(struct pci_bus *bus, unsigned *next)
{
	while (*next < 32 && pci_bus_find(bus, PCI_DEVFN(*next, 0)))
		(*next)++;
	return *next < 32 ? (int)(*next)++ : -ENOSPC;
}

int storage_init(struct machine *m, char *err, size_t err_len)
{
	struct storage *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_len, "storage: out of memory");
		return -ENOMEM;
	}
	/* Registered first so that a failure below is cleaned up with the machine. */
	int rc = machine_add_device(m, &storage_ops, s, "storage");
	if (rc) {
		free(s);
		snprintf(err, err_len, "storage: cannot register: %s", strerror(-rc));
		return rc;
	}
	struct block_backend *ahci_disks[AHCI_PORTS] = { 0 };
	unsigned nahci = 0, slot = FIRST_SLOT;
	for (unsigned i = 0; i < m->cfg.ndisks; i++) {
		const struct disk_config *dc = &m->cfg.disks[i];
		if (dc->iface == DISK_IF_IDE)
			continue;
		if (dc->iface == DISK_IF_AHCI && nahci == AHCI_PORTS) {
			snprintf(err, err_len, "disk %s: too many AHCI disks (at most %d)", dc->path,
				 AHCI_PORTS);
			return -EINVAL;
		}
		struct block_backend *b = block_open(dc, err, err_len);
		if (!b)
			return -EINVAL;
		s->disks[s->ndisks++] = b;
		LOG(m->log, LOG_INFO, "storage", "%s: %s disk on %s, %llu sectors%s", dc->path,
		    b->ops->format, dc->iface == DISK_IF_AHCI ? "ahci" : "virtio-blk",
		    (unsigned long long)(b->size / BLOCK_SECTOR), b->readonly ? ", read-only" : "");
		if (dc->iface == DISK_IF_AHCI) {
			ahci_disks[nahci++] = b;
			continue;
		}
		int sl = free_slot(m->pci, &slot);
		if (sl < 0) {
			snprintf(err, err_len, "disk %s: no free PCI slot", dc->path);
			return sl;
		}
		s->vblk[s->nvblk] = virtio_blk_create(m, m->pci, PCI_DEVFN(sl, 0), b, s->nvblk,
						      err, err_len);
		if (!s->vblk[s->nvblk])
			return -EINVAL;
		s->nvblk++;
	}
	if (nahci) {
		int sl = free_slot(m->pci, &slot);
		if (sl < 0) {
			snprintf(err, err_len, "ahci: no free PCI slot");
			return sl;
		}
		s->ahci = ahci_create(m, m->pci, PCI_DEVFN(sl, 0), ahci_disks, err, err_len);
		if (!s->ahci)
			return -EINVAL;
	}
	return 0;
}
