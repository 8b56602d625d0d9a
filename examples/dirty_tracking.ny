# Quick reference: "Dirty Page Tracking".
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_live_migration().build()
vm.dirty_tracker.enable_tracking();
dirty_pages = vm.dirty_tracker.get_dirty_pages();
# Returns: array of page addresses that changed

vm.dirty_tracker.clear_dirty_map();
# Reset tracking for next iteration
