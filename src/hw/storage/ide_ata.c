/*
 * ATA register file and command set of one IDE channel (ATA/ATAPI-6).
 *
 * Design note (the protocol state machine, per device):
 *   idle (DRDY|DSC) --PIO-in command--> DRQ, INTRQ; each 512*block bytes
 *       read from the data port load the next block (DRQ, INTRQ) or end the
 *       command (DRDY|DSC, no interrupt: data-in interrupts come before
 *       each block);
 *   idle --PIO-out command--> DRQ (no INTRQ for the first block); each full
 *       block written is stored, then DRQ + INTRQ for the next or
 *       DRDY|DSC + INTRQ at the end;
 *   idle --DMA command--> DRQ with xfer = DMA until the bus master runs the
 *       transfer (piix_ide.c), then DRDY|DSC + INTRQ, or ERR on failure;
 *   any --error--> DRDY|ERR (DSC clear) with the error register, INTRQ;
 *   SRST set --> BSY on both devices, command cancelled; SRST cleared -->
 *       DRDY|DSC, error 01h and the ATA signature (no interrupt).
 * Invariants: DRQ is set exactly while xfer != NONE; buf_pos <= buf_len;
 * every LBA range is checked against the disk size before any I/O.
 * Commands are synchronous: the I/O happens inside the command register
 * write (or the bus master's start); the "start -> done" split (pio_next,
 * ide_dma_done) is where an asynchronous backend will complete.
 *
 * Absent devices, as real hardware with SeaBIOS's and Linux's probes: on a
 * channel with no device at all every register reads 7Fh (the bus floats
 * high except DD7, which the host pulls down); with device 0 present and
 * device 1 selected but absent, status and alternate status read 00h, the
 * other registers read the shared task file, and commands are ignored
 * except EXECUTE DEVICE DIAGNOSTIC.
 */
#include <errno.h>
#include <string.h>

#include "core/machine.h"
#include "hw/storage/block.h"
#include "hw/storage/ide_priv.h"

#define EMPTY_BUS 0x7f

enum {
	REG_DATA, REG_ERROR, REG_NSECTOR, REG_LBAL, REG_LBAM, REG_LBAH, REG_SELECT, REG_STATUS
};

static struct logger *ide_log(struct ide_channel *ch) { return ch->ide->m ? ch->ide->m->log : NULL; }

static void update_irq(struct ide_channel *ch)
{
	bool level = ch->intrq && !(ch->devctl & ATA_CTL_NIEN);
	if (level)
		ch->bm_status |= BM_STS_INT;
	irq_line_set(&ch->irq, level);
}

void ide_set_irq(struct ide_channel *ch)
{
	ch->intrq = true;
	update_irq(ch);
}

static void clear_irq(struct ide_channel *ch)
{
	if (!ch->intrq)
		return;
	ch->intrq = false;
	update_irq(ch);
}

static void set_signature(struct ide_channel *ch, struct ide_drive *d)
{
	ch->nsector = 1;
	ch->lbal = 1;
	ch->lbam = 0;
	ch->lbah = 0;
	d->error = 0x01;
}

void ide_drive_setup(struct ide_drive *d, struct block_backend *blk, unsigned index)
{
	memset(d, 0, sizeof(*d));
	d->index = index;
	d->blk = blk;
	if (!blk)
		return;
	d->sectors = blk->size / BLOCK_SECTOR;
	d->heads = 16;
	d->spt = 63;
	uint64_t cyls = d->sectors / (16 * 63);
	d->cyls = cyls > 16383 ? 16383 : cyls ? cyls : 1;
	d->cur_cyls = d->cyls;
	d->cur_heads = d->heads;
	d->cur_spt = d->spt;
	d->wce = true;
	d->status = ATA_DRDY | ATA_DSC;
	d->error = 0x01;
}

static void cmd_ok(struct ide_channel *ch, struct ide_drive *d)
{
	d->xfer = IDE_XFER_NONE;
	d->status = ATA_DRDY | ATA_DSC;
	ide_set_irq(ch);
}

static void cmd_error(struct ide_channel *ch, struct ide_drive *d, uint8_t err)
{
	d->xfer = IDE_XFER_NONE;
	d->remaining = 0;
	d->error = err;
	d->status = ATA_DRDY | ATA_ERR;           /* DSC clear on error, as QEMU */
	ide_set_irq(ch);
}

