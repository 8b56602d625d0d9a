# Every import spelling is accepted; import binds the module's namespace.
import vm_production;
import vm_iommu;
import systems;
use vm_production;
use vm_iommu;
use systems;
import "vm_production";
use "systems";
import systems;
use "hardware";
import memory;
import vm_core; import logging; import metrics
import vm_logging
use vm_devices
import vm_tpm
print(type(vm_production.ProductionVMBuilder), memory.GiB, logging.LOG_LEVEL_WARN)
print(vm_core.EXCEPTION_PAGE_FAULT, vm_production.RECOVERY_CONTINUE, hardware.PIT_PORT)
print(systems.LAPIC_BASE == LAPIC_BASE, vm_tpm.TPM_CMD_PCR_READ)
import not_a_module
print("not reached")
