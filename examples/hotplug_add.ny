# Quick reference: "Add Device at Runtime".
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_pci_hotplug().build()
vm.dynamic_devices.enable_pci_hotplug();
let nic = vm_devices.E1000Device();
vm.dynamic_devices.add_pci_device(nic, {
    "device_type": "network",
    "name": "eth1"
});
