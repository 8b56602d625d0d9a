/* virtio-blk: a disk on the virtio PCI transport. */
#ifndef NYX_HW_VIRTIO_BLK_H
#define NYX_HW_VIRTIO_BLK_H

#include <stddef.h>

struct machine;
struct pci_bus;
struct block_backend;
struct blk_stats;
struct virtio_blk;

struct virtio_blk *virtio_blk_create(struct machine *m, struct pci_bus *bus, unsigned devfn,
				     struct block_backend *be, unsigned index, char *err,
				     size_t err_len);
void virtio_blk_destroy(struct virtio_blk *b);
void virtio_blk_stats(struct virtio_blk *b, struct blk_stats *out);

#endif
