/* Block backend over a qcow2 image (hw/storage/qcow2.c). The qcow2 code is
 * single threaded; a mutex serialises controllers on several threads. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "hw/storage/block.h"
#include "hw/storage/qcow2.h"

struct block_qcow2 {
	struct block_backend b;
	struct qcow2 *q;
	pthread_mutex_t lock;
	struct log_ratelimit rl;
};

static int report(struct block_qcow2 *bq, int rc)
{
	if (rc && log_ratelimit_ok(&bq->rl, 5))
		LOG(logger_global(), LOG_ERROR, "qcow2", "%s", qcow2_error(bq->q));
	return rc;
}

static int q_read(struct block_backend *b, uint64_t off, void *buf, size_t len)
{
	struct block_qcow2 *bq = (struct block_qcow2 *)b;
	pthread_mutex_lock(&bq->lock);
	int rc = report(bq, qcow2_read(bq->q, off, buf, len));
	pthread_mutex_unlock(&bq->lock);
	return rc;
}

static int q_write(struct block_backend *b, uint64_t off, const void *buf, size_t len)
{
	struct block_qcow2 *bq = (struct block_qcow2 *)b;
	pthread_mutex_lock(&bq->lock);
	int rc = report(bq, qcow2_write(bq->q, off, buf, len));
	pthread_mutex_unlock(&bq->lock);
	return rc;
}

static int q_flush(struct block_backend *b)
{
	struct block_qcow2 *bq = (struct block_qcow2 *)b;
	pthread_mutex_lock(&bq->lock);
	int rc = report(bq, qcow2_flush(bq->q));
	pthread_mutex_unlock(&bq->lock);
	return rc;
}

static void q_close(struct block_backend *b)
{
	struct block_qcow2 *bq = (struct block_qcow2 *)b;
	qcow2_close(bq->q);
	pthread_mutex_destroy(&bq->lock);
	free(bq->b.path);
	free(bq);
}

static const struct block_ops qcow2_block_ops = {
	.format = "qcow2",
	.read = q_read,
	.write = q_write,
	.flush = q_flush,
	.close = q_close,
};

struct block_backend *block_qcow2_open(const char *path, bool readonly, char *err,
				       size_t err_len)
{
	char why[256];
	struct qcow2 *q = qcow2_open(path, readonly, why, sizeof(why));
	if (!q) {
		snprintf(err, err_len, "disk %s", why);
		return NULL;
	}
	struct block_qcow2 *bq = calloc(1, sizeof(*bq));
	if (!bq || !(bq->b.path = strdup(path))) {
		free(bq);
		qcow2_close(q);
		snprintf(err, err_len, "disk %s: out of memory", path);
		return NULL;
	}
	bq->q = q;
	pthread_mutex_init(&bq->lock, NULL);
	bq->b.ops = &qcow2_block_ops;
	bq->b.size = qcow2_size(q) - qcow2_size(q) % BLOCK_SECTOR;
	bq->b.readonly = readonly;
	return &bq->b;
}
