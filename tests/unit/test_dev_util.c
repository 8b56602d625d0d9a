/* A hand-built machine for device unit tests (see test_dev_util.h). */
#include "test_dev_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/state.h"

static void rig_set_level(void *opaque, unsigned gsi, int level)
{
	struct dev_rig *r = opaque;

	if (gsi >= RIG_GSIS)
		return;
	if (level && !r->level[gsi])
		r->rises[gsi]++;
	r->level[gsi] = level;
}

void rig_init(struct dev_rig *r, uint64_t ram, unsigned cpus)
{
	memset(r, 0, sizeof *r);
	r->m.cfg.cpus = cpus;
	r->m.mem.ram_size = ram;
	r->m.mem.below_4g = ram < MEM_PCI_HOLE_START_MAX ? ram : MEM_PCI_HOLE_START_LARGE;
	r->m.mem.above_4g = ram - r->m.mem.below_4g;
	bus_init(&r->m.pio, "pio");
	bus_init(&r->m.mmio, "mmio");
	pthread_mutex_init(&r->m.lock, NULL);
	pthread_cond_init(&r->m.cond, NULL);
	r->m.irq.set_level = rig_set_level;
	r->m.irq.opaque = r;
	r->m.start_ns = clock_ns();
	/* Stop and reset requests post to the loop; it never runs here, so
	 * device timers never fire and tests drive time themselves. */
	r->m.loop = loop_new();
}

void rig_free(struct dev_rig *r)
{
	machine_destroy_devices(&r->m);
	loop_free(r->m.loop);
	bus_destroy(&r->m.pio);
	bus_destroy(&r->m.mmio);
	pthread_cond_destroy(&r->m.cond);
	pthread_mutex_destroy(&r->m.lock);
}

uint64_t rig_in(struct dev_rig *r, uint16_t port, unsigned size)
{
	return machine_pio_read(&r->m, port, size);
}

void rig_out(struct dev_rig *r, uint16_t port, unsigned size, uint64_t v)
{
	machine_pio_write(&r->m, port, size, v);
}

uint8_t rig_inb(struct dev_rig *r, uint16_t port)
{
	return (uint8_t)rig_in(r, port, 1);
}

void rig_outb(struct dev_rig *r, uint16_t port, uint8_t v)
{
	rig_out(r, port, 1, v);
}

bool rig_save(struct dev_rig *r, void **buf, size_t *len)
{
	struct state_writer w;

	sw_init(&w);
	sw_begin(&w);
	for (struct device *d = r->m.devices; d; d = d->next) {
		if (!d->ops->save)
			continue;
		sw_section_begin(&w, d->name, d->ops->state_version);
		d->ops->save(d->opaque, &w);
		sw_section_end(&w);
	}
	sw_finish(&w);
	if (w.failed) {
		sw_free(&w);
		return false;
	}
	*buf = w.buf;
	*len = w.len;
	return true;
}

bool rig_load(struct dev_rig *r, const void *buf, size_t len, char *err, size_t err_len)
{
	struct state_reader rd;
	char name[64];
	uint32_t version;

	if (!sr_init(&rd, buf, len)) {
		snprintf(err, err_len, "%s", rd.error);
		return false;
	}
	while (sr_next_section(&rd, name, sizeof name, &version)) {
		struct device *d = r->m.devices;

		while (d && strcmp(d->name, name))
			d = d->next;
		if (!d || !d->ops->load) {
			snprintf(err, err_len, "no device %s", name);
			return false;
		}
		d->ops->load(d->opaque, &rd, version);
		sr_section_done(&rd);
		if (!sr_ok(&rd))
			break;
	}
	if (!sr_ok(&rd)) {
		snprintf(err, err_len, "%s", rd.error);
		return false;
	}
	return true;
}

void rig_reset(struct dev_rig *r)
{
	for (struct device *d = r->m.devices; d; d = d->next)
		if (d->ops->reset)
			d->ops->reset(d->opaque);
}

void rig_tmpfile(char *buf, size_t len, const char *tag)
{
	const char *dir = getenv("TMPDIR");

	snprintf(buf, len, "%s/nyx-test-%d-%s", dir && *dir ? dir : "/tmp", (int)getpid(), tag);
}

long rig_slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return (long)n;
}

void rig_write_reset_image(const char *path, const uint8_t *code, size_t n)
{
	static uint8_t img[65536];
	const uint8_t jmp[] = { 0xE9, 0x0D, 0xFF };   /* jmp near 0xFF00 */
	FILE *f;

	memset(img, 0xF4, sizeof img);
	memcpy(img + 0xFF00, code, n);
	memcpy(img + 0xFFF0, jmp, sizeof jmp);
	f = fopen(path, "wb");
	if (f) {
		fwrite(img, 1, sizeof img, f);
		fclose(f);
	}
}
