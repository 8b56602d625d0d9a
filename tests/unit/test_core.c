/* Unit tests: bus, guest memory, state stream, logging, event loop. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/bus.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/memory.h"
#include "core/state.h"
#include "harness.h"

static uint64_t last_off, last_val;
static unsigned last_size;

static uint64_t rd(void *o, uint64_t off, unsigned size)
{
	last_off = off;
	last_size = size;
	return 0x1122334455667788ULL + (uintptr_t)o;
}

static void wr(void *o, uint64_t off, uint64_t v, unsigned size)
{
	last_off = off;
	last_val = v;
	last_size = size;
}

static const struct io_ops ops = { rd, wr };

TEST(bus_overlap_refused)
{
	struct bus b;
	bus_init(&b, "t");
	CHECK_EQ(bus_register(&b, 0x100, 0x10, &ops, NULL, "a"), 0);
	CHECK_EQ(bus_register(&b, 0x10F, 1, &ops, NULL, "b"), -EEXIST);
	CHECK_EQ(bus_register(&b, 0xF8, 0x9, &ops, NULL, "c"), -EEXIST);
	CHECK_EQ(bus_register(&b, 0xF8, 0x8, &ops, NULL, "d"), 0);
	CHECK_EQ(bus_register(&b, 0x110, 0x10, &ops, NULL, "e"), 0);
	CHECK_EQ(bus_register(&b, 0x50, 0, &ops, NULL, "empty"), -EINVAL);
	CHECK_EQ(bus_register(&b, ~0ULL, 2, &ops, NULL, "wrap"), -EINVAL);
	CHECK_STR(bus_owner(&b, 0x10F), "a");
	CHECK_STR(bus_owner(&b, 0xFF), "d");
	CHECK(bus_owner(&b, 0x120) == NULL);
	bus_destroy(&b);
}

TEST(bus_dispatch_offsets_and_unclaimed)
{
	struct bus b;
	bus_init(&b, "t");
	bus_register(&b, 0x3F8, 8, &ops, NULL, "uart");
	uint64_t v;
	CHECK(bus_read(&b, 0x3FD, 1, &v));
	CHECK_EQ(last_off, 5);
	CHECK_EQ(v, 0x88);           /* truncated to the access size */
	CHECK(bus_write(&b, 0x3F9, 2, 0xABCDEF));
	CHECK_EQ(last_off, 1);
	CHECK_EQ(last_val, 0xCDEF);
	CHECK(!bus_read(&b, 0x400, 4, &v));
	CHECK_EQ(v, 0xFFFFFFFF);
	CHECK(!bus_write(&b, 0x3F0, 1, 0));
	CHECK_EQ(b.unclaimed, 2);
	CHECK_EQ(bus_unregister(&b, 0x3F8, NULL), 0);
	CHECK(!bus_read(&b, 0x3F8, 1, &v));
	CHECK_EQ(bus_unregister(&b, 0x3F8, NULL), -ENOENT);
	bus_destroy(&b);
}

TEST(memory_layout_pc)
{
	struct guest_mem m;
	REQUIRE(mem_init(&m, 128ULL << 20) == 0);
	CHECK_EQ(m.below_4g, 128ULL << 20);
	CHECK_EQ(m.above_4g, 0);
	CHECK(mem_find(&m, 0x9FFFF) != NULL);
	CHECK(mem_find(&m, 0xA0000) == NULL);      /* VGA window */
	CHECK(mem_find(&m, 0xBFFFF) == NULL);
	CHECK(mem_find(&m, 0xC0000) != NULL);
	CHECK(mem_find(&m, (128ULL << 20) - 1) != NULL);
	CHECK(mem_find(&m, 128ULL << 20) == NULL);
	mem_destroy(&m);

	/* 4 GiB: RAM splits at 3 GiB, 1 GiB goes above 4 GiB. */
	REQUIRE(mem_init(&m, 4ULL << 30) == 0);
	CHECK_EQ(m.below_4g, 0xC0000000ULL);
	CHECK_EQ(m.above_4g, 1ULL << 30);
	CHECK(mem_find(&m, 0xC0000000ULL) == NULL);
	CHECK(mem_find(&m, 0x100000000ULL) != NULL);
	CHECK(mem_find(&m, 0x13FFFFFFFULL) != NULL);
	CHECK(mem_find(&m, 0x140000000ULL) == NULL);
	mem_destroy(&m);

	CHECK_EQ(mem_init(&m, (64ULL << 20) + 123), -EINVAL);
}

