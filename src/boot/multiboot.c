/*
 * Multiboot v1 loader (Multiboot Specification 0.6.96).
 *
 * Header (32-bit aligned, wholly inside the first 8 KiB of the image):
 *   0 magic 0x1BADB002   4 flags   8 checksum (magic + flags + checksum = 0)
 *   flag 16 (a.out kludge) adds: 12 header_addr 16 load_addr
 *   20 load_end_addr 24 bss_end_addr 28 entry_addr
 * Flags 0-15 are requirements: bit 0 (page-aligned modules), bit 1 (memory
 * information) and bit 2 (video mode: a request we may decline) are
 * understood; any other bit set there refuses the image, as the spec says.
 *
 * Without flag 16 the image must be ELF (ELF32 or ELF64) and is loaded by
 * its program headers at p_paddr; the entry point is e_entry translated to
 * a physical address through its segment.
 *
 * Boot information (all addresses below 4 GiB), placed in the low window
 * [0x1000, 0x9F000) unless the kernel occupies it, then right after it:
 *   multiboot_info (flags 0 mem, 2 cmdline, 3 mods, 6 mmap, 9 loader name):
 *     0 flags  4 mem_lower  8 mem_upper  16 cmdline  20 mods_count
 *     24 mods_addr  44 mmap_length  48 mmap_addr  64 boot_loader_name
 *   mmap entries: u32 size (20, not counting itself), u64 base, u64 length,
 *     u32 type, one per e820 entry
 *   module entries: u32 mod_start, mod_end, string, reserved
 * Modules (--initrd) go page-aligned after the kernel and the info area.
 * The command line is the kernel path, a space and --append, as GRUB does.
 *
 * Entry: 32-bit protected mode, flat segments, paging and interrupts off,
 * EAX = 0x2BADB002, EBX = address of multiboot_info.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/e820.h"
#include "boot/elf.h"
#include "boot/loader.h"
#include "core/machine.h"

#define MB_MAGIC 0x1BADB002u
#define MB_BOOT_MAGIC 0x2BADB002u
#define MB_SEARCH 8192
#define MB_F_PAGE_ALIGN (1u << 0)
#define MB_F_MEMINFO (1u << 1)
#define MB_F_VIDEO (1u << 2)
#define MB_F_AOUT (1u << 16)
#define MB_F_KNOWN_REQ (MB_F_PAGE_ALIGN | MB_F_MEMINFO | MB_F_VIDEO)

#define MBI_MEM (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
#define MBI_MMAP (1u << 6)
#define MBI_LOADER_NAME (1u << 9)
#define MBI_SIZE 120              /* through the framebuffer fields, rounded */


long boot_multiboot_find(struct boot_ctx *c, const struct boot_file *k)
{
	size_t end = k->size < MB_SEARCH ? k->size : MB_SEARCH;
	long bad = -1;

	for (size_t off = 0; off + 12 <= end; off += 4) {
		const uint8_t *h = k->data + off;
		if (boot_le32(h) != MB_MAGIC)
			continue;
		if ((uint32_t)(boot_le32(h) + boot_le32(h + 4) + boot_le32(h + 8)) == 0)
			return (long)off;
		if (bad < 0)
			bad = (long)off;
	}
	if (bad >= 0)
		return boot_fail(c, -EINVAL,
				 "%s: multiboot header at offset 0x%lx has a bad checksum (magic + flags + checksum != 0)",
				 k->path, bad);
	return -ENOENT;
}

/* Loads an a.out-kludge image: [load_addr, load_end_addr) from the file at
 * the header's offset minus (header_addr - load_addr), bss to bss_end_addr. */
