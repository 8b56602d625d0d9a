# Quick reference: "TPM 2.0 / Quick Setup", completed into a build.
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin")
.with_tpm()  # Enable TPM in builder
.build()
