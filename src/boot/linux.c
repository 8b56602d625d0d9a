/*
 * Linux bzImage direct boot (Documentation/arch/x86/boot.rst and
 * zero-page.rst), boot protocol 2.06 or newer.
 *
 * File: (setup_sects + 1) sectors of real-mode setup (setup_sects 0 means
 * 4), whose setup header starts at 0x1F1 and ends at 0x202 + byte[0x201];
 * then the protected-mode kernel (syssize 16-byte paragraphs), which we load
 * at 0x100000, or at pref_address when the kernel is relocatable and
 * [pref_address, + init_size) fits in RAM. The real-mode part is not run.
 *
 * Setup header fields used (offset: field, protocol version):
 *   1F1 setup_sects  1F4 syssize  202 "HdrS"  206 version  211 loadflags
 *   214 code32_start  218 ramdisk_image  21C ramdisk_size  224 heap_end_ptr
 *   228 cmd_line_ptr  22C initrd_addr_max (2.03)  234 relocatable_kernel
 *   (2.05)  236 xloadflags (2.12)  238 cmdline_size (2.06)  258 pref_address
 *   (2.10)  260 init_size (2.10)
 *
 * The zero page (struct boot_params, 4 KiB): zeroed, the setup header
 * copied from the file to 0x1F1, then type_of_loader 0xFF (undefined
 * loader), loadflags |= CAN_USE_HEAP, heap_end_ptr 0xFE00, cmd_line_ptr,
 * ramdisk_image/size, acpi_rsdp_addr at 0x070 (read since protocol 2.14),
 * e820_entries at 0x1E8 and e820_table at 0x2D0 (20-byte entries: u64
 * addr, u64 size, u32 type; 128 at most). The ACPI tables sit at the top of
 * RAM below 4 GiB, marked E820_ACPI (boot_direct_map).
 *
 * The initrd goes page aligned as high as it fits below
 * min(initrd_addr_max + 1, start of the ACPI tables), above the kernel's
 * init_size footprint.
 *
 * Entry: XLF_KERNEL_64 kernels at load address + 0x200 (startup_64) in long
 * mode with an identity map of the first 4 GiB, RSI = zero page; others at
 * the load address in 32-bit protected mode with ESI = zero page and EBP,
 * EDI, EBX zero. Both with CS = __BOOT_CS, DS/ES/SS = __BOOT_DS, IF clear.
 */
#include <errno.h>
#include <string.h>

#include "boot/e820.h"
#include "boot/loader.h"
#include "core/machine.h"

#define LX_SETUP_SECTS 0x1F1
#define LX_SYSSIZE 0x1F4
#define LX_HDR_LEN 0x201
#define LX_VERSION 0x206
#define LX_TYPE_OF_LOADER 0x210
#define LX_LOADFLAGS 0x211
#define LX_CODE32_START 0x214
#define LX_RAMDISK_IMAGE 0x218
#define LX_RAMDISK_SIZE 0x21C
#define LX_HEAP_END_PTR 0x224
#define LX_CMD_LINE_PTR 0x228
#define LX_INITRD_ADDR_MAX 0x22C
#define LX_RELOCATABLE 0x234
#define LX_XLOADFLAGS 0x236
#define LX_CMDLINE_SIZE 0x238
#define LX_PREF_ADDRESS 0x258
#define LX_INIT_SIZE 0x260
#define LX_HDR_MAX_END 0x290          /* edd_mbr_sig_buffer follows the header */

#define ZP_ACPI_RSDP_ADDR 0x070
#define ZP_E820_ENTRIES 0x1E8
#define ZP_E820_TABLE 0x2D0
#define ZP_E820_MAX 128

#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01
#define LX_MIN_VERSION 0x0206


struct linux_hdr {
	uint64_t setup_size, pm_size, need, load;
	uint16_t version, xloadflags;
	uint32_t cmdline_size, initrd_addr_max;
	size_t hdr_end;
};

