/*
 * The PIIX IDE PCI function (8086:7010 at 00:01.1): legacy-mode channels,
 * configuration registers and the bus-master DMA engine (82371SB 2.7).
 *
 * Bus master (BAR4, 16 I/O ports, 8 per channel): BMIC (+0) start bit and
 * direction, BMIS (+2) active (read only), error and interrupt (write one
 * to clear), drive DMA-capable bits, BMIDTP (+4) the physical address of
 * the PRD table. A PRD is {u32 buffer address, u16 byte count (0 = 64 KiB),
 * u16 flags (bit 15 end of table)}. The transfer runs when both a DMA
 * command is pending and the start bit is set (in either order), all at
 * once. PRD tables and buffers are reached only through gpa_read/gpa_write:
 * a table or buffer outside RAM, a table without end, or a table shorter
 * than the command ends the command with ABRT, BMIS error and interrupt,
 * and a log line -- never a crash. At the end: BMIS.active clears when the
 * table was used up exactly, stays set when it was longer than the
 * transfer (as on the PIIX), and the device interrupts.
 *
 * Port accesses wider than a byte to the 8-bit task file registers are
 * split into byte accesses to consecutive registers, as the ISA bus cycle
 * conversion does on real hardware.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "core/state.h"
#include "hw/storage/block.h"
#include "hw/storage/ide.h"
#include "hw/storage/ide_priv.h"
#include "hw/storage/piix_ide.h"

#define BM_BAR 4
#define BM_PRD_MAX 8192            /* entries in a 64 KiB table */
#define BM_CHUNK 65536

static const uint16_t cmd_base[2] = { 0x1f0, 0x170 };
static const uint16_t ctl_base[2] = { 0x3f6, 0x376 };
static const unsigned ide_irq[2] = { 14, 15 };

static struct logger *ide_log(struct piix_ide *ide) { return ide->m ? ide->m->log : NULL; }

static void bm_fail(struct ide_channel *ch, const char *why, uint64_t addr)
{
	struct piix_ide *ide = ch->ide;
	if (log_ratelimit_ok(&ide->rl, 5))
		LOG(ide_log(ide), LOG_WARN, "ide",
		    "ide%u: bus-master DMA aborted: %s (address 0x%llx, PRD table 0x%x)", ch->index,
		    why, (unsigned long long)addr, ch->bm_prd);
	ch->bm_status = (ch->bm_status & ~BM_STS_ACTIVE) | BM_STS_ERROR;
	ide_dma_done(ch, -EIO, ATA_E_ABRT);
}

/* Runs the pending DMA command of the selected drive. Caller holds the lock. */
static void bm_run(struct ide_channel *ch)
{
	struct piix_ide *ide = ch->ide;
	struct ide_drive *d = ide_cur(ch);
	struct guest_mem *mem = &ide->m->mem;
	if (!(ch->bm_cmd & BM_CMD_START) || !d->blk || d->xfer != IDE_XFER_DMA)
		return;
	if (!(pci_get_word(ide->pci.config + PCI_COMMAND) & PCI_COMMAND_MASTER)) {
		if (log_ratelimit_ok(&ide->rl, 5))
			LOG(ide_log(ide), LOG_DEBUG, "ide",
			    "ide%u: DMA waits: bus mastering is disabled in the command register",
			    ch->index);
		return;
	}
	uint8_t *bounce = malloc(BM_CHUNK);
	if (!bounce) {
		bm_fail(ch, "out of memory", 0);
		return;
	}
	uint64_t left = (uint64_t)d->remaining * BLOCK_SECTOR, pos = d->lba * BLOCK_SECTOR;
	uint64_t prd = ch->bm_prd;
	bool eot = false, exact = false;
	for (unsigned n = 0; left && !eot; n++) {
		uint32_t e[2];
		if (n == BM_PRD_MAX) {
			free(bounce);
			bm_fail(ch, "PRD table has no end-of-table entry", prd);
			return;
		}
		if (gpa_read(mem, prd, e, sizeof(e))) {
			free(bounce);
			bm_fail(ch, "PRD table outside guest RAM", prd);
			return;
		}
		prd += 8;
		uint64_t addr = e[0] & ~1u;
		uint32_t len = e[1] & 0xfffe;
		if (!len)
			len = 0x10000;
		eot = e[1] >> 31;
		uint32_t take = left < len ? left : len;
		exact = take == len;
		if (d->write ? gpa_read(mem, addr, bounce, take) : 0) {
			free(bounce);
			bm_fail(ch, "buffer outside guest RAM", addr);
			return;
		}
		int rc = d->write ? block_write(d->blk, pos, bounce, take)
				  : block_read(d->blk, pos, bounce, take);
		if (rc) {
			LOG(ide_log(ide), LOG_ERROR, "ide", "%s: DMA %s at byte %llu failed: %s",
			    d->blk->path, d->write ? "write" : "read", (unsigned long long)pos,
			    strerror(-rc));
			free(bounce);
			ch->bm_status = (ch->bm_status & ~BM_STS_ACTIVE) | BM_STS_ERROR;
			ide_dma_done(ch, rc, d->write ? ATA_E_ABRT : ATA_E_UNC);
			return;
		}
		if (!d->write && gpa_write(mem, addr, bounce, take)) {
			free(bounce);
			bm_fail(ch, "buffer outside guest RAM", addr);
			return;
		}
		pos += take;
		left -= take;
	}
	free(bounce);
	if (left) {
		bm_fail(ch, "PRD table shorter than the transfer", prd);
		return;
	}
	if (d->write && !d->wce)
		block_flush(d->blk);
	d->lba = pos / BLOCK_SECTOR;
	d->remaining = 0;
	if (eot && exact)
		ch->bm_status &= ~BM_STS_ACTIVE;
	ide_dma_done(ch, 0, 0);
}

