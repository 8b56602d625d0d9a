/*
 * Differential check of the chipset against QEMU (qemu-system-x86_64 -M pc,
 * Debian 12's 7.2): one real-mode guest, started as the firmware, reads the
 * configuration headers of 00:00.0, 00:01.0, 00:01.1 and 00:01.3 through
 * 0xCF8/0xCFC, sizes a BAR, programs PIRQ routing, PAM, SMRAM and the PIIX4
 * PM block, probes the IDE channels the way SeaBIOS does, runs IDENTIFY,
 * READ SECTORS, an unknown command and a soft reset, and writes every value
 * it reads to the debug console. The same image runs on QEMU with the same
 * raw disk and on our machine (both CPU backends); the streams must match
 * except at the bytes listed in pci_qemu_deviations, where we follow the
 * datasheet or the ATA standard instead of QEMU (each says why).
 * PQ_TRACE=1 in the environment prints which step each report byte belongs
 * to and keeps the two report files.
 */
#include "harness.h"
#include "qemu_diff.h"
#include "test_dev_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum {
	Q_WAIT, Q_W8, Q_R8, Q_R16, Q_R16M, Q_SKIP16, Q_W32, Q_R32,
	Q_CFGR, Q_CFGW32, Q_CFGW8,
};

struct pq_step {
	uint8_t op;
	uint16_t port;            /* port, or devfn for configuration ops */
	uint8_t off;              /* configuration offset */
	uint32_t val;             /* value written, or the mask for Q_R16M */
};

#define CFG(devfn, o) { Q_CFGR, devfn, o, 0 }
#define HDR(devfn) CFG(devfn, 0x00), CFG(devfn, 0x04), CFG(devfn, 0x08), CFG(devfn, 0x0c), \
	CFG(devfn, 0x10), CFG(devfn, 0x14), CFG(devfn, 0x18), CFG(devfn, 0x1c),              \
	CFG(devfn, 0x20), CFG(devfn, 0x24), CFG(devfn, 0x28), CFG(devfn, 0x2c),              \
	CFG(devfn, 0x30), CFG(devfn, 0x34), CFG(devfn, 0x38), CFG(devfn, 0x3c)
#define R8(p) { Q_R8, p, 0, 0 }
#define W8(p, v) { Q_W8, p, 0, v }
#define ID_SKIP(n) { Q_SKIP16, 0x1f0, 0, n }
#define ID_WORD { Q_R16, 0x1f0, 0, 0 }
#define WAIT_BSY { Q_WAIT, 0x3f6, 0, 0 }     /* poll alternate status until BSY clears */

