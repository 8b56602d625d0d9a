/*
 * PIIX4 power management function (8086:7113, PCI 00:01.3): the ACPI
 * fixed-hardware registers the FADT describes.
 *
 * Addresses are the ones SeaBIOS programs and QEMU's "pc" machine reports,
 * so ACPI tables built from these constants match what the firmware set up:
 *   PM base 0xB000 (config 0x40 PMBA, enabled by config 0x80 bit 0). This
 *   is what Debian's SeaBIOS 1.16 writes on the i440FX ("Using pmtimer,
 *   ioport 0xb008" in its log on our machine and on QEMU); 0x600 is the
 *   Q35/ICH9 base, not the PIIX4's,
 *   PM1a event block at base+0 (status 16 bits W1C, enable 16 bits),
 *   PM1a control at base+4 (16 bits), PM timer at base+8 (32-bit read,
 *   24 significant bits, 3.579545 MHz), GPE0 block at 0xAFE0 (2 status
 *   bytes W1C + 2 enable bytes), SCI on ISA IRQ 9 (level, active high),
 *   SMI command port 0xB2 (ACPI enable 0xF1 / disable 0xF0), SMBus host
 *   at 0xB100 = PM base + 0x100 (config 0x90 SMBBA, enabled by config 0xD2
 *   bit 0).
 *   S5 is SLP_TYP 0 (82371AB "soft off"; QEMU's _S5 package is {0, 0}).
 */
#ifndef NYX_HW_PCI_PIIX4_PM_H
#define NYX_HW_PCI_PIIX4_PM_H

#define PIIX4_PM_DEV 1
#define PIIX4_PM_FN 3

#define PIIX4_PM_BASE 0xb000
#define PIIX4_PM_LEN 64
#define PIIX4_PM1_EVT (PIIX4_PM_BASE + 0)
#define PIIX4_PM1_EVT_LEN 4
#define PIIX4_PM1_CNT (PIIX4_PM_BASE + 4)
#define PIIX4_PM1_CNT_LEN 2
#define PIIX4_PM_TMR (PIIX4_PM_BASE + 8)
#define PIIX4_PM_TMR_LEN 4
#define PIIX4_GPE0_BLK 0xafe0
#define PIIX4_GPE0_BLK_LEN 4
#define PIIX4_SCI_IRQ 9
#define PIIX4_SMI_CMD 0xb2
#define PIIX4_ACPI_ENABLE 0xf1
#define PIIX4_ACPI_DISABLE 0xf0
#define PIIX4_SMB_BASE 0xb100
#define PIIX4_SMB_LEN 16
/* SLP_TYP values for the DSDT's \_S5 (and \_S3 when suspend exists). */
#define PIIX4_SLP_TYP_S5 0
#define PIIX4_SLP_TYP_S3 1
#define PIIX4_PM_TIMER_HZ 3579545

/* PM1 status/enable bits (ACPI fixed events). */
#define PIIX4_PM1_TMR 0x0001
#define PIIX4_PM1_GBL 0x0020
#define PIIX4_PM1_PWRBTN 0x0100
#define PIIX4_PM1_RTC 0x0400
#define PIIX4_PM1_WAK 0x8000
/* PM1 control bits. */
#define PIIX4_PM1_SCI_EN 0x0001
#define PIIX4_PM1_SLP_TYP_SHIFT 10
#define PIIX4_PM1_SLP_EN 0x2000

#endif
