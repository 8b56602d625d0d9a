# Quick reference: "Production Readiness".
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_error_handling().build()
let ready = production_readiness_check(vm);
if (!ready) {
    logger.error("VM", "Not production-ready!");
    for (issue in vm.error_handler.validation_errors) {
        printf("  - %s\n", issue);
    }
}
