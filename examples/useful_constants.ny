# Quick reference: "Useful Constants", checked against the built-in names.
# Memory
print(1 * 1024 == KiB, 1 * 1024 * 1024 == MiB, 1 * 1024 * 1024 * 1024 == GiB)

# Physical Addresses
printf("LAPIC_BASE = 0x%X\n", LAPIC_BASE)
printf("IOAPIC_BASE = 0x%X\n", IOAPIC_BASE)
printf("TPM_BASE = 0x%X\n", TPM_BASE)
printf("HPET_BASE = 0x%X\n", HPET_BASE)
printf("SMI_PORT = 0x%X\n", SMI_PORT)

# ISA Ports
for (p in [("PIC_MASTER", PIC_MASTER), ("PIC_SLAVE", PIC_SLAVE), ("PIT_PORT", PIT_PORT),
           ("RTC_PORT", RTC_PORT), ("PS2_PORT", PS2_PORT), ("DMA_PORT", DMA_PORT)]) {
    printf("%s = 0x%02X-0x%02X\n", p[0], p[1][0], p[1][1])
}