static int multiboot_load_aout(struct boot_ctx *c, const struct boot_file *k, size_t off,
			       uint64_t *lo, uint64_t *hi, uint32_t *entry)
{
	const uint8_t *h = k->data + off;
	uint32_t header_addr, load_addr, load_end, bss_end;
	uint64_t file_off, len, mem_end;
	int rc;

	if (off + 32 > MB_SEARCH || off + 32 > k->size)
		return boot_fail(c, -EINVAL, "%s: truncated multiboot header: the address fields (flag 16) end past %s",
				 k->path, off + 32 > k->size ? "the end of the file" : "the first 8 KiB");
	header_addr = boot_le32(h + 12);
	load_addr = boot_le32(h + 16);
	load_end = boot_le32(h + 20);
	bss_end = boot_le32(h + 24);
	*entry = boot_le32(h + 28);
	if (load_addr > header_addr || header_addr - load_addr > off)
		return boot_fail(c, -EINVAL,
				 "%s: multiboot load_addr 0x%x does not fit header_addr 0x%x at file offset 0x%zx",
				 k->path, load_addr, header_addr, off);
	file_off = off - (header_addr - load_addr);
	if (load_end && load_end < load_addr)
		return boot_fail(c, -EINVAL, "%s: multiboot load_end_addr 0x%x is below load_addr 0x%x",
				 k->path, load_end, load_addr);
	len = load_end ? (uint64_t)load_end - load_addr : k->size - file_off;
	if (file_off + len > k->size)
		return boot_fail(c, -EINVAL,
				 "%s: truncated: multiboot load range needs %llu bytes from file offset 0x%llx, the file has %zu",
				 k->path, (unsigned long long)len, (unsigned long long)file_off, k->size);
	mem_end = (uint64_t)load_addr + len;
	if (bss_end) {
		if (bss_end < mem_end)
			return boot_fail(c, -EINVAL, "%s: multiboot bss_end_addr 0x%x is below the loaded end 0x%llx",
					 k->path, bss_end, (unsigned long long)mem_end);
		mem_end = bss_end;
	}
	rc = boot_check_ram(c, k->path, "multiboot image", load_addr, mem_end - load_addr, true);
	if (!rc)
		rc = boot_write(c, "multiboot image", load_addr, k->data + file_off, len);
	if (!rc)
		rc = boot_zero(c, "multiboot bss", load_addr + len, mem_end - load_addr - len);
	*lo = load_addr;
	*hi = mem_end;
	return rc;
}

static int multiboot_load_elf(struct boot_ctx *c, const struct boot_file *k, uint64_t *lo,
			      uint64_t *hi, uint32_t *entry)
{
	struct elf_image e;
	uint64_t ent;
	int rc;

	if (!elf_is_elf(k))
		return boot_fail(c, -EINVAL,
				 "%s: multiboot image is not ELF and has no load addresses (flag 16)",
				 k->path);
	rc = elf_parse(c, k, &e);
	if (rc)
		return rc;
	rc = elf_load(c, k, &e, true, lo, hi);
	ent = elf_entry_phys(&e);
	elf_free(&e);
	if (rc)
		return rc;
	if (ent >= MEM_4G)
		return boot_fail(c, -EINVAL, "%s: multiboot entry point 0x%llx is above 4 GiB",
				 k->path, (unsigned long long)ent);
	*entry = (uint32_t)ent;
	return 0;
}

