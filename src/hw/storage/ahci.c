/*
 * AHCI 1.3 host bus adapter as on the ICH9 (8086:2922), with ATA disks on
 * its ports. What SeaBIOS's ahci.c and Linux's ahci/libata drive.
 *
 * Per port state machine (AHCI 1.3 section 5): the guest points PxCLB at a
 * command list (32 headers of 32 bytes) and PxFB at a FIS receive area,
 * sets PxCMD.FRE (FIS receive runs, FR reads 1) and PxCMD.ST (command list
 * runs, CR reads 1), then issues commands by writing slot bits to PxCI
 * (NCQ commands also to PxSACT). Each issued slot is executed at once: its
 * command table holds a Register H2D FIS and a PRDT; data moves between the
 * disk and the PRDT's buffers; completion writes a D2H Register FIS (or a
 * Set Device Bits FIS for NCQ) to the receive area, clears the slot's CI
 * (and SACT) bit and raises PxIS bits, which reach the HBA's IS register and
 * the interrupt (MSI or INTx) as PxIE and GHC.IE allow.
 *
 * Every guest-supplied address (command list, tables, PRD buffers) is
 * accessed through gpa_read/gpa_write only; a bad one fails that command
 * with a task-file error (TFES), never the VMM.
 *
 * Data commands (READ/WRITE DMA, their EXT and PIO forms, FPDMA QUEUED)
 * run on the port's I/O workers (hw/storage/blkqueue): the issuing vCPU
 * validates the command and, for writes, gathers the PRDT into a bounce
 * buffer; the worker does the disk I/O, scatters reads into the PRDT and
 * completes the slot (FIS, CI/SACT bit, interrupt) under the HBA lock.
 * A slot stays set in PxCI while it is in flight; resets wait for the
 * in-flight commands first. Other commands complete synchronously.
 */
#include "hw/storage/ahci.h"

#include <errno.h>
#include <sys/uio.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "hw/pci/pci.h"
#include "hw/storage/blkqueue.h"
#include "hw/storage/block.h"
#include "hw/storage/ide_priv.h"

/* HBA registers. */
#define HBA_CAP 0x00
#define HBA_GHC 0x04
#define HBA_IS 0x08
#define HBA_PI 0x0C
#define HBA_VS 0x10
#define HBA_CAP2 0x24
#define HBA_BOHC 0x28
#define GHC_HR (1u << 0)
#define GHC_IE (1u << 1)
#define GHC_AE (1u << 31)
#define CAP_S64A (1u << 31)
#define CAP_SNCQ (1u << 30)
#define CAP_SAM (1u << 18)
#define CAP_ISS_GEN1 (1u << 20)

/* Port registers (offset from 0x100 + port * 0x80). */
#define PxCLB 0x00
#define PxCLBU 0x04
#define PxFB 0x08
#define PxFBU 0x0C
#define PxIS 0x10
#define PxIE 0x14
#define PxCMD 0x18
#define PxTFD 0x20
#define PxSIG 0x24
#define PxSSTS 0x28
#define PxSCTL 0x2C
#define PxSERR 0x30
#define PxSACT 0x34
#define PxCI 0x38
#define PxSNTF 0x3C

#define CMD_ST (1u << 0)
#define CMD_SUD (1u << 1)
#define CMD_POD (1u << 2)
#define CMD_CLO (1u << 3)
#define CMD_FRE (1u << 4)
#define CMD_FR (1u << 14)
#define CMD_CR (1u << 15)

#define IS_DHRS (1u << 0)
#define IS_PSS (1u << 1)
#define IS_SDBS (1u << 3)
#define IS_DPS (1u << 5)
#define IS_TFES (1u << 30)

#define SIG_ATA 0x00000101
#define SSTS_PRESENT 0x123      /* DET 3 (phy up), SPD Gen2, IPM active */

#define ABAR_SIZE 0x1000
#define MAX_XFER (32u << 20)

struct ahci_port {
	struct ahci *hba;
	unsigned index;
	struct ide_drive drive;          /* disk and IDENTIFY state (shared with IDE) */
	uint32_t clb, clbu, fb, fbu, is, ie, cmd, tfd, sig, ssts, sctl, serr, sact, ci, sntf;
	struct blkqueue *q;              /* data commands run here */
	uint32_t busy;                   /* slots in flight on q */
};

