/*
 * roms.S: links the option ROMs built from this folder into libnyx as
 * read-only data (see rom.mk and boot/optionrom.h). LINUXBOOT_BIN is the
 * finished image's path, in the build folder.
 */
	.section .rodata
	.balign 16
	.globl nyx_linuxboot_rom
	.globl nyx_linuxboot_rom_end
nyx_linuxboot_rom:
	.incbin LINUXBOOT_BIN
nyx_linuxboot_rom_end:
	.section .note.GNU-stack, "", @progbits
