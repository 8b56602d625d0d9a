import vm_production
import vm_hyperdrive;