/* Decodes the command's LBA and count; false (IDNF already reported) if
 * the address is invalid or the range runs past the end of the disk. */
static bool decode_range(struct ide_channel *ch, struct ide_drive *d, bool lba48)
{
	uint64_t lba;
	uint32_t count;
	if (lba48) {
		lba = (uint64_t)ch->hob_lbah << 40 | (uint64_t)ch->hob_lbam << 32 |
		      (uint64_t)ch->hob_lbal << 24 | ch->lbah << 16 | ch->lbam << 8 | ch->lbal;
		count = ch->hob_nsector << 8 | ch->nsector;
		if (!count)
			count = 65536;
	} else {
		count = ch->nsector ? ch->nsector : 256;
		if (ch->select & ATA_LBA) {
			lba = (uint64_t)(ch->select & 0x0f) << 24 | ch->lbah << 16 | ch->lbam << 8 |
			      ch->lbal;
		} else {
			unsigned cyl = ch->lbah << 8 | ch->lbam, head = ch->select & 0x0f;
			unsigned sect = ch->lbal;
			if (!sect || sect > d->cur_spt || head >= d->cur_heads) {
				cmd_error(ch, d, ATA_E_IDNF);
				return false;
			}
			lba = ((uint64_t)cyl * d->cur_heads + head) * d->cur_spt + sect - 1;
		}
	}
	if (lba >= d->sectors || count > d->sectors - lba) {
		if (log_ratelimit_ok(&ch->ide->rl, 5))
			LOG(ide_log(ch), LOG_DEBUG, "ide",
			    "ide%u-%u: sectors %llu+%u beyond the disk (%llu sectors): IDNF",
			    ch->index, (unsigned)(d - ch->drive), (unsigned long long)lba, count,
			    (unsigned long long)d->sectors);
		cmd_error(ch, d, ATA_E_IDNF);
		return false;
	}
	d->lba = lba;
	d->remaining = count;
	return true;
}

/* Loads or announces the next PIO block of the command in progress. */
static void pio_next(struct ide_channel *ch, struct ide_drive *d)
{
	unsigned n = d->remaining < d->block ? d->remaining : d->block;
	d->buf_pos = 0;
	d->buf_len = n * BLOCK_SECTOR;
	if (!d->write) {
		int rc = block_read(d->blk, d->lba * BLOCK_SECTOR, d->buf, d->buf_len);
		if (rc) {
			LOG(ide_log(ch), LOG_ERROR, "ide", "%s: read of sector %llu failed: %s",
			    d->blk->path, (unsigned long long)d->lba, strerror(-rc));
			cmd_error(ch, d, ATA_E_UNC);
			return;
		}
		d->xfer = IDE_XFER_PIO_IN;
		d->status = ATA_DRDY | ATA_DSC | ATA_DRQ;
		ide_set_irq(ch);
	} else {
		d->xfer = IDE_XFER_PIO_OUT;
		d->status = ATA_DRDY | ATA_DSC | ATA_DRQ;
	}
}

/* The guest moved the whole current block through the data port. */
static void pio_block_done(struct ide_channel *ch, struct ide_drive *d)
{
	unsigned n = d->buf_len / BLOCK_SECTOR;
	if (d->xfer == IDE_XFER_PIO_OUT && d->remaining) {
		int rc = block_write(d->blk, d->lba * BLOCK_SECTOR, d->buf, d->buf_len);
		if (!rc && !d->wce)
			rc = block_flush(d->blk);
		if (rc) {
			LOG(ide_log(ch), LOG_ERROR, "ide", "%s: write of sector %llu failed: %s",
			    d->blk->path, (unsigned long long)d->lba, strerror(-rc));
			cmd_error(ch, d, ATA_E_ABRT);
			return;
		}
	}
	d->lba += n;
	d->remaining -= n < d->remaining ? n : d->remaining;
	if (d->remaining) {
		bool out = d->xfer == IDE_XFER_PIO_OUT;
		pio_next(ch, d);
		if (out && d->xfer == IDE_XFER_PIO_OUT)
			ide_set_irq(ch);           /* ready for the next block */
		return;
	}
	bool was_out = d->xfer == IDE_XFER_PIO_OUT;
	d->xfer = IDE_XFER_NONE;
	d->status = ATA_DRDY | ATA_DSC;
	if (was_out)
		ide_set_irq(ch);
}

