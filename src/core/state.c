/* State stream encoder/decoder (format in state.h). */
#include "core/state.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_MAGIC "NYXSTATE"
#define TAG_SECT 0x54434553u /* "SECT" little endian */
#define TAG_END 0x21444e45u  /* "END!" */

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t state_crc32(uint32_t crc, const void *buf, size_t len)
{
	static int ready;
	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
		crc_init();
		__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	}
	const uint8_t *p = buf;
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

void sw_init(struct state_writer *w)
{
	memset(w, 0, sizeof(*w));
}

void sw_free(struct state_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

void sw_bytes(struct state_writer *w, const void *p, size_t n)
{
	if (w->failed)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *b = realloc(w->buf, cap);
		if (!b) {
			w->failed = true;
			return;
		}
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void sw_u8(struct state_writer *w, uint8_t v) { sw_bytes(w, &v, 1); }

void sw_u16(struct state_writer *w, uint16_t v)
{
	uint8_t b[2] = { v, v >> 8 };
	sw_bytes(w, b, 2);
}

void sw_u32(struct state_writer *w, uint32_t v)
{
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };
	sw_bytes(w, b, 4);
}

void sw_u64(struct state_writer *w, uint64_t v)
{
	sw_u32(w, (uint32_t)v);
	sw_u32(w, (uint32_t)(v >> 32));
}

void sw_begin(struct state_writer *w)
{
	sw_bytes(w, STATE_MAGIC, 8);
	sw_u32(w, STATE_FORMAT_VERSION);
}

void sw_section_begin(struct state_writer *w, const char *name, uint32_t version)
{
	size_t n = strlen(name);
	sw_u32(w, TAG_SECT);
	sw_u16(w, (uint16_t)n);
	sw_bytes(w, name, n);
	sw_u32(w, version);
	w->section_start = w->len;
	sw_u64(w, 0);
	w->in_section = true;
}

void sw_section_end(struct state_writer *w)
{
	if (!w->in_section || w->failed)
		return;
	uint64_t len = w->len - w->section_start - 8;
	for (int i = 0; i < 8; i++)
		w->buf[w->section_start + i] = (uint8_t)(len >> (8 * i));
	w->in_section = false;
}

void sw_finish(struct state_writer *w)
{
	sw_u32(w, TAG_END);
	if (!w->failed)
		sw_u32(w, state_crc32(0, w->buf, w->len));
}

void sr_fail(struct state_reader *r, const char *fmt, ...)
{
	if (r->error[0])
		return;
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->section[0])
		snprintf(r->error, sizeof(r->error), "section '%s': %s", r->section, msg);
	else
		snprintf(r->error, sizeof(r->error), "%s", msg);
}

static bool take(struct state_reader *r, void *p, size_t n)
{
	size_t limit = r->section_end ? r->section_end : r->len;
	if (r->error[0] || n > limit - r->pos) {
		if (!r->error[0])
			sr_fail(r, "truncated: needs %zu more bytes at offset %zu", n, r->pos);
		memset(p, 0, n);
		return false;
	}
	memcpy(p, r->buf + r->pos, n);
	r->pos += n;
	return true;
}

void sr_bytes(struct state_reader *r, void *p, size_t n) { take(r, p, n); }

uint8_t sr_u8(struct state_reader *r)
{
	uint8_t v;
	take(r, &v, 1);
	return v;
}

uint16_t sr_u16(struct state_reader *r)
{
	uint8_t b[2];
	take(r, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

uint32_t sr_u32(struct state_reader *r)
{
	uint8_t b[4];
	take(r, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

uint64_t sr_u64(struct state_reader *r)
{
	uint64_t lo = sr_u32(r);
	return lo | (uint64_t)sr_u32(r) << 32;
}

bool sr_init(struct state_reader *r, const void *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->len = len;
	if (len < 20 || memcmp(buf, STATE_MAGIC, 8)) {
		sr_fail(r, "not a Nyx state stream (bad magic)");
		return false;
	}
	r->pos = 8;
	uint32_t ver = sr_u32(r);
	if (ver != STATE_FORMAT_VERSION) {
		sr_fail(r, "unsupported state format version %u (this build reads %u)", ver,
			STATE_FORMAT_VERSION);
		return false;
	}
	/* The checksum covers everything before it: find the end tag by walking
	 * the sections. */
	size_t pos = 12;
	for (;;) {
		if (len - pos < 4) {
			sr_fail(r, "truncated: no end marker");
			return false;
		}
		uint32_t tag = sr_u32(&(struct state_reader){ .buf = buf, .len = len, .pos = pos });
		if (tag == TAG_END)
			break;
		if (tag != TAG_SECT) {
			sr_fail(r, "corrupt: bad section tag at offset %zu", pos);
			return false;
		}
		struct state_reader t = { .buf = buf, .len = len, .pos = pos + 4 };
		uint16_t nlen = sr_u16(&t);
		if (t.error[0] || nlen > len - t.pos) {
			sr_fail(r, "truncated section header at offset %zu", pos);
			return false;
		}
		t.pos += nlen;
		sr_u32(&t);
		uint64_t plen = sr_u64(&t);
		if (t.error[0] || plen > len - t.pos) {
			sr_fail(r, "truncated section at offset %zu", pos);
			return false;
		}
		pos = t.pos + plen;
	}
	if (len - pos < 8) {
		sr_fail(r, "truncated: no checksum");
		return false;
	}
	struct state_reader t = { .buf = buf, .len = len, .pos = pos + 4 };
	uint32_t want = sr_u32(&t);
	uint32_t got = state_crc32(0, buf, pos + 4);
	if (want != got) {
		sr_fail(r, "corrupt: checksum mismatch (stored %08x, computed %08x)", want, got);
		return false;
	}
	r->len = pos + 4;   /* sections end where the end tag starts */
	r->pos = 12;
	return true;
}

bool sr_next_section(struct state_reader *r, char *name, size_t name_len, uint32_t *version)
{
	if (r->error[0])
		return false;
	r->section_end = 0;
	r->section[0] = 0;
	uint32_t tag = sr_u32(r);
	if (tag == TAG_END || r->error[0])
		return false;
	uint16_t nlen = sr_u16(r);
	char buf[64];
	size_t keep = nlen < sizeof(buf) - 1 ? nlen : sizeof(buf) - 1;
	take(r, buf, keep);
	r->pos += nlen - keep;
	buf[keep] = 0;
	*version = sr_u32(r);
	uint64_t plen = sr_u64(r);
	if (r->error[0])
		return false;
	snprintf(r->section, sizeof(r->section), "%s", buf);
	snprintf(name, name_len, "%s", buf);
	r->section_end = r->pos + plen;
	return true;
}

void sr_section_done(struct state_reader *r)
{
	if (r->error[0])
		return;
	if (r->section_end)
		r->pos = r->section_end;
	r->section_end = 0;
}
