/*
 * Guest physical memory.
 *
 * Layout (as QEMU's i440FX PC, so firmware finds what it expects):
 *   [0, 0xA0000)              low RAM                      region "ram-low"
 *   [0xA0000, 0xC0000)        VGA window: not RAM, MMIO bus
 *   [0xC0000, below_4g)       RAM (option ROMs, BIOS shadow, main RAM)
 *   [below_4g, 4 GiB)         PCI hole (MMIO: PCI BARs, IOAPIC, LAPIC, HPET,
 *                             firmware ROM at 4 GiB - rom size)
 *   [4 GiB, 4 GiB + above_4g) RAM above 4 GiB for large guests
 * below_4g = ram_size if ram_size < 0xE0000000, else 0xC0000000.
 *
 * All RAM is one anonymous host mapping; regions are slices of it, so guest
 * physical address -> host offset is simple arithmetic per region.
 *
 * The checked API (gpa_read/gpa_write/gpa_map) is the only way device code
 * touches guest memory: it bounds-checks every access against the region
 * list, never writes ROM, and records VMM writes in the dirty log when dirty
 * tracking is on. This is the VM-escape boundary.
 */
#ifndef NYX_CORE_MEMORY_H
#define NYX_CORE_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#define MEM_PAGE_SIZE 4096ULL
#define MEM_MAX_REGIONS 32
#define MEM_4G 0x100000000ULL
#define MEM_PCI_HOLE_START_MAX 0xE0000000ULL
#define MEM_PCI_HOLE_START_LARGE 0xC0000000ULL

/* MEM_RAM_RO: guest RAM the guest may currently not write (chipset shadow
 * control, i440FX PAM): a slice of the RAM mapping, refused by gpa_write and
 * mapped read-only by the backends, like ROM, but never freed on its own. */
enum mem_kind { MEM_RAM, MEM_ROM, MEM_RAM_RO };

struct mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
	enum mem_kind kind;
	unsigned slot;           /* backend slot number */
	char name[24];
	unsigned long *dirty;    /* VMM-side dirty bitmap, one bit a page */
};

struct guest_mem {
	uint64_t ram_size;
	uint64_t below_4g;
	uint64_t above_4g;
	uint8_t *ram;            /* the whole RAM host mapping */
	struct mem_region regions[MEM_MAX_REGIONS];
	unsigned nregions;
	bool dirty_tracking;
	pthread_mutex_t lock;    /* protects region list changes */
	/* Code-page write tracking for the emulator's block cache (one word
	 * per 4 KiB page of `ram`): bit 0 set once a vCPU decoded code from
	 * the page; while it is set, every write to the page adds 2, after the
	 * bytes are in memory. A decoded block is current while the word still
	 * holds the value it had before the block's bytes were read. */
	uint32_t *code_gen;
};

/* Allocates RAM and lays out the RAM regions. ram_size must be page aligned. */
int mem_init(struct guest_mem *mem, uint64_t ram_size);
void mem_destroy(struct guest_mem *mem);
/* Adds a read-only region holding a copy of data (firmware). */
int mem_add_rom(struct guest_mem *mem, uint64_t gpa, const void *data, uint64_t size,
		const char *name);

/*
 * Makes the RAM pages [gpa, gpa+size) read-only (ro) or writable again by
 * splitting/merging RAM regions (mem_readonly.c). Page aligned; every page
 * must be RAM. Regions that change get fresh slot numbers; the caller then
 * calls the backend's mem_sync. -EINVAL, -ENOSPC (too many regions) or
 * -ENOMEM with nothing changed.
 */
int mem_set_readonly(struct guest_mem *mem, uint64_t gpa, uint64_t size, bool ro);

/* Region containing gpa, or NULL (then the address is MMIO or unmapped). */
struct mem_region *mem_find(struct guest_mem *mem, uint64_t gpa);

/* Checked access: 0 on success, -EFAULT if any byte is outside RAM/ROM. */
int gpa_read(struct guest_mem *mem, uint64_t gpa, void *buf, size_t len);
/* Writes to RAM only; -EFAULT if any byte is outside RAM (ROM is not written). */
int gpa_write(struct guest_mem *mem, uint64_t gpa, const void *buf, size_t len);
/* Host pointer for [gpa, gpa+len) if it lies within one region, else NULL.
 * write=true refuses ROM and marks the pages dirty and their decoded code
 * stale (at map time: the caller writes afterwards, so code the guest runs
 * from the buffer while the device is still writing it may stay stale, as
 * it would be garbage on hardware too). */
void *gpa_map(struct guest_mem *mem, uint64_t gpa, size_t len, bool write);

/* The code-tracking word of the RAM page holding host byte p, or NULL
 * (ROM, or not guest RAM). */
static inline uint32_t *mem_code_word(struct guest_mem *mem, const void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)mem->ram;
	if (!mem->code_gen || off >= mem->ram_size)
		return NULL;
	return &mem->code_gen[off / MEM_PAGE_SIZE];
}

/* Records that [p, p+len) of guest RAM was written (after the write):
 * pages holding decoded code get a new generation. Cheap for other pages. */
void mem_code_written(struct guest_mem *mem, const void *p, size_t len);

/* VMM-side dirty log (device DMA, loaders). */
void mem_set_dirty_tracking(struct guest_mem *mem, bool on);
void mem_mark_dirty(struct guest_mem *mem, uint64_t gpa, uint64_t len);

#endif