/* Decodes and checks the command's range and direction; false when the
 * command already ended with an error. */
static bool begin_transfer(struct ide_channel *ch, struct ide_drive *d, bool lba48, bool write)
{
	if (!decode_range(ch, d, lba48))
		return false;
	if (write && d->blk->readonly) {
		cmd_error(ch, d, ATA_E_ABRT);
		return false;
	}
	d->write = write;
	return true;
}

static void start_pio(struct ide_channel *ch, struct ide_drive *d, bool lba48, bool write,
		      unsigned block)
{
	if (!begin_transfer(ch, d, lba48, write))
		return;
	d->block = block;
	pio_next(ch, d);
}

static void start_dma(struct ide_channel *ch, struct ide_drive *d, bool lba48, bool write)
{
	if (!begin_transfer(ch, d, lba48, write))
		return;
	d->xfer = IDE_XFER_DMA;
	d->status = ATA_DRDY | ATA_DSC | ATA_DRQ;
	piix_ide_dma_kick(ch);
}

void ide_dma_done(struct ide_channel *ch, int err, uint8_t ata_error)
{
	struct ide_drive *d = ide_cur(ch);
	if (err)
		cmd_error(ch, d, ata_error);
	else
		cmd_ok(ch, d);
}

static void identify(struct ide_channel *ch, struct ide_drive *d)
{
	ide_identify(d, (uint16_t *)d->buf);
	d->lba = 0;
	d->remaining = 0;
	d->block = 1;
	d->buf_pos = 0;
	d->buf_len = 512;
	d->xfer = IDE_XFER_PIO_IN;
	d->status = ATA_DRDY | ATA_DSC | ATA_DRQ;
	ide_set_irq(ch);
}

static void set_features(struct ide_channel *ch, struct ide_drive *d)
{
	switch (ch->feature) {
	case 0x02: d->wce = true; break;
	case 0x82:
		d->wce = false;
		block_flush(d->blk);
		break;
	case 0x03: {                           /* set transfer mode */
		uint8_t mode = ch->nsector;
		bool ok = mode <= 1 || (mode >= 0x08 && mode <= 0x0c) ||
			  (mode >= 0x20 && mode <= 0x22) || (mode >= 0x40 && mode <= 0x45);
		if (!ok) {
			cmd_error(ch, d, ATA_E_ABRT);
			return;
		}
		d->xfer_mode = mode;
		break;
	}
	case 0x55: case 0xaa:                  /* read look-ahead off/on */
	case 0x66: case 0xcc:                  /* power-on defaults off/on */
		break;
	default:
		cmd_error(ch, d, ATA_E_ABRT);
		return;
	}
	cmd_ok(ch, d);
}

static void diagnostic(struct ide_channel *ch)
{
	for (unsigned i = 0; i < 2; i++) {
		struct ide_drive *d = &ch->drive[i];
		if (!d->blk)
			continue;
		d->xfer = IDE_XFER_NONE;
		d->status = ATA_DRDY | ATA_DSC;
		set_signature(ch, d);
	}
	ch->select &= ~ATA_DEV1;                  /* device 0 reports the result */
	ide_set_irq(ch);
}

