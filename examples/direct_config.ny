# Quick reference: "Advanced: Direct Configuration".
let vm_config = VMConfig(
    name="MyVM",
    memory_size=4*1024**3,
    vcpu_count=4,
    boot_firmware="UEFI",
    boot_path=0xFFF0,  # BIOS: 0xFFF0, UEFI: 0xFFFFFFFF
    allow_nested_vm=false,
    enable_msi=true,
    enable_iommu=false
);

let vm = VirtualMachine(vm_config);
vm.init_devices();
vm.setup_uefi_boot("firmware.fd");
vm.run();
