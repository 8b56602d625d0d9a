# Quick reference: "Getting Reports", on a VM built with metrics.
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_metrics().build()
let metrics = vm.metrics;
let report = metrics.get_performance_report();
# Returns map: {
#   "total_exits": N,
#   "avg_exit_time_us": F,
#   "disk_latency_us": F,
#   "network_errors": N,
#   "memory_efficiency": F
# }

let bottlenecks = metrics.identify_bottleneck();
# Returns: [(issue_type, severity, suggestion), ...]
print(report.keys(), type(bottlenecks))
