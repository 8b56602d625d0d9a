/* virtio 1.x PCI transport (layout and state machine in virtio_pci.h). */
#include "hw/virtio/virtio_pci.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/machine.h"

#define VIRTIO_PCI_VENDOR 0x1AF4
#define VIRTIO_PCI_DEVICE_BASE 0x1040

#define BAR_MSIX 1
#define BAR_REGS 4
#define REGS_SIZE 0x4000
#define COMMON_OFF 0x0000
#define COMMON_LEN 0x38
#define ISR_OFF 0x1000
#define DEVICE_OFF 0x2000
#define NOTIFY_OFF 0x3000
#define NOTIFY_MULT 4

#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4
#define PCI_CAP_ID_VNDR 0x09

static void add_vendor_cap(struct pci_device *d, unsigned off, uint8_t type, uint32_t bar_off,
			   uint32_t len, unsigned cap_len)
{
	pci_add_capability(d, PCI_CAP_ID_VNDR, off, cap_len);
	uint8_t *c = d->config + off;
	c[2] = (uint8_t)cap_len;
	c[3] = type;
	c[4] = BAR_REGS;
	pci_set_long(c + 8, bar_off);
	pci_set_long(c + 12, len);
	if (type == CAP_NOTIFY)
		pci_set_long(c + 16, NOTIFY_MULT);
}

static void raise_config_irq(struct virtio_dev *vd)
{
	vd->config_gen++;
	if (pci_msix_enabled(&vd->msix)) {
		if (vd->config_vector != VIRTIO_NO_VECTOR)
			pci_msix_notify(&vd->msix, vd->config_vector);
		return;
	}
	vd->isr |= 2;
	pci_set_irq(&vd->pci, 1);
}

void virtio_set_needs_reset(struct virtio_dev *vd, const char *why)
{
	if (log_ratelimit_ok(&vd->rl, 5))
		LOG(vd->m->log, LOG_WARN, vd->pci.name, "guest driver error: %s; device needs reset",
		    why);
	if (!(vd->status & VIRTIO_STATUS_NEEDS_RESET)) {
		vd->status |= VIRTIO_STATUS_NEEDS_RESET;
		if (vd->status & VIRTIO_STATUS_DRIVER_OK)
			raise_config_irq(vd);
	}
}

bool virtio_driver_ok(struct virtio_dev *vd)
{
	return (vd->status & VIRTIO_STATUS_DRIVER_OK) && !(vd->status & VIRTIO_STATUS_NEEDS_RESET);
}

void virtio_notify_queue(struct virtio_dev *vd, unsigned q)
{
	if (q >= vd->ops->nqueues || !virtq_should_notify(&vd->vq[q]))
		return;
	if (pci_msix_enabled(&vd->msix)) {
		if (vd->vq_vector[q] != VIRTIO_NO_VECTOR)
			pci_msix_notify(&vd->msix, vd->vq_vector[q]);
		return;
	}
	vd->isr |= 1;
	pci_set_irq(&vd->pci, 1);
}

/* Caller holds the lock. */
static void device_reset(struct virtio_dev *vd)
{
	if (vd->ops->reset)
		vd->ops->reset(vd);
	vd->status = 0;
	vd->isr = 0;
	vd->dev_feat_sel = vd->drv_feat_sel = 0;
	vd->driver_features = 0;
	vd->queue_sel = 0;
	vd->config_vector = VIRTIO_NO_VECTOR;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		virtq_init(&vd->vq[i], &vd->m->mem);
		vd->vq[i].size = vd->ops->queue_max;
		vd->vq_vector[i] = VIRTIO_NO_VECTOR;
	}
	pci_set_irq(&vd->pci, 0);
}

static struct virtq *sel_queue(struct virtio_dev *vd)
{
	return vd->queue_sel < vd->ops->nqueues ? &vd->vq[vd->queue_sel] : NULL;
}

