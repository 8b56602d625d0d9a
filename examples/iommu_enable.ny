# Quick reference: "Enable IOMMU".
vm = ProductionVMBuilder()
    .memory(8 * 1024**3)
    .cpus(4)
    .with_iommu()  # Enable IOMMU for pass-through
    .passthrough_device(0x0300, "STRICT")  # Pass-through NIC at 03:00.0
    .passthrough_device(0x0400, "SHARED")  # Pass-through storage with shared domain
    .build();
