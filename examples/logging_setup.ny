# Quick reference: "Logging / Quick Setup", on a VM built with SeaBIOS.
vm = ProductionVMBuilder().memory(64 * 1024 * 1024).bios("/usr/share/seabios/bios.bin").build()

let logger = vm.logger;
logger.set_level(vm_logging.LOG_LEVEL_INFO);
logger.register_component("device", vm_logging.LOG_LEVEL_DEBUG);
logger.register_output(fn(level, component, msg) {
    printf("[%s][%s] %s\n", level, component, msg);
});

logger.debug("device", "shown: device is registered at DEBUG");
logger.debug("VM", "not shown: below INFO");
logger.info("VM", "configured");
