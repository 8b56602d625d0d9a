b = ProductionVMBuilder()
b.warp_drive(9)
