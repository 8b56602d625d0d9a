# Quick reference: "Symbol Lookup".
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_debug_symbols().build()
vm.debug_ctx.register_symbol(0x401000, "strlen", "function");
let sym = vm.debug_ctx.lookup_address(0x401234);
# Returns: {name: "strlen", type: "function", module: "libc"}
print(sym.name, sym.type)
