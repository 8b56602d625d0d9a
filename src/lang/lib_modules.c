/*
 * Built-in modules and constants.
 *
 * Every built-in name is a global, so scripts work with or without imports
 * (the quick reference uses `vm_logging.LOG_LEVEL_INFO` without importing).
 * `import x;` checks that module x exists (else "unknown module 'x'") and
 * binds x to its namespace, a map of the names the module groups.
 *
 * Constant values: exception vectors are the x86 vectors (SDM vol. 3,
 * table 6-1); TPM_CMD_* are TPM 2.0 command codes (TPM 2.0 Library part 2,
 * TPM_CC); addresses and ports are the PC's (SPEC.md section 3).
 */
#include <string.h>

#include "lang/interp.h"
#include "lang/lib_consts.h"

struct konst {
	const char *name;
	int64_t value;
};

static const struct konst exceptions[] = {
	{"EXCEPTION_DIVIDE_BY_ZERO", 0},       {"EXCEPTION_DEBUG", 1},
	{"EXCEPTION_NMI", 2},                  {"EXCEPTION_BREAKPOINT", 3},
	{"EXCEPTION_OVERFLOW", 4},             {"EXCEPTION_BOUND_RANGE", 5},
	{"EXCEPTION_INVALID_OPCODE", 6},       {"EXCEPTION_DEVICE_NOT_AVAILABLE", 7},
	{"EXCEPTION_DOUBLE_FAULT", 8},         {"EXCEPTION_COPROC_SEGMENT_OVRUN", 9},
	{"EXCEPTION_INVALID_TSS", 10},         {"EXCEPTION_SEGMENT_NOT_PRESENT", 11},
	{"EXCEPTION_STACK_SEGMENT", 12},       {"EXCEPTION_GENERAL_PROTECTION", 13},
	{"EXCEPTION_PAGE_FAULT", 14},          {"EXCEPTION_FLOATING_POINT", 16},
	{"EXCEPTION_ALIGNMENT_CHECK", 17},     {"EXCEPTION_MACHINE_CHECK", 18},
	{NULL, 0},
};

static const struct konst recovery[] = {
	{"RECOVERY_IGNORE", NYX_RECOVERY_IGNORE},
	{"RECOVERY_RESET_DEVICE", NYX_RECOVERY_RESET_DEVICE},
	{"RECOVERY_RESET_VCPU", NYX_RECOVERY_RESET_VCPU},
	{"RECOVERY_HARD_RESET", NYX_RECOVERY_HARD_RESET},
	{"RECOVERY_PAUSE_VM", NYX_RECOVERY_PAUSE_VM},
	{"RECOVERY_SNAPSHOT_RESTORE", NYX_RECOVERY_SNAPSHOT_RESTORE},
	{"RECOVERY_ISOLATE_DEVICE", NYX_RECOVERY_ISOLATE_DEVICE},
	{"RECOVERY_SHUTDOWN", NYX_RECOVERY_SHUTDOWN},
	{"RECOVERY_CONTINUE", NYX_RECOVERY_CONTINUE},
	{NULL, 0},
};

static const struct konst log_levels[] = {
	{"LOG_LEVEL_TRACE", 0}, {"LOG_LEVEL_DEBUG", 1}, {"LOG_LEVEL_INFO", 2},
	{"LOG_LEVEL_WARN", 3},  {"LOG_LEVEL_ERROR", 4}, {"LOG_LEVEL_FATAL", 5},
	{NULL, 0},
};

static const struct konst tpm_cmds[] = {
	{"TPM_CMD_NV_DEFINESPACE", 0x12A}, {"TPM_CMD_NV_WRITE", 0x137},
	{"TPM_CMD_NV_READ", 0x14E},        {"TPM_CMD_PCR_READ", 0x17E},
	{"TPM_CMD_PCR_EXTEND", 0x182},     {NULL, 0},
};

static const struct konst hw_consts[] = {
	{"LAPIC_BASE", 0xFEE00000}, {"IOAPIC_BASE", 0xFEC00000}, {"TPM_BASE", 0xFED40000},
	{"HPET_BASE", 0xFED00000},  {"SMI_PORT", 0xB2},          {"RESET_VECTOR", 0xFFFFFFF0},
	{"KiB", 1024},              {"MiB", 1024 * 1024},        {"GiB", 1024 * 1024 * 1024},
	{NULL, 0},
};

/* Port ranges are (first, last) tuples. */
static const struct {
	const char *name;
	int64_t first, last;
} port_ranges[] = {
	{"PIC_MASTER", 0x20, 0x21}, {"PIC_SLAVE", 0xA0, 0xA1}, {"PIT_PORT", 0x40, 0x43},
	{"RTC_PORT", 0x70, 0x71},   {"PS2_PORT", 0x60, 0x64},  {"DMA_PORT", 0x00, 0x7F},
	{NULL, 0, 0},
};

static const struct konst iommu_consts[] = {
	{"IOMMU_READ", 1}, {"IOMMU_WRITE", 2}, {NULL, 0},
};

