/*
 * The PC's x87 error logic (FERR#, IGNNE#, IRQ 13, port 0xF0): how a vCPU
 * running with CR0.NE=0 reports an x87 exception, the MS-DOS way (Intel SDM
 * Vol. 1, appendix D). The emulator's x87 unit calls pc_ferr_signal() and
 * pc_ferr_release(); the guest clears the request with a write to 0xF0.
 */
#ifndef NYX_HW_PC_FERR_H
#define NYX_HW_PC_FERR_H

#include <stdbool.h>

struct machine;
struct ferr;

#define FERR_PORT 0xF0
#define FERR_IRQ 13

int ferr_create(struct machine *m, struct ferr **out);

/* A vCPU reached a waiting x87 or MMX instruction with an unmasked x87
 * exception pending and CR0.NE=0. Returns true when IGNNE# is asserted
 * (the instruction runs, the exception ignored) or when the machine has no
 * such logic (no PC board); otherwise asserts that vCPU's FERR# (IRQ 13 on
 * the line's rising edge) and returns false: the vCPU freezes until an
 * interrupt. */
bool pc_ferr_signal(struct machine *m, unsigned cpu);
/* The vCPU has no unmasked exception pending any more: its FERR# goes
 * inactive, and IGNNE# with the last one. Cheap when it was inactive. */
void pc_ferr_release(struct machine *m, unsigned cpu);

#endif
