/*
 * virtio-blk (virtio 1.1 section 5.2) over the virtio PCI transport.
 * Requests are parsed on the vCPU thread that kicked the queue and run on
 * the disk's I/O workers (hw/storage/blkqueue); completions push the used
 * ring and interrupt from the worker thread.
 *
 * Request layout: out: header {le32 type, le32 reserved, le64 sector},
 * then data (writes) or segments (discard/write zeroes); in: data (reads,
 * GET_ID) and finally one status byte.
 */
#include "hw/virtio/virtio_blk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "hw/storage/blkqueue.h"
#include "hw/storage/block.h"
#include "hw/virtio/virtio_pci.h"

#define VIRTIO_BLK_F_SEG_MAX (1ULL << 2)
#define VIRTIO_BLK_F_RO (1ULL << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ULL << 6)
#define VIRTIO_BLK_F_FLUSH (1ULL << 9)
#define VIRTIO_BLK_F_DISCARD (1ULL << 13)
#define VIRTIO_BLK_F_WRITE_ZEROES (1ULL << 14)

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define QUEUE_SIZE 256
#define SEG_MAX (QUEUE_SIZE - 2)
#define CONFIG_SIZE 60
#define MAX_DISCARD_SECTORS 0x3FFFFF

struct virtio_blk {
	struct virtio_dev vd;
	struct block_backend *be;
	struct blkqueue *q;
	char serial[20];
	unsigned inflight;
	pthread_cond_t idle;
};

struct vblk_req {
	struct blk_req br;
	struct virtio_blk *blk;
	struct virtq_elem elem;
	uint8_t *status;
	uint32_t written;
	struct iovec data[VIRTQ_MAX_SEGS];
	unsigned ndata;
};

static void put_le16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put_le32(uint8_t *p, uint32_t v) { put_le16(p, v); put_le16(p + 2, v >> 16); }

static void blk_config_read(struct virtio_dev *vd, unsigned off, void *buf, unsigned len)
{
	struct virtio_blk *b = vd->opaque;
	uint8_t c[CONFIG_SIZE];
	memset(c, 0, sizeof(c));
	uint64_t sectors = b->be->size / 512;
	put_le32(c, (uint32_t)sectors);
	put_le32(c + 4, (uint32_t)(sectors >> 32));
	put_le32(c + 12, SEG_MAX);
	put_le32(c + 20, 512);                      /* blk_size */
	put_le16(c + 34, 1);                        /* num_queues */
	put_le32(c + 36, MAX_DISCARD_SECTORS);
	put_le32(c + 40, 1);
	put_le32(c + 44, 1);
	put_le32(c + 48, MAX_DISCARD_SECTORS);
	put_le32(c + 52, 1);
	if (off + len <= CONFIG_SIZE)
		memcpy(buf, c + off, len);
}

/* Adapters from the synchronous block backend to the I/O engine. */
static int be_readv(void *opaque, uint64_t off, const struct iovec *iov, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		int rc = block_read(opaque, off, iov[i].iov_base, iov[i].iov_len);
		if (rc)
			return rc;
		off += iov[i].iov_len;
	}
	return 0;
}

static int be_writev(void *opaque, uint64_t off, const struct iovec *iov, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		int rc = block_write(opaque, off, iov[i].iov_base, iov[i].iov_len);
		if (rc)
			return rc;
		off += iov[i].iov_len;
	}
	return 0;
}

static int be_flush(void *opaque) { return block_flush(opaque); }

static const struct blk_backend_ops be_ops = { be_readv, be_writev, be_flush, NULL };

static void complete(struct vblk_req *r, uint8_t status)
{
	struct virtio_blk *b = r->blk;
	*r->status = status;
	pthread_mutex_lock(&b->vd.lock);
	virtq_push(&b->vd.vq[0], &r->elem, r->written + 1);
	virtio_notify_queue(&b->vd, 0);
	if (--b->inflight == 0)
		pthread_cond_broadcast(&b->idle);
	pthread_mutex_unlock(&b->vd.lock);
	free(r);
}

