# Quick reference: "Example Handler", on a VM built with error handling.
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_error_handling().build()
let error_handler = vm.error_handler;
error_handler.register_exception_handler(
    EXCEPTION_PAGE_FAULT,
    fn(ctx) {
        logger.warn("VM", "Page fault at " + ctx.guest_rip);
        return RECOVERY_CONTINUE;  # Log and continue
    }
);
