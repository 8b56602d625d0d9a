# Quick reference: "Storage", completed into a build.
vm = ProductionVMBuilder()
.disk("system.qcow2")          # First disk (sda/hda)
.disk("data.img")              # Second disk (sdb/hdb)
.ahci(true)                    # Enable AHCI
.build()
