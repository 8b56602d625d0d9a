# Quick reference: "Loading Modules (Both Syntax Support)".
# Modern syntax (unquoted - preferred)
import vm_production;
import vm_iommu;
import systems;

# Using use keyword (equivalent)
use vm_production;
use vm_iommu;
use systems;

# Legacy syntax (quoted - still works)
import "vm_production";
use "systems";

# Mix all styles freely
import systems;
use "hardware";
import memory;
