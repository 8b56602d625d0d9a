/*
 * Reset control: the reset control register at port 0xCF9 and System
 * Control Port A at 0x92 (fast reset, fast A20).
 *
 * On i440FX, 0xCF9 belongs to the PIIX3 and sits inside the PCI
 * configuration window 0xCF8-0xCFB; if the PCI host bridge claims that
 * window it creates this device with claim_cf9 = false and forwards byte
 * accesses at 0xCF9 to reset_cf9_read/reset_cf9_write.
 */
#ifndef NYX_HW_PC_RESET_H
#define NYX_HW_PC_RESET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct machine;
struct reset_ctl;

#define RESET_CF9_PORT 0xCF9
#define RESET_PORT92 0x92

/* a20: the machine's A20 gate, shared with the 8042 (pc.h). */
int reset_ctl_create(struct machine *m, atomic_bool *a20, bool claim_cf9,
		     struct reset_ctl **out);
uint8_t reset_cf9_read(struct reset_ctl *rc);
void reset_cf9_write(struct reset_ctl *rc, uint8_t v);

#endif