void piix_ide_dma_kick(struct ide_channel *ch)
{
	bm_run(ch);
}

static uint64_t bm_read(void *opaque, uint64_t off, unsigned size)
{
	struct piix_ide *ide = opaque;
	uint64_t v = 0;
	pthread_mutex_lock(&ide->lock);
	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i;
		uint8_t b = 0xff;
		if (o < 16) {
			struct ide_channel *ch = &ide->ch[o >> 3];
			switch (o & 7) {
			case 0: b = ch->bm_cmd; break;
			case 2: b = ch->bm_status; break;
			case 4: case 5: case 6: case 7: b = ch->bm_prd >> (8 * ((o & 7) - 4)); break;
			default: b = 0;
			}
		}
		v |= (uint64_t)b << (8 * i);
	}
	pthread_mutex_unlock(&ide->lock);
	return v;
}

static void bm_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct piix_ide *ide = opaque;
	pthread_mutex_lock(&ide->lock);
	for (unsigned i = 0; i < size && off + i < 16; i++) {
		unsigned o = off + i;
		uint8_t b = val >> (8 * i);
		struct ide_channel *ch = &ide->ch[o >> 3];
		switch (o & 7) {
		case 0: {
			uint8_t old = ch->bm_cmd;
			ch->bm_cmd = b & (BM_CMD_START | BM_CMD_READ);
			if ((b & BM_CMD_START) && !(old & BM_CMD_START)) {
				ch->bm_status |= BM_STS_ACTIVE;
				bm_run(ch);
			} else if (!(b & BM_CMD_START)) {
				ch->bm_status &= ~BM_STS_ACTIVE;
			}
			break;
		}
		case 2:
			ch->bm_status = (ch->bm_status & BM_STS_ACTIVE) |
					(ch->bm_status & BM_STS_W1C & ~b) | (b & BM_STS_RW);
			break;
		case 4: case 5: case 6: case 7: {
			unsigned sh = 8 * ((o & 7) - 4);
			ch->bm_prd = (ch->bm_prd & ~(0xffu << sh)) | (uint32_t)b << sh;
			ch->bm_prd &= ~3u;
			break;
		}
		}
	}
	pthread_mutex_unlock(&ide->lock);
}

static const struct io_ops bm_ops = { bm_read, bm_write };

/* Command block: the data register takes any width; wider accesses to the
 * 8-bit registers become byte accesses to the registers that follow. */
static uint64_t cmd_read(struct piix_ide *ide, unsigned chan, uint64_t off, unsigned size)
{
	struct ide_channel *ch = &ide->ch[chan];
	pthread_mutex_lock(&ide->lock);
	uint64_t v;
	if (off == 0) {
		v = ide_ioport_read(ch, 0, size);
	} else {
		v = 0;
		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)(off + i < 8 ? ide_ioport_read(ch, off + i, 1) & 0xff : 0xff)
			     << (8 * i);
	}
	pthread_mutex_unlock(&ide->lock);
	return v;
}

