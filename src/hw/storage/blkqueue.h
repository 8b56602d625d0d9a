/*
 * Asynchronous block I/O engine: requests from device models (virtio-blk,
 * AHCI, IDE DMA) complete off the vCPU thread, on a small pool of worker
 * threads per disk, with per-disk metrics.
 *
 * Why a thread pool and not io_uring: the qcow2 backend does metadata work
 * between data I/O (allocation, refcounts, copy on write) that is synchronous
 * by nature; a pool serves raw and qcow2 alike. Measured in bench/.
 *
 * Ordering: a FLUSH is a barrier. It starts only when every request
 * submitted before it has completed, and requests submitted after it start
 * only once it has completed, so "write, flush" reaches the disk in order.
 * Backends that are not thread safe (qcow2) get one worker.
 */
#ifndef NYX_HW_STORAGE_BLKQUEUE_H
#define NYX_HW_STORAGE_BLKQUEUE_H

#include <stdint.h>
#include <sys/uio.h>

enum blk_op { BLK_READ, BLK_WRITE, BLK_FLUSH, BLK_DISCARD, BLK_WRITE_ZEROES };

struct blk_backend_ops {
	int (*readv)(void *be, uint64_t off, const struct iovec *iov, unsigned n);
	int (*writev)(void *be, uint64_t off, const struct iovec *iov, unsigned n);
	int (*flush)(void *be);
	/* Optional (NULL: discard is a no-op, write-zeroes writes zeros). */
	int (*discard)(void *be, uint64_t off, uint64_t len);
};

struct blk_req {
	enum blk_op op;
	uint64_t offset;
	uint64_t len;                /* DISCARD / WRITE_ZEROES */
	const struct iovec *iov;
	unsigned niov;
	/* Called on a worker thread when the request is done (0 or -errno). */
	void (*done)(struct blk_req *req, int status);
	void *opaque;
	/* engine private */
	uint64_t submit_ns;
	struct blk_req *next;
};

#define BLK_LAT_BUCKETS 24   /* bucket i: latency < 2^i microseconds */

struct blk_stats {
	uint64_t reads, writes, flushes, discards, errors;
	uint64_t bytes_read, bytes_written;
	uint64_t lat_total_us, lat_count;
	uint64_t lat_hist[BLK_LAT_BUCKETS];
};

struct blkqueue;

struct blkqueue *blkqueue_new(const struct blk_backend_ops *ops, void *backend,
			      unsigned workers);
void blkqueue_free(struct blkqueue *q);     /* drains first */
void blkqueue_submit(struct blkqueue *q, struct blk_req *req);
/* Waits until every submitted request has completed (reset, snapshot). */
void blkqueue_drain(struct blkqueue *q);
void blkqueue_stats(struct blkqueue *q, struct blk_stats *out);

#endif