struct ahci {
	struct pci_device pci;
	struct machine *m;
	pthread_mutex_t lock;
	uint32_t ghc, is;
	bool irq_level;
	unsigned inflight;
	pthread_cond_t idle;             /* inflight dropped to 0 */
	struct ahci_port port[AHCI_PORTS];
	struct log_ratelimit rl;
};

static void update_irq(struct ahci *a)
{
	a->is = 0;
	for (unsigned i = 0; i < AHCI_PORTS; i++)
		if (a->port[i].is & a->port[i].ie)
			a->is |= 1u << i;
	bool level = (a->ghc & GHC_IE) && a->is;
	if (pci_msi_enabled(&a->pci)) {
		if (level && !a->irq_level)
			pci_msi_notify(&a->pci, 0);
		pci_set_irq(&a->pci, 0);
	} else {
		pci_set_irq(&a->pci, level);
	}
	a->irq_level = level;
}

static uint64_t fis_base(const struct ahci_port *p)
{
	return (uint64_t)p->fbu << 32 | p->fb;
}

static void post_fis(struct ahci_port *p, unsigned off, const uint8_t *fis, unsigned len)
{
	if (!(p->cmd & CMD_FRE))
		return;
	if (gpa_write(&p->hba->m->mem, fis_base(p) + off, fis, len) &&
	    log_ratelimit_ok(&p->hba->rl, 5))
		LOG(p->hba->m->log, LOG_WARN, "ahci", "port %u: FIS receive area 0x%llx is not RAM",
		    p->index, (unsigned long long)fis_base(p));
}

/* D2H Register FIS with the current task file. */
static void post_d2h(struct ahci_port *p, bool irq, const uint8_t *lba_count)
{
	uint8_t f[20];
	memset(f, 0, sizeof(f));
	f[0] = 0x34;
	f[1] = irq ? 0x40 : 0;
	f[2] = p->tfd & 0xFF;
	f[3] = p->tfd >> 8;
	if (lba_count)
		memcpy(f + 4, lba_count, 10);
	post_fis(p, 0x40, f, sizeof(f));
	p->is |= IS_DHRS;
}

