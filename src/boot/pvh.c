/*
 * PVH direct boot of an ELF kernel (Linux vmlinux built with
 * CONFIG_PVH), as Xen's public headers arch-x86/hvm/start_info.h and
 * elfnote.h define it.
 *
 * The entry is the XEN_ELFNOTE_PHYS32_ENTRY note (owner "Xen", type 18) in a
 * PT_NOTE segment: a 32-bit physical address (Linux emits it as 8 bytes).
 * The image is loaded by program headers at p_paddr.
 *
 * hvm_start_info, version 1 (all little endian):
 *   0 magic 0x336ec578   4 version   8 flags   12 nr_modules
 *   16 modlist_paddr   24 cmdline_paddr   32 rsdp_paddr   40 memmap_paddr
 *   48 memmap_entries   52 reserved                        (56 bytes)
 * module entry:  0 paddr  8 size  16 cmdline_paddr  24 reserved (32 bytes)
 * memmap entry:  0 addr   8 size  16 type  20 reserved          (24 bytes)
 * Address fields of 0 mean "not present". The ACPI tables sit at the top of
 * RAM below 4 GiB, marked E820_ACPI in the memory map (boot_direct_map).
 *
 * The initrd is the first module, page aligned, as high as it fits below
 * the ACPI tables. Entry: 32-bit protected mode, paging off,
 * flat CS/DS, EBX = address of hvm_start_info.
 */
#include <errno.h>
#include <string.h>

#include "boot/e820.h"
#include "boot/elf.h"
#include "boot/loader.h"
#include "core/machine.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define PVH_MAGIC 0x336ec578u
#define PVH_INFO_SIZE 56
#define PVH_MOD_SIZE 32
#define PVH_MEMMAP_SIZE 24


static int pvh_entry(struct boot_ctx *c, const struct boot_file *k, const struct elf_image *e,
		     uint32_t *entry)
{
	const uint8_t *d;
	uint32_t dsz;
	uint64_t v = 0;

	if (elf_find_note(k, e, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &d, &dsz))
		return boot_fail(c, -EINVAL,
				 "%s: ELF kernel has neither a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) nor a multiboot header; boot the bzImage instead",
				 k->path);
	if (dsz != 4 && dsz != 8)
		return boot_fail(c, -EINVAL, "%s: PVH entry note has %u bytes, expected 4 or 8",
				 k->path, dsz);
	for (unsigned i = 0; i < dsz; i++)
		v |= (uint64_t)d[i] << (8 * i);
	if (v >= MEM_4G)
		return boot_fail(c, -EINVAL, "%s: PVH entry 0x%llx is above 4 GiB", k->path,
				 (unsigned long long)v);
	*entry = (uint32_t)v;
	return 0;
}

static int pvh_initrd(struct boot_ctx *c, struct boot_area *a, uint64_t kernel_end,
		      uint64_t *mod_list)
{
	const char *path = c->m->cfg.initrd;
	uint8_t mod[PVH_MOD_SIZE] = { 0 };
	uint64_t size, addr, floor;
	int rc;

	rc = boot_file_size(c, "initrd", path, &size);
	if (rc)
		return rc;
	floor = kernel_end > a->next ? kernel_end : a->next;
	floor = (floor + BOOT_PAGE - 1) & ~(BOOT_PAGE - 1);
	addr = boot_place_high(size, floor, c->ram_top);
	if (!addr)
		return boot_fail(c, -ENOSPC,
				 "initrd '%s' (%llu bytes) is too large for guest RAM: %llu bytes free between the kernel (end 0x%llx) and 0x%llx",
				 path, (unsigned long long)size,
				 (unsigned long long)(c->ram_top > floor ? c->ram_top - floor : 0),
				 (unsigned long long)kernel_end, (unsigned long long)c->ram_top);
	rc = boot_copy_file(c, "initrd", path, addr, size);
	if (rc)
		return rc;
	*mod_list = boot_area_alloc(c, a, sizeof(mod), 16, "PVH module list");
	if (!*mod_list)
		return -ENOSPC;
	boot_put64(mod + 0, addr);
	boot_put64(mod + 8, size);
	return boot_write(c, "PVH module list", *mod_list, mod, sizeof(mod));
}

int boot_pvh_load(struct boot_ctx *c, const struct boot_file *k)
{
	const struct machine_config *cfg = &c->m->cfg;
	struct e820_entry map[E820_MAX_ENTRIES];
	uint8_t info[PVH_INFO_SIZE] = { 0 }, mm[E820_MAX_ENTRIES * PVH_MEMMAP_SIZE] = { 0 };
	uint64_t lo = 0, hi = 0, gdt = 0, info_gpa, mm_gpa, cmd_gpa = 0, mods = 0, rsdp;
	struct boot_area area;
	struct elf_image e;
	struct vcpu_state *s;
	uint32_t entry = 0;
	int n, rc;

	n = boot_direct_map(c, map, E820_MAX_ENTRIES, &rsdp);
	if (n < 0)
		return n;
	rc = elf_parse(c, k, &e);
	if (rc)
		return rc;
	rc = pvh_entry(c, k, &e, &entry);
	if (!rc)
		rc = elf_load(c, k, &e, true, &lo, &hi);
	elf_free(&e);
	if (rc)
		return rc;

	for (int i = 0; i < n; i++) {
		boot_put64(mm + i * PVH_MEMMAP_SIZE, map[i].addr);
		boot_put64(mm + i * PVH_MEMMAP_SIZE + 8, map[i].size);
		boot_put32(mm + i * PVH_MEMMAP_SIZE + 16, map[i].type);
	}

	boot_area_choose(c, &area, lo, hi);
	rc = boot_gdt_write(c, &area, false, &gdt);
	if (rc)
		return rc;
	info_gpa = boot_area_alloc(c, &area, sizeof(info), 16, "PVH start info");
	mm_gpa = boot_area_alloc(c, &area, (uint64_t)n * PVH_MEMMAP_SIZE, 16, "PVH memory map");
	if (!info_gpa || !mm_gpa)
		return -ENOSPC;
	rc = boot_write(c, "PVH memory map", mm_gpa, mm, (size_t)n * PVH_MEMMAP_SIZE);
	if (rc)
		return rc;
	if (cfg->append) {
		cmd_gpa = boot_area_strdup(c, &area, cfg->append, "command line");
		if (!cmd_gpa)
			return -ENOSPC;
	}
	if (cfg->initrd) {
		rc = pvh_initrd(c, &area, hi, &mods);
		if (rc)
			return rc;
	}

	boot_put32(info + 0, PVH_MAGIC);
	boot_put32(info + 4, 1);
	boot_put32(info + 12, cfg->initrd ? 1 : 0);
	boot_put64(info + 16, mods);
	boot_put64(info + 24, cmd_gpa);
	boot_put64(info + 32, rsdp);
	boot_put64(info + 40, mm_gpa);
	boot_put32(info + 48, (uint32_t)n);
	rc = boot_write(c, "PVH start info", info_gpa, info, sizeof(info));
	if (rc)
		return rc;

	s = boot_state_prot32(c, gdt, entry);
	if (!s)
		return -ENOMEM;
	s->regs[REG_RBX] = info_gpa;
	c->m->boot_state = s;
	LOG(c->m->log, LOG_INFO, "boot", "PVH kernel %s: [0x%llx, 0x%llx), entry 0x%x, start info 0x%llx",
	    k->path, (unsigned long long)lo, (unsigned long long)hi, entry,
	    (unsigned long long)info_gpa);
	return 0;
}
