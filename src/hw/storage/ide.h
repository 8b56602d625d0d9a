/*
 * What the rest of the VMM needs to know about IDE disks without the
 * controller model: which configured disk lands where, and its firmware
 * device path (for the fw_cfg "bootorder" file, in the spelling SeaBIOS
 * matches on QEMU's PIIX IDE at 00:01.1).
 *
 * The n-th disk with if=ide (n counted over the IDE disks only, in command
 * line order) is: 0 primary master, 1 primary slave, 2 secondary master,
 * 3 secondary slave. More than four IDE disks is a configuration error.
 */
#ifndef NYX_HW_STORAGE_IDE_H
#define NYX_HW_STORAGE_IDE_H

#include <stdio.h>

#define IDE_MAX_DISKS 4
#define IDE_PCI_DEV 1
#define IDE_PCI_FN 1

/* "/pci@i0cf8/ide@1,1/drive@C/disk@U" for IDE disk n; -1 if n is out of range. */
static inline int ide_boot_path(unsigned n, char *buf, size_t len)
{
	if (n >= IDE_MAX_DISKS)
		return -1;
	return snprintf(buf, len, "/pci@i0cf8/ide@%x,%x/drive@%u/disk@%u", IDE_PCI_DEV,
			IDE_PCI_FN, n / 2, n % 2);
}

#endif
