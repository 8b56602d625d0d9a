# Quick reference: "Boot Modes" (legacy BIOS), completed into a build with
# Debian's SeaBIOS image (package seabios).
vm = ProductionVMBuilder()
.bios("/usr/share/seabios/bios.bin")           # Legacy BIOS
.build()
print(vm)
