# Quick reference: "DMA Mapping".
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_iommu().build()
vm.iommu_mgr.map_guest_memory(
    domain_id=0,
    guest_phys=0x10000000,
    host_phys=0x40000000,
    size=256*1024*1024,  # 256MB
    flags=0x3            # RW
);

vm.iommu_mgr.unmap_guest_memory(
    domain_id=0,
    guest_phys=0x10000000,
    size=256*1024*1024
);
