# args: @BUILD@/lang/system.qcow2 @BUILD@/lang/data.img
# Quick reference: "Storage", completed into a build (with SeaBIOS to boot
# from). Usage: nyx examples/storage.ny SYSTEM.qcow2 DATA.img
system_disk = "system.qcow2"
data_disk = "data.img"
if (len(argv) >= 2) { system_disk = argv[0]; data_disk = argv[1] }
vm = ProductionVMBuilder()
.bios("/usr/share/seabios/bios.bin")
.disk(system_disk)             # First disk (sda/hda)
.disk(data_disk)               # Second disk (sdb/hdb)
.ahci(true)                    # Enable AHCI
.build()
print(vm)