static void io_done(struct blk_req *br, int rc)
{
	struct vblk_req *r = (struct vblk_req *)br;
	if (rc && log_ratelimit_ok(&r->blk->vd.rl, 5))
		LOG(r->blk->vd.m->log, LOG_WARN, r->blk->vd.pci.name, "I/O error at sector %llu: %s",
		    (unsigned long long)(br->offset / 512), strerror(-rc));
	complete(r, rc ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
}

/* Splits the element into header / data / status. Returns 0 or -EIO. */
static int parse(struct vblk_req *r, uint32_t *type, uint64_t *sector)
{
	struct virtq_elem *e = &r->elem;
	uint8_t hdr[16];
	if (e->out_len < 16 || e->in_len < 1 ||
	    iov_to_buf(e->out, e->out_num, 0, hdr, 16) != 16)
		return -EIO;
	memcpy(type, hdr, 4);
	memcpy(sector, hdr + 8, 8);
	/* Status: the last byte of the last writable segment. */
	struct iovec *last = &e->in[e->in_num - 1];
	r->status = (uint8_t *)last->iov_base + last->iov_len - 1;
	r->ndata = 0;
	if (*type == VIRTIO_BLK_T_OUT) {
		size_t skip = 16;
		for (unsigned i = 0; i < e->out_num; i++) {
			if (skip >= e->out[i].iov_len) {
				skip -= e->out[i].iov_len;
				continue;
			}
			r->data[r->ndata++] = (struct iovec){ (uint8_t *)e->out[i].iov_base + skip,
							      e->out[i].iov_len - skip };
			skip = 0;
		}
	} else {
		for (unsigned i = 0; i < e->in_num; i++) {
			size_t len = e->in[i].iov_len - (i == e->in_num - 1 ? 1 : 0);
			if (len)
				r->data[r->ndata++] = (struct iovec){ e->in[i].iov_base, len };
		}
	}
	return 0;
}

static uint64_t data_len(const struct vblk_req *r)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < r->ndata; i++)
		t += r->data[i].iov_len;
	return t;
}