/* Device signature after reset: D2H FIS with sector count 1, LBA 1. */
static void port_signature(struct ahci_port *p)
{
	if (!p->drive.blk) {
		p->ssts = 0;
		p->tfd = 0x7F;
		p->sig = 0xFFFFFFFF;
		return;
	}
	p->ssts = SSTS_PRESENT;
	p->sig = SIG_ATA;
	p->tfd = ATA_DRDY | ATA_DSC;
	uint8_t regs[10] = { 1, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	post_d2h(p, false, regs);
}

static void port_reset(struct ahci_port *p)
{
	struct block_backend *blk = p->drive.blk;
	struct blkqueue *q = p->q;
	unsigned idx = p->index;
	struct ahci *a = p->hba;
	memset(p, 0, sizeof(*p));
	p->hba = a;
	p->index = idx;
	p->q = q;
	ide_drive_setup(&p->drive, blk, idx);
	p->cmd = CMD_SUD | CMD_POD;
	port_signature(p);
	p->is = 0;
}

static void wait_idle(struct ahci *a);

static void hba_reset(struct ahci *a)
{
	wait_idle(a);
	a->ghc = GHC_AE;
	a->is = 0;
	for (unsigned i = 0; i < AHCI_PORTS; i++)
		port_reset(&a->port[i]);
	update_irq(a);
}

/* ---- data transfer through the PRDT -------------------------------------- */

/* Moves `len` bytes between buf and the PRDT; returns bytes moved or -1. */
static int64_t prdt_xfer(struct ahci_port *p, uint64_t ctba, unsigned prdtl, uint8_t *buf,
			 uint64_t len, bool to_guest)
{
	struct guest_mem *mem = &p->hba->m->mem;
	uint64_t done = 0;
	for (unsigned i = 0; i < prdtl && done < len; i++) {
		uint32_t e[4];
		if (gpa_read(mem, ctba + 0x80 + 16ULL * i, e, 16))
			return -1;
		uint64_t dba = ((uint64_t)e[1] << 32 | e[0]) & ~1ULL;
		uint64_t n = (e[3] & 0x3FFFFF) + 1;
		if (n > len - done)
			n = len - done;
		int rc = to_guest ? gpa_write(mem, dba, buf + done, n)
				  : gpa_read(mem, dba, buf + done, n);
		if (rc)
			return -1;
		done += n;
	}
	return (int64_t)done;
}

static void identify(struct ahci_port *p, uint16_t id[256])
{
	ide_identify(&p->drive, id);
	id[75] = 31;                              /* NCQ queue depth 32 */
	id[76] = (1 << 8) | (1 << 2) | (1 << 1);  /* NCQ; SATA Gen1 and Gen2 */
	id[78] = 0;
	id[79] = 0;
	uint8_t sum = 0xA5;
	id[255] = 0x00A5;
	const uint8_t *b = (const uint8_t *)id;
	for (unsigned i = 0; i < 510; i++)
		sum += b[i];
	id[255] = (uint16_t)((uint8_t)-sum) << 8 | 0xA5;
}

struct ata_cmd {
	uint8_t cmd, feature, device;
	uint64_t lba;
	uint32_t count;
	unsigned tag;
	bool ncq;
};

static void decode(const uint8_t *fis, struct ata_cmd *c)
{
	c->cmd = fis[2];
	c->feature = fis[3];
	c->device = fis[7];
	uint64_t lba48 = (uint64_t)fis[4] | (uint64_t)fis[5] << 8 | (uint64_t)fis[6] << 16 |
			 (uint64_t)fis[8] << 24 | (uint64_t)fis[9] << 32 | (uint64_t)fis[10] << 40;
	uint32_t count16 = fis[12] | fis[13] << 8;
	c->ncq = false;
	switch (c->cmd) {
	case 0x60: case 0x61:                    /* READ/WRITE FPDMA QUEUED */
		c->ncq = true;
		c->lba = lba48;
		c->count = fis[3] | fis[11] << 8;
		if (!c->count)
			c->count = 65536;
		c->tag = fis[12] >> 3;
		break;
	case 0x24: case 0x25: case 0x34: case 0x35: case 0x42: case 0xEA:
		c->lba = lba48;
		c->count = count16 ? count16 : 65536;
		break;
	default:
		c->lba = (uint64_t)fis[4] | (uint64_t)fis[5] << 8 | (uint64_t)fis[6] << 16 |
			 (uint64_t)(fis[7] & 0x0F) << 24;
		c->count = fis[12] ? fis[12] : 256;
		break;
	}
}

/* Executes one non-data command; returns the ATA error byte (0 = success)
 * and the number of bytes moved in *xfer. */
static uint8_t execute(struct ahci_port *p, const struct ata_cmd *c, uint64_t ctba,
		       unsigned prdtl, uint32_t *xfer, bool *pio)
{
	struct ide_drive *d = &p->drive;
	*xfer = 0;
	*pio = false;
	switch (c->cmd) {
	case 0xEC: {                                /* IDENTIFY DEVICE */
		uint16_t id[256];
		identify(p, id);
		int64_t n = prdt_xfer(p, ctba, prdtl, (uint8_t *)id, 512, true);
		if (n < 0)
			return ATA_E_ABRT;
		*xfer = (uint32_t)n;
		*pio = true;
		return 0;
	}
	case 0x40: case 0x42:                       /* READ VERIFY SECTORS (EXT) */
		return c->lba + c->count > d->sectors ? ATA_E_IDNF : 0;
	case 0xE7: case 0xEA:                       /* FLUSH CACHE (EXT) */
		return block_flush(d->blk) ? ATA_E_ABRT : 0;
	case 0xEF:                                  /* SET FEATURES */
		switch (c->feature) {
		case 0x02: d->wce = true; return 0;
		case 0x82: d->wce = false; return 0;
		case 0x03: d->xfer_mode = (uint8_t)c->count; return 0;
		case 0x10: case 0x90: case 0xAA: case 0x55: case 0x66: case 0xCC: return 0;
		default: return ATA_E_ABRT;
		}
	case 0xC6:                                  /* SET MULTIPLE MODE */
		if ((c->count & 0xFF) > IDE_MAX_MULT || ((c->count & 0xFF) & ((c->count & 0xFF) - 1)))
			return ATA_E_ABRT;
		d->mult = c->count & 0xFF;
		return 0;
	case 0x91: case 0x90: case 0xE0: case 0xE1: case 0xE2: case 0xE3:
	case 0xE5: case 0xE6: case 0x00:            /* params, diag, power, NOP */
		return 0;
	default:
		if (log_ratelimit_ok(&p->hba->rl, 5))
			LOG(p->hba->m->log, LOG_DEBUG, "ahci", "port %u: ATA command 0x%02x aborted",
			    p->index, c->cmd);
		return ATA_E_ABRT;
	}
}

/* Completes slot `slot`: PRDBC, task file, FIS, CI/SACT bits. Lock held. */
static void finish_slot(struct ahci_port *p, unsigned slot, const struct ata_cmd *c,
			uint8_t err, uint32_t xfer, bool pio)
{
	struct guest_mem *mem = &p->hba->m->mem;
	uint64_t clb = (uint64_t)p->clbu << 32 | p->clb;
	bool ncq = c->ncq;
	/* Bytes transferred go back in the command header (PRDBC). */
	if (!ncq)
		gpa_write(mem, clb + 32ULL * slot + 4, &xfer, 4);
	p->ci &= ~(1u << slot);
	p->tfd = err ? (uint32_t)err << 8 | ATA_DRDY | ATA_ERR : ATA_DRDY | ATA_DSC;
	if (err) {
		p->is |= IS_TFES;
		post_d2h(p, true, NULL);
		if (ncq)
			p->sact &= ~(1u << (c->tag & 31));
	} else if (ncq) {
		uint8_t sdb[8] = { 0xA1, 0x40, ATA_DRDY | ATA_DSC, 0 };
		uint32_t bit = 1u << (c->tag & 31);
		memcpy(sdb + 4, &bit, 4);
		p->sact &= ~bit;
		post_fis(p, 0x58, sdb, sizeof(sdb));
		p->is |= IS_SDBS;
	} else {
		if (pio) {
			uint8_t ps[20];
			memset(ps, 0, sizeof(ps));
			ps[0] = 0x5F;
			ps[1] = 0x40 | 0x20;                 /* interrupt, device to host */
			ps[2] = ATA_DRDY | ATA_DSC | ATA_DRQ;
			ps[15] = ATA_DRDY | ATA_DSC;         /* E_Status */
			ps[16] = xfer & 0xFF;
			ps[17] = (xfer >> 8) & 0xFF;
			post_fis(p, 0x20, ps, sizeof(ps));
			p->is |= IS_PSS;
		}
		post_d2h(p, true, NULL);
	}
}

/* The block backend as the I/O engine sees it. */
static int be_readv(void *be, uint64_t off, const struct iovec *iov, unsigned n)
{
	return n == 1 ? block_read(be, off, iov[0].iov_base, iov[0].iov_len) : -EINVAL;
}

static int be_writev(void *be, uint64_t off, const struct iovec *iov, unsigned n)
{
	return n == 1 ? block_write(be, off, iov[0].iov_base, iov[0].iov_len) : -EINVAL;
}

static int be_flush(void *be) { return block_flush(be); }

static const struct blk_backend_ops ahci_blk_ops = { be_readv, be_writev, be_flush, NULL };

struct ahci_req {
	struct blk_req br;
	struct ahci_port *port;
	unsigned slot;
	struct ata_cmd cmd;
	uint64_t ctba;
	unsigned prdtl;
	bool write, pio;
	struct iovec iov;
	uint64_t bytes;
};

static void data_done(struct blk_req *br, int rc)
{
	struct ahci_req *r = (struct ahci_req *)br;
	struct ahci_port *p = r->port;
	struct ahci *a = p->hba;
	pthread_mutex_lock(&a->lock);
	uint8_t err = 0;
	if (rc) {
		err = ATA_E_UNC;
		if (log_ratelimit_ok(&a->rl, 5))
			LOG(a->m->log, LOG_WARN, "ahci", "port %u: I/O error at LBA %llu: %s", p->index,
			    (unsigned long long)r->cmd.lba, strerror(-rc));
	} else if (!r->write && prdt_xfer(p, r->ctba, r->prdtl, r->iov.iov_base, r->bytes, true) !=
					 (int64_t)r->bytes) {
		err = ATA_E_ABRT;   /* PRDT shorter than the transfer, or not RAM */
	}
	p->busy &= ~(1u << r->slot);
	finish_slot(p, r->slot, &r->cmd, err, err ? 0 : (uint32_t)r->bytes, r->pio);
	update_irq(a);
	if (--a->inflight == 0)
		pthread_cond_broadcast(&a->idle);
	pthread_mutex_unlock(&a->lock);
	free(r->iov.iov_base);
	free(r);
}

static bool is_data_cmd(uint8_t cmd, bool *write, bool *pio)
{
	switch (cmd) {
	case 0x20: case 0x24: *write = false; *pio = true; return true;
	case 0xC8: case 0x25: case 0x60: *write = false; *pio = false; return true;
	case 0x30: case 0x34: *write = true; *pio = true; return true;
	case 0xCA: case 0x35: case 0x61: *write = true; *pio = false; return true;
	}
	return false;
}

/* Starts a data command on the port's workers; returns 0 if submitted, or
 * the ATA error to complete the slot with now. */
static uint8_t start_data(struct ahci_port *p, unsigned slot, const struct ata_cmd *c,
			  uint64_t ctba, unsigned prdtl, bool write, bool pio)
{
	struct ide_drive *d = &p->drive;
	uint64_t bytes = (uint64_t)c->count * 512;
	if (c->lba > d->sectors || c->count > d->sectors - c->lba)
		return ATA_E_IDNF | ATA_E_ABRT;
	if (bytes > MAX_XFER)
		return ATA_E_ABRT;
	struct ahci_req *r = calloc(1, sizeof(*r));
	uint8_t *buf = malloc(bytes);
	if (!r || !buf) {
		free(r);
		free(buf);
		return ATA_E_ABRT;
	}
	if (write && prdt_xfer(p, ctba, prdtl, buf, bytes, false) != (int64_t)bytes) {
		free(r);
		free(buf);
		return ATA_E_ABRT;
	}
	r->port = p;
	r->slot = slot;
	r->cmd = *c;
	r->ctba = ctba;
	r->prdtl = prdtl;
	r->write = write;
	r->pio = pio;
	r->bytes = bytes;
	r->iov = (struct iovec){ buf, bytes };
	r->br = (struct blk_req){ .op = write ? BLK_WRITE : BLK_READ, .offset = c->lba * 512,
				  .iov = &r->iov, .niov = 1, .done = data_done };
	p->busy |= 1u << slot;
	p->hba->inflight++;
	blkqueue_submit(p->q, &r->br);
	return 0;
}

/* Starts (and for non-data commands completes) slot `slot`. Lock held. */
static void run_slot(struct ahci_port *p, unsigned slot)
{
	struct guest_mem *mem = &p->hba->m->mem;
	uint64_t clb = (uint64_t)p->clbu << 32 | p->clb;
	uint32_t hdr[4];
	uint8_t fis[64];
	uint8_t err = ATA_E_ABRT;
	uint32_t xfer = 0;
	bool pio = false, write = false;
	struct ata_cmd c = { 0 };
	if (gpa_read(mem, clb + 32ULL * slot, hdr, 16))
		goto done;
	uint64_t ctba = ((uint64_t)hdr[3] << 32 | hdr[2]) & ~0x7FULL;
	unsigned prdtl = hdr[0] >> 16;
	if (gpa_read(mem, ctba, fis, sizeof(fis)) || fis[0] != 0x27)
		goto done;
	if (!(fis[1] & 0x80)) {
		/* Device control FIS (soft reset sequence): no command. */
		err = 0;
		if (!(fis[15] & ATA_CTL_SRST))
			port_signature(p);
		goto done;
	}
	if (!p->drive.blk)
		goto done;
	decode(fis, &c);
	if (is_data_cmd(c.cmd, &write, &pio)) {
		err = start_data(p, slot, &c, ctba, prdtl, write, pio);
		if (!err)
			return;   /* completes on a worker */
		pio = false;
	} else {
		err = execute(p, &c, ctba, prdtl, &xfer, &pio);
	}
done:
	finish_slot(p, slot, &c, err, xfer, pio);
}

/* Waits until no command is in flight (lock held; it is released while
 * waiting, so completions can run). */
static void wait_idle(struct ahci *a)
{
	while (a->inflight)
		pthread_cond_wait(&a->idle, &a->lock);
}

static void process(struct ahci_port *p)
{
	if (!(p->cmd & CMD_ST))
		return;
	uint32_t todo;
	while ((todo = p->ci & ~p->busy)) {
		unsigned slot = (unsigned)__builtin_ctz(todo);
		run_slot(p, slot);
	}
	update_irq(p->hba);
}

/* ---- register file ---------------------------------------------------------- */

static uint32_t port_read(struct ahci_port *p, unsigned off)
{
	switch (off) {
	case PxCLB: return p->clb;
	case PxCLBU: return p->clbu;
	case PxFB: return p->fb;
	case PxFBU: return p->fbu;
	case PxIS: return p->is;
	case PxIE: return p->ie;
	case PxCMD: return p->cmd;
	case PxTFD: return p->tfd;
	case PxSIG: return p->sig;
	case PxSSTS: return p->ssts;
	case PxSCTL: return p->sctl;
	case PxSERR: return p->serr;
	case PxSACT: return p->sact;
	case PxCI: return p->ci;
	case PxSNTF: return p->sntf;
	}
	return 0;
}

static void port_write(struct ahci_port *p, unsigned off, uint32_t v)
{
	switch (off) {
	case PxCLB: p->clb = v & ~0x3FFu; break;
	case PxCLBU: p->clbu = v; break;
	case PxFB: p->fb = v & ~0xFFu; break;
	case PxFBU: p->fbu = v; break;
	case PxIS: p->is &= ~v; break;
	case PxIE: p->ie = v & 0xFDC000FFu; break;
	case PxCMD: {
		uint32_t keep = p->cmd & (CMD_FR | CMD_CR);
		p->cmd = (v & ~(CMD_FR | CMD_CR | CMD_CLO)) | keep;
		p->cmd = (p->cmd & ~CMD_FR) | (p->cmd & CMD_FRE ? CMD_FR : 0);
		p->cmd = (p->cmd & ~CMD_CR) | (p->cmd & CMD_ST ? CMD_CR : 0);
		if (v & CMD_CLO)
			p->tfd &= ~(uint32_t)(ATA_BSY | ATA_DRQ);
		if (!(p->cmd & CMD_ST)) {
			wait_idle(p->hba);
			p->ci = 0;
			p->sact = 0;
		}
		if ((p->cmd & CMD_FRE) && p->drive.blk && p->sig == SIG_ATA && !(keep & CMD_FR))
			port_signature(p);   /* the device's D2H FIS arrives once FIS receive runs */
		process(p);
		break;
	}
	case PxSCTL:
		/* COMRESET: DET=1 starts it, DET=0 ends it with a new signature. */
		if ((p->sctl & 0xF) == 1 && (v & 0xF) == 0)
			port_signature(p);
		else if ((v & 0xF) == 1) {
			p->ssts = 0;
			p->tfd = 0x80;   /* BSY */
		}
		p->sctl = v;
		break;
	case PxSERR: p->serr &= ~v; break;
	case PxSACT: if (p->cmd & CMD_ST) p->sact |= v; break;
	case PxCI:
		if (p->cmd & CMD_ST) {
			p->ci |= v;
			process(p);
		}
		break;
	case PxSNTF: p->sntf &= ~v; break;
	}
}

static uint64_t abar_read(void *opaque, uint64_t off, unsigned size)
{
	struct ahci *a = opaque;
	uint32_t v = 0;
	if (size != 4 || (off & 3)) {
		if (log_ratelimit_ok(&a->rl, 5))
			LOG(a->m->log, LOG_DEBUG, "ahci", "ignored %u-byte read at 0x%llx", size,
			    (unsigned long long)off);
		return 0;
	}
	pthread_mutex_lock(&a->lock);
	if (off < 0x100) {
		switch (off) {
		case HBA_CAP:
			v = CAP_S64A | CAP_SNCQ | CAP_SAM | CAP_ISS_GEN1 * 2 | (31u << 8) |
			    (AHCI_PORTS - 1);
			break;
		case HBA_GHC: v = a->ghc; break;
		case HBA_IS: v = a->is; break;
		case HBA_PI: v = (1u << AHCI_PORTS) - 1; break;
		case HBA_VS: v = 0x00010300; break;
		}
	} else if (off < 0x100 + 0x80ULL * AHCI_PORTS) {
		v = port_read(&a->port[(off - 0x100) / 0x80], (off - 0x100) % 0x80);
	}
	pthread_mutex_unlock(&a->lock);
	return v;
}

static void abar_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct ahci *a = opaque;
	if (size != 4 || (off & 3)) {
		if (log_ratelimit_ok(&a->rl, 5))
			LOG(a->m->log, LOG_DEBUG, "ahci", "ignored %u-byte write at 0x%llx", size,
			    (unsigned long long)off);
		return;
	}
	uint32_t v = (uint32_t)val;
	pthread_mutex_lock(&a->lock);
	if (off == HBA_GHC) {
		if (v & GHC_HR) {
			hba_reset(a);
		} else {
			a->ghc = (v & GHC_IE) | GHC_AE;
			update_irq(a);
		}
	} else if (off == HBA_IS) {
		for (unsigned i = 0; i < AHCI_PORTS; i++)
			if (v & (1u << i))
				a->port[i].is = 0;   /* HBA IS is W1C over the ports' summary */
		update_irq(a);
	} else if (off >= 0x100 && off < 0x100 + 0x80ULL * AHCI_PORTS) {
		port_write(&a->port[(off - 0x100) / 0x80], (off - 0x100) % 0x80, v);
		update_irq(a);
	}
	pthread_mutex_unlock(&a->lock);
}

