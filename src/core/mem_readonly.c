/*
 * Read-only RAM ranges: the chipset's shadow RAM control (i440FX PAM) makes
 * parts of 0xC0000-0xFFFFF read-only for the guest while the BIOS and
 * option ROM copies live there.
 *
 * Design note. The region list stays the single description of guest
 * memory for gpa_* and for the backends: a read-only stretch of RAM is a
 * region of kind MEM_RAM_RO whose host pointer is the same slice of the RAM
 * mapping. A change rebuilds the list: every RAM/RAM_RO region overlapping
 * the range is cut at the range's ends, the inside takes the new kind, then
 * neighbours of the same kind that are contiguous in both guest and host
 * addresses are merged back (never across 1 MiB), so the list stays short
 * (SeaBIOS leaves at most five pieces). Invariants: regions never overlap;
 * a region that is unchanged keeps its slot number and dirty bitmap; a new
 * or resized region gets a slot number no current or previous region uses,
 * so a backend can delete stale slots before adding new ones; dirty bits
 * move with pages.
 * Readers of the list that take no lock (gpa_read on a device thread) may
 * race with a change; changes happen only while firmware programs the
 * chipset, with the guest's own accesses to these pages in flight at most.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/memory.h"

#define BITS_PER_LONG (8 * sizeof(unsigned long))
#define MEM_READONLY_BARRIER 0x100000ULL

static bool is_ram(const struct mem_region *r)
{
	return r->kind == MEM_RAM || r->kind == MEM_RAM_RO;
}

static bool test_dirty(const struct mem_region *r, uint64_t page)
{
	return r->dirty && (r->dirty[page / BITS_PER_LONG] >> (page % BITS_PER_LONG)) & 1;
}

/* Checks that every page of [gpa, end) lies in RAM. */
static bool range_is_ram(struct guest_mem *mem, uint64_t gpa, uint64_t end)
{
	while (gpa < end) {
		struct mem_region *r = NULL;
		for (unsigned i = 0; i < mem->nregions; i++)
			if (gpa - mem->regions[i].gpa < mem->regions[i].size)
				r = &mem->regions[i];
		if (!r || !is_ram(r))
			return false;
		gpa = r->gpa + r->size;
	}
	return true;
}