static uint64_t common_read(struct virtio_dev *vd, unsigned off, unsigned size)
{
	struct virtq *vq = sel_queue(vd);
	switch (off) {
	case 0x00: return vd->dev_feat_sel;
	case 0x04: return vd->dev_feat_sel < 2 ? (uint32_t)(vd->host_features >> (32 * vd->dev_feat_sel)) : 0;
	case 0x08: return vd->drv_feat_sel;
	case 0x0C: return vd->drv_feat_sel < 2 ? (uint32_t)(vd->driver_features >> (32 * vd->drv_feat_sel)) : 0;
	case 0x10: return vd->config_vector;
	case 0x12: return vd->ops->nqueues;
	case 0x14: return vd->status;
	case 0x15: return vd->config_gen;
	case 0x16: return vd->queue_sel;
	case 0x18: return vq ? vq->size : 0;
	case 0x1A: return vq ? vd->vq_vector[vd->queue_sel] : VIRTIO_NO_VECTOR;
	case 0x1C: return vq ? vq->ready : 0;
	case 0x1E: return vq ? vd->queue_sel : 0;
	case 0x20: return vq ? (size == 8 ? vq->desc_gpa : (uint32_t)vq->desc_gpa) : 0;
	case 0x24: return vq ? vq->desc_gpa >> 32 : 0;
	case 0x28: return vq ? (size == 8 ? vq->avail_gpa : (uint32_t)vq->avail_gpa) : 0;
	case 0x2C: return vq ? vq->avail_gpa >> 32 : 0;
	case 0x30: return vq ? (size == 8 ? vq->used_gpa : (uint32_t)vq->used_gpa) : 0;
	case 0x34: return vq ? vq->used_gpa >> 32 : 0;
	}
	return 0;
}

static void set_addr(uint64_t *a, unsigned off, unsigned base, uint64_t val, unsigned size)
{
	if (size == 8 && off == base)
		*a = val;
	else if (off == base)
		*a = (*a & ~0xFFFFFFFFULL) | (uint32_t)val;
	else
		*a = (*a & 0xFFFFFFFFULL) | (uint64_t)(uint32_t)val << 32;
}

