/*
 * The PC board: instantiates the platform devices of the machine (serial
 * ports, debug ports, RTC, 8042, reset, and later the PCI chipset) on a
 * machine whose memory, buses and vCPUs exist. Called by machine_create().
 */
#ifndef NYX_HW_PC_H
#define NYX_HW_PC_H

#include <stddef.h>

struct machine;

int pc_board_init(struct machine *m, char *err, size_t err_len);

#endif
