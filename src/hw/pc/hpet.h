/*
 * HPET (IA-PC HPET specification 1.0a) at 0xFED00000: one block of three
 * 64-bit comparators on a 100 MHz main counter, legacy replacement routing
 * (timer 0 -> IRQ 0, timer 1 -> IRQ 8), as Linux and OVMF use it. A
 * user-space MMIO device on both CPU backends.
 */
#ifndef NYX_HW_PC_HPET_H
#define NYX_HW_PC_HPET_H

#include <stdint.h>

struct machine;
struct hpet;

#define HPET_BASE 0xFED00000ULL
#define HPET_SIZE 0x400
#define HPET_TIMERS 3
/* Main counter period in femtoseconds: 10 ns, a 100 MHz counter. */
#define HPET_PERIOD_FS 10000000ULL

/* Registers (offsets into the block). */
#define HPET_REG_CAP 0x000
#define HPET_REG_CONFIG 0x010
#define HPET_REG_STATUS 0x020
#define HPET_REG_COUNTER 0x0F0
#define HPET_REG_TIMER(n) (0x100 + 0x20 * (n))   /* Tn_CONF_CAP */
#define HPET_REG_CMP(n) (0x108 + 0x20 * (n))     /* Tn_COMPARATOR */
#define HPET_REG_FSB(n) (0x110 + 0x20 * (n))     /* Tn_FSB_INT_ROUTE */

/* General configuration. */
#define HPET_CFG_ENABLE (1u << 0)
#define HPET_CFG_LEGACY (1u << 1)

/* Timer configuration and capabilities. */
#define HPET_TN_LEVEL (1u << 1)
#define HPET_TN_INT_ENABLE (1u << 2)
#define HPET_TN_PERIODIC (1u << 3)
#define HPET_TN_PERIODIC_CAP (1u << 4)
#define HPET_TN_SIZE_64 (1u << 5)
#define HPET_TN_VAL_SET (1u << 6)
#define HPET_TN_32BIT (1u << 8)
#define HPET_TN_ROUTE_SHIFT 9
#define HPET_TN_ROUTE_MASK (0x1Fu << HPET_TN_ROUTE_SHIFT)
#define HPET_TN_FSB_ENABLE (1u << 14)
#define HPET_TN_FSB_CAP (1u << 15)
/* IOAPIC pins a timer may be routed to without legacy replacement: 16-23,
 * which nothing else on this board drives. */
#define HPET_ROUTE_CAP 0x00FF0000u

/* Creates the block at HPET_BASE on the machine's MMIO bus. */
int hpet_create(struct machine *m, struct hpet **out);

/* For tests: replace the clock source (ns, monotonic; machine_clock_ns by
 * default). Call before the guest enables the counter. */
void hpet_set_clock(struct hpet *h, uint64_t (*now_ns)(void *opaque), void *opaque);
/* Runs what is due at the current clock (what the loop timer does); for
 * tests that move the clock by hand. */
void hpet_poll(struct hpet *h);

#endif
