# Quick reference: "Pass-Through Device Configuration", completed into a build.
# PCI ID Format: 0xBBDD (Bus.Device.Function)
# 0x0300 = Bus 3, Device 0, Function 0
# 0x1A02 = Bus 26, Device 2, Function 0 (in hex)

# Isolation types:
# STRICT  - Device fully isolated, DMA to domain only
# SHARED  - Device in shared domain (cheaper isolation)
# UNMANAGED - No IOMMU protection (valid but risky)

vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_iommu()
.passthrough_device(0x0100, "STRICT")    # GPU
.passthrough_device(0x0300, "STRICT")    # NIC
.passthrough_device(0x0400, "SHARED")    # Storage
.build()
