/*
 * Shared fixture of the boot-loader unit tests: a machine with guest RAM
 * only (no backend, no vCPUs), image files written to a temporary
 * directory, little-endian builders for ELF/multiboot/bzImage images and
 * readers of guest memory. The builders write the formats from their
 * specifications, independently of src/boot.
 */
#ifndef NYX_TEST_BOOT_FIXTURE_H
#define NYX_TEST_BOOT_FIXTURE_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/boot.h"
#include "core/machine.h"
#include "harness.h"

#define BT_MiB (1ULL << 20)

struct bt {
	struct machine *m;
	char dir[64];
	char err[512];
	char paths[8][128];
	unsigned npaths;
};

static inline void bt_put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static inline void bt_put32(uint8_t *p, uint32_t v) { bt_put16(p, v); bt_put16(p + 2, v >> 16); }
static inline void bt_put64(uint8_t *p, uint64_t v) { bt_put32(p, v); bt_put32(p + 4, v >> 32); }
static inline uint32_t bt_get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

/* A machine with `ram` bytes of guest RAM; false if it cannot be made. */
static inline bool bt_init(struct bt *t, uint64_t ram)
{
	memset(t, 0, sizeof(*t));
	strcpy(t->dir, "/tmp/nyx-boot-test-XXXXXX");
	if (!mkdtemp(t->dir))
		return false;
	t->m = calloc(1, sizeof(*t->m));
	if (!t->m)
		return false;
	machine_config_init(&t->m->cfg);
	t->m->cfg.mem_size = ram;
	return mem_init(&t->m->mem, ram) == 0;
}

static inline void bt_fini(struct bt *t)
{
	for (unsigned i = 0; i < t->npaths; i++)
		unlink(t->paths[i]);
	rmdir(t->dir);
	if (t->m) {
		free(t->m->boot_state);
		mem_destroy(&t->m->mem);
		free(t->m);
	}
}

/* Writes a file into the test directory; returns its path. */
static inline char *bt_file(struct bt *t, const char *name, const void *data, size_t len)
{
	char *p = t->paths[t->npaths++];
	snprintf(p, sizeof(t->paths[0]), "%s/%s", t->dir, name);
	FILE *f = fopen(p, "wb");
	if (f) {
		if (len)
			fwrite(data, 1, len, f);
		fclose(f);
	}
	return p;
}

/* Replaces the contents of a file made by bt_file(). */
static inline void bt_rewrite(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f) {
		if (len)
			fwrite(data, 1, len, f);
		fclose(f);
	}
}

/* A sparse file of `len` bytes (for "too large" cases without the I/O). */
static inline char *bt_sparse(struct bt *t, const char *name, uint64_t len)
{
	char *p = bt_file(t, name, NULL, 0);
	if (truncate(p, (off_t)len) < 0)
		p[0] = 0;
	return p;
}

static inline int bt_load(struct bt *t)
{
	t->err[0] = 0;
	return boot_load(t->m, t->err, sizeof(t->err));
}

static inline uint32_t bt_r32(struct bt *t, uint64_t gpa)
{
	uint8_t b[4] = { 0xEE, 0xEE, 0xEE, 0xEE };
	gpa_read(&t->m->mem, gpa, b, 4);
	return bt_get32(b);
}

static inline uint64_t bt_r64(struct bt *t, uint64_t gpa)
{
	return bt_r32(t, gpa) | (uint64_t)bt_r32(t, gpa + 4) << 32;
}

static inline uint8_t bt_r8(struct bt *t, uint64_t gpa)
{
	uint8_t b = 0xEE;
	gpa_read(&t->m->mem, gpa, &b, 1);
	return b;
}

/* True if guest memory at gpa holds exactly `len` bytes of `data`. */
static inline bool bt_mem_eq(struct bt *t, uint64_t gpa, const void *data, size_t len)
{
	uint8_t *b = malloc(len);
	bool eq = b && gpa_read(&t->m->mem, gpa, b, len) == 0 && !memcmp(b, data, len);
	free(b);
	return eq;
}

