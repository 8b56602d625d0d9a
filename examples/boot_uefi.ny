# Quick reference: "Boot Modes" (UEFI), completed into a build.
vm = ProductionVMBuilder()
.uefi("/usr/share/OVMF/OVMF_CODE.fd")           # Modern UEFI
.build()
