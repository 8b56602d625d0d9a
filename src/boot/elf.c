/*
 * ELF executables (System V gABI; the file is untrusted input).
 *
 * Accepted: little-endian ET_EXEC or ET_DYN, ELFCLASS32 with EM_386 or
 * ELFCLASS64 with EM_X86_64. Header layouts (offsets in bytes):
 *
 *   ELF header   ELF32   ELF64          program header   ELF32  ELF64
 *   e_type       16      16             p_type           0      0
 *   e_machine    18      18             p_flags          24     4
 *   e_entry      24      24             p_offset         4      8
 *   e_phoff      28      32             p_vaddr          8      16
 *   e_phentsize  42      54             p_paddr          12     24
 *   e_phnum      44      56             p_filesz         16     32
 *                                       p_memsz          20     40
 *
 * Every offset and size read from the file is checked against the file size
 * before use, so a truncated or hostile file yields a message, not a crash.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/elf.h"
#include "boot/loader.h"

#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define ET_DYN 3
#define EM_386 3
#define EM_X86_64 62


bool elf_is_elf(const struct boot_file *f)
{
	return f->size >= 4 && !memcmp(f->data, "\177ELF", 4);
}

static const char *elf_machine_name(uint16_t machine)
{
	switch (machine) {
	case EM_386: return "i386";
	case EM_X86_64: return "x86-64";
	case 40: return "ARM";
	case 183: return "AArch64";
	case 243: return "RISC-V";
	default: return "not x86";
	}
}

int elf_parse(struct boot_ctx *c, const struct boot_file *f, struct elf_image *e)
{
	const uint8_t *d = f->data;
	uint64_t phoff;
	unsigned phentsize, want_ent;
	uint16_t type;

	memset(e, 0, sizeof(*e));
	if (f->size < 52)
		return boot_fail(c, -EINVAL, "%s: truncated ELF header (%zu bytes)", f->path, f->size);
	if (d[4] != ELFCLASS32 && d[4] != ELFCLASS64)
		return boot_fail(c, -EINVAL, "%s: unknown ELF class %u", f->path, d[4]);
	e->is64 = d[4] == ELFCLASS64;
	if (d[5] != ELFDATA2LSB)
		return boot_fail(c, -EINVAL, "%s: big-endian ELF cannot run on x86", f->path);
	if (e->is64 && f->size < 64)
		return boot_fail(c, -EINVAL, "%s: truncated ELF64 header (%zu bytes)", f->path, f->size);
	type = boot_le16(d + 16);
	e->machine = boot_le16(d + 18);
	if (type != ET_EXEC && type != ET_DYN)
		return boot_fail(c, -EINVAL, "%s: ELF type %u is not an executable", f->path, type);
	if (e->is64 ? e->machine != EM_X86_64 : e->machine != EM_386)
		return boot_fail(c, -EINVAL,
				 "%s: ELF%d file for machine %u (%s); expected %s",
				 f->path, e->is64 ? 64 : 32, e->machine, elf_machine_name(e->machine),
				 e->is64 ? "EM_X86_64 (62)" : "EM_386 (3)");
	if (e->is64) {
		e->entry = boot_le64(d + 24);
		phoff = boot_le64(d + 32);
		phentsize = boot_le16(d + 54);
		e->phnum = boot_le16(d + 56);
		want_ent = 56;
	} else {
		e->entry = boot_le32(d + 24);
		phoff = boot_le32(d + 28);
		phentsize = boot_le16(d + 42);
		e->phnum = boot_le16(d + 44);
		want_ent = 32;
	}
	if (e->phnum == 0)
		return boot_fail(c, -EINVAL, "%s: ELF file has no program headers", f->path);
	if (phentsize < want_ent)
		return boot_fail(c, -EINVAL, "%s: ELF program header size %u is smaller than %u",
				 f->path, phentsize, want_ent);
	if (phoff > f->size || (uint64_t)e->phnum * phentsize > f->size - phoff)
		return boot_fail(c, -EINVAL,
				 "%s: truncated: program header table [0x%llx, +%u x %u) runs past the end of the file (%zu bytes)",
				 f->path, (unsigned long long)phoff, e->phnum, phentsize, f->size);
	e->ph = calloc(e->phnum, sizeof(*e->ph));
	if (!e->ph)
		return boot_fail(c, -ENOMEM, "%s: out of memory", f->path);
	for (unsigned i = 0; i < e->phnum; i++) {
		const uint8_t *p = d + phoff + (uint64_t)i * phentsize;
		struct elf_phdr *ph = &e->ph[i];

		ph->type = boot_le32(p);
		if (e->is64) {
			ph->flags = boot_le32(p + 4);
			ph->offset = boot_le64(p + 8);
			ph->vaddr = boot_le64(p + 16);
			ph->paddr = boot_le64(p + 24);
			ph->filesz = boot_le64(p + 32);
			ph->memsz = boot_le64(p + 40);
		} else {
			ph->offset = boot_le32(p + 4);
			ph->vaddr = boot_le32(p + 8);
			ph->paddr = boot_le32(p + 12);
			ph->filesz = boot_le32(p + 16);
			ph->memsz = boot_le32(p + 20);
			ph->flags = boot_le32(p + 24);
		}
		if (ph->type != ELF_PT_LOAD && ph->type != ELF_PT_NOTE)
			continue;
		if (ph->offset > f->size || ph->filesz > f->size - ph->offset) {
			boot_fail(c, -EINVAL,
				  "%s: truncated: program header %u points at [0x%llx, 0x%llx), beyond the end of the file (%zu bytes)",
				  f->path, i, (unsigned long long)ph->offset,
				  (unsigned long long)(ph->offset + ph->filesz), f->size);
			elf_free(e);
			return -EINVAL;
		}
		if (ph->type == ELF_PT_LOAD && ph->filesz > ph->memsz) {
			boot_fail(c, -EINVAL, "%s: program header %u: file size 0x%llx exceeds memory size 0x%llx",
				  f->path, i, (unsigned long long)ph->filesz,
				  (unsigned long long)ph->memsz);
			elf_free(e);
			return -EINVAL;
		}
	}
	return 0;
}

void elf_free(struct elf_image *e)
{
	free(e->ph);
	e->ph = NULL;
	e->phnum = 0;
}

/* Notes: namesz, descsz, type (4 bytes each), name and desc each padded to
 * 4 bytes. Both ELF classes use this layout on x86-64 Linux (gABI says
 * 8-byte alignment for ELF64, but every toolchain emits 4). */