/* True if [gpa, gpa+len) holds only the byte v. */
static inline bool bt_mem_all(struct bt *t, uint64_t gpa, uint8_t v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (bt_r8(t, gpa + i) != v)
			return false;
	return true;
}

static inline void bt_fill(struct bt *t, uint64_t gpa, uint8_t v, size_t len)
{
	uint8_t *b = malloc(len);
	if (b) {
		memset(b, v, len);
		gpa_write(&t->m->mem, gpa, b, len);
		free(b);
	}
}

/* Reads a zero-terminated string from guest memory (at most cap-1 chars). */
static inline char *bt_str(struct bt *t, uint64_t gpa, char *buf, size_t cap)
{
	size_t i = 0;
	for (; i + 1 < cap; i++) {
		buf[i] = (char)bt_r8(t, gpa + i);
		if (!buf[i])
			break;
	}
	buf[i] = 0;
	return buf;
}

/* A deterministic byte pattern, so misplaced copies are caught. */
static inline void bt_pattern(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

/* ELF program header for the builders. */
struct bt_ph {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

/*
 * Writes an ELF header and program header table (at offset 64) into img.
 * Layout per the System V gABI: ELF32 header 52 bytes, phdr 32 bytes;
 * ELF64 header 64 bytes, phdr 56 bytes.
 */
static inline void bt_elf(uint8_t *img, bool is64, uint16_t machine, uint64_t entry,
			  const struct bt_ph *ph, unsigned n)
{
	memcpy(img, "\177ELF", 4);
	img[4] = is64 ? 2 : 1;          /* EI_CLASS */
	img[5] = 1;                     /* EI_DATA: little endian */
	img[6] = 1;                     /* EI_VERSION */
	bt_put16(img + 16, 2);          /* ET_EXEC */
	bt_put16(img + 18, machine);
	bt_put32(img + 20, 1);
	if (is64) {
		bt_put64(img + 24, entry);
		bt_put64(img + 32, 64);  /* e_phoff */
		bt_put16(img + 52, 64);  /* e_ehsize */
		bt_put16(img + 54, 56);
		bt_put16(img + 56, n);
		for (unsigned i = 0; i < n; i++) {
			uint8_t *p = img + 64 + i * 56;
			bt_put32(p, ph[i].type);
			bt_put32(p + 4, 7);
			bt_put64(p + 8, ph[i].offset);
			bt_put64(p + 16, ph[i].vaddr);
			bt_put64(p + 24, ph[i].paddr);
			bt_put64(p + 32, ph[i].filesz);
			bt_put64(p + 40, ph[i].memsz);
			bt_put64(p + 48, 0x1000);
		}
	} else {
		bt_put32(img + 24, (uint32_t)entry);
		bt_put32(img + 28, 64);  /* e_phoff */
		bt_put16(img + 40, 52);
		bt_put16(img + 42, 32);
		bt_put16(img + 44, n);
		for (unsigned i = 0; i < n; i++) {
			uint8_t *p = img + 64 + i * 32;
			bt_put32(p, ph[i].type);
			bt_put32(p + 4, (uint32_t)ph[i].offset);
			bt_put32(p + 8, (uint32_t)ph[i].vaddr);
			bt_put32(p + 12, (uint32_t)ph[i].paddr);
			bt_put32(p + 16, (uint32_t)ph[i].filesz);
			bt_put32(p + 20, (uint32_t)ph[i].memsz);
			bt_put32(p + 24, 7);
			bt_put32(p + 28, 0x1000);
		}
	}
}

/* Multiboot v1 header (spec 0.6.96 section 3.1.1) at img. */
static inline void bt_mb_header(uint8_t *img, uint32_t flags)
{
	bt_put32(img, 0x1BADB002);
	bt_put32(img + 4, flags);
	bt_put32(img + 8, (uint32_t)-(0x1BADB002u + flags));
}

/* Checks a flat segment against the SDM: base 0, 4 GiB limit, present,
 * DPL 0, code/data (S=1), page granular. */
static inline bool bt_seg_flat(const struct vcpu_segment *s)
{
	return s->base == 0 && s->limit == 0xFFFFFFFF && s->present && s->s && s->dpl == 0 &&
	       s->g && !s->unusable;
}

/* Decodes a GDT descriptor (SDM vol. 3 figure 3-8). */
struct bt_desc {
	uint32_t base, limit;
	unsigned type, s, dpl, p, l, db, g;
};
static inline struct bt_desc bt_gdt_entry(struct bt *t, uint64_t gdt_base, unsigned sel)
{
	uint64_t d = bt_r64(t, gdt_base + (sel & ~7u));
	struct bt_desc r;
	r.limit = (uint32_t)((d & 0xFFFF) | ((d >> 32) & 0xF0000));
	r.base = (uint32_t)(((d >> 16) & 0xFFFFFF) | ((d >> 32) & 0xFF000000));
	r.type = (d >> 40) & 0xF;
	r.s = (d >> 44) & 1;
	r.dpl = (d >> 45) & 3;
	r.p = (d >> 47) & 1;
	r.l = (d >> 53) & 1;
	r.db = (d >> 54) & 1;
	r.g = (d >> 55) & 1;
	return r;
}

/* The e820 map of a 128 MiB guest with no firmware, written out by hand
 * from the layout Linux reports on QEMU's PC (BIOS-e820 lines). */
struct bt_e820 { uint64_t addr, size; uint32_t type; };
static const struct bt_e820 bt_map_128m[] = {
	{ 0x0, 0x9FC00, 1 },
	{ 0x9FC00, 0x400, 2 },
	{ 0xF0000, 0x10000, 2 },
	{ 0x100000, 0x7F00000, 1 },           /* 1 MiB .. 128 MiB */
	{ 0xFEC00000, 0x1000, 2 },            /* IOAPIC */
	{ 0xFEE00000, 0x1000, 2 },            /* LAPIC */
	{ 0xFEFFC000, 0x4000, 2 },            /* KVM TSS + identity map (QEMU) */
};
#define BT_MAP_128M_N (sizeof(bt_map_128m) / sizeof(bt_map_128m[0]))

/* The same for a firmware-less Linux boot (PVH, bzImage): the loader puts
 * the ACPI tables in the top 64 KiB of RAM below 4 GiB and marks them
 * "ACPI data" (type 3), as the contract in acpi/acpi.h asks. */
static const struct bt_e820 bt_map_128m_direct[] = {
	{ 0x0, 0x9FC00, 1 },
	{ 0x9FC00, 0x400, 2 },
	{ 0xF0000, 0x10000, 2 },
	{ 0x100000, 0x7EF0000, 1 },           /* 1 MiB .. 128 MiB - 64 KiB */
	{ 0x7FF0000, 0x10000, 3 },            /* ACPI tables */
	{ 0xFEC00000, 0x1000, 2 },
	{ 0xFEE00000, 0x1000, 2 },
	{ 0xFEFFC000, 0x4000, 2 },
};
#define BT_MAP_128M_DIRECT_N (sizeof(bt_map_128m_direct) / sizeof(bt_map_128m_direct[0]))
#define BT_RSDP_128M 0x7FF0000ULL

/* An ACPI RSDP (ACPI 6.x section 5.2.5.3): "RSD PTR " signature and a
 * checksum over the first 20 bytes that sums to zero. */
static inline bool bt_is_rsdp(struct bt *t, uint64_t gpa)
{
	uint8_t b[20], sum = 0;
	if (gpa_read(&t->m->mem, gpa, b, sizeof(b)) || memcmp(b, "RSD PTR ", 8))
		return false;
	for (unsigned i = 0; i < sizeof(b); i++)
		sum += b[i];
	return sum == 0;
}

#endif