TEST(memory_checked_access)
{
	struct guest_mem m;
	REQUIRE(mem_init(&m, 16ULL << 20) == 0);
	uint8_t buf[16] = "nyx-guest-memory";
	CHECK_EQ(gpa_write(&m, 0x1000, buf, 16), 0);
	uint8_t out[16] = { 0 };
	CHECK_EQ(gpa_read(&m, 0x1000, out, 16), 0);
	CHECK(!memcmp(buf, out, 16));
	/* Crossing into the VGA hole, past the end, wrapping: refused whole. */
	CHECK_EQ(gpa_write(&m, 0x9FFF8, buf, 16), -EFAULT);
	CHECK_EQ(gpa_read(&m, (16ULL << 20) - 8, out, 16), -EFAULT);
	CHECK_EQ(gpa_read(&m, ~0ULL - 4, out, 16), -EFAULT);
	CHECK(gpa_map(&m, (16ULL << 20) - 8, 16, false) == NULL);
	CHECK(gpa_map(&m, 0x2000, 4096, true) != NULL);
	/* ROM: readable, never writable through the checked API. */
	uint8_t rom[4096];
	memset(rom, 0xEA, sizeof(rom));
	CHECK_EQ(mem_add_rom(&m, 0xFFFFF000ULL, rom, sizeof(rom), "rom"), 0);
	CHECK_EQ(gpa_read(&m, 0xFFFFFFF0ULL, out, 16), 0);
	CHECK_EQ(out[0], 0xEA);
	CHECK_EQ(gpa_write(&m, 0xFFFFFFF0ULL, buf, 1), -EFAULT);
	CHECK(gpa_map(&m, 0xFFFFF000ULL, 16, true) == NULL);
	CHECK_EQ(mem_add_rom(&m, 0x1000, rom, sizeof(rom), "overlap"), -EEXIST);
	/* Dirty bits: the page written at 0x1000 is marked. */
	struct mem_region *r = mem_find(&m, 0x1000);
	CHECK(r->dirty[0] & (1UL << 1));
	CHECK(!(r->dirty[0] & (1UL << 5)));
	mem_destroy(&m);
}

TEST(state_stream_round_trip)
{
	struct state_writer w;
	sw_init(&w);
	sw_begin(&w);
	sw_section_begin(&w, "uart", 3);
	sw_u8(&w, 0xAB);
	sw_u16(&w, 0x1234);
	sw_u32(&w, 0xDEADBEEF);
	sw_u64(&w, 0x0123456789ABCDEFULL);
	sw_bytes(&w, "xyz", 3);
	sw_section_end(&w);
	sw_section_begin(&w, "rtc", 1);
	sw_u32(&w, 7);
	sw_section_end(&w);
	sw_finish(&w);
	REQUIRE(!w.failed);

	struct state_reader r;
	REQUIRE(sr_init(&r, w.buf, w.len));
	char name[32];
	uint32_t ver;
	REQUIRE(sr_next_section(&r, name, sizeof(name), &ver));
	CHECK_STR(name, "uart");
	CHECK_EQ(ver, 3);
	CHECK_EQ(sr_u8(&r), 0xAB);
	CHECK_EQ(sr_u16(&r), 0x1234);
	CHECK_EQ(sr_u32(&r), 0xDEADBEEF);
	sr_section_done(&r);   /* skip the rest */
	REQUIRE(sr_next_section(&r, name, sizeof(name), &ver));
	CHECK_STR(name, "rtc");
	CHECK_EQ(sr_u32(&r), 7);
	CHECK_EQ(sr_u32(&r), 0);      /* reading past the section fails */
	CHECK(!sr_ok(&r));
	CHECK(strstr(r.error, "rtc") != NULL);
	sw_free(&w);
}