static const struct io_ops abar_ops = { abar_read, abar_write };

static void ahci_pci_reset(struct pci_device *d)
{
	struct ahci *a = d->opaque;
	pthread_mutex_lock(&a->lock);
	hba_reset(a);
	pthread_mutex_unlock(&a->lock);
}

static const struct pci_device_ops ahci_pci_ops = { NULL, ahci_pci_reset };

struct ahci *ahci_create(struct machine *m, struct pci_bus *bus, unsigned devfn,
			 struct block_backend *const disks[AHCI_PORTS], char *err, size_t err_len)
{
	struct ahci *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	a->m = m;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->idle, NULL);
	for (unsigned i = 0; i < AHCI_PORTS; i++) {
		a->port[i].hba = a;
		a->port[i].index = i;
		ide_drive_setup(&a->port[i].drive, disks[i], i);
		if (!disks[i])
			continue;
		bool qcow2 = disks[i]->ops->format && !strcmp(disks[i]->ops->format, "qcow2");
		a->port[i].q = blkqueue_new(&ahci_blk_ops, disks[i], qcow2 ? 1 : 2);
		if (!a->port[i].q) {
			snprintf(err, err_len, "ahci: cannot start the I/O workers");
			ahci_destroy(a);
			return NULL;
		}
	}
	int rc = pci_device_init(&a->pci, devfn, "ahci", 0x8086, 0x2922, 2, 0x010601, 0,
				 &ahci_pci_ops, a);
	if (!rc) {
		pci_set_word(a->pci.config + PCI_SUBSYSTEM_VENDOR_ID, PCI_SUBSYS_VENDOR_DEFAULT);
		pci_set_word(a->pci.config + PCI_SUBSYSTEM_ID, PCI_SUBSYS_ID_DEFAULT);
		pci_device_set_pin(&a->pci, 1);
		rc = pci_device_set_bar(&a->pci, 5, PCI_BAR_MEM32, false, ABAR_SIZE, &abar_ops, a);
	}
	if (!rc)
		rc = pci_msi_init(&a->pci, 0x80, 1, true);
	if (!rc)
		rc = pci_bus_add(bus, &a->pci);
	if (rc) {
		snprintf(err, err_len, "ahci: cannot create the controller: %s", strerror(-rc));
		ahci_destroy(a);
		return NULL;
	}
	hba_reset(a);
	return a;
}

void ahci_destroy(struct ahci *a)
{
	if (!a)
		return;
	pci_bus_remove(a->pci.bus, &a->pci);
	for (unsigned i = 0; i < AHCI_PORTS; i++)
		blkqueue_free(a->port[i].q);    /* drains: completions run first */
	pci_device_free(&a->pci);
	pthread_cond_destroy(&a->idle);
	pthread_mutex_destroy(&a->lock);
	free(a);
}
