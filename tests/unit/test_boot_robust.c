/*
 * Loaders against corrupt input: every prefix of valid multiboot, PVH and
 * bzImage images, and images with random header bytes changed, either load
 * or fail with a message; none crashes or reads past the file (run under
 * SAN=address to see the latter).
 */
#include <errno.h>

#include "test_boot_fixture.h"

#define RB_SIZE 0x3000

/* Valid images, built as in the per-format tests. */
static void rb_multiboot(uint8_t *img)
{
	struct bt_ph ph = { 1, 0x1000, 0x100000, 0x100000, 0x800, 0x1000 };
	memset(img, 0, RB_SIZE);
	bt_elf(img, false, 3, 0x100000, &ph, 1);
	bt_mb_header(img + 0x1000, 0x3);
}

static void rb_pvh(uint8_t *img)
{
	struct bt_ph ph[2] = {
		{ 1, 0x1000, 0xffffffff81000000ULL, 0x1000000, 0x1000, 0x2000 },
		{ 4, 0x2000, 0, 0, 24, 24 },
	};
	memset(img, 0, RB_SIZE);
	bt_elf(img, true, 62, 0, ph, 2);
	bt_put32(img + 0x2000, 4);
	bt_put32(img + 0x2004, 8);
	bt_put32(img + 0x2008, 18);
	memcpy(img + 0x200C, "Xen", 4);
	bt_put64(img + 0x2010, 0x1000000);
}

static void rb_bzimage(uint8_t *img)
{
	memset(img, 0, RB_SIZE);
	img[0x1F1] = 4;
	bt_put32(img + 0x1F4, (RB_SIZE - 0xA00) / 16);
	bt_put16(img + 0x1FE, 0xAA55);
	img[0x201] = 0x6A;
	memcpy(img + 0x202, "HdrS", 4);
	bt_put16(img + 0x206, 0x020F);
	img[0x211] = 1;
	bt_put32(img + 0x22C, 0x7FFFFFFF);
	img[0x234] = 1;
	bt_put16(img + 0x236, 1);
	bt_put32(img + 0x238, 255);
	bt_put64(img + 0x258, 0x1000000);
	bt_put32(img + 0x260, 0x100000);
}

/* 0 and a loaded boot state, or an error with a message naming the file. */
static bool rb_sane(struct bt *t, int rc, const char *name)
{
	if (rc == 0)
		return t->m->boot_state != NULL;
	return rc < 0 && strstr(t->err, name) != NULL;
}

TEST(boot_robust_every_prefix)
{
	static uint8_t img[RB_SIZE];
	void (*build[])(uint8_t *) = { rb_multiboot, rb_pvh, rb_bzimage };
	struct bt t;
	REQUIRE(bt_init(&t, 64 * BT_MiB));
	char *prefix = bt_file(&t, "prefix", img, 0);
	for (unsigned k = 0; k < 3; k++) {
		build[k](img);
		t.m->cfg.kernel = bt_file(&t, "full", img, RB_SIZE);
		CHECK_EQ(bt_load(&t), 0);                 /* the intact image loads */
		for (size_t len = 0; len < RB_SIZE; len += len < 0x300 ? 1 : 61) {
			bt_rewrite(prefix, img, len);
			t.m->cfg.kernel = prefix;
			int rc = bt_load(&t);
			if (!rb_sane(&t, rc, "prefix")) {
				fprintf(stderr, "  format %u, %zu bytes: rc %d, '%s'\n", k, len, rc, t.err);
				CHECK(0);
				break;
			}
		}
	}
	bt_fini(&t);
}

TEST(boot_robust_random_header_bytes)
{
	static uint8_t img[RB_SIZE];
	void (*build[])(uint8_t *) = { rb_multiboot, rb_pvh, rb_bzimage };
	uint32_t seed = 12345;
	struct bt t;
	REQUIRE(bt_init(&t, 64 * BT_MiB));
	char *path = bt_file(&t, "fuzzed", img, 0);
	for (unsigned iter = 0; iter < 600; iter++) {
		build[iter % 3](img);
		for (unsigned n = 0; n < 4; n++) {
			seed = seed * 1103515245 + 12345;
			/* Headers live in the first 0x300 bytes and at the notes. */
			unsigned off = (seed >> 8) % 0x300;
			if (iter % 3 == 1 && n == 3)
				off = 0x2000 + (seed >> 8) % 24;
			img[off] = (uint8_t)(seed >> 24);
		}
		bt_rewrite(path, img, RB_SIZE);
		t.m->cfg.kernel = path;
		int rc = bt_load(&t);
		if (!rb_sane(&t, rc, "fuzzed")) {
			fprintf(stderr, "  iteration %u: rc %d, '%s'\n", iter, rc, t.err);
			CHECK(0);
			break;
		}
	}
	bt_fini(&t);
}
