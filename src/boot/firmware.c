/*
 * Firmware images (--bios: SeaBIOS bios.bin; --uefi: OVMF.fd): a raw image
 * mapped read-only so that it ends at 4 GiB, where the reset vector
 * 0xFFFFFFF0 finds its last 16 bytes. The last 128 KiB (or the whole image
 * if smaller) also appear at 0xE0000-0xFFFFF, below 1 MiB, where real-mode
 * code at F000:xxxx runs: the ISA BIOS alias. Until the chipset models PAM
 * shadowing, the alias is a copy in RAM, refreshed on every reset (load).
 *
 * The vCPU starts from the architectural reset state (CS F000:FFF0 with
 * base 0xFFFF0000), so m->boot_state stays NULL.
 */
#include <errno.h>
#include <string.h>

#include "boot/loader.h"
#include "core/machine.h"

#define FW_ALIGN 0x10000ULL        /* 64 KiB */
#define FW_MAX (16ULL << 20)       /* 16 MiB: the top of 4 GiB below the flash area */
#define FW_ALIAS_MAX 0x20000ULL    /* 128 KiB */

static bool firmware_mapped(struct guest_mem *mem, uint64_t gpa, uint64_t size)
{
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct mem_region *r = &mem->regions[i];
		if (r->kind == MEM_ROM && r->gpa == gpa && r->size == size)
			return true;
	}
	return false;
}

int boot_firmware_load(struct boot_ctx *c, const char *path, const char *what)
{
	struct machine *m = c->m;
	struct boot_file f;
	uint64_t gpa, alias;
	int rc;

	rc = boot_file_read(c, what, path, &f);
	if (rc)
		return rc;
	if (f.size == 0 || f.size % FW_ALIGN) {
		rc = boot_fail(c, -EINVAL,
			       "%s '%s': size %zu is not a non-zero multiple of 64 KiB (a raw firmware image is)",
			       what, path, f.size);
		goto out;
	}
	if (f.size > FW_MAX) {
		rc = boot_fail(c, -EFBIG, "%s '%s': %zu bytes is larger than the 16 MiB firmware window",
			       what, path, f.size);
		goto out;
	}
	gpa = MEM_4G - f.size;
	if (!firmware_mapped(c->mem, gpa, f.size)) {
		rc = mem_add_rom(c->mem, gpa, f.data, f.size, strcmp(what, "UEFI image") ? "bios" : "uefi");
		if (rc) {
			boot_fail(c, rc, "%s '%s': cannot map at 0x%llx: %s", what, path,
				  (unsigned long long)gpa, strerror(-rc));
			goto out;
		}
	}
	alias = f.size < FW_ALIAS_MAX ? f.size : FW_ALIAS_MAX;
	rc = boot_write(c, "BIOS alias", BOOT_1M - alias, f.data + f.size - alias, alias);
	if (!rc)
		LOG(m->log, LOG_INFO, "boot", "%s %s: %zu KiB at 0x%llx, last %llu KiB aliased at 0x%llx",
		    what, path, f.size >> 10, (unsigned long long)gpa,
		    (unsigned long long)(alias >> 10), (unsigned long long)(BOOT_1M - alias));
out:
	boot_file_free(&f);
	return rc;
}