static void exec_command(struct ide_channel *ch, uint8_t cmd)
{
	struct ide_drive *d = ide_cur(ch);
	if (cmd == 0x90) {
		diagnostic(ch);
		return;
	}
	if (!d->blk)
		return;                            /* no device answers */
	if (d->status & ATA_BSY)
		return;
	clear_irq(ch);
	d->error = 0;
	d->xfer = IDE_XFER_NONE;
	switch (cmd) {
	case 0xec: identify(ch, d); break;
	case 0x20: case 0x21: start_pio(ch, d, false, false, 1); break;
	case 0x24: start_pio(ch, d, true, false, 1); break;
	case 0x30: case 0x31: start_pio(ch, d, false, true, 1); break;
	case 0x34: start_pio(ch, d, true, true, 1); break;
	case 0xc4: case 0x29: case 0xc5: case 0x39:   /* READ/WRITE MULTIPLE (EXT) */
		if (!d->mult) {
			cmd_error(ch, d, ATA_E_ABRT);
			break;
		}
		start_pio(ch, d, cmd == 0x29 || cmd == 0x39, cmd == 0xc5 || cmd == 0x39, d->mult);
		break;
	case 0xc6: {                               /* SET MULTIPLE MODE */
		unsigned n = ch->nsector;
		if (n > IDE_MAX_MULT || (n & (n - 1))) {
			cmd_error(ch, d, ATA_E_ABRT);
			break;
		}
		d->mult = n;
		cmd_ok(ch, d);
		break;
	}
	case 0xc8: case 0xc9: start_dma(ch, d, false, false); break;
	case 0x25: start_dma(ch, d, true, false); break;
	case 0xca: case 0xcb: start_dma(ch, d, false, true); break;
	case 0x35: start_dma(ch, d, true, true); break;
	case 0x40: case 0x41: case 0x42:          /* READ VERIFY SECTORS (EXT) */
		if (decode_range(ch, d, cmd == 0x42))
			cmd_ok(ch, d);
		break;
	case 0xe7: case 0xea:                      /* FLUSH CACHE (EXT) */
		if (block_flush(d->blk)) {
			LOG(ide_log(ch), LOG_ERROR, "ide", "%s: flush failed", d->blk->path);
			cmd_error(ch, d, ATA_E_ABRT);
		} else {
			cmd_ok(ch, d);
		}
		break;
	case 0xef: set_features(ch, d); break;
	case 0x91: {                               /* INITIALIZE DEVICE PARAMETERS */
		unsigned heads = (ch->select & 0x0f) + 1, spt = ch->nsector;
		if (!spt) {
			cmd_error(ch, d, ATA_E_ABRT);
			break;
		}
		uint64_t cyls = d->sectors / (heads * spt);
		d->cur_heads = heads;
		d->cur_spt = spt;
		d->cur_cyls = cyls > 65535 ? 65535 : cyls;
		cmd_ok(ch, d);
		break;
	}
	case 0x70:                                 /* SEEK */
	case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0xe6:  /* power management */
		cmd_ok(ch, d);
		break;
	case 0xe5:                                 /* CHECK POWER MODE: active */
		ch->nsector = 0xff;
		cmd_ok(ch, d);
		break;
	default:
		if (cmd >= 0x10 && cmd <= 0x1f) {     /* RECALIBRATE */
			cmd_ok(ch, d);
			break;
		}
		/* NOP, IDENTIFY PACKET DEVICE, DEVICE RESET, PACKET and everything
		 * else we do not implement: command aborted. */
		if (log_ratelimit_ok(&ch->ide->rl, 5))
			LOG(ide_log(ch), LOG_DEBUG, "ide", "ide%u-%u: command 0x%02x aborted",
			    ch->index, (unsigned)(d - ch->drive), cmd);
		cmd_error(ch, d, ATA_E_ABRT);
	}
}

static uint32_t data_read(struct ide_channel *ch, unsigned size)
{
	struct ide_drive *d = ide_cur(ch);
	if (!d->blk || d->xfer != IDE_XFER_PIO_IN)
		return 0xffffffffu;
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)(d->buf_pos < d->buf_len ? d->buf[d->buf_pos++] : 0xff) << (8 * i);
	if (d->buf_pos >= d->buf_len)
		pio_block_done(ch, d);
	return v;
}

static void data_write(struct ide_channel *ch, uint32_t val, unsigned size)
{
	struct ide_drive *d = ide_cur(ch);
	if (!d->blk || d->xfer != IDE_XFER_PIO_OUT)
		return;
	for (unsigned i = 0; i < size && d->buf_pos < d->buf_len; i++)
		d->buf[d->buf_pos++] = val >> (8 * i);
	if (d->buf_pos >= d->buf_len)
		pio_block_done(ch, d);
}

uint32_t ide_ioport_read(struct ide_channel *ch, unsigned reg, unsigned size)
{
	if (reg == REG_DATA)
		return data_read(ch, size);
	if (ide_channel_empty(ch))
		return EMPTY_BUS;
	struct ide_drive *d = ide_cur(ch);
	bool hob = ch->devctl & ATA_CTL_HOB;
	switch (reg) {
	case REG_ERROR: return d->blk ? d->error : 0;
	case REG_NSECTOR: return hob ? ch->hob_nsector : ch->nsector;
	case REG_LBAL: return hob ? ch->hob_lbal : ch->lbal;
	case REG_LBAM: return hob ? ch->hob_lbam : ch->lbam;
	case REG_LBAH: return hob ? ch->hob_lbah : ch->lbah;
	case REG_SELECT: return ch->select;
	default:
		if (!d->blk)
			return 0;
		clear_irq(ch);                     /* reading status acknowledges INTRQ */
		return d->status;
	}
}

