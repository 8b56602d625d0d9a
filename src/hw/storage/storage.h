/*
 * Disk controllers beyond the chipset's IDE: one AHCI controller holding
 * every disk configured with if=ahci (ports in order), and one virtio-blk
 * function per disk with if=virtio. PCI slots are taken from 3 upward
 * (0-1 chipset, 2 display) in the order disks were given.
 */
#ifndef NYX_HW_STORAGE_STORAGE_H
#define NYX_HW_STORAGE_STORAGE_H

#include <stddef.h>

struct machine;

int storage_init(struct machine *m, char *err, size_t err_len);

#endif