static void status_write(struct virtio_dev *vd, uint8_t val)
{
	if (val == 0) {
		device_reset(vd);
		return;
	}
	if ((val & VIRTIO_STATUS_FEATURES_OK) && !(vd->status & VIRTIO_STATUS_FEATURES_OK)) {
		bool ok = (vd->driver_features & VIRTIO_F_VERSION_1) &&
			  !(vd->driver_features & ~vd->host_features);
		if (!ok)
			val &= ~VIRTIO_STATUS_FEATURES_OK;
		bool event_idx = vd->driver_features & VIRTIO_F_EVENT_IDX;
		for (unsigned i = 0; i < vd->ops->nqueues; i++)
			vd->vq[i].event_idx = event_idx;
	}
	vd->status = val | (vd->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void common_write(struct virtio_dev *vd, unsigned off, uint64_t val, unsigned size)
{
	struct virtq *vq = sel_queue(vd);
	bool live = vd->status & VIRTIO_STATUS_DRIVER_OK;
	switch (off) {
	case 0x00: vd->dev_feat_sel = (uint32_t)val; break;
	case 0x08: vd->drv_feat_sel = (uint32_t)val; break;
	case 0x0C:
		if (vd->drv_feat_sel < 2 && !(vd->status & VIRTIO_STATUS_FEATURES_OK)) {
			unsigned sh = 32 * vd->drv_feat_sel;
			vd->driver_features = (vd->driver_features & ~(0xFFFFFFFFULL << sh)) |
					      ((uint64_t)(uint32_t)val << sh);
		}
		break;
	case 0x10: vd->config_vector = (uint16_t)val; break;
	case 0x14: status_write(vd, (uint8_t)val); break;
	case 0x16: vd->queue_sel = (uint16_t)val; break;
	case 0x18:
		if (vq && !live && !vq->ready) {
			uint16_t n = (uint16_t)val;
			if (n && n <= vd->ops->queue_max && !(n & (n - 1)))
				vq->size = n;
			else
				virtio_set_needs_reset(vd, "queue size is not a power of two within the maximum");
		}
		break;
	case 0x1A:
		if (vq)
			vd->vq_vector[vd->queue_sel] = (uint16_t)val;
		break;
	case 0x1C:
		if (vq && val == 1 && !vq->ready && virtq_enable(vq))
			virtio_set_needs_reset(vd, "queue addresses outside RAM or misaligned");
		break;
	case 0x20: case 0x24:
		if (vq && !vq->ready) set_addr(&vq->desc_gpa, off, 0x20, val, size);
		break;
	case 0x28: case 0x2C:
		if (vq && !vq->ready) set_addr(&vq->avail_gpa, off, 0x28, val, size);
		break;
	case 0x30: case 0x34:
		if (vq && !vq->ready) set_addr(&vq->used_gpa, off, 0x30, val, size);
		break;
	default:
		if (log_ratelimit_ok(&vd->rl, 5))
			LOG(vd->m->log, LOG_DEBUG, vd->pci.name,
			    "write to read-only common config offset 0x%x", off);
	}
}

static uint64_t regs_read(void *opaque, uint64_t off, unsigned size)
{
	struct virtio_dev *vd = opaque;
	uint64_t v = 0;
	pthread_mutex_lock(&vd->lock);
	if (off < COMMON_OFF + COMMON_LEN) {
		v = common_read(vd, (unsigned)off, size);
	} else if (off == ISR_OFF) {
		v = vd->isr;
		vd->isr = 0;
		pci_set_irq(&vd->pci, 0);
	} else if (off >= DEVICE_OFF && off + size <= DEVICE_OFF + vd->ops->config_size) {
		vd->ops->config_read(vd, (unsigned)(off - DEVICE_OFF), &v, size);
	}
	pthread_mutex_unlock(&vd->lock);
	return v;
}

static void regs_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct virtio_dev *vd = opaque;
	if (off >= NOTIFY_OFF && off < NOTIFY_OFF + (uint64_t)NOTIFY_MULT * vd->ops->nqueues) {
		unsigned q = (unsigned)((off - NOTIFY_OFF) / NOTIFY_MULT);
		pthread_mutex_lock(&vd->lock);
		bool ok = virtio_driver_ok(vd) && vd->vq[q].ready;
		pthread_mutex_unlock(&vd->lock);
		if (ok)
			vd->ops->queue_notify(vd, q);
		return;
	}
	pthread_mutex_lock(&vd->lock);
	if (off < COMMON_OFF + COMMON_LEN)
		common_write(vd, (unsigned)off, val, size);
	else if (off >= DEVICE_OFF && off + size <= DEVICE_OFF + vd->ops->config_size &&
		 vd->ops->config_write)
		vd->ops->config_write(vd, (unsigned)(off - DEVICE_OFF), &val, size);
	pthread_mutex_unlock(&vd->lock);
}

static const struct io_ops regs_ops = { regs_read, regs_write };

static uint64_t msix_read(void *opaque, uint64_t off, unsigned size)
{
	struct virtio_dev *vd = opaque;
	return pci_msix_mmio_read(&vd->msix, off, size);
}

static void msix_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct virtio_dev *vd = opaque;
	pci_msix_mmio_write(&vd->msix, off, val, size);
}

static const struct io_ops msix_ops = { msix_read, msix_write };

static bool kicks_by_eventfd(struct virtio_dev *vd)
{
	return vd->m->cpu && vd->m->cpu->ioeventfd && vd->m->loop;
}

static void kick_event(void *opaque, int fd)
{
	struct virtio_dev *vd = opaque;
	uint64_t n;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	for (unsigned q = 0; q < vd->ops->nqueues; q++) {
		if (vd->kick_fd[q] != fd)
			continue;
		pthread_mutex_lock(&vd->lock);
		bool ok = virtio_driver_ok(vd) && vd->vq[q].ready;
		pthread_mutex_unlock(&vd->lock);
		if (ok)
			vd->ops->queue_notify(vd, q);
	}
}

/* Keeps the eventfds registered at wherever the notify area is mapped now
 * (the guest moves BARs while it programs them). */
static void sync_kick_eventfds(struct virtio_dev *vd)
{
	if (!kicks_by_eventfd(vd))
		return;
	const struct pci_bar *bar = &vd->pci.bars[BAR_REGS];
	uint64_t base = bar->addr != PCI_BAR_UNMAPPED ? bar->addr + NOTIFY_OFF : 0;
	if (base == vd->kick_base)
		return;
	for (unsigned q = 0; q < vd->ops->nqueues; q++) {
		if (vd->kick_base)
			vd->m->cpu->ioeventfd(vd->m, vd->kick_base + NOTIFY_MULT * q, 2,
					      vd->kick_fd[q], false);
		if (base && vd->m->cpu->ioeventfd(vd->m, base + NOTIFY_MULT * q, 2,
						  vd->kick_fd[q], true)) {
			LOG(vd->m->log, LOG_WARN, vd->pci.name,
			    "ioeventfd for queue %u failed: kicks take the exit path", q);
			base = 0;
		}
	}
	vd->kick_base = base;
}

