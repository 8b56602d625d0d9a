/* Split virtqueue processing (device side); see virtqueue.h. */
#include "hw/virtio/virtqueue.h"

#include <errno.h>
#include <string.h>

#include "core/memory.h"

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

void virtq_init(struct virtq *vq, struct guest_mem *mem)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
}

void virtq_reset(struct virtq *vq)
{
	struct guest_mem *mem = vq->mem;
	uint16_t size = vq->size;
	virtq_init(vq, mem);
	vq->size = size;
}

static uint64_t avail_bytes(const struct virtq *vq) { return 6 + 2ULL * vq->size; }
static uint64_t used_bytes(const struct virtq *vq) { return 6 + 8ULL * vq->size; }

int virtq_enable(struct virtq *vq)
{
	if (!vq->size || vq->size > VIRTQ_MAX_SIZE || (vq->size & (vq->size - 1)))
		return -EINVAL;
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return -EINVAL;
	if (!gpa_map(vq->mem, vq->desc_gpa, 16ULL * vq->size, false) ||
	    !gpa_map(vq->mem, vq->avail_gpa, avail_bytes(vq), false) ||
	    !gpa_map(vq->mem, vq->used_gpa, used_bytes(vq), true))
		return -EINVAL;
	vq->ready = true;
	return 0;
}

static uint16_t *avail_ptr(struct virtq *vq, unsigned off)
{
	return gpa_map(vq->mem, vq->avail_gpa + off, 2, false);
}

static void *used_ptr(struct virtq *vq, unsigned off, unsigned len)
{
	return gpa_map(vq->mem, vq->used_gpa + off, len, true);
}

static int read_desc(struct virtq *vq, uint64_t table, unsigned n, unsigned i,
		     struct vring_desc *d)
{
	if (i >= n)
		return -EIO;
	uint8_t raw[16];
	if (gpa_read(vq->mem, table + 16ULL * i, raw, 16))
		return -EIO;
	memcpy(&d->addr, raw, 8);
	memcpy(&d->len, raw + 8, 4);
	memcpy(&d->flags, raw + 12, 2);
	memcpy(&d->next, raw + 14, 2);
	return 0;
}

/* Maps one guest buffer into iovecs, splitting at memory-region borders. */
static int map_buffer(struct virtq *vq, struct virtq_elem *e, const struct vring_desc *d)
{
	bool write = d->flags & VIRTQ_DESC_F_WRITE;
	if (!write && e->in_num)
		return -EIO;   /* readable after writable: out of order */
	uint64_t addr = d->addr, len = d->len;
	if (addr + len < addr)
		return -EIO;
	while (len) {
		struct mem_region *r = mem_find(vq->mem, addr);
		if (!r || (write && r->kind != MEM_RAM))
			return -EIO;
		uint64_t n = r->gpa + r->size - addr;
		if (n > len)
			n = len;
		void *p = gpa_map(vq->mem, addr, n, write);
		if (!p)
			return -EIO;
		if (write) {
			if (e->in_num == VIRTQ_MAX_SEGS)
				return -EIO;
			e->in[e->in_num++] = (struct iovec){ p, n };
			e->in_len += n;
		} else {
			if (e->out_num == VIRTQ_MAX_SEGS)
				return -EIO;
			e->out[e->out_num++] = (struct iovec){ p, n };
			e->out_len += n;
		}
		addr += n;
		len -= n;
	}
	return 0;
}

