# Quick reference: "Register Symbols from File".
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_debug_symbols("kernel.pdb").build()
vm.debug_ctx.load_symbols_from_file("kernel.pdb");
vm.debug_ctx.load_symbols_from_file("app.dbg");
