# args: @BUILD@/lang/post-exit.bin
# Direct configuration: VMConfig(...) with named arguments, VirtualMachine,
# init_devices, setup_bios_boot, run (the raw BIOS image exits with 0x21:
# status (0x21 << 1) | 1 = 67).
cfg = VMConfig(name="direct", memory_size=16*1024**2, vcpu_count=1, boot_firmware="BIOS",
               boot_path=0xFFF0, allow_nested_vm=false, enable_msi=false, enable_iommu=false,
               accel="kvm", timeout=60)
print(cfg.name, cfg.memory_size, cfg.vcpu_count)
vm = VirtualMachine(cfg)
print(vm.name)
vm.init_devices()
vm.setup_bios_boot(argv[0])
print(vm.run())
fn try(f) { let e = catch(f); if (e == null) { print("ok") } else { print(e) } }
try(fn() { VMConfig(colour="blue") })
try(fn() { VMConfig("positional") })
try(fn() { VirtualMachine(42) })
try(fn() { VirtualMachine(VMConfig(enable_msi=true)).init_devices() })
try(fn() { VirtualMachine(VMConfig(allow_nested_vm=true)).init_devices() })
try(fn() { VirtualMachine(VMConfig(boot_firmware="UEFI")).init_devices() })
try(fn() { VirtualMachine(VMConfig(boot_firmware="CMOS")) })
try(fn() { VirtualMachine(VMConfig(vcpu_count=0)).run() })
try(fn() { VirtualMachine(VMConfig()).setup_uefi_boot("OVMF.fd") })
try(fn() { VirtualMachine(VMConfig()).logger })
try(fn() { ProductionVMBuilder().cpus(n=2) })
try(fn() { vm.metrics })
try(fn() { vm.snapshot() })
try(fn() { production_readiness_check(vm) })
