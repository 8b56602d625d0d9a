use "vm.extras";
