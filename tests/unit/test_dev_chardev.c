/*
 * Character backends with a running event loop: a COM1 UART on a unix:
 * socket exchanges bytes with a client, holds back input the FIFO cannot
 * take, raises the character-timeout interrupt for data under the trigger
 * level (16550D datasheet: IIR 0xC), and keeps running when the client
 * goes away. Waits are bounded polls for a condition, not timings.
 */
#include "harness.h"
#include "test_dev_util.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/chardev.h"
#include "core/loop.h"
#include "hw/pc/serial.h"

#define COM1 0x3F8

static void *loop_thread(void *opaque)
{
	loop_run(opaque);
	return NULL;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* Polls until (LSR & mask) == want, for at most ~3 s. */
static bool wait_lsr(struct dev_rig *r, uint8_t mask, uint8_t want)
{
	for (int i = 0; i < 3000; i++) {
		if ((rig_inb(r, COM1 + 5) & mask) == want)
			return true;
		sleep_ms(1);
	}
	return false;
}

static int client_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Receives exactly n bytes or fails after ~3 s. */
static bool client_recv(int fd, char *buf, size_t n)
{
	size_t got = 0;

	for (int i = 0; i < 3000 && got < n; i++) {
		ssize_t k = recv(fd, buf + got, n - got, MSG_DONTWAIT);

		if (k > 0)
			got += (size_t)k;
		else
			sleep_ms(1);
	}
	return got == n;
}

TEST(dev_chardev_unix_serial_round_trip)
{
	struct dev_rig r;
	struct chardev *chr;
	pthread_t th;
	char path[200], err[256], buf[256];
	int fd;

	rig_init(&r, 128 << 20, 1);
	rig_tmpfile(path, sizeof path, "com1.sock");
	snprintf(buf, sizeof buf, "unix:%s", path);
	REQUIRE(chardev_open(&chr, buf, r.m.loop, NULL, err, sizeof err) == 0);
	REQUIRE(serial_create(&r.m, COM1, 4, chr, "com1", NULL) == 0);
	REQUIRE(pthread_create(&th, NULL, loop_thread, r.m.loop) == 0);

	rig_outb(&r, COM1 + 3, 0x83);
	rig_outb(&r, COM1 + 0, 0x01);               /* 115200 baud */
	rig_outb(&r, COM1 + 1, 0x00);
	rig_outb(&r, COM1 + 3, 0x03);
	/* Output while nobody listens is dropped, without blocking. */
	rig_outb(&r, COM1, '-');

	fd = client_connect(path);
	REQUIRE(fd >= 0);
	/* Client -> guest. */
	REQUIRE(send(fd, "hi", 2, 0) == 2);
	CHECK(wait_lsr(&r, 0x01, 0x01));
	CHECK_EQ(rig_inb(&r, COM1), 'h');
	CHECK(wait_lsr(&r, 0x01, 0x01));
	CHECK_EQ(rig_inb(&r, COM1), 'i');
	/* Guest -> client. */
	rig_outb(&r, COM1, 'x');
	rig_outb(&r, COM1, 'y');
	CHECK(client_recv(fd, buf, 2));
	CHECK(!memcmp(buf, "xy", 2));

	/* 40 bytes into a 16-byte FIFO: the rest waits, nothing is lost. */
	rig_outb(&r, COM1 + 2, 0x07);               /* FIFO on, trigger 1 */
	{
		char in[40], got[40];
		unsigned n = 0;

		for (unsigned i = 0; i < sizeof in; i++)
			in[i] = (char)('A' + i);
		REQUIRE(send(fd, in, sizeof in, 0) == (ssize_t)sizeof in);
		/* Give the loop time to fill the FIFO and pause the input, so
		 * the resume path is what delivers the rest. */
		sleep_ms(50);
		while (n < sizeof got && wait_lsr(&r, 0x01, 0x01))
			got[n++] = (char)rig_inb(&r, COM1);
		CHECK_EQ(n, sizeof in);
		CHECK(!memcmp(in, got, sizeof in));
		CHECK_EQ(rig_inb(&r, COM1 + 5) & 0x02, 0);   /* no overrun */
	}

	/* Under the trigger level, the character timeout interrupts. */
	rig_outb(&r, COM1 + 2, 0x87);               /* FIFO on, trigger 8 */
	rig_outb(&r, COM1 + 1, 0x01);
	REQUIRE(send(fd, "a", 1, 0) == 1);
	{
		uint8_t iir = 0;

		for (int i = 0; i < 3000 && (iir = rig_inb(&r, COM1 + 2)) != 0xCC; i++)
			sleep_ms(1);
		CHECK_EQ(iir, 0xCC);
		CHECK_EQ(r.level[4], 1);
	}
	CHECK_EQ(rig_inb(&r, COM1), 'a');
	CHECK_EQ(rig_inb(&r, COM1 + 2), 0xC1);
	CHECK_EQ(r.level[4], 0);
	rig_outb(&r, COM1 + 1, 0x00);

	/* The client leaves: output must not block or kill the process. */
	close(fd);
	for (int i = 0; i < 100; i++)
		rig_outb(&r, COM1, 'z');
	/* A new client gets what is sent after it connects. */
	fd = -1;
	for (int i = 0; i < 3000 && fd < 0; i++) {
		fd = client_connect(path);
		if (fd < 0)
			sleep_ms(1);
	}
	REQUIRE(fd >= 0);
	/* Output sent before the loop accepts the client is dropped: keep
	 * sending until one byte arrives. */
	{
		bool got = false;

		for (int i = 0; i < 300 && !got; i++) {
			char c;

			rig_outb(&r, COM1, '!');
			got = recv(fd, &c, 1, MSG_DONTWAIT) == 1 && c == '!';
			if (!got)
				sleep_ms(10);
		}
		CHECK(got);
	}
	close(fd);

	loop_quit(r.m.loop);
	pthread_join(th, NULL);
	rig_free(&r);
	CHECK(access(path, F_OK) != 0);             /* the socket file is removed */
}

TEST(dev_chardev_rejects_bad_specs)
{
	struct chardev *chr;
	char err[256];

	CHECK_EQ(chardev_open(&chr, "tty9", NULL, NULL, err, sizeof err), -EINVAL);
	CHECK(strstr(err, "tty9") != NULL);
	CHECK(chardev_open(&chr, "file:/nonexistent-dir/out", NULL, NULL, err, sizeof err) < 0);
	CHECK(strstr(err, "/nonexistent-dir/out") != NULL);
	/* unix: needs the event loop to accept clients. */
	CHECK(chardev_open(&chr, "unix:/tmp/x.sock", NULL, NULL, err, sizeof err) < 0);
	/* A path that exists and is not a socket is never clobbered. */
	{
		char path[200], spec[220];
		struct event_loop *l = loop_new();
		FILE *f;

		rig_tmpfile(path, sizeof path, "not-a-socket");
		f = fopen(path, "w");
		REQUIRE(f);
		fputs("keep", f);
		fclose(f);
		snprintf(spec, sizeof spec, "unix:%s", path);
		CHECK_EQ(chardev_open(&chr, spec, l, NULL, err, sizeof err), -EEXIST);
		CHECK_EQ(rig_slurp(path, spec, sizeof spec), 4);
		unlink(path);
		loop_free(l);
	}
	REQUIRE(chardev_open(&chr, "none", NULL, NULL, err, sizeof err) == 0);
	CHECK_STR(chardev_kind(chr), "none");
	chardev_write(chr, (const uint8_t *)"x", 1);
	chardev_close(chr);
}
