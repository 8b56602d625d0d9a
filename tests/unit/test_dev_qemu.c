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
#include "test_dev_util.h"

#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/machine.h"

extern char **environ;

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
	{ OP_W, 0x3F8, 0x34 }, { OP_R, 0x3FA }, { OP_R, 0x3F8 }, { OP_R, 0x3F8 },
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
static const struct {
	unsigned index;
	uint8_t qemu, ours;
	const char *why;
} dev_qemu_deviations[] = {
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

/* A 64 KiB firmware image: code at offset 0, the reset vector jumps there. */
static bool dev_qemu_image(const char *path, unsigned *reads)
{
	static uint8_t img[65536];
	FILE *f;
	size_t n;

	memset(img, 0xF4, sizeof img);
	n = dev_qemu_assemble(img, reads);
	if (n > DQ_MAX_CODE)
		return false;
	img[0xFFF0] = 0xE9;                          /* jmp near 0x0000 */
	img[0xFFF1] = 0x0D;
	img[0xFFF2] = 0x00;
	f = fopen(path, "wb");
	if (!f)
		return false;
	n = fwrite(img, 1, sizeof img, f);
	fclose(f);
	return n == sizeof img;
}

static int dev_qemu_run_qemu(const char *img, const char *out)
{
	char chardev[512];
	char *argv[] = { "qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-m", "128",
			 "-bios", (char *)img, "-display", "none", "-nodefaults",
			 "-serial", "null", "-serial", "null",
			 "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
			 "-chardev", chardev, "-device", "isa-debugcon,iobase=0x402,chardev=dc",
			 NULL };
	pid_t pid;
	int status;

	snprintf(chardev, sizeof chardev, "file,id=dc,path=%s", out);
	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ))
		return -1;
	for (int i = 0; i < 600; i++) {           /* at most ~60 s */
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static int dev_qemu_run_nyx(const char *img, const char *out, enum accel_kind accel)
{
	struct machine_config c;
	struct machine *m;
	char err[256] = "";
	int rc;

	machine_config_init(&c);
	c.bios = strdup(img);
	c.debugcon = strdup(out);
	c.serial = strdup("none");
	c.mem_size = 128ULL << 20;
	c.accel = accel;
	c.timeout_s = 30;
	c.log_level = LOG_ERROR;
	m = machine_create(&c, err, sizeof err);
	machine_config_free(&c);
	if (!m) {
		fprintf(stderr, "  machine_create: %s\n", err);
		return -1;
	}
	rc = machine_run(m);
	machine_destroy(m);
	return rc;
}

/* Compares our stream with QEMU's, read by read. */
static void dev_qemu_compare(const char *q, long ql, const char *n, long nl, const char *backend)
{
	for (long i = 0; i < ql && i < nl; i++) {
		uint8_t qv = (uint8_t)q[i], nv = (uint8_t)n[i];
		size_t d;

		for (d = 0; d < sizeof dev_qemu_deviations / sizeof dev_qemu_deviations[0]; d++)
			if (dev_qemu_deviations[d].index == i)
				break;
		if (d < sizeof dev_qemu_deviations / sizeof dev_qemu_deviations[0]) {
			/* A known difference: both sides must be what we expect. */
			if (qv != dev_qemu_deviations[d].qemu || nv != dev_qemu_deviations[d].ours) {
				char msg[300];

				snprintf(msg, sizeof msg, "%s read %ld: qemu 0x%02x nyx 0x%02x, expected "
					 "0x%02x / 0x%02x (%s)", backend, i, qv, nv,
					 dev_qemu_deviations[d].qemu, dev_qemu_deviations[d].ours,
					 dev_qemu_deviations[d].why);
				test_fail(__FILE__, __LINE__, msg);
			}
		} else if (qv != nv) {
			char msg[128];

			snprintf(msg, sizeof msg, "%s read %ld: qemu 0x%02x, nyx 0x%02x", backend, i,
				 qv, nv);
			test_fail(__FILE__, __LINE__, msg);
		}
	}
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
	CHECK_EQ(dev_qemu_run_qemu(img, qout), 1);
	ql = rig_slurp(qout, q, sizeof q);
	CHECK_EQ(ql, reads);
	/* Every guest-visible behaviour is the same on both CPU backends. */
	for (size_t b = 0; b < sizeof backends / sizeof backends[0]; b++) {
		CHECK_EQ(dev_qemu_run_nyx(img, nout, backends[b].accel), 1);
		nl = rig_slurp(nout, n, sizeof n);
		CHECK_EQ(nl, reads);
		dev_qemu_compare(q, ql, n, nl, backends[b].name);
		unlink(nout);
	}
	unlink(img);
	unlink(qout);
}
