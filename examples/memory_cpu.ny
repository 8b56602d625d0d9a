# Quick reference: "Memory & CPU Configuration".
let vm = ProductionVMBuilder()
    .memory(4 * 1024**3)    # 4 GB (use ** for power)
    .cpus(4)                # 4 vCPUs