/* Builds the info block and everything it points to; returns its address. */
static int multiboot_info_build(struct boot_ctx *c, struct boot_area *a, uint64_t kernel_end,
				uint32_t *info_addr)
{
	const struct machine_config *cfg = &c->m->cfg;
	struct e820_entry map[E820_MAX_ENTRIES];
	uint8_t info[MBI_SIZE] = { 0 }, mmap[E820_MAX_ENTRIES * 24], mod[16] = { 0 };
	uint32_t lower = 0, upper = 0, flags = MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP |
						MBI_LOADER_NAME;
	uint64_t info_gpa, mmap_gpa, mods_gpa = 0, cmd_gpa, name_gpa, mod_gpa = 0, initrd_size = 0;
	int n, rc;

	n = e820_build(c->m, map, E820_MAX_ENTRIES);
	if (n < 0)
		return boot_fail(c, n, "memory map has too many entries");
	for (int i = 0; i < n; i++) {
		boot_put32(mmap + i * 24, 20);
		boot_put64(mmap + i * 24 + 4, map[i].addr);
		boot_put64(mmap + i * 24 + 12, map[i].size);
		boot_put32(mmap + i * 24 + 20, map[i].type);
		if (map[i].type == E820_RAM && map[i].addr == 0)
			lower = (uint32_t)(map[i].size >> 10);
		if (map[i].type == E820_RAM && map[i].addr == BOOT_1M)
			upper = (uint32_t)(map[i].size >> 10);
	}
	if (lower > 640)
		lower = 640;

	info_gpa = boot_area_alloc(c, a, sizeof(info), 16, "multiboot info");
	if (!info_gpa)
		return -ENOSPC;
	mmap_gpa = boot_area_alloc(c, a, (uint64_t)n * 24, 8, "multiboot memory map");
	if (!mmap_gpa || boot_write(c, "multiboot memory map", mmap_gpa, mmap, (size_t)n * 24))
		return -ENOSPC;

	size_t cl_len = strlen(cfg->kernel) + (cfg->append ? 1 + strlen(cfg->append) : 0) + 1;
	char *cl = malloc(cl_len);
	if (!cl)
		return boot_fail(c, -ENOMEM, "out of memory for the command line");
	snprintf(cl, cl_len, "%s%s%s", cfg->kernel, cfg->append ? " " : "",
		 cfg->append ? cfg->append : "");
	cmd_gpa = boot_area_strdup(c, a, cl, "multiboot command line");
	free(cl);
	name_gpa = boot_area_strdup(c, a, "nyx", "boot loader name");
	if (!cmd_gpa || !name_gpa)
		return -ENOSPC;

	if (cfg->initrd) {
		uint64_t str_gpa, floor = kernel_end > a->next ? kernel_end : a->next;

		rc = boot_file_size(c, "initrd", cfg->initrd, &initrd_size);
		if (rc)
			return rc;
		mods_gpa = boot_area_alloc(c, a, sizeof(mod), 16, "multiboot module list");
		str_gpa = boot_area_strdup(c, a, cfg->initrd, "module string");
		if (!mods_gpa || !str_gpa)
			return -ENOSPC;
		if (floor < BOOT_1M)
			floor = BOOT_1M;
		mod_gpa = (floor + BOOT_PAGE - 1) & ~(BOOT_PAGE - 1);
		if (mod_gpa + initrd_size > c->mem->below_4g)
			return boot_fail(c, -ENOSPC,
					 "initrd '%s' (%llu bytes) is too large for guest RAM: it would end at 0x%llx, RAM below 4 GiB ends at 0x%llx",
					 cfg->initrd, (unsigned long long)initrd_size,
					 (unsigned long long)(mod_gpa + initrd_size),
					 (unsigned long long)c->mem->below_4g);
		rc = boot_copy_file(c, "initrd", cfg->initrd, mod_gpa, initrd_size);
		if (rc)
			return rc;
		boot_put32(mod + 0, (uint32_t)mod_gpa);
		boot_put32(mod + 4, (uint32_t)(mod_gpa + initrd_size));
		boot_put32(mod + 8, (uint32_t)str_gpa);
		rc = boot_write(c, "multiboot module list", mods_gpa, mod, sizeof(mod));
		if (rc)
			return rc;
	}

	boot_put32(info + 0, flags);
	boot_put32(info + 4, lower);
	boot_put32(info + 8, upper);
	boot_put32(info + 16, (uint32_t)cmd_gpa);
	boot_put32(info + 20, cfg->initrd ? 1 : 0);
	boot_put32(info + 24, (uint32_t)mods_gpa);
	boot_put32(info + 44, (uint32_t)n * 24);
	boot_put32(info + 48, (uint32_t)mmap_gpa);
	boot_put32(info + 64, (uint32_t)name_gpa);
	rc = boot_write(c, "multiboot info", info_gpa, info, sizeof(info));
	if (rc)
		return rc;
	*info_addr = (uint32_t)info_gpa;
	return 0;
}

int boot_multiboot_load(struct boot_ctx *c, const struct boot_file *k, size_t off)
{
	uint32_t flags = boot_le32(k->data + off + 4), entry = 0, info = 0;
	uint64_t lo = 0, hi = 0, gdt;
	struct boot_area area;
	struct vcpu_state *s;
	int rc;

	if (flags & 0xFFFF & ~MB_F_KNOWN_REQ)
		return boot_fail(c, -ENOTSUP,
				 "%s: multiboot header requires features 0x%x that this loader does not provide",
				 k->path, flags & 0xFFFF & ~MB_F_KNOWN_REQ);
	if (flags & MB_F_AOUT)
		rc = multiboot_load_aout(c, k, off, &lo, &hi, &entry);
	else
		rc = multiboot_load_elf(c, k, &lo, &hi, &entry);
	if (rc)
		return rc;
	boot_area_choose(c, &area, lo, hi);
	rc = boot_gdt_write(c, &area, false, &gdt);
	if (!rc)
		rc = multiboot_info_build(c, &area, hi, &info);
	if (rc)
		return rc;
	s = boot_state_prot32(c, gdt, entry);
	if (!s)
		return -ENOMEM;
	s->regs[REG_RAX] = MB_BOOT_MAGIC;
	s->regs[REG_RBX] = info;
	c->m->boot_state = s;
	LOG(c->m->log, LOG_INFO, "boot", "multiboot kernel %s: [0x%llx, 0x%llx), entry 0x%x, info 0x%x",
	    k->path, (unsigned long long)lo, (unsigned long long)hi, entry, info);
	return 0;
}
