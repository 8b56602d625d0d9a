/*
 * AML byte-code builder (see aml.h for the emission model).
 *
 * Design note: why our own builder rather than ASL compiled by iasl at
 * build time. The DSDT depends on the machine configuration (number of
 * vCPUs, where the PCI hole starts, which optional devices exist), so it
 * must be generated when the machine is built, not once at compile time;
 * a build-time iasl step would also add a toolchain dependency to every
 * build. iasl stays in the tests, as an independent disassembler that
 * checks what we emit.
 *
 * Encodings used here (ACPI 6.x, chapter 20):
 *   PkgLength: 1 byte if the total (body + the length bytes) < 64, else
 *   lead byte = (count-1) << 6 | low nibble, then the rest in 8-bit pieces;
 *   at most 4 bytes (2^28).
 *   NameString: ['\' | '^'*] then NullName (0x00), one NameSeg, DualName
 *   (0x2E seg seg) or MultiName (0x2F count segs); a NameSeg is four
 *   characters, [A-Z_] then [A-Z0-9_], short names padded with '_'.
 */
#include "acpi/aml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_free(struct aml *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

int aml_finish(struct aml *a)
{
	return a->failed || a->depth ? -EINVAL : 0;
}

static bool aml_reserve(struct aml *a, size_t more)
{
	if (a->failed)
		return false;
	if (a->len + more <= a->cap)
		return true;
	size_t cap = a->cap ? a->cap : 256;
	while (cap < a->len + more)
		cap *= 2;
	uint8_t *p = realloc(a->buf, cap);
	if (!p) {
		a->failed = true;
		return false;
	}
	a->buf = p;
	a->cap = cap;
	return true;
}

void aml_byte(struct aml *a, uint8_t v)
{
	if (aml_reserve(a, 1))
		a->buf[a->len++] = v;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (n && aml_reserve(a, n)) {
		memcpy(a->buf + a->len, p, n);
		a->len += n;
	}
}

void aml_op(struct aml *a, uint8_t op)
{
	aml_byte(a, op);
}

void aml_append(struct aml *a, const struct aml *b)
{
	if (b->failed || b->depth)
		a->failed = true;
	else
		aml_bytes(a, b->buf, b->len);
}

static void aml_le(struct aml *a, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

void aml_int(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO);
	} else if (v == 1) {
		aml_byte(a, AML_ONE);
	} else if (v == UINT64_MAX) {
		aml_byte(a, AML_ONES);
	} else if (v <= 0xFF) {
		aml_byte(a, 0x0A);
		aml_le(a, v, 1);
	} else if (v <= 0xFFFF) {
		aml_byte(a, 0x0B);
		aml_le(a, v, 2);
	} else if (v <= 0xFFFFFFFF) {
		aml_byte(a, 0x0C);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, 0x0E);
		aml_le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, 0x0D);
	aml_bytes(a, s, strlen(s) + 1);
}

void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = 0;

	if (strlen(id) != 7) {
		a->failed = true;
		return;
	}
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			a->failed = true;
			return;
		}
		v |= (uint32_t)(id[i] - 0x40) << (26 - 5 * i);
	}
	for (int i = 3; i < 7; i++) {
		char c = id[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else {
			a->failed = true;
			return;
		}
		v |= d << (4 * (6 - i));
	}
	/* The compressed id is stored most significant byte first. */
	aml_byte(a, 0x0C);
	aml_byte(a, (uint8_t)(v >> 24));
	aml_byte(a, (uint8_t)(v >> 16));
	aml_byte(a, (uint8_t)(v >> 8));
	aml_byte(a, (uint8_t)v);
}

void aml_local(struct aml *a, unsigned n)
{
	if (n > 7)
		a->failed = true;
	aml_byte(a, (uint8_t)(AML_LOCAL0 + (n & 7)));
}

void aml_arg(struct aml *a, unsigned n)
{
	if (n > 6)
		a->failed = true;
	aml_byte(a, (uint8_t)(AML_ARG0 + (n % 7)));
}

static bool aml_seg_char_ok(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

/* Writes one segment of up to four characters, padded with '_'. */
static void aml_seg(struct aml *a, const char *s, size_t n)
{
	char seg[4] = {'_', '_', '_', '_'};

	if (n == 0 || n > 4) {
		a->failed = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!aml_seg_char_ok(s[i], i == 0)) {
			a->failed = true;
			return;
		}
		seg[i] = s[i];
	}
	aml_bytes(a, seg, 4);
}

