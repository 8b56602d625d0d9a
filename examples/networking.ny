# Quick reference: "Networking", completed into a build.
vm = ProductionVMBuilder()
.bios("/usr/share/seabios/bios.bin")
.nic("e1000")                  # Intel E1000 NIC
.nic("virtio")                 # High-performance VIRTIO
.build()