static int linux_parse(struct boot_ctx *c, const struct boot_file *k, struct linux_hdr *h)
{
	const uint8_t *d = k->data;
	unsigned sects;
	uint64_t pref = 0, init_size = 0;

	if (k->size < 0x264)
		return boot_fail(c, -EINVAL, "%s: truncated: %zu bytes is too short for a bzImage setup header",
				 k->path, k->size);
	h->version = boot_le16(d + LX_VERSION);
	if (h->version < LX_MIN_VERSION)
		return boot_fail(c, -ENOTSUP,
				 "%s: Linux boot protocol %u.%02u is too old: Nyx needs 2.06 or newer (Linux 2.6.22+)",
				 k->path, h->version >> 8, h->version & 0xFF);
	sects = d[LX_SETUP_SECTS] ? d[LX_SETUP_SECTS] : 4;
	h->setup_size = (uint64_t)(sects + 1) * 512;
	if (h->setup_size >= k->size)
		return boot_fail(c, -EINVAL,
				 "%s: truncated: setup_sects %u puts the kernel at offset 0x%llx, beyond the end of the file (%zu bytes)",
				 k->path, sects, (unsigned long long)h->setup_size, k->size);
	h->hdr_end = 0x202 + d[LX_HDR_LEN];
	if (h->hdr_end > LX_HDR_MAX_END)
		h->hdr_end = LX_HDR_MAX_END;
	if (!(d[LX_LOADFLAGS] & LOADED_HIGH))
		return boot_fail(c, -ENOTSUP,
				 "%s: not a bzImage (loadflags lacks LOADED_HIGH): zImage kernels are not supported",
				 k->path);
	h->pm_size = k->size - h->setup_size;
	if ((uint64_t)boot_le32(d + LX_SYSSIZE) * 16 > h->pm_size)
		return boot_fail(c, -EINVAL,
				 "%s: truncated: syssize says %llu bytes of protected-mode kernel, the file has %llu",
				 k->path, (unsigned long long)boot_le32(d + LX_SYSSIZE) * 16,
				 (unsigned long long)h->pm_size);
	h->xloadflags = h->version >= 0x020C ? boot_le16(d + LX_XLOADFLAGS) : 0;
	h->cmdline_size = boot_le32(d + LX_CMDLINE_SIZE);
	h->initrd_addr_max = boot_le32(d + LX_INITRD_ADDR_MAX);
	if (h->version >= 0x020A) {
		pref = boot_le64(d + LX_PREF_ADDRESS);
		init_size = boot_le32(d + LX_INIT_SIZE);
	}
	h->need = init_size > h->pm_size ? init_size : h->pm_size;
	h->load = BOOT_1M;
	if (d[LX_RELOCATABLE] && pref >= BOOT_1M && pref + h->need <= c->ram_top)
		h->load = pref;
	if (h->load + h->need > c->ram_top)
		return boot_fail(c, -ENOSPC,
				 "%s: the kernel needs %llu MiB from 0x%llx (init_size) but usable guest RAM below 4 GiB ends at %llu MiB",
				 k->path, (unsigned long long)(h->need >> 20),
				 (unsigned long long)h->load, (unsigned long long)(c->ram_top >> 20));
	return 0;
}

static int linux_initrd(struct boot_ctx *c, const struct linux_hdr *h, uint8_t *zp)
{
	const char *path = c->m->cfg.initrd;
	uint64_t size, addr, limit, floor;
	int rc;

	rc = boot_file_size(c, "initrd", path, &size);
	if (rc)
		return rc;
	limit = (uint64_t)h->initrd_addr_max + 1;
	if (limit > c->ram_top)
		limit = c->ram_top;
	floor = (h->load + h->need + BOOT_PAGE - 1) & ~(BOOT_PAGE - 1);
	addr = boot_place_high(size, floor, limit);
	if (!addr)
		return boot_fail(c, -ENOSPC,
				 "initrd '%s' (%llu bytes) is too large for guest RAM: %llu bytes free between the kernel (end 0x%llx) and 0x%llx",
				 path, (unsigned long long)size,
				 (unsigned long long)(limit > floor ? limit - floor : 0),
				 (unsigned long long)floor, (unsigned long long)limit);
	rc = boot_copy_file(c, "initrd", path, addr, size);
	if (rc)
		return rc;
	boot_put32(zp + LX_RAMDISK_IMAGE, (uint32_t)addr);
	boot_put32(zp + LX_RAMDISK_SIZE, (uint32_t)size);
	return 0;
}

