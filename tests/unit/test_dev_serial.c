/*
 * 16550A UART: driven through its ports as Linux's 8250 driver and SeaBIOS
 * do. Expected values come from the TI PC16550D datasheet (register
 * summary, IIR priority table, reset state) and from the checks Linux's
 * autoconfig performs on a real 16550A.
 */
#include "harness.h"
#include "test_dev_util.h"

#include <stdlib.h>
#include <unistd.h>

#include "core/chardev.h"
#include "core/state.h"
#include "hw/pc/serial.h"

#define COM1 0x3F8
#define RBR (COM1 + 0)
#define THR (COM1 + 0)
#define DLL (COM1 + 0)
#define IER (COM1 + 1)
#define DLM (COM1 + 1)
#define IIR (COM1 + 2)
#define FCR (COM1 + 2)
#define LCR (COM1 + 3)
#define MCR (COM1 + 4)
#define LSR (COM1 + 5)
#define MSR (COM1 + 6)
#define SCR (COM1 + 7)

static struct serial *uart_setup(struct dev_rig *r, const char *spec)
{
	struct chardev *chr = NULL;
	struct serial *s = NULL;
	char err[256];

	rig_init(r, 128 << 20, 1);
	if (spec && chardev_open(&chr, spec, NULL, NULL, err, sizeof err))
		return NULL;
	if (serial_create(&r->m, COM1, 4, chr, "com1", &s))
		return NULL;
	return s;
}

TEST(dev_serial_reset_state)
{
	struct dev_rig r;

	REQUIRE(uart_setup(&r, NULL));
	/* Datasheet reset values: IER 0, IIR 0x01, LCR 0, MCR 0, LSR 0x60. */
	CHECK_EQ(rig_inb(&r, IER), 0x00);
	CHECK_EQ(rig_inb(&r, IIR), 0x01);
	CHECK_EQ(rig_inb(&r, LCR), 0x00);
	CHECK_EQ(rig_inb(&r, MCR), 0x00);
	CHECK_EQ(rig_inb(&r, LSR), 0x60);
	CHECK_EQ(r.level[4], 0);
	rig_free(&r);
}

TEST(dev_serial_divisor_latch_round_trip)
{
	struct dev_rig r;

	REQUIRE(uart_setup(&r, NULL));
	rig_outb(&r, IER, 0x05);
	rig_outb(&r, LCR, 0x83);          /* DLAB, 8N1 */
	rig_outb(&r, DLL, 0x01);          /* 115200 baud */
	rig_outb(&r, DLM, 0x00);
	CHECK_EQ(rig_inb(&r, DLL), 0x01);
	CHECK_EQ(rig_inb(&r, DLM), 0x00);
	rig_outb(&r, DLL, 0x80);
	rig_outb(&r, DLM, 0x01);          /* 0x0180 = 300 baud */
	CHECK_EQ(rig_inb(&r, DLL), 0x80);
	CHECK_EQ(rig_inb(&r, DLM), 0x01);
	/* A 16-bit OUT reaches DLL and DLM as two byte cycles. */
	rig_out(&r, DLL, 2, 0x0302);
	CHECK_EQ(rig_inb(&r, DLL), 0x02);
	CHECK_EQ(rig_inb(&r, DLM), 0x03);
	/* DLAB off: offsets 0/1 are RBR/IER again, IER unchanged. */
	rig_outb(&r, LCR, 0x03);
	CHECK_EQ(rig_inb(&r, LCR), 0x03);
	CHECK_EQ(rig_inb(&r, IER), 0x05);
	rig_free(&r);
}