static const struct pq_step pq_steps[] = {
	{ Q_W32, 0xcf8, 0, 0x80000000 }, { Q_R32, 0xcf8, 0, 0 },
	HDR(0x00), HDR(0x08), HDR(0x09), HDR(0x0b),
	CFG(0x10, 0x00), CFG(0x0a, 0x00),                 /* absent functions */
	/* i440FX chipset registers */
	CFG(0x00, 0x50), CFG(0x00, 0x54), CFG(0x00, 0x58), CFG(0x00, 0x5c), CFG(0x00, 0x70),
	/* PIIX3 */
	CFG(0x08, 0x4c), CFG(0x08, 0x60), CFG(0x08, 0x68), CFG(0x08, 0x70), CFG(0x08, 0x78),
	CFG(0x08, 0x80), CFG(0x08, 0xa0), CFG(0x08, 0xa4), CFG(0x08, 0xa8),
	/* IDE timing registers, BAR4 sizing and programming */
	CFG(0x09, 0x40), CFG(0x09, 0x44),
	{ Q_CFGW32, 0x09, 0x20, 0xffffffff }, CFG(0x09, 0x20),
	{ Q_CFGW32, 0x09, 0x20, 0xc001 }, CFG(0x09, 0x20),
	{ Q_CFGW32, 0x09, 0x10, 0xffffffff }, CFG(0x09, 0x10),
	/* PIIX4 PM */
	CFG(0x0b, 0x40), CFG(0x0b, 0x58), CFG(0x0b, 0x80), CFG(0x0b, 0x90), CFG(0x0b, 0xd0),
	/* PIRQ routing: reserved bits 6:4 read 0 */
	{ Q_CFGW8, 0x08, 0x61, 0x0b }, CFG(0x08, 0x60),
	{ Q_CFGW8, 0x08, 0x62, 0x7b }, CFG(0x08, 0x60),
	/* Command register write masks */
	{ Q_CFGW32, 0x09, 0x04, 0x0000ffff }, CFG(0x09, 0x04),
	{ Q_CFGW32, 0x00, 0x04, 0x0000ffff }, CFG(0x00, 0x04),
	/* PAM and SMRAM write masks */
	{ Q_CFGW32, 0x00, 0x58, 0xffffffff }, CFG(0x00, 0x58),
	{ Q_CFGW32, 0x00, 0x5c, 0xffffffff }, CFG(0x00, 0x5c),
	{ Q_CFGW8, 0x00, 0x72, 0x4a }, CFG(0x00, 0x70),
	{ Q_CFGW8, 0x00, 0x72, 0x1a }, CFG(0x00, 0x70),
	{ Q_CFGW8, 0x00, 0x72, 0x4a }, CFG(0x00, 0x70),
	/* PM block as SeaBIOS sets it up; PM1 status without TMR_STS (timing) */
	{ Q_CFGW32, 0x0b, 0x40, 0xb001 }, { Q_CFGW8, 0x0b, 0x80, 0x01 }, CFG(0x0b, 0x40),
	{ Q_R16M, 0xb000, 0, 0xfffe }, { Q_R16, 0xb002, 0, 0 }, { Q_R16, 0xb004, 0, 0 },
	W8(0xb2, 0xf1), { Q_R16, 0xb004, 0, 0 }, R8(0xb2),
	W8(0xb2, 0xf0), { Q_R16, 0xb004, 0, 0 },
	W8(0xb002, 0x20), W8(0xb003, 0x01), { Q_R16, 0xb002, 0, 0 },
	/* IDE probe, SeaBIOS style: master present, slave absent */
	R8(0x1f7), W8(0x1f6, 0xa0), W8(0x1f2, 0x55), W8(0x1f3, 0xaa),
	R8(0x1f2), R8(0x1f3), R8(0x1f6), R8(0x1f7), R8(0x3f6),
	W8(0x1f6, 0xb0), R8(0x1f6), R8(0x1f7), R8(0x3f6), R8(0x1f2),
	W8(0x1f6, 0xa0),
	/* Secondary channel: no devices */
	R8(0x177), R8(0x376), W8(0x172, 0x55), R8(0x172), R8(0x176),
	/* IDENTIFY DEVICE with interrupts off */
	W8(0x3f6, 0x02), W8(0x1f6, 0xa0), W8(0x1f7, 0xec), WAIT_BSY, R8(0x1f7),
	ID_WORD, ID_WORD, ID_SKIP(1), ID_WORD, ID_SKIP(2), ID_WORD,     /* words 0 1 3 6 */
	ID_SKIP(40), ID_WORD, ID_SKIP(1), ID_WORD, ID_WORD, ID_SKIP(2),  /* 47 49 50 */
	ID_WORD, ID_SKIP(5), ID_WORD, ID_WORD, ID_WORD, ID_SKIP(1),      /* 53 59 60 61 */
	ID_WORD, ID_WORD, ID_SKIP(15),                                    /* 63 64 */
	ID_WORD, ID_SKIP(1), ID_WORD, ID_WORD, ID_WORD, ID_WORD, ID_WORD, /* 80 82-86 */
	ID_WORD, ID_WORD, ID_SKIP(4), ID_WORD, ID_SKIP(6),                /* 87 88 93 */
	ID_WORD, ID_WORD, ID_WORD, ID_WORD, ID_SKIP(152),                 /* 100-103 */
	R8(0x1f7),
	/* READ SECTORS: LBA 1, first 8 bytes */
	W8(0x1f2, 1), W8(0x1f3, 1), W8(0x1f4, 0), W8(0x1f5, 0), W8(0x1f6, 0xe0),
	W8(0x1f7, 0x20), WAIT_BSY, R8(0x1f7), ID_WORD, ID_WORD, ID_WORD, ID_WORD, ID_SKIP(252),
	R8(0x1f7),
	/* Unknown command, then a range past the end of the 2048-sector disk */
	W8(0x1f7, 0xff), WAIT_BSY, R8(0x1f7), R8(0x1f1),
	W8(0x1f2, 1), W8(0x1f3, 0), W8(0x1f4, 8), W8(0x1f5, 0), W8(0x1f6, 0xe0),
	W8(0x1f7, 0x20), WAIT_BSY, R8(0x1f7), R8(0x1f1),
	/* Soft reset: the ATA signature afterwards */
	W8(0x3f6, 0x06), W8(0x3f6, 0x02), WAIT_BSY, R8(0x1f7), R8(0x1f1), R8(0x1f2), R8(0x1f3),
	R8(0x1f4), R8(0x1f5), R8(0x1f6),
};

