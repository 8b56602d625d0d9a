/*
 * The virtio 1.x PCI transport (virtio 1.1 section 4.1), shared by every
 * virtio device model (virtio-blk, virtio-net). Modern only (device IDs
 * 0x1040 + type): what SeaBIOS, OVMF and Linux drive.
 *
 * BAR 1 (32-bit memory, 4 KiB): MSI-X table at 0, PBA at 0x800.
 * BAR 4 (64-bit memory, 16 KiB): common config 0x0000, ISR 0x1000, device
 * config 0x2000, notifications 0x3000 (4 bytes a queue).
 *
 * Device status state machine (section 2.1): 0 (reset) -> ACKNOWLEDGE ->
 * DRIVER -> FEATURES_OK (refused unless the driver accepted VERSION_1 and
 * only offered features) -> DRIVER_OK. Writing 0 resets. A malformed ring
 * sets DEVICE_NEEDS_RESET and raises a configuration interrupt. Queue
 * registers are writable only before DRIVER_OK.
 */
#ifndef NYX_HW_VIRTIO_PCI_H
#define NYX_HW_VIRTIO_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/log.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci.h"
#include "hw/virtio/virtqueue.h"

struct machine;
struct virtio_dev;

#define VIRTIO_MAX_QUEUES 8
#define VIRTIO_NO_VECTOR 0xFFFF

#define VIRTIO_F_INDIRECT_DESC (1ULL << 28)
#define VIRTIO_F_EVENT_IDX (1ULL << 29)
#define VIRTIO_F_VERSION_1 (1ULL << 32)

#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

struct virtio_dev_ops {
	uint16_t device_type;        /* 1 net, 2 block, ... */
	uint32_t class_code;
	unsigned nqueues;
	uint16_t queue_max;
	unsigned config_size;
	/* Reads/writes of the device-specific configuration (device lock held). */
	void (*config_read)(struct virtio_dev *vd, unsigned off, void *buf, unsigned len);
	void (*config_write)(struct virtio_dev *vd, unsigned off, const void *buf, unsigned len);
	/* The driver kicked queue q (vCPU thread, device lock NOT held). */
	void (*queue_notify)(struct virtio_dev *vd, unsigned q);
	/* Device reset (device lock held): drop in-flight state. */
	void (*reset)(struct virtio_dev *vd);
};

struct virtio_dev {
	struct pci_device pci;
	struct pci_msix msix;
	struct machine *m;
	const struct virtio_dev_ops *ops;
	void *opaque;
	uint64_t host_features;
	pthread_mutex_t lock;
	uint32_t dev_feat_sel, drv_feat_sel;
	uint64_t driver_features;
	uint8_t status, config_gen, isr;
	uint16_t queue_sel;
	uint16_t config_vector;
	struct virtq vq[VIRTIO_MAX_QUEUES];
	uint16_t vq_vector[VIRTIO_MAX_QUEUES];
	/* Queue kicks through eventfds when the CPU backend can (KVM
	 * ioeventfd): the guest's notify write then never exits to us. */
	int kick_fd[VIRTIO_MAX_QUEUES];
	uint64_t kick_base;          /* notify area address registered, 0 = none */
	struct log_ratelimit rl;
};

/* Initialises the transport and adds the function to `bus` at devfn. */
int virtio_pci_init(struct virtio_dev *vd, struct machine *m, struct pci_bus *bus,
		    unsigned devfn, const char *name, const struct virtio_dev_ops *ops,
		    uint64_t features, void *opaque);
void virtio_pci_destroy(struct virtio_dev *vd);
/* After pushing used buffers on queue q: interrupt the driver if it wants
 * one (MSI-X vector or INTx + ISR bit 0). Any thread, device lock held. */
void virtio_notify_queue(struct virtio_dev *vd, unsigned q);
/* A malformed request: DEVICE_NEEDS_RESET + config interrupt (lock held). */
void virtio_set_needs_reset(struct virtio_dev *vd, const char *why);
bool virtio_driver_ok(struct virtio_dev *vd);

#endif