TEST(dev_serial_autoconfig_probes)
{
	struct dev_rig r;

	REQUIRE(uart_setup(&r, NULL));
	/* Linux: IER bits 3:0 read back, bits 7:4 read as 0 on a 16550A. */
	rig_outb(&r, IER, 0x00);
	CHECK_EQ(rig_inb(&r, IER) & 0x0F, 0x00);
	rig_outb(&r, IER, 0xFF);
	CHECK_EQ(rig_inb(&r, IER), 0x0F);
	rig_outb(&r, IER, 0x00);
	/* FIFO enable: IIR bits 7:6 = 11 identify a 16550A. */
	rig_outb(&r, FCR, 0x01);
	CHECK_EQ(rig_inb(&r, IIR), 0xC1);
	/* FCR bit 5 (a 16750's 64-byte mode) must not show in IIR bit 5. */
	rig_outb(&r, FCR, 0x21);
	CHECK_EQ(rig_inb(&r, IIR) >> 5, 6);
	rig_outb(&r, FCR, 0x00);
	CHECK_EQ(rig_inb(&r, IIR), 0x01);
	/* Scratch register holds a byte. */
	rig_outb(&r, SCR, 0xA5);
	CHECK_EQ(rig_inb(&r, SCR), 0xA5);
	rig_free(&r);
}

TEST(dev_serial_loopback_echo_and_modem_lines)
{
	struct dev_rig r;
	char path[256], buf[64];

	rig_tmpfile(path, sizeof path, "uart-loop");
	{
		char spec[300];
		snprintf(spec, sizeof spec, "file:%s", path);
		REQUIRE(uart_setup(&r, spec));
	}
	rig_outb(&r, LCR, 0x03);
	/* Linux autoconfig: loopback with RTS and OUT2 must show CTS and DCD. */
	rig_outb(&r, MCR, 0x10 | 0x0A);
	CHECK_EQ(rig_inb(&r, MSR) & 0xF0, 0x90);
	/* DTR -> DSR, OUT1 -> RI. */
	rig_outb(&r, MCR, 0x10 | 0x05);
	CHECK_EQ(rig_inb(&r, MSR) & 0xF0, 0x60);
	/* A byte sent in loopback comes back and does not reach the line. */
	rig_outb(&r, THR, 'A');
	CHECK_EQ(rig_inb(&r, LSR), 0x61);
	CHECK_EQ(rig_inb(&r, RBR), 'A');
	CHECK_EQ(rig_inb(&r, LSR), 0x60);
	/* Out of loopback the byte goes to the backend. */
	rig_outb(&r, MCR, 0x03);
	rig_outb(&r, THR, 'o');
	rig_outb(&r, THR, 'k');
	CHECK_EQ(rig_inb(&r, LSR), 0x60);
	rig_free(&r);
	CHECK_EQ(rig_slurp(path, buf, sizeof buf), 2);
	CHECK_STR(buf, "ok");
	unlink(path);
}

TEST(dev_serial_modem_status_deltas)
{
	struct dev_rig r;

	REQUIRE(uart_setup(&r, NULL));
	/* Not in loopback: a terminal asserts CTS, DSR and DCD. */
	CHECK_EQ(rig_inb(&r, MSR), 0xB0);
	/* Entering loopback with MCR 0: all three inputs drop -> deltas. */
	rig_outb(&r, MCR, 0x10);
	CHECK_EQ(rig_inb(&r, MSR), 0x0B);
	CHECK_EQ(rig_inb(&r, MSR), 0x00);   /* deltas clear on read */
	/* RI: only the trailing edge (1 -> 0) sets TERI. */
	rig_outb(&r, MCR, 0x10 | 0x04);
	CHECK_EQ(rig_inb(&r, MSR), 0x40);
	rig_outb(&r, MCR, 0x10);
	CHECK_EQ(rig_inb(&r, MSR), 0x04);
	rig_free(&r);
}

TEST(dev_serial_iir_priority_order)
{
	struct dev_rig r;

	REQUIRE(uart_setup(&r, NULL));
	rig_outb(&r, LCR, 0x03);
	rig_outb(&r, MCR, 0x10);          /* loopback: modem deltas pending */
	rig_outb(&r, IER, 0x0F);          /* all four sources; THR empty */
	rig_outb(&r, THR, 'x');           /* received data */
	rig_outb(&r, THR, 'y');           /* 16450 mode: overrun */
	CHECK_EQ(r.level[4], 1);
	/* Line status first (0x6), cleared by reading LSR. */
	CHECK_EQ(rig_inb(&r, IIR), 0x06);
	CHECK_EQ(rig_inb(&r, LSR), 0x63);  /* DR, OE, THRE, TEMT */
	/* Then received data (0x4), cleared by reading RBR. */
	CHECK_EQ(rig_inb(&r, IIR), 0x04);
	CHECK_EQ(rig_inb(&r, RBR), 'y');   /* RBR was overwritten */
	/* Then THR empty (0x2), cleared by reading IIR itself. */
	CHECK_EQ(rig_inb(&r, IIR), 0x02);
	/* Then modem status (0x0), cleared by reading MSR. */
	CHECK_EQ(rig_inb(&r, IIR), 0x00);
	CHECK_EQ(r.level[4], 1);
	CHECK_EQ(rig_inb(&r, MSR), 0x0B);
	CHECK_EQ(rig_inb(&r, IIR), 0x01);
	CHECK_EQ(r.level[4], 0);
	rig_free(&r);
}

