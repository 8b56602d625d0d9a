# Quick reference: "Built-in Modules".
import systems;       # Hardware systems & virtualization
import hardware;      # Hardware simulation & emulation
import memory;        # Memory management & paging
import vm_core;       # Core VM functionality
import vm_iommu;      # IOMMU & device pass-through
import vm_production; # ProductionVMBuilder fluent API
import logging;       # Logging framework
import metrics;       # Performance metrics