static void cmd_write(struct piix_ide *ide, unsigned chan, uint64_t off, uint64_t val,
		      unsigned size)
{
	struct ide_channel *ch = &ide->ch[chan];
	pthread_mutex_lock(&ide->lock);
	if (off == 0) {
		ide_ioport_write(ch, 0, val, size);
	} else {
		for (unsigned i = 0; i < size && off + i < 8; i++)
			ide_ioport_write(ch, off + i, (val >> (8 * i)) & 0xff, 1);
	}
	pthread_mutex_unlock(&ide->lock);
}

static uint64_t ctl_read(struct piix_ide *ide, unsigned chan, unsigned size)
{
	pthread_mutex_lock(&ide->lock);
	uint64_t v = ide_altstatus_read(&ide->ch[chan]);
	pthread_mutex_unlock(&ide->lock);
	return v | (size > 1 ? ~0xffULL : 0);
}

static void ctl_write(struct piix_ide *ide, unsigned chan, uint64_t val)
{
	pthread_mutex_lock(&ide->lock);
	ide_devctl_write(&ide->ch[chan], val & 0xff);
	pthread_mutex_unlock(&ide->lock);
}

static uint64_t cmd0_read(void *o, uint64_t off, unsigned size) { return cmd_read(o, 0, off, size); }
static uint64_t cmd1_read(void *o, uint64_t off, unsigned size) { return cmd_read(o, 1, off, size); }
static void cmd0_write(void *o, uint64_t off, uint64_t v, unsigned size) { cmd_write(o, 0, off, v, size); }
static void cmd1_write(void *o, uint64_t off, uint64_t v, unsigned size) { cmd_write(o, 1, off, v, size); }
static uint64_t ctl0_read(void *o, uint64_t off, unsigned size) { return ctl_read(o, 0, size); }
static uint64_t ctl1_read(void *o, uint64_t off, unsigned size) { return ctl_read(o, 1, size); }
static void ctl0_write(void *o, uint64_t off, uint64_t v, unsigned size) { ctl_write(o, 0, v); }
static void ctl1_write(void *o, uint64_t off, uint64_t v, unsigned size) { ctl_write(o, 1, v); }

static const struct io_ops cmd_ops[2] = { { cmd0_read, cmd0_write }, { cmd1_read, cmd1_write } };
static const struct io_ops ctl_ops[2] = { { ctl0_read, ctl0_write }, { ctl1_read, ctl1_write } };

void piix_ide_reset(struct piix_ide *ide)
{
	pthread_mutex_lock(&ide->lock);
	for (unsigned c = 0; c < 2; c++)
		ide_channel_reset(&ide->ch[c]);
	pthread_mutex_unlock(&ide->lock);
}

int piix_ide_attach(struct piix_ide *ide, unsigned n, struct block_backend *blk)
{
	if (n >= IDE_MAX_DISKS)
		return -EINVAL;
	struct ide_channel *ch = &ide->ch[n / 2];
	pthread_mutex_lock(&ide->lock);
	if (ch->drive[n % 2].blk) {
		pthread_mutex_unlock(&ide->lock);
		return -EBUSY;
	}
	ide_drive_setup(&ch->drive[n % 2], blk, n);
	pthread_mutex_unlock(&ide->lock);
	return 0;
}

void piix_ide_destroy(struct piix_ide *ide)
{
	if (!ide)
		return;
	struct machine *m = ide->m;
	for (unsigned c = 0; c < 2; c++) {
		bus_unregister(&m->pio, cmd_base[c], ide);
		bus_unregister(&m->pio, ctl_base[c], ide);
		for (unsigned i = 0; i < 2; i++)
			block_close(ide->ch[c].drive[i].blk);
	}
	struct pci_bar *bar = &ide->pci.bars[BM_BAR];
	if (bar->addr != PCI_BAR_UNMAPPED)
		bus_unregister(&m->pio, bar->addr, ide);
	pci_device_free(&ide->pci);
	pthread_mutex_destroy(&ide->lock);
	free(ide);
}

