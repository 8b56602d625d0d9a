/* PIO and MMIO buses: sorted ranges, binary search, overlap refused. */
#include "core/bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void bus_init(struct bus *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	pthread_rwlock_init(&b->lock, NULL);
}

void bus_destroy(struct bus *b)
{
	free(b->ranges);
	b->ranges = NULL;
	b->count = b->cap = 0;
	pthread_rwlock_destroy(&b->lock);
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, const struct io_ops *ops,
		 void *opaque, const char *name)
{
	if (!len || base + len - 1 < base || !ops)
		return -EINVAL;
	pthread_rwlock_wrlock(&b->lock);
	unsigned pos = 0;
	while (pos < b->count && b->ranges[pos].base < base)
		pos++;
	/* Overlap with the neighbour below or above? */
	if ((pos > 0 && b->ranges[pos - 1].base + b->ranges[pos - 1].len > base) ||
	    (pos < b->count && base + len > b->ranges[pos].base)) {
		pthread_rwlock_unlock(&b->lock);
		return -EEXIST;
	}
	if (b->count == b->cap) {
		unsigned cap = b->cap ? b->cap * 2 : 32;
		struct bus_range *n = realloc(b->ranges, cap * sizeof(*n));
		if (!n) {
			pthread_rwlock_unlock(&b->lock);
			return -ENOMEM;
		}
		b->ranges = n;
		b->cap = cap;
	}
	memmove(&b->ranges[pos + 1], &b->ranges[pos], (b->count - pos) * sizeof(*b->ranges));
	b->ranges[pos] = (struct bus_range){ base, len, ops, opaque, name };
	b->count++;
	pthread_rwlock_unlock(&b->lock);
	return 0;
}

int bus_unregister(struct bus *b, uint64_t base, void *opaque)
{
	pthread_rwlock_wrlock(&b->lock);
	for (unsigned i = 0; i < b->count; i++) {
		if (b->ranges[i].base == base && b->ranges[i].opaque == opaque) {
			memmove(&b->ranges[i], &b->ranges[i + 1],
				(b->count - i - 1) * sizeof(*b->ranges));
			b->count--;
			pthread_rwlock_unlock(&b->lock);
			return 0;
		}
	}
	pthread_rwlock_unlock(&b->lock);
	return -ENOENT;
}

/* Caller holds the lock. */
static const struct bus_range *find(const struct bus *b, uint64_t addr)
{
	unsigned lo = 0, hi = b->count;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		const struct bus_range *r = &b->ranges[mid];
		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

bool bus_read(struct bus *b, uint64_t addr, unsigned size, uint64_t *value)
{
	pthread_rwlock_rdlock(&b->lock);
	const struct bus_range *r = find(b, addr);
	if (!r || !r->ops->read) {
		pthread_rwlock_unlock(&b->lock);
		*value = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
		__atomic_fetch_add(&b->unclaimed, 1, __ATOMIC_RELAXED);
		return false;
	}
	/* Copy out so the handler runs without the bus lock: a handler may
	 * remap BARs (which takes the write lock). */
	struct bus_range rc = *r;
	pthread_rwlock_unlock(&b->lock);
	uint64_t v = rc.ops->read(rc.opaque, addr - rc.base, size);
	if (size < 8)
		v &= (1ULL << (size * 8)) - 1;
	*value = v;
	return true;
}

bool bus_write(struct bus *b, uint64_t addr, unsigned size, uint64_t value)
{
	pthread_rwlock_rdlock(&b->lock);
	const struct bus_range *r = find(b, addr);
	if (!r || !r->ops->write) {
		pthread_rwlock_unlock(&b->lock);
		__atomic_fetch_add(&b->unclaimed, 1, __ATOMIC_RELAXED);
		return false;
	}
	struct bus_range rc = *r;
	pthread_rwlock_unlock(&b->lock);
	if (size < 8)
		value &= (1ULL << (size * 8)) - 1;
	rc.ops->write(rc.opaque, addr - rc.base, value, size);
	return true;
}

const char *bus_owner(struct bus *b, uint64_t addr)
{
	pthread_rwlock_rdlock(&b->lock);
	const struct bus_range *r = find(b, addr);
	const char *n = r ? r->name : NULL;
	pthread_rwlock_unlock(&b->lock);
	return n;
}
