/*
 * The PIO and MMIO buses. A device registers a range with read/write
 * handlers; handlers receive the offset into the range, the access size
 * (1, 2, 4 or 8) and the data. Overlapping ranges are refused.
 *
 * Unclaimed reads return all ones; unclaimed writes are dropped. Both are
 * counted and logged (rate limited) by the caller of bus_read/bus_write.
 *
 * Lookups take a read lock; registration (BAR moves, hotplug) a write lock.
 */
#ifndef NYX_CORE_BUS_H
#define NYX_CORE_BUS_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

struct io_ops {
	uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
	void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
};

struct bus_range {
	uint64_t base;
	uint64_t len;
	const struct io_ops *ops;
	void *opaque;
	const char *name;
};

struct bus {
	const char *name;          /* "pio" or "mmio" */
	struct bus_range *ranges;  /* sorted by base */
	unsigned count, cap;
	pthread_rwlock_t lock;
	uint64_t unclaimed;        /* accesses nobody claimed */
};

void bus_init(struct bus *b, const char *name);
void bus_destroy(struct bus *b);
/* 0, -EEXIST on overlap, -EINVAL for an empty or wrapping range, -ENOMEM. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, const struct io_ops *ops,
		 void *opaque, const char *name);
/* Removes the range starting exactly at base owned by opaque; -ENOENT if none. */
int bus_unregister(struct bus *b, uint64_t base, void *opaque);
/* true if a handler claimed the access. */
bool bus_read(struct bus *b, uint64_t addr, unsigned size, uint64_t *value);
bool bus_write(struct bus *b, uint64_t addr, unsigned size, uint64_t value);
/* Name of the range covering addr, or NULL. */
const char *bus_owner(struct bus *b, uint64_t addr);

#endif