void aml_name(struct aml *a, const char *path)
{
	const char *p = path;
	unsigned nseg = 0;

	if (*p == '\\') {
		aml_byte(a, '\\');
		p++;
	} else {
		while (*p == '^') {
			aml_byte(a, '^');
			p++;
		}
	}
	if (*p) {
		nseg = 1;
		for (const char *q = p; *q; q++)
			nseg += *q == '.';
	}
	if (nseg == 0) {
		aml_byte(a, 0x00);
		return;
	}
	if (nseg == 2) {
		aml_byte(a, 0x2E);
	} else if (nseg > 2) {
		if (nseg > 255) {
			a->failed = true;
			return;
		}
		aml_byte(a, 0x2F);
		aml_byte(a, (uint8_t)nseg);
	}
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		aml_seg(a, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
}

void aml_name_decl(struct aml *a, const char *path)
{
	aml_byte(a, AML_NAME);
	aml_name(a, path);
}

void aml_name_int(struct aml *a, const char *path, uint64_t v)
{
	aml_name_decl(a, path);
	aml_int(a, v);
}

void aml_name_string(struct aml *a, const char *path, const char *s)
{
	aml_name_decl(a, path);
	aml_string(a, s);
}

void aml_name_eisaid(struct aml *a, const char *path, const char *id)
{
	aml_name_decl(a, path);
	aml_eisaid(a, id);
}

/* Marks the start of a PkgLength-prefixed body. */
static void aml_open(struct aml *a)
{
	if (a->depth >= AML_MAX_DEPTH) {
		a->failed = true;
		return;
	}
	a->open[a->depth++] = a->len;
}

static unsigned aml_pkglen_size(size_t body)
{
	if (body + 1 < 64)
		return 1;
	if (body + 2 < (1u << 12))
		return 2;
	if (body + 3 < (1u << 20))
		return 3;
	return 4;
}

static void aml_pkglen_encode(uint8_t *out, unsigned n, size_t total)
{
	if (n == 1) {
		out[0] = (uint8_t)total;
		return;
	}
	out[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0F));
	for (unsigned i = 1; i < n; i++)
		out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
}

void aml_end(struct aml *a)
{
	if (a->failed)
		return;
	if (a->depth == 0) {
		a->failed = true;
		return;
	}
	size_t start = a->open[--a->depth];
	size_t body = a->len - start;
	unsigned n = aml_pkglen_size(body);

	if (body + n >= (1u << 28) || !aml_reserve(a, n)) {
		a->failed = true;
		return;
	}
	memmove(a->buf + start + n, a->buf + start, body);
	aml_pkglen_encode(a->buf + start, n, body + n);
	a->len += n;
}

/* PkgLength of a field unit: the bit count itself, same encoding. */
static void aml_field_len(struct aml *a, unsigned bits)
{
	uint8_t out[4];
	unsigned n = bits < 64 ? 1 : bits < (1u << 12) ? 2 : bits < (1u << 20) ? 3 : 4;

	aml_pkglen_encode(out, n, bits);
	aml_bytes(a, out, n);
}

void aml_scope_begin(struct aml *a, const char *path)
{
	aml_byte(a, AML_SCOPE);
	aml_open(a);
	aml_name(a, path);
}

void aml_device_begin(struct aml *a, const char *path)
{
	aml_byte(a, 0x5B);
	aml_byte(a, 0x82);
	aml_open(a);
	aml_name(a, path);
}

void aml_method_begin(struct aml *a, const char *path, unsigned nargs, bool serialized)
{
	if (nargs > 7)
		a->failed = true;
	aml_byte(a, AML_METHOD);
	aml_open(a);
	aml_name(a, path);
	aml_byte(a, (uint8_t)((nargs & 7) | (serialized ? 0x08 : 0)));
}

void aml_package_begin(struct aml *a, unsigned nelems)
{
	if (nelems > 255)
		a->failed = true;
	aml_byte(a, AML_PACKAGE);
	aml_open(a);
	aml_byte(a, (uint8_t)nelems);
}

void aml_if_begin(struct aml *a)
{
	aml_byte(a, AML_IF);
	aml_open(a);
}

void aml_else_begin(struct aml *a)
{
	aml_byte(a, AML_ELSE);
	aml_open(a);
}

void aml_while_begin(struct aml *a)
{
	aml_byte(a, AML_WHILE);
	aml_open(a);
}

void aml_field_begin(struct aml *a, const char *region, uint8_t flags)
{
	aml_byte(a, 0x5B);
	aml_byte(a, 0x81);
	aml_open(a);
	aml_name(a, region);
	aml_byte(a, flags);
}

