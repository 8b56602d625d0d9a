# Quick reference: "Manual Symbol Registration".
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_debug_symbols().build()
vm.debug_ctx.register_symbol(0x400000, "main", "function");
vm.debug_ctx.register_symbol(0x4001a0, "helper", "function");
vm.debug_ctx.register_symbol(0x600000, "data", "data");
