/*
 * State stream: snapshots and migration.
 *
 * Format (all integers little endian):
 *   stream  := magic "NYXSTATE" u32 format_version section* end
 *   section := u32 tag 'SECT' u16 name_len name[name_len] u32 version
 *              u64 payload_len payload[payload_len]
 *   end     := u32 tag 'END!' u32 crc32 of everything before it
 * Payload fields are written in a fixed order per section version. A reader
 * validates tags, lengths against what remains, versions, and the checksum;
 * the first error is recorded (with the section name) and every later read
 * returns zeros, so loaders need not check each field.
 */
#ifndef NYX_CORE_STATE_H
#define NYX_CORE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATE_FORMAT_VERSION 1

struct state_writer {
	uint8_t *buf;
	size_t len, cap;
	size_t section_start;    /* offset of the open section's payload_len */
	bool in_section;
	bool failed;             /* out of memory */
};

struct state_reader {
	const uint8_t *buf;
	size_t len, pos;
	size_t section_end;
	char section[64];
	char error[256];
};

void sw_init(struct state_writer *w);
void sw_free(struct state_writer *w);
void sw_begin(struct state_writer *w);              /* magic + version */
void sw_section_begin(struct state_writer *w, const char *name, uint32_t version);
void sw_section_end(struct state_writer *w);
void sw_finish(struct state_writer *w);             /* end tag + crc */
void sw_u8(struct state_writer *w, uint8_t v);
void sw_u16(struct state_writer *w, uint16_t v);
void sw_u32(struct state_writer *w, uint32_t v);
void sw_u64(struct state_writer *w, uint64_t v);
void sw_bytes(struct state_writer *w, const void *p, size_t n);

/* Checks magic, version and checksum; false with r->error set on failure. */
bool sr_init(struct state_reader *r, const void *buf, size_t len);
/* Opens the next section; false at the end tag. */
bool sr_next_section(struct state_reader *r, char *name, size_t name_len, uint32_t *version);
/* Skips what the loader did not read of the current section. */
void sr_section_done(struct state_reader *r);
uint8_t sr_u8(struct state_reader *r);
uint16_t sr_u16(struct state_reader *r);
uint32_t sr_u32(struct state_reader *r);
uint64_t sr_u64(struct state_reader *r);
void sr_bytes(struct state_reader *r, void *p, size_t n);
void sr_fail(struct state_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline bool sr_ok(const struct state_reader *r) { return r->error[0] == 0; }

uint32_t state_crc32(uint32_t crc, const void *buf, size_t len);

#endif
