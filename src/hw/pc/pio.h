/*
 * Byte-cycle helpers for ISA-style port devices.
 *
 * The legacy PC devices decode single bytes. A wider IN/OUT reaching them is
 * split into consecutive byte cycles, as the ISA bus does, so a guest doing
 * `outw` to a UART gets the same result as two `outb`. Bytes that fall
 * past the device's range read as 0xFF and are dropped on write.
 */
#ifndef NYX_HW_PC_PIO_H
#define NYX_HW_PC_PIO_H

#include <stdint.h>

typedef uint8_t (*pio_byte_read_fn)(void *opaque, unsigned offset);
typedef void (*pio_byte_write_fn)(void *opaque, unsigned offset, uint8_t value);

/* Reads `size` bytes starting at `offset` of a `len`-byte port range. */
uint64_t pio_read_bytes(pio_byte_read_fn rd, void *opaque, uint64_t offset, unsigned size,
			unsigned len);
/* Writes `size` bytes of `value` starting at `offset`, low byte first. */
void pio_write_bytes(pio_byte_write_fn wr, void *opaque, uint64_t offset, uint64_t value,
		     unsigned size, unsigned len);

#endif
