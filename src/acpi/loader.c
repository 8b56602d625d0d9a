/*
 * BIOS linker/loader script: writer and executor.
 *
 * Entry format (128 bytes, little endian; the layout SeaBIOS and OVMF read):
 *   u32 command, then by command:
 *   ALLOCATE:     char file[56], u32 align, u8 zone
 *   ADD_POINTER:  char dest[56], char src[56], u32 offset, u8 size
 *   ADD_CHECKSUM: char file[56], u32 offset, u32 start, u32 length
 *   the rest zero.
 * Firmware executes commands in order; an ALLOCATE must precede any use of
 * its file; checksums come after the pointers they cover.
 */
#include "acpi/loader.h"

#include <errno.h>
#include <string.h>

void acpi_loader_init(struct acpi_loader *l)
{
	aml_init(&l->cmds);
}

void acpi_loader_free(struct acpi_loader *l)
{
	aml_free(&l->cmds);
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static bool put_name(uint8_t *dst, const char *name)
{
	size_t n = strlen(name);
	if (n >= ACPI_LOADER_FILESZ)
		return false;
	memcpy(dst, name, n);
	return true;
}

static void loader_emit(struct acpi_loader *l, const uint8_t *e, bool ok)
{
	if (!ok)
		l->cmds.failed = true;
	else
		aml_bytes(&l->cmds, e, ACPI_LOADER_ENTRY_SIZE);
}

void acpi_loader_alloc(struct acpi_loader *l, const char *file, uint32_t align,
		       enum acpi_loader_zone zone)
{
	uint8_t e[ACPI_LOADER_ENTRY_SIZE] = {0};
	bool ok = put_name(e + 4, file) && align && !(align & (align - 1));

	put_le(e, ACPI_LOADER_ALLOCATE, 4);
	put_le(e + 4 + ACPI_LOADER_FILESZ, align, 4);
	e[4 + ACPI_LOADER_FILESZ + 4] = (uint8_t)zone;
	loader_emit(l, e, ok);
}

void acpi_loader_add_pointer(struct acpi_loader *l, const char *dest, const char *src,
			     uint32_t offset, uint8_t size)
{
	uint8_t e[ACPI_LOADER_ENTRY_SIZE] = {0};
	bool ok = put_name(e + 4, dest) && put_name(e + 4 + ACPI_LOADER_FILESZ, src) &&
		  (size == 1 || size == 2 || size == 4 || size == 8);

	put_le(e, ACPI_LOADER_ADD_POINTER, 4);
	put_le(e + 4 + 2 * ACPI_LOADER_FILESZ, offset, 4);
	e[4 + 2 * ACPI_LOADER_FILESZ + 4] = size;
	loader_emit(l, e, ok);
}

void acpi_loader_add_checksum(struct acpi_loader *l, const char *file, uint32_t offset,
			      uint32_t start, uint32_t len)
{
	uint8_t e[ACPI_LOADER_ENTRY_SIZE] = {0};
	bool ok = put_name(e + 4, file);

	put_le(e, ACPI_LOADER_ADD_CHECKSUM, 4);
	put_le(e + 4 + ACPI_LOADER_FILESZ, offset, 4);
	put_le(e + 4 + ACPI_LOADER_FILESZ + 4, start, 4);
	put_le(e + 4 + ACPI_LOADER_FILESZ + 8, len, 4);
	loader_emit(l, e, ok);
}

static struct acpi_loader_file *find_file(struct acpi_loader_file *files, unsigned n,
					  const uint8_t *name)
{
	if (memchr(name, 0, ACPI_LOADER_FILESZ) == NULL)
		return NULL;
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(files[i].name, (const char *)name))
			return &files[i];
	return NULL;
}

int acpi_loader_apply(const uint8_t *script, size_t len, struct acpi_loader_file *files,
		      unsigned nfiles)
{
	if (len % ACPI_LOADER_ENTRY_SIZE)
		return -EINVAL;
	for (size_t off = 0; off < len; off += ACPI_LOADER_ENTRY_SIZE) {
		const uint8_t *e = script + off;
		const uint8_t *arg = e + 4;
		struct acpi_loader_file *f, *src;

		switch (get_le(e, 4)) {
		case ACPI_LOADER_ALLOCATE: {
			uint64_t align = get_le(arg + ACPI_LOADER_FILESZ, 4);
			f = find_file(files, nfiles, arg);
			if (!f || !align || (f->addr & (align - 1)))
				return -EINVAL;
			break;
		}
		case ACPI_LOADER_ADD_POINTER: {
			uint64_t o = get_le(arg + 2 * ACPI_LOADER_FILESZ, 4);
			unsigned size = arg[2 * ACPI_LOADER_FILESZ + 4];
			f = find_file(files, nfiles, arg);
			src = find_file(files, nfiles, arg + ACPI_LOADER_FILESZ);
			if (!f || !src || (size != 1 && size != 2 && size != 4 && size != 8) ||
			    o + size > f->size)
				return -EINVAL;
			uint64_t v = get_le(f->data + o, size) + src->addr;
			if (size < 8 && (v >> (8 * size)))
				return -EINVAL;   /* the address does not fit */
			put_le(f->data + o, v, size);
			break;
		}
		case ACPI_LOADER_ADD_CHECKSUM: {
			uint64_t o = get_le(arg + ACPI_LOADER_FILESZ, 4);
			uint64_t start = get_le(arg + ACPI_LOADER_FILESZ + 4, 4);
			uint64_t n = get_le(arg + ACPI_LOADER_FILESZ + 8, 4);
			uint8_t sum = 0;
			f = find_file(files, nfiles, arg);
			if (!f || o >= f->size || start + n > f->size)
				return -EINVAL;
			for (uint64_t i = 0; i < n; i++)
				sum += f->data[start + i];
			f->data[o] -= sum;
			break;
		}
		default:
			break;   /* firmware skips unknown commands; so do we */
		}
	}
	return 0;
}
