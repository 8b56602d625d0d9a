/*
 * Split virtqueues (virtio 1.x, section 2.7): the device side.
 *
 * Rings live in guest memory and are reached only through the checked
 * guest-memory API; every index, address and length the guest supplies is
 * validated. A malformed chain (loop, index out of range, buffer outside
 * RAM, writable before readable, nested indirect table) makes virtq_pop()
 * return -EIO; the device then sets DEVICE_NEEDS_RESET, as the spec asks.
 */
#ifndef NYX_HW_VIRTIO_VIRTQUEUE_H
#define NYX_HW_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct guest_mem;

#define VIRTQ_MAX_SIZE 1024
#define VIRTQ_MAX_SEGS 256

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

struct virtq {
	struct guest_mem *mem;
	uint16_t size;           /* power of two, <= VIRTQ_MAX_SIZE */
	bool ready;
	bool event_idx;          /* VIRTIO_F_EVENT_IDX negotiated */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t last_avail;     /* next avail ring slot to consume */
	uint16_t used_idx;       /* our copy of used->idx */
	uint16_t signalled_used; /* used_idx when we last interrupted */
	bool signalled_valid;
};

/* One request: device-readable (out) then device-writable (in) segments,
 * already mapped to host memory. */
struct virtq_elem {
	uint16_t head;
	unsigned out_num, in_num;
	uint64_t out_len, in_len;
	struct iovec out[VIRTQ_MAX_SEGS];
	struct iovec in[VIRTQ_MAX_SEGS];
};

void virtq_init(struct virtq *vq, struct guest_mem *mem);
void virtq_reset(struct virtq *vq);
/* Validates the ring addresses for the current size; 0 or -EINVAL. */
int virtq_enable(struct virtq *vq);
/* 1: *e holds a request; 0: ring empty; -EIO: malformed (see above). */
int virtq_pop(struct virtq *vq, struct virtq_elem *e);
/* Returns e with `written` bytes written into its in-buffers. */
void virtq_push(struct virtq *vq, const struct virtq_elem *e, uint32_t written);
/* Whether the driver wants an interrupt for what was pushed since the last
 * time this returned true. */
bool virtq_should_notify(struct virtq *vq);
/* Tell the driver whether we want notifications (kicks). */
void virtq_set_notify(struct virtq *vq, bool enable);
/* Copy helpers across an iovec array: bytes copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t skip, const void *buf,
		    size_t len);

#endif
