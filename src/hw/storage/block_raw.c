/*
 * Raw image backend: the file (or block device) is the disk, byte for
 * byte. pread/pwrite at the guest's offsets; flush is fdatasync. A size
 * that is not a whole number of sectors is rounded down (the tail is not
 * addressable, as with QEMU).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/storage/block.h"

struct block_raw {
	struct block_backend b;
	int fd;
};

static int raw_read(struct block_backend *b, uint64_t off, void *buf, size_t len)
{
	struct block_raw *r = (struct block_raw *)b;
	uint8_t *p = buf;
	while (len) {
		ssize_t n = pread(r->fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {                 /* the file shrank under us: zeros */
			memset(p, 0, len);
			return 0;
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static int raw_write(struct block_backend *b, uint64_t off, const void *buf, size_t len)
{
	struct block_raw *r = (struct block_raw *)b;
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = pwrite(r->fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static int raw_flush(struct block_backend *b)
{
	struct block_raw *r = (struct block_raw *)b;
	return fdatasync(r->fd) ? -errno : 0;
}

static void raw_close(struct block_backend *b)
{
	struct block_raw *r = (struct block_raw *)b;
	close(r->fd);
	free(b->path);
	free(r);
}

static const struct block_ops raw_ops = {
	.format = "raw",
	.read = raw_read,
	.write = raw_write,
	.flush = raw_flush,
	.close = raw_close,
};

struct block_backend *block_raw_open(const char *path, bool readonly, char *err,
				     size_t err_len)
{
	int fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, err_len, "disk %s: cannot open %s: %s%s", path,
			 readonly ? "read-only" : "read-write", strerror(e),
			 !readonly && (e == EACCES || e == EROFS) ? " (add ,readonly to use it read-only)"
								  : "");
		return NULL;
	}
	struct stat st;
	uint64_t size = 0;
	if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size))
			size = 0;
	} else if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		size = st.st_size;
	} else {
		snprintf(err, err_len, "disk %s: not a regular file or block device", path);
		close(fd);
		return NULL;
	}
	size -= size % BLOCK_SECTOR;
	if (!size) {
		snprintf(err, err_len, "disk %s: image is empty (smaller than one 512-byte sector)",
			 path);
		close(fd);
		return NULL;
	}
	struct block_raw *r = calloc(1, sizeof(*r));
	char *p = strdup(path);
	if (!r || !p) {
		free(r);
		free(p);
		close(fd);
		snprintf(err, err_len, "disk %s: out of memory", path);
		return NULL;
	}
	r->fd = fd;
	r->b.ops = &raw_ops;
	r->b.size = size;
	r->b.readonly = readonly;
	r->b.path = p;
	return &r->b;
}