TEST(dev_serial_thre_interrupt_raise_and_clear)
{
	struct dev_rig r;
	unsigned rises;

	REQUIRE(uart_setup(&r, NULL));
	rig_outb(&r, LCR, 0x03);
	CHECK_EQ(r.level[4], 0);
	/* Enabling ETBEI with THR empty raises the interrupt. */
	rig_outb(&r, IER, 0x02);
	CHECK_EQ(r.level[4], 1);
	CHECK_EQ(rig_inb(&r, IIR), 0x02);
	/* The IIR read that reported it cleared it. */
	CHECK_EQ(r.level[4], 0);
	CHECK_EQ(rig_inb(&r, IIR), 0x01);
	/* Linux's THRE test: IER off and on again re-asserts it. */
	rises = r.rises[4];
	rig_outb(&r, IER, 0x00);
	rig_outb(&r, IER, 0x02);
	CHECK_EQ(r.rises[4], rises + 1);
	CHECK_EQ(rig_inb(&r, IIR), 0x02);
	/* Writing THR: the byte leaves, THR empties, a new interrupt. */
	rig_outb(&r, THR, 'z');
	CHECK_EQ(r.level[4], 1);
	CHECK_EQ(r.rises[4], rises + 2);
	/* Masking ETBEI drops the line; the condition is not reported. */
	rig_outb(&r, IER, 0x00);
	CHECK_EQ(r.level[4], 0);
	CHECK_EQ(rig_inb(&r, IIR), 0x01);
	rig_free(&r);
}

TEST(dev_serial_fifo_trigger_level)
{
	struct dev_rig r;
	struct serial *s;
	uint8_t in[20];

	for (unsigned i = 0; i < sizeof in; i++)
		in[i] = (uint8_t)('a' + i);
	REQUIRE((s = uart_setup(&r, NULL)));
	rig_outb(&r, LCR, 0x03);
	rig_outb(&r, FCR, 0x47);          /* enable, clear both, trigger 4 bytes */
	rig_outb(&r, IER, 0x01);
	CHECK_EQ(serial_receive(s, in, 3), 3);
	/* Below the trigger: data ready, but no received-data interrupt. */
	CHECK_EQ(rig_inb(&r, LSR) & 0x01, 0x01);
	CHECK_EQ(rig_inb(&r, IIR), 0xC1);
	CHECK_EQ(r.level[4], 0);
	CHECK_EQ(serial_receive(s, in + 3, 1), 1);
	CHECK_EQ(rig_inb(&r, IIR), 0xC4);
	CHECK_EQ(r.level[4], 1);
	/* One byte read: back under the trigger level. */
	CHECK_EQ(rig_inb(&r, RBR), 'a');
	CHECK_EQ(rig_inb(&r, IIR), 0xC1);
	CHECK_EQ(r.level[4], 0);
	/* The FIFO holds 16 bytes: 3 queued, 13 more accepted. */
	CHECK_EQ(serial_receive(s, in + 4, 16), 13);
	CHECK_EQ(rig_inb(&r, LSR) & 0x02, 0);    /* no overrun: flow control */
	for (unsigned i = 1; i < 17; i++)
		CHECK_EQ(rig_inb(&r, RBR), 'a' + i);
	CHECK_EQ(rig_inb(&r, LSR), 0x60);
	/* FCR bit 1 empties the receive FIFO. */
	CHECK_EQ(serial_receive(s, in, 2), 2);
	rig_outb(&r, FCR, 0x43);
	CHECK_EQ(rig_inb(&r, LSR), 0x60);
	rig_free(&r);
}