static void vp_config_write(struct pci_device *d, unsigned off, uint32_t val, unsigned size)
{
	struct virtio_dev *vd = d->opaque;
	pci_msix_config_written(&vd->msix);
	sync_kick_eventfds(vd);
}

static void vp_reset(struct pci_device *d)
{
	struct virtio_dev *vd = d->opaque;
	pci_msix_reset(&vd->msix);
	pthread_mutex_lock(&vd->lock);
	device_reset(vd);
	pthread_mutex_unlock(&vd->lock);
	sync_kick_eventfds(vd);
}

static const struct pci_device_ops vp_pci_ops = { vp_config_write, vp_reset };

int virtio_pci_init(struct virtio_dev *vd, struct machine *m, struct pci_bus *bus,
		    unsigned devfn, const char *name, const struct virtio_dev_ops *ops,
		    uint64_t features, void *opaque)
{
	memset(vd, 0, sizeof(*vd));
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		vd->kick_fd[q] = -1;
	vd->m = m;
	vd->ops = ops;
	vd->opaque = opaque;
	vd->host_features = features | VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC |
			    VIRTIO_F_EVENT_IDX;
	pthread_mutex_init(&vd->lock, NULL);
	int rc = pci_device_init(&vd->pci, devfn, name, VIRTIO_PCI_VENDOR,
				 VIRTIO_PCI_DEVICE_BASE + ops->device_type, 1, ops->class_code, 0,
				 &vp_pci_ops, vd);
	if (rc)
		return rc;
	pci_set_word(vd->pci.config + PCI_SUBSYSTEM_VENDOR_ID, VIRTIO_PCI_VENDOR);
	pci_set_word(vd->pci.config + PCI_SUBSYSTEM_ID, 0x40 + ops->device_type);
	pci_device_set_pin(&vd->pci, 1);
	if ((rc = pci_device_set_bar(&vd->pci, BAR_MSIX, PCI_BAR_MEM32, false, 0x1000, &msix_ops, vd)) ||
	    (rc = pci_device_set_bar(&vd->pci, BAR_REGS, PCI_BAR_MEM64, true, REGS_SIZE, &regs_ops, vd)) ||
	    (rc = pci_msix_init(&vd->msix, &vd->pci, 0x98, ops->nqueues + 1, BAR_MSIX, 0, 0x800)))
		return rc;
	add_vendor_cap(&vd->pci, 0x84, CAP_NOTIFY, NOTIFY_OFF, NOTIFY_MULT * ops->nqueues, 20);
	add_vendor_cap(&vd->pci, 0x74, CAP_DEVICE, DEVICE_OFF, ops->config_size, 16);
	add_vendor_cap(&vd->pci, 0x64, CAP_ISR, ISR_OFF, 1, 16);
	add_vendor_cap(&vd->pci, 0x54, CAP_COMMON, COMMON_OFF, COMMON_LEN, 16);
	device_reset(vd);
	if (kicks_by_eventfd(vd)) {
		for (unsigned q = 0; q < ops->nqueues; q++) {
			vd->kick_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			if (vd->kick_fd[q] < 0 || loop_add_fd(m->loop, vd->kick_fd[q], kick_event, vd))
				return -errno ? -errno : -EIO;
		}
	}
	return pci_bus_add(bus, &vd->pci);
}

void virtio_pci_destroy(struct virtio_dev *vd)
{
	pci_bus_remove(vd->pci.bus, &vd->pci);
	if (vd->m && vd->m->loop) {
		for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
			if (vd->kick_fd[q] < 0)
				continue;
			if (vd->kick_base)
				vd->m->cpu->ioeventfd(vd->m, vd->kick_base + NOTIFY_MULT * q, 2,
						      vd->kick_fd[q], false);
			loop_del_fd(vd->m->loop, vd->kick_fd[q]);
			close(vd->kick_fd[q]);
		}
	}
	pci_msix_destroy(&vd->msix);
	pci_device_free(&vd->pci);
	pthread_mutex_destroy(&vd->lock);
}
