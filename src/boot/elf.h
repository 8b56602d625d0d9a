/*
 * ELF executables for the multiboot and PVH loaders: header and program
 * header parsing (ELF32 i386 and ELF64 x86-64, little endian), note lookup
 * and loading by program headers at their physical addresses.
 */
#ifndef NYX_BOOT_ELF_H
#define NYX_BOOT_ELF_H

#include <stdbool.h>
#include <stdint.h>

struct boot_ctx;
struct boot_file;

#define ELF_PT_LOAD 1
#define ELF_PT_NOTE 4

struct elf_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

struct elf_image {
	bool is64;
	uint16_t machine;
	uint64_t entry;
	unsigned phnum;
	struct elf_phdr *ph;
};

/* True if the file starts with the ELF magic. */
bool elf_is_elf(const struct boot_file *f);
/* Validates the headers (class, machine, program header table and every
 * segment within the file); fills e. */
int elf_parse(struct boot_ctx *c, const struct boot_file *f, struct elf_image *e);
void elf_free(struct elf_image *e);
/* Finds note (name, type) in the PT_NOTE segments: 0 and desc/descsz set,
 * or -ENOENT. */
int elf_find_note(const struct boot_file *f, const struct elf_image *e, const char *name,
		  uint32_t type, const uint8_t **desc, uint32_t *descsz);
/* Copies every PT_LOAD segment to p_paddr and zeroes its bss; [*lo, *hi)
 * receives the physical span loaded. */
int elf_load(struct boot_ctx *c, const struct boot_file *f, const struct elf_image *e,
	     bool below_4g, uint64_t *lo, uint64_t *hi);
/* The entry point as a physical address: e_entry translated through the
 * PT_LOAD segment whose virtual range holds it (unchanged if none). */
uint64_t elf_entry_phys(const struct elf_image *e);

#endif
