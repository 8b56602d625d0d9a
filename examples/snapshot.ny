# Quick reference: "State Snapshots" (take, restore).
config = VMConfig(name="restored", memory_size=64*1024**2, vcpu_count=1, boot_firmware="BIOS")
vm = ProductionVMBuilder().memory(64 * 1024**2).bios("/usr/share/seabios/bios.bin").build()
let state = vm.snapshot();
# Returns serialized VM state (memory, registers, devices)

let new_vm = VirtualMachine(config);
new_vm.restore(state);
