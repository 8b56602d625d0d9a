/*
 * SMBIOS structures (DMTF DSP0134 2.8) describing the PC machine.
 *
 * Format note: each structure is a formatted area {u8 type, u8 length,
 * u16 handle, fields...} followed by its strings, each NUL terminated,
 * and one more NUL (two NULs when there are no strings); string fields
 * hold 1-based indexes into that set, 0 = none. All integers little endian.
 * Structures: 0 BIOS, 1 system, 3 chassis, 4 processor (one per vCPU),
 * 16 memory array, 17 memory device, 19 array mapped address (one per RAM
 * range), 32 boot status, 127 end. Handles follow QEMU's numbering so tools
 * comparing the two machines see the same layout.
 */
#include "hw/pc/smbios.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml.h"   /* struct aml: a growable byte buffer */

#define SMBIOS_MAX_STRINGS 8

/* One structure being assembled. */
struct smbios_struct {
	uint8_t fmt[64];
	unsigned fmt_len;
	const char *strings[SMBIOS_MAX_STRINGS];
	unsigned nstrings;
};

static void st_begin(struct smbios_struct *s, uint8_t type, uint8_t len, uint16_t handle)
{
	memset(s, 0, sizeof(*s));
	s->fmt[0] = type;
	s->fmt[1] = len;
	s->fmt[2] = (uint8_t)handle;
	s->fmt[3] = (uint8_t)(handle >> 8);
	s->fmt_len = len;
}

static void st_le(struct smbios_struct *s, unsigned off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		s->fmt[off + i] = (uint8_t)(v >> (8 * i));
}

/* Adds a string and stores its index at fmt[off]. */
static void st_str(struct smbios_struct *s, unsigned off, const char *str)
{
	if (!str || !*str || s->nstrings == SMBIOS_MAX_STRINGS)
		return;
	s->strings[s->nstrings++] = str;
	s->fmt[off] = (uint8_t)s->nstrings;
}

static void st_end(struct aml *out, struct smbios_tables *t, struct smbios_struct *s)
{
	size_t start = out->len;

	aml_bytes(out, s->fmt, s->fmt_len);
	for (unsigned i = 0; i < s->nstrings; i++)
		aml_bytes(out, s->strings[i], strlen(s->strings[i]) + 1);
	if (s->nstrings == 0)
		aml_byte(out, 0);
	aml_byte(out, 0);
	t->count++;
	if (out->len - start > t->max_size)
		t->max_size = (unsigned)(out->len - start);
}

static void build_type0(struct aml *o, struct smbios_tables *t)
{
	struct smbios_struct s;

	st_begin(&s, 0, 24, 0x0000);
	st_str(&s, 4, "Nyx");
	st_str(&s, 5, "1.0");
	st_le(&s, 6, 0xE800, 2);        /* BIOS starting segment */
	st_str(&s, 8, "01/01/2024");
	s.fmt[9] = 0;                   /* ROM size: 64 KiB units - 1 */
	st_le(&s, 10, 1u << 3, 8);      /* characteristics not supported */
	s.fmt[19] = 1u << 4;            /* ext. byte 2: virtual machine */
	s.fmt[20] = 1;                  /* system BIOS major.minor */
	s.fmt[21] = 0;
	s.fmt[22] = 0xFF;               /* no embedded controller */
	s.fmt[23] = 0xFF;
	st_end(o, t, &s);
}

static void build_type1(struct aml *o, struct smbios_tables *t, const struct smbios_config *c)
{
	struct smbios_struct s;

	st_begin(&s, 1, 27, 0x0100);
	st_str(&s, 4, "Nyx");
	st_str(&s, 5, c->product ? c->product : "Nyx PC (i440FX + PIIX, 1996)");
	st_str(&s, 6, "1.0");
	memcpy(&s.fmt[8], c->uuid, 16);
	s.fmt[24] = 6;                  /* wake-up type: power switch */
	st_str(&s, 26, "Nyx");          /* family */
	st_end(o, t, &s);
}

static void build_type3(struct aml *o, struct smbios_tables *t)
{
	struct smbios_struct s;

	st_begin(&s, 3, 22, 0x0300);
	st_str(&s, 4, "Nyx");
	s.fmt[5] = 1;                   /* chassis type: other */
	s.fmt[9] = 3;                   /* boot-up state: safe */
	s.fmt[10] = 3;                  /* power supply state: safe */
	s.fmt[11] = 3;                  /* thermal state: safe */
	s.fmt[12] = 2;                  /* security status: unknown */
	st_end(o, t, &s);
}

static void build_type4(struct aml *o, struct smbios_tables *t, const struct smbios_config *c,
			unsigned cpu, char *name)
{
	struct smbios_struct s;

	st_begin(&s, 4, 42, (uint16_t)(0x0400 + cpu));
	st_str(&s, 4, name);            /* socket designation */
	s.fmt[5] = 3;                   /* central processor */
	s.fmt[6] = 1;                   /* family: other */
	st_str(&s, 7, c->cpu_vendor);
	st_le(&s, 8, c->cpuid1_eax, 4); /* processor ID: CPUID 1 EAX, EDX */
	st_le(&s, 12, c->cpuid1_edx, 4);
	st_str(&s, 16, c->cpu_brand);   /* version */
	st_le(&s, 20, 2000, 2);         /* max speed, MHz (nominal) */
	st_le(&s, 22, 2000, 2);         /* current speed */
	s.fmt[24] = 0x41;               /* socket populated, CPU enabled */
	s.fmt[25] = 1;                  /* upgrade: other */
	st_le(&s, 26, 0xFFFF, 2);       /* no cache information */
	st_le(&s, 28, 0xFFFF, 2);
	st_le(&s, 30, 0xFFFF, 2);
	s.fmt[35] = 1;                  /* cores */
	s.fmt[36] = 1;                  /* cores enabled */
	s.fmt[37] = 1;                  /* threads */
	st_le(&s, 38, 0x02, 2);         /* characteristics: unknown */
	st_le(&s, 40, 1, 2);            /* family 2: other */
	st_end(o, t, &s);
}

