/* Block I/O engine: completion off the submitting thread, flush ordering,
 * statistics. The backend here records the order operations reach it. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "hw/storage/blkqueue.h"

struct fake_disk {
	pthread_mutex_t lock;
	uint8_t data[65536];
	char log[256];
	unsigned nlog;
	int writes_in_flight_at_flush;
	int inflight;
};

static void note(struct fake_disk *d, char c)
{
	pthread_mutex_lock(&d->lock);
	if (d->nlog < sizeof(d->log) - 1)
		d->log[d->nlog++] = c;
	pthread_mutex_unlock(&d->lock);
}

static int f_writev(void *be, uint64_t off, const struct iovec *iov, unsigned n)
{
	struct fake_disk *d = be;
	__atomic_fetch_add(&d->inflight, 1, __ATOMIC_SEQ_CST);
	usleep(2000);   /* slow enough that a wrong ordering would show */
	for (unsigned i = 0; i < n; i++) {
		if (off + iov[i].iov_len > sizeof(d->data)) {
			__atomic_fetch_sub(&d->inflight, 1, __ATOMIC_SEQ_CST);
			return -22;
		}
		memcpy(d->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	note(d, 'W');
	__atomic_fetch_sub(&d->inflight, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static int f_readv(void *be, uint64_t off, const struct iovec *iov, unsigned n)
{
	struct fake_disk *d = be;
	for (unsigned i = 0; i < n; i++) {
		memcpy(iov[i].iov_base, d->data + off, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	note(d, 'R');
	return 0;
}

static int f_flush(void *be)
{
	struct fake_disk *d = be;
	d->writes_in_flight_at_flush += __atomic_load_n(&d->inflight, __ATOMIC_SEQ_CST);
	note(d, 'F');
	return 0;
}

static const struct blk_backend_ops fake_ops = { f_readv, f_writev, f_flush, NULL };

static int completed, errors;
static pthread_t submitter;
static int on_submitter;

static void done(struct blk_req *r, int status)
{
	if (pthread_equal(pthread_self(), submitter))
		__atomic_fetch_add(&on_submitter, 1, __ATOMIC_SEQ_CST);
	if (status)
		__atomic_fetch_add(&errors, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&completed, 1, __ATOMIC_SEQ_CST);
}

TEST(blkqueue_flush_is_a_barrier)
{
	struct fake_disk *d = calloc(1, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	struct blkqueue *q = blkqueue_new(&fake_ops, d, 4);
	REQUIRE(q);
	submitter = pthread_self();
	static uint8_t bufs[8][512];
	static struct iovec iov[8];
	static struct blk_req reqs[9];
	/* 4 writes, a flush, 4 writes: the flush must come after the first
	 * four and before the last four, with no write in flight during it. */
	for (int i = 0; i < 9; i++) {
		int w = i < 4 ? i : i - 1;
		if (i == 4) {
			reqs[i] = (struct blk_req){ .op = BLK_FLUSH, .done = done };
		} else {
			memset(bufs[w], 'a' + w, 512);
			iov[w] = (struct iovec){ bufs[w], 512 };
			reqs[i] = (struct blk_req){ .op = BLK_WRITE, .offset = 512ULL * w,
						    .iov = &iov[w], .niov = 1, .done = done };
		}
		blkqueue_submit(q, &reqs[i]);
	}
	blkqueue_drain(q);
	CHECK_EQ(completed, 9);
	CHECK_EQ(on_submitter, 0);
	CHECK_STR(d->log, "WWWWFWWWW");
	CHECK_EQ(d->writes_in_flight_at_flush, 0);
	CHECK_EQ(d->data[512 * 7], 'h');
	struct blk_stats st;
	blkqueue_stats(q, &st);
	CHECK_EQ(st.writes, 8);
	CHECK_EQ(st.flushes, 1);
	CHECK_EQ(st.bytes_written, 8 * 512);
	CHECK_EQ(st.lat_count, 9);
	/* A failing request is counted and reported. */
	static struct iovec bad = { NULL, 4096 };
	static uint8_t big[4096];
	bad.iov_base = big;
	static struct blk_req r;
	r = (struct blk_req){ .op = BLK_WRITE, .offset = 65536 - 100, .iov = &bad, .niov = 1,
			      .done = done };
	blkqueue_submit(q, &r);
	blkqueue_drain(q);
	CHECK_EQ(errors, 1);
	blkqueue_stats(q, &st);
	CHECK_EQ(st.errors, 1);
	blkqueue_free(q);
	free(d);
}
