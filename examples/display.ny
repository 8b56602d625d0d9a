# Quick reference: "Display", completed into builds.
off = ProductionVMBuilder()
.bios("/usr/share/seabios/bios.bin")
.gpu(false)                    # Disable graphics
.build()
print(off)
on = ProductionVMBuilder()
.bios("/usr/share/seabios/bios.bin")
.gpu(true)                     # Enable Bochs VGA + VBE
.build()
