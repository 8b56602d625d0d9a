/*
 * The PC chipset on PCI bus 0, as QEMU's "pc" machine lays it out:
 *   00:00.0 i440FX host bridge (PAM shadow RAM, SMRAM)
 *   00:01.0 PIIX3 PCI-ISA bridge (PIRQ routing)
 *   00:01.1 PIIX IDE (legacy ports, bus-master DMA)      -- hw/storage
 *   00:01.3 PIIX4 power management (ACPI PM, SCI, SMBus) -- piix4_pm.c
 * pc_chipset_init() builds them on a machine and registers one machine
 * device that resets and frees them all.
 */
#ifndef NYX_HW_PCI_CHIPSET_H
#define NYX_HW_PCI_CHIPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/irq.h"
#include "hw/pci/pci.h"

struct machine;
struct piix_ide;

struct i440fx {
	struct pci_device pci;
	struct machine *m;
	uint16_t pam_ro;          /* 16 KiB segments of 0xC0000-0xFFFFF now read-only */
	bool pam_programmed;      /* the guest wrote PAM since reset */
	uint8_t smram;            /* last accepted SMRAM value */
};

struct piix3 {
	struct pci_device pci;
	struct machine *m;
	uint8_t pirq_level;       /* bit n: PIRQ n asserted (guarded by the bus irq lock) */
	uint16_t isa_driven;      /* ISA IRQs the PIRQs hold high now */
	struct irq_line isa[16];
};

struct piix4_pm {
	struct pci_device pci;
	struct machine *m;
	pthread_mutex_t lock;
	/* The PM timer clock: machine_clock_ns unless a test installs a fake. */
	uint64_t (*clock_ns)(void *opaque);
	void *clock_opaque;
	/* What S5 does: machine_request_stop(POWEROFF) unless a test hooks it. */
	void (*power_off)(void *opaque);
	void *power_off_opaque;
	uint16_t pm_base;         /* mapped PM I/O base, 0 = unmapped */
	uint16_t smb_base;        /* mapped SMBus base, 0 = unmapped */
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint16_t gpe_sts, gpe_en;
	uint64_t tmr_epoch;       /* timer ticks >> 23 when TMR_STS was last cleared */
	uint8_t regs[64];         /* the rest of the PM block: plain storage */
	uint8_t apmc, apms;       /* 0xB2 / 0xB3 */
	uint8_t smb[16];          /* SMBus host registers */
	struct irq_line sci;
	bool sci_level;
	struct log_ratelimit rl;
};

struct pc_chipset {
	struct machine *m;
	struct pci_bus *bus;
	struct i440fx host;
	struct piix3 isa;
	struct piix4_pm pm;
	struct piix_ide *ide;
};

/* Builds bus 0 and the chipset functions; 0 or -errno with err filled. */
int pc_chipset_init(struct machine *m, char *err, size_t err_len);
/* The same on explicit buses without a machine device (unit tests). */
struct pc_chipset *pc_chipset_create(struct machine *m, char *err, size_t err_len);
void pc_chipset_destroy(struct pc_chipset *cs);
void pc_chipset_reset(struct pc_chipset *cs);
/* Snapshot of every function (the machine device's section payload). */
void pc_chipset_save(struct pc_chipset *cs, struct state_writer *w);
void pc_chipset_load(struct pc_chipset *cs, struct state_reader *r, uint32_t version);
#define PC_CHIPSET_STATE_VERSION 1

int i440fx_init(struct i440fx *h, struct machine *m);
/* Re-derive what follows from PAM/SMRAM or PIRQRC after a snapshot load. */
void i440fx_post_load(struct i440fx *h, bool pam_programmed);
int piix3_init(struct piix3 *p, struct machine *m);
void piix3_post_load(struct piix3 *p);
/* The PIRQ router installed on the bus (called under the bus irq lock). */
void piix3_set_pirq(void *opaque, unsigned pirq, int level);
int piix4_pm_init(struct piix4_pm *pm, struct machine *m);
/* Claims the fixed GPE0 block and the APM ports 0xB2/0xB3. */
int piix4_pm_attach(struct piix4_pm *pm, struct bus *pio);
void piix4_pm_destroy(struct piix4_pm *pm);
void piix4_pm_save(struct piix4_pm *pm, struct state_writer *w);
void piix4_pm_load(struct piix4_pm *pm, struct state_reader *r);
/* Host-side power button press: PWRBTN_STS, SCI if enabled. */
void piix4_pm_power_button(struct piix4_pm *pm);
/* The 24-bit ACPI PM timer value now. */
uint32_t piix4_pm_timer(struct piix4_pm *pm);

#endif
