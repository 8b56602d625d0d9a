# Quick reference: "Three-Phase Migration". dest_host is where a second
# Nyx process listens (nyx run --incoming tcp:127.0.0.1:4444).
dest_host = "tcp:127.0.0.1:4444"
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_live_migration().build()
dest_vm = vm

# Phase 1: Start precopy (VM running with tracking)
vm.dirty_tracker.enable_tracking();
success = vm.migration_mgr.start_iterative_precopy(
    vm,
    dest_host,
    {
        "max_iterations": 10,
        "convergence_threshold": 0.01,  # 1%
        "bandwidth_limit_mbps": 1024
    }
);

# Phase 2: When converged, stop & copy (VM paused)
success = vm.migration_mgr.start_stop_and_copy(vm, dest_host);

# Phase 3: Activate on destination
success = vm.migration_mgr.activate_on_destination(dest_vm);
