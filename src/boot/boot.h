/*
 * Boot image loaders. boot_load() looks at the config (kernel, initrd,
 * append, bios, uefi) and loads what it names into guest memory, adds
 * firmware ROM regions, and sets m->boot_state (the BSP's initial state;
 * NULL means the architectural reset state, i.e. firmware boot).
 */
#ifndef NYX_BOOT_H
#define NYX_BOOT_H

#include <stddef.h>

struct machine;

int boot_load(struct machine *m, char *err, size_t err_len);

#endif
