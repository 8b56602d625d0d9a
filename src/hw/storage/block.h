/*
 * Block backends: what a disk controller reads and writes. A backend is a
 * byte-addressed virtual disk of `size` bytes; controllers call it with
 * sector-aligned offsets and lengths. Calls are synchronous today and may
 * be made from any thread (vCPU threads); an async submit with a completion
 * callback will be added beside these ops without changing them, so a
 * controller that models a command as "start -> completion" keeps working.
 *
 * block_open() picks the format: format=raw, format=qcow2, or by content
 * (qcow2 magic "QFI\xfb", else raw).
 */
#ifndef NYX_HW_STORAGE_BLOCK_H
#define NYX_HW_STORAGE_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLOCK_SECTOR 512

struct disk_config;
struct block_backend;

struct block_ops {
	const char *format;      /* "raw", ... */
	/* 0 or negative errno; the whole range or nothing is reported done. */
	int (*read)(struct block_backend *b, uint64_t off, void *buf, size_t len);
	int (*write)(struct block_backend *b, uint64_t off, const void *buf, size_t len);
	int (*flush)(struct block_backend *b);
	void (*close)(struct block_backend *b);
};

struct block_backend {
	const struct block_ops *ops;
	uint64_t size;           /* bytes, a multiple of BLOCK_SECTOR */
	bool readonly;
	char *path;
	/* I/O statistics (metrics). */
	uint64_t rd_bytes, wr_bytes, rd_ops, wr_ops, flushes;
};

/* Opens the disk a config names; NULL with err saying why (file, reason). */
struct block_backend *block_open(const struct disk_config *dc, char *err, size_t err_len);
/* Raw image file (or block device) at path. */
struct block_backend *block_raw_open(const char *path, bool readonly, char *err,
				     size_t err_len);
/* qcow2 image (versions 2 and 3) at path. */
struct block_backend *block_qcow2_open(const char *path, bool readonly, char *err,
				       size_t err_len);
void block_close(struct block_backend *b);

/* Range-checked wrappers: -EINVAL outside the disk, -EROFS for read-only. */
int block_read(struct block_backend *b, uint64_t off, void *buf, size_t len);
int block_write(struct block_backend *b, uint64_t off, const void *buf, size_t len);
int block_flush(struct block_backend *b);

#endif
