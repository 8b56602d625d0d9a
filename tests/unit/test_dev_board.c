/*
 * The PC board on a real machine: a few bytes of real-mode
 * firmware program COM1, write a POST code, read the CMOS base-memory byte
 * and leave through isa-debug-exit, so the whole path guest OUT -> bus ->
 * device -> backend is exercised with the devices pc_board_init creates,
 * on both CPU backends.
 */
#include <stdlib.h>
#include <unistd.h>

#include "core/machine.h"
#include "harness.h"
#include "hw/pc/pc.h"
#include "hw/pc/post.h"
#include "test_dev_util.h"

/* A machine booting `code` as its firmware, COM1 on `serial`. */
static struct machine *board_create(const char *img, const uint8_t *code, size_t n,
				    enum accel_kind accel, const char *serial)
{
	char err[256] = "";
	struct machine_config c;
	struct machine *m;

	rig_write_reset_image(img, code, n);
	machine_config_init(&c);
	c.bios = strdup(img);
	c.serial = strdup(serial);
	c.mem_size = 32ULL << 20;
	c.accel = accel;
	c.timeout_s = 10;
	c.log_level = LOG_ERROR;
	m = machine_create(&c, err, sizeof err);
	machine_config_free(&c);
	if (!m)
		fprintf(stderr, "  machine_create: %s\n", err);
	return m;
}

static void board_run(enum accel_kind accel)
{
	/* mov dx,0x3F8; mov al,'O'; out dx,al; mov al,'K'; out dx,al;
	 * mov al,0x42; out 0x80,al; mov al,0x15; out 0x70,al; in al,0x71;
	 * out 0xF4,al; hlt */
	const uint8_t code[] = { 0xBA, 0xF8, 0x03, 0xB0, 'O', 0xEE, 0xB0, 'K', 0xEE,
				 0xB0, 0x42, 0xE6, 0x80, 0xB0, 0x15, 0xE6, 0x70,
				 0xE4, 0x71, 0xE6, 0xF4, 0xF4 };
	char img[256], out[256], spec[300], buf[64];
	struct machine *m;
	struct post_record rec;

	rig_tmpfile(img, sizeof img, "board-bios");
	rig_tmpfile(out, sizeof out, "board-com1");
	snprintf(spec, sizeof spec, "file:%s", out);
	m = board_create(img, code, sizeof code, accel, spec);
	REQUIRE(m);
	/* CMOS 0x15 = low byte of 640 KiB base memory = 0x80. */
	CHECK_EQ(machine_run(m), (0x80 << 1) | 1);
	REQUIRE(pc_board(m) && pc_board(m)->post);
	CHECK(post_last(pc_board(m)->post, &rec));
	CHECK_EQ(rec.code, 0x42);
	machine_destroy(m);
	CHECK_EQ(rig_slurp(out, buf, sizeof buf), 2);
	CHECK_STR(buf, "OK");
	unlink(out);
	unlink(img);
}

TEST(dev_board_guest_reaches_uart_cmos_post_and_exit_kvm)
{
	board_run(ACCEL_KVM);
}

TEST(dev_board_guest_reaches_uart_cmos_post_and_exit_emu)
{
	board_run(ACCEL_EMU);
}

/*
 * Two guest-requested resets: the firmware counts its boots in CMOS byte
 * 0x40 (battery-backed: it survives a reset), resets through 0xCF9 (0x02
 * then 0x06, as Linux's reboot=pci) on the first boot and through the
 * 8042 (pulse 0xFE) on the second, and exits with the count on the third.
 */
static void board_reset_run(enum accel_kind accel)
{
	/* Assembled with GNU as (.code16):
	 *   mov $0x40,%al; out %al,$0x70; in $0x71,%al; inc %al; mov %al,%ah
	 *   mov $0x40,%al; out %al,$0x70; mov %ah,%al; out %al,$0x71
	 *   cmp $3,%ah; je done; cmp $1,%ah; jne kbc
	 *   mov $0xCF9,%dx; mov $2,%al; out %al,%dx; mov $6,%al; out %al,%dx; hlt
	 *   kbc: mov $0xFE,%al; out %al,$0x64; hlt
	 *   done: mov %ah,%al; out %al,$0xF4; hlt */
	const uint8_t code[] = {
		0xb0, 0x40, 0xe6, 0x70, 0xe4, 0x71, 0xfe, 0xc0, 0x88, 0xc4, 0xb0, 0x40,
		0xe6, 0x70, 0x88, 0xe0, 0xe6, 0x71, 0x80, 0xfc, 0x03, 0x74, 0x14, 0x80,
		0xfc, 0x01, 0x75, 0x0a, 0xba, 0xf9, 0x0c, 0xb0, 0x02, 0xee, 0xb0, 0x06,
		0xee, 0xf4, 0xb0, 0xfe, 0xe6, 0x64, 0xf4, 0x88, 0xe0, 0xe6, 0xf4, 0xf4,
	};
	char img[256];
	struct machine *m;

	rig_tmpfile(img, sizeof img, "board-reset-bios");
	m = board_create(img, code, sizeof code, accel, "none");
	REQUIRE(m);
	CHECK_EQ(machine_run(m), (3 << 1) | 1);
	machine_destroy(m);
	unlink(img);
}

TEST(dev_board_guest_resets_through_cf9_and_8042_kvm)
{
	board_reset_run(ACCEL_KVM);
}

TEST(dev_board_guest_resets_through_cf9_and_8042_emu)
{
	board_reset_run(ACCEL_EMU);
}
