/*
 * Shared rig of the register-level comparisons against QEMU
 * (test_dev_qemu.c, test_pci_qemu.c): a real-mode program runs as the
 * firmware of both machines and writes every value it reads to the debug
 * console at 0x402; the two report streams must match byte for byte,
 * except at listed deviations where we follow the datasheet or the
 * standard instead of QEMU (each says why).
 */
#ifndef NYX_TEST_QEMU_DIFF_H
#define NYX_TEST_QEMU_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/machine.h"

struct qdiff_deviation {
	unsigned index;           /* byte of the report stream */
	uint8_t qemu, ours;
	const char *why;
};

/* Writes a 64 KiB firmware image: `code` at offset 0, the reset vector
 * jumps there. */
bool qdiff_write_bios(const char *path, const uint8_t *code, size_t len);

/* Runs the image on QEMU 7.2's pc machine (TCG), with `disk` (raw) as the
 * primary IDE disk when not NULL; the report goes to `out`. Returns QEMU's
 * exit status (isa-debug-exit at 0xF4), -1 on failure or after ~60 s. */
int qdiff_run_qemu(const char *img, const char *disk, const char *out);

/* The same on our machine with the given CPU backend. */
int qdiff_run_nyx(const char *img, const char *disk, const char *out, enum accel_kind accel);

/* Fails the test at every byte where the streams differ, other than the
 * deviations (where both sides must hold exactly the listed values). */
void qdiff_compare(const char *q, long ql, const char *n, long nl, const char *backend,
		   const struct qdiff_deviation *dev, size_t ndev);

#endif
