/*
 * Internal state of the PIIX IDE model, shared by the ATA command layer
 * (ide_ata.c), the IDENTIFY data (ide_identify.c) and the PCI function with
 * its bus-master DMA engine (piix_ide.c).
 */
#ifndef NYX_HW_STORAGE_IDE_PRIV_H
#define NYX_HW_STORAGE_IDE_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/irq.h"
#include "core/log.h"
#include "hw/pci/pci.h"

struct block_backend;
struct machine;

/* Status register (ATA-6 section 7.15). */
#define ATA_BSY 0x80
#define ATA_DRDY 0x40
#define ATA_DF 0x20
#define ATA_DSC 0x10
#define ATA_DRQ 0x08
#define ATA_ERR 0x01
/* Error register. */
#define ATA_E_UNC 0x40
#define ATA_E_IDNF 0x10
#define ATA_E_ABRT 0x04
/* Device control register. */
#define ATA_CTL_NIEN 0x02
#define ATA_CTL_SRST 0x04
#define ATA_CTL_HOB 0x80
/* Device/head register. */
#define ATA_DEV1 0x10
#define ATA_LBA 0x40

/* Bus-master IDE registers (82371SB section 2.7). */
#define BM_CMD_START 0x01
#define BM_CMD_READ 0x08           /* bus master writes memory (disk read) */
#define BM_STS_ACTIVE 0x01
#define BM_STS_ERROR 0x02
#define BM_STS_INT 0x04
#define BM_STS_W1C (BM_STS_ERROR | BM_STS_INT)
#define BM_STS_RW 0x60             /* drive 0/1 DMA capable */

#define IDE_MAX_MULT 16            /* sectors per READ/WRITE MULTIPLE block */
#define IDE_BUF_SIZE (IDE_MAX_MULT * 512)

enum ide_xfer { IDE_XFER_NONE, IDE_XFER_PIO_IN, IDE_XFER_PIO_OUT, IDE_XFER_DMA };

struct ide_drive {
	struct block_backend *blk;      /* NULL: no device */
	unsigned index;                 /* 0..3 */
	uint64_t sectors;
	uint16_t cyls, heads, spt;      /* default translation (IDENTIFY 1/3/6) */
	uint16_t cur_cyls, cur_heads, cur_spt;   /* INITIALIZE DEVICE PARAMETERS */
	unsigned mult;                  /* READ/WRITE MULTIPLE block, 0 = off */
	bool wce;                       /* volatile write cache enabled */
	uint8_t xfer_mode;              /* SET FEATURES 03h value, 0 = default */
	uint8_t status, error;
	/* The command in progress. */
	enum ide_xfer xfer;
	bool write;
	uint64_t lba;                   /* next sector to transfer */
	uint32_t remaining;             /* sectors still to transfer */
	unsigned block;                 /* sectors per DRQ block */
	unsigned buf_pos, buf_len;
	uint8_t buf[IDE_BUF_SIZE];
};

struct piix_ide;

struct ide_channel {
	struct piix_ide *ide;
	unsigned index;                 /* 0 primary, 1 secondary */
	struct ide_drive drive[2];
	/* Task file: written to both devices, so kept once per channel;
	 * hob_* hold the previous write of each (48-bit commands). */
	uint8_t feature, nsector, lbal, lbam, lbah;
	uint8_t hob_feature, hob_nsector, hob_lbal, hob_lbam, hob_lbah;
	uint8_t select;                 /* device/head */
	uint8_t devctl;
	bool intrq;                     /* selected device asserts INTRQ */
	struct irq_line irq;
	/* Bus master. */
	uint8_t bm_cmd, bm_status;
	uint32_t bm_prd;
};

struct piix_ide {
	struct pci_device pci;
	struct machine *m;
	pthread_mutex_t lock;           /* the whole controller */
	struct ide_channel ch[2];
	struct log_ratelimit rl;
};

static inline struct ide_drive *ide_cur(struct ide_channel *ch)
{
	return &ch->drive[ch->select & ATA_DEV1 ? 1 : 0];
}
static inline bool ide_channel_empty(const struct ide_channel *ch)
{
	return !ch->drive[0].blk && !ch->drive[1].blk;
}

/* ide_ata.c: the register file and commands (caller holds ide->lock). */
uint32_t ide_ioport_read(struct ide_channel *ch, unsigned reg, unsigned size);
void ide_ioport_write(struct ide_channel *ch, unsigned reg, uint32_t val, unsigned size);
uint8_t ide_altstatus_read(struct ide_channel *ch);
void ide_devctl_write(struct ide_channel *ch, uint8_t val);
void ide_channel_reset(struct ide_channel *ch);
void ide_drive_setup(struct ide_drive *d, struct block_backend *blk, unsigned index);
/* DMA: the engine reports the end of a DMA command (0 or negative errno). */
void ide_dma_done(struct ide_channel *ch, int err, uint8_t ata_error);
/* Asserts INTRQ of the selected device (if nIEN allows). */
void ide_set_irq(struct ide_channel *ch);

/* ide_identify.c */
void ide_identify(const struct ide_drive *d, uint16_t id[256]);

/* piix_ide.c: runs a pending DMA command if the engine is started. */
void piix_ide_dma_kick(struct ide_channel *ch);

#endif
