# args: @BUILD@/lang/post-exit.bin
# vm.run() on a real guest: a raw BIOS image that writes POST code 0x42 and
# then 0x21 to isa-debug-exit, so the exit status is (0x21 << 1) | 1 = 67.
# The VM's own log lines (written on its vCPU thread) reach the script's
# output callback on the interpreter thread.
vm = ProductionVMBuilder()
    .memory(16 * 1024 * 1024)
    .bios(argv[0])
    .accel("kvm")
    .no_reboot()
    .timeout(60)
    .build()
vm.logger.register_component("debugexit", vm_logging.LOG_LEVEL_DEBUG)
vm.logger.register_output(fn(level, component, msg) {
    if (component == "post") { printf("[%s][post] %s\n", level, msg.slice(0, 4)) }
    if (component == "debugexit") { printf("[%s][debugexit] %s\n", level, msg) }
})
status = vm.run()
print("exit status", status)
print(catch(fn() { vm.run() }))
