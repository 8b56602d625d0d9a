# Quick reference: "Watchdog Timers" (create, callback).
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_error_handling().build()
let watchdog = vm.error_handler.watchdog;
watchdog.set_timeout(5000);  # 5 second timeout

watchdog.set_timeout_callback(fn(vcpu_id) {
    logger.error("VM", "VCPU " + vcpu_id + " stuck");
    return false;  # Pause VM for inspection
});