/* Bytes of the report stream (by index) where we differ from QEMU 7.2. */
static const struct qdiff_deviation pci_qemu_deviations[] = {
	{ 351, 0x00, 0x02, "PIIX4 DEVACTB APMC_EN set from reset: there is no SMM here, so "
			   "SeaBIOS must skip its SMM setup (QEMU does this only with SMM off)" },
#define PAM_WHY "PAM reserved bits (7, 6, 3, 2; PAM0 3:0) read 0; QEMU stores all 8 bits"
	{ 381, 0xff, 0x30, PAM_WHY }, { 382, 0xff, 0x33, PAM_WHY }, { 383, 0xff, 0x33, PAM_WHY },
	{ 384, 0xff, 0x33, PAM_WHY }, { 385, 0xff, 0x33, PAM_WHY }, { 386, 0xff, 0x33, PAM_WHY },
	{ 387, 0xff, 0x33, PAM_WHY },
	{ 398, 0x4a, 0x1a, "SMRAM D_LCK freezes the register until reset (82441FX); QEMU "
			   "lets D_OPEN be set again" },
	{ 416, 0x00, 0x01, "a byte write to the high half of PM1_EN (PWRBTN_EN) takes effect; "
			   "QEMU ignores byte writes at odd PM1 offsets" },
#define EMPTY_WHY "empty IDE channel: the floating bus reads 7Fh (DD7 pulled down), " \
		  "which SeaBIOS and Linux take as no device; QEMU returns 00h"
	{ 427, 0x00, 0x7f, EMPTY_WHY }, { 428, 0x00, 0x7f, EMPTY_WHY },
	{ 429, 0x00, 0x7f, EMPTY_WHY }, { 430, 0x00, 0x7f, EMPTY_WHY },
	{ 445, 0x00, 0x40, "IDENTIFY word 50 bit 14 shall be one (ATA/ATAPI-6)" },
	{ 448, 0x10, 0x00, "IDENTIFY word 59: multiple mode off until SET MULTIPLE MODE; QEMU "
			   "starts with 16 sectors" },
	{ 449, 0x01, 0x00, "IDENTIFY word 59 bit 8 (see above)" },
	{ 458, 0xf0, 0x70, "IDENTIFY word 80: ATA/ATAPI-4 to -6; QEMU also claims -7" },
	{ 460, 0x21, 0x20, "IDENTIFY word 82 bit 0: no SMART feature set" },
	{ 466, 0x21, 0x20, "IDENTIFY word 85 bit 0: no SMART feature set" },
	{ 473, 0x20, 0x00, "IDENTIFY word 88: no Ultra DMA mode selected before SET FEATURES; "
			   "QEMU preselects mode 5" },
	{ 474, 0x01, 0x0b, "IDENTIFY word 93: device 0 reports its number set by jumper and "
			   "diagnostics passed (bits 3:1); QEMU leaves them 0" },
	{ 498, 0x04, 0x10, "READ SECTORS past the end: IDNF (ATA/ATAPI-6 allows IDNF or ABRT); "
			   "QEMU answers ABRT" },
	{ 505, 0xa0, 0x00, "after a soft reset the Device register holds the ATA signature "
			   "value 00h (ATA/ATAPI-6); QEMU keeps the last selection" },
};