/* Caller holds the device lock (dropped around nothing: submit is cheap). */
static void start(struct virtio_blk *b, struct vblk_req *r)
{
	uint32_t type;
	uint64_t sector;
	if (parse(r, &type, &sector)) {
		virtio_set_needs_reset(&b->vd, "virtio-blk request without header or status byte");
		free(r);
		return;
	}
	b->inflight++;
	uint64_t len = data_len(r);
	bool in_range = sector <= b->be->size / 512 && len <= b->be->size - sector * 512;
	r->br = (struct blk_req){ .offset = sector * 512, .iov = r->data, .niov = r->ndata,
				  .done = io_done };
	switch (type) {
	case VIRTIO_BLK_T_IN:
		if (!in_range || len % 512)
			break;
		r->written = (uint32_t)len;
		r->br.op = BLK_READ;
		blkqueue_submit(b->q, &r->br);
		return;
	case VIRTIO_BLK_T_OUT:
		if (!in_range || len % 512 || b->be->readonly)
			break;
		r->br.op = BLK_WRITE;
		blkqueue_submit(b->q, &r->br);
		return;
	case VIRTIO_BLK_T_FLUSH:
		r->br.op = BLK_FLUSH;
		blkqueue_submit(b->q, &r->br);
		return;
	case VIRTIO_BLK_T_GET_ID: {
		size_t n = iov_from_buf(r->data, r->ndata, 0, b->serial, sizeof(b->serial));
		r->written = (uint32_t)n;
		pthread_mutex_unlock(&b->vd.lock);
		complete(r, VIRTIO_BLK_S_OK);
		pthread_mutex_lock(&b->vd.lock);
		return;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES: {
		uint8_t seg[16];
		if (r->elem.out_len != 32 || b->be->readonly ||
		    iov_to_buf(r->elem.out, r->elem.out_num, 16, seg, 16) != 16)
			break;
		uint64_t s;
		uint32_t n;
		memcpy(&s, seg, 8);
		memcpy(&n, seg + 8, 4);
		if (n > MAX_DISCARD_SECTORS || s > b->be->size / 512 ||
		    (uint64_t)n * 512 > b->be->size - s * 512)
			break;
		r->br.op = type == VIRTIO_BLK_T_DISCARD ? BLK_DISCARD : BLK_WRITE_ZEROES;
		r->br.offset = s * 512;
		r->br.len = (uint64_t)n * 512;
		blkqueue_submit(b->q, &r->br);
		return;
	}
	default:
		pthread_mutex_unlock(&b->vd.lock);
		complete(r, VIRTIO_BLK_S_UNSUPP);
		pthread_mutex_lock(&b->vd.lock);
		return;
	}
	pthread_mutex_unlock(&b->vd.lock);
	complete(r, VIRTIO_BLK_S_IOERR);
	pthread_mutex_lock(&b->vd.lock);
}

static void blk_notify(struct virtio_dev *vd, unsigned q)
{
	struct virtio_blk *b = vd->opaque;
	pthread_mutex_lock(&vd->lock);
	for (;;) {
		struct vblk_req *r = malloc(sizeof(*r));
		if (!r)
			break;
		r->blk = b;
		int rc = virtq_pop(&vd->vq[0], &r->elem);
		if (rc <= 0) {
			free(r);
			if (rc < 0)
				virtio_set_needs_reset(vd, "malformed descriptor chain");
			break;
		}
		start(b, r);
	}
	pthread_mutex_unlock(&vd->lock);
}

/* Lock held: wait for in-flight requests before forgetting the rings. */
static void blk_reset(struct virtio_dev *vd)
{
	struct virtio_blk *b = vd->opaque;
	while (b->inflight)
		pthread_cond_wait(&b->idle, &vd->lock);
}

static const struct virtio_dev_ops blk_ops = {
	.device_type = 2,
	.class_code = 0x010000,     /* mass storage, SCSI (what QEMU reports) */
	.nqueues = 1,
	.queue_max = QUEUE_SIZE,
	.config_size = CONFIG_SIZE,
	.config_read = blk_config_read,
	.queue_notify = blk_notify,
	.reset = blk_reset,
};

struct virtio_blk *virtio_blk_create(struct machine *m, struct pci_bus *bus, unsigned devfn,
				     struct block_backend *be, unsigned index, char *err,
				     size_t err_len)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	b->be = be;
	pthread_cond_init(&b->idle, NULL);
	snprintf(b->serial, sizeof(b->serial), "NYX-VD%u", index);
	bool qcow2 = be->ops->format && !strcmp(be->ops->format, "qcow2");
	b->q = blkqueue_new(&be_ops, be, qcow2 ? 1 : 4);
	uint64_t features = VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH |
			    VIRTIO_BLK_F_DISCARD | VIRTIO_BLK_F_WRITE_ZEROES;
	if (be->readonly)
		features |= VIRTIO_BLK_F_RO;
	char name[32];
	snprintf(name, sizeof(name), "virtio-blk%u", index);
	int rc = b->q ? virtio_pci_init(&b->vd, m, bus, devfn, name, &blk_ops, features, b) : -ENOMEM;
	if (rc) {
		snprintf(err, err_len, "virtio-blk %s: cannot create the device: %s", be->path,
			 strerror(-rc));
		virtio_blk_destroy(b);
		return NULL;
	}
	return b;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	blkqueue_free(b->q);
	virtio_pci_destroy(&b->vd);
	pthread_cond_destroy(&b->idle);
	free(b);
}

void virtio_blk_stats(struct virtio_blk *b, struct blk_stats *out)
{
	blkqueue_stats(b->q, out);
}
