/*
 * Block backend front end: format selection (by the config or by the
 * image's first bytes) and range-checked calls into the backend.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/machine.h"
#include "hw/storage/block.h"

static const uint8_t qcow2_magic[4] = { 'Q', 'F', 'I', 0xfb };

struct block_backend *block_open(const struct disk_config *dc, char *err, size_t err_len)
{
	enum disk_format fmt = dc->format;
	if (fmt == DISK_FMT_AUTO) {
		uint8_t head[4] = { 0 };
		int fd = open(dc->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(err, err_len, "disk %s: cannot open: %s", dc->path, strerror(errno));
			return NULL;
		}
		ssize_t n = pread(fd, head, sizeof(head), 0);
		close(fd);
		fmt = n == sizeof(head) && !memcmp(head, qcow2_magic, 4) ? DISK_FMT_QCOW2 : DISK_FMT_RAW;
	}
	if (fmt == DISK_FMT_QCOW2)
		return block_qcow2_open(dc->path, dc->readonly, err, err_len);
	return block_raw_open(dc->path, dc->readonly, err, err_len);
}

void block_close(struct block_backend *b)
{
	if (b)
		b->ops->close(b);
}

static bool in_range(const struct block_backend *b, uint64_t off, size_t len)
{
	return off <= b->size && len <= b->size - off;
}

int block_read(struct block_backend *b, uint64_t off, void *buf, size_t len)
{
	if (!in_range(b, off, len))
		return -EINVAL;
	int rc = b->ops->read(b, off, buf, len);
	if (!rc) {
		__atomic_fetch_add(&b->rd_bytes, len, __ATOMIC_RELAXED);
		__atomic_fetch_add(&b->rd_ops, 1, __ATOMIC_RELAXED);
	}
	return rc;
}

int block_write(struct block_backend *b, uint64_t off, const void *buf, size_t len)
{
	if (b->readonly)
		return -EROFS;
	if (!in_range(b, off, len))
		return -EINVAL;
	int rc = b->ops->write(b, off, buf, len);
	if (!rc) {
		__atomic_fetch_add(&b->wr_bytes, len, __ATOMIC_RELAXED);
		__atomic_fetch_add(&b->wr_ops, 1, __ATOMIC_RELAXED);
	}
	return rc;
}

int block_flush(struct block_backend *b)
{
	if (b->readonly)
		return 0;
	__atomic_fetch_add(&b->flushes, 1, __ATOMIC_RELAXED);
	return b->ops->flush(b);
}
