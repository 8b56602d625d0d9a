/*
 * Intel 82441FX (i440FX) PCI and memory controller, host bridge at 00:00.0
 * (8086:1237 rev 02, class 0600): the PAM shadow-RAM registers and SMRAM.
 *
 * PAM (82441FX datasheet 3.2.18): 0x59 bits 5:4 control 0xF0000-0xFFFFF;
 * 0x5A-0x5F hold two 4-bit fields each (low nibble first) for the twelve
 * 16 KiB segments 0xC0000-0xEFFFF. In each field bit 0 (RE) sends reads to
 * DRAM and bit 1 (WE) sends writes to DRAM; cleared, the access goes to PCI
 * (the BIOS ROM alias). Our memory model keeps RAM, holding the BIOS alias
 * copy, at 0xC0000-0xFFFFF permanently, so reads always see RAM and only WE
 * is modelled: a segment without WE is read-only for the guest (writes are
 * dropped, as the ROM would drop them). This is what SeaBIOS relies on: it
 * sets 0x33/0x30 to unlock the area, copies itself from the high ROM alias,
 * and later sets 0x11/0x10 to lock it.
 *
 * Protection starts with the guest's first PAM write: until firmware
 * programs PAM (and again after a machine reset, when loaders write the
 * BIOS copy) the area stays writable.
 *
 * SMRAM (0x72): stored with the D_LCK rule (setting D_LCK clears D_OPEN and
 * freezes the register until reset); there is no SMM, so nothing else follows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "hw/pci/chipset.h"

#define I440FX_PAM0 0x59
#define I440FX_PAM_LAST 0x5f
#define I440FX_SMRAM 0x72
#define I440FX_RAM_SIZE 0x57
#define SMRAM_D_OPEN 0x40
#define SMRAM_D_LCK 0x10
#define SMRAM_DEFAULT 0x02         /* C_BASE_SEG = 010: SMRAM at 0xA0000 */
#define SHADOW_BASE 0xc0000ULL
#define SHADOW_SEG 0x4000ULL
#define SHADOW_SEGS 16

/* Read-only mask of the 16 segments of 0xC0000-0xFFFFF per the PAM bytes. */
static uint16_t pam_readonly_mask(const uint8_t *config)
{
	uint16_t ro = 0;
	for (unsigned seg = 0; seg < 12; seg++) {
		uint8_t field = config[I440FX_PAM0 + 1 + seg / 2] >> (seg & 1 ? 4 : 0);
		if (!(field & 2))
			ro |= 1u << seg;
	}
	if (!(config[I440FX_PAM0] & 0x20))
		ro |= 0xf000;
	return ro;
}

/* Applies `ro` to guest memory, one run of equal segments at a time. */
static void pam_apply(struct i440fx *h, uint16_t ro)
{
	struct machine *m = h->m;
	uint16_t changed = ro ^ h->pam_ro;
	bool any = false;
	for (unsigned seg = 0; seg < SHADOW_SEGS;) {
		if (!(changed >> seg & 1)) {
			seg++;
			continue;
		}
		unsigned end = seg;
		bool want = ro >> seg & 1;
		while (end < SHADOW_SEGS && (changed >> end & 1) && (ro >> end & 1) == want)
			end++;
		int rc = mem_set_readonly(&m->mem, SHADOW_BASE + seg * SHADOW_SEG,
					  (end - seg) * SHADOW_SEG, want);
		if (rc) {
			LOG(m->log, LOG_WARN, "i440fx",
			    "PAM: cannot make 0x%llx-0x%llx %s: %s", SHADOW_BASE + seg * SHADOW_SEG,
			    SHADOW_BASE + end * SHADOW_SEG - 1, want ? "read-only" : "writable",
			    strerror(-rc));
			/* Leave those segments as they were. */
			for (unsigned s = seg; s < end; s++)
				ro = (ro & ~(1u << s)) | (h->pam_ro & (1u << s));
		} else {
			any = true;
			LOG(m->log, LOG_DEBUG, "i440fx", "PAM: 0x%llx-0x%llx now %s",
			    SHADOW_BASE + seg * SHADOW_SEG, SHADOW_BASE + end * SHADOW_SEG - 1,
			    want ? "read-only" : "writable");
		}
		seg = end;
	}
	h->pam_ro = ro;
	if (any && m->cpu && m->cpu->mem_sync) {
		int rc = m->cpu->mem_sync(m);
		if (rc)
			LOG(m->log, LOG_ERROR, "i440fx", "PAM: %s backend cannot remap memory: %s",
			    m->cpu->name, strerror(-rc));
	}
}

static void i440fx_config_write(struct pci_device *d, unsigned off, uint32_t val, unsigned size)
{
	struct i440fx *h = d->opaque;
	if (off <= I440FX_PAM_LAST && off + size > I440FX_PAM0) {
		h->pam_programmed = true;
		pam_apply(h, pam_readonly_mask(d->config));
	}
	if (off <= I440FX_SMRAM && off + size > I440FX_SMRAM) {
		uint8_t v = d->config[I440FX_SMRAM];
		if (h->smram & SMRAM_D_LCK)
			v = h->smram;              /* locked: every field is read-only */
		else if (v & SMRAM_D_LCK)
			v &= ~SMRAM_D_OPEN;        /* locking closes the window */
		d->config[I440FX_SMRAM] = h->smram = v;
	}
}

static void i440fx_reset(struct pci_device *d)
{
	struct i440fx *h = d->opaque;
	d->config[I440FX_SMRAM] = h->smram = SMRAM_DEFAULT;
	h->pam_programmed = false;
	pam_apply(h, 0);                   /* writable until firmware programs PAM */
}

/* After a snapshot load replaced the configuration bytes. */
void i440fx_post_load(struct i440fx *h, bool pam_programmed)
{
	h->smram = h->pci.config[I440FX_SMRAM];
	h->pam_programmed = pam_programmed;
	pam_apply(h, pam_programmed ? pam_readonly_mask(h->pci.config) : 0);
}

static const struct pci_device_ops i440fx_ops = {
	.config_write = i440fx_config_write,
	.reset = i440fx_reset,
};

int i440fx_init(struct i440fx *h, struct machine *m)
{
	h->m = m;
	h->pam_ro = 0;
	int rc = pci_device_init(&h->pci, PCI_DEVFN(0, 0), "i440fx", 0x8086, 0x1237, 0x02,
				 0x060000, 0x00, &i440fx_ops, h);
	if (rc)
		return rc;
	struct pci_device *d = &h->pci;
	/* Chipset registers 0x50-0xFF are plain storage except PAM and SMRAM. */
	for (unsigned i = 0x50; i < PCI_CFG_SIZE; i++)
		d->wmask[i] = 0xff;
	d->wmask[I440FX_PAM0] = 0x30;
	for (unsigned i = I440FX_PAM0 + 1; i <= I440FX_PAM_LAST; i++)
		d->wmask[i] = 0x33;
	d->wmask[I440FX_SMRAM] = 0x78;
	/* The host bridge has no interrupt and no subsystem of its own. */
	d->wmask[PCI_INTERRUPT_LINE] = 0;
	d->config[I440FX_SMRAM] = h->smram = SMRAM_DEFAULT;
	/* QEMU's convention for coreboot: RAM size in 8 MiB units at 0x57
	 * (DRAMC on the real part), saturating at 255. */
	uint64_t units = m ? m->mem.ram_size >> 23 : 0;
	d->config[I440FX_RAM_SIZE] = units > 255 ? 255 : units;
	d->wmask[I440FX_RAM_SIZE] = 0;
	return 0;
}
