# Quick reference: "Remove Device". device_id is the id add_pci_device returned.
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_pci_hotplug().build()
vm.dynamic_devices.enable_pci_hotplug();
device_id = vm.dynamic_devices.add_pci_device(vm_devices.E1000Device(), {"device_type": "network", "name": "eth1"})
vm.dynamic_devices.remove_pci_device(device_id);
