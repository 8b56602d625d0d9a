/*
 * Differential check against QEMU (qemu-system-x86_64 -M pc, Debian 12's
 * 7.2): one real-mode guest programs the UART, the 8042, the CMOS/RTC,
 * port 0x92, 0xCF9 and the debug console the way firmware and Linux do,
 * and writes every value it reads to the debug console. The same image
 * runs on QEMU and on our machine (KVM and emulator backends); the streams must
 * match, except at the reads listed in dev_qemu_deviations, where we follow
 * the datasheet instead of QEMU (each says why). QEMU is the oracle here,
 * not our own output.
 */
#include "harness.h"
#include "qemu_diff.h"
#include "test_dev_util.h"

#include <unistd.h>

enum { OP_W, OP_R, OP_RM };   /* write; read and report; read, mask, report */

struct dev_qemu_step {
	uint8_t op;
	uint16_t port;
	uint8_t val;              /* written value, or the mask for OP_RM */
};

static const struct dev_qemu_step dev_qemu_steps[] = {
	/* UART: reset state, the probes of Linux's autoconfig */
	{ OP_W, 0x3FB, 0x03 }, { OP_R, 0x3F9 }, { OP_R, 0x3FA }, { OP_R, 0x3FB },
	{ OP_R, 0x3FC }, { OP_R, 0x3FD }, { OP_R, 0x3FE },
	{ OP_W, 0x3F9, 0xFF }, { OP_R, 0x3F9 }, { OP_W, 0x3F9, 0x00 },
	/* loopback modem lines (bits 7:4 only: deltas differ, see below) */
	{ OP_W, 0x3FC, 0x1A }, { OP_RM, 0x3FE, 0xF0 }, { OP_W, 0x3FC, 0x15 },
	{ OP_RM, 0x3FE, 0xF0 }, { OP_W, 0x3FC, 0x10 }, { OP_R, 0x3FE }, { OP_R, 0x3FE },
	/* IIR priorities in 16450 mode: overrun, data, THRE, none */
	{ OP_W, 0x3F9, 0x0F }, { OP_R, 0x3FA }, { OP_W, 0x3F8, 0x78 }, { OP_R, 0x3FA },
	{ OP_R, 0x3FD }, { OP_W, 0x3F8, 0x79 }, { OP_R, 0x3FA }, { OP_R, 0x3FD },
	{ OP_R, 0x3FA }, { OP_R, 0x3F8 }, { OP_R, 0x3FA }, { OP_R, 0x3FA },
	{ OP_W, 0x3FC, 0x14 }, { OP_R, 0x3FA }, { OP_R, 0x3FE }, { OP_W, 0x3F9, 0x00 },
	/* FIFO identification, the 16750 probe */
	{ OP_W, 0x3FA, 0x01 }, { OP_R, 0x3FA }, { OP_W, 0x3FA, 0x21 }, { OP_R, 0x3FA },
	{ OP_W, 0x3FA, 0x00 }, { OP_R, 0x3FA },
	/* FIFO trigger level 4 in loopback */
	{ OP_W, 0x3FA, 0x47 }, { OP_W, 0x3F9, 0x01 }, { OP_W, 0x3F8, 0x31 },
	{ OP_W, 0x3F8, 0x32 }, { OP_W, 0x3F8, 0x33 }, { OP_R, 0x3FD },
	/* IIR bit 3 masked: with the FIFO at its trigger level the UART reports
	 * received data (04h) until four character times pass without a read,
	 * then a character timeout (0Ch); which one we see depends on when we
	 * look (QEMU times it with the host clock: a loaded host saw 0Ch). */
	{ OP_W, 0x3F8, 0x34 }, { OP_RM, 0x3FA, 0xF7 }, { OP_R, 0x3F8 }, { OP_R, 0x3F8 },
	{ OP_R, 0x3F8 }, { OP_R, 0x3F8 }, { OP_R, 0x3FD }, { OP_W, 0x3F9, 0x00 },
	{ OP_W, 0x3FA, 0x00 },
	/* THRE interrupt: raised on enable, cleared by the IIR read */
	{ OP_W, 0x3FC, 0x00 }, { OP_R, 0x3FE }, { OP_W, 0x3F9, 0x02 }, { OP_R, 0x3FA },
	{ OP_R, 0x3FA }, { OP_W, 0x3F9, 0x00 }, { OP_W, 0x3F9, 0x02 }, { OP_R, 0x3FA },
	{ OP_W, 0x3F9, 0x00 },
	/* divisor latch */
	{ OP_W, 0x3FB, 0x83 }, { OP_W, 0x3F8, 0x01 }, { OP_W, 0x3F9, 0x00 },
	{ OP_R, 0x3F8 }, { OP_R, 0x3F9 }, { OP_W, 0x3FB, 0x03 }, { OP_R, 0x3FB },
	{ OP_R, 0x3FF },
	/* 8042: self test, interface test, command byte, keyboard, mouse */
	{ OP_R, 0x64 }, { OP_W, 0x64, 0xAA }, { OP_R, 0x64 }, { OP_R, 0x60 }, { OP_R, 0x64 },
	{ OP_W, 0x64, 0xAB }, { OP_R, 0x60 }, { OP_W, 0x64, 0x20 }, { OP_R, 0x60 },
	{ OP_W, 0x64, 0x60 }, { OP_W, 0x60, 0x01 }, { OP_W, 0x64, 0x20 }, { OP_R, 0x60 },
	{ OP_W, 0x60, 0xF2 }, { OP_RM, 0x64, 0xFB }, { OP_R, 0x60 }, { OP_R, 0x60 },
	{ OP_R, 0x60 }, { OP_W, 0x60, 0xFF }, { OP_R, 0x60 }, { OP_R, 0x60 },
	{ OP_W, 0x60, 0xEE }, { OP_R, 0x60 },
	{ OP_W, 0x64, 0x60 }, { OP_W, 0x60, 0x41 }, { OP_W, 0x60, 0xF2 },
	{ OP_R, 0x60 }, { OP_R, 0x60 }, { OP_R, 0x60 },
	{ OP_W, 0x64, 0xD3 }, { OP_W, 0x60, 0x5A }, { OP_RM, 0x64, 0xFB }, { OP_R, 0x60 },
	{ OP_W, 0x64, 0xD4 }, { OP_W, 0x60, 0xF2 }, { OP_RM, 0x64, 0xFB }, { OP_R, 0x60 },
	{ OP_R, 0x60 }, { OP_W, 0x64, 0xD4 }, { OP_W, 0x60, 0xFF }, { OP_R, 0x60 },
	{ OP_R, 0x60 }, { OP_R, 0x60 }, { OP_W, 0x64, 0xD0 }, { OP_R, 0x60 },
	/* CMOS: control registers (UIP masked: it depends on when we look) */
	{ OP_W, 0x70, 0x0A }, { OP_RM, 0x71, 0x7F }, { OP_W, 0x70, 0x0B }, { OP_R, 0x71 },
	{ OP_W, 0x70, 0x0D }, { OP_R, 0x71 }, { OP_W, 0x70, 0x0B }, { OP_W, 0x71, 0x06 },
	{ OP_W, 0x70, 0x0B }, { OP_R, 0x71 }, { OP_W, 0x70, 0x0B }, { OP_W, 0x71, 0x02 },
	/* CMOS RAM layout */
	{ OP_W, 0x70, 0x0F }, { OP_R, 0x71 }, { OP_W, 0x70, 0x10 }, { OP_R, 0x71 },
	{ OP_W, 0x70, 0x14 }, { OP_R, 0x71 }, { OP_W, 0x70, 0x15 }, { OP_R, 0x71 },
	{ OP_W, 0x70, 0x16 }, { OP_R, 0x71 }, { OP_W, 0x70, 0x17 }, { OP_R, 0x71 },
	{ OP_W, 0x70, 0x18 }, { OP_R, 0x71 }, { OP_W, 0x70, 0x30 }, { OP_R, 0x71 },
	{ OP_W, 0x70, 0x31 }, { OP_R, 0x71 }, { OP_W, 0x70, 0x34 }, { OP_R, 0x71 },
	{ OP_W, 0x70, 0x35 }, { OP_R, 0x71 }, { OP_W, 0x70, 0x38 }, { OP_R, 0x71 },
	{ OP_W, 0x70, 0x3D }, { OP_R, 0x71 }, { OP_W, 0x70, 0x5B }, { OP_R, 0x71 },
	{ OP_W, 0x70, 0x5C }, { OP_R, 0x71 }, { OP_W, 0x70, 0x5D }, { OP_R, 0x71 },
	{ OP_W, 0x70, 0x5F }, { OP_R, 0x71 }, { OP_W, 0x70, 0x7E }, { OP_W, 0x71, 0xC3 },
	{ OP_W, 0x70, 0x7E }, { OP_R, 0x71 },
	/* port 0x92, 0xCF9, the debug console's read-back */
	{ OP_R, 0x92 }, { OP_R, 0xCF9 }, { OP_R, 0x402 },
};