void aml_field_unit(struct aml *a, const char *name, unsigned bits)
{
	aml_seg(a, name, strlen(name));
	aml_field_len(a, bits);
}

void aml_field_skip(struct aml *a, unsigned bits)
{
	aml_byte(a, 0x00);
	aml_field_len(a, bits);
}

void aml_buffer(struct aml *a, const void *data, size_t len)
{
	aml_byte(a, AML_BUFFER);
	aml_open(a);
	aml_int(a, len);
	aml_bytes(a, data, len);
	aml_end(a);
}

void aml_opregion(struct aml *a, const char *name, enum aml_region_space space,
		  uint64_t offset, uint64_t len)
{
	aml_byte(a, 0x5B);
	aml_byte(a, 0x80);
	aml_name(a, name);
	aml_byte(a, (uint8_t)space);
	aml_int(a, offset);
	aml_int(a, len);
}

/* ---- resource descriptors ---- */

void aml_res_io(struct aml *r, uint16_t base, uint8_t len)
{
	/* Small item 0x08 (I/O port), 7 bytes: 16-bit decode, min = max. */
	aml_byte(r, 0x47);
	aml_byte(r, 0x01);
	aml_le(r, base, 2);
	aml_le(r, base, 2);
	aml_byte(r, 0x01);           /* alignment */
	aml_byte(r, len);
}

void aml_res_irq_noflags(struct aml *r, uint16_t mask)
{
	aml_byte(r, 0x22);           /* small item 0x04, 2 bytes: edge, high */
	aml_le(r, mask, 2);
}

void aml_res_interrupt_level_shared(struct aml *r, const uint32_t *irqs, unsigned n)
{
	if (n == 0 || n > 255) {
		r->failed = true;
		return;
	}
	aml_byte(r, 0x89);           /* large item 0x09: extended interrupt */
	aml_le(r, 2 + 4 * n, 2);
	/* consumer (bit 0), level (bit 1 clear), active high (bit 2 clear),
	 * shared (bit 3) */
	aml_byte(r, 0x09);
	aml_byte(r, (uint8_t)n);
	for (unsigned i = 0; i < n; i++)
		aml_le(r, irqs[i], 4);
}

void aml_res_memory32_fixed(struct aml *r, bool writable, uint32_t base, uint32_t len)
{
	aml_byte(r, 0x86);           /* large item 0x06, 9 bytes */
	aml_le(r, 9, 2);
	aml_byte(r, writable ? 1 : 0);
	aml_le(r, base, 4);
	aml_le(r, len, 4);
}

/* Address space descriptors: producer, positive decode, min and max fixed. */
#define AML_ADDR_GENERAL_FLAGS 0x0C

static void aml_res_addr(struct aml *r, uint8_t tag, unsigned width, uint8_t type,
			 uint8_t type_flags, uint64_t min, uint64_t max)
{
	aml_byte(r, tag);
	aml_le(r, 3 + 5 * width, 2);
	aml_byte(r, type);
	aml_byte(r, AML_ADDR_GENERAL_FLAGS);
	aml_byte(r, type_flags);
	aml_le(r, 0, width);                 /* granularity */
	aml_le(r, min, width);
	aml_le(r, max, width);
	aml_le(r, 0, width);                 /* translation offset */
	aml_le(r, max - min + 1, width);     /* length */
}

void aml_res_word_bus(struct aml *r, uint16_t min, uint16_t max)
{
	aml_res_addr(r, 0x88, 2, 2, 0, min, max);
}

void aml_res_word_io(struct aml *r, uint16_t min, uint16_t max)
{
	/* type flags: ISA and non-ISA ranges (entire range) */
	aml_res_addr(r, 0x88, 2, 1, 0x03, min, max);
}

void aml_res_dword_memory(struct aml *r, bool cacheable, uint32_t min, uint32_t max)
{
	/* type flags: read-write (bit 0), cacheable (bits 1-2 = 1) */
	aml_res_addr(r, 0x87, 4, 0, cacheable ? 0x03 : 0x01, min, max);
}

void aml_res_qword_memory(struct aml *r, bool cacheable, uint64_t min, uint64_t max)
{
	aml_res_addr(r, 0x8A, 8, 0, cacheable ? 0x03 : 0x01, min, max);
}

void aml_resource_template(struct aml *a, const struct aml *r)
{
	struct aml t;

	aml_init(&t);
	aml_append(&t, r);
	aml_byte(&t, 0x79);          /* end tag; checksum 0 means "not used" */
	aml_byte(&t, 0x00);
	if (t.failed)
		a->failed = true;
	else
		aml_buffer(a, t.buf, t.len);
	aml_free(&t);
}
