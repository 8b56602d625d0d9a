# Quick reference: "Quickest Start (3 steps)".
# Step 1: Build a VM
vm = ProductionVMBuilder()
    .memory(2 * 1024 * 1024 * 1024)  # 2GB
    .cpus(2)                          # 2 vCPUs
    .uefi("OVMF.fd")                 # UEFI firmware
    .disk("guest.img")               # Virtual disk
    .with_logging()                  # Minimal production features
    .build();

# Step 2: Run it
exit_code = vm.run();

# Step 3: Check logs
logger.dump_buffer();
