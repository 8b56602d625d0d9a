# Quick reference: "Collecting Metrics", on a VM built with metrics.
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_metrics().build()
let metrics = vm.metrics;
metrics.metrics.enable_collection();
