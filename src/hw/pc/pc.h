/*
 * The PC board: instantiates the platform devices of the machine (serial
 * ports, debug ports, RTC, 8042, reset, and later the PCI chipset) on a
 * machine whose memory, buses and vCPUs exist. Called by machine_create().
 */
#ifndef NYX_HW_PC_H
#define NYX_HW_PC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct machine;
struct serial;
struct post;
struct rtc;
struct i8042;
struct reset_ctl;
struct hpet;
struct ferr;

/* What the board built; hangs off m->board. */
struct pc_board {
	struct machine *m;
	/* The A20 gate: one place, driven by the 8042 output port and by
	 * port 0x92 (the last write wins, as on QEMU). */
	atomic_bool a20;
	struct serial *com[2];
	struct post *post;
	struct rtc *rtc;
	struct i8042 *kbc;
	struct reset_ctl *reset;
	struct hpet *hpet;
	struct ferr *ferr;        /* FERR#/IGNNE#, IRQ 13, port 0xF0 */
};

int pc_board_init(struct machine *m, char *err, size_t err_len);
/* The board of m, or NULL before pc_board_init. */
struct pc_board *pc_board(struct machine *m);
/* A20 gate state for the emulator's address masking (KVM ignores A20). */
bool pc_a20_enabled(struct machine *m);

#endif