int elf_find_note(const struct boot_file *f, const struct elf_image *e, const char *name,
		  uint32_t type, const uint8_t **desc, uint32_t *descsz)
{
	size_t nlen = strlen(name) + 1;

	for (unsigned i = 0; i < e->phnum; i++) {
		const struct elf_phdr *ph = &e->ph[i];
		if (ph->type != ELF_PT_NOTE)
			continue;
		const uint8_t *p = f->data + ph->offset;
		uint64_t left = ph->filesz;
		while (left >= 12) {
			uint32_t nsz = boot_le32(p), dsz = boot_le32(p + 4), ty = boot_le32(p + 8);
			uint64_t npad = ((uint64_t)nsz + 3) & ~3ULL, dpad = ((uint64_t)dsz + 3) & ~3ULL;
			if (12 + npad > left || dsz > left - 12 - npad)
				break;          /* malformed: stop looking in this segment */
			if (ty == type && nsz == nlen && !memcmp(p + 12, name, nlen)) {
				*desc = p + 12 + npad;
				*descsz = dsz;
				return 0;
			}
			if (12 + npad + dpad > left)
				break;
			p += 12 + npad + dpad;
			left -= 12 + npad + dpad;
		}
	}
	return -ENOENT;
}

int elf_load(struct boot_ctx *c, const struct boot_file *f, const struct elf_image *e,
	     bool below_4g, uint64_t *lo, uint64_t *hi)
{
	char what[32];
	uint64_t l = UINT64_MAX, h = 0;
	int rc;

	/* Check everything first, so a bad file leaves guest memory alone. */
	for (unsigned i = 0; i < e->phnum; i++) {
		const struct elf_phdr *ph = &e->ph[i];
		if (ph->type != ELF_PT_LOAD || !ph->memsz)
			continue;
		snprintf(what, sizeof(what), "segment %u", i);
		rc = boot_check_ram(c, f->path, what, ph->paddr, ph->memsz, below_4g);
		if (rc)
			return rc;
		if (ph->paddr < l)
			l = ph->paddr;
		if (ph->paddr + ph->memsz > h)
			h = ph->paddr + ph->memsz;
	}
	if (h == 0)
		return boot_fail(c, -EINVAL, "%s: ELF file has no loadable segment", f->path);
	for (unsigned i = 0; i < e->phnum; i++) {
		const struct elf_phdr *ph = &e->ph[i];
		if (ph->type != ELF_PT_LOAD || !ph->memsz)
			continue;
		snprintf(what, sizeof(what), "segment %u", i);
		rc = boot_write(c, what, ph->paddr, f->data + ph->offset, ph->filesz);
		if (!rc)
			rc = boot_zero(c, what, ph->paddr + ph->filesz, ph->memsz - ph->filesz);
		if (rc)
			return rc;
	}
	*lo = l;
	*hi = h;
	return 0;
}

uint64_t elf_entry_phys(const struct elf_image *e)
{
	for (unsigned i = 0; i < e->phnum; i++) {
		const struct elf_phdr *ph = &e->ph[i];
		if (ph->type == ELF_PT_LOAD && e->entry >= ph->vaddr &&
		    e->entry - ph->vaddr < ph->memsz)
			return e->entry - ph->vaddr + ph->paddr;
	}
	return e->entry;
}
