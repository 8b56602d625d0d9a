/*
 * Hostile input to the interrupt hardware: random guest register traffic on
 * every port, MMIO register and MSR of the complex (the models must
 * survive it and come back to their datasheet reset state on a machine
 * reset), and snapshot sections with impossible values (refused with a
 * message naming the device).
 */
#include "test_intc_fixture.h"

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const uint16_t fuzz_ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1,
				       0x40, 0x41, 0x42, 0x43, 0x61 };

static void fuzz_step(struct intc_fix *f, uint64_t *s)
{
	uint64_t r = rng_next(s), v = rng_next(s);
	unsigned cpu = r >> 60 & 1;
	uint8_t vec;

	switch (r % 12) {
	case 0: outb(f, fuzz_ports[(r >> 8) % 11], v); break;
	case 1: inb(f, fuzz_ports[(r >> 8) % 11]); break;
	case 2: mmio_w32(f, 0xFEC00000 + ((r >> 8) & 0x70), v); break;
	case 3: mmio_r32(f, 0xFEC00000 + ((r >> 8) & 0x70)); break;
	case 4: intc_lapic_write(&f->m, cpu, (r >> 8) & 0xfff, v, 1u << ((r >> 20) & 3)); break;
	case 5: intc_lapic_read(&f->m, cpu, (r >> 8) & 0xfff, 1u << ((r >> 20) & 3)); break;
	case 6: {
		uint64_t x;
		if (r & 0x100)
			intc_lapic_wrmsr(&f->m, cpu, 0x800 + ((r >> 9) & 0xff), v);
		else
			intc_lapic_rdmsr(&f->m, cpu, 0x800 + ((r >> 9) & 0xff), &x);
		break;
	}
	case 7: f->m.irq.set_level(f->m.irq.opaque, (r >> 8) % 32, v & 1); break;
	case 8: f->m.irq.send_msi(f->m.irq.opaque, 0xFEE00000 | (v & 0xff00c), (uint32_t)(v >> 32)); break;
	case 9:
		if (intc_irq_pending(&f->m, cpu))
			intc_irq_ack(&f->m, cpu);
		intc_nmi_take(&f->m, cpu);
		intc_take_init_sipi(&f->m, cpu, &vec);
		break;
	case 10: fix_advance(f, v % 2000000); break;
	case 11:
		if (r & 0x100)
			intc_set_apic_base(&f->m, cpu, v);
		else
			intc_set_tsc_deadline(&f->m, cpu, intc_guest_tsc(&f->m) + v % 100000);
		break;
	}
}

TEST(intc_random_register_traffic_then_reset)
{
	struct intc_fix *f = fix_new(2);
	REQUIRE(f);
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	for (unsigned i = 0; i < 200000; i++)
		fuzz_step(f, &seed);

	for (struct device *d = f->m.devices; d; d = d->next)
		d->ops->reset(d->opaque);
	/* Reset values: IOAPIC entries masked, LAPIC software disabled. */
	CHECK_EQ(ioapic_r(f, 0x01), 0x00170020);
	for (unsigned pin = 0; pin < 24; pin++)
		CHECK_EQ(ioapic_r(f, 0x10 + 2 * pin), 0x00010000);
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		CHECK_EQ(apic_r(f, cpu, 0xf0), 0xff);
		CHECK_EQ(apic_r(f, cpu, 0x20), cpu << 24);
		CHECK_EQ(intc_get_apic_base(&f->m, cpu), 0xfee00800 | (cpu ? 0 : 0x100));
	}
	CHECK_EQ(intc_get_elcr(&f->m), 0);
	/* And the machine works again: lines may still be up from the storm,
	 * so lower them all first. */
	for (unsigned gsi = 0; gsi < 24; gsi++)
		f->m.irq.set_level(f->m.irq.opaque, gsi, 0);
	fix_pic_init_linux(f, 0xfd, 0xff);
	f->m.irq.set_level(f->m.irq.opaque, 1, 1);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x31);
	fix_free(f);
}

/* One section with the given payload, loaded into device `name`. */
static bool load_section(struct intc_fix *f, const char *name, uint32_t version,
			 const uint8_t *payload, size_t len, char *err, size_t err_len)
{
	struct state_writer w;
	struct state_reader r;
	char sect[64];
	uint32_t ver;
	bool ok = false;

	sw_init(&w);
	sw_begin(&w);
	sw_section_begin(&w, name, version);
	sw_bytes(&w, payload, len);
	sw_section_end(&w);
	sw_finish(&w);
	if (sr_init(&r, w.buf, w.len) && sr_next_section(&r, sect, sizeof sect, &ver)) {
		for (struct device *d = f->m.devices; d; d = d->next)
			if (!strcmp(d->name, name))
				d->ops->load(d->opaque, &r, ver);
		ok = sr_ok(&r);
		snprintf(err, err_len, "%s", r.error);
	}
	sw_free(&w);
	return ok;
}

TEST(intc_state_refuses_impossible_values)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	uint8_t buf[2048] = {0};
	char err[256];

	/* PIT channel 0 with count 0 (a loaded count is 1..65536). */
	CHECK(!load_section(f, "pit", 1, buf, 3 * 37 + 1, err, sizeof err));
	CHECK(strstr(err, "pit") != NULL);
	/* A version this build does not know. */
	CHECK(!load_section(f, "pic", 7, buf, 24, err, sizeof err));
	CHECK(strstr(err, "version") != NULL);
	/* Truncated IOAPIC section. */
	CHECK(!load_section(f, "ioapic", 1, buf, 5, err, sizeof err));
	/* IOAPIC from a model with another pin count. */
	buf[9] = 48;
	CHECK(!load_section(f, "ioapic", 1, buf, 10 + 48 * 8, err, sizeof err));
	CHECK(strstr(err, "48") != NULL);
	/* LAPIC with x2APIC enabled but the APIC disabled (invalid base). */
	memset(buf, 0, sizeof buf);
	buf[1] = 0x04;                                  /* base = 0x400: EXTD only */
	CHECK(!load_section(f, "lapic0", 1, buf, 8 + 4 + 1024 + 4 + 1 + 8 + 4 + 8 + 2, err,
			    sizeof err));
	CHECK(strstr(err, "APIC base") != NULL);
	/* The refused loads left the devices as they were. */
	CHECK_EQ(ioapic_r(f, 0x01), 0x00170020);
	CHECK_EQ(intc_get_apic_base(&f->m, 0), 0xfee00900);
	fix_free(f);
}
