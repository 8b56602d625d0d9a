/*
 * 16550A UART (the PC's COM ports): eight byte registers at `base`, one IRQ,
 * a character backend for the bytes.
 */
#ifndef NYX_HW_PC_SERIAL_H
#define NYX_HW_PC_SERIAL_H

#include <stddef.h>
#include <stdint.h>

struct machine;
struct chardev;
struct serial;

#define SERIAL_COM1_BASE 0x3F8
#define SERIAL_COM1_IRQ 4
#define SERIAL_COM2_BASE 0x2F8
#define SERIAL_COM2_IRQ 3

/*
 * Creates the UART, claims ports [base, base+8) on m->pio and registers it
 * with the machine as `name`. Takes ownership of chr (may be NULL: no
 * backend) even on failure. 0 or a negative errno.
 */
int serial_create(struct machine *m, uint16_t base, unsigned gsi, struct chardev *chr,
		  const char *name, struct serial **out);

/* Line input, as a backend delivers it: returns how many bytes fit. */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len);
/* A break condition on the line (a backend that can signal one). */
void serial_receive_break(struct serial *s);

#endif
