# ProductionVMBuilder: options return the builder; build() validates and
# names the bad setting; options whose machinery has not landed yet fail
# with "not supported yet: <feature>".
fn try(f) {
    let e = catch(f)
    if (e == null) { print("ok") } else { print(e) }
}
b = ProductionVMBuilder()
print(b.memory(64 * 1024 * 1024) == b, b.cpus(1) == b)
try(fn() { ProductionVMBuilder().cpus(0).bios("tests/lang/data/blob.bin").build() })
try(fn() { ProductionVMBuilder().memory(100000001).bios("tests/lang/data/blob.bin").build() })
try(fn() { ProductionVMBuilder().bios("tests/lang/data/missing.bin").build() })
try(fn() { ProductionVMBuilder().bios("tests/lang/data/empty.bin").build() })
try(fn() { ProductionVMBuilder().memory(64 * 1024 * 1024).build() })
try(fn() { ProductionVMBuilder().cpus("two") })
try(fn() { ProductionVMBuilder().memory("lots") })
try(fn() { ProductionVMBuilder().nic("rtl8139") })
try(fn() { ProductionVMBuilder().accel("warp") })
try(fn() { ProductionVMBuilder().passthrough_device(0x0300, "LOOSE") })
try(fn() { ProductionVMBuilder().bios("tests/lang/data/blob.bin").append("console=ttyS0").build() })
# Each option that waits for a later feature:
try(fn() { ProductionVMBuilder().uefi("OVMF.fd").build() })
try(fn() { ProductionVMBuilder().disk("guest.img").build() })
try(fn() { ProductionVMBuilder().ahci(true).build() })
try(fn() { ProductionVMBuilder().nic("e1000").build() })
try(fn() { ProductionVMBuilder().gpu(true).build() })
try(fn() { ProductionVMBuilder().with_error_handling().build() })
try(fn() { ProductionVMBuilder().with_metrics().build() })
try(fn() { ProductionVMBuilder().with_live_migration().build() })
try(fn() { ProductionVMBuilder().with_pci_hotplug().build() })
try(fn() { ProductionVMBuilder().with_tpm().build() })
try(fn() { ProductionVMBuilder().with_debug_symbols("kernel.map").build() })
try(fn() { ProductionVMBuilder().with_performance_tracing().build() })
try(fn() { ProductionVMBuilder().with_iommu().build() })
try(fn() { ProductionVMBuilder().passthrough_device(0x0300, "STRICT").build() })
# Disabling something that does not exist yet is fine:
b2 = ProductionVMBuilder().gpu(false).ahci(false).with_logging().serial("none")
print(type(b2))