int piix_ide_create(struct machine *m, struct pci_bus *bus, struct piix_ide **out, char *err,
		    size_t err_len)
{
	struct piix_ide *ide = calloc(1, sizeof(*ide));
	if (!ide) {
		snprintf(err, err_len, "ide: out of memory");
		return -ENOMEM;
	}
	ide->m = m;
	pthread_mutex_init(&ide->lock, NULL);
	for (unsigned c = 0; c < 2; c++) {
		struct ide_channel *ch = &ide->ch[c];
		ch->ide = ide;
		ch->index = c;
		irq_line_init(&ch->irq, m, ide_irq[c]);
		for (unsigned i = 0; i < 2; i++)
			ide_drive_setup(&ch->drive[i], NULL, 2 * c + i);
	}
	int rc = pci_device_init(&ide->pci, PCI_DEVFN(IDE_PCI_DEV, IDE_PCI_FN), "piix-ide", 0x8086,
				 0x7010, 0x00, 0x010180, 0x00, NULL, ide);
	if (!rc)
		rc = pci_device_set_bar(&ide->pci, BM_BAR, PCI_BAR_IO, false, 16, &bm_ops, ide);
	if (rc) {
		snprintf(err, err_len, "ide: cannot set up the PCI function: %s", strerror(-rc));
		goto fail;
	}
	/* IDETIM (0x40-0x43), SIDETIM (0x44), UDMA/clock registers: storage. */
	for (unsigned i = 0x40; i < 0x50; i++)
		ide->pci.wmask[i] = 0xff;
	ide->pci.wmask[PCI_INTERRUPT_LINE] = 0;
	pci_set_word(ide->pci.config + PCI_STATUS, 0x0280);   /* fast back-to-back, medium DEVSEL */

	unsigned n = 0;
	for (unsigned i = 0; m && i < m->cfg.ndisks; i++) {
		const struct disk_config *dc = &m->cfg.disks[i];
		if (dc->iface != DISK_IF_IDE)
			continue;
		if (n == IDE_MAX_DISKS) {
			snprintf(err, err_len, "disk %s: too many IDE disks (at most %u)", dc->path,
				 IDE_MAX_DISKS);
			rc = -EINVAL;
			goto fail;
		}
		struct block_backend *blk = block_open(dc, err, err_len);
		if (!blk) {
			rc = -EINVAL;
			goto fail;
		}
		ide_drive_setup(&ide->ch[n / 2].drive[n % 2], blk, n);
		LOG(m->log, LOG_INFO, "ide", "%s: %s disk as ide%u-%u, %llu sectors%s", dc->path,
		    blk->ops->format, n / 2, n % 2, (unsigned long long)(blk->size / BLOCK_SECTOR),
		    blk->readonly ? ", read-only" : "");
		n++;
	}
	for (unsigned c = 0; c < 2; c++) {
		rc = bus_register(&m->pio, cmd_base[c], 8, &cmd_ops[c], ide, c ? "ide1" : "ide0");
		if (!rc)
			rc = bus_register(&m->pio, ctl_base[c], 1, &ctl_ops[c], ide,
					  c ? "ide1-ctl" : "ide0-ctl");
		if (rc) {
			snprintf(err, err_len, "ide: ports 0x%x/0x%x already taken", cmd_base[c],
				 ctl_base[c]);
			goto fail;
		}
	}
	piix_ide_reset(ide);
	if (bus) {
		rc = pci_bus_add(bus, &ide->pci);
		if (rc) {
			snprintf(err, err_len, "ide: PCI slot 00:01.1 taken");
			goto fail;
		}
	}
	*out = ide;
	return 0;
fail:
	piix_ide_destroy(ide);
	return rc ? rc : -EINVAL;
}

/* Snapshot: the PCI function, then per channel the task file and bus
 * master, per drive the command in progress with its data buffer. A
 * snapshot of another disk layout (presence or size) is refused. */