#define PQ_MAX_CODE 16384

static size_t emit_report(uint8_t *c, size_t n, unsigned bytes)
{
	c[n++] = 0xBA; c[n++] = 0x02; c[n++] = 0x04;         /* mov dx, 0x402 */
	for (unsigned i = 0; i < bytes; i++) {
		c[n++] = 0xEE;                                  /* out dx, al */
		if (i + 1 < bytes) {
			c[n++] = 0x66; c[n++] = 0xC1; c[n++] = 0xE8; c[n++] = 8;  /* shr eax, 8 */
		}
	}
	return n;
}

static size_t emit_mov_dx(uint8_t *c, size_t n, uint16_t port)
{
	c[n++] = 0xBA; c[n++] = (uint8_t)port; c[n++] = port >> 8;
	return n;
}

static size_t emit_mov_eax(uint8_t *c, size_t n, uint32_t v)
{
	c[n++] = 0x66; c[n++] = 0xB8;
	for (unsigned i = 0; i < 4; i++)
		c[n++] = v >> (8 * i);
	return n;
}

static size_t emit_confadd(uint8_t *c, size_t n, unsigned devfn, unsigned off)
{
	n = emit_mov_dx(c, n, 0xcf8);
	n = emit_mov_eax(c, n, 0x80000000u | devfn << 8 | (off & 0xfc));
	c[n++] = 0x66; c[n++] = 0xEF;                          /* out dx, eax */
	return n;
}

/* Assembles the steps into real-mode code; returns its length. */
static size_t pq_assemble(uint8_t *c, unsigned *reported)
{
	size_t n = 0;
	*reported = 0;
	for (size_t i = 0; i < sizeof(pq_steps) / sizeof(pq_steps[0]); i++) {
		const struct pq_step *s = &pq_steps[i];
		switch (s->op) {
		case Q_WAIT:
			n = emit_mov_dx(c, n, s->port);
			c[n++] = 0xEC;                                  /* 1: in al, dx */
			c[n++] = 0xA8; c[n++] = 0x80;                   /* test al, 0x80 */
			c[n++] = 0x75; c[n++] = 0xFB;                   /* jnz 1b */
			break;
		case Q_W8:
			n = emit_mov_dx(c, n, s->port);
			c[n++] = 0xB0; c[n++] = s->val;                 /* mov al, v */
			c[n++] = 0xEE;
			break;
		case Q_W32:
			n = emit_mov_dx(c, n, s->port);
			n = emit_mov_eax(c, n, s->val);
			c[n++] = 0x66; c[n++] = 0xEF;
			break;
		case Q_R8: case Q_R16: case Q_R16M: case Q_R32: {
			unsigned bytes = s->op == Q_R8 ? 1 : s->op == Q_R32 ? 4 : 2;
			n = emit_mov_dx(c, n, s->port);
			if (bytes == 1)
				c[n++] = 0xEC;                          /* in al, dx */
			else if (bytes == 2)
				c[n++] = 0xED;                          /* in ax, dx */
			else {
				c[n++] = 0x66; c[n++] = 0xED;           /* in eax, dx */
			}
			if (s->op == Q_R16M) {
				c[n++] = 0x25; c[n++] = (uint8_t)s->val; c[n++] = s->val >> 8;  /* and ax */
			}
			n = emit_report(c, n, bytes);
			if (getenv("PQ_TRACE"))
				fprintf(stderr, "byte %u: step %zu read port 0x%x\n", *reported, i,
					s->port);
			*reported += bytes;
			break;
		}
		case Q_SKIP16:
			n = emit_mov_dx(c, n, s->port);
			c[n++] = 0xB9; c[n++] = (uint8_t)s->val; c[n++] = s->val >> 8;  /* mov cx */
			c[n++] = 0xED;                                  /* 1: in ax, dx */
			c[n++] = 0xE2; c[n++] = 0xFD;                   /* loop 1b */
			break;
		case Q_CFGR:
			n = emit_confadd(c, n, s->port, s->off);
			n = emit_mov_dx(c, n, 0xcfc);
			c[n++] = 0x66; c[n++] = 0xED;
			n = emit_report(c, n, 4);
			if (getenv("PQ_TRACE"))
				fprintf(stderr, "byte %u: step %zu cfg %02x:%02x\n", *reported, i,
					s->port, s->off);
			*reported += 4;
			break;
		case Q_CFGW32:
			n = emit_confadd(c, n, s->port, s->off);
			n = emit_mov_dx(c, n, 0xcfc);
			n = emit_mov_eax(c, n, s->val);
			c[n++] = 0x66; c[n++] = 0xEF;
			break;
		case Q_CFGW8:
			n = emit_confadd(c, n, s->port, s->off);
			n = emit_mov_dx(c, n, 0xcfc + (s->off & 3));
			c[n++] = 0xB0; c[n++] = s->val;
			c[n++] = 0xEE;
			break;
		}
		if (n > PQ_MAX_CODE - 64)
			return 0;
	}
	c[n++] = 0xB0; c[n++] = 0x00;                               /* mov al, 0 */
	c[n++] = 0xE6; c[n++] = 0xF4;                               /* out 0xf4, al */
	c[n++] = 0xF4;                                              /* hlt */
	return n;
}

