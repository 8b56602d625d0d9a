# Quick reference: "Interrupt Remapping".
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_iommu().build()
vm.iommu_mgr.setup_interrupt_remap(
    device_id=0x0300,
    irq_index=0,
    vector=32,           # Interrupt vector
    destination=0        # LAPIC ID
);