void piix_ide_save(struct piix_ide *ide, struct state_writer *w)
{
	pthread_mutex_lock(&ide->lock);
	pci_device_save(&ide->pci, w);
	for (unsigned c = 0; c < 2; c++) {
		struct ide_channel *ch = &ide->ch[c];
		uint8_t tf[] = { ch->feature, ch->nsector, ch->lbal, ch->lbam, ch->lbah,
				 ch->hob_feature, ch->hob_nsector, ch->hob_lbal, ch->hob_lbam,
				 ch->hob_lbah, ch->select, ch->devctl, ch->intrq, ch->bm_cmd,
				 ch->bm_status };
		sw_bytes(w, tf, sizeof(tf));
		sw_u32(w, ch->bm_prd);
		for (unsigned i = 0; i < 2; i++) {
			struct ide_drive *d = &ch->drive[i];
			sw_u64(w, d->blk ? d->sectors : 0);
			if (!d->blk)
				continue;
			uint8_t b[] = { d->status, d->error, d->mult, d->wce, d->xfer_mode, d->xfer,
					d->write };
			sw_bytes(w, b, sizeof(b));
			sw_u16(w, d->cur_cyls);
			sw_u16(w, d->cur_heads);
			sw_u16(w, d->cur_spt);
			sw_u64(w, d->lba);
			sw_u32(w, d->remaining);
			sw_u32(w, d->block);
			sw_u32(w, d->buf_pos);
			sw_u32(w, d->buf_len);
			sw_bytes(w, d->buf, d->buf_len);
		}
	}
	pthread_mutex_unlock(&ide->lock);
}

/* Reads one drive's state; false (reader failed) if it does not fit. */
static bool drive_load(struct ide_drive *d, struct state_reader *r, unsigned c, unsigned i)
{
	uint64_t sectors = sr_u64(r);
	if (sr_ok(r) && sectors != (d->blk ? d->sectors : 0)) {
		sr_fail(r, "ide%u-%u: snapshot disk has %llu sectors, this one %llu", c, i,
			(unsigned long long)sectors, (unsigned long long)(d->blk ? d->sectors : 0));
		return false;
	}
	if (!d->blk)
		return sr_ok(r);
	uint8_t b[7];
	sr_bytes(r, b, sizeof(b));
	uint16_t cyls = sr_u16(r), heads = sr_u16(r), spt = sr_u16(r);
	uint64_t lba = sr_u64(r);
	uint32_t remaining = sr_u32(r), block = sr_u32(r);
	uint32_t pos = sr_u32(r), len = sr_u32(r);
	if (sr_ok(r) && (len > IDE_BUF_SIZE || pos > len || b[5] > IDE_XFER_DMA ||
			 block > IDE_MAX_MULT || b[2] > IDE_MAX_MULT || !heads || heads > 16 ||
			 !spt)) {
		sr_fail(r, "ide%u-%u: inconsistent drive state", c, i);
		return false;
	}
	uint8_t buf[IDE_BUF_SIZE];
	sr_bytes(r, buf, len);
	if (!sr_ok(r))
		return false;
	memcpy(d->buf, buf, len);
	d->status = b[0];
	d->error = b[1];
	d->mult = b[2];
	d->wce = b[3];
	d->xfer_mode = b[4];
	d->xfer = b[5];
	d->write = b[6];
	d->cur_cyls = cyls;
	d->cur_heads = heads;
	d->cur_spt = spt;
	d->lba = lba;
	d->remaining = remaining;
	d->block = block;
	d->buf_pos = pos;
	d->buf_len = len;
	return true;
}

void piix_ide_load(struct piix_ide *ide, struct state_reader *r)
{
	pci_device_load(&ide->pci, r);
	pthread_mutex_lock(&ide->lock);
	for (unsigned c = 0; c < 2 && sr_ok(r); c++) {
		struct ide_channel *ch = &ide->ch[c];
		uint8_t tf[15];
		sr_bytes(r, tf, sizeof(tf));
		uint32_t prd = sr_u32(r);
		if (!sr_ok(r) || !drive_load(&ch->drive[0], r, c, 0) ||
		    !drive_load(&ch->drive[1], r, c, 1))
			break;
		ch->feature = tf[0]; ch->nsector = tf[1]; ch->lbal = tf[2];
		ch->lbam = tf[3]; ch->lbah = tf[4]; ch->hob_feature = tf[5];
		ch->hob_nsector = tf[6]; ch->hob_lbal = tf[7]; ch->hob_lbam = tf[8];
		ch->hob_lbah = tf[9]; ch->select = tf[10]; ch->devctl = tf[11];
		ch->intrq = tf[12]; ch->bm_cmd = tf[13] & (BM_CMD_START | BM_CMD_READ);
		ch->bm_status = tf[14] & (BM_STS_ACTIVE | BM_STS_W1C | BM_STS_RW);
		ch->bm_prd = prd & ~3u;
		irq_line_set(&ch->irq, ch->intrq && !(ch->devctl & ATA_CTL_NIEN));
	}
	pthread_mutex_unlock(&ide->lock);
}