static bool pq_image(const char *path, unsigned *reported)
{
	static uint8_t code[0xFFF0];
	size_t n = pq_assemble(code, reported);

	return n && qdiff_write_bios(path, code, n);
}

static bool pq_disk(const char *path)
{
	static uint8_t d[2048 * 512];
	for (size_t i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 13 + (i >> 9));
	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	size_t n = fwrite(d, 1, sizeof(d), f);
	fclose(f);
	return n == sizeof(d);
}

TEST(pci_same_chipset_as_qemu)
{
	static const struct { enum accel_kind accel; const char *name; } backends[] = {
		{ ACCEL_KVM, "kvm" }, { ACCEL_EMU, "emu" },
	};
	char img[256], disk[256], qout[256], nout[256];
	static char q[8192], n[8192];
	unsigned reported;

	rig_tmpfile(img, sizeof(img), "pq.bin");
	rig_tmpfile(disk, sizeof(disk), "pq-disk.img");
	rig_tmpfile(qout, sizeof(qout), "pq-qemu.out");
	rig_tmpfile(nout, sizeof(nout), "pq-nyx.out");
	REQUIRE(pq_image(img, &reported));
	REQUIRE(pq_disk(disk));
	CHECK_EQ(qdiff_run_qemu(img, disk, qout), 1);     /* isa-debug-exit: 0 -> status 1 */
	long ql = rig_slurp(qout, q, sizeof(q));
	CHECK_EQ(ql, reported);
	for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
		REQUIRE(pq_disk(disk));
		CHECK_EQ(qdiff_run_nyx(img, disk, nout, backends[b].accel), 1);
		long nl = rig_slurp(nout, n, sizeof(n));
		CHECK_EQ(nl, reported);
		qdiff_compare(q, ql, n, nl, backends[b].name, pci_qemu_deviations,
			      sizeof(pci_qemu_deviations) / sizeof(pci_qemu_deviations[0]));
		if (!getenv("PQ_TRACE")) unlink(nout);
	}
	unlink(img);
	unlink(disk);
	if (!getenv("PQ_TRACE")) unlink(qout);
}
