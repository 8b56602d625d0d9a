/*
 * Which optional features this build delivers. The builder (scripts) and
 * `nyx run` flags consult this table so that an option whose machinery has
 * not landed yet is refused with "not supported yet: ..." instead of being
 * silently accepted. Flip an entry to true in the change that delivers it.
 */
#include <stdbool.h>
#include <string.h>

#include "nyx/nyx.h"

static const struct {
	const char *name;
	bool available;
} features[] = {
	{ "memory", true },
	{ "cpus", true },
	{ "kernel", true },
	{ "bios", true },
	{ "serial", true },
	{ "debugcon", true },
	{ "logging", true },
	{ "uefi", true },
	{ "disk", true },
	{ "ahci", true },
	{ "nic", false },
	{ "gpu", false },
	{ "tpm", false },
	{ "error_handling", false },
	{ "metrics", false },
	{ "live_migration", false },
	{ "pci_hotplug", false },
	{ "debug_symbols", false },
	{ "performance_tracing", false },
	{ "iommu", false },
	{ "passthrough", false },
	{ "api_sock", false },
	{ "incoming", false },
	{ "restore", false },
	{ "gdb", false },
	{ "trace", false },
	{ "snapshot", false },
	{ "msi", false },          /* VMConfig(enable_msi=true) */
	{ "nested_vm", false },    /* VMConfig(allow_nested_vm=true) */
};

bool nyx_feature_available(const char *feature)
{
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (!strcmp(features[i].name, feature))
			return features[i].available;
	return false;
}
