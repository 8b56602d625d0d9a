# Quick reference: "Boot Modes" (UEFI), completed into a build with
# Debian's OVMF image (package ovmf).
vm = ProductionVMBuilder()
.uefi("/usr/share/OVMF/OVMF_CODE.fd")           # Modern UEFI
.build()
print(vm)
