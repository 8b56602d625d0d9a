# Quick reference: "Stack Traces". vcpu_id names the vCPU to walk.
vcpu_id = 0
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_debug_symbols().build()
let trace = vm.debug_ctx.get_stack_trace(vcpu_id);
# Returns: [
#   {symbol: "main", address: 0x400000, offset: 0x1a4},
#   {symbol: "helper", address: 0x4001a0, offset: 0x2c},
#   ...
# ]
print(type(trace))
