/*
 * boot_load(): chooses the loader for the configured images, plus the
 * helpers every loader shares (errors naming the file, file reads, checked
 * guest writes, the boot-structure allocator).
 *
 * Formats are told apart by content, in this order: a multiboot v1 header
 * in the first 8 KiB, then an ELF file (a PVH vmlinux), then a Linux
 * bzImage ("HdrS" at 0x202).
 *
 * Reset: boot_load() may be called again when the machine resets. It
 * re-reads the files and reloads guest memory (a kernel overwrites its own
 * image while it runs, so a reboot needs a fresh copy), rebuilds
 * m->boot_state, keeps firmware ROM regions that are already mapped and
 * refreshes the BIOS alias copy in RAM. m->boot_ram is not used.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi/acpi.h"
#include "boot/boot.h"
#include "boot/e820.h"
#include "boot/elf.h"
#include "boot/loader.h"
#include "core/machine.h"

int boot_fail(struct boot_ctx *c, int rc, const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->err_len) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->err_len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int boot_file_size(struct boot_ctx *c, const char *what, const char *path, uint64_t *size)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return boot_fail(c, -errno, "%s '%s': %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return boot_fail(c, -EINVAL, "%s '%s': not a regular file", what, path);
	*size = (uint64_t)st.st_size;
	return 0;
}

int boot_file_read(struct boot_ctx *c, const char *what, const char *path,
		   struct boot_file *f)
{
	uint64_t size;
	int rc, fd;

	memset(f, 0, sizeof(*f));
	f->path = path;
	rc = boot_file_size(c, what, path, &size);
	if (rc)
		return rc;
	if (size > (1ULL << 32))
		return boot_fail(c, -EFBIG, "%s '%s': %llu bytes is too large for a boot image",
				 what, path, (unsigned long long)size);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return boot_fail(c, -errno, "%s '%s': %s", what, path, strerror(errno));
	f->data = malloc(size ? size : 1);
	if (!f->data) {
		close(fd);
		return boot_fail(c, -ENOMEM, "%s '%s': out of memory reading %llu bytes", what,
				 path, (unsigned long long)size);
	}
	for (size_t done = 0; done < size;) {
		ssize_t n = read(fd, f->data + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			boot_fail(c, rc, "%s '%s': read failed at byte %zu: %s", what, path, done,
				  n < 0 ? strerror(errno) : "file shrank");
			close(fd);
			boot_file_free(f);
			return rc;
		}
		done += (size_t)n;
	}
	close(fd);
	f->size = size;
	return 0;
}

void boot_file_free(struct boot_file *f)
{
	free(f->data);
	f->data = NULL;
	f->size = 0;
}

int boot_check_ram(struct boot_ctx *c, const char *path, const char *what, uint64_t gpa,
		   uint64_t len, bool below_4g)
{
	const struct guest_mem *mem = c->mem;
	uint64_t end = gpa + len;
	uint64_t top = mem->above_4g ? MEM_4G + mem->above_4g : mem->below_4g;

	if (end < gpa || end > top)
		return boot_fail(c, -ERANGE,
				 "%s: %s [0x%llx, 0x%llx) lies outside guest RAM (%llu MiB)", path,
				 what, (unsigned long long)gpa, (unsigned long long)end,
				 (unsigned long long)(mem->ram_size >> 20));
	if (gpa < MEM_4G && end > mem->below_4g)
		return boot_fail(c, -ERANGE,
				 "%s: %s [0x%llx, 0x%llx) overlaps the PCI hole [0x%llx, 0x100000000)",
				 path, what, (unsigned long long)gpa, (unsigned long long)end,
				 (unsigned long long)mem->below_4g);
	if (gpa < mem->below_4g && end > c->ram_top)
		return boot_fail(c, -ERANGE,
				 "%s: %s [0x%llx, 0x%llx) overlaps the ACPI tables at [0x%llx, 0x%llx)",
				 path, what, (unsigned long long)gpa, (unsigned long long)end,
				 (unsigned long long)c->ram_top, (unsigned long long)mem->below_4g);
	if (gpa < 0xC0000 && end > 0xA0000)
		return boot_fail(c, -ERANGE,
				 "%s: %s [0x%llx, 0x%llx) overlaps the VGA window [0xa0000, 0xc0000)",
				 path, what, (unsigned long long)gpa, (unsigned long long)end);
	if (below_4g && end > MEM_4G)
		return boot_fail(c, -ERANGE,
				 "%s: %s [0x%llx, 0x%llx) is above 4 GiB, out of reach of a 32-bit entry",
				 path, what, (unsigned long long)gpa, (unsigned long long)end);
	return 0;
}

int boot_write(struct boot_ctx *c, const char *what, uint64_t gpa, const void *buf, size_t len)
{
	if (gpa_write(c->mem, gpa, buf, len) < 0)
		return boot_fail(c, -EFAULT, "cannot write %s to guest memory [0x%llx, 0x%llx)",
				 what, (unsigned long long)gpa, (unsigned long long)(gpa + len));
	return 0;
}

int boot_write32(struct boot_ctx *c, uint64_t gpa, uint32_t v)
{
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };
	return boot_write(c, "boot data", gpa, b, 4);
}

int boot_zero(struct boot_ctx *c, const char *what, uint64_t gpa, uint64_t len)
{
	static const uint8_t zeros[65536];

	while (len) {
		size_t n = len < sizeof(zeros) ? len : sizeof(zeros);
		int rc = boot_write(c, what, gpa, zeros, n);
		if (rc)
			return rc;
		gpa += n;
		len -= n;
	}
	return 0;
}

int boot_copy_file(struct boot_ctx *c, const char *what, const char *path, uint64_t gpa,
		   uint64_t size)
{
	size_t bufsz = 1 << 20;
	uint8_t *buf;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return boot_fail(c, -errno, "%s '%s': %s", what, path, strerror(errno));
	buf = malloc(bufsz);
	if (!buf) {
		close(fd);
		return boot_fail(c, -ENOMEM, "%s '%s': out of memory", what, path);
	}
	for (uint64_t done = 0; done < size;) {
		size_t want = size - done < bufsz ? size - done : bufsz;
		ssize_t n = read(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = boot_fail(c, n < 0 ? -errno : -EIO, "%s '%s': read failed at byte %llu: %s",
				       what, path, (unsigned long long)done,
				       n < 0 ? strerror(errno) : "file shrank");
			break;
		}
		rc = boot_write(c, what, gpa + done, buf, (size_t)n);
		if (rc)
			break;
		done += (uint64_t)n;
	}
	free(buf);
	close(fd);
	return rc;
}

uint64_t boot_place_high(uint64_t size, uint64_t floor, uint64_t limit)
{
	if (size > limit)
		return 0;
	uint64_t addr = (limit - size) & ~(BOOT_PAGE - 1);
	return addr >= floor ? addr : 0;
}

void boot_area_init(struct boot_area *a, uint64_t start, uint64_t end)
{
	a->next = start;
	a->end = end;
}

void boot_area_choose(struct boot_ctx *c, struct boot_area *a, uint64_t lo, uint64_t hi)
{
	if (hi <= BOOT_LOW_START || lo >= BOOT_LOW_END)
		boot_area_init(a, BOOT_LOW_START, BOOT_LOW_END);
	else
		boot_area_init(a, (hi + BOOT_PAGE - 1) & ~(BOOT_PAGE - 1), c->mem->below_4g);
}

uint64_t boot_area_alloc(struct boot_ctx *c, struct boot_area *a, uint64_t size,
			 uint64_t align, const char *what)
{
	uint64_t addr = (a->next + align - 1) & ~(align - 1);

	if (addr + size > a->end || addr + size < addr) {
		boot_fail(c, -ENOSPC, "no room for %s (%llu bytes) in guest memory below 0x%llx",
			  what, (unsigned long long)size, (unsigned long long)a->end);
		return 0;
	}
	if (boot_zero(c, what, addr, size))
		return 0;
	a->next = addr + size;
	return addr;
}

uint64_t boot_area_strdup(struct boot_ctx *c, struct boot_area *a, const char *s,
			  const char *what)
{
	size_t len = strlen(s) + 1;
	uint64_t addr = boot_area_alloc(c, a, len, 1, what);

	if (addr && boot_write(c, what, addr, s, len))
		return 0;
	return addr;
}

int boot_direct_map(struct boot_ctx *c, struct e820_entry *map, unsigned max, uint64_t *rsdp)
{
	int n = e820_build(c->m, map, max), rc;

	*rsdp = 0;
	if (n < 0)
		return boot_fail(c, n, "memory map has too many entries");
	rc = acpi_direct_install(c->m, rsdp);
	if (rc) {
		LOG(c->m->log, LOG_WARN, "boot", "no ACPI tables for the kernel: %s", strerror(-rc));
		*rsdp = 0;
		return n;
	}
	rc = e820_mark(map, n, max, acpi_direct_base(c->mem), ACPI_DIRECT_SIZE, E820_ACPI);
	if (rc < 0)
		return boot_fail(c, rc, "cannot mark the ACPI tables in the memory map");
	c->ram_top = acpi_direct_base(c->mem);
	return rc;
}

/* Loads the kernel named by cfg.kernel, whatever its format. */
static int boot_kernel(struct boot_ctx *c, const char *path)
{
	struct boot_file k;
	long mb;
	int rc;

	rc = boot_file_read(c, "kernel", path, &k);
	if (rc)
		return rc;
	mb = boot_multiboot_find(c, &k);
	if (mb >= 0)
		rc = boot_multiboot_load(c, &k, (size_t)mb);
	else if (mb != -ENOENT)
		rc = (int)mb;
	else if (elf_is_elf(&k))
		rc = boot_pvh_load(c, &k);
	else if (k.size >= 0x206 && !memcmp(k.data + 0x202, "HdrS", 4))
		rc = boot_linux_load(c, &k);
	else
		rc = boot_fail(c, -EINVAL,
			       "%s: unrecognised kernel format (not multiboot, ELF or a Linux bzImage)",
			       path);
	boot_file_free(&k);
	return rc;
}

int boot_load(struct machine *m, char *err, size_t err_len)
{
	struct boot_ctx c = { .m = m, .mem = &m->mem, .err = err, .err_len = err_len,
			      .ram_top = m->mem.below_4g };
	const struct machine_config *cfg = &m->cfg;

	free(m->boot_state);
	m->boot_state = NULL;
	if (cfg->bios && cfg->uefi)
		return boot_fail(&c, -EINVAL, "--bios and --uefi are exclusive: give one firmware image");
	/* With firmware, the firmware boots the kernel from fw_cfg
	 * (hw/pc/fw_cfg_kernel.c; SeaBIOS through boot/rom/linuxboot.S). */
	if ((cfg->initrd || cfg->append) && !cfg->kernel)
		return boot_fail(&c, -EINVAL, "--%s needs --kernel",
				 cfg->initrd ? "initrd" : "append");
	if (cfg->bios)
		return boot_firmware_load(&c, cfg->bios, "BIOS image");
	if (cfg->uefi)
		return boot_firmware_load(&c, cfg->uefi, "UEFI image");
	if (cfg->kernel)
		return boot_kernel(&c, cfg->kernel);
	return 0;
}
