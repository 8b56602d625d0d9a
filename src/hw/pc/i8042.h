/*
 * 8042 keyboard controller (ports 0x60/0x64) with a PS/2 keyboard and a
 * PS/2 mouse attached: enough for SeaBIOS and Linux to probe and use it,
 * the reset line (pulse 0xFE) and the A20 gate of its output port.
 */
#ifndef NYX_HW_PC_I8042_H
#define NYX_HW_PC_I8042_H

#include <stdatomic.h>
#include <stdbool.h>

struct machine;
struct i8042;

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define I8042_KBD_IRQ 1
#define I8042_AUX_IRQ 12

/*
 * a20: the machine's A20 gate, shared with port 0x92 (reset.c). The
 * emulator reads it through pc_a20_enabled() (pc.h); KVM ignores A20, as
 * QEMU does with KVM.
 */
int i8042_create(struct machine *m, atomic_bool *a20, struct i8042 **out);

#endif
