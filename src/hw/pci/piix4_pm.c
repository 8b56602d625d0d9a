/*
 * Intel 82371AB PIIX4 power management, function 3 of device 1 (8086:7113
 * rev 03, class 0680): the ACPI fixed hardware, the PM timer, GPE0, the SMI
 * command port and a minimal SMBus host. Addresses: hw/pci/piix4_pm.h.
 *
 * Configuration: PMBA (0x40, bits 15:6) places the 64-byte PM block,
 * enabled by PMREGMISC (0x80) bit 0; SMBBA (0x90, bits 15:4) places the
 * SMBus host, enabled by SMBHSTCFG (0xD2) bit 0. Both are decoded whatever
 * the command register says, as on the 82371AB. DEVACTB byte 0x5B reads
 * 0x02 (APMC_EN) from reset: SeaBIOS takes that as "SMM already set up" and
 * skips its SMM relocation, which would hang here since 0xB2 raises no SMI.
 *
 * Registers (PM block): PM1 status at +0 (write one to clear), PM1 enable
 * at +2, PM1 control at +4 (SCI_EN; writing SLP_EN with SLP_TYP 0 is S5,
 * soft off, which stops the machine with exit status 0; other sleep types
 * are refused with a log line), PM timer at +8 (read only), the rest plain
 * storage. TMR_STS is derived lazily: it is set once bit 23 of the timer
 * has toggled since the guest last cleared it (no overflow interrupt).
 * SCI (ISA IRQ 9, level) = any enabled PM1 event or GPE0 event pending.
 *
 * The PM timer is the hot path (Linux's clocksource, SeaBIOS's delays): a
 * dword read at +8 computes the value from the clock without taking a lock.
 */
#include <errno.h>
#include <string.h>

#include "core/machine.h"
#include "core/state.h"
#include "hw/pci/chipset.h"
#include "hw/pci/piix4_pm.h"

#define PMBA 0x40
#define DEVACTB 0x58
#define PMREGMISC 0x80
#define SMBBA 0x90
#define SMBHSTCFG 0xd2

#define PM1_STS_W1C (PIIX4_PM1_TMR | 0x0010 | PIIX4_PM1_GBL | PIIX4_PM1_PWRBTN | \
		     PIIX4_PM1_RTC | PIIX4_PM1_WAK)
#define PM1_EN_MASK (PIIX4_PM1_TMR | PIIX4_PM1_GBL | PIIX4_PM1_PWRBTN | PIIX4_PM1_RTC)
#define PM1_SCI_EVENTS PM1_EN_MASK
/* SCI_EN, BRLD_EN_BM and SUS_TYP are stored; GBL_RLS and SUS_EN read 0. */
#define PM1_CNT_MASK (PIIX4_PM1_SCI_EN | 0x0002 | 0x1c00)

#define SMB_HSTSTS 0
#define SMB_HSTCNT 2
#define SMB_STS_DEV_ERR 0x04
#define SMB_STS_W1C 0x1e
#define SMB_CNT_START 0x40

static struct logger *pm_log(struct piix4_pm *pm) { return pm->m ? pm->m->log : NULL; }

static uint64_t pm_default_clock(void *opaque)
{
	return machine_clock_ns(opaque);
}

static void pm_default_power_off(void *opaque)
{
	machine_request_stop(opaque, STOP_POWEROFF, EXIT_POWEROFF);
}

/* Timer ticks since machine start (3.579545 MHz), without wrapping. */
static uint64_t pm_ticks(struct piix4_pm *pm)
{
	uint64_t ns = pm->clock_ns(pm->clock_opaque);
	uint64_t s = ns / 1000000000u, rem = ns % 1000000000u;
	return s * PIIX4_PM_TIMER_HZ + rem * PIIX4_PM_TIMER_HZ / 1000000000u;
}

uint32_t piix4_pm_timer(struct piix4_pm *pm)
{
	return pm_ticks(pm) & 0xffffff;
}

