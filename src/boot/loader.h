/*
 * Internal interface shared by the boot loaders (firmware, multiboot,
 * Linux bzImage, PVH): error reporting that names the file, whole-file
 * reads, checked writes into guest memory, a bump allocator for the boot
 * structures, and the CPU entry states (32-bit flat protected mode, 64-bit
 * long mode with identity-mapped page tables).
 *
 * Every byte a loader puts into the guest goes through gpa_write() (via
 * boot_write/boot_zero/boot_copy_file): never through a raw pointer.
 */
#ifndef NYX_BOOT_LOADER_H
#define NYX_BOOT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;
struct guest_mem;

/* Little-endian fields of boot images and boot structures. */
static inline uint16_t boot_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t boot_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t boot_le64(const uint8_t *p)
{
	return boot_le32(p) | (uint64_t)boot_le32(p + 4) << 32;
}
static inline void boot_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void boot_put32(uint8_t *p, uint32_t v)
{
	boot_put16(p, (uint16_t)v);
	boot_put16(p + 2, (uint16_t)(v >> 16));
}
static inline void boot_put64(uint8_t *p, uint64_t v)
{
	boot_put32(p, (uint32_t)v);
	boot_put32(p + 4, (uint32_t)(v >> 32));
}
struct vcpu_state;

#define BOOT_PAGE 0x1000ULL
#define BOOT_1M 0x100000ULL
/* Conventional memory free for boot structures: above the real-mode IVT
 * and BIOS data area, below the EBDA (e820 reserves [0x9FC00, 0xA0000)). */
#define BOOT_LOW_START 0x1000ULL
#define BOOT_LOW_END 0x9F000ULL

/* GDT selectors, as Linux's boot protocol names them (__BOOT_CS/__BOOT_DS). */
#define BOOT_SEL_CS 0x10
#define BOOT_SEL_DS 0x18

struct boot_ctx {
	struct machine *m;
	struct guest_mem *mem;
	char *err;
	size_t err_len;
	/* End of the RAM below 4 GiB a loader may use: below_4g, lowered by
	 * boot_direct_map() to the ACPI tables at the top of that RAM. */
	uint64_t ram_top;
};

/* Formats the error message and returns rc (a negative errno). */
int boot_fail(struct boot_ctx *c, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A whole file read into host memory. */
struct boot_file {
	const char *path;
	uint8_t *data;
	size_t size;
};

/* Reads `path` whole; `what` ("kernel", "BIOS image") names it in errors. */
int boot_file_read(struct boot_ctx *c, const char *what, const char *path,
		   struct boot_file *f);
void boot_file_free(struct boot_file *f);
/* Size of a file without reading it. */
int boot_file_size(struct boot_ctx *c, const char *what, const char *path, uint64_t *size);

/*
 * Checks that [gpa, gpa+len) is guest RAM. `below_4g` additionally refuses
 * anything above 4 GiB (32-bit entry points). The message names `path` and
 * `what` ("segment 2", "initrd").
 */
int boot_check_ram(struct boot_ctx *c, const char *path, const char *what, uint64_t gpa,
		   uint64_t len, bool below_4g);

/* Checked guest writes (gpa_write underneath); errors name `what`. */
int boot_write(struct boot_ctx *c, const char *what, uint64_t gpa, const void *buf, size_t len);
int boot_write32(struct boot_ctx *c, uint64_t gpa, uint32_t v);
int boot_zero(struct boot_ctx *c, const char *what, uint64_t gpa, uint64_t len);
/* Streams a file of `size` bytes into guest memory at gpa. */
int boot_copy_file(struct boot_ctx *c, const char *what, const char *path, uint64_t gpa,
		   uint64_t size);

/* Highest page-aligned address at which `size` bytes fit below `limit`
 * (exclusive) and at or above `floor`; 0 if they do not fit. */
uint64_t boot_place_high(uint64_t size, uint64_t floor, uint64_t limit);

/*
 * Bump allocator for boot structures (GDT, info blocks, memory maps,
 * command lines, page tables) inside [next, end). Allocations are zeroed in
 * the guest.
 */
struct boot_area {
	uint64_t next, end;
};
void boot_area_init(struct boot_area *a, uint64_t start, uint64_t end);
/* Chooses the low window [BOOT_LOW_START, BOOT_LOW_END) unless the kernel
 * image [lo, hi) intersects it; then the pages right after the image. */
void boot_area_choose(struct boot_ctx *c, struct boot_area *a, uint64_t lo, uint64_t hi);
/* Returns the address, or 0 with the error set when the area is full. */
uint64_t boot_area_alloc(struct boot_ctx *c, struct boot_area *a, uint64_t size,
			 uint64_t align, const char *what);
/* Allocates a zero-terminated copy of `s` in the guest; 0 on error. */
uint64_t boot_area_strdup(struct boot_ctx *c, struct boot_area *a, const char *s,
			  const char *what);

/* Entry states. Each allocates a vcpu_state from the power-on reset state
 * and adjusts it; the caller stores it in m->boot_state (freed with free()). */
/* GDT with flat __BOOT_CS (32-bit or 64-bit code) and __BOOT_DS. */
int boot_gdt_write(struct boot_ctx *c, struct boot_area *a, bool code64, uint64_t *gdt);
/* 32-bit protected mode, paging off, flat CS/DS..., interrupts off. */
struct vcpu_state *boot_state_prot32(struct boot_ctx *c, uint64_t gdt, uint32_t entry);
/* Identity map of the first 4 GiB with 2 MiB pages; returns the PML4 address. */
int boot_pagetables_write(struct boot_ctx *c, struct boot_area *a, uint64_t *pml4);
/* 64-bit long mode: CR0.PE|PG, CR4.PAE, EFER.LME|LMA, given CR3 and GDT. */
struct vcpu_state *boot_state_long64(struct boot_ctx *c, uint64_t gdt, uint64_t cr3,
				     uint64_t entry);

struct e820_entry;
/*
 * For a firmware-less boot of an ACPI-aware kernel (Linux PVH, bzImage):
 * installs the ACPI tables at the top of RAM below 4 GiB (acpi/direct.c),
 * lowers c->ram_top below them, and builds the e820 map with their range
 * marked E820_ACPI. Returns the number of entries; *rsdp receives the RSDP
 * address, or 0 when the tables could not be installed (logged; the kernel
 * then boots without ACPI).
 */
int boot_direct_map(struct boot_ctx *c, struct e820_entry *map, unsigned max, uint64_t *rsdp);

/* Loaders: each returns 0 or a negative errno with the error set. */
int boot_firmware_load(struct boot_ctx *c, const char *path, const char *what);
int boot_multiboot_load(struct boot_ctx *c, const struct boot_file *k, size_t hdr_off);
/* Offset of a valid multiboot v1 header in the first 8 KiB; -ENOENT if none,
 * -EINVAL (error set) for a header with a bad checksum. */
long boot_multiboot_find(struct boot_ctx *c, const struct boot_file *k);
int boot_pvh_load(struct boot_ctx *c, const struct boot_file *k);
int boot_linux_load(struct boot_ctx *c, const struct boot_file *k);

#endif