int virtq_pop(struct virtq *vq, struct virtq_elem *e)
{
	if (!vq->ready)
		return 0;
	uint16_t *aidx = avail_ptr(vq, 2);
	if (!aidx)
		return -EIO;
	uint16_t avail = __atomic_load_n(aidx, __ATOMIC_ACQUIRE);
	if (avail == vq->last_avail)
		return 0;
	if ((uint16_t)(avail - vq->last_avail) > vq->size)
		return -EIO;   /* the driver claims more buffers than the ring holds */
	uint16_t *slot = avail_ptr(vq, 4 + 2 * (vq->last_avail % vq->size));
	if (!slot)
		return -EIO;
	uint16_t head = *slot;
	if (head >= vq->size)
		return -EIO;
	vq->last_avail++;
	if (vq->event_idx) {
		uint16_t *ae = used_ptr(vq, 4 + 8 * vq->size, 2);
		if (ae)
			__atomic_store_n(ae, vq->last_avail, __ATOMIC_RELEASE);
	}

	e->head = head;
	e->out_num = e->in_num = 0;
	e->out_len = e->in_len = 0;
	uint64_t table = vq->desc_gpa;
	unsigned n = vq->size, i = head, seen = 0;
	bool indirect = false;
	for (;;) {
		struct vring_desc d;
		if (read_desc(vq, table, n, i, &d))
			return -EIO;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect || (d.flags & VIRTQ_DESC_F_NEXT) || !d.len || d.len % 16 ||
			    d.len / 16 > VIRTQ_MAX_SEGS)
				return -EIO;
			table = d.addr;
			n = d.len / 16;
			i = 0;
			seen = 0;
			indirect = true;
			continue;
		}
		if (++seen > n)
			return -EIO;   /* a loop */
		if (map_buffer(vq, e, &d))
			return -EIO;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		i = d.next;
	}
	return 1;
}

void virtq_push(struct virtq *vq, const struct virtq_elem *e, uint32_t written)
{
	uint32_t *ent = used_ptr(vq, 4 + 8 * (vq->used_idx % vq->size), 8);
	if (!ent)
		return;
	ent[0] = e->head;
	ent[1] = written;
	vq->used_idx++;
	uint16_t *uidx = used_ptr(vq, 2, 2);
	if (uidx)
		__atomic_store_n(uidx, vq->used_idx, __ATOMIC_RELEASE);
}

bool virtq_should_notify(struct virtq *vq)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx) {
		uint16_t *flags = avail_ptr(vq, 0);
		return !flags || !(*flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	uint16_t *ue = avail_ptr(vq, 4 + 2 * vq->size);
	uint16_t old = vq->signalled_used, nw = vq->used_idx;
	bool valid = vq->signalled_valid;
	vq->signalled_used = nw;
	vq->signalled_valid = true;
	if (!valid || !ue)
		return true;
	uint16_t event = *ue;
	/* vring_need_event(): did used_idx pass used_event since `old`? */
	return (uint16_t)(nw - event - 1) < (uint16_t)(nw - old);
}

void virtq_set_notify(struct virtq *vq, bool enable)
{
	if (vq->event_idx) {
		uint16_t *ae = used_ptr(vq, 4 + 8 * vq->size, 2);
		uint16_t *aidx = avail_ptr(vq, 2);
		if (ae && aidx && enable)
			__atomic_store_n(ae, *aidx, __ATOMIC_RELEASE);
	} else {
		uint16_t *flags = used_ptr(vq, 0, 2);
		if (flags)
			*flags = enable ? 0 : VIRTQ_USED_F_NO_NOTIFY;
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len)
{
	uint8_t *out = buf;
	size_t done = 0;
	for (unsigned i = 0; i < n && done < len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		size_t k = iov[i].iov_len - skip;
		if (k > len - done)
			k = len - done;
		memcpy(out + done, (uint8_t *)iov[i].iov_base + skip, k);
		done += k;
		skip = 0;
	}
	return done;
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t skip, const void *buf,
		    size_t len)
{
	const uint8_t *in = buf;
	size_t done = 0;
	for (unsigned i = 0; i < n && done < len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		size_t k = iov[i].iov_len - skip;
		if (k > len - done)
			k = len - done;
		memcpy((uint8_t *)iov[i].iov_base + skip, in + done, k);
		done += k;
		skip = 0;
	}
	return done;
}