/* Reads (by index in the report stream) where we differ from QEMU 7.2. */
static const struct qdiff_deviation dev_qemu_deviations[] = {
	{ 3, 0x08, 0x00, "MCR resets to 0 (PC16550D: all bits low); QEMU starts with OUT2" },
	{ 9, 0x00, 0x06, "loopback MCR 0x15 -> 0x10 drops DSR and RI: DDSR and TERI set; "
			 "QEMU has no delta bits in loopback" },
	{ 32, 0xB0, 0xBF, "leaving loopback raises CTS, DSR, DCD and drops RI: deltas set" },
	{ 47, 0x19, 0x11, "8042 status bit 3 (A2) is 0 after a write to port 0x60; QEMU keeps 1" },
	{ 57, 0x39, 0x31, "8042 status bit 3 after a data write (as above)" },
	{ 59, 0x39, 0x31, "8042 status bit 3 after a data write (as above)" },
	{ 88, 0x00, 0x02, "port 0x92 bit 1 reads the A20 gate, on since power-on (the 8042 "
			  "output port enables it); QEMU reads back only what 0x92 was written" },
};

#define DQ_MAX_CODE 4096

/* Assembles the steps into real-mode code; returns its length. */
static size_t dev_qemu_assemble(uint8_t *c, unsigned *reads)
{
	size_t n = 0;

	*reads = 0;
	for (size_t i = 0; i < sizeof dev_qemu_steps / sizeof dev_qemu_steps[0]; i++) {
		const struct dev_qemu_step *s = &dev_qemu_steps[i];

		c[n++] = 0xBA;                       /* mov dx, port */
		c[n++] = (uint8_t)s->port;
		c[n++] = (uint8_t)(s->port >> 8);
		if (s->op == OP_W) {
			c[n++] = 0xB0;               /* mov al, val */
			c[n++] = s->val;
			c[n++] = 0xEE;               /* out dx, al */
			continue;
		}
		c[n++] = 0xEC;                       /* in al, dx */
		if (s->op == OP_RM) {
			c[n++] = 0x24;               /* and al, mask */
			c[n++] = s->val;
		}
		c[n++] = 0xBA;                       /* mov dx, 0x402 */
		c[n++] = 0x02;
		c[n++] = 0x04;
		c[n++] = 0xEE;                       /* out dx, al */
		(*reads)++;
	}
	/* mov al, 0; out 0xF4, al; hlt */
	c[n++] = 0xB0;
	c[n++] = 0x00;
	c[n++] = 0xE6;
	c[n++] = 0xF4;
	c[n++] = 0xF4;
	return n;
}