uint8_t ide_altstatus_read(struct ide_channel *ch)
{
	if (ide_channel_empty(ch))
		return EMPTY_BUS;
	struct ide_drive *d = ide_cur(ch);
	return d->blk ? d->status : 0;
}

void ide_ioport_write(struct ide_channel *ch, unsigned reg, uint32_t val, unsigned size)
{
	if (reg == REG_DATA) {
		data_write(ch, val, size);
		return;
	}
	uint8_t v = val;
	if (reg != REG_STATUS) {
		/* Register writes while busy or in a data phase are ignored
		 * (ATA-6 9.2: the host shall not write them then). */
		struct ide_drive *d = ide_cur(ch);
		if (d->blk && (d->status & (ATA_BSY | ATA_DRQ)) && reg != REG_SELECT) {
			if (log_ratelimit_ok(&ch->ide->rl, 5))
				LOG(ide_log(ch), LOG_DEBUG, "ide",
				    "ide%u: register %u written during a command: ignored",
				    ch->index, reg);
			return;
		}
		ch->devctl &= ~ATA_CTL_HOB;     /* any task file write clears HOB */
	}
	switch (reg) {
	case REG_ERROR: ch->hob_feature = ch->feature; ch->feature = v; break;
	case REG_NSECTOR: ch->hob_nsector = ch->nsector; ch->nsector = v; break;
	case REG_LBAL: ch->hob_lbal = ch->lbal; ch->lbal = v; break;
	case REG_LBAM: ch->hob_lbam = ch->lbam; ch->lbam = v; break;
	case REG_LBAH: ch->hob_lbah = ch->lbah; ch->lbah = v; break;
	case REG_SELECT: {
		struct ide_drive *d = ide_cur(ch);
		if (d->blk && (d->status & (ATA_BSY | ATA_DRQ)))
			return;                    /* cannot switch devices mid-command */
		bool changed = (ch->select ^ v) & ATA_DEV1;
		ch->select = v;
		if (changed) {
			/* INTRQ belongs to the selected device; ours is per channel,
			 * so a switch hides the pending interrupt. */
			ch->intrq = false;
			update_irq(ch);
		}
		break;
	}
	default:
		exec_command(ch, v);
	}
}

void ide_devctl_write(struct ide_channel *ch, uint8_t val)
{
	uint8_t old = ch->devctl;
	ch->devctl = val;
	if ((val & ATA_CTL_SRST) && !(old & ATA_CTL_SRST)) {
		for (unsigned i = 0; i < 2; i++) {
			struct ide_drive *d = &ch->drive[i];
			if (!d->blk)
				continue;
			d->xfer = IDE_XFER_NONE;
			d->remaining = 0;
			d->status = ATA_BSY;
		}
		ch->intrq = false;
	} else if (!(val & ATA_CTL_SRST) && (old & ATA_CTL_SRST)) {
		for (unsigned i = 0; i < 2; i++) {
			struct ide_drive *d = &ch->drive[i];
			if (!d->blk)
				continue;
			d->status = ATA_DRDY | ATA_DSC;
			set_signature(ch, d);
		}
		ch->select = 0;
	}
	update_irq(ch);
}

void ide_channel_reset(struct ide_channel *ch)
{
	for (unsigned i = 0; i < 2; i++) {
		struct ide_drive *d = &ch->drive[i];
		if (!d->blk)
			continue;
		d->xfer = IDE_XFER_NONE;
		d->remaining = 0;
		d->mult = 0;
		d->wce = true;
		d->xfer_mode = 0;
		d->cur_cyls = d->cyls;
		d->cur_heads = d->heads;
		d->cur_spt = d->spt;
		d->status = ATA_DRDY | ATA_DSC;
		set_signature(ch, d);
	}
	ch->feature = ch->hob_feature = ch->hob_nsector = 0;
	ch->hob_lbal = ch->hob_lbam = ch->hob_lbah = 0;
	ch->select = 0;
	ch->devctl = 0;
	ch->bm_cmd = 0;
	ch->bm_status = 0;
	ch->bm_prd = 0;
	ch->intrq = false;
	update_irq(ch);
}
