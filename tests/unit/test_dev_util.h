/*
 * A hand-built machine for device unit tests: a PIO bus, an IRQ router
 * that records every line's level and rising edges, and helpers to drive
 * ports the way a guest does and to save / reset / load every device.
 */
#ifndef NYX_TEST_DEV_UTIL_H
#define NYX_TEST_DEV_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/machine.h"

#define RIG_GSIS 24

struct dev_rig {
	struct machine m;
	int level[RIG_GSIS];
	unsigned rises[RIG_GSIS];
};

/* ram: guest RAM size, laid out as core/memory.h says (no RAM allocated). */
void rig_init(struct dev_rig *r, uint64_t ram, unsigned cpus);
void rig_free(struct dev_rig *r);

uint8_t rig_inb(struct dev_rig *r, uint16_t port);
void rig_outb(struct dev_rig *r, uint16_t port, uint8_t v);
uint64_t rig_in(struct dev_rig *r, uint16_t port, unsigned size);
void rig_out(struct dev_rig *r, uint16_t port, unsigned size, uint64_t v);

/* Saves every device into a state stream. */
bool rig_save(struct dev_rig *r, void **buf, size_t *len);
/* Loads a stream made by rig_save; false (and a message) on error. */
bool rig_load(struct dev_rig *r, const void *buf, size_t len, char *err, size_t err_len);
/* Runs every device's reset, as a machine reset does. */
void rig_reset(struct dev_rig *r);

/* A scratch file path unique to this process and `tag`. */
void rig_tmpfile(char *buf, size_t len, const char *tag);
/* Reads a whole small file into buf (NUL-terminated); returns its length. */
long rig_slurp(const char *path, char *buf, size_t len);
/* Writes a 64 KiB firmware image (filled with HLT) whose reset vector
 * jumps to `code`, placed at 0xFF00 (at most 0xF0 bytes). */
void rig_write_reset_image(const char *path, const uint8_t *code, size_t n);

#endif
