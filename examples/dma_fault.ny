# Quick reference: "Fault Handling".
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_iommu().build()
# On DMA fault, IOMMU automatically records and isolates
let fault_response = vm.iommu_mgr.report_dma_fault(device_id=0x0300);
# Returns: "FAULT_RECORDED" or "DEVICE_ISOLATED"
print(fault_response)