static void linux_e820(const struct e820_entry *map, int n, uint8_t *zp)
{
	zp[ZP_E820_ENTRIES] = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		uint8_t *e = zp + ZP_E820_TABLE + i * 20;
		boot_put64(e, map[i].addr);
		boot_put64(e + 8, map[i].size);
		boot_put32(e + 16, map[i].type);
	}
}

int boot_linux_load(struct boot_ctx *c, const struct boot_file *k)
{
	const char *append = c->m->cfg.append ? c->m->cfg.append : "";
	struct e820_entry map[E820_MAX_ENTRIES];
	uint8_t zp[4096] = { 0 };
	uint64_t zp_gpa, cmd_gpa, gdt = 0, cr3 = 0, rsdp;
	struct boot_area area;
	struct linux_hdr h = { 0 };
	struct vcpu_state *s;
	bool lm;
	int n, rc;

	n = boot_direct_map(c, map, E820_MAX_ENTRIES, &rsdp);
	if (n < 0)
		return n;
	rc = linux_parse(c, k, &h);
	if (rc)
		return rc;
	if (strlen(append) > h.cmdline_size)
		return boot_fail(c, -E2BIG, "%s: command line of %zu bytes exceeds the kernel's cmdline_size %u",
				 k->path, strlen(append), h.cmdline_size);
	rc = boot_write(c, "kernel", h.load, k->data + h.setup_size, h.pm_size);
	if (rc)
		return rc;

	memcpy(zp + LX_SETUP_SECTS, k->data + LX_SETUP_SECTS, h.hdr_end - LX_SETUP_SECTS);
	zp[LX_TYPE_OF_LOADER] = 0xFF;
	zp[LX_LOADFLAGS] |= CAN_USE_HEAP;
	boot_put16(zp + LX_HEAP_END_PTR, 0xFE00);
	boot_put32(zp + LX_CODE32_START, (uint32_t)h.load);
	boot_put64(zp + ZP_ACPI_RSDP_ADDR, rsdp);
	linux_e820(map, n, zp);

	/* The kernel sits at 1 MiB or above: the low window is free. */
	boot_area_init(&area, BOOT_LOW_START, BOOT_LOW_END);
	zp_gpa = boot_area_alloc(c, &area, sizeof(zp), BOOT_PAGE, "zero page");
	cmd_gpa = boot_area_strdup(c, &area, append, "command line");
	if (!zp_gpa || !cmd_gpa)
		return -ENOSPC;
	boot_put32(zp + LX_CMD_LINE_PTR, (uint32_t)cmd_gpa);
	lm = h.xloadflags & XLF_KERNEL_64;
	rc = boot_gdt_write(c, &area, lm, &gdt);
	if (!rc && lm)
		rc = boot_pagetables_write(c, &area, &cr3);
	if (!rc && c->m->cfg.initrd)
		rc = linux_initrd(c, &h, zp);
	if (!rc)
		rc = boot_write(c, "zero page", zp_gpa, zp, sizeof(zp));
	if (rc)
		return rc;

	s = lm ? boot_state_long64(c, gdt, cr3, h.load + 0x200)
	       : boot_state_prot32(c, gdt, (uint32_t)h.load);
	if (!s)
		return -ENOMEM;
	s->regs[REG_RSI] = zp_gpa;
	c->m->boot_state = s;
	LOG(c->m->log, LOG_INFO, "boot",
	    "Linux %s: protocol %u.%02u, %llu KiB at 0x%llx, %s entry 0x%llx, zero page 0x%llx",
	    k->path, h.version >> 8, h.version & 0xFF, (unsigned long long)(h.pm_size >> 10),
	    (unsigned long long)h.load, lm ? "64-bit" : "32-bit",
	    (unsigned long long)s->rip, (unsigned long long)zp_gpa);
	return 0;
}