/* A 64 KiB firmware image running the steps. */
static bool dev_qemu_image(const char *path, unsigned *reads)
{
	static uint8_t code[0xFFF0];                 /* as large as the image: checked after */
	size_t n = dev_qemu_assemble(code, reads);

	return n <= DQ_MAX_CODE && qdiff_write_bios(path, code, n);
}

TEST(dev_qemu_same_registers_as_qemu)
{
	static const struct { enum accel_kind accel; const char *name; } backends[] = {
		{ ACCEL_KVM, "kvm" }, { ACCEL_EMU, "emu" },
	};
	char img[256], qout[256], nout[256];
	static char q[4096], n[4096];
	unsigned reads;
	long ql, nl;

	rig_tmpfile(img, sizeof img, "dq.bin");
	rig_tmpfile(qout, sizeof qout, "dq-qemu.out");
	rig_tmpfile(nout, sizeof nout, "dq-nyx.out");
	REQUIRE(dev_qemu_image(img, &reads));
	/* isa-debug-exit: 0 written -> status 1. */
	CHECK_EQ(qdiff_run_qemu(img, NULL, qout), 1);
	ql = rig_slurp(qout, q, sizeof q);
	CHECK_EQ(ql, reads);
	/* Every guest-visible behaviour is the same on both CPU backends. */
	for (size_t b = 0; b < sizeof backends / sizeof backends[0]; b++) {
		CHECK_EQ(qdiff_run_nyx(img, NULL, nout, backends[b].accel), 1);
		nl = rig_slurp(nout, n, sizeof n);
		CHECK_EQ(nl, reads);
		qdiff_compare(q, ql, n, nl, backends[b].name, dev_qemu_deviations,
			      sizeof dev_qemu_deviations / sizeof dev_qemu_deviations[0]);
		unlink(nout);
	}
	unlink(img);
	unlink(qout);
}
