# Quick reference: "Enable Hotplug".
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_pci_hotplug().build()
vm.dynamic_devices.enable_pci_hotplug();
