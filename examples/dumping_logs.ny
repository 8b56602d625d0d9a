# Quick reference: "Dumping Logs", on a VM built with SeaBIOS.
vm = ProductionVMBuilder().memory(64 * 1024 * 1024).bios("/usr/share/seabios/bios.bin").accel("kvm").build()
vm.logger.info("device", "first device message")
timestamp = time()
vm.logger.warn("device", "second device message")
vm.logger.info("VM", "a VM message")

print("-- buffer");
n = vm.logger.dump_buffer();               # Last 10,000 entries
print("-- device");
vm.logger.dump_component("device");    # Just device logs
print("-- since");
vm.logger.dump_since(timestamp);       # Since Unix timestamp