static int cmp_gpa(const void *a, const void *b)
{
	const struct mem_region *x = a, *y = b;
	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

static bool same_region(const struct mem_region *a, const struct mem_region *b)
{
	return a->gpa == b->gpa && a->size == b->size && a->kind == b->kind && a->host == b->host;
}

static unsigned fresh_slot(const struct guest_mem *mem, const struct mem_region *n, unsigned nn)
{
	for (unsigned s = 0;; s++) {
		bool used = false;
		for (unsigned i = 0; i < mem->nregions && !used; i++)
			used = mem->regions[i].slot == s;
		for (unsigned i = 0; i < nn && !used; i++)
			used = n[i].slot == s;
		if (!used)
			return s;
	}
}

int mem_set_readonly(struct guest_mem *mem, uint64_t gpa, uint64_t size, bool ro)
{
	uint64_t end = gpa + size;
	if (!size || gpa % MEM_PAGE_SIZE || size % MEM_PAGE_SIZE || end < gpa)
		return -EINVAL;
	enum mem_kind want = ro ? MEM_RAM_RO : MEM_RAM;

	pthread_mutex_lock(&mem->lock);
	if (!range_is_ram(mem, gpa, end)) {
		pthread_mutex_unlock(&mem->lock);
		return -EINVAL;
	}
	/* Cut: at most two extra pieces per overlapping region. */
	struct mem_region piece[3 * MEM_MAX_REGIONS];
	unsigned np = 0;
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct mem_region *r = &mem->regions[i];
		uint64_t rend = r->gpa + r->size;
		if (!is_ram(r) || rend <= gpa || r->gpa >= end) {
			piece[np++] = *r;
			continue;
		}
		uint64_t cut[4] = { r->gpa, gpa > r->gpa ? gpa : r->gpa, end < rend ? end : rend,
				    rend };
		for (unsigned k = 0; k < 3; k++) {
			if (cut[k] == cut[k + 1])
				continue;
			struct mem_region p = *r;
			p.gpa = cut[k];
			p.size = cut[k + 1] - cut[k];
			p.host = r->host + (cut[k] - r->gpa);
			p.kind = k == 1 ? want : r->kind;
			p.dirty = NULL;
			piece[np++] = p;
		}
	}
	qsort(piece, np, sizeof(piece[0]), cmp_gpa);
	/* Merge contiguous RAM pieces of one kind, but never across 1 MiB:
	 * after the first change main RAM stays one region of its own, so
	 * later changes below 1 MiB never make the backend drop and re-add
	 * the slot other vCPUs are running from. */
	unsigned nn = 0;
	for (unsigned i = 0; i < np; i++) {
		struct mem_region *last = nn ? &piece[nn - 1] : NULL;
		if (last && is_ram(last) && last->kind == piece[i].kind &&
		    piece[i].gpa != MEM_READONLY_BARRIER &&
		    last->gpa + last->size == piece[i].gpa &&
		    last->host + last->size == piece[i].host) {
			last->size += piece[i].size;
			last->dirty = NULL;
			continue;
		}
		piece[nn++] = piece[i];
	}
	if (nn > MEM_MAX_REGIONS) {
		pthread_mutex_unlock(&mem->lock);
		return -ENOSPC;
	}
	/* Unchanged regions keep slot and bitmap; the others get new ones. */
	bool kept[MEM_MAX_REGIONS] = { false };
	for (unsigned i = 0; i < nn; i++) {
		piece[i].dirty = NULL;
		for (unsigned j = 0; j < mem->nregions; j++) {
			if (same_region(&piece[i], &mem->regions[j])) {
				piece[i].dirty = mem->regions[j].dirty;
				piece[i].slot = mem->regions[j].slot;
				kept[j] = true;
			}
		}
	}
	bool fresh[MEM_MAX_REGIONS] = { false };
	for (unsigned i = 0; i < nn; i++) {
		if (piece[i].dirty)
			continue;
		uint64_t pages = piece[i].size / MEM_PAGE_SIZE;
		piece[i].dirty = calloc((pages + BITS_PER_LONG - 1) / BITS_PER_LONG,
					sizeof(unsigned long));
		if (!piece[i].dirty) {
			for (unsigned k = 0; k < i; k++)
				if (fresh[k])
					free(piece[k].dirty);
			pthread_mutex_unlock(&mem->lock);
			return -ENOMEM;
		}
		fresh[i] = true;
		for (uint64_t pg = 0; pg < pages; pg++) {
			uint64_t a = piece[i].gpa + pg * MEM_PAGE_SIZE;
			for (unsigned j = 0; j < mem->nregions; j++) {
				const struct mem_region *o = &mem->regions[j];
				if (a - o->gpa < o->size && test_dirty(o, (a - o->gpa) / MEM_PAGE_SIZE))
					piece[i].dirty[pg / BITS_PER_LONG] |= 1UL << (pg % BITS_PER_LONG);
			}
		}
		snprintf(piece[i].name, sizeof(piece[i].name), "%s",
			 piece[i].kind == MEM_RAM_RO ? "ram-readonly" :
			 piece[i].gpa < 0xA0000 ? "ram-low" :
			 piece[i].gpa < MEM_4G ? "ram-below-4g" : "ram-above-4g");
		piece[i].slot = fresh_slot(mem, piece, nn);
	}
	for (unsigned j = 0; j < mem->nregions; j++)
		if (!kept[j])
			free(mem->regions[j].dirty);
	memcpy(mem->regions, piece, nn * sizeof(piece[0]));
	mem->nregions = nn;
	pthread_mutex_unlock(&mem->lock);
	return 0;
}
