# Quick reference: "Production Features", completed into a build.
vm = ProductionVMBuilder()
.bios("/usr/share/seabios/bios.bin")
.with_error_handling()         # Enable exception recovery
.with_logging()                # Enable multi-level logging
.with_metrics()                # Enable performance monitoring
.with_live_migration()         # Enable dirty tracking
.with_pci_hotplug()            # Enable runtime device plug/unplug
.with_tpm()                    # Enable TPM 2.0
.with_debug_symbols("file")    # Load debug symbols
.with_performance_tracing()    # Enable performance spans
.build()
