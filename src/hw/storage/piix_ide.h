/*
 * PIIX IDE (8086:7010, 00:01.1, class 0101 prog-if 0x80): two ATA channels
 * on the legacy ports (0x1F0-0x1F7/0x3F6 IRQ 14, 0x170-0x177/0x376 IRQ 15)
 * with bus-master DMA through BAR4. Disks come from the machine config
 * (if=ide, in order: primary master, primary slave, secondary master,
 * secondary slave; see ide.h).
 */
#ifndef NYX_HW_STORAGE_PIIX_IDE_H
#define NYX_HW_STORAGE_PIIX_IDE_H

#include <stddef.h>

struct machine;
struct pci_bus;
struct piix_ide;
struct block_backend;
struct state_writer;
struct state_reader;

/* Creates the function, opens the configured IDE disks and joins the bus. */
int piix_ide_create(struct machine *m, struct pci_bus *bus, struct piix_ide **out, char *err,
		    size_t err_len);
/* Attaches `blk` as drive `n` (0..3) before the guest runs (tests); the
 * controller owns it afterwards. */
int piix_ide_attach(struct piix_ide *ide, unsigned n, struct block_backend *blk);
void piix_ide_reset(struct piix_ide *ide);
void piix_ide_destroy(struct piix_ide *ide);
/* Snapshot of the function, its channels and drives (chipset section). */
void piix_ide_save(struct piix_ide *ide, struct state_writer *w);
void piix_ide_load(struct piix_ide *ide, struct state_reader *r);

#endif