/* Caller holds pm->lock. TMR_STS: bit 23 toggled since last acknowledged. */
static uint16_t pm1_status(struct piix4_pm *pm)
{
	uint16_t sts = pm->pm1_sts;
	if ((pm_ticks(pm) >> 23) != pm->tmr_epoch)
		sts |= PIIX4_PM1_TMR;
	return sts;
}

/* Caller holds pm->lock. */
static void pm_update_sci(struct piix4_pm *pm)
{
	bool level = (pm1_status(pm) & pm->pm1_en & PM1_SCI_EVENTS) ||
		     (pm->gpe_sts & pm->gpe_en);
	if (level != pm->sci_level) {
		pm->sci_level = level;
		irq_line_set(&pm->sci, level);
	}
}

static uint8_t pm_read_byte(struct piix4_pm *pm, unsigned off)
{
	switch (off) {
	case 0: case 1: return pm1_status(pm) >> (8 * (off & 1));
	case 2: case 3: return pm->pm1_en >> (8 * (off & 1));
	case 4: case 5: return pm->pm1_cnt >> (8 * (off & 1));
	case 8: case 9: case 10: case 11:
		return piix4_pm_timer(pm) >> (8 * (off - 8));
	default: return pm->regs[off];
	}
}

static uint64_t pm_read(void *opaque, uint64_t off, unsigned size)
{
	struct piix4_pm *pm = opaque;
	if (off == 8 && size == 4)
		return piix4_pm_timer(pm);         /* the fast path: no lock */
	uint64_t v = 0;
	pthread_mutex_lock(&pm->lock);
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)(off + i < PIIX4_PM_LEN ? pm_read_byte(pm, off + i) : 0xff) << (8 * i);
	pthread_mutex_unlock(&pm->lock);
	return v;
}

/* Caller holds pm->lock; runs after a write that set SLP_EN. */
static void pm_sleep(struct piix4_pm *pm, unsigned typ)
{
	if (typ == PIIX4_SLP_TYP_S5) {
		LOG(pm_log(pm), LOG_INFO, "piix4-pm", "guest entered S5 (soft off)");
		pm->power_off(pm->power_off_opaque);
		return;
	}
	if (log_ratelimit_ok(&pm->rl, 5))
		LOG(pm_log(pm), LOG_WARN, "piix4-pm",
		    "guest asked for sleep type %u (PM1_CNT): only S5 (type 0) is supported, ignored",
		    typ);
}

static void pm_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct piix4_pm *pm = opaque;
	bool sleep = false;
	pthread_mutex_lock(&pm->lock);
	for (unsigned i = 0; i < size && off + i < PIIX4_PM_LEN; i++) {
		unsigned o = off + i, sh = 8 * (o & 1);
		uint16_t b = (uint16_t)((val >> (8 * i)) & 0xff) << sh;
		switch (o) {
		case 0: case 1:
			b &= PM1_STS_W1C;
			pm->pm1_sts &= ~b;
			if (b & PIIX4_PM1_TMR)
				pm->tmr_epoch = pm_ticks(pm) >> 23;
			break;
		case 2: case 3:
			pm->pm1_en = (pm->pm1_en & ~(0xff << sh)) | (b & PM1_EN_MASK);
			break;
		case 4: case 5:
			pm->pm1_cnt = (pm->pm1_cnt & ~(0xff << sh)) | (b & PM1_CNT_MASK);
			if (b & PIIX4_PM1_SLP_EN)
				sleep = true;
			break;
		case 8: case 9: case 10: case 11:
			break;                         /* the timer is read only */
		default:
			pm->regs[o] = b >> sh;
		}
	}
	if (sleep)
		pm_sleep(pm, (pm->pm1_cnt >> PIIX4_PM1_SLP_TYP_SHIFT) & 7);
	pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

