/* Guest physical memory: layout, ROM regions and the checked access API. */
#include "core/memory.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BITS_PER_LONG (8 * sizeof(unsigned long))

static int add_region(struct guest_mem *mem, uint64_t gpa, uint64_t size, uint8_t *host,
		      enum mem_kind kind, const char *name)
{
	if (mem->nregions == MEM_MAX_REGIONS)
		return -ENOSPC;
	for (unsigned i = 0; i < mem->nregions; i++) {
		struct mem_region *r = &mem->regions[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return -EEXIST;
	}
	struct mem_region *r = &mem->regions[mem->nregions];
	memset(r, 0, sizeof(*r));
	r->gpa = gpa;
	r->size = size;
	r->host = host;
	r->kind = kind;
	r->slot = mem->nregions;
	snprintf(r->name, sizeof(r->name), "%s", name);
	size_t pages = (size + MEM_PAGE_SIZE - 1) / MEM_PAGE_SIZE;
	r->dirty = calloc((pages + BITS_PER_LONG - 1) / BITS_PER_LONG, sizeof(unsigned long));
	if (!r->dirty)
		return -ENOMEM;
	mem->nregions++;
	return 0;
}

int mem_init(struct guest_mem *mem, uint64_t ram_size)
{
	memset(mem, 0, sizeof(*mem));
	pthread_mutex_init(&mem->lock, NULL);
	if (ram_size < 0x100000 || ram_size % MEM_PAGE_SIZE)
		return -EINVAL;
	mem->ram_size = ram_size;
	mem->below_4g = ram_size < MEM_PCI_HOLE_START_MAX ? ram_size : MEM_PCI_HOLE_START_LARGE;
	mem->above_4g = ram_size - mem->below_4g;
	void *p = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	mem->ram = p;
	madvise(p, ram_size, MADV_MERGEABLE);
	mem->code_gen = calloc(ram_size / MEM_PAGE_SIZE, sizeof(*mem->code_gen));
	if (!mem->code_gen) {
		munmap(p, ram_size);
		mem->ram = NULL;
		return -ENOMEM;
	}
	int rc = add_region(mem, 0, 0xA0000, mem->ram, MEM_RAM, "ram-low");
	if (!rc)
		rc = add_region(mem, 0xC0000, mem->below_4g - 0xC0000, mem->ram + 0xC0000, MEM_RAM,
				"ram-below-4g");
	if (!rc && mem->above_4g)
		rc = add_region(mem, MEM_4G, mem->above_4g, mem->ram + mem->below_4g, MEM_RAM,
				"ram-above-4g");
	if (rc)
		mem_destroy(mem);
	return rc;
}

void mem_destroy(struct guest_mem *mem)
{
	for (unsigned i = 0; i < mem->nregions; i++) {
		struct mem_region *r = &mem->regions[i];
		if (r->kind == MEM_ROM)
			munmap(r->host, r->size);
		free(r->dirty);
	}
	if (mem->ram)
		munmap(mem->ram, mem->ram_size);
	mem->ram = NULL;
	free(mem->code_gen);
	mem->code_gen = NULL;
	mem->nregions = 0;
	pthread_mutex_destroy(&mem->lock);
}

int mem_add_rom(struct guest_mem *mem, uint64_t gpa, const void *data, uint64_t size,
		const char *name)
{
	if (!size || size % MEM_PAGE_SIZE || gpa % MEM_PAGE_SIZE || gpa + size < gpa)
		return -EINVAL;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	memcpy(p, data, size);
	pthread_mutex_lock(&mem->lock);
	int rc = add_region(mem, gpa, size, p, MEM_ROM, name);
	pthread_mutex_unlock(&mem->lock);
	if (rc)
		munmap(p, size);
	return rc;
}

struct mem_region *mem_find(struct guest_mem *mem, uint64_t gpa)
{
	for (unsigned i = 0; i < mem->nregions; i++) {
		struct mem_region *r = &mem->regions[i];
		if (gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

static void mark_dirty(struct mem_region *r, uint64_t off, uint64_t len)
{
	if (!len)
		return;
	uint64_t first = off / MEM_PAGE_SIZE, last = (off + len - 1) / MEM_PAGE_SIZE;
	for (uint64_t pg = first; pg <= last; pg++)
		__atomic_fetch_or(&r->dirty[pg / BITS_PER_LONG], 1UL << (pg % BITS_PER_LONG),
				  __ATOMIC_RELAXED);
}

void mem_mark_dirty(struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	while (len) {
		struct mem_region *r = mem_find(mem, gpa);
		if (!r)
			return;
		uint64_t off = gpa - r->gpa;
		uint64_t n = r->size - off < len ? r->size - off : len;
		mark_dirty(r, off, n);
		gpa += n;
		len -= n;
	}
}

void mem_code_written(struct guest_mem *mem, const void *p, size_t len)
{
	if (!len)
		return;
	const uint8_t *b = p;
	for (uintptr_t pg = (uintptr_t)b & ~(MEM_PAGE_SIZE - 1); pg <= (uintptr_t)(b + len - 1);
	     pg += MEM_PAGE_SIZE) {
		uint32_t *w = mem_code_word(mem, (const void *)pg);
		if (w && (__atomic_load_n(w, __ATOMIC_RELAXED) & 1))
			__atomic_fetch_add(w, 2, __ATOMIC_SEQ_CST);
	}
}

void mem_set_dirty_tracking(struct guest_mem *mem, bool on)
{
	mem->dirty_tracking = on;
}

/* Walks [gpa, gpa+len) region by region; a gap anywhere fails the whole access
 * before any byte moves. */
static int check_range(struct guest_mem *mem, uint64_t gpa, size_t len, bool write)
{
	if (gpa + len < gpa)
		return -EFAULT;
	while (len) {
		struct mem_region *r = mem_find(mem, gpa);
		if (!r || (write && r->kind != MEM_RAM))
			return -EFAULT;
		uint64_t off = gpa - r->gpa;
		uint64_t n = r->size - off < len ? r->size - off : len;
		gpa += n;
		len -= n;
	}
	return 0;
}

int gpa_read(struct guest_mem *mem, uint64_t gpa, void *buf, size_t len)
{
	if (check_range(mem, gpa, len, false))
		return -EFAULT;
	uint8_t *out = buf;
	while (len) {
		struct mem_region *r = mem_find(mem, gpa);
		uint64_t off = gpa - r->gpa;
		uint64_t n = r->size - off < len ? r->size - off : len;
		memcpy(out, r->host + off, n);
		out += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

int gpa_write(struct guest_mem *mem, uint64_t gpa, const void *buf, size_t len)
{
	if (check_range(mem, gpa, len, true))
		return -EFAULT;
	const uint8_t *in = buf;
	while (len) {
		struct mem_region *r = mem_find(mem, gpa);
		uint64_t off = gpa - r->gpa;
		uint64_t n = r->size - off < len ? r->size - off : len;
		memcpy(r->host + off, in, n);
		mark_dirty(r, off, n);
		mem_code_written(mem, r->host + off, n);
		in += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

void *gpa_map(struct guest_mem *mem, uint64_t gpa, size_t len, bool write)
{
	struct mem_region *r = mem_find(mem, gpa);
	if (!r || (write && r->kind != MEM_RAM))
		return NULL;
	uint64_t off = gpa - r->gpa;
	if (len > r->size - off)
		return NULL;
	if (write) {
		mark_dirty(r, off, len);
		mem_code_written(mem, r->host + off, len);
	}
	return r->host + off;
}
