/*
 * Debug console at port 0x402 (QEMU's isa-debugcon): bytes written go to a
 * file, the firmware log of SeaBIOS and OVMF.
 */
#ifndef NYX_HW_PC_DEBUGCON_H
#define NYX_HW_PC_DEBUGCON_H

#include <stddef.h>

struct machine;

#define DEBUGCON_PORT 0x402
/* What a read returns: SeaBIOS and OVMF probe for the port with it. */
#define DEBUGCON_READBACK 0xE9

/* path NULL: output discarded. 0 or a negative errno with err filled. */
int debugcon_create(struct machine *m, const char *path, char *err, size_t err_len);

#endif