static uint64_t gpe_read(void *opaque, uint64_t off, unsigned size)
{
	struct piix4_pm *pm = opaque;
	uint32_t all;
	pthread_mutex_lock(&pm->lock);
	all = pm->gpe_sts | (uint32_t)pm->gpe_en << 16;
	pthread_mutex_unlock(&pm->lock);
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)(off + i < 4 ? (all >> (8 * (off + i))) & 0xff : 0xff) << (8 * i);
	return v;
}

static void gpe_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct piix4_pm *pm = opaque;
	pthread_mutex_lock(&pm->lock);
	for (unsigned i = 0; i < size && off + i < 4; i++) {
		unsigned o = off + i;
		uint16_t b = (uint16_t)((val >> (8 * i)) & 0xff) << (8 * (o & 1));
		if (o < 2)
			pm->gpe_sts &= ~b;
		else
			pm->gpe_en = (pm->gpe_en & ~(0xff << (8 * (o & 1)))) | b;
	}
	pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

static uint64_t apm_read(void *opaque, uint64_t off, unsigned size)
{
	struct piix4_pm *pm = opaque;
	pthread_mutex_lock(&pm->lock);
	uint64_t v = off == 0 ? pm->apmc | (size > 1 ? pm->apms << 8 : 0) : pm->apms;
	pthread_mutex_unlock(&pm->lock);
	return v;
}

static void apm_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct piix4_pm *pm = opaque;
	pthread_mutex_lock(&pm->lock);
	if (off == 0) {
		pm->apmc = val;
		/* ACPI 3.0 4.7.2.5: the OS hands over by writing ACPI_ENABLE to
		 * SMI_CMD; the SMI handler then sets SCI_EN. We have no SMM, so
		 * the port does it directly (as QEMU's PIIX4 does). */
		if (pm->apmc == PIIX4_ACPI_ENABLE)
			pm->pm1_cnt |= PIIX4_PM1_SCI_EN;
		else if (pm->apmc == PIIX4_ACPI_DISABLE)
			pm->pm1_cnt &= ~PIIX4_PM1_SCI_EN;
		if (size > 1)
			pm->apms = val >> 8;
	} else {
		pm->apms = val;
	}
	pthread_mutex_unlock(&pm->lock);
}

static uint64_t smb_read(void *opaque, uint64_t off, unsigned size)
{
	struct piix4_pm *pm = opaque;
	uint64_t v = 0;
	pthread_mutex_lock(&pm->lock);
	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i;
		uint8_t b = o < PIIX4_SMB_LEN ? pm->smb[o] : 0xff;
		if (o == SMB_HSTCNT)
			b &= ~SMB_CNT_START;
		v |= (uint64_t)b << (8 * i);
	}
	pthread_mutex_unlock(&pm->lock);
	return v;
}

static void smb_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct piix4_pm *pm = opaque;
	pthread_mutex_lock(&pm->lock);
	for (unsigned i = 0; i < size && off + i < PIIX4_SMB_LEN; i++) {
		unsigned o = off + i;
		uint8_t b = val >> (8 * i);
		if (o == SMB_HSTSTS) {
			pm->smb[o] &= ~(b & SMB_STS_W1C);
		} else {
			pm->smb[o] = b;
			/* No device sits on the bus: every transaction ends
			 * with "device error" (address not acknowledged). */
			if (o == SMB_HSTCNT && (b & SMB_CNT_START))
				pm->smb[SMB_HSTSTS] |= SMB_STS_DEV_ERR;
		}
	}
	pthread_mutex_unlock(&pm->lock);
}

static const struct io_ops pm_ops = { pm_read, pm_write };
static const struct io_ops gpe_ops = { gpe_read, gpe_write };
static const struct io_ops apm_ops = { apm_read, apm_write };
static const struct io_ops smb_ops = { smb_read, smb_write };

