/*
 * Debug ports shared with QEMU: isa-debug-exit (0xF4), debug console
 * (0x402) and POST codes (0x80). Exit statuses per INTERFACE.md:
 * (v << 1) | 1.
 */
#include "harness.h"
#include "test_dev_util.h"

#include <stdlib.h>
#include <unistd.h>

#include "hw/pc/debugcon.h"
#include "hw/pc/debugexit.h"
#include "hw/pc/post.h"

TEST(dev_debugexit_exit_code)
{
	struct dev_rig r;

	rig_init(&r, 128 << 20, 1);
	REQUIRE(debugexit_create(&r.m) == 0);
	CHECK_EQ(rig_inb(&r, 0xF4), 0);
	CHECK_EQ(r.m.stop_reason, STOP_NONE);
	rig_outb(&r, 0xF4, 0x10);
	CHECK_EQ(r.m.stop_reason, STOP_DEBUG_EXIT);
	CHECK_EQ(r.m.exit_status, 0x21);
	rig_free(&r);

	/* 0 -> status 1: the conventional "failure" of QEMU test suites. */
	rig_init(&r, 128 << 20, 1);
	REQUIRE(debugexit_create(&r.m) == 0);
	rig_outb(&r, 0xF4, 0x00);
	CHECK_EQ(r.m.exit_status, 1);
	rig_free(&r);

	/* A 32-bit write uses the whole value. */
	rig_init(&r, 128 << 20, 1);
	REQUIRE(debugexit_create(&r.m) == 0);
	rig_out(&r, 0xF4, 4, 0x100);
	CHECK_EQ(r.m.exit_status, 0x201);
	rig_free(&r);
}

TEST(dev_debugcon_writes_file_and_reads_e9)
{
	struct dev_rig r;
	char path[256], buf[64], err[256];

	rig_tmpfile(path, sizeof path, "debugcon");
	rig_init(&r, 128 << 20, 1);
	REQUIRE(debugcon_create(&r.m, path, err, sizeof err) == 0);
	CHECK_EQ(rig_inb(&r, 0x402), 0xE9);          /* SeaBIOS's probe */
	rig_outb(&r, 0x402, 'S');
	rig_outb(&r, 0x402, 'e');
	rig_outb(&r, 0x402, 'a');
	rig_out(&r, 0x402, 2, 'B' | ('I' << 8));      /* bytes low first */
	rig_free(&r);
	CHECK_EQ(rig_slurp(path, buf, sizeof buf), 5);
	CHECK_STR(buf, "SeaBI");
	unlink(path);

	/* Without a file the bytes are discarded, reads still answer. */
	rig_init(&r, 128 << 20, 1);
	REQUIRE(debugcon_create(&r.m, NULL, err, sizeof err) == 0);
	rig_outb(&r, 0x402, 'x');
	CHECK_EQ(rig_inb(&r, 0x402), 0xE9);
	rig_free(&r);

	/* An unwritable path is a configuration error naming it. */
	rig_init(&r, 128 << 20, 1);
	CHECK(debugcon_create(&r.m, "/nonexistent-dir/x", err, sizeof err) < 0);
	CHECK(strstr(err, "/nonexistent-dir/x") != NULL);
	rig_free(&r);
}

TEST(dev_post_codes_phases_and_history)
{
	struct dev_rig r;
	struct post *p;
	struct post_record last, hist[POST_HISTORY];
	size_t n;

	rig_init(&r, 128 << 20, 1);
	REQUIRE(post_create(&r.m, &p) == 0);
	CHECK(!post_last(p, &last));
	rig_outb(&r, 0x80, 0x01);
	rig_outb(&r, 0x80, 0x25);
	rig_outb(&r, 0x80, 0x45);
	CHECK_EQ(rig_inb(&r, 0x80), 0x45);
	REQUIRE(post_last(p, &last));
	CHECK_EQ(last.code, 0x45);
	n = post_history(p, hist, POST_HISTORY);
	REQUIRE(n == 3);
	CHECK_EQ(hist[0].code, 0x01);
	CHECK_EQ(hist[1].code, 0x25);
	CHECK_EQ(hist[2].code, 0x45);
	CHECK(hist[0].ns <= hist[1].ns && hist[1].ns <= hist[2].ns);
	/* INTERFACE.md phase ranges. */
	CHECK_STR(post_phase_name(0x00), "firmware");
	CHECK_STR(post_phase_name(0x1F), "firmware");
	CHECK_STR(post_phase_name(0x20), "bootloader");
	CHECK_STR(post_phase_name(0x40), "kernel");
	CHECK_STR(post_phase_name(0x5F), "kernel");
	CHECK_STR(post_phase_name(0x60), "userspace");
	CHECK_STR(post_phase_name(0x7F), "userspace");
	CHECK_STR(post_phase_name(0x80), "other");
	/* The history keeps the last POST_HISTORY codes, oldest first. */
	for (unsigned i = 0; i < 70; i++)
		rig_outb(&r, 0x80, (uint8_t)i);
	CHECK_EQ(post_count(p), 73);
	n = post_history(p, hist, POST_HISTORY);
	REQUIRE(n == POST_HISTORY);
	CHECK_EQ(hist[0].code, 70 - POST_HISTORY);
	CHECK_EQ(hist[POST_HISTORY - 1].code, 69);
	/* Asking for fewer gives the newest ones. */
	n = post_history(p, hist, 2);
	REQUIRE(n == 2);
	CHECK_EQ(hist[0].code, 68);
	CHECK_EQ(hist[1].code, 69);
	rig_reset(&r);
	CHECK(!post_last(p, &last));
	rig_free(&r);
}
