# Quick reference: "Get IOMMU Status".
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_iommu().build()
let status = vm.iommu_mgr.get_status();
# Returns: {
#   enabled: true/false,
#   controllers: N,
#   domains: M,
#   devices: K,
#   fault_events: F
# }
print(status.enabled)
