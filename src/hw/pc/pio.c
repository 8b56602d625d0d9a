/* Byte-cycle helpers for ISA-style port devices (see pio.h). */
#include "hw/pc/pio.h"

uint64_t pio_read_bytes(pio_byte_read_fn rd, void *opaque, uint64_t offset, unsigned size,
			unsigned len)
{
	uint64_t v = 0;

	if (size > 8)
		size = 8;
	for (unsigned i = 0; i < size; i++) {
		uint64_t off = offset + i;
		uint8_t b = off < len ? rd(opaque, (unsigned)off) : 0xFF;
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

void pio_write_bytes(pio_byte_write_fn wr, void *opaque, uint64_t offset, uint64_t value,
		     unsigned size, unsigned len)
{
	if (size > 8)
		size = 8;
	for (unsigned i = 0; i < size; i++) {
		uint64_t off = offset + i;
		if (off < len)
			wr(opaque, (unsigned)off, (uint8_t)(value >> (8 * i)));
	}
}