/* Moves (or unmaps) a block after its base/enable registers changed. */
static void remap(struct piix4_pm *pm, uint16_t *cur, uint16_t want, uint64_t len,
		  const struct io_ops *ops, const char *name)
{
	struct bus *pio = pm->pci.bus ? pm->pci.bus->pio : NULL;	/* NULL until on the bus */
	if (!pio || *cur == want)
		return;
	if (*cur)
		bus_unregister(pio, *cur, pm);
	*cur = 0;
	if (!want)
		return;
	int rc = bus_register(pio, want, len, ops, pm, name);
	if (rc) {
		if (log_ratelimit_ok(&pm->rl, 5))
			LOG(pm_log(pm), LOG_WARN, "piix4-pm",
			    "cannot map %s at port 0x%x: %s (left unmapped)", name, want,
			    strerror(-rc));
		return;
	}
	*cur = want;
}

static void pm_remap_all(struct piix4_pm *pm)
{
	const uint8_t *c = pm->pci.config;
	uint16_t pmba = pci_get_word(c + PMBA) & 0xffc0;
	uint16_t smba = pci_get_word(c + SMBBA) & 0xfff0;
	remap(pm, &pm->pm_base, c[PMREGMISC] & 1 ? pmba : 0, PIIX4_PM_LEN, &pm_ops, "piix4-pm");
	remap(pm, &pm->smb_base, c[SMBHSTCFG] & 1 ? smba : 0, PIIX4_SMB_LEN, &smb_ops,
	      "piix4-smbus");
}

static void piix4_config_write(struct pci_device *d, unsigned off, uint32_t val, unsigned size)
{
	pm_remap_all(d->opaque);
}

static void piix4_reset(struct pci_device *d)
{
	struct piix4_pm *pm = d->opaque;
	d->config[DEVACTB + 3] = 0x02;     /* APMC_EN: "SMM is set up" */
	/* The board wires the SMBus host at 0xB100, enabled, as QEMU's does
	 * (SeaBIOS programs the same values again). */
	pci_set_long(d->config + SMBBA, PIIX4_SMB_BASE | 1);
	d->config[SMBHSTCFG] = 0x09;
	pthread_mutex_lock(&pm->lock);
	pm->pm1_sts = pm->pm1_en = pm->pm1_cnt = 0;
	pm->gpe_sts = pm->gpe_en = 0;
	pm->apmc = pm->apms = 0;
	memset(pm->regs, 0, sizeof(pm->regs));
	pm->tmr_epoch = pm_ticks(pm) >> 23;
	memset(pm->smb, 0, sizeof(pm->smb));
	pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
	pm_remap_all(pm);
}

static const struct pci_device_ops piix4_ops = {
	.config_write = piix4_config_write,
	.reset = piix4_reset,
};

int piix4_pm_init(struct piix4_pm *pm, struct machine *m)
{
	pm->m = m;
	pthread_mutex_init(&pm->lock, NULL);
	if (!pm->clock_ns) {
		pm->clock_ns = pm_default_clock;
		pm->clock_opaque = m;
	}
	if (!pm->power_off) {
		pm->power_off = pm_default_power_off;
		pm->power_off_opaque = m;
	}
	irq_line_init(&pm->sci, m, PIIX4_SCI_IRQ);
	int rc = pci_device_init(&pm->pci, PCI_DEVFN(PIIX4_PM_DEV, PIIX4_PM_FN), "piix4-pm",
				 0x8086, 0x7113, 0x03, 0x068000, 0x00, &piix4_ops, pm);
	if (rc)
		return rc;
	struct pci_device *d = &pm->pci;
	pci_device_set_pin(d, 1);
	pci_set_word(d->config + PCI_STATUS, 0x0280);         /* fast back-to-back, medium DEVSEL */
	for (unsigned i = 0x40; i < PCI_CFG_SIZE; i++)
		d->wmask[i] = 0xff;
	/* PMBA / SMBBA: bit 0 reads 1 (I/O space), the base bits are writable. */
	pci_set_long(d->config + PMBA, 1);
	pci_set_long(d->wmask + PMBA, 0xffc0);
	pci_set_long(d->config + SMBBA, 1);
	pci_set_long(d->wmask + SMBBA, 0xfff0);
	d->wmask[PMREGMISC] = 0x01;
	d->wmask[SMBHSTCFG] = 0x0f;
	piix4_reset(d);
	return 0;
}

