# Quick reference: "Snapshots" (metrics), on a VM built with metrics.
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_metrics().build()
let metrics = vm.metrics;
metrics.metrics.enable_collection();
metrics.metrics.take_snapshot();
let snapshot = metrics.metrics.take_snapshot();
# Returns: tagged timestamp + all counters at that instant

length = len(metrics.metrics.snapshots)
let prev_snapshot = metrics.metrics.snapshots[length - 2];
let delta = snapshot.counters - prev_snapshot.counters;
print(type(delta))
