/*
 * Block I/O worker pool (see blkqueue.h).
 *
 * State: a FIFO of pending requests, `inflight` being served by workers,
 * and `barrier` true while a FLUSH runs or waits. Invariants: a worker
 * takes the head of the FIFO only if no barrier is active; it takes a FLUSH
 * only when inflight == 0, and sets `barrier` until the flush completes.
 */
#include "hw/storage/blkqueue.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop.h"

#define BLKQ_MAX_WORKERS 8

struct blkqueue {
	const struct blk_backend_ops *ops;
	void *be;
	pthread_mutex_t lock;
	pthread_cond_t work, idle;
	struct blk_req *head, *tail;
	unsigned inflight;
	bool barrier;
	bool quit;
	unsigned nworkers;
	pthread_t workers[BLKQ_MAX_WORKERS];
	struct blk_stats stats;
};

static uint64_t iov_total(const struct iovec *iov, unsigned n)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

static int write_zeroes(struct blkqueue *q, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[65536];
	while (len) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		struct iovec v = { (void *)zeros, n };
		int rc = q->ops->writev(q->be, off, &v, 1);
		if (rc)
			return rc;
		off += n;
		len -= n;
	}
	return 0;
}

static int execute(struct blkqueue *q, struct blk_req *r)
{
	switch (r->op) {
	case BLK_READ: return q->ops->readv(q->be, r->offset, r->iov, r->niov);
	case BLK_WRITE: return q->ops->writev(q->be, r->offset, r->iov, r->niov);
	case BLK_FLUSH: return q->ops->flush ? q->ops->flush(q->be) : 0;
	case BLK_DISCARD: return q->ops->discard ? q->ops->discard(q->be, r->offset, r->len) : 0;
	case BLK_WRITE_ZEROES: return write_zeroes(q, r->offset, r->len);
	}
	return -EINVAL;
}

static void account(struct blkqueue *q, struct blk_req *r, int rc)
{
	uint64_t us = (clock_ns() - r->submit_ns) / 1000;
	struct blk_stats *s = &q->stats;
	if (rc)
		s->errors++;
	switch (r->op) {
	case BLK_READ: s->reads++; if (!rc) s->bytes_read += iov_total(r->iov, r->niov); break;
	case BLK_WRITE: s->writes++; if (!rc) s->bytes_written += iov_total(r->iov, r->niov); break;
	case BLK_FLUSH: s->flushes++; break;
	default: s->discards++; break;
	}
	s->lat_total_us += us;
	s->lat_count++;
	unsigned b = 0;
	while (b < BLK_LAT_BUCKETS - 1 && us >= (1ULL << b))
		b++;
	s->lat_hist[b]++;
}

static void *worker(void *arg)
{
	struct blkqueue *q = arg;
	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct blk_req *r = q->head;
		bool can = r && !q->barrier && (r->op != BLK_FLUSH || q->inflight == 0);
		if (!can) {
			if (q->quit && !q->head)
				break;
			pthread_cond_wait(&q->work, &q->lock);
			continue;
		}
		q->head = r->next;
		if (!q->head)
			q->tail = NULL;
		q->inflight++;
		if (r->op == BLK_FLUSH)
			q->barrier = true;
		pthread_mutex_unlock(&q->lock);

		int rc = execute(q, r);

		pthread_mutex_lock(&q->lock);
		account(q, r, rc);
		bool was_flush = r->op == BLK_FLUSH;
		pthread_mutex_unlock(&q->lock);
		/* Completion runs before the request stops counting as in flight,
		 * so drain() returns only after every callback has run. */
		r->done(r, rc);    /* may free r */
		pthread_mutex_lock(&q->lock);
		q->inflight--;
		if (was_flush)
			q->barrier = false;
		pthread_cond_broadcast(&q->work);
		if (!q->inflight && !q->head)
			pthread_cond_broadcast(&q->idle);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

struct blkqueue *blkqueue_new(const struct blk_backend_ops *ops, void *backend, unsigned workers)
{
	struct blkqueue *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->ops = ops;
	q->be = backend;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->idle, NULL);
	if (workers < 1)
		workers = 1;
	if (workers > BLKQ_MAX_WORKERS)
		workers = BLKQ_MAX_WORKERS;
	for (unsigned i = 0; i < workers; i++) {
		if (pthread_create(&q->workers[i], NULL, worker, q))
			break;
		q->nworkers++;
	}
	if (!q->nworkers) {
		free(q);
		return NULL;
	}
	return q;
}

void blkqueue_submit(struct blkqueue *q, struct blk_req *r)
{
	r->submit_ns = clock_ns();
	r->next = NULL;
	pthread_mutex_lock(&q->lock);
	if (q->tail)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
	pthread_cond_broadcast(&q->work);
	pthread_mutex_unlock(&q->lock);
}

void blkqueue_drain(struct blkqueue *q)
{
	pthread_mutex_lock(&q->lock);
	while (q->head || q->inflight)
		pthread_cond_wait(&q->idle, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

void blkqueue_stats(struct blkqueue *q, struct blk_stats *out)
{
	pthread_mutex_lock(&q->lock);
	*out = q->stats;
	pthread_mutex_unlock(&q->lock);
}

void blkqueue_free(struct blkqueue *q)
{
	if (!q)
		return;
	blkqueue_drain(q);
	pthread_mutex_lock(&q->lock);
	q->quit = true;
	pthread_cond_broadcast(&q->work);
	pthread_mutex_unlock(&q->lock);
	for (unsigned i = 0; i < q->nworkers; i++)
		pthread_join(q->workers[i], NULL);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->work);
	pthread_cond_destroy(&q->idle);
	free(q);
}
