/*
 * Boot image loaders. boot_load() looks at the config (kernel, initrd,
 * append, bios, uefi) and loads what it names into guest memory, adds
 * firmware ROM regions, and sets m->boot_state (the BSP's initial state;
 * NULL means the architectural reset state, i.e. firmware boot).
 * Kernels are told apart by content: multiboot v1, PVH ELF, Linux bzImage.
 *
 * Machine reset calls boot_load() again: it re-reads the files and reloads
 * guest memory (the kernel has overwritten its own image by then), rebuilds
 * boot_state (malloc'd; the machine frees it) and keeps firmware ROM regions
 * already mapped. m->boot_ram is not used. Returns 0 or a negative errno
 * with err naming the file and what is wrong with it.
 */
#ifndef NYX_BOOT_H
#define NYX_BOOT_H

#include <stddef.h>

struct machine;

int boot_load(struct machine *m, char *err, size_t err_len);

#endif