/* Module name -> names it groups (NULL-separated lists of globals). */
static const char *const mod_systems[] = {
	"ProductionVMBuilder", "VMConfig", "VirtualMachine", "LAPIC_BASE", "IOAPIC_BASE",
	"TPM_BASE", "HPET_BASE", "SMI_PORT", "RESET_VECTOR", NULL,
};
static const char *const mod_hardware[] = {
	"PIC_MASTER", "PIC_SLAVE", "PIT_PORT", "RTC_PORT", "PS2_PORT", "DMA_PORT",
	"LAPIC_BASE", "IOAPIC_BASE", "TPM_BASE", "HPET_BASE", "SMI_PORT", "vm_devices", NULL,
};
static const char *const mod_memory[] = {"KiB", "MiB", "GiB", NULL};
static const char *const mod_vm_core[] = {"VMConfig", "VirtualMachine", "RESET_VECTOR", NULL};
static const char *const mod_vm_iommu[] = {"IOMMU_READ", "IOMMU_WRITE", NULL};
static const char *const mod_vm_production[] = {"ProductionVMBuilder", NULL};
static const char *const mod_logging[] = {"logger", NULL};
static const char *const mod_metrics[] = {NULL};

static const struct {
	const char *name;
	const char *const *names;
	const struct konst *consts;
} modules[] = {
	{"systems", mod_systems, NULL},
	{"hardware", mod_hardware, NULL},
	{"memory", mod_memory, NULL},
	{"vm_core", mod_vm_core, exceptions},
	{"vm_iommu", mod_vm_iommu, NULL},
	{"vm_production", mod_vm_production, recovery},
	{"logging", mod_logging, log_levels},
	{"metrics", mod_metrics, NULL},
	{"vm_logging", mod_logging, log_levels},
	{"vm_devices", NULL, NULL},
	{"vm_tpm", NULL, tpm_cmds},
	{NULL, NULL, NULL},
};

static void set_consts(struct nyx *I, struct nmap *ns, const struct konst *k)
{
	for (; k && k->name; k++) {
		if (ns)
			nmap_set_cstr(I, ns, k->name, v_int(k->value));
		else
			nyx_set_global(I, k->name, v_int(k->value));
	}
}

/* vm_devices.E1000Device() and friends: device descriptions (maps) that
 * hotplug consumes. IDs are the real devices' (82540EM, virtio-net). */
static void dev_desc(struct nyx *I, struct value *out, const char *model, const char *type,
		     int64_t vendor, int64_t device)
{
	struct nmap *m = nmap_new(I);

	*out = v_obj(VT_MAP, m);
	nyx_root(I, *out);
	nmap_set_cstr(I, m, "model", v_str(I, model));
	nmap_set_cstr(I, m, "device_type", v_str(I, type));
	nmap_set_cstr(I, m, "vendor_id", v_int(vendor));
	nmap_set_cstr(I, m, "device_id", v_int(device));
}

static void f_e1000(struct nyx *I, struct value self, int argc, struct value *argv,
		    struct nmap *kw, struct value *out)
{
	arg_count(I, "E1000Device", argc, 0, 0);
	dev_desc(I, out, "e1000", "network", 0x8086, 0x100E);
}

static void f_virtio_net(struct nyx *I, struct value self, int argc, struct value *argv,
			 struct nmap *kw, struct value *out)
{
	arg_count(I, "VirtioNetDevice", argc, 0, 0);
	dev_desc(I, out, "virtio", "network", 0x1AF4, 0x1000);
}

static void f_virtio_blk(struct nyx *I, struct value self, int argc, struct value *argv,
			 struct nmap *kw, struct value *out)
{
	arg_count(I, "VirtioBlkDevice", argc, 0, 0);
	dev_desc(I, out, "virtio-blk", "storage", 0x1AF4, 0x1001);
}

void lib_modules_open(struct nyx *I)
{
	struct nmap *devs;

	set_consts(I, NULL, exceptions);
	set_consts(I, NULL, recovery);
	set_consts(I, NULL, hw_consts);
	set_consts(I, NULL, iommu_consts);
	for (int i = 0; port_ranges[i].name; i++) {
		struct value r[2] = {v_int(port_ranges[i].first), v_int(port_ranges[i].last)};

		nyx_set_global(I, port_ranges[i].name, v_tuple(I, 2, r));
	}
	devs = nmap_new(I);
	nyx_set_global(I, "vm_devices", v_obj(VT_MAP, devs));
	nmap_set_cstr(I, devs, "E1000Device", v_native(I, "E1000Device", f_e1000, v_null()));
	nmap_set_cstr(I, devs, "VirtioNetDevice",
		      v_native(I, "VirtioNetDevice", f_virtio_net, v_null()));
	nmap_set_cstr(I, devs, "VirtioBlkDevice",
		      v_native(I, "VirtioBlkDevice", f_virtio_blk, v_null()));

	for (int i = 0; modules[i].name; i++) {
		struct binding *b;
		struct nmap *ns;

		if (!strcmp(modules[i].name, "vm_devices")) {
			nmap_set_cstr(I, I->modules, "vm_devices", v_obj(VT_MAP, devs));
			continue;
		}
		ns = nmap_new(I);
		nmap_set_cstr(I, I->modules, modules[i].name, v_obj(VT_MAP, ns));
		set_consts(I, ns, modules[i].consts);
		for (int j = 0; modules[i].names && modules[i].names[j]; j++) {
			const char *nm = modules[i].names[j];

			b = env_lookup(I->globals, nm, hash_bytes(nm, strlen(nm)));
			if (b)
				nmap_set_cstr(I, ns, nm, b->v);
		}
	}
	/* Namespaces the reference uses without importing them. */
	{
		struct value v;

		if (nmap_get_cstr(I->modules, "vm_logging", &v))
			nyx_set_global(I, "vm_logging", v);
		if (nmap_get_cstr(I->modules, "vm_tpm", &v))
			nyx_set_global(I, "vm_tpm", v);
	}
}

struct value lib_modules_import(struct nyx *I, const char *name)
{
	struct value v;

	if (!nmap_get_cstr(I->modules, name, &v))
		nyx_raise(I, "unknown module '%s'", name);
	return v;
}
