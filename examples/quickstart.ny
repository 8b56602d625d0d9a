# args: @BUILD@/guests/hello.elf
# Quickstart: boot a real guest and read its exit status.
#
# The guest is the smallest of tests/guest: a multiboot kernel that prints
# a greeting on COM1 (shown here through the serial console on stdout) and
# exits through isa-debug-exit with 0x10, which Nyx reports as status
# (0x10 << 1) | 1 = 33.
#
#   make guests && build/nyx examples/quickstart.ny [KERNEL.elf]
kernel = "build/guests/hello.elf"
if (len(argv) > 0) { kernel = argv[0] }

vm = ProductionVMBuilder()
    .memory(64 * 1024 * 1024)   # 64 MiB
    .cpus(1)
    .kernel(kernel)             # multiboot v1 ELF
    .serial("stdio")            # COM1 -> our stdout
    .no_reboot()
    .timeout(60)                # a safety net, in seconds
    .build()

exit_code = vm.run()
printf("guest exited with status %d\n", exit_code)