TEST(state_stream_rejects_corruption)
{
	struct state_writer w;
	sw_init(&w);
	sw_begin(&w);
	sw_section_begin(&w, "mem", 1);
	for (int i = 0; i < 100; i++)
		sw_u64(&w, i);
	sw_section_end(&w);
	sw_finish(&w);
	struct state_reader r;
	/* Flipped payload byte: checksum mismatch. */
	w.buf[100] ^= 1;
	CHECK(!sr_init(&r, w.buf, w.len));
	CHECK(strstr(r.error, "checksum") != NULL);
	w.buf[100] ^= 1;
	/* Truncated anywhere: refused. */
	for (size_t cut = 0; cut < w.len; cut += 37)
		CHECK(!sr_init(&r, w.buf, cut));
	/* Section length larger than the stream: refused. */
	w.buf[12 + 4 + 2 + 3 + 4 + 7] = 0x7F;
	CHECK(!sr_init(&r, w.buf, w.len));
	/* Bad magic. */
	w.buf[0] = 'X';
	CHECK(!sr_init(&r, w.buf, w.len));
	CHECK(strstr(r.error, "magic") != NULL);
	sw_free(&w);
}

struct seen {
	int n;
	char last[64];
	enum log_level level;
};

static void out_fn(void *o, const struct log_entry *e)
{
	struct seen *s = o;
	s->n++;
	s->level = e->level;
	snprintf(s->last, sizeof(s->last), "%s:%s", e->component, e->msg);
}

TEST(log_levels_components_ring)
{
	struct logger *l = logger_new();
	struct seen s = { 0 };
	logger_add_output(l, out_fn, &s);
	logger_set_level(l, LOG_WARN);
	LOG(l, LOG_INFO, "vm", "dropped");
	CHECK_EQ(s.n, 0);
	LOG(l, LOG_ERROR, "vm", "kept %d", 1);
	CHECK_EQ(s.n, 1);
	CHECK_STR(s.last, "vm:kept 1");
	logger_register_component(l, "device", LOG_DEBUG);
	LOG(l, LOG_DEBUG, "device", "dbg");
	CHECK_EQ(s.n, 2);
	LOG(l, LOG_DEBUG, "vm", "still dropped");
	CHECK_EQ(s.n, 2);
	CHECK(!logger_enabled(l, LOG_TRACE, "device"));
	/* Ring keeps the last 10,000 only. */
	for (int i = 0; i < LOG_RING_SIZE + 5; i++)
		LOG(l, LOG_WARN, "flood", "n=%d", i);
	size_t total = logger_foreach(l, NULL, 0, out_fn, &s);
	CHECK_EQ(total, LOG_RING_SIZE);
	CHECK_EQ(logger_foreach(l, "device", 0, out_fn, &s), 0);   /* pushed out */
	CHECK_EQ(logger_foreach(l, "flood", 0, out_fn, &s), LOG_RING_SIZE);
	CHECK_STR(s.last, "flood:n=10004");
	CHECK_EQ(logger_foreach(l, NULL, clock_wall_ns() + 1000000000ULL, out_fn, &s), 0);
	CHECK_EQ(log_level_parse("Debug"), LOG_DEBUG);
	CHECK_EQ(log_level_parse("loud"), -1);
	logger_free(l);
}

static int fired;
static struct event_loop *test_loop;

static void on_timer(void *o)
{
	fired++;
	loop_quit(test_loop);
}

TEST(loop_timer_fires_in_order)
{
	test_loop = loop_new();
	REQUIRE(test_loop);
	struct loop_timer *t = timer_new(test_loop, on_timer, NULL);
	struct loop_timer *late = timer_new(test_loop, on_timer, NULL);
	uint64_t t0 = clock_ns();
	timer_mod(t, t0 + 2000000);
	timer_mod(late, t0 + 60ULL * 1000000000ULL);
	loop_run(test_loop);
	CHECK_EQ(fired, 1);
	CHECK(clock_ns() - t0 >= 2000000);
	CHECK(timer_pending(late));
	CHECK(!timer_pending(t));
	timer_free(t);
	timer_free(late);
	loop_free(test_loop);
}
