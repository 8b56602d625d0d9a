/*
 * POST-code port 0x80: every byte the guest writes there is logged with the
 * time since machine start and its boot phase, and kept in a short history
 * so boot phases can be timed (metrics, bench).
 */
#ifndef NYX_HW_PC_POST_H
#define NYX_HW_PC_POST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;
struct post;

#define POST_PORT 0x80
#define POST_HISTORY 64

struct post_record {
	uint8_t code;
	uint64_t ns;             /* machine_clock_ns() at the write */
};

int post_create(struct machine *m, struct post **out);
/* The boot phase a code belongs to (INTERFACE.md): "firmware",
 * "bootloader", "kernel", "userspace", or "other" (0x80-0xff). */
const char *post_phase_name(uint8_t code);
/* The last code written; false if none yet. */
bool post_last(struct post *p, struct post_record *rec);
/* Copies the last (up to max) records, oldest first; returns how many. */
size_t post_history(struct post *p, struct post_record *out, size_t max);
/* Total writes since reset. */
uint64_t post_count(struct post *p);

#endif
