/*
 * isa-debug-exit (QEMU's convention): a write of v to port 0xF4 stops the
 * machine with exit status (v << 1) | 1, so test guests can report results.
 */
#ifndef NYX_HW_PC_DEBUGEXIT_H
#define NYX_HW_PC_DEBUGEXIT_H

struct machine;

#define DEBUGEXIT_PORT 0xF4

int debugexit_create(struct machine *m);

#endif
