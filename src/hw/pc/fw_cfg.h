/*
 * QEMU-compatible firmware configuration device (fw_cfg): how SeaBIOS and
 * OVMF learn the machine's RAM map, CPU count, ACPI and SMBIOS tables and
 * boot order. I/O ports 0x510 (selector, 16-bit), 0x511 (data, 8-bit) and
 * 0x514-0x51b (DMA address, big endian).
 */
#ifndef NYX_HW_PC_FW_CFG_H
#define NYX_HW_PC_FW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA 0x514

/* Selector keys (QEMU docs/specs/fw_cfg.rst and its fw_cfg_keys.h). */
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_ID 0x0001
#define FW_CFG_UUID 0x0002
#define FW_CFG_RAM_SIZE 0x0003
#define FW_CFG_NOGRAPHIC 0x0004
#define FW_CFG_NB_CPUS 0x0005
#define FW_CFG_KERNEL_ADDR 0x0007
#define FW_CFG_KERNEL_SIZE 0x0008
#define FW_CFG_INITRD_ADDR 0x000A
#define FW_CFG_INITRD_SIZE 0x000B
#define FW_CFG_NUMA 0x000D
#define FW_CFG_BOOT_MENU 0x000E
#define FW_CFG_MAX_CPUS 0x000F
#define FW_CFG_KERNEL_DATA 0x0011
#define FW_CFG_INITRD_DATA 0x0012
#define FW_CFG_CMDLINE_ADDR 0x0013
#define FW_CFG_CMDLINE_SIZE 0x0014
#define FW_CFG_CMDLINE_DATA 0x0015
#define FW_CFG_SETUP_ADDR 0x0016
#define FW_CFG_SETUP_SIZE 0x0017
#define FW_CFG_SETUP_DATA 0x0018
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_FILE_FIRST 0x0020
#define FW_CFG_WRITE_CHANNEL 0x4000
#define FW_CFG_ARCH_LOCAL 0x8000
#define FW_CFG_ACPI_TABLES 0x8000
#define FW_CFG_SMBIOS_ENTRIES 0x8001
#define FW_CFG_IRQ0_OVERRIDE 0x8002
#define FW_CFG_E820_TABLE 0x8003

/* Feature bits of key 0x0001. */
#define FW_CFG_VERSION_TRADITIONAL 0x01
#define FW_CFG_VERSION_DMA 0x02

/* FWCfgDmaAccess.control bits. */
#define FW_CFG_DMA_ERROR 0x01
#define FW_CFG_DMA_READ 0x02
#define FW_CFG_DMA_SKIP 0x04
#define FW_CFG_DMA_SELECT 0x08
#define FW_CFG_DMA_WRITE 0x10

#define FW_CFG_MAX_FILES 64
#define FW_CFG_FILE_NAME_LEN 56
#define FW_CFG_DIR_ENTRY_SIZE 64

struct machine;
struct guest_mem;
struct logger;
struct fw_cfg;

/* Called after the guest wrote [offset, offset + len) of a writable file. */
typedef void (*fw_cfg_write_cb)(void *opaque, uint32_t offset, uint32_t len);

/*
 * A device not yet on any bus: used by tests directly, and by
 * fw_cfg_init() for the machine. NULL on allocation failure.
 */
struct fw_cfg *fw_cfg_new(struct guest_mem *mem, struct logger *log);
void fw_cfg_free(struct fw_cfg *fc);

/*
 * Items. Data is copied. Adding a key twice replaces it. Files get keys
 * FW_CFG_FILE_FIRST.. in name order (the directory is sorted), so a key is
 * only stable once every file is added; firmware reads the directory.
 * 0, -EINVAL (bad key or name), -ENOSPC (too many files), -ENOMEM.
 */
int fw_cfg_add_bytes(struct fw_cfg *fc, uint16_t key, const void *data, size_t len);
int fw_cfg_add_i16(struct fw_cfg *fc, uint16_t key, uint16_t v);
int fw_cfg_add_i32(struct fw_cfg *fc, uint16_t key, uint32_t v);
int fw_cfg_add_i64(struct fw_cfg *fc, uint16_t key, uint64_t v);
int fw_cfg_add_file(struct fw_cfg *fc, const char *name, const void *data, size_t len);
/* A file the guest may overwrite (same size) through DMA writes. */
int fw_cfg_add_file_writable(struct fw_cfg *fc, const char *name, const void *data,
			     size_t len, fw_cfg_write_cb cb, void *opaque);
/*
 * Called (under the device lock) each time the guest selects the file,
 * before it reads: it may rewrite the contents in place, same size, to
 * reflect what the guest has set up meanwhile (QEMU rebuilds its ACPI
 * tables this way once firmware has programmed the chipset).
 */
typedef void (*fw_cfg_select_cb)(void *opaque, uint8_t *data, uint32_t len);
int fw_cfg_set_select_cb(struct fw_cfg *fc, const char *name, fw_cfg_select_cb cb,
			 void *opaque);

/* Current contents of a file (NULL if absent); for the VMM side. */
const uint8_t *fw_cfg_file_data(struct fw_cfg *fc, const char *name, size_t *len);

/* Guest-facing register access (what the bus handlers call). */
uint64_t fw_cfg_io_read(struct fw_cfg *fc, uint16_t port, unsigned size);
void fw_cfg_io_write(struct fw_cfg *fc, uint16_t port, uint64_t value, unsigned size);

/* Reset (selects the signature), save/load (selection, offset, DMA
 * register, writable files), destroy. */
struct device_ops;
extern const struct device_ops fw_cfg_device_ops;

/* Creates the device on the machine (ports, reset, save/load) and fills it
 * with what the PC machine offers firmware (fw_cfg_pc.c). */
int fw_cfg_init(struct machine *m, char *err, size_t err_len);

/* The PC machine's items; on a device made by fw_cfg_new() (tests). */
int fw_cfg_pc_populate(struct fw_cfg *fc, struct machine *m, char *err, size_t err_len);
/* The kernel loader items (fw_cfg_kernel.c): a --kernel bzImage, --initrd
 * and --append handed to the firmware (--uefi, or --bios with the linuxboot
 * option ROM); nothing without firmware. */
int fw_cfg_pc_add_kernel(struct fw_cfg *fc, struct machine *m, char *err, size_t err_len);

#endif