TEST(dev_serial_break_sets_bi)
{
	struct dev_rig r;
	struct serial *s;

	REQUIRE((s = uart_setup(&r, NULL)));
	rig_outb(&r, IER, 0x04);          /* line status interrupts */
	serial_receive_break(s);
	CHECK_EQ(r.level[4], 1);
	CHECK_EQ(rig_inb(&r, IIR), 0x06);
	CHECK_EQ(rig_inb(&r, LSR), 0x71);  /* DR, BI, THRE, TEMT */
	CHECK_EQ(rig_inb(&r, LSR), 0x61);  /* BI clears on read, DR stays */
	CHECK_EQ(rig_inb(&r, RBR), 0x00);  /* a break reads as a zero byte */
	CHECK_EQ(r.level[4], 0);
	rig_free(&r);
}

TEST(dev_serial_save_reset_load)
{
	struct dev_rig r;
	struct serial *s;
	void *buf;
	size_t len;
	char err[256];

	REQUIRE((s = uart_setup(&r, NULL)));
	rig_outb(&r, LCR, 0x83);
	rig_outb(&r, DLL, 0x01);
	rig_outb(&r, DLM, 0x00);
	rig_outb(&r, LCR, 0x1B);          /* 8E1 */
	rig_outb(&r, FCR, 0x81);          /* FIFO, trigger 8 */
	rig_outb(&r, IER, 0x05);
	rig_outb(&r, MCR, 0x0B);
	rig_outb(&r, SCR, 0x5A);
	CHECK_EQ(serial_receive(s, (const uint8_t *)"hi", 2), 2);
	REQUIRE(rig_save(&r, &buf, &len));

	rig_reset(&r);
	CHECK_EQ(rig_inb(&r, SCR), 0x00);
	CHECK_EQ(rig_inb(&r, LCR), 0x00);
	CHECK_EQ(rig_inb(&r, LSR), 0x60);

	REQUIRE(rig_load(&r, buf, len, err, sizeof err));
	CHECK_EQ(rig_inb(&r, SCR), 0x5A);
	CHECK_EQ(rig_inb(&r, LCR), 0x1B);
	CHECK_EQ(rig_inb(&r, MCR), 0x0B);
	CHECK_EQ(rig_inb(&r, IER), 0x05);
	CHECK_EQ(rig_inb(&r, IIR), 0xC1);  /* FIFO on, 2 < 8: nothing pending */
	CHECK_EQ(rig_inb(&r, LSR), 0x61);
	CHECK_EQ(rig_inb(&r, RBR), 'h');
	CHECK_EQ(rig_inb(&r, RBR), 'i');
	rig_outb(&r, LCR, 0x9B);
	CHECK_EQ(rig_inb(&r, DLL), 0x01);
	CHECK_EQ(rig_inb(&r, DLM), 0x00);
	free(buf);
	rig_free(&r);
}

TEST(dev_serial_load_rejects_bad_fifo_count)
{
	struct dev_rig r;
	struct state_writer w;
	uint8_t fifo[16] = { 0 };
	char err[256];

	REQUIRE(uart_setup(&r, NULL));
	/* A well-formed stream whose FIFO count exceeds the FIFO. */
	sw_init(&w);
	sw_begin(&w);
	sw_section_begin(&w, "com1", 1);
	sw_u16(&w, 1);                        /* divisor */
	for (int i = 0; i < 8; i++)
		sw_u8(&w, i == 5 ? 0x01 : 0);     /* ier lcr mcr lsr scr fcr lines delta */
	sw_u8(&w, 200);                       /* rx count */
	sw_bytes(&w, fifo, sizeof fifo);
	sw_u8(&w, 0);
	sw_u8(&w, 0);
	sw_section_end(&w);
	sw_finish(&w);
	CHECK(!rig_load(&r, w.buf, w.len, err, sizeof err));
	CHECK(strstr(err, "FIFO") != NULL);
	/* The device kept its state: still the reset state. */
	CHECK_EQ(rig_inb(&r, LSR), 0x60);
	CHECK_EQ(rig_inb(&r, IIR), 0x01);
	sw_free(&w);
	rig_free(&r);
}