#define MIB (1024ULL * 1024)

static void build_memory(struct aml *o, struct smbios_tables *t, const struct smbios_config *c)
{
	uint64_t total = c->below_4g + c->above_4g;
	uint64_t kib = total / 1024, mib = total / MIB;
	struct smbios_struct s;

	st_begin(&s, 16, 23, 0x1000);
	s.fmt[4] = 1;                   /* location: other */
	s.fmt[5] = 3;                   /* use: system memory */
	s.fmt[6] = 6;                   /* error correction: multi-bit ECC */
	if (kib < 0x80000000ULL) {
		st_le(&s, 7, kib, 4);
	} else {
		st_le(&s, 7, 0x80000000u, 4);
		st_le(&s, 15, total, 8);
	}
	st_le(&s, 11, 0xFFFE, 2);       /* no error information */
	st_le(&s, 13, 1, 2);            /* one memory device */
	st_end(o, t, &s);

	st_begin(&s, 17, 40, 0x1100);
	st_le(&s, 4, 0x1000, 2);        /* array handle */
	st_le(&s, 6, 0xFFFE, 2);
	st_le(&s, 8, 0xFFFF, 2);        /* total width unknown */
	st_le(&s, 10, 0xFFFF, 2);       /* data width unknown */
	if (mib < 0x7FFF) {
		st_le(&s, 12, mib, 2);
	} else {
		st_le(&s, 12, 0x7FFF, 2);
		st_le(&s, 28, mib, 4);  /* extended size, MiB */
	}
	s.fmt[14] = 9;                  /* form factor: DIMM */
	st_str(&s, 16, "DIMM 0");
	s.fmt[18] = 7;                  /* memory type: RAM */
	st_le(&s, 19, 0x02, 2);         /* type detail: other */
	st_str(&s, 23, "Nyx");
	st_end(o, t, &s);

	uint64_t ranges[2][2] = {{0, c->below_4g}, {1ULL << 32, c->above_4g}};
	for (unsigned i = 0; i < 2; i++) {
		uint64_t start = ranges[i][0], len = ranges[i][1];
		if (!len)
			continue;
		uint64_t end = start + len - 1;
		st_begin(&s, 19, 31, (uint16_t)(0x1300 + i));
		if (end / 1024 < 0xFFFFFFFFULL) {
			st_le(&s, 4, start / 1024, 4);
			st_le(&s, 8, end / 1024, 4);
		} else {
			st_le(&s, 4, 0xFFFFFFFFu, 4);
			st_le(&s, 8, 0xFFFFFFFFu, 4);
			st_le(&s, 15, start, 8);
			st_le(&s, 23, end, 8);
		}
		st_le(&s, 12, 0x1000, 2);
		s.fmt[14] = 1;          /* partition width */
		st_end(o, t, &s);
	}
}

int smbios_build(const struct smbios_config *c, struct smbios_tables *t)
{
	struct aml o;
	struct smbios_struct s;
	char names[256][12];

	memset(t, 0, sizeof(*t));
	if (c->ncpus == 0 || c->ncpus > 256)
		return -EINVAL;
	aml_init(&o);
	build_type0(&o, t);
	build_type1(&o, t, c);
	build_type3(&o, t);
	for (unsigned i = 0; i < c->ncpus; i++) {
		snprintf(names[i], sizeof(names[i]), "CPU %u", i & 0xFFF);
		build_type4(&o, t, c, i, names[i]);
	}
	build_memory(&o, t, c);
	st_begin(&s, 32, 11, 0x2000);   /* boot status: no errors */
	st_end(&o, t, &s);
	st_begin(&s, 127, 4, 0x7F00);
	st_end(&o, t, &s);
	if (aml_finish(&o) || o.len > 0xFFFF) {
		int err = o.failed ? -ENOMEM : -EINVAL;
		aml_free(&o);
		return err;
	}
	t->tables = o.buf;
	t->len = o.len;

	/* 2.1-style entry point for SMBIOS 2.8; address left 0 for firmware. */
	uint8_t *a = t->anchor;
	memcpy(a, "_SM_", 4);
	a[5] = SMBIOS_ANCHOR_SIZE;
	a[6] = 2;
	a[7] = 8;
	a[8] = (uint8_t)t->max_size;
	a[9] = (uint8_t)(t->max_size >> 8);
	memcpy(a + 16, "_DMI_", 5);
	a[22] = (uint8_t)t->len;
	a[23] = (uint8_t)(t->len >> 8);
	a[28] = (uint8_t)t->count;
	a[29] = (uint8_t)(t->count >> 8);
	a[30] = 0x28;                   /* BCD revision */
	uint8_t sum = 0;
	for (unsigned i = 16; i < SMBIOS_ANCHOR_SIZE; i++)
		sum += a[i];
	a[21] = (uint8_t)-sum;          /* intermediate checksum */
	sum = 0;
	for (unsigned i = 0; i < SMBIOS_ANCHOR_SIZE; i++)
		sum += a[i];
	a[4] = (uint8_t)-sum;
	return 0;
}

void smbios_tables_free(struct smbios_tables *t)
{
	free(t->tables);
	memset(t, 0, sizeof(*t));
}
