/*
 * Option ROMs Nyx ships inside libnyx (built from src/boot/rom by rom.mk):
 * images finished with their size byte and checksums, ready to hand to the
 * firmware.
 */
#ifndef NYX_BOOT_OPTIONROM_H
#define NYX_BOOT_OPTIONROM_H

#include <stddef.h>
#include <stdint.h>

/* linuxboot.bin: boots the fw_cfg kernel keys from SeaBIOS (linuxboot.S). */
extern const uint8_t nyx_linuxboot_rom[];
extern const uint8_t nyx_linuxboot_rom_end[];

/* Its fw_cfg name: SeaBIOS runs every "genroms/" file as an option ROM. */
#define LINUXBOOT_ROM_NAME "genroms/linuxboot.bin"

static inline size_t linuxboot_rom_size(void)
{
	return (size_t)(nyx_linuxboot_rom_end - nyx_linuxboot_rom);
}

#endif
