/* AHCI SATA controller (Intel ICH9 8086:2922). */
#ifndef NYX_HW_STORAGE_AHCI_H
#define NYX_HW_STORAGE_AHCI_H

#include <stddef.h>

struct machine;
struct pci_bus;
struct block_backend;
struct ahci;

#define AHCI_PORTS 6

/* Creates the controller at devfn with disks[i] on port i (NULL = empty). */
struct ahci *ahci_create(struct machine *m, struct pci_bus *bus, unsigned devfn,
			 struct block_backend *const disks[AHCI_PORTS], char *err, size_t err_len);
void ahci_destroy(struct ahci *a);

#endif