/* Fixed blocks that do not move: GPE0 and the APM ports. Needs the bus. */
int piix4_pm_attach(struct piix4_pm *pm, struct bus *pio)
{
	int rc = bus_register(pio, PIIX4_GPE0_BLK, PIIX4_GPE0_BLK_LEN, &gpe_ops, pm, "gpe0");
	if (!rc)
		rc = bus_register(pio, PIIX4_SMI_CMD, 2, &apm_ops, pm, "apm");
	return rc;
}

void piix4_pm_destroy(struct piix4_pm *pm)
{
	struct bus *pio = pm->m ? &pm->m->pio : NULL;
	if (pio) {
		if (pm->pm_base)
			bus_unregister(pio, pm->pm_base, pm);
		if (pm->smb_base)
			bus_unregister(pio, pm->smb_base, pm);
		bus_unregister(pio, PIIX4_GPE0_BLK, pm);
		bus_unregister(pio, PIIX4_SMI_CMD, pm);
	}
	pm->pm_base = pm->smb_base = 0;
	pthread_mutex_destroy(&pm->lock);
	pci_device_free(&pm->pci);
}

void piix4_pm_power_button(struct piix4_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->pm1_sts |= PIIX4_PM1_PWRBTN;
	pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

/* Snapshot: the function's configuration, then the PM, GPE, APM and SMBus
 * registers. The timer is not state: it follows the machine clock. */
void piix4_pm_save(struct piix4_pm *pm, struct state_writer *w)
{
	pci_device_save(&pm->pci, w);
	pthread_mutex_lock(&pm->lock);
	sw_u16(w, pm->pm1_sts);
	sw_u16(w, pm->pm1_en);
	sw_u16(w, pm->pm1_cnt);
	sw_u16(w, pm->gpe_sts);
	sw_u16(w, pm->gpe_en);
	sw_u64(w, pm->tmr_epoch);
	sw_bytes(w, pm->regs, sizeof(pm->regs));
	sw_u8(w, pm->apmc);
	sw_u8(w, pm->apms);
	sw_bytes(w, pm->smb, sizeof(pm->smb));
	pthread_mutex_unlock(&pm->lock);
}

void piix4_pm_load(struct piix4_pm *pm, struct state_reader *r)
{
	pci_device_load(&pm->pci, r);
	pthread_mutex_lock(&pm->lock);
	uint16_t sts = sr_u16(r), en = sr_u16(r), cnt = sr_u16(r);
	uint16_t gsts = sr_u16(r), gen = sr_u16(r);
	uint64_t epoch = sr_u64(r);
	uint8_t regs[sizeof(pm->regs)], smb[sizeof(pm->smb)];
	sr_bytes(r, regs, sizeof(regs));
	uint8_t apmc = sr_u8(r), apms = sr_u8(r);
	sr_bytes(r, smb, sizeof(smb));
	if (sr_ok(r)) {
		pm->pm1_sts = sts & PM1_STS_W1C;
		pm->pm1_en = en & PM1_EN_MASK;
		pm->pm1_cnt = cnt & PM1_CNT_MASK;
		pm->gpe_sts = gsts;
		pm->gpe_en = gen;
		pm->tmr_epoch = epoch;
		memcpy(pm->regs, regs, sizeof(regs));
		pm->apmc = apmc;
		pm->apms = apms;
		memcpy(pm->smb, smb, sizeof(smb));
		pm_update_sci(pm);
	}
	pthread_mutex_unlock(&pm->lock);
	pm_remap_all(pm);
}
