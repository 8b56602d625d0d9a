/*
 * POST codes at port 0x80. Each write is logged (component "post", INFO)
 * with ms since machine start and the phase named in INTERFACE.md, and
 * appended to a ring of the last POST_HISTORY writes. Reads return the last
 * code written (0xFF before any), as many chipsets do.
 *
 * Note: Linux's default io_delay also writes port 0x80 (outb_p); those
 * writes are logged like any other.
 */
#include "hw/pc/post.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "core/machine.h"
#include "core/state.h"

#define POST_STATE_VERSION 1

struct post {
	struct machine *m;
	pthread_mutex_t lock;
	struct post_record ring[POST_HISTORY];
	uint64_t count;          /* writes since reset; ring index = count % size */
};

const char *post_phase_name(uint8_t code)
{
	static const char *const phases[4] = { "firmware", "bootloader", "kernel", "userspace" };

	return code < 0x80 ? phases[code >> 5] : "other";
}

static uint64_t post_read(void *opaque, uint64_t offset, unsigned size)
{
	struct post *p = opaque;
	uint64_t v = 0xFF;

	pthread_mutex_lock(&p->lock);
	if (p->count)
		v = p->ring[(p->count - 1) % POST_HISTORY].code;
	pthread_mutex_unlock(&p->lock);
	return v;
}

static void post_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	struct post *p = opaque;
	struct post_record rec = { .code = (uint8_t)value, .ns = machine_clock_ns(p->m) };

	pthread_mutex_lock(&p->lock);
	p->ring[p->count % POST_HISTORY] = rec;
	p->count++;
	pthread_mutex_unlock(&p->lock);
	LOG(p->m->log, LOG_INFO, "post", "0x%02x at %llu.%03llu ms (%s)", rec.code,
	    (unsigned long long)(rec.ns / 1000000), (unsigned long long)(rec.ns / 1000 % 1000),
	    post_phase_name(rec.code));
}

static const struct io_ops post_io_ops = {
	.read = post_read,
	.write = post_write,
};

bool post_last(struct post *p, struct post_record *rec)
{
	bool any;

	pthread_mutex_lock(&p->lock);
	any = p->count != 0;
	if (any)
		*rec = p->ring[(p->count - 1) % POST_HISTORY];
	pthread_mutex_unlock(&p->lock);
	return any;
}

size_t post_history(struct post *p, struct post_record *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->count < POST_HISTORY ? (size_t)p->count : POST_HISTORY;
	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++)
		out[i] = p->ring[(p->count - n + i) % POST_HISTORY];
	pthread_mutex_unlock(&p->lock);
	return n;
}

uint64_t post_count(struct post *p)
{
	uint64_t n;

	pthread_mutex_lock(&p->lock);
	n = p->count;
	pthread_mutex_unlock(&p->lock);
	return n;
}

static void post_reset(void *opaque)
{
	struct post *p = opaque;

	pthread_mutex_lock(&p->lock);
	p->count = 0;
	pthread_mutex_unlock(&p->lock);
}

/* Only the last code is guest-visible (a read); the history is host-side
 * bookkeeping, and its times belong to the old machine's clock. */
static void post_save(void *opaque, struct state_writer *w)
{
	struct post *p = opaque;
	struct post_record last;
	bool any = post_last(p, &last);

	sw_u8(w, any);
	sw_u8(w, any ? last.code : 0);
}

static void post_load(void *opaque, struct state_reader *r, uint32_t version)
{
	struct post *p = opaque;
	uint8_t any, code;

	if (version != POST_STATE_VERSION) {
		sr_fail(r, "post: unsupported state version %u", version);
		return;
	}
	any = sr_u8(r);
	code = sr_u8(r);
	if (!sr_ok(r))
		return;
	pthread_mutex_lock(&p->lock);
	p->count = 0;
	if (any) {
		p->ring[0] = (struct post_record){ .code = code, .ns = machine_clock_ns(p->m) };
		p->count = 1;
	}
	pthread_mutex_unlock(&p->lock);
}

static void post_destroy(void *opaque)
{
	struct post *p = opaque;

	pthread_mutex_destroy(&p->lock);
	free(p);
}

static const struct device_ops post_device_ops = {
	.type = "post",
	.state_version = POST_STATE_VERSION,
	.reset = post_reset,
	.save = post_save,
	.load = post_load,
	.destroy = post_destroy,
};

int post_create(struct machine *m, struct post **out)
{
	struct post *p = calloc(1, sizeof *p);
	int ret;

	if (out)
		*out = NULL;
	if (!p)
		return -ENOMEM;
	p->m = m;
	pthread_mutex_init(&p->lock, NULL);
	ret = machine_add_device(m, &post_device_ops, p, "post");
	if (ret) {
		post_destroy(p);
		return ret;
	}
	ret = bus_register(&m->pio, POST_PORT, 1, &post_io_ops, p, "post");
	if (ret)
		return ret;
	if (out)
		*out = p;
	return 0;
}
