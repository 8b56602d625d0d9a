# Quick reference: "Performance Tracing" (start, events, end, statistics).
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_debug_symbols().with_performance_tracing().build()
let tracer = vm.debug_ctx.tracer;
tracer.start_span("Guest Boot");

tracer.add_event("disk_read_start");
# ... I/O operation ...
tracer.add_event("disk_read_complete");

tracer.end_span();  # Auto-calculates duration

let stats = tracer.get_statistics();
# Returns: {
#   slowest_spans: [(name, duration_us), ...],
#   event_counts: {event: count, ...},
#   total_time_us: N
# }
print(stats.event_counts)
